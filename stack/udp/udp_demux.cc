// UDP receive path: parse, demultiplex, queue (RFC 768, RFC 1122 §4.1.3), and ICMP errors
// (RFC 1122 §4.1.3.3).
//
// Unicast demux follows Linux's __udp4_lib_lookup / compute_score: a socket connected to
// exactly this 4-tuple first, else the unconnected socket on the port whose local address
// matches best (the datagram's destination beats the any address); ties go to the SO_REUSEPORT
// group's hash pick, else to the socket bound last (SO_REUSEADDR). Broadcast and multicast go
// to every socket that matches (RFC 1122 §4.1.3.5 leaves it to the host; Linux
// __udp4_lib_mcast_deliver).
#include <algorithm>

#include "stack/udp/udp_layer.h"
#include "stack/wire/udp.h"

namespace ustack {

namespace {

// Linux's truesize puts a floor under what an empty datagram costs its socket; we count
// payload bytes, so empty datagrams are bounded by count instead (recv_buffer / this).
constexpr std::size_t kMinDatagramCharge = 256;
// Buffers kept for reuse after a datagram is read: a few, and only small ones, so a reused
// buffer never holds much more memory than the datagram it carries is charged for.
constexpr std::size_t kMaxSpareBuffers = 16;
constexpr std::size_t kMaxSpareCapacity = 2048;

// What a connected socket learns from an ICMP error about one of its datagrams.
// The error an ICMP message is for a socket: hard errors always (Linux icmp_err_convert's
// "fatal" ones), soft ones only with IP_RECVERR.
std::optional<UdpError> socket_error_for(IcmpError::Kind kind, bool recv_errors) {
  switch (kind) {
    case IcmpError::Kind::kPortUnreachable:
      return UdpError::kConnectionRefused;
    case IcmpError::Kind::kAdminProhibited:
      return UdpError::kHostUnreachable;  // Linux: EHOSTUNREACH, fatal
    case IcmpError::Kind::kHostUnreachable:
    case IcmpError::Kind::kTimeExceeded:
      // Soft: a router's or our own neighbour resolution's failure may be transient.
      return recv_errors ? std::optional(UdpError::kHostUnreachable) : std::nullopt;
    case IcmpError::Kind::kNetUnreachable:
      return recv_errors ? std::optional(UdpError::kNetUnreachable) : std::nullopt;
    default:
      // Parameter problem, packet too big (the Stack already lowered the path MTU), ...
      return std::nullopt;
  }
}

}  // namespace

std::size_t UdpLayer::TupleHash::operator()(const Tuple& t) const {
  std::uint8_t buf[40] = {};
  std::size_t n = put_tuple(buf, t.local, t.remote, t.local_port, t.remote_port);
  return static_cast<std::size_t>(siphash24(key, Bytes(buf, n)));
}

void UdpLayer::trace_drop(Instant now, const char* what, const Tuple& t, std::size_t len) const {
  if (tracer_ == nullptr) return;
  TraceEvent e;
  e.kind = TraceKind::kDrop;
  e.at = now;
  e.local = t.local;
  e.remote = t.remote;
  e.local_port = t.local_port;
  e.remote_port = t.remote_port;
  e.what = what;
  e.len = static_cast<std::uint32_t>(len);
  tracer_->on_event(e);
}

ByteVec UdpLayer::take_buffer() {
  if (spare_buffers_.empty()) return {};
  ByteVec b = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return b;
}

void UdpLayer::recycle(ByteVec&& buffer) {
  if (spare_buffers_.size() < kMaxSpareBuffers && buffer.capacity() <= kMaxSpareCapacity) {
    spare_buffers_.push_back(std::move(buffer));
  }
}

// --- Demultiplexing -------------------------------------------------------------------------

SocketHandle UdpLayer::select(const std::vector<SocketHandle>& list, const Tuple& t,
                              FunctionRef<int(const Socket&)> score) const {
  int best = 0;
  std::size_t tied = 0;
  bool all_reuse_port = true;
  SocketHandle latest;
  std::uint64_t latest_order = 0;
  for (SocketHandle h : list) {
    const Socket* s = table_.get(h);
    int sc = s ? score(*s) : 0;
    if (sc <= 0 || sc < best) continue;
    if (sc > best) {
      best = sc;
      tied = 0;
      all_reuse_port = true;
      latest_order = 0;
    }
    ++tied;
    all_reuse_port = all_reuse_port && s->opts.reuse_port;
    if (s->bind_order >= latest_order) {
      latest = h;
      latest_order = s->bind_order;
    }
  }
  // Linux: among sockets that match equally well, the one bound last comes first in the hash
  // chain (SO_REUSEADDR), unless they form an SO_REUSEPORT group.
  if (tied <= 1 || !all_reuse_port) return latest;
  // Linux reuseport_select_sock: a keyed hash of the 4-tuple picks one member of the group
  // (kept in bind order), so one flow always reaches the same socket and flows spread.
  std::uint8_t buf[40] = {};
  std::size_t n = put_tuple(buf, t.remote, t.local, t.remote_port, t.local_port);
  std::size_t k = siphash24(reuseport_key_, Bytes(buf, n)) % tied;
  for (SocketHandle h : list) {
    const Socket* s = table_.get(h);
    if (s && score(*s) == best && k-- == 0) return h;
  }
  return latest;
}

SocketHandle UdpLayer::lookup_unicast(const Tuple& t) const {
  if (auto it = connected_.find(t); it != connected_.end()) {
    SocketHandle h = select(it->second, t, [](const Socket&) { return 1; });
    if (h.valid()) return h;
  }
  auto it = by_port_.find(t.local_port);
  if (it == by_port_.end()) return {};
  return select(it->second, t, [&](const Socket& s) {
    // A connected socket takes only its own peer's datagrams (found above).
    if (s.family != t.local.version() || s.remote) return 0;
    if (s.local == t.local) return 2;
    return s.local.is_unspecified() ? 1 : 0;
  });
}

bool UdpLayer::deliver_to_group(Instant now, const IpRxMeta& meta, const UdpRepr& dgram) {
  bool multicast = meta.dst.is_multicast();
  auto wants = [&](const Socket& s) {
    if (s.family != meta.dst.version()) return false;
    if (!s.local.is_unspecified() && s.local != meta.dst) return false;
    if (s.remote && (s.remote->addr != meta.src || s.remote->port != dgram.src_port)) return false;
    // Deviation: Linux's IP_MULTICAST_ALL (on by default) also hands a socket the groups
    // other sockets joined; we deliver a group's datagrams only to its members, like
    // IP_MULTICAST_ALL=0 and every other stack.
    return !multicast || std::find(s.groups.begin(), s.groups.end(), meta.dst) != s.groups.end();
  };
  bool matched = false, delivered = false;
  if (auto it = by_port_.find(dgram.dst_port); it != by_port_.end()) {
    for (SocketHandle h : it->second) {
      Socket* s = table_.get(h);
      if (s == nullptr || !wants(*s)) continue;
      matched = true;
      delivered = enqueue(now, h, *s, meta, dgram) || delivered;
    }
  }
  if (!matched) {
    // RFC 1122 §4.1.3.1: never a port unreachable for a broadcast or multicast datagram.
    ++counters_.ignored_multi;
    trace_drop(now, "udp.ignored_multi", Tuple{meta.dst, meta.src, dgram.dst_port, dgram.src_port},
               dgram.payload.size());
  }
  return delivered;
}

bool UdpLayer::enqueue(Instant now, SocketHandle h, Socket& s, const IpRxMeta& meta,
                       const UdpRepr& dgram) {
  std::size_t len = dgram.payload.size();
  // SO_RCVBUF bounds the queue (RFC 1122 §4.1.3 leaves the policy to the host). Linux charges
  // each skb's truesize and admits a datagram while the queue is within the limit; we charge
  // payload bytes (what queued_bytes() reports), refuse a datagram that would not fit, admit
  // any datagram into an empty queue (like Linux, a lone datagram is never too big), and
  // bound the count so empty datagrams cannot queue without limit.
  std::size_t max_datagrams = std::max<std::size_t>(1, s.opts.recv_buffer / kMinDatagramCharge);
  bool fits = s.queue.empty() ||
              (s.queued_bytes + len <= s.opts.recv_buffer && s.queue.size() < max_datagrams);
  if (!fits) {
    ++counters_.drops_rcvbuf_full;
    trace_drop(now, "drops.udp_rcvbuf_full", Tuple{meta.dst, meta.src, s.port, dgram.src_port},
               len);
    return false;
  }
  ByteVec payload = take_buffer();
  payload.assign(dgram.payload.begin(), dgram.payload.end());
  s.queue.push_back(Datagram{UdpEndpoint{meta.src, dgram.src_port}, meta.dst, dgram.dst_port,
                             std::move(payload)});
  s.queued_bytes += len;
  ready_.mark(h);
  return true;
}

// --- Transport ------------------------------------------------------------------------------

RxVerdict UdpLayer::on_packet(Instant now, const IpRxMeta& meta, Bytes payload, IpSender& out) {
  auto parsed =
      UdpRepr::parse(payload, meta.src, meta.dst,
                     meta.checksum_verified ? ChecksumCheck::kSkip : ChecksumCheck::kVerify);
  if (!parsed) {
    // RFC 8200 §8.1: a zero checksum over IPv6 is a format error, not a corrupted sum (the
    // parser reports both as kBadChecksum).
    bool zero_v6 =
        meta.src.is_v6() && payload.size() >= UdpRepr::kHeaderLen && load_be16(payload, 6) == 0;
    bool bad_sum = parsed.error() == ParseError::kBadChecksum && !zero_v6;
    ++(bad_sum ? counters_.drops_bad_checksum : counters_.drops_malformed);
    Tuple t{meta.dst, meta.src, 0, 0};
    if (payload.size() >= 4) t = {meta.dst, meta.src, load_be16(payload, 2), load_be16(payload, 0)};
    trace_drop(now, bad_sum ? "drops.udp_bad_checksum" : "drops.udp_malformed", t, payload.size());
    return RxVerdict::kDelivered;
  }
  const UdpRepr& dgram = *parsed;
  if (meta.dst_is_broadcast_or_multicast) {
    if (deliver_to_group(now, meta, dgram)) ++counters_.in_datagrams;
    return RxVerdict::kDelivered;
  }
  Tuple t{meta.dst, meta.src, dgram.dst_port, dgram.src_port};
  SocketHandle h = lookup_unicast(t);
  if (!table_.get(h)) h = catch_all_[t.local.is_v6() ? 1 : 0];  // set_catch_all: the rest
  Socket* s = table_.get(h);
  if (s == nullptr) {
    // RFC 1122 §4.1.3.1: the Stack answers with ICMP port unreachable.
    ++counters_.no_ports;
    trace_drop(now, "udp.no_ports", t, dgram.payload.size());
    return RxVerdict::kPortUnreachable;
  }
  if (enqueue(now, h, *s, meta, dgram)) ++counters_.in_datagrams;
  return RxVerdict::kDelivered;
}

bool UdpLayer::on_icmp_error(Instant now, const IcmpError& err, IpSender& out) {
  // RFC 1122 §4.1.3.3: UDP MUST pass ICMP errors to the application. Linux without IP_RECVERR
  // (__udp4_lib_err) reports only hard errors and only on a connected socket, as the error of
  // its next call: an unconnected socket could not tell which sendto() it belongs to. With
  // IP_RECVERR every error reaches the socket that sent the quoted datagram.
  Tuple t{err.quoted_src, err.quoted_dst, 0, 0};
  bool quotes_udp = err.quoted_proto == IpProto::kUdp && err.quoted_transport.size() >= 4;
  if (quotes_udp) {
    t.local_port = load_be16(err.quoted_transport, 0);
    t.remote_port = load_be16(err.quoted_transport, 2);
  }
  SocketHandle h = quotes_udp ? lookup_unicast(t) : SocketHandle{};
  Socket* s = table_.get(h);
  std::optional<UdpError> e;
  if (s && (s->remote || s->opts.recv_errors)) e = socket_error_for(err.kind, s->opts.recv_errors);
  if (!e) {
    ++counters_.icmp_errors_ignored;
    trace_drop(now, "udp.icmp_errors_ignored", t, 0);
    return s != nullptr;  // a socket of ours sent it: a path MTU change still applies
  }
  ++counters_.icmp_errors_delivered;
  s->pending_error = e;
  s->error_remote = UdpEndpoint{t.remote, t.remote_port};
  ready_.mark(h);
  return true;
}

}  // namespace ustack
