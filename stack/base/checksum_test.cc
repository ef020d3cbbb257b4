#include "stack/base/checksum.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

// RFC 1071 §3: the worked example sums 00 01 f2 03 f4 f5 f6 f7 to ddf2 (checksum 220d).
TEST(Checksum, Rfc1071Example) {
  ByteVec data = from_hex("0001f203f4f5f6f7");
  EXPECT_EQ(checksum_add(0, data), 0x2ddf0u);
  EXPECT_EQ(internet_checksum(data), 0x220d);
}

// A header carrying its correct checksum sums to 0 (how receivers verify, RFC 1071 §1).
TEST(Checksum, HeaderWithChecksumVerifiesToZero) {
  ByteVec hdr = from_hex("4500 0054 6c1e 4000 4001 4263 c612 0001 c612 0002");
  EXPECT_EQ(internet_checksum(hdr), 0);
}

TEST(Checksum, OddLengthPadsWithZero) {
  ByteVec odd = from_hex("0102 03");
  ByteVec even = from_hex("0102 0300");
  EXPECT_EQ(internet_checksum(odd), internet_checksum(even));
}

TEST(Checksum, SumsCanBeSplitAtEvenOffsets) {
  ByteVec data = from_hex("4500 0054 6c1e 4000 4001 0000 c612 0001 c612 0002");
  std::uint32_t split = checksum_add(checksum_add(0, Bytes(data).first(8)), Bytes(data).subspan(8));
  EXPECT_EQ(checksum_finish(split), internet_checksum(data));
}

// RFC 1624 §4: incremental update must equal a full recomputation, including the -0 case.
TEST(Checksum, Rfc1624IncrementalUpdateMatchesRecompute) {
  ByteVec hdr = from_hex("4500 0054 6c1e 4000 4001 0000 c612 0001 c612 0002");
  std::uint16_t before = internet_checksum(hdr);
  store_be16(hdr, 10, before);
  std::uint16_t old_word = load_be16(hdr, 8);  // TTL|proto
  hdr[8] -= 1;                                 // decrement TTL
  store_be16(hdr, 10, 0);
  std::uint16_t recomputed = internet_checksum(hdr);
  EXPECT_EQ(checksum_update16(before, old_word, load_be16(hdr, 8)), recomputed);
}

TEST(Checksum, PseudoHeaderV4) {
  auto src = *Ipv4Addr::parse("198.18.0.1");
  auto dst = *Ipv4Addr::parse("198.18.0.2");
  std::uint32_t sum = pseudo_header_sum_v4(src, dst, 17, 8);
  // c612 + 0001 + c612 + 0002 + 0011 + 0008 = 1 8c40 (folded later)
  EXPECT_EQ(checksum_finish(sum), checksum_finish(0x18c40));
  EXPECT_EQ(pseudo_header_sum(IpAddr(src), IpAddr(dst), 17, 8), sum);
}

TEST(Checksum, PseudoHeaderV6CoversUpperLength) {
  auto a = *Ipv6Addr::parse("fd00:1::1");
  auto b = *Ipv6Addr::parse("fd00:1::2");
  EXPECT_NE(checksum_finish(pseudo_header_sum_v6(a, b, 6, 0x10000)),
            checksum_finish(pseudo_header_sum_v6(a, b, 6, 0)));
}

}  // namespace
}  // namespace ustack
