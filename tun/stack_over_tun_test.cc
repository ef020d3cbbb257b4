// The whole shell against the real kernel: Stack on a TunDevice, driven by AsioRuntime's
// run_until() the way sockapi's blocking calls will be. ustack pings the kernel (the reverse of
// the integration tests' direction): over TAP this needs our own ARP/NDP resolution of the
// kernel side. With offloads, a run of UDP datagrams leaves as one USO super-packet that the
// kernel cuts back into the same datagrams (and, USO refused, as single datagrams). Needs root and
// /dev/net/tun; fails (does not skip) without them.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "stack/stack.h"
#include "stack/udp/udp_layer.h"
#include "tun/link.h"
#include "tun/netns.h"
#include "tun/runtime.h"
#include "tun/tun_device.h"

namespace ustack::tun {
namespace {

using namespace ustack::literals;

struct Param {
  TunMode mode;
  const char* name;
};

class StackOverTunTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test needs root (it creates namespaces and TUN devices)";
    netns_ = "ustst" + std::to_string(::getpid());
    netns_create(netns_);
  }
  void TearDown() override { netns_delete(netns_); }

  std::string netns_;
};

// RFC 792 / RFC 4443 §4.1: our echo requests get the kernel's echo replies, IPv4 and IPv6,
// small and fragmented (8000 bytes at MTU 1500).
TEST_P(StackOverTunTest, UstackPingsTheKernel) {
  TunConfig c;
  c.name = std::string("ust") + std::to_string(::getpid()) + GetParam().name;
  c.mode = GetParam().mode;
  c.netns = netns_;
  c.mtu = 1500;
  TunDevice dev(c);
  {
    NetnsScope in(netns_);
    add_link_address(dev.name(), *IpCidr::parse("198.18.0.1/24"));
    add_link_address(dev.name(), *IpCidr::parse("fd00:1::1/64"));
  }
  StackConfig cfg;
  cfg.seed = 42;
  cfg.dad_transmits = 0;  // no need to wait for DAD on a link only the kernel shares
  Stack stack(cfg, dev);
  stack.add_address(*IpCidr::parse("198.18.0.2/24"));
  stack.add_address(*IpCidr::parse("fd00:1::2/64"));
  PollableRef<Stack> pollable(stack);
  AsioRuntime rt(pollable, dev.fd());

  const std::uint16_t ident = static_cast<std::uint16_t>(::getpid());
  std::uint16_t seq = 0;
  for (const char* dst : {"198.18.0.1", "fd00:1::1"}) {
    for (std::size_t size : {56u, 8000u}) {
      SCOPED_TRACE(std::string(dst) + " size " + std::to_string(size));
      ByteVec payload(size);
      for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
      ++seq;
      const IpAddr to = *IpAddr::parse(dst);
      // The first request over TAP waits for neighbour resolution; resend a few times.
      std::optional<EchoReply> reply;
      for (int attempt = 0; attempt < 3 && !reply; ++attempt) {
        ASSERT_TRUE(stack.send_echo_request(rt.now(), to, ident, seq, payload));
        rt.wake();
        rt.run_until([&] { return stack.echo_replies_waiting() > 0; }, rt.now() + 2_s);
        while (auto r = stack.pop_echo_reply()) {
          if (r->seq == seq) reply = std::move(r);
        }
      }
      ASSERT_TRUE(reply) << "no echo reply from " << dst;
      EXPECT_EQ(reply->from, to);
      EXPECT_EQ(reply->ident, ident);
      EXPECT_EQ(reply->payload, payload);
    }
  }
  EXPECT_GE(rt.stats().batches, 4u);
  EXPECT_EQ(dev.stats().tx_errors, 0u);
}

INSTANTIATE_TEST_SUITE_P(TunAndTap, StackOverTunTest,
                         ::testing::Values(Param{TunMode::kTun, "t"}, Param{TunMode::kTap, "a"}),
                         [](const auto& info) {
                           return std::string(info.param.mode == TunMode::kTun ? "Tun" : "Tap");
                         });

struct UsoParam {
  bool uso;  // ask for USO (false: as a kernel that refuses TUN_F_USO4/6)
  bool v6;
};

