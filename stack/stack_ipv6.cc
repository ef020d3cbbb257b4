// Stack: IPv6 input (RFC 8200), ICMPv6 (RFC 4443), Neighbor Discovery (RFC 4861) and
// stateless address autoconfiguration with duplicate address detection (RFC 4862).
#include <algorithm>
#include <cstring>

#include "stack/stack.h"
#include "stack/wire/arp.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/ndp.h"

namespace ustack {
namespace {

// Linux icmpv6_err_convert: which unreachable codes are "hard".
IcmpError::Kind unreach6_kind(std::uint8_t code, bool* hard) {
  switch (code) {
    case 0:
      *hard = false;
      return IcmpError::Kind::kNetUnreachable;
    case 1:
    case 5:
      *hard = true;
      return IcmpError::Kind::kAdminProhibited;
    case 4:
    case 6:
      *hard = true;
      return IcmpError::Kind::kPortUnreachable;
    default:
      *hard = false;
      return IcmpError::Kind::kHostUnreachable;
  }
}

const Ipv6Addr kAllNodesNodeLocal = *Ipv6Addr::parse("ff01::1");

}  // namespace

bool Stack::is_our_v6_destination(const Ipv6Addr& dst, bool* tentative) const {
  *tentative = false;
  if (dst.is_multicast()) {
    if (dst == Ipv6Addr::all_nodes() || dst == kAllNodesNodeLocal) return true;
    // RFC 4861 §7.2.1: we join the solicited-node group of every address, tentative ones too
    // (RFC 4862 §5.4.2), so DAD probes reach us.
    for (const Address& a : addrs_) {
      if (a.cidr.addr.is_v6() && a.state != AddressState::kDuplicate &&
          Ipv6Addr::solicited_node(a.cidr.addr.v6()) == dst) {
        return true;
      }
    }
    return groups_.is_member(dst);  // joined with join_group()
  }
  const Address* a = find_address(dst);
  if (!a) return false;
  if (a->state == AddressState::kTentative) *tentative = true;
  return a->state == AddressState::kPreferred;
}

std::optional<Ipv6Addr> Stack::link_local_address() const {
  for (const Address& a : addrs_) {
    if (a.cidr.addr.is_v6() && a.cidr.addr.v6().is_link_local() &&
        a.state == AddressState::kPreferred) {
      return a.cidr.addr.v6();
    }
  }
  return std::nullopt;
}

void Stack::ipv6_input(Instant now, Bytes packet, bool link_multicast, bool reassembled) {
  if (rx_offload_.gso == PacketOffload::Gso::kUdpL4) {
    uso_input(now, packet, link_multicast);
    return;
  }
  if (!reassembled) counters_.inc(Ctr::kIp6InReceives);
  auto ip = Ipv6Repr::parse(packet);
  if (!ip) {
    drop_parse(now, ParseLayer::kIpv6, ip.error());
    return;
  }
  packet = packet.first(ip->total_len());  // without link-layer padding
  if (ip->src.is_multicast()) {
    drop(now, Ctr::kDropIpv6BadSource);
    return;
  }
  bool tentative = false;
  // StackConfig::transparent: TCP and UDP to any unicast address (fragments are checked again
  // once reassembled).
  bool transit = cfg_.transparent && !ip->dst.is_multicast() && !ip->dst.is_unspecified() &&
                 !find_address(ip->dst) &&
                 (ip->upper_proto == IpProto::kTcp || ip->upper_proto == IpProto::kUdp ||
                  ip->upper_proto == IpProto::kIpv6Frag ||
                  (cfg_.relay_echo && ip->upper_proto == IpProto::kIcmpv6));
  if (!transit && !is_our_v6_destination(ip->dst, &tentative)) {
    // RFC 4862 §5.4: packets to a tentative address are silently discarded.
    Ctr why = tentative ? Ctr::kDropIpv6ToTentative : Ctr::kDropIpv6NotForUs;
    if (ip->dst.is_multicast()) why = Ctr::kDropIpv6MulticastNotMember;
    drop(now, why);
    return;
  }
  bool multicast = ip->dst.is_multicast();

  // RFC 8200 §4.2: unrecognised options act by their two high-order bits.
  for (const Ipv6Option& o : ip->options()) {
    if (o.type == ipv6_option::kRouterAlert) continue;
    switch (o.action()) {
      case Ipv6OptionAction::kSkip:
        continue;
      case Ipv6OptionAction::kDiscard:
        drop(now, Ctr::kDropIpv6UnknownOption);
        return;
      case Ipv6OptionAction::kDiscardSendProblem:
        drop(now, Ctr::kDropIpv6UnknownOption);
        send_icmpv6_error(now, packet, 4, 2, o.offset, true);
        return;
      case Ipv6OptionAction::kDiscardSendProblemUnicast:
        drop(now, Ctr::kDropIpv6UnknownOption);
        if (!multicast) send_icmpv6_error(now, packet, 4, 2, o.offset, false);
        return;
    }
  }
  // RFC 8200 §4.4: we implement no routing type; one with segments left must not be ignored.
  if (ip->routing && ip->routing->segments_left > 0) {
    drop(now, Ctr::kDropIpv6RoutingHeader);
    send_icmpv6_error(now, packet, 4, 0, ip->routing->offset + 2u, false);
    return;
  }

  if (ip->frag) {
    const Ipv6FragHeader& fh = *ip->frag;
    // Where the Fragment header is and which byte names it (6, or the previous header's
    // Next Header byte).
    std::size_t frag_off = 0, name_pos = 6;
    for (const Ipv6ExtHeader& h : ip->ext_headers()) {
      if (h.type == IpProto::kIpv6Frag) {
        frag_off = h.offset;
        break;
      }
      name_pos = h.offset;
    }
    if (reassembled || frag_off == 0) {
      drop(now, Ctr::kDropIpv6BadFragment);
      return;
    }
    Bytes data = ip->upper_payload;
    // RFC 8200 §4.5: a non-last fragment must be a multiple of 8 bytes long ...
    if (fh.more_frags && data.size() % 8 != 0) {
      drop(now, Ctr::kDropIpv6BadFragment);
      send_icmpv6_error(now, packet, 4, 0, 4, false);
      return;
    }
    // ... and no fragment may reach past 65535 bytes.
    if (fh.frag_offset_bytes() + data.size() > 65535) {
      drop(now, Ctr::kDropIpv6BadFragment);
      send_icmpv6_error(now, packet, 4, 0, static_cast<std::uint32_t>(frag_off + 2), false);
      return;
    }
    Bytes payload = data;
    auto upper = static_cast<std::uint8_t>(fh.next_header);
    if (fh.is_atomic()) {
      // RFC 6946 §4: an atomic fragment is processed on its own, never mixed into a queue.
      counters_.inc(Ctr::kIp6AtomicFragments);
      unfrag_.assign(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(frag_off));
    } else {
      counters_.inc(Ctr::kIp6ReasmReqds);
      ReassemblyKey key{ip->src, ip->dst, fh.ident, 0};
      // The engine keeps the first fragment's headers up to and including its Fragment
      // header: quoted as received in a Time Exceeded, cut back when rebuilding.
      auto r = reasm_v6_.add(now, key, fh.frag_offset_bytes(), data, fh.more_frags,
                             packet.first(frag_off + Ipv6FragHeader::kLen),
                             static_cast<std::uint8_t>(fh.next_header));
      count_evictions(now, r.evicted, Ctr::kIp6ReasmFails, Ctr::kDropIpv6ReasmEvicted);
      Ctr fail = Ctr::kIp6ReasmFails;
      switch (r.outcome) {
        case Reassembler::Outcome::kIncomplete:
        case Reassembler::Outcome::kDuplicate:
          return;
        case Reassembler::Outcome::kComplete:
          fail = Ctr::kCount;
          break;
        case Reassembler::Outcome::kOverlap:
          // RFC 5722 §4: overlapping fragments discard the whole datagram, silently.
          drop(now, Ctr::kDropIpv6ReasmOverlap);
          break;
        case Reassembler::Outcome::kTooBig:
          drop(now, Ctr::kDropIpv6ReasmTooBig);
          break;
        case Reassembler::Outcome::kInconsistent:
          drop(now, Ctr::kDropIpv6BadFragment);
          break;
        case Reassembler::Outcome::kMemoryFull:
          drop(now, Ctr::kDropIpv6ReasmMemory);
          break;
        case Reassembler::Outcome::kTooManyDatagrams:
          drop(now, Ctr::kDropIpv6ReasmTooMany);
          break;
      }
      if (fail != Ctr::kCount) {
        counters_.inc(fail);
        return;
      }
      // RFC 8200 §4.5: the unfragmentable part comes from the first fragment. Its layout
      // (where the Fragment header sits) must match this fragment's.
      if (r.first_header.size() != frag_off + Ipv6FragHeader::kLen) {
        counters_.inc(Ctr::kIp6ReasmFails);
        drop(now, Ctr::kDropIpv6BadFragment);
        return;
      }
      counters_.inc(Ctr::kIp6ReasmOks);
      unfrag_.assign(r.first_header.begin(),
                     r.first_header.begin() + static_cast<std::ptrdiff_t>(frag_off));
      payload = r.payload;
      upper = r.first_proto;  // RFC 8200 §4.5: the first fragment's Next Header counts
    }
    unfrag_[name_pos] = upper;
    std::size_t payload_len = unfrag_.size() - Ipv6Repr::kHeaderLen + payload.size();
    if (payload_len > 65535) {
      drop(now, Ctr::kDropIpv6ReasmTooBig);
      return;
    }
    rebuilt_.assign(unfrag_.begin(), unfrag_.end());
    rebuilt_.insert(rebuilt_.end(), payload.begin(), payload.end());
    store_be16(rebuilt_, 4, static_cast<std::uint16_t>(payload_len));
    if (offer_reassembled(now, rebuilt_, link_multicast)) return;
    ipv6_input(now, rebuilt_, link_multicast, true);
    return;
  }

  // RFC 8200 §4: an unrecognised Next Header → Parameter Problem code 1.
  IpProto proto = ip->upper_proto;
  if (ip->unknown_header) {
    drop(now, Ctr::kDropIpv6UnknownNextHeader);
    send_icmpv6_error(now, packet, 4, 1, ip->unknown_header->pointer, false);
    return;
  }
  if (proto == IpProto::kIpv6NoNext) {
    drop(now, Ctr::kDropIpv6NoNextHeader);
    return;
  }
  if (proto != IpProto::kIcmpv6 && proto != IpProto::kUdp &&
      !transports_[static_cast<std::uint8_t>(proto)]) {
    drop(now, Ctr::kDropIpv6UnknownNextHeader);
    send_icmpv6_error(now, packet, 4, 1, ip->upper_proto_pointer, false);
    return;
  }
  IpRxMeta meta;
  meta.src = ip->src;
  meta.dst = ip->dst;
  meta.proto = proto;
  meta.hop_limit = ip->hop_limit;
  meta.tos = ip->traffic_class;
  meta.dst_is_broadcast_or_multicast = multicast || link_multicast;
  // The device vouched for this packet's transport checksum (DATA_VALID), or it is partial
  // (NEEDS_CSUM: the local kernel leaves it to the device): either way not ours to verify. A
  // reassembled datagram's fragments were never covered one by one.
  meta.checksum_verified =
      (caps_.rx_checksum_verified || rx_offload_.checksum_trusted()) && !reassembled;
  deliver(now, meta, ip->upper_payload, packet);
}

void Stack::icmpv6_input(Instant now, const IpRxMeta& meta, Bytes message, Bytes packet) {
  counters_.inc(Ctr::kIcmp6InMsgs);
  Ipv6Addr src = meta.src.v6(), dst = meta.dst.v6();
  auto icmp = Icmpv6Repr::parse(message, src, dst);
  if (!icmp) {
    drop_parse(now, ParseLayer::kIcmpv6, icmp.error());
    return;
  }
  trace(now, TraceKind::kIcmp, to_string(icmp->type), message.size(),
        static_cast<std::uint8_t>(icmp->type), meta.dst, meta.src);
  if (icmp_in_transit(now, meta, icmp->type == Icmpv6Type::kEchoRequest, icmp->ident, icmp->seq_no,
                      icmp->data)) {
    return;
  }
  if (icmp->is_ndp()) {
    ndp_input(now, meta, message);
    return;
  }
  switch (icmp->type) {
    case Icmpv6Type::kMldQuery:
    case Icmpv6Type::kMldReport:
    case Icmpv6Type::kMldDone:
    case Icmpv6Type::kMldv2Report:
      mld_input(now, meta, message, packet);
      return;
    default:
      break;
  }
  IcmpError err;
  switch (icmp->type) {
    case Icmpv6Type::kEchoRequest: {
      counters_.inc(Ctr::kIcmp6InEchos);
      // RFC 4443 §4.2: a reply to a multicast request comes from one of our unicast addresses.
      std::optional<IpAddr> from = meta.dst;
      if (dst.is_multicast()) from = select_source(meta.src);
      if (!from) return;
      Icmpv6Repr reply = Icmpv6Repr::echo_reply_to(*icmp);
      counters_.inc(Ctr::kIcmp6OutMsgs);
      counters_.inc(Ctr::kIcmp6OutEchoReps);
      Ipv6Addr s = from->v6();
      send_ip(now, *from, meta.src, IpProto::kIcmpv6, reply.buffer_len(),
              [&](MutBytes out) { reply.emit(out, s, src); });
      return;
    }
    case Icmpv6Type::kEchoReply:
      counters_.inc(Ctr::kIcmp6InEchoReps);
      queue_echo_reply(now, meta, icmp->ident, icmp->seq_no, icmp->data);
      return;
    case Icmpv6Type::kDestUnreachable:
      counters_.inc(Ctr::kIcmp6InDestUnreachs);
      err.kind = unreach6_kind(icmp->code, &err.hard);
      break;
    case Icmpv6Type::kPacketTooBig:
      counters_.inc(Ctr::kIcmp6InPktTooBigs);
      err.kind = IcmpError::Kind::kFragmentationNeeded;
      err.next_hop_mtu = icmp->mtu;
      break;
    case Icmpv6Type::kTimeExceeded:
      counters_.inc(Ctr::kIcmp6InTimeExcds);
      err.kind = IcmpError::Kind::kTimeExceeded;
      break;
    case Icmpv6Type::kParamProblem:
      counters_.inc(Ctr::kIcmp6InParmProbs);
      err.kind = IcmpError::Kind::kParameterProblem;
      err.hard = true;
      break;
    default:
      // Unknown informational messages (RFC 4443 §2.4(b): silently discarded).
      drop(now, Ctr::kDropIcmp6UnhandledType);
      return;
  }
  auto quote = icmp->quote();
  if (!quote) {
    drop_parse(now, ParseLayer::kIcmpv6, quote.error());
    return;
  }
  if (!take_quote(now, *quote, Ctr::kDropIcmp6UnmatchedError, err)) return;
  err.type = static_cast<std::uint8_t>(icmp->type);
  err.code = icmp->code;
  err.reporter = meta.src;
  deliver_icmp_error(now, err);
  (void)packet;
}

void Stack::send_icmpv6_error(Instant now, Bytes offending, std::uint8_t type, std::uint8_t code,
                              std::uint32_t param, bool allow_multicast_dst) {
  if (offending.size() < Ipv6Repr::kHeaderLen) return;
  Ipv6Addr src = Ipv6Addr::from_bytes(offending.subspan(8, 16));
  Ipv6Addr dst = Ipv6Addr::from_bytes(offending.subspan(24, 16));
  // RFC 4443 §2.4(e): never to an address that is not one host, never about an error
  // message, and about a multicast packet only for Packet Too Big and unknown options.
  if (src.is_unspecified() || src.is_multicast()) return;
  if (dst.is_multicast() && !allow_multicast_dst) return;
  auto ip = Ipv6Repr::parse(offending);
  if (ip && ip->upper_proto == IpProto::kIcmpv6 && !ip->frag && !ip->upper_payload.empty() &&
      ip->upper_payload[0] < 128) {
    return;
  }
  // RFC 4443 §2.4(f): rate limited.
  if (!icmp_limiter_.allow(now, src)) {
    counters_.inc(Ctr::kIcmp6OutRateLimited);
    trace(now, TraceKind::kDrop, counter_name(Ctr::kIcmp6OutRateLimited));
    return;
  }
  std::optional<IpAddr> from;
  if (!dst.is_multicast() && find_address(dst)) {
    from = dst;
  } else {
    from = select_source(src);
  }
  if (!from || !from->is_v6()) return;
  Icmpv6Repr msg;
  switch (type) {
    case 1:
      msg = Icmpv6Repr::dest_unreachable(static_cast<Icmpv6Unreach>(code), offending);
      counters_.inc(Ctr::kIcmp6OutDestUnreachs);
      break;
    case 3:
      msg = Icmpv6Repr::time_exceeded(static_cast<Icmpv6TimeExceeded>(code), offending);
      counters_.inc(Ctr::kIcmp6OutTimeExcds);
      break;
    default:
      msg = Icmpv6Repr::param_problem(static_cast<Icmpv6ParamProblem>(code), param, offending);
      counters_.inc(Ctr::kIcmp6OutParmProbs);
      break;
  }
  counters_.inc(Ctr::kIcmp6OutMsgs);
  trace(now, TraceKind::kIcmp, to_string(msg.type), msg.buffer_len(), type, *from, src);
  Ipv6Addr s = from->v6();
  send_ip(now, *from, src, IpProto::kIcmpv6, msg.buffer_len(),
          [&](MutBytes out) { msg.emit(out, s, src); });
}

// --- Neighbor Discovery ---

void Stack::send_ndp(Instant now, const Ipv6Addr& src, const Ipv6Addr& dst,
                     std::optional<MacAddr> dst_mac,
                     FunctionRef<void(MutBytes, const Ipv6Addr&, const Ipv6Addr&)> emit,
                     std::size_t len) {
  Ipv6Repr ip;
  ip.hop_limit = 255;  // RFC 4861 §6.1, §7.1: proves the message was not forwarded
  ip.src = src;
  ip.dst = dst;
  ip.next_header = IpProto::kIcmpv6;
  ip.payload_len = static_cast<std::uint16_t>(len);
  link_output(now, LinkDest{dst, dst_mac}, ip.total_len(), [&](MutBytes out) {
    ip.emit(out);
    emit(out.subspan(Ipv6Repr::kHeaderLen, len), src, dst);
  });
}

void Stack::send_neighbor_solicit(Instant now, const Ipv6Addr& target,
                                  std::optional<MacAddr> unicast, bool dad) {
  Ipv6Addr src;  // RFC 4862 §5.4.2: DAD probes come from :: without a link-layer option
  std::optional<MacAddr> sllao;
  if (!dad) {
    std::optional<IpAddr> s = select_source(target);
    if (!s) return;
    src = s->v6();
    sllao = mac_;
  }
  Ipv6Addr dst = unicast ? target : Ipv6Addr::solicited_node(target);
  MacAddr dst_mac = unicast ? *unicast : dst.multicast_mac();
  NdpRepr ns = NdpRepr::neighbor_solicit(target, sllao);
  counters_.inc(Ctr::kNdpOutNs);
  send_ndp(
      now, src, dst, dst_mac,
      [&](MutBytes out, const Ipv6Addr& s, const Ipv6Addr& d) { ns.emit(out, s, d); },
      ns.buffer_len());
}

void Stack::dad_conflict(Instant now, Address& a) {
  // RFC 4862 §5.4.5: the address is a duplicate and must not be used.
  a.state = AddressState::kDuplicate;
  a.deadline = Instant::never();
  leave_solicited_node(now, a);
  counters_.inc(Ctr::kNdpDadConflicts);
  trace(now, TraceKind::kNeighbor, "DAD-duplicate", 0, 0, a.cidr.addr, {});
}

void Stack::ndp_input(Instant now, const IpRxMeta& meta, Bytes message) {
  if (caps_.medium != Medium::kEthernet) {
    drop(now, Ctr::kDropIcmp6UnhandledType);  // no link layer to discover on a TUN
    return;
  }
  // RFC 4861 §6.1.2, §7.1.1, §7.1.2: hop limit 255 proves the sender is on-link.
  if (meta.hop_limit != 255) {
    drop(now, Ctr::kDropIpv6BadHopLimitNdp);
    return;
  }
  Ipv6Addr src = meta.src.v6(), dst = meta.dst.v6();
  auto ndp = NdpRepr::parse(message, src, dst, ChecksumCheck::kSkip);
  if (!ndp) {
    drop_parse(now, ParseLayer::kNdp, ndp.error());
    return;
  }
  const NdpOptions& opt = ndp->options;
  switch (ndp->type) {
    case Icmpv6Type::kNeighborSolicit: {
      counters_.inc(Ctr::kNdpInNs);
      Address* a = find_address(ndp->target);
      if (!a || a->state == AddressState::kDuplicate) {
        drop(now, Ctr::kDropNdpNotForUs);
        return;
      }
      if (src.is_unspecified()) {
        // Someone is probing for this address (DAD).
        if (a->state == AddressState::kTentative) {
          dad_conflict(now, *a);  // RFC 4862 §5.4.3
          return;
        }
        // RFC 4861 §7.2.4: answer to all-nodes, not solicited.
        NdpRepr na = NdpRepr::neighbor_advert(ndp->target, mac_, false, false, true);
        counters_.inc(Ctr::kNdpOutNa);
        send_ndp(
            now, ndp->target, Ipv6Addr::all_nodes(), Ipv6Addr::all_nodes().multicast_mac(),
            [&](MutBytes out, const Ipv6Addr& s, const Ipv6Addr& d) { na.emit(out, s, d); },
            na.buffer_len());
        return;
      }
      if (a->state == AddressState::kTentative) return;  // RFC 4862 §5.4.3: not answered yet
      if (opt.source_link_addr) {
        ndp_.on_lladdr(now, src, *opt.source_link_addr, true);
        flush_neighbor_queue(now, ndp_, src);
      }
      NdpRepr na = NdpRepr::neighbor_advert(ndp->target, mac_, false, true, true);
      counters_.inc(Ctr::kNdpOutNa);
      Ipv6Addr target = ndp->target;
      send_ndp(
          now, target, src, opt.source_link_addr,
          [&](MutBytes out, const Ipv6Addr& s, const Ipv6Addr& d) { na.emit(out, s, d); },
          na.buffer_len());
      return;
    }
    case Icmpv6Type::kNeighborAdvert: {
      counters_.inc(Ctr::kNdpInNa);
      if (Address* a = find_address(ndp->target)) {
        // RFC 4862 §5.4.4: an advert for a tentative address means it is taken.
        if (a->state == AddressState::kTentative) {
          dad_conflict(now, *a);
        } else {
          counters_.inc(Ctr::kNdpDadConflicts);  // someone else claims an address we use
        }
        return;
      }
      std::optional<MacAddr> mac = opt.target_link_addr;
      if (!mac) mac = ndp_.link_addr(ndp->target);
      if (!mac) return;  // RFC 4861 §7.2.5: nothing to learn for an INCOMPLETE entry
      if (ndp_.on_advert(now, ndp->target, *mac, ndp->solicited, ndp->override_)) {
        flush_neighbor_queue(now, ndp_, ndp->target);
      }
      return;
    }
    case Icmpv6Type::kRouterAdvert: {
      counters_.inc(Ctr::kNdpInRa);
      ra_received_ = true;
      rs_left_ = 0;
      rs_deadline_ = Instant::never();
      if (opt.source_link_addr) {
        ndp_.on_lladdr(now, src, *opt.source_link_addr, true);  // RFC 4861 §6.3.4
        flush_neighbor_queue(now, ndp_, src);
      }
      if (ndp->cur_hop_limit) hop_limit_v6_ = ndp->cur_hop_limit;
      IpCidr any{Ipv6Addr::any(), 0};
      if (ndp->router_lifetime_s > 0) {
        routes_.add(Route{any, IpAddr(src), RouteOrigin::kRouterAdvert,
                          now + Duration::seconds(ndp->router_lifetime_s)});
      } else {
        routes_.remove(any, IpAddr(src));
      }
      // RFC 4861 §6.3.4: an MTU option within what the link carries sets the link MTU.
      if (opt.mtu && *opt.mtu >= PmtuCache::kMinMtuV6 && *opt.mtu <= caps_.mtu) {
        ra_mtu_ = *opt.mtu;
      }
      for (std::size_t i = 0; i < opt.prefix_count; ++i) {
        const NdpPrefixInfo& p = opt.prefixes[i];
        if (p.prefix.is_link_local()) continue;  // RFC 4861 §6.3.4, RFC 4862 §5.5.3 b)
        IpCidr cidr{p.prefix, p.prefix_len};
        if (p.on_link) {
          if (p.valid_lifetime_s == 0) {
            routes_.remove(cidr, std::nullopt);
          } else {
            Instant exp = p.valid_lifetime_s == 0xffffffffu
                              ? Instant::never()
                              : now + Duration::seconds(p.valid_lifetime_s);
            routes_.add(Route{cidr, std::nullopt, RouteOrigin::kRouterAdvert, exp});
          }
        }
        if (p.autonomous && cfg_.slaac && p.prefix_len == 64 && p.valid_lifetime_s > 0 &&
            p.preferred_lifetime_s <= p.valid_lifetime_s) {
          add_slaac_address(now, p.prefix, p.valid_lifetime_s);
        }
      }
      return;
    }
    case Icmpv6Type::kRouterSolicit: {
      // Hop limit 255, code 0, at least 8 octets, options of non-zero length and no source
      // link-layer option from :: were checked above (RFC 4861 §6.1.1).
      if (!cfg_.queue_router_solicits) {
        drop(now, Ctr::kDropIcmp6UnhandledType);  // router solicitations are for routers
        return;
      }
      counters_.inc(Ctr::kNdpInRs);
      // RFC 4861 §6.2.6: a source link-layer option updates (or creates, STALE) the entry.
      if (!src.is_unspecified() && opt.source_link_addr) {
        ndp_.on_lladdr(now, src, *opt.source_link_addr, true);
        flush_neighbor_queue(now, ndp_, src);
      }
      if (router_solicits_.size() >= cfg_.router_solicit_queue_limit) {
        drop(now, Ctr::kDropRouterSolicitQueueFull);
        return;
      }
      router_solicits_.push_back(RouterSolicit{now, src});
      return;
    }
    default:
      // Redirects are not followed.
      drop(now, Ctr::kDropIcmp6UnhandledType);
      return;
  }
}

void Stack::add_slaac_address(Instant now, const Ipv6Addr& prefix, std::uint32_t valid_s) {
  // RFC 4862 §5.5.3 d): prefix + our modified EUI-64 interface identifier.
  std::array<std::uint8_t, 16> b = prefix.array();
  Ipv6Addr link_local = Ipv6Addr::link_local_from_mac(mac_);
  const auto& iid = link_local.array();
  std::copy(iid.begin() + 8, iid.end(), b.begin() + 8);
  Ipv6Addr addr(b);
  Instant until = valid_s == 0xffffffffu ? Instant::never() : now + Duration::seconds(valid_s);
  if (Address* a = find_address(addr)) {
    // RFC 4862 §5.5.3 e), simplified: refresh the lifetime (never below two hours' worth
    // of what is left, so a forged RA cannot expire it at once).
    Instant floor = std::min(a->valid_until, now + Duration::seconds(7200));
    a->valid_until = std::max(until, floor);
    return;
  }
  add_address(IpCidr{addr, 64});
  if (Address* a = find_address(addr)) a->valid_until = until;
}

bool Stack::run_address_timers(Instant now) {
  bool did = false;
  std::vector<IpAddr> expired;
  bool ethernet = caps_.medium == Medium::kEthernet;
  for (Address& a : addrs_) {
    if (a.valid_until <= now) {
      expired.push_back(a.cidr.addr);
      continue;
    }
    if (a.deadline > now || a.state == AddressState::kDuplicate) continue;
    did = true;
    if (a.cidr.addr.is_v4()) {
      if (a.probes_left > 0 && ethernet) {
        // Gratuitous ARP (RFC 5227 §3 announcement; RFC 826 caches update on it).
        Ipv4Addr v4 = a.cidr.addr.v4();
        send_arp(now, MacAddr::broadcast(), ArpRepr::request(mac_, v4, v4));
        counters_.inc(Ctr::kArpOutGratuitous);
        a.probes_left--;
      }
      a.deadline = a.probes_left > 0 ? now + Duration::seconds(1) : Instant::never();
      continue;
    }
    // RFC 4862 §5.4.2: the solicited-node group is joined before the first probe.
    join_solicited_node(now, a);
    if (a.state == AddressState::kTentative) {
      if (a.probes_left > 0) {
        send_neighbor_solicit(now, a.cidr.addr.v6(), std::nullopt, true);
        a.probes_left--;
        a.deadline = now + cfg_.ndp.retrans_timer;  // RFC 4862 §5.4.2 RetransTimer
        continue;
      }
      a.state = AddressState::kPreferred;  // RFC 4862 §5.4.5: no conflict heard
      trace(now, TraceKind::kNeighbor, "DAD-ok", 0, 0, a.cidr.addr, {});
    }
    a.deadline = Instant::never();
    // RFC 4861 §6.3.7: once the link-local address is usable, solicit routers.
    if (ethernet && a.cidr.addr.v6().is_link_local() && !rs_started_) {
      rs_started_ = true;
      rs_left_ = cfg_.max_rtr_solicitations;
      rs_deadline_ = now;
    }
  }
  for (const IpAddr& x : expired) {
    remove_address(x);
    did = true;
  }
  if (rs_deadline_ <= now) {
    if (rs_left_ > 0 && !ra_received_) {
      std::optional<Ipv6Addr> ll = link_local_address();
      NdpRepr rs = NdpRepr::router_solicit(ll ? std::optional<MacAddr>(mac_) : std::nullopt);
      Ipv6Addr all_routers = Ipv6Addr::all_routers();
      counters_.inc(Ctr::kNdpOutRs);
      send_ndp(
          now, ll.value_or(Ipv6Addr::any()), all_routers, all_routers.multicast_mac(),
          [&](MutBytes out, const Ipv6Addr& s, const Ipv6Addr& d) { rs.emit(out, s, d); },
          rs.buffer_len());
      rs_left_--;
      did = true;
    }
    rs_deadline_ = rs_left_ > 0 ? now + cfg_.rtr_solicitation_interval : Instant::never();
  }
  return did;
}

}  // namespace ustack
