// Impairment: each cause's statistics over many packets with a fixed seed, the rate limiter's
// timing exactly in virtual time, and determinism.
#include "stack/impair/impairment.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <vector>

namespace ustack {
namespace {

using namespace ustack::literals;

ImpairSpec spec(std::string_view text) {
  ImpairSpecParse r = ImpairSpec::parse(text);
  EXPECT_TRUE(r.spec) << r.error;
  return r.spec.value_or(ImpairSpec{});
}

// Packet i carries its number in its first 4 bytes.
ByteVec numbered(std::uint32_t i, std::size_t len = 100) {
  ByteVec p(len, 0);
  for (int b = 0; b < 4; ++b) p[b] = static_cast<std::uint8_t>(i >> (8 * b));
  return p;
}

std::uint32_t number_of(Bytes p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

struct Out {
  Instant at;
  ByteVec bytes;
};

// Offers `n` packets, one every `gap`, and collects every release with its time.
std::vector<Out> run(Impairment& imp, std::uint32_t n, Duration gap, std::size_t len = 100) {
  std::vector<Out> out;
  Instant now;
  auto drain = [&](Instant t) {
    while (std::optional<Bytes> p = imp.release(t))
      out.push_back({t, ByteVec(p->begin(), p->end())});
  };
  for (std::uint32_t i = 0; i < n; ++i) {
    drain(now);
    imp.offer(now, numbered(i, len));
    drain(now);
    Instant next = now + gap;
    while (imp.next_release() <= next) drain(imp.next_release());
    now = next;
  }
  while (!imp.next_release().is_never()) drain(imp.next_release());
  return out;
}

TEST(Impairment, NoneReleasesEveryPacketAtOnceUntouched) {
  Impairment imp(ImpairSpec{}, 1);
  std::vector<Out> out = run(imp, 100, 1_ms);
  ASSERT_EQ(out.size(), 100u);
  for (std::uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(out[i].bytes, numbered(i));
    EXPECT_EQ(out[i].at, Instant() + 1_ms * i);
  }
  EXPECT_EQ(imp.counters().delayed, 0u);
  EXPECT_EQ(imp.counters().released, 100u);
}

TEST(Impairment, RandomLossRateWithinTolerance) {
  Impairment imp(spec("loss=5%"), 7);
  std::vector<Out> out = run(imp, 20000, 1_us);
  const ImpairCounters& c = imp.counters();
  EXPECT_EQ(c.offered, 20000u);
  EXPECT_NEAR(static_cast<double>(c.lost_random) / 20000, 0.05, 0.006);
  EXPECT_EQ(out.size(), 20000 - c.lost_random);
  EXPECT_EQ(c.released, out.size());
}

// Gilbert–Elliott with h=1, k=0: losses come in runs of mean length 1/r, and the long-run
// loss share is p/(p+r).
TEST(Impairment, GilbertElliottBurstLengthsAndLossShare) {
  Impairment imp(spec("burst=gilbert:p=0.02:r=0.25"), 11);
  std::vector<Out> out = run(imp, 50000, 1_us);
  std::vector<bool> got(50000, false);
  for (const Out& o : out) got[number_of(o.bytes)] = true;
  std::uint64_t bursts = 0, lost = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i]) continue;
    ++lost;
    if (i == 0 || got[i - 1]) ++bursts;
  }
  EXPECT_EQ(lost, imp.counters().lost_burst);
  EXPECT_EQ(imp.counters().lost_random, 0u);
  EXPECT_NEAR(static_cast<double>(lost) / bursts, 1 / 0.25, 0.4);
  EXPECT_NEAR(static_cast<double>(lost) / 50000, 0.02 / (0.02 + 0.25), 0.01);
}

TEST(Impairment, GilbertElliottPartialLossInEachState) {
  Impairment imp(spec("burst=gilbert:p=0.1:r=0.1:h=0.5:k=0.01"), 3);
  run(imp, 50000, 1_us);
  // Half the time in each state: 0.5 * 0.5 + 0.5 * 0.01.
  EXPECT_NEAR(static_cast<double>(imp.counters().lost_burst) / 50000, 0.255, 0.02);
}

