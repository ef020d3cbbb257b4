// Stack: configuration, the poll loop, timers and the output path (routing, fragmentation,
// link-layer framing). Input per family is in stack_ipv4.cc and stack_ipv6.cc.
#include "stack/stack.h"

#include <algorithm>
#include <cstring>

#include "stack/base/checksum.h"
#include "stack/ip/fragmenter.h"
#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"

namespace ustack {
namespace {

MacAddr mac_from_seed(std::uint64_t seed) {
  Rng r(seed ^ 0x6d61632d61646472ull);
  std::uint64_t v = r.next_u64();
  // 02:...: locally administered, unicast (IEEE 802 U/L and I/G bits).
  return MacAddr({0x02, static_cast<std::uint8_t>(v >> 32), static_cast<std::uint8_t>(v >> 24),
                  static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
                  static_cast<std::uint8_t>(v)});
}

ReassemblyConfig reassembly_config(const StackConfig& cfg, OverlapPolicy overlap) {
  ReassemblyConfig r;
  r.memory_cap = cfg.reassembly_memory_cap;
  r.max_datagrams = cfg.reassembly_max_datagrams;
  r.timeout = cfg.reassembly_timeout;
  r.max_datagram_len = 65535;
  r.overlap = overlap;
  return r;
}

// RFC 1112 §6.4: 01:00:5e + the low 23 bits of the group address.
MacAddr ipv4_multicast_mac(const Ipv4Addr& a) {
  std::uint32_t v = a.to_u32();
  return MacAddr({0x01, 0x00, 0x5e, static_cast<std::uint8_t>((v >> 16) & 0x7f),
                  static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
}

int common_prefix_len(const IpAddr& a, const IpAddr& b) {
  Bytes x = a.bytes(), y = b.bytes();
  int n = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::uint8_t d = x[i] ^ y[i];
    if (d == 0) {
      n += 8;
      continue;
    }
    while (!(d & 0x80)) {
      d = static_cast<std::uint8_t>(d << 1);
      ++n;
    }
    break;
  }
  return n;
}

// Expired path-MTU entries are ignored on lookup at once and swept from memory this often
// (a sweep timer instead of a per-entry one keeps poll_at() O(1) in the number of paths).
constexpr Duration kPmtuSweepInterval = Duration::seconds(60);
// Packets to our own addresses waiting for the next poll().
constexpr std::size_t kLoopbackQueueLimit = 1024;

}  // namespace

const char* to_string(AddressState s) {
  switch (s) {
    case AddressState::kTentative:
      return "tentative";
    case AddressState::kPreferred:
      return "preferred";
    case AddressState::kDuplicate:
      return "duplicate";
  }
  return "?";
}

Stack::Stack(const StackConfig& cfg, Device& device)
    : cfg_(cfg),
      dev_(device),
      caps_(device.caps()),
      mtu_(cfg.mtu ? std::min(cfg.mtu, caps_.mtu) : caps_.mtu),
      mac_(cfg.mac.is_zero() ? mac_from_seed(cfg.seed) : cfg.mac),
      rng_(cfg.seed),
      arp_(cfg.arp, cfg.seed ^ 0xa4),
      ndp_(cfg.ndp, cfg.seed ^ 0x6d),
      reasm_v4_(reassembly_config(cfg, OverlapPolicy::kDropDatagramUnlessContained)),
      reasm_v6_(reassembly_config(cfg, OverlapPolicy::kDropDatagram)),
      pmtu_(cfg.pmtu_expiry),
      icmp_limiter_(cfg.icmp_rate_limit),
      groups_(cfg.multicast, cfg.seed),
      next_ip_id_(static_cast<std::uint16_t>(rng_.next_u32())),
      hop_limit_v6_(cfg.default_ttl) {
  auto observer = [this](const char* family) {
    return [this, family](const IpAddr& addr, std::optional<NeighborState> from,
                          std::optional<NeighborState> to) {
      if (!tracer_) return;
      // `what` must have static storage: one string per transition, built on first use.
      static const auto* names = [] {
        auto* n = new std::array<std::array<std::string, 6>, 6>();
        for (int f = 0; f < 6; ++f) {
          for (int t = 0; t < 6; ++t) {
            auto name = [](int i) {
              return i == 5 ? std::string("NONE") : std::string(to_string(NeighborState(i)));
            };
            (*n)[f][t] = name(f) + "->" + name(t);
          }
        }
        return n;
      }();
      int f = from ? static_cast<int>(*from) : 5;
      int t = to ? static_cast<int>(*to) : 5;
      TraceEvent e;
      e.kind = TraceKind::kNeighbor;
      e.at = last_poll_;
      e.remote = addr;
      e.what = (*names)[f][t].c_str();
      (void)family;
      tracer_->on_event(e);
    };
  };
  arp_.set_observer(observer("arp"));
  ndp_.set_observer(observer("ndp"));
  if (caps_.medium == Medium::kEthernet && cfg_.ipv6_link_local) {
    add_address(IpCidr{Ipv6Addr::link_local_from_mac(mac_), 64});
  }
}

// --- Configuration ---

void Stack::add_address(const IpCidr& cidr) {
  if (find_address(cidr.addr)) return;
  Address a;
  a.cidr = cidr;
  bool ethernet = caps_.medium == Medium::kEthernet;
  if (cidr.addr.is_v6() && ethernet && cfg_.dad_transmits > 0) {
    a.state = AddressState::kTentative;  // RFC 4862 §5.4
    a.probes_left = cfg_.dad_transmits;
  } else if (cidr.addr.is_v4() && ethernet) {
    a.probes_left = cfg_.gratuitous_arp_count;
  }
  a.deadline = Instant::zero();  // the first step runs at the next poll()
  addrs_.push_back(a);
  std::uint8_t max_len = cidr.addr.is_v4() ? 32 : 128;
  if (cidr.prefix_len < max_len) {
    routes_.add(Route{cidr, std::nullopt, RouteOrigin::kConnected});
  }
}

bool Stack::remove_address(const IpAddr& addr) {
  auto it = std::find_if(addrs_.begin(), addrs_.end(),
                         [&](const Address& a) { return a.cidr.addr == addr; });
  if (it == addrs_.end()) return false;
  leave_solicited_node(last_poll_, *it);
  IpCidr cidr = it->cidr;
  addrs_.erase(it);
  bool prefix_still_used = std::any_of(addrs_.begin(), addrs_.end(), [&](const Address& a) {
    return a.cidr.prefix_len == cidr.prefix_len && a.cidr.network() == cidr.network();
  });
  if (!prefix_still_used) routes_.remove(cidr, std::nullopt);
  return true;
}

std::vector<IpCidr> Stack::addresses() const {
  std::vector<IpCidr> out;
  for (const Address& a : addrs_) out.push_back(a.cidr);
  return out;
}

std::optional<AddressState> Stack::address_state(const IpAddr& addr) const {
  const Address* a = find_address(addr);
  if (!a) return std::nullopt;
  return a->state;
}

void Stack::add_route(const IpCidr& dest, const IpAddr& gateway) {
  Route r{dest, std::nullopt, RouteOrigin::kStatic};
  if (!gateway.is_unspecified()) r.gateway = gateway;
  routes_.add(r);
}

bool Stack::remove_route(const IpCidr& dest) { return routes_.remove(dest) > 0; }

void Stack::set_default_gateway(const IpAddr& gateway) {
  IpCidr any{gateway.is_v4() ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any()), 0};
  routes_.remove(any);
  add_route(any, gateway);
}

void Stack::register_transport(Transport& t) {
  transports_[static_cast<std::uint8_t>(t.protocol())] = &t;
}

void Stack::add_poller(Pollable& p) {
  if (std::find(pollers_.begin(), pollers_.end(), &p) == pollers_.end()) pollers_.push_back(&p);
}

void Stack::remove_poller(Pollable& p) {
  pollers_.erase(std::remove(pollers_.begin(), pollers_.end(), &p), pollers_.end());
}

void Stack::set_mtu(std::size_t mtu) { mtu_ = std::min(mtu, caps_.mtu); }

std::optional<NeighborState> Stack::neighbor_state(const IpAddr& addr) const {
  return addr.is_v4() ? arp_.state(addr) : ndp_.state(addr);
}

std::optional<MacAddr> Stack::neighbor_mac(const IpAddr& addr) const {
  return addr.is_v4() ? arp_.link_addr(addr) : ndp_.link_addr(addr);
}

Stack::Address* Stack::find_address(const IpAddr& addr) {
  for (Address& a : addrs_) {
    if (a.cidr.addr == addr) return &a;
  }
  return nullptr;
}

const Stack::Address* Stack::find_address(const IpAddr& addr) const {
  return const_cast<Stack*>(this)->find_address(addr);
}

bool Stack::is_our_v4_broadcast(const Ipv4Addr& a) const {
  if (a.is_broadcast()) return true;
  for (const Address& x : addrs_) {
    if (!x.cidr.addr.is_v4()) continue;
    auto b = x.cidr.broadcast_v4();
    if (b && *b == a) return true;
  }
  return false;
}

// --- Tracing and drops ---

void Stack::trace(Instant now, TraceKind kind, const char* what, std::size_t len,
                  std::int64_t value, const IpAddr& local, const IpAddr& remote) {
  if (!tracer_) return;
  TraceEvent e;
  e.kind = kind;
  e.at = now;
  e.what = what;
  e.len = static_cast<std::uint32_t>(len);
  e.value = value;
  e.local = local;
  e.remote = remote;
  tracer_->on_event(e);
}

void Stack::drop(Instant now, Ctr c) {
  counters_.inc(c);
  trace(now, TraceKind::kDrop, counter_name(c));
}

void Stack::count_evictions(Instant now, std::size_t n, Ctr fails, Ctr drop_reason) {
  for (std::size_t i = 0; i < n; ++i) {
    counters_.inc(fails);
    drop(now, drop_reason);
  }
}

void Stack::drop_parse(Instant now, ParseLayer layer, ParseError e) {
  counters_.inc_parse_drop(layer, e);
  trace(now, TraceKind::kDrop, parse_drop_name(layer, e));
}

// --- Poll ---

bool Stack::poll(Instant now) {
  last_poll_ = now;
  // Datagrams batched since the last poll (sent from outside it: a user call) go first.
  bool did = !uso_.empty();
  flush_uso(now);
  if (!loopback_.empty()) {
    // Packets looped back while these are processed wait for the next poll().
    std::deque<ByteVec> batch = std::exchange(loopback_, {});
    // Looped-back TCP/UDP packets carry the partial checksums the device would complete (Linux
    // trusts its loopback packets the same way: CHECKSUM_PARTIAL).
    rx_offload_ = {};
    rx_offload_.data_valid = caps_.tx_checksum_offload;
    for (const ByteVec& p : batch) {
      if (p[0] >> 4 == 4) {
        ipv4_input(now, p, false, false);
      } else {
        ipv6_input(now, p, false, false);
      }
    }
    did = true;
  }
  for (std::size_t i = 0; i < std::max<std::size_t>(caps_.max_burst, 1); ++i) {
    std::optional<Bytes> frame = dev_.receive(now);
    if (!frame) break;
    did = true;
    rx_offload_ = dev_.rx_offload();
    if (rx_offload_.gso != PacketOffload::Gso::kNone) counters_.inc(Ctr::kLinkInGsoPackets);
    if (rx_offload_.checksum_trusted()) counters_.inc(Ctr::kLinkInChecksumTrusted);
    receive_frame(now, *frame);
  }
  rx_offload_ = {};
  for (Transport* t : transports_) {
    if (t && t->poll_at() <= now) {
      t->poll(now, *this);
      did = true;
    }
  }
  did |= run_timers(now);
  // Index loop: a poller may add or remove pollers.
  for (std::size_t i = 0; i < pollers_.size(); ++i) {
    if (pollers_[i]->poll_at() <= now || did) did |= pollers_[i]->poll(now);
  }
  flush_uso(now);  // one super-packet per flow and poll at most
  return did;
}

Instant Stack::poll_at() const {
  if (!loopback_.empty()) return Instant::zero();  // looped-back packets are due at once
  if (!uso_.empty()) return Instant::zero();       // so are batched datagrams
  Instant t = std::min({arp_.next_deadline(), ndp_.next_deadline(), reasm_v4_.next_deadline(),
                        reasm_v6_.next_deadline(), routes_.next_expiry(), pmtu_sweep_at_,
                        rs_deadline_, groups_.next_deadline()});
  for (const Address& a : addrs_) {
    if (a.state != AddressState::kDuplicate) t = std::min(t, a.deadline);
    t = std::min(t, a.valid_until);
  }
  for (const Transport* tr : transports_) {
    if (tr) t = std::min(t, tr->poll_at());
  }
  for (const Pollable* p : pollers_) t = std::min(t, p->poll_at());
  return t;
}

void Stack::receive_frame(Instant now, Bytes frame) {
  counters_.inc(Ctr::kLinkInFrames);
  trace(now, TraceKind::kPacketIn, "rx", frame.size());
  if (caps_.medium == Medium::kIp) {
    if (frame.empty()) {
      drop_parse(now, ParseLayer::kIpv4, ParseError::kTruncated);
      return;
    }
    if ((frame[0] >> 4) == 6) {
      ipv6_input(now, frame, false, false);
    } else {
      ipv4_input(now, frame, false, false);  // reports a bad version itself
    }
    return;
  }
  auto eth = EthernetRepr::parse(frame);
  if (!eth) {
    drop_parse(now, ParseLayer::kEthernet, eth.error());
    return;
  }
  bool for_us = eth->dst == mac_ || eth->dst.is_broadcast() || eth->dst.is_multicast();
  if (!for_us || eth->vlan_tci) {
    drop(now, Ctr::kDropEthNotForUs);
    return;
  }
  bool link_group = eth->dst.is_broadcast() || eth->dst.is_multicast();
  switch (eth->ethertype) {
    case EtherType::kArp:
      arp_input(now, eth->dst, eth->payload);
      break;
    case EtherType::kIpv4:
      ipv4_input(now, eth->payload, link_group, false);
      break;
    case EtherType::kIpv6:
      ipv6_input(now, eth->payload, link_group, false);
      break;
    default:
      drop(now, Ctr::kDropEthUnknownType);
  }
}

bool Stack::offer_reassembled(Instant now, Bytes datagram, bool link_group) {
  if (caps_.medium == Medium::kIp) return dev_.take_reassembled(now, datagram);
  // A frame as the device would have handed it over: to our MAC (or broadcast), from none.
  EthernetRepr eth;
  eth.dst = link_group ? MacAddr::broadcast() : mac_;
  eth.ethertype = datagram[0] >> 4 == 6 ? EtherType::kIpv6 : EtherType::kIpv4;
  reassembled_frame_.resize(eth.header_len() + datagram.size());
  eth.emit_header(reassembled_frame_);
  std::copy(datagram.begin(), datagram.end(), reassembled_frame_.begin() + eth.header_len());
  return dev_.take_reassembled(now, reassembled_frame_);
}

void Stack::uso_input(Instant now, Bytes packet, bool link_group) {
  const PacketOffload whole = rx_offload_;
  auto error = split_udp_gso(packet, whole, uso_rx_, [&](Bytes datagram, const PacketOffload& o) {
    counters_.inc(Ctr::kLinkInUsoDatagrams);
    rx_offload_ = o;
    if (datagram[0] >> 4 == 6) {
      ipv6_input(now, datagram, link_group, false);
    } else {
      ipv4_input(now, datagram, link_group, false);
    }
  });
  rx_offload_ = whole;
  if (error) drop(now, Ctr::kDropUsoMalformed);
}

bool Stack::run_timers(Instant now) {
  bool did = false;
  did |= run_address_timers(now);

  std::vector<ByteVec> failed;
  auto on_neighbor = [&](NeighborCache& cache, bool v4) {
    return [&, v4](const NeighborAction& a) {
      did = true;
      if (a.kind == NeighborAction::Kind::kFailed) {
        // RFC 4861 §7.3.3 / RFC 1122 §2.3.2.2: packets waiting for a neighbour that never
        // answered are discarded.
        Ctr c = v4 ? Ctr::kDropArpResolutionFailed : Ctr::kDropNdpResolutionFailed;
        counters_.inc(c, a.dropped);
        trace(now, TraceKind::kDrop, counter_name(c), a.dropped);
        // Reported after the cache's poll: a transport may send (and look up) from there.
        if (a.queued) failed.insert(failed.end(), a.queued->begin(), a.queued->end());
        return;
      }
      if (v4) {
        std::optional<IpAddr> src = select_source(a.target);
        if (!src || !src->is_v4()) return;
        MacAddr dst = a.unicast_to.value_or(MacAddr::broadcast());
        send_arp(now, dst, ArpRepr::request(mac_, src->v4(), a.target.v4()));
        counters_.inc(Ctr::kArpOutRequests);
      } else {
        send_neighbor_solicit(now, a.target.v6(), a.unicast_to, false);
      }
      (void)cache;
    };
  };
  if (arp_.next_deadline() <= now) arp_.poll(now, on_neighbor(arp_, true));
  if (ndp_.next_deadline() <= now) ndp_.poll(now, on_neighbor(ndp_, false));
  for (const ByteVec& p : failed) report_unreachable(now, p);

  // RFC 792 / RFC 1122 §3.3.2 and RFC 8200 §4.5: a datagram that does not complete in time
  // is discarded; if its first fragment arrived, the sender gets Time Exceeded code 1.
  if (reasm_v4_.next_deadline() <= now) {
    reasm_v4_.expire(now, [&](const ReassemblyKey&, Bytes header, Bytes data) {
      did = true;
      drop(now, Ctr::kDropIpv4ReasmTimeout);
      counters_.inc(Ctr::kIpReasmFails);
      if (header.empty()) return;
      rebuilt_.assign(header.begin(), header.end());
      rebuilt_.insert(rebuilt_.end(), data.begin(),
                      data.begin() + std::min<std::size_t>(data.size(), 8));
      send_icmpv4_error(now, rebuilt_, 11, 1, 0);
    });
  }
  if (reasm_v6_.next_deadline() <= now) {
    reasm_v6_.expire(now, [&](const ReassemblyKey&, Bytes header, Bytes data) {
      did = true;
      drop(now, Ctr::kDropIpv6ReasmTimeout);
      counters_.inc(Ctr::kIp6ReasmFails);
      if (header.empty()) return;
      rebuilt_.assign(header.begin(), header.end());
      rebuilt_.insert(rebuilt_.end(), data.begin(), data.end());
      send_icmpv6_error(now, rebuilt_, 3, 1, 0, false);
    });
  }
  did |= run_group_timers(now);
  if (routes_.next_expiry() <= now) did |= routes_.expire(now) > 0;
  if (pmtu_sweep_at_ <= now) {
    pmtu_.expire(now);
    pmtu_sweep_at_ = pmtu_.size() ? now + kPmtuSweepInterval : Instant::never();
  }
  return did;
}

// --- IpSender ---

bool Stack::send(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
                 std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                 const IpSendOptions& opts) {
  return send_ip(now, src, dst, proto, payload_len, fill, opts);
}

std::uint8_t Stack::hop_limit_for(const IpAddr& dst, const IpSendOptions& opts) const {
  bool group = dst.is_v4() ? dst.v4().is_multicast() : dst.v6().is_multicast();
  if (group) return opts.multicast_ttl;  // ip(7) IP_MULTICAST_TTL, default 1
  if (opts.ttl) return opts.ttl;
  // RFC 1122 §3.2.1.7: a host never sends TTL 0.
  if (dst.is_v4()) return cfg_.default_ttl ? cfg_.default_ttl : 64;
  return hop_limit_v6_;
}

bool Stack::is_broadcast_address(const IpAddr& addr) const {
  return addr.is_v4() && is_our_v4_broadcast(addr.v4());
}

std::optional<IpAddr> Stack::select_source(const IpAddr& dst) const {
  std::optional<LinkDest> route = route_for(dst);
  // No route, no source (Linux ip_route_connect): connect() and sendto() fail at once with
  // ENETUNREACH instead of a socket whose every packet send_ip() would drop.
  if (!route && !is_local_address(dst)) return std::nullopt;
  const IpAddr& near = route ? route->next_hop : dst;
  const Address* best = nullptr;
  int best_score = -1;
  for (const Address& a : addrs_) {
    if (a.state != AddressState::kPreferred || a.cidr.addr.version() != dst.version()) continue;
    int score = 0;
    if (a.cidr.contains(dst)) score += 4;
    if (a.cidr.contains(near)) score += 2;
    if (dst.is_v6()) {
      // RFC 6724 rule 2 (scope): link-local for link-local destinations, global otherwise.
      bool dst_ll = dst.v6().is_link_local() ||
                    (dst.v6().is_multicast() && (dst.v6().bytes()[1] & 0x0f) == 2);
      if (a.cidr.addr.v6().is_link_local() == dst_ll) score += 8;
    }
    // RFC 6724 rule 8: the longest matching prefix breaks ties.
    score = score * 256 + common_prefix_len(a.cidr.addr, dst);
    if (score > best_score) {
      best = &a;
      best_score = score;
    }
  }
  if (!best) return std::nullopt;
  return best->cidr.addr;
}

std::size_t Stack::path_mtu(const IpAddr& dst) const {
  return pmtu_.get(last_poll_, dst, link_mtu(dst.is_v6()));
}

bool Stack::is_local_address(const IpAddr& addr) const {
  const Address* a = find_address(addr);
  return a && a->state == AddressState::kPreferred;
}

ChecksumMode Stack::checksum_mode() const {
  return caps_.tx_checksum_offload ? ChecksumMode::kOffload : ChecksumMode::kCompute;
}

std::size_t Stack::gso_max_len(const IpAddr& dst) const {
  bool tso = dst.is_v4() ? caps_.tx_tso4 : caps_.tx_tso6;
  if (!tso || checksum_mode() != ChecksumMode::kOffload || is_local_address(dst)) return 0;
  return caps_.gso_max_len;
}

// --- Output ---

std::optional<Stack::LinkDest> Stack::route_for(const IpAddr& dst) const {
  if (dst.is_v4()) {
    Ipv4Addr d = dst.v4();
    if (d.is_broadcast()) return LinkDest{dst, MacAddr::broadcast()};
    if (d.is_multicast()) return LinkDest{dst, ipv4_multicast_mac(d)};
    if (is_our_v4_broadcast(d)) return LinkDest{dst, MacAddr::broadcast()};
  } else if (dst.v6().is_multicast()) {
    return LinkDest{dst, dst.v6().multicast_mac()};
  } else if (dst.v6().is_link_local()) {
    return LinkDest{dst, std::nullopt};  // RFC 4861 §5.2: link-local is always on-link
  }
  std::optional<NextHop> hop = routes_.lookup(dst);
  if (!hop) return std::nullopt;
  return LinkDest{hop->next_hop, std::nullopt};
}

bool Stack::send_ip(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
                    std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                    const IpSendOptions& opts) {
  last_poll_ = std::max(last_poll_, now);
  // An unspecified source (an unbound socket) gets the one the route would use.
  if (src.is_unspecified() && src.version() == dst.version()) {
    if (std::optional<IpAddr> chosen = select_source(dst)) {
      return send_ip(now, *chosen, dst, proto, payload_len, fill, opts);
    }
  }
  std::optional<LinkDest> dest = route_for(dst);
  if (!dest || src.version() != dst.version()) {
    drop(now, dst.is_v4() ? Ctr::kDropIpv4NoRoute : Ctr::kDropIpv6NoRoute);
    return false;
  }
  if (is_local_address(dst)) return send_loopback(now, src, dst, proto, payload_len, fill, opts);
  auto to_wire = [&](FunctionRef<void(MutBytes)> payload) {
    if (dst.is_v4()) {
      return send_v4(now, src.v4(), dst.v4(), proto, payload_len, payload, opts, *dest);
    }
    return send_v6(now, src.v6(), dst.v6(), proto, payload_len, payload, opts, *dest);
  };
  // Linux ip_mc_output / ip6_finish_output2: our own member sockets get a copy of what we send
  // to a group (IP_MULTICAST_LOOP), and of every IPv4 broadcast whatever that option says.
  // IP_MULTICAST_TTL 0 sends to ourselves only.
  bool group = dst.is_multicast();
  bool loop = (group && opts.multicast_loop && accepts_group(dst)) ||
              (dst.is_v4() && is_our_v4_broadcast(dst.v4()));
  bool wire = !(group && opts.multicast_ttl == 0);
  if (loop && send_loopback(now, src, dst, proto, payload_len, fill, opts)) {
    if (!wire) return true;
    // The payload is filled once: the wire copy is taken from the looped-back packet.
    const ByteVec& looped = loopback_.back();
    std::size_t hlen = looped.size() - payload_len;
    return to_wire(
        [&](MutBytes out) { std::memcpy(out.data(), looped.data() + hlen, payload_len); });
  }
  if (!wire) return !loop;  // nowhere to go (or the loopback queue was full: counted)
  return to_wire(fill);
}

bool Stack::send_loopback(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
                          std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                          const IpSendOptions& opts) {
  // To one of our own addresses: never on the wire (RFC 1122 §3.3.6), received at the next
  // poll() like a packet from the device, without fragmentation.
  std::size_t hlen = src.is_v4() ? Ipv4Repr::kMinHeaderLen : Ipv6Repr::kHeaderLen;
  if (payload_len > 65535 - (src.is_v4() ? hlen : 0) || loopback_.size() >= kLoopbackQueueLimit) {
    drop(now, Ctr::kDropLoopbackFull);
    return false;
  }
  ByteVec packet(hlen + payload_len);
  if (src.is_v4()) {
    counters_.inc(Ctr::kIpOutRequests);
    Ipv4Repr ip;
    ip.tos = opts.tos;
    ip.ident = next_ip_id_++;
    ip.ttl = hop_limit_for(dst, opts);
    ip.protocol = proto;
    ip.src = src.v4();
    ip.dst = dst.v4();
    ip.payload_len = payload_len;
    ip.emit(packet);
  } else {
    counters_.inc(Ctr::kIp6OutRequests);
    Ipv6Repr ip;
    ip.traffic_class = opts.tos;
    ip.hop_limit = hop_limit_for(dst, opts);
    ip.next_header = proto;
    ip.src = src.v6();
    ip.dst = dst.v6();
    ip.payload_len = static_cast<std::uint16_t>(payload_len);
    ip.emit(packet);
  }
  fill(MutBytes(packet).subspan(hlen));
  loopback_.push_back(std::move(packet));
  counters_.inc(Ctr::kLinkLoopback);
  return true;
}

bool Stack::send_v4(Instant now, const Ipv4Addr& src, const Ipv4Addr& dst, IpProto proto,
                    std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                    const IpSendOptions& opts, const LinkDest& dest) {
  counters_.inc(Ctr::kIpOutRequests);
  Ipv4Repr ip;
  ip.tos = opts.tos;
  ip.ident = next_ip_id_++;
  ip.ttl = hop_limit_for(IpAddr(dst), opts);
  ip.protocol = proto;
  ip.src = src;
  ip.dst = dst;
  std::size_t mtu = pmtu_.get(now, dst, link_mtu(false));
  std::size_t hlen = Ipv4Repr::kMinHeaderLen;
  if (hlen + payload_len > Ipv4Repr::kMaxTotalLen) {
    drop(now, Ctr::kDropIpv4DfTooBig);
    return false;
  }
  PacketOffload offload = tx_offload(proto, hlen, hlen + payload_len, mtu, false, opts);
  if (hlen + payload_len <= mtu || offload.gso != PacketOffload::Gso::kNone) {
    // RFC 1191: DF on what fits, so the path MTU is probed (Linux IP_PMTUDISC_WANT/DO),
    // unless a report below the floor locked the path MTU (Linux ip_dont_fragment).
    ip.dont_frag = opts.pmtu == PmtuDiscovery::kDo ||
                   (opts.pmtu == PmtuDiscovery::kWant && !pmtu_.locked(now, dst));
    ip.payload_len = payload_len;
    return output_whole(
        now, dest, hlen, payload_len, [&](MutBytes out) { ip.emit(out); }, fill, offload);
  }
  // IP_PMTUDISC_DO: the sender asked never to fragment (Linux answers EMSGSIZE). kWant
  // fragments here at the source: a TCP retransmission after the path MTU dropped, or a
  // datagram larger than the MTU.
  if (opts.pmtu == PmtuDiscovery::kDo) {
    drop(now, Ctr::kDropIpv4DfTooBig);
    return false;
  }
  std::size_t piece = fragment_payload_size(mtu - hlen);
  if (piece == 0) {
    drop(now, Ctr::kDropIpv4DfTooBig);
    return false;
  }
  tx_payload_.resize(payload_len);
  fill(tx_payload_);
  finish_partial_checksum(tx_payload_, proto);
  bool ok = true;
  plan_fragments(payload_len, piece, [&](const FragmentPiece& p) {
    ip.more_frags = p.more;
    ip.set_frag_offset_bytes(p.offset);
    ip.payload_len = p.len;
    counters_.inc(Ctr::kIpFragCreates);
    ok &= link_output(now, dest, ip.total_len(), [&](MutBytes out) {
      ip.emit(out);
      std::memcpy(out.data() + hlen, tx_payload_.data() + p.offset, p.len);
    });
  });
  if (ok) counters_.inc(Ctr::kIpFragOks);
  return ok;
}

bool Stack::send_v6(Instant now, const Ipv6Addr& src, const Ipv6Addr& dst, IpProto proto,
                    std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                    const IpSendOptions& opts, const LinkDest& dest) {
  counters_.inc(Ctr::kIp6OutRequests);
  Ipv6Repr ip;
  ip.traffic_class = opts.tos;
  ip.hop_limit = hop_limit_for(IpAddr(dst), opts);
  ip.src = src;
  ip.dst = dst;
  std::size_t mtu = pmtu_.get(now, dst, link_mtu(true));
  constexpr std::size_t hlen = Ipv6Repr::kHeaderLen;
  PacketOffload offload = tx_offload(proto, hlen, hlen + payload_len, mtu, true, opts);
  if (hlen + payload_len <= mtu || offload.gso != PacketOffload::Gso::kNone) {
    if (payload_len > 65535) {
      drop(now, Ctr::kDropIpv6TooBig);
      return false;
    }
    ip.next_header = proto;
    ip.payload_len = static_cast<std::uint16_t>(payload_len);
    return output_whole(
        now, dest, hlen, payload_len, [&](MutBytes out) { ip.emit(out); }, fill, offload);
  }
  // RFC 8200 §4.5, §5: only the source fragments; each fragment carries a Fragment header.
  std::size_t piece = mtu > hlen + Ipv6FragHeader::kLen
                          ? fragment_payload_size(mtu - hlen - Ipv6FragHeader::kLen)
                          : 0;
  // RFC 8200 §4.5: the limit is on the reassembled packet's Payload Length (we send no
  // unfragmentable extension headers), which does not include the Fragment header: 65535, as
  // Linux allows (ping -6 -s 65527).
  if (opts.pmtu == PmtuDiscovery::kDo || piece == 0 || payload_len > 65535) {
    drop(now, Ctr::kDropIpv6TooBig);
    return false;
  }
  tx_payload_.resize(payload_len);
  fill(tx_payload_);
  finish_partial_checksum(tx_payload_, proto);
  Ipv6FragHeader fh;
  fh.next_header = proto;
  // RFC 7739: fragment identifications should be unpredictable.
  fh.ident = rng_.next_u32();
  ip.next_header = IpProto::kIpv6Frag;
  bool ok = true;
  plan_fragments(payload_len, piece, [&](const FragmentPiece& p) {
    fh.more_frags = p.more;
    fh.set_frag_offset_bytes(p.offset);
    ip.payload_len = static_cast<std::uint16_t>(Ipv6FragHeader::kLen + p.len);
    counters_.inc(Ctr::kIp6FragCreates);
    ok &= link_output(now, dest, ip.total_len(), [&](MutBytes out) {
      ip.emit(out);
      fh.emit(out.subspan(hlen, Ipv6FragHeader::kLen));
      std::memcpy(out.data() + hlen + Ipv6FragHeader::kLen, tx_payload_.data() + p.offset, p.len);
    });
  });
  if (ok) counters_.inc(Ctr::kIp6FragOks);
  return ok;
}

PacketOffload Stack::tx_offload(IpProto proto, std::size_t l4_start, std::size_t packet_len,
                                std::size_t mtu, bool v6, const IpSendOptions& opts) const {
  PacketOffload o;
  if (checksum_mode() != ChecksumMode::kOffload) return o;
  if (proto != IpProto::kTcp && proto != IpProto::kUdp) return o;
  o.needs_csum = true;
  o.csum_start = static_cast<std::uint16_t>(l4_start);
  o.csum_offset = proto == IpProto::kTcp ? 16 : 6;  // the checksum field (RFC 9293, RFC 768)
  bool tso = v6 ? caps_.tx_tso6 : caps_.tx_tso4;
  if (proto == IpProto::kTcp && opts.gso_size != 0 && tso && packet_len > mtu &&
      packet_len <= caps_.gso_max_len) {
    o.gso = v6 ? PacketOffload::Gso::kTcpV6 : PacketOffload::Gso::kTcpV4;
    o.gso_size = opts.gso_size;
  }
  return o;
}

void Stack::finish_partial_checksum(MutBytes transport, IpProto proto) const {
  if (checksum_mode() != ChecksumMode::kOffload) return;
  if (proto != IpProto::kTcp && proto != IpProto::kUdp) return;
  std::size_t at = proto == IpProto::kTcp ? 16 : 6;
  if (transport.size() < at + 2) return;
  // The field holds the pseudo-header sum; summing everything over it completes it.
  std::uint16_t c = checksum_finish(checksum_add(0, transport));
  if (proto == IpProto::kUdp && c == 0) c = 0xffff;  // RFC 768: 0 means "no checksum"
  store_be16(transport, at, c);
}

bool Stack::output_whole(Instant now, const LinkDest& dest, std::size_t hlen,
                         std::size_t payload_len, FunctionRef<void(MutBytes)> emit_header,
                         FunctionRef<void(MutBytes)> fill, const PacketOffload& offload) {
  std::size_t l4_header = 0;
  bool ok = link_output(
      now, dest, hlen + payload_len,
      [&](MutBytes out) {
        emit_header(out);
        fill(out.subspan(hlen, payload_len));
        if (offload.gso != PacketOffload::Gso::kNone) {
          l4_header = std::size_t{out[hlen + 12]} >> 4 << 2;  // TCP Data Offset
        }
      },
      offload);
  if (ok) count_gso_out(offload, payload_len - l4_header);
  return ok;
}

void Stack::count_gso_out(const PacketOffload& offload, std::size_t tcp_payload) {
  if (offload.gso == PacketOffload::Gso::kNone) return;
  counters_.inc(Ctr::kLinkOutGsoPackets);
  counters_.inc(Ctr::kLinkOutGsoSegments, (tcp_payload + offload.gso_size - 1) / offload.gso_size);
}

bool Stack::link_output(Instant now, const LinkDest& dest, std::size_t ip_len,
                        FunctionRef<void(MutBytes)> fill_ip, const PacketOffload& offload) {
  if (caps_.medium == Medium::kIp) {
    if (caps_.tx_uso && offload.needs_csum && offload.csum_offset == 6 &&
        offload.gso == PacketOffload::Gso::kNone) {
      return uso_output(now, ip_len, fill_ip, offload);
    }
    if (!flush_uso(now)) return false;
    return transmit_ip(now, ip_len, fill_ip, offload);
  }
  bool v4 = dest.next_hop.is_v4();
  EtherType type = v4 ? EtherType::kIpv4 : EtherType::kIpv6;
  std::optional<MacAddr> mac = dest.mac;
  if (!mac) {
    NeighborCache& cache = v4 ? arp_ : ndp_;
    mac = cache.lookup(now, dest.next_hop);
    if (!mac) {
      // RFC 1122 §2.3.2.2: keep (a bounded number of) packets while ARP/NDP resolves.
      if (offload.gso != PacketOffload::Gso::kNone) {
        drop(now, Ctr::kDropLinkTxFailed);  // a super-packet waits for no neighbour: TCP resends
        return false;
      }
      ByteVec packet(ip_len);
      fill_ip(packet);
      if (offload.needs_csum) {
        finish_partial_checksum(MutBytes(packet).subspan(offload.csum_start),
                                offload.csum_offset == 16 ? IpProto::kTcp : IpProto::kUdp);
      }
      std::size_t dropped = cache.enqueue(dest.next_hop, std::move(packet));
      if (dropped) {
        Ctr c = v4 ? Ctr::kDropArpQueueFull : Ctr::kDropNdpQueueFull;
        counters_.inc(c, dropped);
        trace(now, TraceKind::kDrop, counter_name(c), dropped);
      }
      return true;  // queued: as far as the sender knows, it went out
    }
  }
  return transmit_ethernet(now, *mac, type, ip_len, fill_ip, offload);
}

bool Stack::transmit_ip(Instant now, std::size_t ip_len, FunctionRef<void(MutBytes)> fill_ip,
                        const PacketOffload& offload) {
  bool ok = offload.is_plain() ? dev_.transmit(now, ip_len, fill_ip)
                               : dev_.transmit_offload(now, ip_len, offload, fill_ip);
  if (!ok) {
    drop(now, Ctr::kDropLinkTxFailed);
    return false;
  }
  counters_.inc(Ctr::kLinkOutFrames);
  trace(now, TraceKind::kPacketOut, "tx", ip_len);
  return true;
}

bool Stack::transmit_copy(Instant now, Bytes ip_packet, const PacketOffload& offload) {
  return transmit_ip(
      now, ip_packet.size(),
      [&](MutBytes out) { std::memcpy(out.data(), ip_packet.data(), ip_packet.size()); }, offload);
}

bool Stack::uso_output(Instant now, std::size_t ip_len, FunctionRef<void(MutBytes)> fill_ip,
                       const PacketOffload& offload) {
  uso_packet_.resize(ip_len);
  fill_ip(uso_packet_);
  if (uso_.add(uso_packet_, offload)) return true;
  bool ok = flush_uso(now);
  if (uso_.add(uso_packet_, offload)) return ok;
  // Not a datagram USO can carry (an IPv6 extension header): alone, as it is.
  return transmit_copy(now, uso_packet_, offload) && ok;
}

bool Stack::flush_uso(Instant now) {
  if (uso_.empty()) return true;
  const std::size_t n = uso_.count();
  Bytes p = uso_.packet();
  const PacketOffload o = uso_.offload();
  bool ok = transmit_copy(now, p, o);
  if (ok) {
    count_gso_out(o, p.size() - o.hdr_len);
  } else {
    counters_.inc(Ctr::kDropLinkTxFailed, n - 1);  // every datagram (transmit_ip counted one)
  }
  uso_.clear();
  return ok;
}

bool Stack::transmit_ethernet(Instant now, const MacAddr& dst, EtherType type, std::size_t len,
                              FunctionRef<void(MutBytes)> fill, const PacketOffload& offload) {
  EthernetRepr eth;
  eth.dst = dst;
  eth.src = mac_;
  eth.ethertype = type;
  std::size_t hlen = eth.header_len();
  // Frames shorter than the Ethernet minimum are padded with zeros (RFC 894).
  std::size_t frame_len = std::max(hlen + len, EthernetRepr::kMinFrameLen);
  auto fill_frame = [&](MutBytes out) {
    eth.emit_header(out);
    fill(out.subspan(hlen, len));
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(hlen + len), out.end(), 0);
  };
  bool ok;
  if (offload.is_plain()) {
    ok = dev_.transmit(now, frame_len, fill_frame);
  } else {
    PacketOffload framed = offload;  // offsets count from the frame's start
    framed.csum_start = static_cast<std::uint16_t>(framed.csum_start + hlen);
    ok = dev_.transmit_offload(now, frame_len, framed, fill_frame);
  }
  if (!ok) {
    drop(now, Ctr::kDropLinkTxFailed);
    return false;
  }
  counters_.inc(Ctr::kLinkOutFrames);
  trace(now, TraceKind::kPacketOut, "tx", frame_len);
  return true;
}

