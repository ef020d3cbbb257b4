#include "stack/base/checksum.h"

#include <gtest/gtest.h>

#include "stack/base/random.h"

namespace ustack {
namespace {

// RFC 1071 §3: the worked example sums 00 01 f2 03 f4 f5 f6 f7 to ddf2 (checksum 220d).
// checksum_add returns a partial sum: any 32-bit value congruent to the RFC's sum, so compare
// sums after folding the carries.
std::uint16_t folded(std::uint32_t sum) {
  return static_cast<std::uint16_t>(~checksum_finish(sum));
}

TEST(Checksum, Rfc1071Example) {
  ByteVec data = from_hex("0001f203f4f5f6f7");
  EXPECT_EQ(folded(checksum_add(0, data)), 0xddf2);
  EXPECT_EQ(internet_checksum(data), 0x220d);
}

// The fast word-at-a-time sum must equal RFC 1071's definition (big-endian 16-bit words, an
// odd last byte padded with zero) for every length, alignment and starting sum.
TEST(Checksum, MatchesTheDefinitionForEveryLengthAndStartingSum) {
  Rng rng(1071);
  ByteVec buf(300);
  rng.fill(buf);
  for (std::size_t off = 0; off < 8; off += 2) {
    for (std::size_t len = 0; len + off <= buf.size(); ++len) {
      Bytes data = Bytes(buf).subspan(off, len);
      std::uint32_t start = rng.next_u32();
      std::uint64_t ref = start;
      for (std::size_t i = 0; i < len; i += 2) {
        ref += (std::uint32_t{data[i]} << 8) | (i + 1 < len ? data[i + 1] : 0);
      }
      while (ref >> 16) ref = (ref & 0xffff) + (ref >> 16);
      ASSERT_EQ(folded(checksum_add(start, data)), ref) << "len " << len << " off " << off;
    }
  }
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