// ustack at 198.18.0.2 and fd00:1::2 on `dev`, with a UDP layer.
struct UdpStack {
  static StackConfig config() {
    StackConfig cfg;
    cfg.seed = 42;
    cfg.dad_transmits = 0;
    return cfg;
  }
  explicit UdpStack(Device& dev) : stack(config(), dev) {
    stack.add_address(*IpCidr::parse("198.18.0.2/24"));
    stack.add_address(*IpCidr::parse("fd00:1::2/64"));
    stack.register_transport(udp);
  }
  Stack stack;
  UdpLayer udp{UdpLayerConfig{}};
};

// `a`:`port` as a kernel socket address.
socklen_t to_sockaddr(const IpAddr& a, std::uint16_t port, sockaddr_storage& ss) {
  if (a.is_v6()) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    std::memcpy(&s6->sin6_addr, a.v6().bytes().data(), 16);
    return sizeof *s6;
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(port);
  std::memcpy(&s4->sin_addr, a.v4().bytes().data(), 4);
  return sizeof *s4;
}

class UsoOverTunTest : public ::testing::TestWithParam<UsoParam> {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test needs root (it creates namespaces and TUN devices)";
    netns_ = "ustsu" + std::to_string(::getpid());
    netns_create(netns_);
  }
  void TearDown() override { netns_delete(netns_); }
  // A TUN in the test's namespace at MTU 1500, offloads on, USO as the parameter says.
  TunConfig config(const char* suffix) const {
    TunConfig c;
    c.name = std::string("ust") + std::to_string(::getpid()) + suffix;
    c.netns = netns_;
    c.mtu = 1500;
    c.offload = true;
    c.uso = GetParam().uso;
    return c;
  }

  std::string netns_;
};

// 40 datagrams of 1200 bytes and one of 77, sent in one go from one socket, reach a kernel UDP
// socket as 41 datagrams, in order, byte for byte: with USO as one super-packet (the kernel
// cuts it, __udp_gso_segment), refused as 41 packets.
TEST_P(UsoOverTunTest, ARunOfDatagramsReachesAKernelSocketWhole) {
  const bool v6 = GetParam().v6;
  TunDevice dev(config("u"));
  EXPECT_EQ(dev.offload_state().uso, GetParam().uso) << "this kernel (6.2+) takes TUN_F_USO4/6";
  EXPECT_EQ(dev.caps().tx_uso, GetParam().uso);
  const IpAddr kernel = *IpAddr::parse(v6 ? "fd00:1::1" : "198.18.0.1");
  int rx = -1;
  {
    NetnsScope in(netns_);
    add_link_address(dev.name(), *IpCidr::parse("198.18.0.1/24"));
    add_link_address(dev.name(), *IpCidr::parse("fd00:1::1/64"));
    rx = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(rx, 0);
    int big = 4 << 20;
    ::setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    sockaddr_storage ss{};
    socklen_t sl = to_sockaddr(kernel, 9000, ss);
    ASSERT_EQ(::bind(rx, reinterpret_cast<sockaddr*>(&ss), sl), 0) << std::strerror(errno);
  }
  UdpStack ustack(dev);
  Stack& stack = ustack.stack;
  UdpLayer& udp = ustack.udp;
  PollableRef<Stack> pollable(stack);
  AsioRuntime rt(pollable, dev.fd());
  rt.run_until([] { return false; }, rt.now() + 50_ms);

  SocketHandle h = udp.open(v6 ? IpVersion::kV6 : IpVersion::kV4);
  std::vector<ByteVec> sent;
  for (std::size_t k = 0; k < 41; ++k) {
    ByteVec d(k == 40 ? 77 : 1200);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 5 + k);
    ASSERT_TRUE(udp.send_to(rt.now(), h, d, UdpEndpoint{kernel, 9000}, stack).ok());
    sent.push_back(std::move(d));
  }
  rt.wake();
  rt.run_until([] { return false; }, rt.now() + 50_ms);

  std::vector<ByteVec> got;
  ByteVec buf(65536);
  for (int i = 0; i < 200 && got.size() < sent.size(); ++i) {
    ssize_t n = ::recv(rx, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n >= 0) {
      got.emplace_back(buf.begin(), buf.begin() + n);
      continue;
    }
    pollfd pfd{rx, POLLIN, 0};
    ::poll(&pfd, 1, 10);
  }
  ::close(rx);
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t k = 0; k < sent.size(); ++k) EXPECT_EQ(got[k], sent[k]) << "datagram " << k;
  EXPECT_EQ(stack.counters().get("link.out_gso_packets"), GetParam().uso ? 1u : 0u);
  EXPECT_EQ(stack.counters().get("link.out_gso_segments"), GetParam().uso ? 41u : 0u);
  EXPECT_EQ(dev.stats().tx_errors, 0u);
}

