// The system a scenario runs against: the Linux kernel behind a TUN device in a fresh network
// namespace (kernel_sut), or ustack in virtual time (ustack_sut). The runner (runner.h) reads a
// packetdrill script and drives either one through this interface, so a script means the same
// thing against both and the two captures can be compared packet by packet.
//
// Conventions, as in packetdrill: the system under test is the "local" host, the script
// injects the "remote" peer's packets ('<' lines) and expects the local host's ('>' lines).
// Socket calls look like Linux syscalls: a value >= 0 on success, or -1 with an errno.
// File descriptors are the SUT's own small integers, starting at 3 as packetdrill assumes;
// the runner maps the script's fds onto the ones the SUT returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pcap_tests/replay/timed_packet.h"
#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/time.h"

namespace ustack::scenario {

// The addresses a scenario runs with (packetdrill's defaults, moved into 198.18.0.0/15 and
// fd00::/8 as our network rules require).
struct ScenarioAddresses {
  IpAddr local4 = *IpAddr::parse("198.18.0.2");   // the system under test
  IpAddr remote4 = *IpAddr::parse("198.18.0.1");  // the injected peer
  IpAddr local6 = *IpAddr::parse("fd00:1::2");
  IpAddr remote6 = *IpAddr::parse("fd00:1::1");
  std::uint16_t remote_port = 8080;  // the peer's port in packets the script writes
};

struct SysResult {
  long value = 0;  // >= 0 on success, -1 on error
  int err = 0;     // errno when value == -1
  static SysResult ok(long v = 0) { return {v, 0}; }
  static SysResult fail(int e) { return {-1, e}; }
};

struct SockAddr {
  IpAddr ip;
  std::uint16_t port = 0;
};

class SystemUnderTest {
 public:
  virtual ~SystemUnderTest() = default;

  virtual std::string name() const = 0;  // "kernel" or "ustack"

  // Time since the scenario started (the kernel: the steady clock; ustack: its virtual clock).
  virtual Duration elapsed() const = 0;
  // Lets time pass until `t` since the start, the SUT running its timers and sending
  // meanwhile; packets it sends are queued for next_outbound().
  virtual void wait_until(Duration t) = 0;
  // Injects one IP packet from the peer, now.
  virtual void inject(Bytes ip_packet) = 0;
  // The oldest packet the SUT sent and next_outbound() has not returned yet, waiting for one
  // until `deadline` (since the start) at most; nullopt if none came by then.
  virtual std::optional<replay::TimedPacket> next_outbound(Duration deadline) = 0;

  // Socket calls (AF_INET/AF_INET6, SOCK_STREAM/SOCK_DGRAM; Linux's values for the constants).
  virtual SysResult socket(int domain, int type, int protocol) = 0;
  virtual SysResult bind(int fd, const SockAddr& addr) = 0;
  virtual SysResult listen(int fd, int backlog) = 0;
  // Non-blocking unless the socket is blocking and the result is already there; a call that
  // would block on a blocking socket fails with EAGAIN here and the runner reports it.
  virtual SysResult accept(int fd) = 0;
  virtual SysResult connect(int fd, const SockAddr& addr) = 0;
  // write/read, and send/recv with `flags` 0 or MSG_OOB (urgent data, RFC 9293 §3.8.5).
  virtual SysResult write(int fd, Bytes data, int flags) = 0;
  virtual SysResult read(int fd, MutBytes out, int flags) = 0;
  virtual SysResult sendto(int fd, Bytes data, const SockAddr& to) = 0;
  virtual SysResult recvfrom(int fd, MutBytes out, SockAddr* from) = 0;
  virtual SysResult shutdown(int fd, int how) = 0;
  virtual SysResult close(int fd) = 0;
  // Integer-valued options only (SOL_SOCKET/IPPROTO_TCP/IPPROTO_IP/IPPROTO_IPV6 with Linux's
  // numbers); an option the SUT does not have fails with ENOPROTOOPT.
  virtual SysResult setsockopt(int fd, int level, int name, int value) = 0;
  virtual SysResult getsockopt(int fd, int level, int name, int* value) = 0;
  // fcntl(F_SETFL, O_NONBLOCK) / (F_GETFL).
  virtual SysResult set_nonblocking(int fd, bool on) = 0;

  // Everything that crossed the SUT's device so far, both directions, in order.
  virtual const replay::PacketList& capture() const = 0;
};

}  // namespace ustack::scenario
