#include "sandbox/port_forward.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>

#include "sandbox/counter_text.h"
#include "sandbox/host_socket.h"

namespace ustack::sandbox {
namespace {

// Gateway ports for UDP clients shown as the gateway: Linux's ephemeral range.
constexpr std::uint16_t kGatewayPortFirst = 32768;
constexpr std::uint16_t kGatewayPorts = 61000 - 32768;

Endpoint from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    std::array<std::uint8_t, 16> b;
    std::memcpy(b.data(), &sin6.sin6_addr, 16);
    return Endpoint{Ipv6Addr(b), ntohs(sin6.sin6_port)};
  }
  const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
  std::array<std::uint8_t, 4> b;
  std::memcpy(b.data(), &sin.sin_addr, 4);
  return Endpoint{Ipv4Addr(b), ntohs(sin.sin_port)};
}

void set_int_option(int fd, int level, int name, int value) {
  ::setsockopt(fd, level, name, &value, sizeof value);
}

// Control messages of one UDP datagram: its IP_PKTINFO or IPV6_PKTINFO.
union PktinfoControl {
  char buf[CMSG_SPACE(std::max(sizeof(in_pktinfo), sizeof(in6_pktinfo)))];
  cmsghdr align;
};

// The destination address of a datagram recvmsg() read, from its packet info (unspecified if
// there is none).
IpAddr pktinfo_destination(msghdr& msg, IpVersion family) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      std::array<std::uint8_t, 4> b;
      std::memcpy(b.data(), &pi.ipi_addr, 4);
      return Ipv4Addr(b);
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      std::array<std::uint8_t, 16> b;
      std::memcpy(b.data(), &pi.ipi6_addr, 16);
      return Ipv6Addr(b);
    }
  }
  return family == IpVersion::kV6 ? IpAddr(Ipv6Addr::any()) : IpAddr(Ipv4Addr());
}

// sendto() from `from` (IP_PKTINFO's ipi_spec_dst / IPV6_PKTINFO's ipi6_addr; unspecified:
// the route's choice).
ssize_t send_from(int fd, Bytes payload, const IpAddr& from, const Endpoint& to) {
  socklen_t len = 0;
  sockaddr_storage ss = to_sockaddr(to, &len);
  iovec iov{const_cast<std::uint8_t*>(payload.data()), payload.size()};
  msghdr msg{};
  msg.msg_name = &ss;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  PktinfoControl control{};
  auto attach = [&](int level, int type, const auto& pi) {
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof pi);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  };
  if (from.is_unspecified()) {
    // no packet info: the route picks the source
  } else if (from.is_v4()) {
    in_pktinfo pi{};
    std::memcpy(&pi.ipi_spec_dst, from.bytes().data(), 4);
    attach(IPPROTO_IP, IP_PKTINFO, pi);
  } else {
    in6_pktinfo pi{};
    std::memcpy(&pi.ipi6_addr, from.bytes().data(), 16);
    attach(IPPROTO_IPV6, IPV6_PKTINFO, pi);
  }
  return ::sendmsg(fd, &msg, MSG_NOSIGNAL);
}

}  // namespace

PortForwarder::PortForwarder(TcpLayer& tcp, IpSender& ip, tun::AsioRuntime& runtime,
                             const SandboxLayout& layout, TcpRelay& tcp_relay, UdpRelay& udp_relay,
                             Duration udp_idle_timeout)
    : tcp_(tcp),
      ip_(ip),
      runtime_(runtime),
      layout_(layout),
      tcp_relay_(tcp_relay),
      udp_relay_(udp_relay),
      udp_idle_timeout_(udp_idle_timeout),
      buf_(UdpLayer::kMaxPayloadV6) {
  udp_relay_.set_guest_filter(
      [this](Instant now, const Endpoint& from, const Endpoint& to, Bytes payload) {
        return reply_from_guest(now, from, to, payload);
      });
}

PortForwarder::~PortForwarder() {
  udp_relay_.set_guest_filter(nullptr);
  for (Pending& p : pending_) {
    tcp_.abort(p.guest);
    tcp_relay_.budget().give_back();
  }
  for (auto& [id, f] : forwards_) {
    for (std::size_t i = 0; i < f.clients.size(); ++i) udp_relay_.budget().give_back();
  }
}