void Stack::flush_neighbor_queue(Instant now, NeighborCache& cache, const IpAddr& addr) {
  std::optional<MacAddr> mac = cache.link_addr(addr);
  if (!mac) return;
  EtherType type = addr.is_v4() ? EtherType::kIpv4 : EtherType::kIpv6;
  for (const ByteVec& p : cache.take_queue(addr)) {
    transmit_ethernet(now, *mac, type, p.size(),
                      [&](MutBytes out) { std::memcpy(out.data(), p.data(), p.size()); });
  }
}

// --- Delivery to transports and ICMP ---

void Stack::deliver(Instant now, const IpRxMeta& meta, Bytes payload, Bytes packet) {
  bool v4 = meta.src.is_v4();
  if (v4 && meta.proto == IpProto::kIgmp) {
    counters_.inc(Ctr::kIpInDelivers);
    igmp_input(now, meta, payload);
    return;
  }
  if (meta.proto == (v4 ? IpProto::kIcmp : IpProto::kIcmpv6)) {
    counters_.inc(v4 ? Ctr::kIpInDelivers : Ctr::kIp6InDelivers);
    if (v4) {
      icmpv4_input(now, meta, payload, packet);
    } else {
      icmpv6_input(now, meta, payload, packet);
    }
    return;
  }
  Transport* t = transports_[static_cast<std::uint8_t>(meta.proto)];
  if (t) {
    counters_.inc(v4 ? Ctr::kIpInDelivers : Ctr::kIp6InDelivers);
    if (t->on_packet(now, meta, payload, *this) != RxVerdict::kPortUnreachable) return;
  }
  bool group = meta.dst_is_broadcast_or_multicast;
  if (meta.proto == IpProto::kUdp) {
    // RFC 1122 §4.1.3.1: no listener → ICMP port unreachable (never for broadcast).
    drop(now, Ctr::kDropUdpNoPort);
    if (group) return;
    if (v4) {
      send_icmpv4_error(now, packet, 3, 3, 0);
    } else {
      send_icmpv6_error(now, packet, 1, 4, 0, false);
    }
    return;
  }
  if (t) return;  // a transport asked for port unreachable on a protocol without ports
  if (v4) {
    // RFC 1122 §3.2.2.1: protocol unreachable for a protocol we do not speak.
    drop(now, Ctr::kDropIpv4UnknownProtocol);
    if (!group) send_icmpv4_error(now, packet, 3, 2, 0);
  }
  // IPv6's equivalent (Parameter Problem code 1) is sent by ipv6_input, which knows where the
  // Next Header field that named the protocol sits.
}

