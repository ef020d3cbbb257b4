// The whole shell against the real kernel: Stack on a TunDevice, driven by AsioRuntime's
// run_until() the way sockapi's blocking calls will be. ustack pings the kernel (the reverse of
// the integration tests' direction): over TAP this needs our own ARP/NDP resolution of the
// kernel side. Needs root and /dev/net/tun; fails (does not skip) without them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "stack/stack.h"
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

}  // namespace
}  // namespace ustack::tun
