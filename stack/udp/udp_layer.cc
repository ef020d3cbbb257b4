// The UDP layer's user API: sockets, sending (RFC 768, RFC 1122 §4.1.3.4, RFC 8085), reading,
// options, group membership, and the counters' text. Binding lives in udp_bind.cc, the
// receive path in udp_demux.cc.
#include "stack/udp/udp_layer.h"

#include <algorithm>
#include <string_view>

#include "stack/counters.h"
#include "stack/wire/udp.h"

namespace ustack {

namespace {

constexpr std::size_t kIpv4HeaderLen = 20;
constexpr std::size_t kIpv6HeaderLen = 40;

struct CounterField {
  const char* name;
  std::uint64_t UdpLayerCounters::*field;
};

// Declaration order is print order; drops.* are printed last under "Drops:" (as Counters).
constexpr CounterField kCounterFields[] = {
    {"udp.in_datagrams", &UdpLayerCounters::in_datagrams},
    {"udp.out_datagrams", &UdpLayerCounters::out_datagrams},
    {"udp.no_ports", &UdpLayerCounters::no_ports},
    {"udp.icmp_errors_delivered", &UdpLayerCounters::icmp_errors_delivered},
    {"udp.icmp_errors_ignored", &UdpLayerCounters::icmp_errors_ignored},
    {"udp.send_errors", &UdpLayerCounters::send_errors},
    {"udp.ignored_multi", &UdpLayerCounters::ignored_multi},
    {"drops.udp_bad_checksum", &UdpLayerCounters::drops_bad_checksum},
    {"drops.udp_malformed", &UdpLayerCounters::drops_malformed},
    {"drops.udp_rcvbuf_full", &UdpLayerCounters::drops_rcvbuf_full},
};

bool is_broadcast(const IpAddr& a, const IpSender& ip) {
  return a.is_v4() && (a.v4().is_broadcast() || ip.is_broadcast_address(a));
}

}  // namespace

const char* to_string(UdpError e) {
  switch (e) {
    case UdpError::kWouldBlock:
      return "would block";
    case UdpError::kBadHandle:
      return "bad handle";
    case UdpError::kInvalid:
      return "invalid argument";
    case UdpError::kAddressInUse:
      return "address in use";
    case UdpError::kAddressNotAvailable:
      return "address not available";
    case UdpError::kFamilyMismatch:
      return "address family mismatch";
    case UdpError::kDestinationRequired:
      return "destination address required";
    case UdpError::kNotConnected:
      return "not connected";
    case UdpError::kMessageTooBig:
      return "message too big";
    case UdpError::kAccessDenied:
      return "access denied";
    case UdpError::kNetUnreachable:
      return "network unreachable";
    case UdpError::kConnectionRefused:
      return "connection refused";
    case UdpError::kHostUnreachable:
      return "host unreachable";
    case UdpError::kNoBuffers:
      return "no buffer space";
  }
  return "unknown";
}

std::string UdpLayerCounters::to_string(bool include_zero) const {
  std::string udp, drops;
  for (const CounterField& f : kCounterFields) {
    std::uint64_t value = this->*f.field;
    if (value == 0 && !include_zero) continue;
    std::string_view name = f.name;
    append_counter(name.starts_with("drops.") ? drops : udp, value,
                   name.substr(name.find('.') + 1));
  }
  std::string out;
  if (!udp.empty()) out = "Udp:\n" + udp;
  if (!drops.empty()) out += "Drops:\n" + drops;
  return out;
}

UdpLayer::UdpLayer(const UdpLayerConfig& config, Tracer* tracer) : cfg_(config), tracer_(tracer) {
  Rng rng(config.seed ^ 0x7564702d6b657973ull);  // "udp-keys"
  SipKey port_key{rng.next_u64(), rng.next_u64()};
  ports_ = PortAllocator(port_key, rng.next_u32(), config.ephemeral_low, config.ephemeral_high);
  reuseport_key_ = {rng.next_u64(), rng.next_u64()};
  connected_ = decltype(connected_)(16, TupleHash{{rng.next_u64(), rng.next_u64()}});
  port_rng_ = Rng(rng.next_u64());
}

UdpLayer::~UdpLayer() = default;

SocketHandle UdpLayer::open(IpVersion family) {
  auto s = std::make_unique<Socket>();
  s->family = family;
  s->opts = cfg_.defaults;
  s->local = family == IpVersion::kV4 ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any());
  return table_.insert(std::move(s));
}

// --- Sending --------------------------------------------------------------------------------

Result<IpAddr, UdpError> UdpLayer::source_for(const Socket& s, const IpAddr& dst,
                                              const IpSender& ip) const {
  // IP_MULTICAST_IF: a group's datagrams leave from the chosen address.
  if (dst.is_multicast() && !s.opts.multicast_source.is_unspecified()) {
    return s.opts.multicast_source;
  }
  std::optional<IpAddr> route = ip.select_source(dst);
  if (!route) return Err(UdpError::kNetUnreachable);
  // A unicast address the socket is bound to is the source; a socket bound to the any,
  // a group or a broadcast address sends from the route's (Linux ip_route_connect).
  if (!s.local.is_unspecified() && ip.is_local_address(s.local)) return s.local;
  return *route;
}