// 1000-byte packets at 8 Mbit/s take exactly 1 ms each; offered back to back at t=0 they
// leave at 1, 2, 3 ... ms (plus the fixed delay), and the 8000-byte queue holds 8 of them: the
// rest are dropped at the tail.
TEST(Impairment, RateSerializesAndQueueDropsTail) {
  Impairment imp(spec("rate=8mbit,queue=8000,delay=10ms"), 1);
  for (std::uint32_t i = 0; i < 12; ++i) imp.offer(Instant(), numbered(i, 1000));
  EXPECT_EQ(imp.counters().dropped_queue_full, 4u);
  for (std::uint32_t i = 0; i < 8; ++i) {
    Instant due = Instant() + 10_ms + 1_ms * (i + 1);
    EXPECT_EQ(imp.next_release(), due);
    EXPECT_FALSE(imp.release(due - 1_ns));
    std::optional<Bytes> p = imp.release(due);
    ASSERT_TRUE(p);
    EXPECT_EQ(number_of(*p), i);
  }
  EXPECT_TRUE(imp.next_release().is_never());
}

// The queue empties as packets finish: one finished packet makes room for exactly one more.
TEST(Impairment, QueueRoomReturnsAsPacketsFinishSerializing) {
  Impairment imp(spec("rate=8mbit,queue=2000"), 1);
  imp.offer(Instant(), numbered(0, 1000));
  imp.offer(Instant(), numbered(1, 1000));
  imp.offer(Instant() + 999_us, numbered(2, 1000));  // packet 0 not done yet: full
  imp.offer(Instant() + 1_ms, numbered(3, 1000));    // packet 0 done: room
  EXPECT_EQ(imp.counters().dropped_queue_full, 1u);
  std::vector<Out> out = run(imp, 0, 1_ms);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].at, Instant() + 3_ms);
  EXPECT_EQ(number_of(out[2].bytes), 3u);
}

// An empty queue takes any packet, even one bigger than the queue.
TEST(Impairment, EmptyQueueTakesAnOversizedPacket) {
  Impairment imp(spec("rate=1mbit,queue=100"), 1);
  imp.offer(Instant(), numbered(0, 1500));
  EXPECT_EQ(imp.counters().dropped_queue_full, 0u);
  EXPECT_EQ(imp.next_release(), Instant() + 12_ms);  // 1500 * 8 bits at 1 Mbit/s
}

TEST(Impairment, DelayAndJitterKeepOrder) {
  Impairment imp(spec("delay=20ms,jitter=10ms"), 5);
  std::vector<Out> out = run(imp, 2000, 100_us);
  ASSERT_EQ(out.size(), 2000u);
  bool some_jitter = false;
  for (std::uint32_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(number_of(out[i].bytes), i);
    Duration d = out[i].at - (Instant() + 100_us * i);
    EXPECT_GE(d, 20_ms);
    some_jitter = some_jitter || d > 21_ms;
  }
  EXPECT_TRUE(some_jitter);
  EXPECT_EQ(imp.counters().delayed, 2000u);
  EXPECT_EQ(imp.counters().reordered, 0u);
}

// A reordered packet is held back 5 ms, so the packets sent in the next 5 ms overtake it.
TEST(Impairment, ReorderedPacketsAreOvertaken) {
  Impairment imp(spec("reorder=10%:5ms"), 9);
  std::vector<Out> out = run(imp, 5000, 1_ms);
  ASSERT_EQ(out.size(), 5000u);
  const std::uint64_t reordered = imp.counters().reordered;
  EXPECT_NEAR(static_cast<double>(reordered) / 5000, 0.10, 0.015);
  std::uint64_t overtaken = 0;
  for (std::size_t k = 1; k < out.size(); ++k) {
    if (number_of(out[k].bytes) < number_of(out[k - 1].bytes)) ++overtaken;
  }
  // Each held packet appears after later ones (runs of two held in a row count once).
  EXPECT_GT(overtaken, reordered * 8 / 10);
  for (const Out& o : out) {
    Duration d = o.at - (Instant() + 1_ms * number_of(o.bytes));
    EXPECT_TRUE(d == Duration::zero() || d == 5_ms);
  }
}

