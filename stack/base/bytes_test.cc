// Byte helpers (network byte order, hex) and Result/ParseError, which every parser uses.
#include "stack/base/bytes.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "stack/base/result.h"

namespace ustack {
namespace {

// RFC 1700 / RFC 791 "network byte order": most significant octet first.
TEST(Bytes, BigEndianLoadsAndStores) {
  ByteVec b(14, 0);
  store_be16(b, 0, 0x0102);
  store_be32(b, 2, 0x03040506);
  store_be64(b, 6, 0x0708090a0b0c0d0eull);
  EXPECT_EQ(to_hex(b), "0102030405060708090a0b0c0d0e");
  EXPECT_EQ(load_be16(b, 0), 0x0102);
  EXPECT_EQ(load_be32(b, 2), 0x03040506u);
  EXPECT_EQ(load_be64(b, 6), 0x0708090a0b0c0d0eull);
  EXPECT_EQ(load_be16(b, 1), 0x0203);  // any offset, no alignment needed
}

TEST(Bytes, HexRoundTripIgnoresSeparators) {
  EXPECT_EQ(from_hex("de:ad BE\nef\t00"), ByteVec({0xde, 0xad, 0xbe, 0xef, 0x00}));
  EXPECT_EQ(to_hex(from_hex("00ff7f80")), "00ff7f80");
  EXPECT_TRUE(from_hex("").empty());
}

TEST(Bytes, BadHexDigitOrOddLengthGivesNothing) {
  EXPECT_TRUE(from_hex("0g").empty());
  EXPECT_TRUE(from_hex("abc").empty());
}

TEST(Bytes, AsBytesViewsTheString) {
  const std::string s = "GET";
  Bytes b = as_bytes(s);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.data(), reinterpret_cast<const std::uint8_t*>(s.data()));
  EXPECT_EQ(b[0], 'G');
}

TEST(Result, HoldsAValueOrANamedError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = Err(ParseError::kBadChecksum);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), ParseError::kBadChecksum);
}

// Drop counters and `ustack dump` are named after these, so each reason needs its own name.
TEST(ParseErrorNames, EveryReasonHasItsOwnName) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(ParseError::kUnsupported); ++i) {
    const std::string name = to_string(static_cast<ParseError>(i));
    EXPECT_NE(name, "unknown") << i;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(std::string(to_string(ParseError::kTruncated)), "truncated");
}

}  // namespace
}  // namespace ustack