std::optional<UdpError> UdpLayer::check_destination(const Socket& s, const UdpEndpoint& to,
                                                    std::size_t len, const IpSender& ip) const {
  if (to.addr.version() != s.family) return UdpError::kFamilyMismatch;
  // Linux udp_sendmsg: port 0 is EINVAL.
  if (to.port == 0 || to.addr.is_unspecified()) return UdpError::kInvalid;
  // RFC 768: the length field is 16 bits, and the IPv4 total length too (RFC 791).
  bool v4 = s.family == IpVersion::kV4;
  if (len > (v4 ? kMaxPayloadV4 : kMaxPayloadV6)) return UdpError::kMessageTooBig;
  // RFC 1122 §4.1.3.4 / Linux ip(7) SO_BROADCAST: sending to a broadcast address is allowed
  // only when the application asked for it.
  if (is_broadcast(to.addr, ip) && !s.opts.broadcast) return UdpError::kAccessDenied;
  // ip(7) IP_PMTUDISC_DO: never fragment, so a datagram larger than the path is EMSGSIZE.
  if (s.opts.ip.pmtu == PmtuDiscovery::kDo) {
    std::size_t packet = (v4 ? kIpv4HeaderLen : kIpv6HeaderLen) + UdpRepr::kHeaderLen + len;
    if (packet > ip.path_mtu(to.addr)) return UdpError::kMessageTooBig;
  }
  return std::nullopt;
}

Result<std::size_t, UdpError> UdpLayer::send_to(Instant now, SocketHandle h, Bytes data,
                                                std::optional<UdpEndpoint> to, IpSender& out) {
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(UdpError::kBadHandle);
  // Linux: an ICMP error recorded on the socket is reported (once) by the next call.
  if (std::optional<UdpError> e = take_error(h)) return Err(*e);
  auto refuse = [&](UdpError e) {
    ++counters_.send_errors;
    UdpEndpoint peer = to ? *to : s->remote.value_or(UdpEndpoint{});
    trace_drop(now, "udp.send_errors", Tuple{s->local, peer.addr, s->port, peer.port}, data.size());
    return Err(e);
  };
  // Linux inet_autobind: the socket gets its port before anything else is checked.
  if (auto e = autobind(h, *s)) return refuse(*e);
  if (!to && !s->remote) return refuse(UdpError::kDestinationRequired);
  UdpEndpoint dst = to ? *to : *s->remote;
  if (auto e = check_destination(*s, dst, data.size(), out)) return refuse(*e);
  auto src = source_for(*s, dst.addr, out);
  if (!src) return refuse(src.error());
  if (!emit(now, *s, *src, s->port, dst, data, out)) return refuse(UdpError::kNoBuffers);
  return data.size();
}

bool UdpLayer::emit(Instant now, const Socket& s, const IpAddr& src, std::uint16_t src_port,
                    const UdpEndpoint& dst, Bytes data, IpSender& out) {
  UdpRepr repr;
  repr.src_port = src_port;
  repr.dst_port = dst.port;
  ChecksumMode mode = out.checksum_mode();
  bool sent = out.send(
      now, src, dst.addr, IpProto::kUdp, repr.buffer_len(data.size()),
      [&](MutBytes buf) { repr.emit(buf, data, src, dst.addr, mode); }, s.opts.ip);
  if (sent) ++counters_.out_datagrams;
  return sent;
}

std::optional<UdpError> UdpLayer::set_catch_all(SocketHandle h) {
  Socket* s = table_.get(h);
  if (s == nullptr) return UdpError::kBadHandle;
  if (s->port == 0) return UdpError::kInvalid;
  catch_all_[s->family == IpVersion::kV6 ? 1 : 0] = h;
  return std::nullopt;
}

Result<std::size_t, UdpError> UdpLayer::send_as(Instant now, SocketHandle h, Bytes data,
                                                const UdpEndpoint& from, const UdpEndpoint& to,
                                                IpSender& out) {
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(UdpError::kBadHandle);
  if (h != catch_all_[s->family == IpVersion::kV6 ? 1 : 0] || from.port == 0 ||
      from.addr.version() != s->family) {
    return Err(UdpError::kInvalid);
  }
  if (auto e = check_destination(*s, to, data.size(), out)) return Err(*e);
  if (!emit(now, *s, from.addr, from.port, to, data, out)) {
    ++counters_.send_errors;
    return Err(UdpError::kNoBuffers);
  }
  return data.size();
}

// --- Receiving ------------------------------------------------------------------------------

Result<UdpRecvInfo, UdpError> UdpLayer::recv_from(SocketHandle h, MutBytes out) {
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(UdpError::kBadHandle);
  if (std::optional<UdpError> e = take_error(h)) return Err(*e);
  if (s->queue.empty()) return Err(UdpError::kWouldBlock);
  Datagram d = std::move(s->queue.front());
  s->queue.pop_front();
  s->queued_bytes -= d.payload.size();
  // udp(7) MSG_TRUNC: the rest of a datagram longer than the buffer is discarded.
  std::size_t n = std::min(out.size(), d.payload.size());
  std::copy_n(d.payload.begin(), n, out.begin());
  UdpRecvInfo info{n, d.payload.size(), d.from, d.local, d.local_port};
  recycle(std::move(d.payload));
  return info;
}

