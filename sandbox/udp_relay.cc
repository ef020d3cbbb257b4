#include "sandbox/udp_relay.h"

#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

#include "sandbox/counter_text.h"
#include "sandbox/host_socket.h"

namespace ustack::sandbox {

UdpRelay::UdpRelay(UdpLayer& udp, Stack& ip, tun::AsioRuntime& runtime, const SandboxLayout& layout,
                   FlowBudget& budget, Duration idle_timeout)
    : udp_(udp),
      ip_(ip),
      runtime_(runtime),
      budget_(budget),
      layout_(layout),
      idle_timeout_(idle_timeout),
      buf_(UdpLayer::kMaxPayloadV6) {
  for (IpVersion v : {IpVersion::kV4, IpVersion::kV6}) {
    if (v == IpVersion::kV6 && !layout_.v6) break;
    SocketHandle& h = socks_[v == IpVersion::kV6 ? 1 : 0];
    h = udp_.open(v);
    // Port 0: an ephemeral port; the socket is found as the catch-all, not by its port.
    IpAddr any = v == IpVersion::kV6 ? IpAddr(Ipv6Addr::any()) : IpAddr(Ipv4Addr());
    if (udp_.bind(h, any, 0, ip_) || udp_.set_catch_all(h)) {
      throw std::runtime_error("cannot open the catch-all UDP socket");
    }
    UdpSocketOptions o = *udp_.options(h);
    o.recv_buffer = 4u << 20;
    udp_.set_options(h, o);
  }
}

UdpRelay::~UdpRelay() {
  for (std::size_t i = 0; i < flows_.size(); ++i) budget_.give_back();
  for (SocketHandle h : socks_) {
    if (h.valid()) udp_.close(runtime_.now(), h, ip_);
  }
}

void UdpRelay::expire_idle() {
  expire_flows(flows_, runtime_.now(), idle_timeout_, budget_, counters_.flows_expired);
}

void UdpRelay::step() {
  Instant now = runtime_.now();
  for (SocketHandle h : socks_) {
    if (h.valid()) from_guest(now, h);
  }
  serve_flows(flows_, [&](Flow& f) { from_host(now, f); });
}

void UdpRelay::from_guest(Instant now, SocketHandle sock) {
  for (;;) {
    auto info = udp_.recv_from(sock, buf_);
    if (!info.ok()) return;  // kWouldBlock (or an error nobody waits for)
    Endpoint dst{info->local, info->local_port};
    Endpoint guest{info->from.addr, info->from.port};
    if (filter_ && filter_(now, guest, dst, Bytes(buf_).first(info->size))) continue;
    Flow* f = flow_for(now, guest, dst);
    if (f == nullptr) continue;
    f->last_used = now;
    if (::send(f->host->fd(), buf_.data(), info->size, 0) < 0) {
      // EAGAIN (a full host buffer) drops it, as a router would; an error the socket held
      // (ECONNREFUSED from an earlier datagram) goes back as ICMP.
      ++counters_.host_errors;
      host_error(now, *f, errno);
      continue;
    }
    ++counters_.to_host;
  }
}

UdpRelay::Flow* UdpRelay::flow_for(Instant now, const Endpoint& guest, const Endpoint& dst) {
  Key key{guest, dst};
  if (auto it = flows_.find(key); it != flows_.end()) return it->second.get();
  Route r = route_flow(layout_, Proto::kUdp, dst);
  if (r.verdict != Route::Verdict::kRelay) {
    // As a closed port: ICMP port unreachable (RFC 1122 §4.1.3.1).
    counters_.refused.count(r.verdict == Route::Verdict::kHostBlocked);
    unreachable(now, Stack::Unreachable::kPort, guest, dst);
    return nullptr;
  }
  if (!budget_.take()) {
    ++counters_.refused.max_flows;
    return nullptr;
  }
  tun::UniqueFd fd = open_host_socket(Proto::kUdp, r.to.addr.version());
  if (int err = start_connect(fd.get(), r.to); err != 0) {
    budget_.give_back();
    ++counters_.host_errors;
    if (err == ENETUNREACH || err == EHOSTUNREACH) {
      unreachable(now, err == ENETUNREACH ? Stack::Unreachable::kNet : Stack::Unreachable::kHost,
                  guest, dst);
    }
    return nullptr;
  }
  auto f = std::make_unique<Flow>();
  f->guest = guest;
  f->dst = dst;
  f->host = std::make_unique<HostWatch>(runtime_, std::move(fd));
  f->last_used = now;
  ++counters_.flows_opened;
  return (flows_[key] = std::move(f)).get();
}

void UdpRelay::from_host(Instant now, Flow& f) {
  for (;;) {
    ssize_t n = ::recv(f.host->fd(), buf_.data(), buf_.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        f.host->want_read();
        return;
      }
      ++counters_.host_errors;  // ECONNREFUSED and the like: an ICMP error the host got
      host_error(now, f, errno);
      continue;
    }
    f.last_used = now;
    if (send_to_guest(now, f.dst, f.guest, Bytes(buf_).first(static_cast<std::size_t>(n)))) {
      ++counters_.to_guest;
    }
  }
}

bool UdpRelay::send_to_guest(Instant now, const Endpoint& from, const Endpoint& to, Bytes payload) {
  SocketHandle sock = socks_[to.addr.is_v6() ? 1 : 0];
  if (!sock.valid()) return false;
  return udp_
      .send_as(now, sock, payload, UdpEndpoint{from.addr, from.port}, UdpEndpoint{to.addr, to.port},
               ip_)
      .ok();
}

void UdpRelay::unreachable(Instant now, Stack::Unreachable why, const Endpoint& guest,
                           const Endpoint& dst) {
  // The quote: the datagram's UDP header (its length unknown by now: 8; checksum 0), which is
  // all the guest's kernel matches an ICMP error against (udp_err: addresses and ports).
  std::uint8_t head[8] = {};
  store_be16(MutBytes(head, 8), 0, guest.port);
  store_be16(MutBytes(head, 8), 2, dst.port);
  store_be16(MutBytes(head, 8), 4, 8);
  ++counters_.icmp_to_guest;
  ip_.send_unreachable(now, why, guest.addr, dst.addr, IpProto::kUdp, Bytes(head, 8));
}

void UdpRelay::host_error(Instant now, const Flow& f, int err) {
  if (err == ECONNREFUSED) {
    unreachable(now, Stack::Unreachable::kPort, f.guest, f.dst);
  } else if (err == EHOSTUNREACH || err == ENETUNREACH) {
    unreachable(now, err == ENETUNREACH ? Stack::Unreachable::kNet : Stack::Unreachable::kHost,
                f.guest, f.dst);
  }
}

std::string UdpRelay::counters_text() const {
  const UdpRelayCounters& c = counters_;
  std::string s = "UdpRelay:\n";
  append_counter(s, flows_.size(), "flows");
  append_counter(s, c.flows_opened, "flows_opened");
  append_counter(s, c.flows_expired, "flows_expired");
  append_counter(s, c.to_host, "to_host");
  append_counter(s, c.to_guest, "to_guest");
  c.refused.append_to(s);
  append_counter(s, c.icmp_to_guest, "icmp_to_guest");
  append_counter(s, c.host_errors, "host_errors");
  return s;
}

}  // namespace ustack::sandbox
