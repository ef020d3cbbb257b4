#include "pcap_tests/scenario/kernel_sut.h"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <thread>

#include "tun/link.h"
#include "tun/sys_error.h"

namespace ustack::scenario {
namespace {

// One name inside the namespace is enough: the namespace is ours alone.
constexpr const char* kDevice = "sut0";
// On-link prefixes are at most this long, so the default addresses share a /24 and a /64.
constexpr int kMaxPrefix4 = 24;
constexpr int kMaxPrefix6 = 64;

std::string unique_netns_name(const std::string& prefix) {
  static std::atomic<unsigned> serial{0};
  return prefix + std::to_string(::getpid()) + "n" + std::to_string(serial++);
}

// Fails when the name is taken: a namespace someone else made is never ours to delete.
tun::NetnsOwner create_netns(const std::string& name) {
  if (tun::netns_exists(name)) {
    throw tun::SysError(EEXIST, "network namespace " + name + " already exists");
  }
  return tun::NetnsOwner(name, /*create_if_missing=*/true);
}

// Writes /proc/sys/NAME for the calling thread's namespace (net.* sysctls are per namespace,
// and /proc/sys/net resolves the namespace of the thread that opens it).
void write_sysctl(const Sysctl& s) {
  std::string path = "/proc/sys/" + s.name;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  std::ofstream f(path);
  f << s.value << '\n';
  f.flush();
  if (!f) throw tun::SysError(EINVAL, "cannot set sysctl " + s.name + " = " + s.value);
}

// Leading bits `a` and `b` have in common.
int common_prefix_bits(Bytes a, Bytes b) {
  int bits = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned diff = a[i] ^ b[i];
    if (diff == 0) {
      bits += 8;
      continue;
    }
    for (unsigned mask = 0x80; (diff & mask) == 0; mask >>= 1) ++bits;
    break;
  }
  return bits;
}

// The local address with a prefix that covers the remote one, so the kernel's connected route
// sends the remote peer's packets out of the TUN without a route of our own.
IpCidr on_link(const IpAddr& local, const IpAddr& remote) {
  int max = local.is_v4() ? kMaxPrefix4 : kMaxPrefix6;
  int bits = std::min(max, common_prefix_bits(local.bytes(), remote.bytes()));
  return IpCidr{local, static_cast<std::uint8_t>(bits)};
}

// True once /proc/thread-self/net/ipv6_route lists `addr`'s local route (RTF_LOCAL, /128).
bool has_local_route6(const IpAddr& addr) {
  char want[33];
  for (std::size_t i = 0; i < 16; ++i) {
    std::snprintf(want + 2 * i, 3, "%02x", addr.bytes()[i]);
  }
  std::ifstream routes("/proc/thread-self/net/ipv6_route");
  std::string dest, prefix, src, src_prefix, next_hop, metric, refs, use, flags;
  while (routes >> dest >> prefix >> src >> src_prefix >> next_hop >> metric >> refs >> use >>
         flags) {
    std::string device;
    routes >> device;
    constexpr unsigned long kRtfLocal = 0x80000000;
    if (dest == want && prefix == "80" && (std::stoul(flags, nullptr, 16) & kRtfLocal) != 0) {
      return true;
    }
  }
  return false;
}

// Waits (1 ms between looks) until the kernel delivers packets to `addr` locally. Why: even a
// nodad IPv6 address only gets its local route when the DAD work queue completes it, a moment
// after RTM_NEWADDR returns; until then a packet to it counts as Ip6InAddrErrors (it is
// "forwarded", and forwarding is off), so a SYN injected right after setup went unanswered.
void wait_local_route6(const IpAddr& addr, std::chrono::milliseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!has_local_route6(addr)) {
    if (std::chrono::steady_clock::now() >= give_up) {
      throw tun::SysError(0, "IPv6 address " + addr.to_string() + " did not become usable");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Turns off scatter-gather and with it GSO on `device` (ethtool -K DEV sg off gso off). Why:
// with GSO, Linux TCP builds packets of several segments, sized from its pacing rate (so from
// the RTT), and may defer sending to fill them (tcp_tso_should_defer), which makes what goes
// out when depend on the script's timing. Without it each segment is built as it goes out, as
// a stack without offloads (ustack) builds it.
void disable_segmentation_offload(const std::string& device) {
  tun::UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) tun::throw_errno("cannot open a control socket", errno);
  for (std::uint32_t cmd : {ETHTOOL_SGSO, ETHTOOL_SSG}) {
    ethtool_value value{};
    value.cmd = cmd;
    value.data = 0;
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, device.data(), std::min(device.size(), sizeof ifr.ifr_name - 1));
    ifr.ifr_data = reinterpret_cast<char*>(&value);
    if (::ioctl(sock.get(), SIOCETHTOOL, &ifr) != 0) {
      tun::throw_errno("cannot turn off segmentation offload on " + device, errno);
    }
  }
}

struct RawAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

RawAddr to_raw(const SockAddr& a) {
  RawAddr r;
  if (a.ip.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&r.storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(a.port);
    std::memcpy(&sin->sin_addr, a.ip.bytes().data(), 4);
    r.len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&r.storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(a.port);
    std::memcpy(&sin6->sin6_addr, a.ip.bytes().data(), 16);
    r.len = sizeof(sockaddr_in6);
  }
  return r;
}

SockAddr from_raw(const sockaddr_storage& s) {
  SockAddr a;
  if (s.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&s);
    std::array<std::uint8_t, 4> b;
    std::memcpy(b.data(), &sin->sin_addr, 4);
    a.ip = Ipv4Addr(b);
    a.port = ntohs(sin->sin_port);
  } else if (s.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&s);
    std::array<std::uint8_t, 16> b;
    std::memcpy(b.data(), &sin6->sin6_addr, 16);
    a.ip = Ipv6Addr(b);
    a.port = ntohs(sin6->sin6_port);
  }
  return a;
}

