// Two Stacks back to back over an in-memory Link: pings of every size the reassembler
// accepts, and many pings over an impaired link.
#include <map>

#include "stack/stack_test_util.h"

namespace ustack::testing {
namespace {

void expect_echo_of_size(Pair& p, const IpAddr& dst, std::size_t size, std::uint16_t seq) {
  ByteVec data = pattern(size, static_cast<std::uint8_t>(seq));
  ASSERT_TRUE(p.a.send_echo_request(p.now, dst, 77, seq, data)) << size;
  p.run_for(100_ms);
  auto r = p.a.pop_echo_reply();
  ASSERT_TRUE(r) << "no reply for " << size << " bytes to " << dst.to_string();
  EXPECT_EQ(r->from, dst);
  EXPECT_EQ(r->ident, 77);
  EXPECT_EQ(r->seq, seq);
  EXPECT_EQ(r->payload, data) << size;
  EXPECT_FALSE(p.a.pop_echo_reply());
}

const std::size_t kSizes[] = {0, 1, 56, 1452, 1453, 1472, 1473, 4000, 9000, 30000, 60000};

// RFC 1122 §3.2.2.6: echo replies of any size the reassembler accepts.
TEST(StackPair, EchoOfEverySizeIpv4) {
  Pair p(LinkConfig{});
  std::uint16_t seq = 0;
  for (std::size_t s : kSizes) expect_echo_of_size(p, IpAddr(kUs4), s, seq++);
  EXPECT_GT(p.b.counters().get("ip.reasm_oks"), 0u);
  EXPECT_GT(p.b.counters().get("ip.frag_creates"), 0u);
  EXPECT_EQ(p.a.counters().total_drops(), 0u);
  EXPECT_EQ(p.b.counters().total_drops(), 0u);
}

TEST(StackPair, EchoOfEverySizeIpv6) {
  Pair p(LinkConfig{});
  std::uint16_t seq = 0;
  for (std::size_t s : kSizes) expect_echo_of_size(p, IpAddr(kUs6), s, seq++);
  EXPECT_GT(p.b.counters().get("ip6.reasm_oks"), 0u);
  EXPECT_EQ(p.a.counters().total_drops(), 0u);
  EXPECT_EQ(p.b.counters().total_drops(), 0u);
}

// The largest echoes there are: an IPv4 datagram of 65535 bytes (20 + 8 + 65507) and an
// IPv6 packet whose payload is 65535 bytes (8 + 65527), both fragmented on the way out and
// reassembled on the way in, in each direction. One byte more cannot be sent at all.
TEST(StackPair, LargestEchoIpv4) {
  Pair p(LinkConfig{});
  expect_echo_of_size(p, IpAddr(kUs4), 65507, 1);
  EXPECT_FALSE(p.a.send_echo_request(p.now, IpAddr(kUs4), 77, 2, pattern(65508)));
  EXPECT_EQ(p.b.counters().total_drops(), 0u);
}

TEST(StackPair, LargestEchoIpv6) {
  Pair p(LinkConfig{});
  expect_echo_of_size(p, IpAddr(kUs6), 65527, 1);
  EXPECT_FALSE(p.a.send_echo_request(p.now, IpAddr(kUs6), 77, 2, pattern(65528)));
  EXPECT_EQ(p.b.counters().total_drops(), 0u);
}

// The same over Ethernet: ARP, NDP and DAD run first, then every size goes through.
TEST(StackPair, EchoOfEverySizeOverEthernet) {
  Pair p(link_config(Medium::kEthernet, 1500));
  p.run_for(2_s);  // DAD
  EXPECT_EQ(p.b.address_state(IpAddr(kUs6)), AddressState::kPreferred);
  std::uint16_t seq = 0;
  for (std::size_t s : kSizes) {
    expect_echo_of_size(p, IpAddr(kUs4), s, seq++);
    expect_echo_of_size(p, IpAddr(kUs6), s, seq++);
  }
  EXPECT_EQ(p.a.neighbor_mac(IpAddr(kUs4)), kUsMac);
  EXPECT_EQ(p.a.neighbor_mac(IpAddr(kUs6)), kUsMac);
}

// 1000 echo requests over a link that loses, duplicates, reorders, delays and corrupts:
// every reply that arrives carries exactly the data of its request, corrupted packets are
// caught by checksums and counted, and most pings get through.
TEST(StackPair, ThousandPingsOverImpairedLink) {
  LinkImpairments imp;
  imp.loss = 0.03;
  imp.duplicate = 0.05;
  imp.reorder = 0.1;
  imp.reorder_delay = 15_ms;
  imp.corrupt = 0.02;
  imp.delay = 2_ms;
  imp.jitter = 3_ms;
  Pair p(LinkConfig{.seed = 2024, .a_to_b = imp, .b_to_a = imp});
  std::map<std::uint16_t, int> got;
  int wrong = 0, total = 0;
  for (std::uint16_t seq = 0; seq < 1000; ++seq) {
    IpAddr dst = seq % 2 ? IpAddr(kUs6) : IpAddr(kUs4);
    std::size_t size = seq % 7 == 0 ? 3000 : 64;  // some fragmented ones too
    p.a.send_echo_request(p.now, dst, 1, seq, pattern(size, static_cast<std::uint8_t>(seq)));
    p.run_for(10_ms);
    while (auto r = p.a.pop_echo_reply()) {
      ++total;
      std::size_t want = r->seq % 7 == 0 ? 3000 : 64;
      if (r->payload != pattern(want, static_cast<std::uint8_t>(r->seq))) ++wrong;
      got[r->seq]++;
    }
  }
  p.run_for(100_ms);
  while (auto r = p.a.pop_echo_reply()) {
    ++total;
    got[r->seq]++;
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(got.size(), 850u);
  EXPECT_GT(static_cast<std::size_t>(total), got.size());  // duplicates were answered twice
  std::uint64_t corrupt_caught = 0;
  for (const Stack* s : {&p.a, &p.b}) {
    s->counters().for_each([&](std::string_view name, std::uint64_t v) {
      if (name.starts_with("drops.")) corrupt_caught += v;
    });
  }
  EXPECT_GT(corrupt_caught, 0u);
  EXPECT_GT(p.link.a().tx_stats().corrupted + p.link.b().tx_stats().corrupted, 0u);
}

// RFC 1122 §3.3.6: a datagram to one of our own addresses never reaches the wire but is
// received as if it had come back.
TEST(StackLoopback, PingOwnAddress) {
  for (IpAddr self : {IpAddr(kUs4), IpAddr(kUs6)}) {
    Rig rig;
    ByteVec data = pattern(5000);
    ASSERT_TRUE(rig.stack.send_echo_request(rig.now, self, 3, 4, data));
    EXPECT_LE(rig.stack.poll_at(), rig.now);
    rig.advance(1_ms);
    auto r = rig.stack.pop_echo_reply();
    ASSERT_TRUE(r) << self.to_string();
    EXPECT_EQ(r->from, self);
    EXPECT_EQ(r->payload, data);
    EXPECT_TRUE(rig.sent().empty());
    EXPECT_EQ(rig.counter("link.loopback"), 2u);
  }
}

}  // namespace
}  // namespace ustack::testing