void Stack::deliver_icmp_error(Instant now, IcmpError err) {
  Transport* t = transports_[static_cast<std::uint8_t>(err.quoted_proto)];
  // Quotes of our own ICMP (pings) or of a protocol without a transport have no socket to
  // check them against.
  std::size_t reported_mtu = err.next_hop_mtu;
  std::size_t link = link_mtu(err.quoted_dst.is_v6());
  if (err.kind == IcmpError::Kind::kFragmentationNeeded) {
    // The transport sizes its segments to the floored MTU (Linux tcp_v4_mtu_reduced and
    // tcp_v6_mtu_reduced read dst_mtu() after __ip_rt_update_pmtu / ip6_update_pmtu).
    err.next_hop_mtu =
        static_cast<std::uint32_t>(pmtu_.effective(now, err.quoted_dst, reported_mtu, link));
  }
  bool accepted = true;
  if (t) {
    counters_.inc(Ctr::kIcmpErrorsToTransport);
    accepted = t->on_icmp_error(now, err, *this);
  }
  if (accepted && err.kind == IcmpError::Kind::kFragmentationNeeded) {
    // RFC 1191 §6.1 / RFC 8201 §4: lower the path MTU toward the quoted destination.
    if (pmtu_.update(now, err.quoted_dst, reported_mtu, link)) {
      counters_.inc(Ctr::kIpPmtuUpdates);
      if (pmtu_sweep_at_.is_never()) pmtu_sweep_at_ = now + kPmtuSweepInterval;
    }
  }
}

