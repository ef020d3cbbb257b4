#include "stack/base/random.h"

#include <gtest/gtest.h>

#include <set>

namespace ustack {
namespace {

TEST(Rng, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    std::uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
  }
}

TEST(Rng, UniformStaysInBoundsAndCoversIt) {
  Rng r(1);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    std::uint64_t v = r.uniform(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(Rng, ChanceExtremes) {
  Rng r(7);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(r.chance(0.0));
    EXPECT_TRUE(r.chance(1.0));
  }
}

// Reference vector from the SipHash paper (Aumasson & Bernstein, appendix A): key 00..0f,
// message 00..0e (15 bytes) -> a129ca6149be45e5.
TEST(SipHash, PaperVector) {
  SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  ByteVec msg;
  for (int i = 0; i < 15; ++i) msg.push_back(static_cast<std::uint8_t>(i));
  EXPECT_EQ(siphash24(key, msg), 0xa129ca6149be45e5ull);
}

}  // namespace
}  // namespace ustack
