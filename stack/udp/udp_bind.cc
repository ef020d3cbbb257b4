// UDP local and remote association: bind(), connect(), disconnect(), close(), and the tables
// they keep (sockets by port, connected sockets by 4-tuple).
//
// The bind rules are Linux's udp_lib_lport_inuse (udp(7), socket(7) SO_REUSEADDR and
// SO_REUSEPORT): two sockets of one family on one port conflict when their local addresses
// overlap (equal, or either is the any address) unless both set SO_REUSEADDR or both set
// SO_REUSEPORT. IPv6 sockets are IPV6_V6ONLY, so the two families never conflict.
#include <algorithm>

#include "stack/udp/udp_layer.h"

namespace ustack {

namespace {

IpAddr any_address(IpVersion family) {
  return family == IpVersion::kV4 ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any());
}

bool addresses_overlap(const IpAddr& a, const IpAddr& b) {
  return a.is_unspecified() || b.is_unspecified() || a == b;
}

template <typename Map, typename Key>
void remove_from(Map& map, const Key& key, SocketHandle h) {
  auto it = map.find(key);
  if (it == map.end()) return;
  std::erase(it->second, h);
  if (it->second.empty()) map.erase(it);
}

}  // namespace

bool UdpLayer::bind_conflict(SocketHandle self, const Socket& s, const IpAddr& local,
                             std::uint16_t port) const {
  auto it = by_port_.find(port);
  if (it == by_port_.end()) return false;
  for (SocketHandle other_h : it->second) {
    const Socket* o = table_.get(other_h);
    if (o == nullptr || other_h == self || o->family != s.family) continue;
    if (!addresses_overlap(local, o->local)) continue;
    bool both_reuse_addr = s.opts.reuse_addr && o->opts.reuse_addr;
    bool both_reuse_port = s.opts.reuse_port && o->opts.reuse_port;
    if (!both_reuse_addr && !both_reuse_port) return true;
  }
  return false;
}

std::optional<UdpError> UdpLayer::bind_to(SocketHandle h, Socket& s, const IpAddr& local,
                                          std::uint16_t port) {
  if (port == 0) {
    // A random port from the shared allocator (RFC 6056 §3.3.1), as Linux's udp_lib_get_port
    // does: a UDP socket binds before it knows its peer, so the hash of algorithm 3 would
    // hand out consecutive ports, and RFC 5452 §9.2 wants DNS queries from unpredictable ones.
    // Deviation: Linux may give two SO_REUSEADDR sockets the same ephemeral port (its search
    // applies the bind rules); we hand out only ports no socket holds.
    auto picked =
        ports_.pick_random(port_rng_, [&](std::uint16_t p) { return by_port_.contains(p); });
    if (!picked) return UdpError::kAddressNotAvailable;
    port = *picked;
  } else if (bind_conflict(h, s, local, port)) {
    return UdpError::kAddressInUse;
  }
  s.local = local;
  s.port = port;
  s.bind_order = ++next_bind_order_;
  // Appended, so each port's list stays in bind order (the SO_REUSEPORT group order).
  std::vector<SocketHandle>& users = by_port_[port];
  users.push_back(h);
  if (users.size() == 1 && flow_observer_ != nullptr) {
    flow_observer_->flow_opened(FlowKey{.proto = IpProto::kUdp, .local_port = port});
  }
  return std::nullopt;
}

std::optional<UdpError> UdpLayer::autobind(SocketHandle h, Socket& s) {
  // Linux inet_autobind: an unbound socket that sends or connects takes an ephemeral port on
  // the any address.
  if (s.port != 0) return std::nullopt;
  return bind_to(h, s, any_address(s.family), 0);
}

void UdpLayer::set_remote(SocketHandle h, Socket& s, std::optional<UdpEndpoint> remote) {
  if (s.remote) remove_from(connected_, Tuple{s.local, s.remote->addr, s.port, s.remote->port}, h);
  s.remote = remote;
  if (s.remote) connected_[Tuple{s.local, s.remote->addr, s.port, s.remote->port}].push_back(h);
}