Result<UdpRecvInfo, UdpError> UdpLayer::peek(SocketHandle h) const {
  const Socket* s = table_.get(h);
  if (s == nullptr) return Err(UdpError::kBadHandle);
  // The pending error is shown but stays for the next recv_from/send_to/take_error.
  if (s->pending_error) return Err(*s->pending_error);
  if (s->queue.empty()) return Err(UdpError::kWouldBlock);
  const Datagram& d = s->queue.front();
  return UdpRecvInfo{d.payload.size(), d.payload.size(), d.from, d.local, d.local_port};
}

// --- Multicast groups (RFC 1112 §7.1, RFC 3493 §5.2) -----------------------------------------

std::optional<UdpError> UdpLayer::join_group(Instant now, SocketHandle h, const IpAddr& group,
                                             IpSender& ip) {
  Socket* s = table_.get(h);
  if (s == nullptr) return UdpError::kBadHandle;
  if (!group.is_multicast() || group.version() != s->family) return UdpError::kInvalid;
  // Linux ip_mc_join_group: a second join of the same group is EADDRINUSE.
  if (std::ranges::find(s->groups, group) != s->groups.end()) return UdpError::kAddressInUse;
  if (!ip.join_group(now, group)) return UdpError::kInvalid;
  s->groups.push_back(group);
  return std::nullopt;
}

std::optional<UdpError> UdpLayer::leave_group(Instant now, SocketHandle h, const IpAddr& group,
                                              IpSender& ip) {
  Socket* s = table_.get(h);
  if (s == nullptr) return UdpError::kBadHandle;
  auto it = std::ranges::find(s->groups, group);
  // Linux ip_mc_leave_group: not a member is EADDRNOTAVAIL.
  if (it == s->groups.end()) return UdpError::kAddressNotAvailable;
  s->groups.erase(it);
  ip.leave_group(now, group);
  return std::nullopt;
}

// --- Options and state ----------------------------------------------------------------------

Result<UdpSocketOptions, UdpError> UdpLayer::options(SocketHandle h) const {
  const Socket* s = table_.get(h);
  if (s == nullptr) return Err(UdpError::kBadHandle);
  return s->opts;
}

std::optional<UdpError> UdpLayer::set_options(SocketHandle h, const UdpSocketOptions& opts) {
  Socket* s = table_.get(h);
  if (s == nullptr) return UdpError::kBadHandle;
  // The bind rules were applied with the flags the socket had when it bound.
  bool reuse_changed =
      opts.reuse_addr != s->opts.reuse_addr || opts.reuse_port != s->opts.reuse_port;
  if (s->port != 0 && reuse_changed) return UdpError::kInvalid;
  const IpAddr& mif = opts.multicast_source;
  if (!mif.is_unspecified() && (mif.version() != s->family || mif.is_multicast())) {
    return UdpError::kInvalid;
  }
  s->opts = opts;
  return std::nullopt;
}

std::optional<UdpError> UdpLayer::take_error(SocketHandle h) {
  Socket* s = table_.get(h);
  if (s == nullptr) return UdpError::kBadHandle;
  std::optional<UdpError> e = s->pending_error;
  s->pending_error.reset();
  return e;
}

std::optional<UdpLayer::ErrorReport> UdpLayer::take_error_report(SocketHandle h) {
  Socket* s = table_.get(h);
  if (s == nullptr || !s->pending_error) return std::nullopt;
  ErrorReport r{*s->pending_error, s->error_remote};
  s->pending_error.reset();
  return r;
}

UdpReadiness UdpLayer::readiness(SocketHandle h) const {
  UdpReadiness r;
  const Socket* s = table_.get(h);
  if (s == nullptr) {
    r.writable = false;
    r.error = true;
    return r;
  }
  r.error = s->pending_error.has_value();
  r.readable = r.error || !s->queue.empty();
  return r;
}

Result<UdpEndpoint, UdpError> UdpLayer::local_endpoint(SocketHandle h) const {
  const Socket* s = table_.get(h);
  if (s == nullptr) return Err(UdpError::kBadHandle);
  return UdpEndpoint{s->local, s->port};
}

Result<UdpEndpoint, UdpError> UdpLayer::remote_endpoint(SocketHandle h) const {
  const Socket* s = table_.get(h);
  if (s == nullptr) return Err(UdpError::kBadHandle);
  if (!s->remote) return Err(UdpError::kNotConnected);
  return *s->remote;
}

std::size_t UdpLayer::queued_bytes(SocketHandle h) const {
  const Socket* s = table_.get(h);
  return s ? s->queued_bytes : 0;
}

std::size_t UdpLayer::queued_datagrams(SocketHandle h) const {
  const Socket* s = table_.get(h);
  return s ? s->queue.size() : 0;
}

}  // namespace ustack
