#include "tools/services/generated_body.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "stack/base/random.h"

namespace ustack::services {
namespace {

// The definition, written the slow obvious way.
std::string reference(std::uint64_t offset, std::size_t n) {
  std::string all;
  std::uint64_t first_line = offset / 16 * 16;
  for (std::uint64_t k = first_line; k < offset + n; k += 16) {
    char line[17];
    std::snprintf(line, sizeof line, "%015llx\n", static_cast<unsigned long long>(k));
    all += line;
  }
  return all.substr(offset - first_line, n);
}

std::string generated(std::uint64_t offset, std::size_t n) {
  std::string s(n, '\0');
  fill_generated_body(offset, MutBytes(reinterpret_cast<std::uint8_t*>(s.data()), n));
  return s;
}

TEST(GeneratedBody, LinesCarryTheirOwnOffsetInHex) {
  EXPECT_EQ(generated(0, 48), "000000000000000\n000000000000010\n000000000000020\n");
  // The last line of a 100 MiB body, and a cut inside a line.
  EXPECT_EQ(generated(0x6400000 - 16, 16), "0000000063ffff0\n");
  EXPECT_EQ(generated(20, 6), "000000");
}

TEST(GeneratedBody, DigitCarriesAcrossAWholeBuffer) {
  // 0x...f0 -> 0x...100 and 0x9f0 -> 0xa00 inside one fill, where lines are incremented.
  EXPECT_EQ(generated(0xfe0, 64), reference(0xfe0, 64));
  EXPECT_EQ(generated(0x99e0, 64), reference(0x99e0, 64));
  EXPECT_EQ(generated(0xfffffffffe0, 64), reference(0xfffffffffe0, 64));
}

TEST(GeneratedBody, AnySliceMatchesTheDefinition) {
  Rng rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::uint64_t offset = rng.next_u64() % (std::uint64_t{1} << 36);
    std::size_t n = rng.next_u64() % 300;
    ASSERT_EQ(generated(offset, n), reference(offset, n)) << "offset " << offset << " n " << n;
  }
}

TEST(GeneratedBody, PiecesJoinIntoTheWholeBody) {
  std::string whole = generated(0, 100000);
  std::string pieces;
  Rng rng(7);
  while (pieces.size() < whole.size()) {
    std::size_t n = std::min<std::size_t>(1 + rng.next_u64() % 3000, whole.size() - pieces.size());
    pieces += generated(pieces.size(), n);
  }
  EXPECT_EQ(pieces, whole);
  EXPECT_EQ(whole, reference(0, 100000));
}

}  // namespace
}  // namespace ustack::services
