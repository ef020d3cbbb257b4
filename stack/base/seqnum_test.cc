#include "stack/base/seqnum.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

// RFC 9293 §3.4: comparisons are modulo 2^32.
TEST(SeqNum, ComparesAcrossWrap) {
  SeqNum a(0xfffffff0u);
  SeqNum b = a + 0x20;  // wrapped to 0x10
  EXPECT_EQ(b.raw(), 0x10u);
  EXPECT_LT(a, b);
  EXPECT_GT(b, a);
  EXPECT_EQ(b - a, 0x20);
  EXPECT_EQ(a - b, -0x20);
}

TEST(SeqNum, InRangeIsHalfOpen) {
  SeqNum lo(0xfffffffeu);
  SeqNum hi = lo + 4;
  EXPECT_TRUE(lo.in_range(lo, hi));
  EXPECT_TRUE((lo + 3).in_range(lo, hi));
  EXPECT_FALSE(hi.in_range(lo, hi));
  EXPECT_FALSE((lo - 1).in_range(lo, hi));
}

TEST(SeqNum, MinMax) {
  SeqNum a(0xffffff00u), b(0x10);
  EXPECT_EQ(seq_max(a, b), b);
  EXPECT_EQ(seq_min(a, b), a);
}

}  // namespace
}  // namespace ustack