void Stack::report_unreachable(Instant now, Bytes packet) {
  // Like Linux's neighbour error report: the transport that sent `packet` hears "host
  // unreachable" as if a router had said so (RFC 4861 §7.2.2 "address unreachable").
  IcmpError err;
  err.kind = IcmpError::Kind::kHostUnreachable;
  Bytes transport;
  if (auto ip = Ipv4Repr::parse(packet, ChecksumCheck::kSkip)) {
    if (ip->is_fragment() && ip->frag_offset != 0) return;
    err.type = 3;
    err.code = 1;
    err.reporter = ip->src;
    err.quoted_src = ip->src;
    err.quoted_dst = ip->dst;
    err.quoted_proto = ip->protocol;
    transport = ip->payload;
  } else if (auto ip6 = Ipv6Repr::parse(packet)) {
    if (ip6->frag && ip6->frag->frag_offset != 0) return;
    err.type = 1;
    err.code = 3;
    err.reporter = ip6->src;
    err.quoted_src = ip6->src;
    err.quoted_dst = ip6->dst;
    err.quoted_proto = ip6->frag ? ip6->frag->next_header : ip6->upper_proto;
    transport = ip6->upper_payload;
  } else {
    return;
  }
  err.quoted_transport = transport.first(std::min<std::size_t>(transport.size(), 64));
  Transport* t = transports_[static_cast<std::uint8_t>(err.quoted_proto)];
  if (!t) return;
  counters_.inc(Ctr::kIcmpErrorsToTransport);
  t->on_icmp_error(now, err, *this);
}