TEST(Impairment, DuplicatesAreExactCopies) {
  Impairment imp(spec("dup=10%"), 4);
  std::vector<Out> out = run(imp, 10000, 1_us);
  const std::uint64_t dups = imp.counters().duplicated;
  EXPECT_NEAR(static_cast<double>(dups) / 10000, 0.10, 0.01);
  EXPECT_EQ(out.size(), 10000 + dups);
  std::map<std::uint32_t, int> seen;
  for (const Out& o : out) {
    ++seen[number_of(o.bytes)];
    EXPECT_EQ(o.bytes, numbered(number_of(o.bytes)));
  }
  std::uint64_t twice = 0;
  for (const auto& [n, count] : seen) twice += count == 2;
  EXPECT_EQ(twice, dups);
}

TEST(Impairment, CorruptionFlipsExactlyOneBit) {
  Impairment imp(spec("corrupt=20%"), 8);
  // All-zero packets: a flipped bit is the only 1.
  std::uint64_t flipped = 0;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    imp.offer(Instant(), ByteVec(64, 0));
    std::optional<Bytes> p = imp.release(Instant());
    ASSERT_TRUE(p);
    int ones = 0;
    for (std::uint8_t b : *p) ones += __builtin_popcount(b);
    ASSERT_LE(ones, 1);
    flipped += ones;
  }
  EXPECT_EQ(flipped, imp.counters().corrupted);
  EXPECT_NEAR(static_cast<double>(flipped) / 5000, 0.20, 0.02);
}

std::vector<Out> everything(std::uint64_t seed, std::string_view text) {
  Impairment imp(spec(text), seed);
  return run(imp, 3000, 50_us);
}

bool same(const std::vector<Out>& a, const std::vector<Out>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].at != b[i].at || a[i].bytes != b[i].bytes) return false;
  }
  return true;
}

TEST(Impairment, SameSeedSameDecisions) {
  const char* all =
      "delay=5ms,jitter=1ms,rate=10mbit,queue=8k,loss=2%,burst=gilbert:p=0.01:r=0.3,"
      "reorder=3%:2ms,dup=2%,corrupt=2%";
  EXPECT_TRUE(same(everything(42, all), everything(42, all)));
  EXPECT_FALSE(same(everything(42, all), everything(43, all)));
  // The spec's own seed overrides the one given.
  std::string seeded = std::string(all) + ",seed=5";
  EXPECT_TRUE(same(everything(1, seeded), everything(2, seeded)));
}

// Each cause has its own stream: turning duplication and reordering on does not move which
// packets are lost.
TEST(Impairment, CausesDrawFromSeparateStreams) {
  auto lost_numbers = [](std::string_view text) {
    Impairment imp(spec(text), 42);
    std::vector<bool> got(3000, false);
    for (const Out& o : run(imp, 3000, 50_us)) got[number_of(o.bytes)] = true;
    return got;
  };
  EXPECT_EQ(lost_numbers("loss=5%"), lost_numbers("loss=5%,dup=10%,reorder=5%,jitter=1ms"));
}

TEST(Impairment, CountersText) {
  Impairment imp(spec("loss=100%"), 1);
  imp.offer(Instant(), numbered(0));
  std::string text = imp.counters().to_text("impair.out");
  EXPECT_NE(text.find("    1 impair.out.offered\n"), std::string::npos);
  EXPECT_NE(text.find("    1 impair.out.lost_random\n"), std::string::npos);
  EXPECT_NE(text.find("    0 impair.out.dropped_queue_full\n"), std::string::npos);
}

}  // namespace
}  // namespace ustack
