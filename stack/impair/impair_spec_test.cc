// ImpairSpec::parse: every field, its units, and the one-line error naming each bad field.
#include "stack/impair/impair_spec.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

using namespace ustack::literals;

ImpairSpec ok(std::string_view text) {
  ImpairSpecParse r = ImpairSpec::parse(text);
  EXPECT_TRUE(r.spec) << text << ": " << r.error;
  return r.spec.value_or(ImpairSpec{});
}

std::string error(std::string_view text) {
  ImpairSpecParse r = ImpairSpec::parse(text);
  EXPECT_FALSE(r.spec) << text << " parsed";
  return r.error;
}

TEST(ImpairSpecParse, EveryFieldOfTheFullExample) {
  ImpairSpec s =
      ok("delay=20ms,jitter=2ms,rate=100mbit,queue=64k,loss=1%,burst=gilbert:p=0.01:r=0.3,"
         "reorder=2%:5ms,dup=0.1%,corrupt=0.01%,seed=7");
  EXPECT_EQ(s.delay, 20_ms);
  EXPECT_EQ(s.jitter, 2_ms);
  EXPECT_EQ(s.rate_bps, 100'000'000u);
  EXPECT_EQ(s.queue_bytes, 65536u);
  EXPECT_DOUBLE_EQ(s.loss, 0.01);
  EXPECT_DOUBLE_EQ(s.burst.p, 0.01);
  EXPECT_DOUBLE_EQ(s.burst.r, 0.3);
  EXPECT_DOUBLE_EQ(s.burst.h, 1);
  EXPECT_DOUBLE_EQ(s.burst.k, 0);
  EXPECT_DOUBLE_EQ(s.reorder, 0.02);
  EXPECT_EQ(s.reorder_delay, 5_ms);
  EXPECT_DOUBLE_EQ(s.duplicate, 0.001);
  EXPECT_DOUBLE_EQ(s.corrupt, 0.0001);
  EXPECT_EQ(s.seed, 7u);
  EXPECT_FALSE(s.is_none());
}

TEST(ImpairSpecParse, DurationUnits) {
  EXPECT_EQ(ok("delay=250ns").delay, 250_ns);
  EXPECT_EQ(ok("delay=500us").delay, 500_us);
  EXPECT_EQ(ok("delay=1.5s").delay, 1500_ms);
  EXPECT_EQ(ok("delay=0").delay, Duration::zero());
  EXPECT_EQ(ok("jitter=0.5ms").jitter, 500_us);
}