// Runs `call`, a socket call on `real`, so that it never blocks (kernel_sut.h, "Blocking
// calls"): on a socket the script left blocking, waits up to kBlockingWait for `events` first
// and then makes the call with O_NONBLOCK set for its duration.
template <typename Call>
long without_blocking(int real, short events, Call call) {
  const int flags = ::fcntl(real, F_GETFL);
  if (flags < 0) return -1;
  const bool blocking = (flags & O_NONBLOCK) == 0;
  if (blocking) {
    pollfd p{real, events, 0};
    ::poll(&p, 1, static_cast<int>(kBlockingWait.count()));
    ::fcntl(real, F_SETFL, flags | O_NONBLOCK);
  }
  long rc = call();
  const int err = errno;
  if (blocking) ::fcntl(real, F_SETFL, flags);
  errno = err;
  return rc;
}

std::optional<IpAddr> src_of(Bytes p, IpAddr* dst) {
  if (p.empty()) return std::nullopt;
  const unsigned version = p[0] >> 4;
  if (version == 4 && p.size() >= 20) {
    *dst = Ipv4Addr({p[16], p[17], p[18], p[19]});
    return Ipv4Addr({p[12], p[13], p[14], p[15]});
  }
  if (version == 6 && p.size() >= 40) {
    std::array<std::uint8_t, 16> s, d;
    std::copy_n(p.begin() + 8, 16, s.begin());
    std::copy_n(p.begin() + 24, 16, d.begin());
    *dst = Ipv6Addr(d);
    return Ipv6Addr(s);
  }
  return std::nullopt;
}

}  // namespace

std::vector<Sysctl> kernel_sut_default_sysctls() {
  return {
      // No IPv6 link-local address on new devices: without one the kernel sends no router
      // solicitations and fewer MLD reports from fe80::/10 on the TUN. Scenario addresses are
      // global (fd00::/8), so nothing needs a link-local one (a TUN has no neighbours to find).
      {"net.ipv6.conf.default.addr_gen_mode", "1"},
      {"net.ipv6.conf.default.router_solicitations", "0"},
      {"net.ipv6.conf.default.accept_ra", "0"},
      {"net.ipv6.conf.default.dad_transmits", "0"},
      // Linux caches RTT, ssthresh and reordering per destination when a connection closes and
      // seeds the next connection to that peer from it; a scenario with several connections
      // would then depend on the ones before (packetdrill's defaults.sh sets this too).
      {"net.ipv4.tcp_no_metrics_save", "1"},
      // Autocorking holds a small write back while an earlier packet of the socket is still in
      // the host's queue, which depends on how fast the TUN is read; off, small writes go out
      // by Nagle's rule (RFC 9293 §3.7.4) alone, which scripts pin with TCP_NODELAY.
      {"net.ipv4.tcp_autocorking", "0"},
      // Linux sizes tcp_rmem's maximum from the machine's memory (32 MiB here) and derives the
      // window scale it offers from it (wscale 10 here); the documented default of 6 MiB gives
      // wscale 7 on every machine, as long as net.core.rmem_max (global, not ours to set) is
      // not larger. The send side's default is already fixed.
      {"net.ipv4.tcp_rmem", "4096 131072 6291456"},
      {"net.ipv4.tcp_wmem", "4096 16384 4194304"},
  };
}