void UdpLayer::unhash(SocketHandle h, Socket& s) {
  set_remote(h, s, std::nullopt);
  if (s.port != 0) {
    remove_from(by_port_, s.port, h);
    if (!by_port_.contains(s.port) && flow_observer_ != nullptr) {
      flow_observer_->flow_closed(FlowKey{.proto = IpProto::kUdp, .local_port = s.port});
    }
  }
  s.port = 0;
}

std::optional<UdpError> UdpLayer::bind(SocketHandle h, const IpAddr& local, std::uint16_t port,
                                       const IpSender& ip) {
  Socket* s = table_.get(h);
  if (s == nullptr) return UdpError::kBadHandle;
  if (local.version() != s->family) return UdpError::kFamilyMismatch;
  if (s->port != 0) return UdpError::kInvalid;  // Linux inet_bind: already bound
  // Linux inet_bind (ip(7)): the address must be one of ours, the any address, a multicast
  // group (to receive only that group) or one of our broadcast addresses.
  bool allowed = local.is_unspecified() || local.is_multicast() || ip.is_local_address(local) ||
                 (local.is_v4() && ip.is_broadcast_address(local));
  if (!allowed) return UdpError::kAddressNotAvailable;
  if (auto e = bind_to(h, *s, local, port)) return e;
  s->bound_explicitly = !local.is_unspecified();
  return std::nullopt;
}

std::optional<UdpError> UdpLayer::connect(SocketHandle h, const IpAddr& remote, std::uint16_t port,
                                          const IpSender& ip) {
  Socket* s = table_.get(h);
  if (s == nullptr) return UdpError::kBadHandle;
  if (remote.version() != s->family) return UdpError::kFamilyMismatch;
  if (port == 0 || remote.is_unspecified()) return UdpError::kInvalid;
  // Linux ip4_datagram_connect: a broadcast peer needs SO_BROADCAST (EACCES).
  bool broadcast =
      remote.is_v4() && (remote.v4().is_broadcast() || ip.is_broadcast_address(remote));
  if (broadcast && !s->opts.broadcast) return UdpError::kAccessDenied;
  auto source = source_for(*s, remote, ip);
  if (!source) return source.error();
  if (auto e = autobind(h, *s)) return e;
  set_remote(h, *s, std::nullopt);
  // Linux: an address bind() named stays; otherwise the socket takes the route's source, so
  // only datagrams to that address reach it (udp(7): "receives only from the peer").
  if (!s->bound_explicitly) s->local = *source;
  set_remote(h, *s, UdpEndpoint{remote, port});
  return std::nullopt;
}

std::optional<UdpError> UdpLayer::disconnect(SocketHandle h) {
  Socket* s = table_.get(h);
  if (s == nullptr) return UdpError::kBadHandle;
  // Linux __udp_disconnect: the peer is forgotten, and so is a local address connect()
  // chose (no SOCK_BINDADDR_LOCK). Deviation: Linux also gives back a port that bind() did
  // not name; we keep it, so getsockname() stays stable across connect(AF_UNSPEC).
  set_remote(h, *s, std::nullopt);
  if (!s->bound_explicitly) s->local = any_address(s->family);
  return std::nullopt;
}

std::optional<UdpError> UdpLayer::close(Instant now, SocketHandle h, IpSender& ip) {
  Socket* s = table_.get(h);
  if (s == nullptr) return UdpError::kBadHandle;
  // Linux ip_mc_drop_socket: a closing socket leaves every group it joined.
  for (const IpAddr& group : s->groups) ip.leave_group(now, group);
  unhash(h, *s);
  for (Datagram& d : s->queue) recycle(std::move(d.payload));
  ready_.forget(h);
  table_.erase(h);
  return std::nullopt;
}

}  // namespace ustack
