#include "pcap_tests/scenario/ustack_sut.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "sockapi/network.h"
#include "sockapi/os_error.h"
#include "sockapi/usocket.h"
#include "stack/dns/resolver.h"
#include "stack/fake_runtime.h"
#include "stack/link_device.h"
#include "stack/pcap_tap_device.h"
#include "stack/pollable.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/udp/udp_layer.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"

namespace ustack::scenario {

namespace {

// Virtual time starts at 1 s, not 0 (as usocket's VirtualLab): nothing in the core mistakes
// the first instant for "unset". elapsed() counts from here.
constexpr Instant kStart = Instant::from_nanos(1'000'000'000);

// What the stack sent reaches end b() of the link, where nobody reads it (the tap has recorded
// it already). Left there, it would keep the link's next delivery in the past and the runtime
// would spin on it; this drains b() and tells the runtime when an injected packet lands on a().
class LinkDrain final : public Pollable {
 public:
  explicit LinkDrain(Link& link) : link_(link) {}
  bool poll(Instant now) override {
    while (link_.b().receive(now)) {
    }
    return false;
  }
  Instant poll_at() const override { return link_.next_delivery(); }

 private:
  Link& link_;
};

LinkConfig link_config(const UstackSutOptions& o) {
  LinkConfig c;
  c.seed = o.seed;
  c.medium = Medium::kIp;  // a TUN, as the kernel side has
  c.mtu = o.mtu;
  return c;
}

// Not designated initializers: g++ -Wextra warns about the fields they leave out.
TcpLayerConfig tcp_config(const UstackSutOptions& o) {
  TcpLayerConfig c;
  c.seed = o.seed;
  return c;
}
UdpLayerConfig udp_config(const UstackSutOptions& o) {
  UdpLayerConfig c;
  c.seed = o.seed;
  return c;
}
StackConfig stack_config(const UstackSutOptions& o) {
  StackConfig c;
  c.seed = o.seed;
  return c;
}

// Runs `call` on `s` with timeout 0 (never blocking), restoring the socket's own timeout.
template <typename F>
auto nonblocking(usocket::socket& s, F&& call) {
  std::optional<double> timeout = s.gettimeout();
  s.settimeout(0.0);
  struct Restore {
    usocket::socket& s;
    std::optional<double> t;
    ~Restore() {
      if (!s.closed()) s.settimeout(t);
    }
  } restore{s, timeout};
  return call();
}

usocket::sockaddr to_sockaddr(const SockAddr& a) { return usocket::sockaddr(a.ip, a.port); }

// The socket call as a syscall result: OSError carries the errno Linux would give.
template <typename F>
SysResult syscall(F&& call) {
  try {
    return SysResult::ok(call());
  } catch (const usocket::OSError& e) {
    return SysResult::fail(e.errno_value());
  }
}

// The addresses of an IP packet, if it parses.
std::optional<std::pair<IpAddr, IpAddr>> endpoints(Bytes packet) {
  if (packet.empty()) return std::nullopt;
  if ((packet[0] >> 4) == 4) {
    auto ip = Ipv4Repr::parse(packet, ChecksumCheck::kSkip);
    if (!ip.ok()) return std::nullopt;
    return std::pair<IpAddr, IpAddr>(IpAddr(ip->src), IpAddr(ip->dst));
  }
  auto ip = Ipv6Repr::parse(packet);
  if (!ip.ok()) return std::nullopt;
  return std::pair<IpAddr, IpAddr>(IpAddr(ip->src), IpAddr(ip->dst));
}

}  // namespace

// Declaration order is construction order; destruction runs backwards: the resolver before
// the stack it polls from, the stack before the transports it refers to.
struct UstackSut::World {
  // Sees every packet the stack's device carries.
  class Tap final : public PacketTap {
   public:
    explicit Tap(UstackSut& sut) : sut_(sut) {}
    void record(Instant now, PacketDirection dir, Bytes packet) override {
      sut_.record(now, dir == PacketDirection::kSent, packet);
    }

   private:
    UstackSut& sut_;
  };

  World(UstackSut& sut, const UstackSutOptions& o)
      : runtime(kStart),
        link(link_config(o)),
        tap(sut),
        device(link.a(), tap),
        tcp(tcp_config(o), o.tracer),
        udp(udp_config(o), o.tracer),
        stack(stack_config(o), device),
        resolver(ResolverConfig{}, HostsTable{}, udp, tcp, stack, o.seed),
        stack_pollable(stack),
        drain(link),
        network(usocket::Network::over(usocket::NetworkParts{stack, tcp, udp, resolver, runtime})) {
    stack.set_tracer(o.tracer);
    stack.add_address(IpCidr{o.addresses.local4, 24});
    stack.add_address(IpCidr{o.addresses.local6, 64});
    stack.register_transport(tcp);
    stack.register_transport(udp);
    stack.add_poller(resolver);
    runtime.add(stack_pollable);
    runtime.add(drain);
  }
  ~World() {
    runtime.remove(drain);
    runtime.remove(stack_pollable);
    stack.remove_poller(resolver);
  }