KernelSut::KernelSut(const KernelSutOptions& options)
    : addresses_(options.addresses),
      congestion_control_(options.congestion_control),
      netns_(create_netns(unique_netns_name(options.netns_prefix))) {
  {
    tun::NetnsScope in_ns(netns_.name());
    // Before the device exists, so it is born with the "default" IPv6 settings.
    for (const Sysctl& s : kernel_sut_default_sysctls()) write_sysctl(s);
    for (const Sysctl& s : options.sysctls) write_sysctl(s);
  }
  tun::TunConfig config;
  config.name = kDevice;
  config.netns = netns_.name();
  config.mtu = options.mtu;
  // Up and running (TunDevice waits for that, tun/link.h) before the addresses go on: the
  // kernel finishes IPv6 addresses on a device without carrier only once the link is ready.
  config.bring_up = true;
  tun_ = std::make_unique<tun::TunDevice>(config);
  {
    tun::NetnsScope in_ns(netns_.name());
    if ((tun::link_flags(kDevice) & IFF_RUNNING) == 0) {
      throw tun::SysError(
          0, std::string("device ") + kDevice + " in " + netns_.name() + " did not start running");
    }
    disable_segmentation_offload(kDevice);
    tun::add_link_address(kDevice, on_link(addresses_.local4, addresses_.remote4));
    // nodad: no DAD probe in the capture either.
    tun::add_link_address(kDevice, on_link(addresses_.local6, addresses_.remote6),
                          /*nodad=*/true);
    wait_local_route6(addresses_.local6, std::chrono::seconds(2));
  }
  start_ = std::chrono::steady_clock::now();
  // Whatever came out during setup (MLD reports for the new addresses) is noise, not scenario.
  while (auto p = tun_->receive(Instant::zero())) {
    if (between_scenario_addresses(*p)) {
      record_outbound(*p);
    } else {
      ++filtered_;
    }
  }
}

// Members go in reverse order: sockets close first, then the TUN device, then the namespace,
// which the kernel frees once nothing in it is open any more.
KernelSut::~KernelSut() = default;

