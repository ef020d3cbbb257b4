// KernelSut: the Linux kernel as a scenario's system under test.
//
// Each KernelSut owns a fresh network namespace with one TUN device (IFF_TUN|IFF_NO_PI) in it.
// The kernel holds the scenario's local addresses on that device, so the remote peer is on-link
// through the TUN: packets the script injects are written to the TUN fd, packets the kernel
// sends are read from it. The script's socket calls are real kernel sockets opened inside the
// namespace. Time is the steady clock since the end of setup; waiting is real sleeping on the
// TUN fd, so outbound packets are stamped when they are read.
//
// Blocking calls: no call blocks the runner. On a socket the script left blocking, a call that
// waits for the socket (accept, read, write, sendto, recvfrom) first polls it for up to
// kBlockingWait and is then made non-blocking (O_NONBLOCK for the call's duration), so one that
// would still block reports EAGAIN, as Linux does when a socket timeout expires; connect sends
// its SYN and reports EINPROGRESS if the connection is not up kBlockingWait later. A call whose
// result is there already returns it as a blocking call would. Not a socket timeout
// (SO_RCVTIMEO) because a reader sleeping in the kernel is not side-effect free: after a
// blocking read timed out, Linux delayed the ACK of the next data segment (by SRTT) that it
// acknowledged at once otherwise.
//
// Noise: the capture keeps only packets between the scenario's addresses. Anything else the
// kernel sends on the device (IPv6 MLD reports, router solicitations) is dropped and counted
// in filtered_packets(); kernel_sut_default_sysctls() switches most of it off at the source.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pcap_tests/scenario/system_under_test.h"
#include "tun/netns.h"
#include "tun/tun_device.h"
#include "tun/unique_fd.h"

namespace ustack::scenario {

// A sysctl in its dotted form ("net.ipv4.tcp_sack") and the value to write; namespace-local
// keys only (net.*), since they are written from inside the scenario's namespace.
struct Sysctl {
  std::string name;
  std::string value;
};

struct KernelSutOptions {
  ScenarioAddresses addresses;
  std::size_t mtu = 1500;
  // The namespace is PREFIX<pid>n<serial>, unique per process and per KernelSut.
  std::string netns_prefix = "ussc";
  // Applied after kernel_sut_default_sysctls(), so a scenario can override those.
  std::vector<Sysctl> sysctls;
  // Set on every TCP socket (TCP_CONGESTION; "" keeps the namespace's). Not a sysctl: a new
  // namespace starts with the host's default (bbr here, which paces) and may switch only to
  // the host's tcp_allowed_congestion_control, but root may pick any per socket; sockets a
  // listener accepts inherit its choice. cubic is Linux's default, and ustack's CUBIC is its
  // counterpart.
  std::string congestion_control = "cubic";
};

// The sysctls every KernelSut sets (kernel_sut.cc says why each one).
std::vector<Sysctl> kernel_sut_default_sysctls();

// How long a call on a blocking socket waits before reporting that it would block.
inline constexpr std::chrono::milliseconds kBlockingWait{2};

class KernelSut : public SystemUnderTest {
 public:
  // Throws tun::SysError (not root, no /dev/net/tun, a sysctl that does not exist, ...); a
  // partly built namespace is removed before the exception leaves.
  explicit KernelSut(const KernelSutOptions& options);
  ~KernelSut() override;
  KernelSut(const KernelSut&) = delete;
  KernelSut& operator=(const KernelSut&) = delete;

  const std::string& netns() const { return netns_.name(); }
  const std::string& device() const { return tun_->name(); }
  // Packets the kernel sent on the device that were not between the scenario's addresses.
  std::size_t filtered_packets() const { return filtered_; }

  std::string name() const override { return "kernel"; }
  Duration elapsed() const override;
  void wait_until(Duration t) override;
  void inject(Bytes ip_packet) override;
  std::optional<replay::TimedPacket> next_outbound(Duration deadline) override;

  SysResult socket(int domain, int type, int protocol) override;
  SysResult bind(int fd, const SockAddr& addr) override;
  SysResult listen(int fd, int backlog) override;
  SysResult accept(int fd) override;
  SysResult connect(int fd, const SockAddr& addr) override;
  SysResult write(int fd, Bytes data, int flags) override;
  SysResult read(int fd, MutBytes out, int flags) override;
  SysResult sendto(int fd, Bytes data, const SockAddr& to) override;
  SysResult recvfrom(int fd, MutBytes out, SockAddr* from) override;
  SysResult shutdown(int fd, int how) override;
  SysResult close(int fd) override;
  SysResult setsockopt(int fd, int level, int name, int value) override;
  SysResult getsockopt(int fd, int level, int name, int* value) override;
  SysResult set_nonblocking(int fd, bool on) override;

  const replay::PacketList& capture() const override { return capture_; }

 private:
  // The kernel fd behind a script-visible fd, or -1 (the call then fails with EBADF).
  int real_fd(int fd) const;
  // The lowest free script fd >= 3, as the kernel allocates fds, now owning `real`.
  int add_socket(tun::UniqueFd real);
  // Reads every packet the TUN has now; waits for the first one until `deadline` at most.
  void read_tun(Duration deadline);
  void record_outbound(Bytes packet);
  bool between_scenario_addresses(Bytes packet) const;
  // Runs a socket call, then collects what the kernel sent meanwhile so it is stamped now.
  SysResult finish(long rc);
  void set_congestion_control(int real);

  ScenarioAddresses addresses_;
  std::string congestion_control_;
  tun::NetnsOwner netns_;
  std::unique_ptr<tun::TunDevice> tun_;
  std::map<int, tun::UniqueFd> sockets_;  // script fd -> kernel fd
  std::chrono::steady_clock::time_point start_;
  replay::PacketList capture_;
  std::deque<replay::TimedPacket> outbound_;  // captured, not yet handed out by next_outbound
  std::size_t filtered_ = 0;
};

// The factory the runner uses for `--against kernel`.
std::unique_ptr<SystemUnderTest> make_kernel_sut(const KernelSutOptions& options);

}  // namespace ustack::scenario
