// UstackSut: ustack in virtual time as a scenario's system under test.
//
// A Stack on end a() of an in-memory Link (an IP-medium link, like a TUN), its TCP and UDP
// layers, a resolver with no servers, all driven by a FakeRuntime; the script's socket calls
// go through the usocket API, so the application side is the same code a ustack program runs.
// Every packet crossing the stack's device is recorded (a PcapTapDevice between the stack and
// the link): received ones as injected, sent ones as outbound and queued for next_outbound().
// Time is virtual and starts at 0 with the scenario; the seed is fixed, so a run replays bit
// for bit. Packets are stamped Instant::zero() + elapsed(), as KernelSut stamps its own.
//
// Blocking sockets: every call runs with the socket's timeout set to 0 and restored after, so
// a call that would block fails with EAGAIN (EINPROGRESS for connect) instead of running the
// virtual clock, as the seam asks (system_under_test.h). A call whose result is there returns
// it, as on a blocking socket. fds are the lowest free numbers from 3, as the kernel hands out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "pcap_tests/scenario/system_under_test.h"
#include "stack/device.h"

namespace usocket {
class socket;
}  // namespace usocket

namespace ustack {
class Tracer;
}  // namespace ustack

namespace ustack::scenario {

struct UstackSutOptions {
  ScenarioAddresses addresses;
  std::size_t mtu = 1500;
  std::uint64_t seed = 1;    // the stack's, TCP's (ISNs, ports) and UDP's
  Tracer* tracer = nullptr;  // gets the stack's and TCP's events (stack/tracer.h)
  // Asked for each packet of the capture as it crosses the device (may be empty): its answer
  // is the packet's TimedPacket::comment (`scenario run --pcapng`).
  std::function<std::string(Instant, PacketDirection, Bytes)> comment;
  // When set, a received packet is told here as it arrives and its comment is asked for once
  // the stack has handled it (at the next packet, or when the capture is read).
  std::function<void(Instant, Bytes)> arrived;
};

class UstackSut final : public SystemUnderTest {
 public:
  explicit UstackSut(const UstackSutOptions& options = {});
  ~UstackSut() override;
  UstackSut(const UstackSut&) = delete;
  UstackSut& operator=(const UstackSut&) = delete;

  std::string name() const override { return "ustack"; }
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

  const replay::PacketList& capture() const override {
    comment_held();
    return capture_;
  }
  // Packets the stack sent or received that were not between the scenario's addresses.
  std::size_t filtered_packets() const { return filtered_; }

  struct World;  // the stack, its layers, the link and the runtime (ustack_sut.cc)

 private:
  friend struct World;
  void record(Instant now, bool outbound, Bytes packet);
  int add_socket(usocket::socket s);
  usocket::socket* find(int fd);

  ScenarioAddresses addresses_;
  void comment_held() const;

  std::function<std::string(Instant, PacketDirection, Bytes)> comment_;
  std::function<void(Instant, Bytes)> arrived_;
  // mutable: a received packet's comment is filled in when the capture is first read after it.
  mutable replay::PacketList capture_;
  mutable std::optional<std::size_t> held_;
  mutable Instant held_now_;
  std::deque<replay::TimedPacket> outbound_;
  std::size_t filtered_ = 0;
  std::unique_ptr<World> world_;
  // Declared last: closed first, while the stack they send their FIN/RST on is still there.
  std::map<int, usocket::socket> sockets_;
};

}  // namespace ustack::scenario
