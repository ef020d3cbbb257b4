#include "stack/base/time.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

using namespace literals;

TEST(Time, ArithmeticAndUnits) {
  Instant t0 = Instant::zero();
  Instant t1 = t0 + 1500_ms;
  EXPECT_EQ((t1 - t0).total_millis(), 1500);
  EXPECT_EQ((1_s).total_micros(), 1000000);
  EXPECT_LT(t0, t1);
  EXPECT_EQ(Duration::seconds(2) / 4, 500_ms);
}

TEST(Time, NeverSaturates) {
  EXPECT_TRUE((Instant::never() + 1_s).is_never());
  EXPECT_TRUE((Instant::zero() + Duration::infinite()).is_never());
  EXPECT_LT(Instant::from_millis(1) + 100_s, Instant::never());
}

TEST(Time, Printing) {
  EXPECT_EQ((1500_ms).to_string(), "1.500s");
  EXPECT_EQ((40_ms).to_string(), "40ms");
  EXPECT_EQ((250_us).to_string(), "250us");
  EXPECT_EQ(Instant::from_micros(12345678).to_string(), "12.345678s");
}

}  // namespace
}  // namespace ustack