// --- Ping ---

bool Stack::send_echo_request(Instant now, const IpAddr& dst, std::uint16_t ident,
                              std::uint16_t seq, Bytes payload, const IpSendOptions& opts) {
  std::optional<IpAddr> src = select_source(dst);
  if (!src) {
    drop(now, dst.is_v4() ? Ctr::kDropIpv4NoRoute : Ctr::kDropIpv6NoRoute);
    return false;
  }
  std::size_t len = 8 + payload.size();
  trace(now, TraceKind::kIcmp, "echo-request-out", len, seq, *src, dst);
  if (dst.is_v4()) {
    counters_.inc(Ctr::kIcmpOutMsgs);
    counters_.inc(Ctr::kIcmpOutEchos);
    Icmpv4Repr icmp = Icmpv4Repr::echo_request(ident, seq, payload);
    return send_ip(
        now, *src, dst, IpProto::kIcmp, len, [&](MutBytes out) { icmp.emit(out); }, opts);
  }
  counters_.inc(Ctr::kIcmp6OutMsgs);
  counters_.inc(Ctr::kIcmp6OutEchos);
  Ipv6Addr s = src->v6(), d = dst.v6();
  Icmpv6Repr icmp = Icmpv6Repr::echo_request(ident, seq, payload);
  return send_ip(
      now, *src, dst, IpProto::kIcmpv6, len, [&](MutBytes out) { icmp.emit(out, s, d); }, opts);
}