TEST(ImpairSpecParse, RateUnitsAreBitsWithSiPrefixes) {
  EXPECT_EQ(ok("rate=9600bit").rate_bps, 9600u);
  EXPECT_EQ(ok("rate=64kbit").rate_bps, 64'000u);
  EXPECT_EQ(ok("rate=1.5mbit").rate_bps, 1'500'000u);
  EXPECT_EQ(ok("rate=10gbit").rate_bps, 10'000'000'000u);
}

TEST(ImpairSpecParse, QueueSizesAreBinaryAndDefaultTo64k) {
  EXPECT_EQ(ok("rate=1mbit,queue=9000").queue_bytes, 9000u);
  EXPECT_EQ(ok("rate=1mbit,queue=1500b").queue_bytes, 1500u);
  EXPECT_EQ(ok("rate=1mbit,queue=32kb").queue_bytes, 32768u);
  EXPECT_EQ(ok("rate=1mbit,queue=1m").queue_bytes, 1048576u);
  EXPECT_EQ(ok("rate=1mbit").effective_queue_bytes(), 65536u);
}

TEST(ImpairSpecParse, ReorderDelayIsOptional) {
  ImpairSpec s = ok("reorder=10%");
  EXPECT_DOUBLE_EQ(s.reorder, 0.1);
  EXPECT_EQ(s.reorder_delay, 5_ms);
  EXPECT_EQ(ok("reorder=10%:12ms").reorder_delay, 12_ms);
}

TEST(ImpairSpecParse, GilbertTakesFractionsOrPercentAndOptionalLossChances) {
  ImpairSpec s = ok("burst=gilbert:p=1%:r=25%:h=0.8:k=0.001");
  EXPECT_DOUBLE_EQ(s.burst.p, 0.01);
  EXPECT_DOUBLE_EQ(s.burst.r, 0.25);
  EXPECT_DOUBLE_EQ(s.burst.h, 0.8);
  EXPECT_DOUBLE_EQ(s.burst.k, 0.001);
  EXPECT_TRUE(s.burst.enabled());
}

TEST(ImpairSpecParse, ZeroValuesMeanNone) {
  EXPECT_TRUE(ok("loss=0%,delay=0").is_none());
  EXPECT_TRUE(ok("seed=3").is_none());
  EXPECT_FALSE(ok("dup=1%").is_none());
}

TEST(ImpairSpecParse, ToStringRoundTrips) {
  const char* text =
      "delay=20ms,jitter=2ms,rate=100mbit,queue=64k,loss=1%,burst=gilbert:p=0.01:r=0.3:h=0.9,"
      "reorder=2%:5ms,dup=0.1%,corrupt=0.01%,seed=7";
  EXPECT_EQ(ok(text).to_string(), text);
  EXPECT_EQ(ok(ok(text).to_string()).to_string(), text);
  EXPECT_EQ(ImpairSpec{}.to_string(), "none");
}

TEST(ImpairSpecParseError, PercentOutOfRange) {
  EXPECT_EQ(error("loss=120%"), "loss=120% out of range (0..100%)");
  EXPECT_EQ(error("dup=101%"), "dup=101% out of range (0..100%)");
  EXPECT_EQ(error("corrupt=200%"), "corrupt=200% out of range (0..100%)");
  EXPECT_EQ(error("reorder=150%:5ms"), "reorder=150% out of range (0..100%)");
}

TEST(ImpairSpecParseError, PercentWithoutPercentSign) {
  EXPECT_EQ(error("loss=1"), "loss=1: want a percentage (e.g. loss=1%)");
  EXPECT_EQ(error("dup=-1%"), "dup=-1%: want a percentage (e.g. dup=1%)");
}

TEST(ImpairSpecParseError, DurationWithoutUnit) {
  EXPECT_EQ(error("delay=20"), "delay=20: want a duration with a unit (ns, us, ms, s; e.g. 20ms)");
  EXPECT_EQ(error("jitter=2min"),
            "jitter=2min: want a duration with a unit (ns, us, ms, s; e.g. 20ms)");
  EXPECT_EQ(error("delay=2h"), "delay=2h: want a duration with a unit (ns, us, ms, s; e.g. 20ms)");
  EXPECT_EQ(error("delay=4000s"), "delay=4000s out of range (0..1h)");
}

TEST(ImpairSpecParseError, RateUnitsAndRange) {
  EXPECT_EQ(error("rate=100mbps"),
            "rate=100mbps: want bits per second (bit, kbit, mbit, gbit; e.g. 100mbit)");
  EXPECT_EQ(error("rate=100"),
            "rate=100: want bits per second (bit, kbit, mbit, gbit; e.g. 100mbit)");
  EXPECT_EQ(error("rate=0mbit"), "rate=0mbit out of range (8bit..1000gbit)");
  EXPECT_EQ(error("rate=2000gbit"), "rate=2000gbit out of range (8bit..1000gbit)");
}

TEST(ImpairSpecParseError, QueueSizeAndItsRate) {
  EXPECT_EQ(error("rate=1mbit,queue=64q"), "queue=64q: want bytes (e.g. 64k, 1m, 9000)");
  EXPECT_EQ(error("rate=1mbit,queue=0"), "queue=0 out of range (1..1g)");
  EXPECT_EQ(error("queue=64k"),
            "queue=64k needs a rate= (the queue fills only when packets arrive faster than "
            "the rate)");
}

TEST(ImpairSpecParseError, ReorderShape) {
  EXPECT_EQ(error("reorder=2%:5ms:1"), "reorder=2%:5ms:1: want PERCENT[:DELAY] (e.g. 2%:5ms)");
  EXPECT_EQ(error("reorder=2%:5"),
            "reorder=2%:5: want a duration with a unit (ns, us, ms, s; e.g. 20ms)");
  EXPECT_EQ(error("reorder=2%:0"), "reorder=2%:0: the hold-back delay must be above 0");
}

TEST(ImpairSpecParseError, BurstShape) {
  const std::string want = ": want gilbert:p=P:r=R[:h=H][:k=K] (e.g. gilbert:p=0.01:r=0.3)";
  EXPECT_EQ(error("burst=markov:p=0.1:r=0.2"), "burst=markov:p=0.1:r=0.2" + want);
  EXPECT_EQ(error("burst=gilbert:p=0.1"), "burst=gilbert:p=0.1" + want);
  EXPECT_EQ(error("burst=gilbert:p=0.1:r=0.2:x=1"), "burst=gilbert:p=0.1:r=0.2:x=1" + want);
  EXPECT_EQ(error("burst=gilbert:p:r=0.2"), "burst=gilbert:p:r=0.2" + want);
  EXPECT_EQ(error("burst=gilbert:p=2:r=0.2"), "burst p=2 out of range (0..1, or 0..100%)");
  EXPECT_EQ(error("burst=gilbert:p=0.1:r=1ms"), "burst r=1ms: want a probability (0.3 or 30%)");
  EXPECT_EQ(error("burst=gilbert:p=0:r=0.2"), "burst=gilbert:p=0:r=0.2: p must be above 0");
  EXPECT_EQ(error("burst=gilbert:p=0.1:r=0"),
            "burst=gilbert:p=0.1:r=0: r must be above 0 (the bad state would never end)");
}

TEST(ImpairSpecParseError, Seed) {
  EXPECT_EQ(error("seed=x"), "seed=x: want a number (0..2^64-1)");
  EXPECT_EQ(error("seed=18446744073709551616"),
            "seed=18446744073709551616: want a number (0..2^64-1)");
  EXPECT_EQ(ok("seed=18446744073709551615").seed, 18446744073709551615ull);
}

TEST(ImpairSpecParseError, UnknownRepeatedAndMalformedItems) {
  EXPECT_EQ(error("latency=20ms"),
            "unknown field 'latency' (fields: delay, jitter, rate, queue, loss, burst, reorder, "
            "dup, corrupt, seed)");
  EXPECT_EQ(error("loss=1%,loss=2%"), "loss= given twice");
  EXPECT_EQ(error("delay=20ms,"),
            "'': want FIELD=VALUE (fields: delay, jitter, rate, queue, loss, burst, reorder, dup, "
            "corrupt, seed)");
  EXPECT_EQ(error("=5"),
            "'=5': want FIELD=VALUE (fields: delay, jitter, rate, queue, loss, burst, reorder, "
            "dup, corrupt, seed)");
  EXPECT_EQ(error(""), "empty spec (want FIELD=VALUE,..., e.g. delay=20ms,loss=1%)");
}

}  // namespace
}  // namespace ustack
