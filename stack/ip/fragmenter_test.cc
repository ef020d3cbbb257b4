// Fragmentation plans (RFC 791 §3.2, RFC 8200 §4.5): offsets are multiples of 8, only the
// last fragment clears "more", the pieces cover the payload exactly.
#include "stack/ip/fragmenter.h"

#include <gtest/gtest.h>

#include <vector>

namespace ustack {
namespace {

std::vector<FragmentPiece> plan(std::size_t len, std::size_t max_piece) {
  std::vector<FragmentPiece> v;
  plan_fragments(len, max_piece, [&](const FragmentPiece& p) { v.push_back(p); });
  return v;
}

TEST(Fragmenter, Ipv4EthernetPingOf4000Bytes) {
  // 4008 bytes of ICMP into a 1500 MTU: 1480 + 1480 + 1048, like Linux.
  auto v = plan(4008, fragment_payload_size(1500 - 20));
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].offset, 0u);
  EXPECT_EQ(v[0].len, 1480u);
  EXPECT_TRUE(v[0].more);
  EXPECT_EQ(v[1].offset, 1480u);
  EXPECT_EQ(v[2].offset, 2960u);
  EXPECT_EQ(v[2].len, 1048u);
  EXPECT_FALSE(v[2].more);
}

TEST(Fragmenter, RoomIsRoundedDownToEight) {
  EXPECT_EQ(fragment_payload_size(1500 - 40 - 8), 1448u);
  EXPECT_EQ(fragment_payload_size(1003), 1000u);
  EXPECT_EQ(fragment_payload_size(7), 0u);
}

TEST(Fragmenter, ExactMultipleEndsWithFullPiece) {
  auto v = plan(2960, 1480);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].len, 1480u);
  EXPECT_FALSE(v[1].more);
}

TEST(Fragmenter, PiecesCoverPayloadWithoutGaps) {
  for (std::size_t len : {1u, 8u, 9u, 1447u, 1448u, 1449u, 65000u}) {
    auto v = plan(len, 1448);
    std::size_t next = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      EXPECT_EQ(v[i].offset, next);
      EXPECT_EQ(v[i].offset % 8, 0u);
      EXPECT_EQ(v[i].more, i + 1 < v.size());
      next += v[i].len;
    }
    EXPECT_EQ(next, len);
  }
}

TEST(Fragmenter, RejectsPieceSizeNotMultipleOfEight) { EXPECT_EQ(plan(100, 12).size(), 0u); }

}  // namespace
}  // namespace ustack