  FakeRuntime runtime;
  Link link;
  Tap tap;
  PcapTapDevice device;
  TcpLayer tcp;
  UdpLayer udp;
  Stack stack;
  Resolver resolver;
  PollableRef<Stack> stack_pollable;
  LinkDrain drain;
  usocket::Network network;
};

UstackSut::UstackSut(const UstackSutOptions& options)
    : addresses_(options.addresses),
      comment_(options.comment),
      arrived_(options.arrived),
      world_(std::make_unique<World>(*this, options)) {}

void UstackSut::comment_held() const {
  if (!held_) return;
  replay::TimedPacket& p = capture_[*held_];
  held_.reset();
  p.comment = comment_(held_now_, PacketDirection::kReceived, p.ip);
}

UstackSut::~UstackSut() {
  // Close every socket first (a FIN or RST may go out, recorded while the capture exists).
  sockets_.clear();
}

Duration UstackSut::elapsed() const { return world_->runtime.now() - kStart; }

void UstackSut::wait_until(Duration t) {
  Duration now = elapsed();
  if (t > now) world_->runtime.advance(t - now);
}

void UstackSut::inject(Bytes ip_packet) {
  world_->link.a().inject(world_->runtime.now(), ip_packet);
  world_->runtime.pump();
}

std::optional<replay::TimedPacket> UstackSut::next_outbound(Duration deadline) {
  if (outbound_.empty()) {
    world_->runtime.run_until([&] { return !outbound_.empty(); }, kStart + deadline);
  }
  if (outbound_.empty()) return std::nullopt;
  replay::TimedPacket p = std::move(outbound_.front());
  outbound_.pop_front();
  return p;
}

void UstackSut::record(Instant now, bool outbound, Bytes packet) {
  // As KernelSut: only the conversation between the scenario's addresses is the scenario's.
  auto ends = endpoints(packet);
  auto is_scenario = [&](const IpAddr& a) {
    return a == addresses_.local4 || a == addresses_.remote4 || a == addresses_.local6 ||
           a == addresses_.remote6;
  };
  if (!ends || !is_scenario(ends->first) || !is_scenario(ends->second)) {
    ++filtered_;
    return;
  }
  comment_held();
  replay::TimedPacket p;
  p.at = Instant::zero() + (now - kStart);
  p.outbound = outbound;
  p.ip.assign(packet.begin(), packet.end());
  const bool hold = !outbound && comment_ && arrived_;
  if (hold) {
    arrived_(now, packet);
    held_ = capture_.size();
    held_now_ = now;
  } else if (comment_) {
    p.comment =
        comment_(now, outbound ? PacketDirection::kSent : PacketDirection::kReceived, packet);
  }
  capture_.push_back(p);
  if (outbound) outbound_.push_back(std::move(p));
}

int UstackSut::add_socket(usocket::socket s) {
  int fd = 3;
  while (sockets_.count(fd) != 0) ++fd;
  sockets_.emplace(fd, std::move(s));
  return fd;
}

usocket::socket* UstackSut::find(int fd) {
  auto it = sockets_.find(fd);
  return it == sockets_.end() ? nullptr : &it->second;
}

SysResult UstackSut::socket(int domain, int type, int protocol) {
  return syscall([&] {
    return static_cast<long>(add_socket(usocket::socket(world_->network, domain, type, protocol)));
  });
}

SysResult UstackSut::bind(int fd, const SockAddr& addr) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    s->bind(to_sockaddr(addr));
    return 0L;
  });
}

SysResult UstackSut::listen(int fd, int backlog) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    s->listen(backlog);
    return 0L;
  });
}

SysResult UstackSut::accept(int fd) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    auto [conn, peer] = nonblocking(*s, [&] { return s->accept(); });
    conn.settimeout(std::nullopt);  // accept(2) gives a blocking socket whatever the listener
    return static_cast<long>(add_socket(std::move(conn)));
  });
}

SysResult UstackSut::connect(int fd, const SockAddr& addr) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    nonblocking(*s, [&] { s->connect(to_sockaddr(addr)); });
    return 0L;
  });
}

SysResult UstackSut::write(int fd, Bytes data, int flags) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data.data()), data.size());
    return static_cast<long>(nonblocking(*s, [&] { return s->send(bytes, flags); }));
  });
}

SysResult UstackSut::read(int fd, MutBytes out, int flags) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    usocket::bytes got = nonblocking(*s, [&] { return s->recv(out.size(), flags); });
    std::memcpy(out.data(), got.data(), got.size());
    return static_cast<long>(got.size());
  });
}

SysResult UstackSut::sendto(int fd, Bytes data, const SockAddr& to) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data.data()), data.size());
    return static_cast<long>(nonblocking(*s, [&] { return s->sendto(bytes, to_sockaddr(to)); }));
  });
}

SysResult UstackSut::recvfrom(int fd, MutBytes out, SockAddr* from) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    auto [got, peer] = nonblocking(*s, [&] { return s->recvfrom(out.size()); });
    std::memcpy(out.data(), got.data(), got.size());
    if (from != nullptr) *from = SockAddr{peer.addr(), peer.port()};
    return static_cast<long>(got.size());
  });
}

SysResult UstackSut::shutdown(int fd, int how) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    s->shutdown(how);
    return 0L;
  });
}

SysResult UstackSut::close(int fd) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  SysResult r = syscall([&] {
    s->close();
    return 0L;
  });
  sockets_.erase(fd);  // close(2) frees the fd even when it reports an error
  return r;
}

SysResult UstackSut::setsockopt(int fd, int level, int name, int value) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    s->setsockopt(level, name, value);
    return 0L;
  });
}

SysResult UstackSut::getsockopt(int fd, int level, int name, int* value) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    *value = s->getsockopt(level, name);
    return 0L;
  });
}

SysResult UstackSut::set_nonblocking(int fd, bool on) {
  usocket::socket* s = find(fd);
  if (s == nullptr) return SysResult::fail(EBADF);
  return syscall([&] {
    s->setblocking(!on);
    return 0L;
  });
}

}  // namespace ustack::scenario