// The other way: a kernel socket sends 40 datagrams of 1200 bytes and one of 77 with one
// sendmsg (UDP_SEGMENT, Linux udp_send_skb). With USO the TUN hands them over as one
// super-packet (VIRTIO_NET_HDR_GSO_UDP_L4, NEEDS_CSUM) that the stack cuts back into 41
// datagrams (Stack::uso_input); refused, the kernel cuts them itself. Either way ustack's
// socket receives the 41 datagrams in order, byte for byte.
TEST_P(UsoOverTunTest, AKernelUdpSegmentSendReachesAUstackSocketAsItsDatagrams) {
  const bool v6 = GetParam().v6;
  TunDevice dev(config("r"));
  const IpAddr us = *IpAddr::parse(v6 ? "fd00:1::2" : "198.18.0.2");
  UdpStack ustack(dev);
  Stack& stack = ustack.stack;
  UdpLayer& udp = ustack.udp;
  SocketHandle h = udp.open(v6 ? IpVersion::kV6 : IpVersion::kV4);
  ASSERT_FALSE(udp.bind(h, us, 9000, stack));
  PollableRef<Stack> pollable(stack);
  AsioRuntime rt(pollable, dev.fd());

  ByteVec all;
  std::vector<ByteVec> sent;
  for (std::size_t k = 0; k < 41; ++k) {
    ByteVec d(k == 40 ? 77 : 1200);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 3 + k);
    all.insert(all.end(), d.begin(), d.end());
    sent.push_back(std::move(d));
  }
  {
    NetnsScope in(netns_);
    add_link_address(dev.name(), *IpCidr::parse("198.18.0.1/24"));
    add_link_address(dev.name(), *IpCidr::parse("fd00:1::1/64"));
    // IPv6 may refuse to send while its address is tentative (DAD): retry a few times.
    int tx = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(tx, 0);
    int gso = 1200;
    ASSERT_EQ(::setsockopt(tx, IPPROTO_UDP, 103 /* UDP_SEGMENT */, &gso, sizeof gso), 0)
        << std::strerror(errno);
    sockaddr_storage ss{};
    socklen_t sl = to_sockaddr(us, 9000, ss);
    ssize_t n = -1;
    for (int attempt = 0; attempt < 50 && n < 0; ++attempt) {
      n = ::sendto(tx, all.data(), all.size(), 0, reinterpret_cast<sockaddr*>(&ss), sl);
      if (n < 0) ::usleep(50000);
    }
    ::close(tx);
    ASSERT_EQ(n, static_cast<ssize_t>(all.size())) << std::strerror(errno);
  }
  std::vector<ByteVec> got;
  ByteVec buf(65536);
  rt.run_until(
      [&] {
        while (auto r = udp.recv_from(h, MutBytes(buf))) {
          got.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r->size));
        }
        return got.size() >= sent.size();
      },
      rt.now() + 2_s);
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t k = 0; k < sent.size(); ++k) EXPECT_EQ(got[k], sent[k]) << "datagram " << k;
  EXPECT_EQ(stack.counters().get("link.in_uso_datagrams"), GetParam().uso ? 41u : 0u);
  EXPECT_EQ(stack.counters().get("drops.uso_malformed"), 0u);
  EXPECT_EQ(udp.counters().drops_bad_checksum, 0u);
  EXPECT_EQ(udp.counters().in_datagrams, 41u);
}

INSTANTIATE_TEST_SUITE_P(UsoOnAndRefused, UsoOverTunTest,
                         ::testing::Values(UsoParam{true, false}, UsoParam{true, true},
                                           UsoParam{false, false}, UsoParam{false, true}),
                         [](const auto& info) {
                           return std::string(info.param.uso ? "Uso" : "Refused") +
                                  (info.param.v6 ? "Ipv6" : "Ipv4");
                         });

}  // namespace
}  // namespace ustack::tun