std::optional<int> PortForwarder::add(const ForwardSpec& spec, std::string& error) {
  Endpoint at{spec.host_addr, spec.host_port};
  tun::UniqueFd fd;
  try {
    fd = open_host_socket(spec.proto, spec.host_addr.version());
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
  // An IPv6 forward takes IPv6 clients only; 0.0.0.0 and :: are separate forwards.
  if (spec.host_addr.is_v6()) set_int_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1);
  if (spec.proto == Proto::kTcp) set_int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1);
  // UDP: each datagram's destination address, which the reply is sent from.
  if (spec.proto == Proto::kUdp && spec.host_addr.is_v6()) {
    set_int_option(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
  } else if (spec.proto == Proto::kUdp) {
    set_int_option(fd.get(), IPPROTO_IP, IP_PKTINFO, 1);
  }
  socklen_t len = 0;
  sockaddr_storage ss = to_sockaddr(at, &len);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      (spec.proto == Proto::kTcp && ::listen(fd.get(), 128) != 0)) {
    int err = errno;
    error = "cannot listen on " + at.to_string() + "/" + to_string(spec.proto) + ": " +
            std::strerror(err);
    return std::nullopt;
  }
  int id = next_id_++;
  forwards_[id] = Forward{spec, std::make_unique<HostWatch>(runtime_, std::move(fd)), {}};
  runtime_.wake();  // a client may be waiting already
  return id;
}

bool PortForwarder::remove(int id) {
  auto it = forwards_.find(id);
  if (it == forwards_.end()) return false;
  for (const auto& [client, c] : it->second.clients) forget_udp_client(it->second, c);
  forwards_.erase(it);
  return true;
}

std::vector<HostfwdTable::Entry> PortForwarder::list() const {
  std::vector<Entry> out;
  for (const auto& [id, f] : forwards_) out.push_back(Entry{id, f.spec});
  return out;
}

void PortForwarder::expire_idle() {
  Instant now = runtime_.now();
  for (auto& [id, f] : forwards_) {
    std::erase_if(f.clients, [&](const auto& kv) {
      if (now - kv.second.last_used <= udp_idle_timeout_) return false;
      ++counters_.udp_expired;
      forget_udp_client(f, kv.second);
      return true;
    });
  }
}

void PortForwarder::step() {
  Instant now = runtime_.now();
  for (auto& [id, f] : forwards_) {
    if (f.spec.proto == Proto::kTcp) {
      accept_tcp(now, f);
    } else {
      read_udp(now, id, f);
    }
  }
  finish_pending(now);
}

void PortForwarder::accept_tcp(Instant now, const Forward& f) {
  const Endpoint guest{f.spec.guest_addr, f.spec.guest_port};
  while (f.sock->readable()) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(f.sock->fd(), reinterpret_cast<sockaddr*>(&ss), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        f.sock->want_read();
      } else {
        ++counters_.errors;  // EMFILE and the like: tried again at the next step
      }
      return;
    }
    tun::UniqueFd host(fd);
    set_nodelay(fd);  // Linux copies it from the listener; said again for clarity
    ++counters_.tcp_accepted;
    // A forwarded connection is a flow like the guest's own (--max-flows): it takes its unit
    // here, carries it while pending and hands it to the TCP relay with the connection, which
    // gives it back when the flow ends.
    if (!tcp_relay_.budget().take()) {
      ++counters_.tcp_refused_max_flows;
      reset_on_close(fd);
      continue;
    }
    Endpoint client = from_sockaddr(ss);
    // The guest's connection from the client's own endpoint; if ustack cannot use that 4-tuple
    // (or the guest could not answer it), from the gateway.
    std::optional<SocketHandle> h;
    if (std::optional<IpAddr> src = forward_source(layout_, client.addr, guest.addr)) {
      auto r = tcp_.connect(now, ip_, guest.addr, guest.port, *src, client.port);
      if (r.ok()) {
        h = *r;
        ++counters_.source_preserved;
      }
    }
    if (!h) {
      auto r = tcp_.connect(now, ip_, guest.addr, guest.port, gateway_for(layout_, guest.addr));
      if (!r.ok()) {
        ++counters_.tcp_refused;
        tcp_relay_.budget().give_back();
        reset_on_close(fd);
        continue;
      }
      h = *r;
      ++counters_.source_gateway;
    }
    pending_.push_back(Pending{*h, std::make_unique<HostWatch>(runtime_, std::move(host)), now});
  }
}

void PortForwarder::finish_pending(Instant now) {
  std::erase_if(pending_, [&](Pending& p) {
    if (tcp_.readiness(p.guest).connected) {
      ++counters_.tcp_connected;
      tcp_relay_.adopt(p.guest, std::move(p.host));
      return true;
    }
    bool failed = tcp_.error(p.guest).has_value();
    if (!failed && now - p.since <= kConnectTimeout) return false;
    // The guest refused (RST) or never answered: the host client's connection is reset.
    ++counters_.tcp_refused;
    tcp_relay_.budget().give_back();
    reset_on_close(p.host->fd());
    tcp_.abort(p.guest);
    return true;
  });
}