void Stack::queue_echo_reply(Instant now, const IpRxMeta& meta, std::uint16_t ident,
                             std::uint16_t seq_no, Bytes data) {
  if (echo_replies_.size() >= cfg_.echo_reply_queue_limit) {
    drop(now, Ctr::kDropEchoReplyQueueFull);
    return;
  }
  echo_replies_.push_back(
      EchoReply{now, meta.src, ident, seq_no, meta.hop_limit, ByteVec(data.begin(), data.end())});
}

bool Stack::icmp_in_transit(Instant now, const IpRxMeta& meta, bool echo_request,
                            std::uint16_t ident, std::uint16_t seq_no, Bytes data) {
  if (!cfg_.transparent || meta.dst_is_broadcast_or_multicast || find_address(meta.dst)) {
    return false;
  }
  if (!echo_request || !cfg_.relay_echo) {
    drop(now, meta.dst.is_v4() ? Ctr::kDropIpv4NotForUs : Ctr::kDropIpv6NotForUs);
  } else if (relayed_echoes_.size() >= cfg_.echo_reply_queue_limit) {
    drop(now, Ctr::kDropRelayedEchoQueueFull);
  } else {
    relayed_echoes_.push_back(RelayedEcho{now, meta.src, meta.dst, ident, seq_no, meta.hop_limit,
                                          ByteVec(data.begin(), data.end())});
  }
  return true;
}

