// ImpairedDevice around one end of a plain in-memory Link: what it holds, when it says to come
// back (poll_at), and that a direction with no impairment passes through at once.
#include "stack/impair/impaired_device.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/link_device.h"

namespace ustack {
namespace {

using namespace ustack::literals;

ImpairSpec spec(std::string_view text) {
  ImpairSpecParse r = ImpairSpec::parse(text);
  EXPECT_TRUE(r.spec) << r.error;
  return r.spec.value_or(ImpairSpec{});
}

bool send(Device& d, Instant now, std::uint8_t tag, std::size_t len = 100) {
  return d.transmit(now, len, [tag](MutBytes b) {
    std::fill(b.begin(), b.end(), std::uint8_t{0});
    b[0] = tag;
  });
}

TEST(ImpairedDevice, OutboundIsHeldUntilItsReleaseThenSentByPoll) {
  Link link(LinkConfig{});
  ImpairedDevice dev(link.a(), ImpairSpec{}, spec("delay=20ms"), 1);
  ASSERT_TRUE(send(dev, Instant(), 7));
  EXPECT_EQ(dev.poll_at(), Instant() + 20_ms);
  EXPECT_FALSE(dev.poll(Instant() + 19_ms));
  EXPECT_TRUE(link.next_delivery().is_never());
  EXPECT_TRUE(dev.poll(Instant() + 20_ms));
  std::optional<Bytes> p = link.b().receive(Instant() + 20_ms);
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)[0], 7);
  EXPECT_TRUE(dev.poll_at().is_never());
  EXPECT_EQ(dev.out().counters().delayed, 1u);
}

TEST(ImpairedDevice, InboundIsReadAtOnceAndReturnedAtItsRelease) {
  Link link(LinkConfig{});
  ImpairedDevice dev(link.a(), spec("delay=20ms"), ImpairSpec{}, 1);
  ASSERT_TRUE(send(link.b(), Instant(), 9));
  EXPECT_FALSE(dev.receive(Instant()));  // read from the link, now held
  EXPECT_EQ(link.a().queued(), 0u);
  EXPECT_EQ(dev.poll_at(), Instant() + 20_ms);
  EXPECT_FALSE(dev.receive(Instant() + 19_ms));
  std::optional<Bytes> p = dev.receive(Instant() + 20_ms);
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)[0], 9);
}

TEST(ImpairedDevice, UnimpairedDirectionsPassThrough) {
  Link link(LinkConfig{});
  ImpairedDevice dev(link.a(), ImpairSpec{}, ImpairSpec{}, 1);
  ASSERT_TRUE(send(dev, Instant(), 1));
  EXPECT_EQ(link.b().queued(), 1u);  // on the link without a poll
  ASSERT_TRUE(send(link.b(), Instant(), 2));
  ASSERT_TRUE(dev.receive(Instant()));
  EXPECT_TRUE(dev.poll_at().is_never());
}

TEST(ImpairedDevice, UndelayedImpairedPacketLeavesInTransmit) {
  Link link(LinkConfig{});
  ImpairedDevice dev(link.a(), ImpairSpec{}, spec("dup=100%"), 1);
  ASSERT_TRUE(send(dev, Instant(), 1));
  EXPECT_EQ(link.b().queued(), 2u);
  EXPECT_EQ(dev.out().counters().duplicated, 1u);
}

TEST(ImpairedDevice, RefusesWhatTheInnerDeviceCouldNotCarry) {
  Link link(LinkConfig{.mtu = 1500});
  ImpairedDevice dev(link.a(), ImpairSpec{}, spec("delay=1ms"), 1);
  EXPECT_FALSE(send(dev, Instant(), 1, 1501));
  EXPECT_TRUE(send(dev, Instant(), 1, 1500));
}

TEST(ImpairedDevice, CorruptionTurnsChecksumOffloadOff) {
  Link link(LinkConfig{.checksum_offload = true});
  EXPECT_TRUE(ImpairedDevice(link.a(), ImpairSpec{}, ImpairSpec{}, 1).caps().tx_checksum_offload);
  DeviceCaps c = ImpairedDevice(link.a(), spec("corrupt=1%"), spec("corrupt=1%"), 1).caps();
  EXPECT_FALSE(c.rx_checksum_verified);
  EXPECT_FALSE(c.tx_checksum_offload);
}

