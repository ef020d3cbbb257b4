#include "tools/services/http_range.h"

#include <gtest/gtest.h>

namespace ustack::services {
namespace {

using Kind = ByteRangeDecision::Kind;

::testing::AssertionResult Partial(const ByteRangeDecision& d, std::uint64_t first,
                                   std::uint64_t last) {
  if (d.kind == Kind::kPartial && d.first == first && d.last == last) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "kind " << static_cast<int>(d.kind) << " [" << d.first << ", " << d.last << "]";
}

// RFC 9110 §14.1.2's examples on a 10000-byte representation.
TEST(HttpRange, TheRfcExamples) {
  EXPECT_TRUE(Partial(decide_byte_range("bytes=0-499", 10000), 0, 499));
  EXPECT_TRUE(Partial(decide_byte_range("bytes=500-999", 10000), 500, 999));
  EXPECT_TRUE(Partial(decide_byte_range("bytes=-500", 10000), 9500, 9999));
  EXPECT_TRUE(Partial(decide_byte_range("bytes=9500-", 10000), 9500, 9999));
  EXPECT_TRUE(Partial(decide_byte_range("bytes=0-0", 10000), 0, 0));
}

// §14.1.1: a last-pos past the end means the end; a suffix longer than the whole is the whole.
TEST(HttpRange, RangesPastTheEndAreCut) {
  EXPECT_TRUE(Partial(decide_byte_range("bytes=100-99999", 1000), 100, 999));
  EXPECT_TRUE(Partial(decide_byte_range("bytes=-5000", 1000), 0, 999));
  EXPECT_TRUE(Partial(decide_byte_range("bytes=0-99999999999999999999999", 1000), 0, 999));
}

// §14.1.1: whitespace around elements and empty list elements are allowed; the unit is
// case-insensitive.
TEST(HttpRange, ListSyntaxIsTolerated) {
  EXPECT_TRUE(Partial(decide_byte_range("bytes= 10-19 ,", 1000), 10, 19));
  EXPECT_TRUE(Partial(decide_byte_range("Bytes=10-19", 1000), 10, 19));
}

// §14.1.1: a range that starts at or past the end, or a zero-length suffix, cannot be met.
TEST(HttpRange, RangesBeyondTheEndAreUnsatisfiable) {
  EXPECT_EQ(decide_byte_range("bytes=1000-", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(decide_byte_range("bytes=1000-2000", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(decide_byte_range("bytes=-0", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(decide_byte_range("bytes=0-", 0).kind, Kind::kUnsatisfiable);
}

// §14.1.1: on an empty representation a suffix range is satisfiable, yet there is no byte to
// send: the whole (empty) body with 200.
TEST(HttpRange, SuffixOfAnEmptyBodyIsTheWholeBody) {
  EXPECT_EQ(decide_byte_range("bytes=-5", 0).kind, Kind::kWhole);
}

// §14.2: a server MAY ignore Range; we do so for several ranges (no multipart/byteranges).
TEST(HttpRange, SeveralRangesGetTheWholeBody) {
  EXPECT_EQ(decide_byte_range("bytes=0-9,20-29", 1000).kind, Kind::kWhole);
  EXPECT_EQ(decide_byte_range("bytes=0-9, -5", 1000).kind, Kind::kWhole);
}

// §14.2: an unknown unit is ignored, and so is a range-set we cannot parse (including an
// int-range whose last-pos is before its first-pos, invalid by §14.1.1).
TEST(HttpRange, UnknownUnitsAndBadSyntaxAreIgnored) {
  for (const char* v : {"items=0-9", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=5-1",
                        "bytes=1-2-3", "bytes=+1-2", "bytes=0x10-", "bytes=1 -2", "bytes=,"}) {
    EXPECT_EQ(decide_byte_range(v, 1000).kind, Kind::kWhole) << v;
  }
}

}  // namespace
}  // namespace ustack::services