Duration KernelSut::elapsed() const {
  auto d = std::chrono::steady_clock::now() - start_;
  return Duration::nanos(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

bool KernelSut::between_scenario_addresses(Bytes packet) const {
  IpAddr dst;
  std::optional<IpAddr> src = src_of(packet, &dst);
  if (!src) return false;
  auto ours = [&](const IpAddr& a) {
    return a == addresses_.local4 || a == addresses_.remote4 || a == addresses_.local6 ||
           a == addresses_.remote6;
  };
  return ours(*src) && ours(dst);
}

void KernelSut::record_outbound(Bytes packet) {
  replay::TimedPacket p;
  p.at = Instant::zero() + elapsed();
  p.outbound = true;
  p.ip.assign(packet.begin(), packet.end());
  capture_.push_back(p);
  outbound_.push_back(std::move(p));
}

void KernelSut::read_tun(Duration deadline) {
  for (bool first = true;; first = false) {
    while (auto p = tun_->receive(Instant::zero())) {
      if (between_scenario_addresses(*p)) {
        record_outbound(*p);
      } else {
        ++filtered_;
      }
    }
    // One wait at most: after it the device is read empty and the caller decides again.
    if (!first) return;
    Duration left = deadline - elapsed();
    if (left <= Duration::zero() || !outbound_.empty()) return;
    timespec ts{};
    ts.tv_sec = left.total_nanos() / 1'000'000'000;
    ts.tv_nsec = left.total_nanos() % 1'000'000'000;
    pollfd pfd{tun_->fd(), POLLIN, 0};
    ::ppoll(&pfd, 1, &ts, nullptr);
  }
}

void KernelSut::wait_until(Duration t) {
  // Keep reading while waiting, so every packet is stamped when it came out; the queue for
  // next_outbound() may grow meanwhile, which read_tun must not mistake for "done".
  while (elapsed() < t) {
    Duration left = t - elapsed();
    timespec ts{};
    ts.tv_sec = left.total_nanos() / 1'000'000'000;
    ts.tv_nsec = left.total_nanos() % 1'000'000'000;
    pollfd pfd{tun_->fd(), POLLIN, 0};
    ::ppoll(&pfd, 1, &ts, nullptr);
    read_tun(Duration::zero());
  }
  read_tun(Duration::zero());
}

void KernelSut::inject(Bytes ip_packet) {
  // What the kernel already sent came before this packet.
  read_tun(Duration::zero());
  replay::TimedPacket p;
  p.at = Instant::zero() + elapsed();
  p.outbound = false;
  p.ip.assign(ip_packet.begin(), ip_packet.end());
  tun_->transmit(p.at, ip_packet.size(),
                 [&](MutBytes out) { std::copy(ip_packet.begin(), ip_packet.end(), out.begin()); });
  capture_.push_back(std::move(p));
  // The kernel answers from the write's softirq; collect that now for an accurate time.
  read_tun(Duration::zero());
}

std::optional<replay::TimedPacket> KernelSut::next_outbound(Duration deadline) {
  while (outbound_.empty()) {
    read_tun(deadline);
    if (outbound_.empty() && elapsed() >= deadline) return std::nullopt;
  }
  replay::TimedPacket p = std::move(outbound_.front());
  outbound_.pop_front();
  return p;
}

int KernelSut::real_fd(int fd) const {
  auto it = sockets_.find(fd);
  return it == sockets_.end() ? -1 : it->second.get();
}

int KernelSut::add_socket(tun::UniqueFd real) {
  int fd = 3;
  while (sockets_.count(fd) != 0) ++fd;
  sockets_.emplace(fd, std::move(real));
  return fd;
}

SysResult KernelSut::finish(long rc) {
  int err = errno;
  read_tun(Duration::zero());
  return rc < 0 ? SysResult::fail(err) : SysResult::ok(rc);
}

void KernelSut::set_congestion_control(int real) {
  if (congestion_control_.empty()) return;
  if (::setsockopt(real, IPPROTO_TCP, TCP_CONGESTION, congestion_control_.data(),
                   static_cast<socklen_t>(congestion_control_.size())) != 0) {
    throw tun::SysError(
        errno, tun::describe_errno("cannot set TCP_CONGESTION " + congestion_control_, errno));
  }
}

SysResult KernelSut::socket(int domain, int type, int protocol) {
  int real;
  {
    // A socket belongs to the namespace it was made in, whichever thread uses it later.
    tun::NetnsScope in_ns(netns_.name());
    real = ::socket(domain, type | SOCK_CLOEXEC, protocol);
  }
  if (real < 0) return finish(-1);
  if ((type & 0xf) == SOCK_STREAM) set_congestion_control(real);
  return finish(add_socket(tun::UniqueFd(real)));
}

SysResult KernelSut::bind(int fd, const SockAddr& addr) {
  RawAddr a = to_raw(addr);
  errno = EBADF;
  return finish(real_fd(fd) < 0 ? -1 : ::bind(real_fd(fd), a.get(), a.len));
}

SysResult KernelSut::listen(int fd, int backlog) {
  errno = EBADF;
  return finish(real_fd(fd) < 0 ? -1 : ::listen(real_fd(fd), backlog));
}

SysResult KernelSut::accept(int fd) {
  if (real_fd(fd) < 0) return SysResult::fail(EBADF);
  // Without SOCK_NONBLOCK: as Linux's accept(), the new socket starts blocking.
  long real = without_blocking(
      real_fd(fd), POLLIN, [&] { return ::accept4(real_fd(fd), nullptr, nullptr, SOCK_CLOEXEC); });
  if (real < 0) return finish(-1);
  return finish(add_socket(tun::UniqueFd(static_cast<int>(real))));
}

SysResult KernelSut::connect(int fd, const SockAddr& addr) {
  const int real = real_fd(fd);
  if (real < 0) return SysResult::fail(EBADF);
  RawAddr a = to_raw(addr);
  // The SYN goes out first, so the wait comes after the call: a blocking connect that is
  // still in progress after kBlockingWait reports EINPROGRESS, as Linux does when a blocking
  // connect's SO_SNDTIMEO expires.
  const int flags = ::fcntl(real, F_GETFL);
  long rc = without_blocking(real, 0, [&] { return ::connect(real, a.get(), a.len); });
  if (rc < 0 && errno == EINPROGRESS && flags >= 0 && (flags & O_NONBLOCK) == 0) {
    pollfd p{real, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(kBlockingWait.count())) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(real, SOL_SOCKET, SO_ERROR, &err, &len);
      return err == 0 ? finish(0) : SysResult::fail(err);
    }
    errno = EINPROGRESS;
  }
  return finish(rc);
}

SysResult KernelSut::write(int fd, Bytes data, int flags) {
  errno = EBADF;
  // send with MSG_NOSIGNAL: write() to a reset connection would kill the runner with SIGPIPE;
  // the script sees EPIPE either way.
  const int real = real_fd(fd);
  if (real < 0) return SysResult::fail(EBADF);
  return finish(without_blocking(
      real, POLLOUT, [&] { return ::send(real, data.data(), data.size(), flags | MSG_NOSIGNAL); }));
}

SysResult KernelSut::read(int fd, MutBytes out, int flags) {
  const int real = real_fd(fd);
  if (real < 0) return SysResult::fail(EBADF);
  // Linux tcp_recv_urg never blocks: no waiting for POLLIN first.
  if (flags & MSG_OOB) return finish(::recv(real, out.data(), out.size(), flags));
  return finish(
      without_blocking(real, POLLIN, [&] { return ::read(real, out.data(), out.size()); }));
}

SysResult KernelSut::sendto(int fd, Bytes data, const SockAddr& to) {
  const int real = real_fd(fd);
  if (real < 0) return SysResult::fail(EBADF);
  RawAddr a = to_raw(to);
  return finish(without_blocking(real, POLLOUT, [&] {
    return ::sendto(real, data.data(), data.size(), MSG_NOSIGNAL, a.get(), a.len);
  }));
}

SysResult KernelSut::recvfrom(int fd, MutBytes out, SockAddr* from) {
  if (real_fd(fd) < 0) return SysResult::fail(EBADF);
  sockaddr_storage s{};
  socklen_t len = sizeof s;
  const int real = real_fd(fd);
  long n = without_blocking(real, POLLIN, [&] {
    return ::recvfrom(real, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&s), &len);
  });
  if (n >= 0 && from != nullptr) *from = from_raw(s);
  return finish(n);
}