TEST(ImpairedDevice, DirectionsDrawFromDifferentSeeds) {
  Link link(LinkConfig{});
  ImpairedDevice dev(link.a(), spec("loss=50%"), spec("loss=50%"), 1);
  std::vector<bool> out_lost, in_lost;
  for (int i = 0; i < 64; ++i) {
    std::uint64_t before = dev.out().counters().lost_random;
    send(dev, Instant(), 1);
    out_lost.push_back(dev.out().counters().lost_random != before);
    before = dev.in().counters().lost_random;
    send(link.b(), Instant(), 1);
    while (dev.receive(Instant())) {
    }
    in_lost.push_back(dev.in().counters().lost_random != before);
  }
  EXPECT_NE(out_lost, in_lost);
}

TEST(ImpairedDevice, CountersTextNamesDirectionAndCause) {
  Link link(LinkConfig{});
  ImpairedDevice dev(link.a(), ImpairSpec{}, spec("loss=100%"), 1);
  send(dev, Instant(), 1);
  std::string text = dev.counters_text();
  EXPECT_NE(text.find("    1 impair.out.lost_random\n"), std::string::npos);
  EXPECT_NE(text.find("    0 impair.in.lost_random\n"), std::string::npos);
}

}  // namespace
}  // namespace ustack

namespace ustack {
namespace {

struct Drops : Tracer {
  void on_event(const TraceEvent& e) override {
    if (e.kind != TraceKind::kDrop) return;
    counters.push_back(e.what);
    rules.push_back(e.detail);
    draws.push_back(e.draw);
    seeds.push_back(e.value2);
    flows.push_back(e.has_seq ? std::to_string(e.local_port) + ">" + std::to_string(e.remote_port) +
                                    " " + std::to_string(e.seq)
                              : "");
  }
  std::vector<std::string> counters, rules, flows;
  std::vector<double> draws;
  std::vector<std::int64_t> seeds;
};

// An IPv4/TCP packet 198.18.0.1:40000 > 198.18.0.2:80, seq 1000 (only what the trace reads).
bool send_tcp(Device& d, Instant now) {
  return d.transmit(now, 40, [](MutBytes b) {
    std::fill(b.begin(), b.end(), std::uint8_t{0});
    b[0] = 0x45;
    b[9] = 6;
    const std::uint8_t src[] = {198, 18, 0, 1}, dst[] = {198, 18, 0, 2};
    std::copy(src, src + 4, b.begin() + 12);
    std::copy(dst, dst + 4, b.begin() + 16);
    store_be16(b, 20, 40000);
    store_be16(b, 22, 80);
    store_be32(b, 24, 1000);
  });
}

// Every packet lost is traced with the rule, the seed, the draw below the probability, and the
// TCP flow from the stack's side; a kept packet is not.
TEST(ImpairedDevice, DropsAreTracedWithRuleSeedDrawAndFlow) {
  Link link(LinkConfig{});
  ImpairedDevice dev(link.a(), ImpairSpec{}, spec("loss=50%"), 7);
  Drops t;
  dev.set_tracer(&t);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(send_tcp(dev, Instant()));
  const std::uint64_t lost = dev.out().counters().lost_random;
  ASSERT_GT(lost, 0u);
  ASSERT_EQ(t.counters.size(), lost);
  for (std::size_t i = 0; i < t.counters.size(); ++i) {
    EXPECT_EQ(t.counters[i], "impair.out.lost_random");
    EXPECT_EQ(t.rules[i], "loss=50%");
    EXPECT_EQ(t.seeds[i], 7);
    EXPECT_GE(t.draws[i], 0.0);
    EXPECT_LT(t.draws[i], 0.5);
    EXPECT_EQ(t.flows[i], "40000>80 1000");
  }
}

}  // namespace
}  // namespace ustack