std::optional<RelayedEcho> Stack::pop_relayed_echo() {
  if (relayed_echoes_.empty()) return std::nullopt;
  RelayedEcho r = std::move(relayed_echoes_.front());
  relayed_echoes_.pop_front();
  return r;
}

std::optional<RouterSolicit> Stack::pop_router_solicit() {
  if (router_solicits_.empty()) return std::nullopt;
  RouterSolicit r = router_solicits_.front();
  router_solicits_.pop_front();
  return r;
}

bool Stack::send_echo_reply(Instant now, const IpAddr& from, const IpAddr& to, std::uint16_t ident,
                            std::uint16_t seq, Bytes payload) {
  std::size_t len = 8 + payload.size();
  if (to.is_v4()) {
    counters_.inc(Ctr::kIcmpOutMsgs);
    counters_.inc(Ctr::kIcmpOutEchoReps);
    Icmpv4Repr icmp = Icmpv4Repr::echo_request(ident, seq, payload);
    icmp.type = Icmpv4Type::kEchoReply;
    return send_ip(now, from, to, IpProto::kIcmp, len, [&](MutBytes out) { icmp.emit(out); });
  }
  counters_.inc(Ctr::kIcmp6OutMsgs);
  counters_.inc(Ctr::kIcmp6OutEchoReps);
  Ipv6Addr s = from.v6(), d = to.v6();
  Icmpv6Repr icmp = Icmpv6Repr::echo_request(ident, seq, payload);
  icmp.type = Icmpv6Type::kEchoReply;
  return send_ip(now, from, to, IpProto::kIcmpv6, len, [&](MutBytes out) { icmp.emit(out, s, d); });
}