Endpoint PortForwarder::udp_source(const Forward& f, const Endpoint& client) {
  const Endpoint guest{f.spec.guest_addr, f.spec.guest_port};
  if (std::optional<IpAddr> src = forward_source(layout_, client.addr, guest.addr)) {
    Endpoint e{*src, client.port};
    if (!udp_replies_.contains(UdpKey{e, guest})) {
      ++counters_.source_preserved;
      return e;
    }
  }
  ++counters_.source_gateway;
  Endpoint e{gateway_for(layout_, guest.addr), 0};
  for (unsigned i = 0; i < kGatewayPorts; ++i) {
    e.port = static_cast<std::uint16_t>(kGatewayPortFirst + next_gateway_port_);
    next_gateway_port_ = static_cast<std::uint16_t>((next_gateway_port_ + 1) % kGatewayPorts);
    if (!udp_replies_.contains(UdpKey{e, guest})) break;
  }
  return e;
}

void PortForwarder::forget_udp_client(const Forward& f, const UdpClient& c) {
  udp_relay_.budget().give_back();
  udp_replies_.erase(UdpKey{c.source, Endpoint{f.spec.guest_addr, f.spec.guest_port}});
}

void PortForwarder::read_udp(Instant now, int id, Forward& f) {
  const Endpoint guest{f.spec.guest_addr, f.spec.guest_port};
  while (f.sock->readable()) {
    sockaddr_storage ss{};
    iovec iov{buf_.data(), buf_.size()};
    PktinfoControl control{};
    msghdr msg{};
    msg.msg_name = &ss;
    msg.msg_namelen = sizeof ss;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    ssize_t n = ::recvmsg(f.sock->fd(), &msg, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        f.sock->want_read();
      } else {
        ++counters_.errors;
      }
      return;
    }
    Endpoint client = from_sockaddr(ss);
    auto it = f.clients.find(client);
    if (it == f.clients.end()) {
      // A new client is a flow (--max-flows) until it is forgotten (forget_udp_client).
      if (!udp_relay_.budget().take()) {
        ++counters_.udp_refused_max_flows;
        continue;
      }
      ++counters_.udp_flows;
      // A datagram to a broadcast address is answered from the route's choice.
      IpAddr local = pktinfo_destination(msg, client.addr.version());
      if (local.is_multicast() || (local.is_v4() && local.v4().is_broadcast())) {
        local = client.addr.is_v6() ? IpAddr(Ipv6Addr::any()) : IpAddr(Ipv4Addr());
      }
      UdpClient c{udp_source(f, client), local, now};
      udp_replies_[UdpKey{c.source, guest}] = {id, client};
      it = f.clients.emplace(client, c).first;
    }
    it->second.last_used = now;
    if (udp_relay_.send_to_guest(now, it->second.source, guest,
                                 Bytes(buf_).first(static_cast<std::size_t>(n)))) {
      ++counters_.udp_to_guest;
    } else {
      ++counters_.errors;
    }
  }
}

bool PortForwarder::reply_from_guest(Instant now, const Endpoint& from, const Endpoint& to,
                                     Bytes payload) {
  auto r = udp_replies_.find(UdpKey{to, from});
  if (r == udp_replies_.end()) return false;
  auto [id, client] = r->second;
  Forward& f = forwards_.at(id);
  UdpClient& c = f.clients.at(client);
  c.last_used = now;
  if (send_from(f.sock->fd(), payload, c.local, client) < 0) {
    ++counters_.errors;  // EAGAIN (a full host buffer) drops it, as a router would
  } else {
    ++counters_.udp_to_host;
  }
  return true;
}

std::string PortForwarder::counters_text() const {
  const PortForwarderCounters& c = counters_;
  std::string s = "PortForwarder:\n";
  append_counter(s, forwards_.size(), "forwards");
  append_counter(s, pending_.size(), "tcp_pending");
  append_counter(s, c.tcp_accepted, "tcp_accepted");
  append_counter(s, c.tcp_connected, "tcp_connected");
  append_counter(s, c.tcp_refused, "tcp_refused");
  append_counter(s, c.tcp_refused_max_flows, "tcp_refused_max_flows");
  append_counter(s, c.source_preserved, "source_preserved");
  append_counter(s, c.source_gateway, "source_gateway");
  append_counter(s, c.udp_flows, "udp_flows");
  append_counter(s, c.udp_to_guest, "udp_to_guest");
  append_counter(s, c.udp_to_host, "udp_to_host");
  append_counter(s, c.udp_expired, "udp_expired");
  append_counter(s, c.udp_refused_max_flows, "udp_refused_max_flows");
  append_counter(s, c.errors, "errors");
  return s;
}

}  // namespace ustack::sandbox
