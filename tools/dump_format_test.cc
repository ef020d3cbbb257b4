// `ustack dump`'s time stamps and hex dumps, character for character as tcpdump 4.99.3 prints
// them (the expected strings are its output on pcap_tests/captures/mixed.pcap, TZ=UTC).
#include "tools/dump_format.h"

#include <gtest/gtest.h>

#include <iterator>
#include <vector>

namespace ustack::tools {
namespace {

// 2026-11-25 13:46:19.603421 and .611408 UTC: the first two packets of mixed.pcap.
const Instant kFirst = Instant::from_nanos(1795614379'603421'000);
const Instant kSecond = Instant::from_nanos(1795614379'611408'999);  // ns are cut, not rounded

TEST(TimestampFormatter, DefaultIsUtcTimeOfDay) {
  TimestampFormatter f(TimestampStyle::kTimeOfDay);
  EXPECT_EQ(f.format(kFirst), "13:46:19.603421");
  EXPECT_EQ(f.format(kSecond), "13:46:19.611408");
}

TEST(TimestampFormatter, DashTPrintsNothing) {
  EXPECT_EQ(TimestampFormatter(TimestampStyle::kNone).format(kFirst), "");
}

TEST(TimestampFormatter, DashTtIsEpochSeconds) {
  EXPECT_EQ(TimestampFormatter(TimestampStyle::kEpoch).format(kSecond), "1795614379.611408");
}

TEST(TimestampFormatter, DashTttIsSincePreviousWithSignColumn) {
  TimestampFormatter f(TimestampStyle::kSincePrevious);
  EXPECT_EQ(f.format(kFirst), " 00:00:00.000000");
  EXPECT_EQ(f.format(kSecond), " 00:00:00.007987");
  EXPECT_EQ(f.format(kSecond + Duration::seconds(3661)), " 01:01:01.000000");
  EXPECT_EQ(f.format(kFirst), "-01:01:01.007987");  // out of order: tcpdump's '-'
}

TEST(TimestampFormatter, DashTtttIsUtcDateAndTime) {
  EXPECT_EQ(TimestampFormatter(TimestampStyle::kDateTime).format(kFirst),
            "2026-11-25 13:46:19.603421");
}

TEST(TimestampFormatter, DashTttttIsSinceFirst) {
  TimestampFormatter f(TimestampStyle::kSinceFirst);
  EXPECT_EQ(f.format(kFirst), " 00:00:00.000000");
  EXPECT_EQ(f.format(kSecond), " 00:00:00.007987");
  EXPECT_EQ(f.format(kSecond + Duration::millis(1)), " 00:00:00.008987");
}

// The UDP datagram "hello over udp\n" of mixed.pcap, from its IPv4 header on (43 octets).
std::vector<std::uint8_t> udp_hello() {
  const unsigned char raw[] = {0x45, 0x00, 0x00, 0x2b, 0x2f, 0x94, 0x40, 0x00, 0x40, 0x11, 0x7f,
                               0x06, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0xe0, 0x7f,
                               0x15, 0xb3, 0x00, 0x17, 0xd5, 0xa4, 'h',  'e',  'l',  'l',  'o',
                               ' ',  'o',  'v',  'e',  'r',  ' ',  'u',  'd',  'p',  '\n'};
  return {std::begin(raw), std::end(raw)};
}

TEST(HexDump, DashXGroupsTwoOctetsSixteenPerLine) {
  const auto p = udp_hello();
  EXPECT_EQ(hex_dump(Bytes(p), /*ascii=*/false),
            "\t0x0000:  4500 002b 2f94 4000 4011 7f06 c612 0001\n"
            "\t0x0010:  c612 0002 e07f 15b3 0017 d5a4 6865 6c6c\n"
            "\t0x0020:  6f20 6f76 6572 2075 6470 0a\n");
}

TEST(HexDump, DashCapitalXAddsAlignedTextColumnWithDotsForSpaces) {
  const auto p = udp_hello();
  EXPECT_EQ(hex_dump(Bytes(p), /*ascii=*/true),
            "\t0x0000:  4500 002b 2f94 4000 4011 7f06 c612 0001  E..+/.@.@.......\n"
            "\t0x0010:  c612 0002 e07f 15b3 0017 d5a4 6865 6c6c  ............hell\n"
            "\t0x0020:  6f20 6f76 6572 2075 6470 0a              o.over.udp.\n");
}

TEST(HexDump, NothingForNoOctets) { EXPECT_EQ(hex_dump(Bytes(), true), ""); }

}  // namespace
}  // namespace ustack::tools