void Stack::send_unreachable(Instant now, Unreachable why, const IpAddr& src, const IpAddr& dst,
                             IpProto proto, Bytes head) {
  auto i = static_cast<std::size_t>(why);
  ByteVec packet;
  if (src.is_v4()) {
    static constexpr std::uint8_t kCodes[] = {0, 1, 3};  // net, host, port (RFC 792)
    Ipv4Repr ip;
    ip.src = src.v4();
    ip.dst = dst.v4();
    ip.protocol = proto;
    ip.dont_frag = true;
    ip.payload_len = head.size();
    packet.resize(ip.total_len());
    ip.emit(packet);
    std::copy(head.begin(), head.end(), packet.begin() + ip.header_len());
    send_icmpv4_error(now, packet, 3, kCodes[i], 0);
    return;
  }
  // No route, address unreachable, port unreachable (RFC 4443 §3.1).
  static constexpr std::uint8_t kCodes[] = {0, 3, 4};
  Ipv6Repr ip;
  ip.src = src.v6();
  ip.dst = dst.v6();
  ip.next_header = proto;
  ip.payload_len = static_cast<std::uint16_t>(head.size());
  packet.resize(ip.total_len());
  ip.emit(packet);
  std::copy(head.begin(), head.end(), packet.begin() + Ipv6Repr::kHeaderLen);
  send_icmpv6_error(now, packet, 1, kCodes[i], 0, false);
}

std::optional<EchoReply> Stack::pop_echo_reply() {
  if (echo_replies_.empty()) return std::nullopt;
  EchoReply r = std::move(echo_replies_.front());
  echo_replies_.pop_front();
  return r;
}

}  // namespace ustack