SysResult KernelSut::shutdown(int fd, int how) {
  errno = EBADF;
  return finish(real_fd(fd) < 0 ? -1 : ::shutdown(real_fd(fd), how));
}

SysResult KernelSut::close(int fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return SysResult::fail(EBADF);
  sockets_.erase(it);  // UniqueFd closes it
  return finish(0);
}

SysResult KernelSut::setsockopt(int fd, int level, int name, int value) {
  errno = EBADF;
  return finish(real_fd(fd) < 0 ? -1
                                : ::setsockopt(real_fd(fd), level, name, &value, sizeof value));
}

SysResult KernelSut::getsockopt(int fd, int level, int name, int* value) {
  socklen_t len = sizeof *value;
  errno = EBADF;
  return finish(real_fd(fd) < 0 ? -1 : ::getsockopt(real_fd(fd), level, name, value, &len));
}

SysResult KernelSut::set_nonblocking(int fd, bool on) {
  int real = real_fd(fd);
  if (real < 0) return SysResult::fail(EBADF);
  int flags = ::fcntl(real, F_GETFL);
  if (flags < 0) return finish(-1);
  if (::fcntl(real, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0) return finish(-1);
  return finish(0);
}

std::unique_ptr<SystemUnderTest> make_kernel_sut(const KernelSutOptions& options) {
  return std::make_unique<KernelSut>(options);
}

}  // namespace ustack::scenario
