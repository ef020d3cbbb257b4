// Filter expressions compiled by libpcap for each link type we read select what tcpdump -r
// selects on the same capture (the counts below are `tcpdump -r FILE EXPRESSION | wc -l`).
#include "tun/pcap_filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ustack::tun {
namespace {

using ::testing::HasSubstr;

// How many records of pcap_tests/captures/FILE pass `expression`.
std::size_t matching(const std::string& file, const std::string& expression) {
  PcapReader reader("pcap_tests/captures/" + file);
  PcapFilter filter(expression, reader.link_type(), reader.snaplen());
  std::size_t n = 0;
  for (const PcapRecord& r : reader.read_all()) n += filter.matches(r) ? 1 : 0;
  return n;
}

// LINKTYPE_RAW (101 in the file) must be compiled as libpcap's DLT_RAW (12 on Linux), or
// every offset is wrong.
TEST(PcapFilter, RawIpCaptureAsTcpdumpReadsIt) {
  EXPECT_EQ(matching("pcapio_tun_raw.pcap", "icmp"), 4u);
  EXPECT_EQ(matching("pcapio_tun_raw.pcap", "icmp6"), 5u);
  EXPECT_EQ(matching("pcapio_tun_raw.pcap", "ip6 and icmp6[icmp6type] == icmp6-echo"), 2u);
  EXPECT_EQ(matching("pcapio_tun_raw.pcap", "less 80"), 1u);  // the original length counts
}

TEST(PcapFilter, CookedAndEthernetCapturesAsTcpdumpReadsThem) {
  EXPECT_EQ(matching("pcapio_any_sll.pcap", "icmp6"), 10u);
  EXPECT_EQ(matching("pcapio_any_sll2.pcap", "icmp6"), 9u);
  EXPECT_EQ(matching("pcapio_veth.pcapng", "icmp"), 4u);
  EXPECT_EQ(matching("pcapio_veth.pcapng", "less 80"), 4u);
}

TEST(PcapFilter, BadExpressionThrowsLibpcapsMessage) {
  try {
    PcapFilter f("tcp prot 80", LinkType::kEthernet, 65535);
    FAIL() << "compiled";
  } catch (const PcapError& e) {
    EXPECT_EQ(std::string(e.what()), "can't parse filter expression: syntax error");
  }
  try {
    PcapFilter f("ether host 1:2:3:4:5:6", LinkType::kRaw, 65535);  // no MACs in raw IP
    FAIL() << "compiled";
  } catch (const PcapError& e) {
    EXPECT_THAT(e.what(), HasSubstr("ethernet addresses supported only on ethernet"));
  }
}

}  // namespace
}  // namespace ustack::tun
