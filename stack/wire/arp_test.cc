// ARP for Ethernet/IPv4 (RFC 826) parse and emit.
#include "stack/wire/arp.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

// Frames below were captured from the Linux kernel (two network namespaces joined by a veth,
// `ping`, `ping -6`, `nc -u` to a closed port) with tcpdump; the script that made them is
// stack/wire/testdata/link_capture/capture.sh. Hex is the whole Ethernet frame as captured.

// Who-has 198.18.5.2 tell 198.18.5.1 (the kernel's own ARP before its first ping).
constexpr const char* kArpRequest =
    "ffffffffffff02000000050108060001080006040001020000000501c6120501000000000000c6120502";

// 198.18.5.2 is-at 02:00:00:00:05:02.
constexpr const char* kArpReply =
    "02000000050102000000050208060001080006040002020000000502c6120502020000000501c6120501";

constexpr std::size_t kEthLen = 14;
const MacAddr kMacA({0x02, 0, 0, 0, 0x05, 0x01});
const MacAddr kMacB({0x02, 0, 0, 0, 0x05, 0x02});
const Ipv4Addr kIpA({198, 18, 5, 1});
const Ipv4Addr kIpB({198, 18, 5, 2});

ByteVec arp_of(const char* frame_hex) {
  ByteVec f = from_hex(frame_hex);
  return ByteVec(f.begin() + kEthLen, f.end());
}

TEST(ArpParse, KernelRequest) {
  ByteVec p = arp_of(kArpRequest);
  auto arp = ArpRepr::parse(p);
  ASSERT_TRUE(arp.ok()) << to_string(arp.error());
  EXPECT_EQ(arp->op, ArpOp::kRequest);
  EXPECT_EQ(arp->sha, kMacA);
  EXPECT_EQ(arp->spa, kIpA);
  EXPECT_TRUE(arp->tha.is_zero());
  EXPECT_EQ(arp->tpa, kIpB);
  EXPECT_FALSE(arp->is_gratuitous());
}

TEST(ArpParse, KernelReply) {
  ByteVec p = arp_of(kArpReply);
  auto arp = ArpRepr::parse(p);
  ASSERT_TRUE(arp.ok());
  EXPECT_EQ(arp->op, ArpOp::kReply);
  EXPECT_EQ(arp->sha, kMacB);
  EXPECT_EQ(arp->spa, kIpB);
  EXPECT_EQ(arp->tha, kMacA);
  EXPECT_EQ(arp->tpa, kIpA);
}

TEST(ArpEmit, RequestMatchesKernelBytes) {
  ByteVec out(ArpRepr::kLen);
  ArpRepr::request(kMacA, kIpA, kIpB).emit(out);
  EXPECT_EQ(to_hex(out), to_hex(arp_of(kArpRequest)));
}

// RFC 826 "Packet Reception": swap the addresses, put in our hardware address, op = reply.
TEST(ArpEmit, ReplyToKernelRequestMatchesKernelReply) {
  ByteVec req = arp_of(kArpRequest);
  auto arp = ArpRepr::parse(req);
  ASSERT_TRUE(arp.ok());
  ByteVec out(ArpRepr::kLen);
  ArpRepr::reply_to(*arp, kMacB).emit(out);
  EXPECT_EQ(to_hex(out), to_hex(arp_of(kArpReply)));
}

// Ethernet pads ARP to the 60-byte minimum frame: the padding is not part of the packet.
TEST(ArpParse, IgnoresEthernetPadding) {
  ByteVec p = arp_of(kArpRequest);
  p.resize(46, 0);
  auto arp = ArpRepr::parse(p);
  ASSERT_TRUE(arp.ok());
  EXPECT_EQ(arp->tpa, kIpB);
}

TEST(ArpParse, GratuitousAnnouncement) {
  ByteVec out(ArpRepr::kLen);
  ArpRepr::request(kMacA, kIpA, kIpA).emit(out);
  auto arp = ArpRepr::parse(out);
  ASSERT_TRUE(arp.ok());
  EXPECT_TRUE(arp->is_gratuitous());
}

ParseError parse_error(const ByteVec& p) {
  auto arp = ArpRepr::parse(p);
  EXPECT_FALSE(arp.ok());
  return arp.ok() ? ParseError::kUnsupported : arp.error();
}

TEST(ArpParse, RejectsTruncatedFixedHeader) {
  ByteVec p = arp_of(kArpRequest);
  p.resize(7);
  EXPECT_EQ(parse_error(p), ParseError::kTruncated);
}

TEST(ArpParse, RejectsTruncatedAddresses) {
  ByteVec p = arp_of(kArpRequest);
  p.resize(27);
  EXPECT_EQ(parse_error(p), ParseError::kTruncated);
}

TEST(ArpParse, RejectsNonEthernetHardwareType) {
  ByteVec p = arp_of(kArpRequest);
  p[1] = 6;  // IEEE 802 networks
  EXPECT_EQ(parse_error(p), ParseError::kBadVersion);
}

TEST(ArpParse, RejectsNonIpv4ProtocolType) {
  ByteVec p = arp_of(kArpRequest);
  p[2] = 0x86;
  p[3] = 0xdd;
  EXPECT_EQ(parse_error(p), ParseError::kBadVersion);
}

TEST(ArpParse, RejectsBadHardwareLength) {
  ByteVec p = arp_of(kArpRequest);
  p[4] = 8;
  EXPECT_EQ(parse_error(p), ParseError::kBadLength);
}

TEST(ArpParse, RejectsBadProtocolLength) {
  ByteVec p = arp_of(kArpRequest);
  p[5] = 16;
  EXPECT_EQ(parse_error(p), ParseError::kBadLength);
}

TEST(ArpParse, RejectsRarpOpcode) {
  ByteVec p = arp_of(kArpRequest);
  p[7] = 3;  // RARP request (RFC 903)
  EXPECT_EQ(parse_error(p), ParseError::kBadType);
}

TEST(ArpPrint, OneLineLikeTcpdump) {
  ByteVec req = arp_of(kArpRequest);
  ByteVec rep = arp_of(kArpReply);
  EXPECT_EQ(ArpRepr::parse(req)->to_string(),
            "ARP, Request who-has 198.18.5.2 tell 198.18.5.1, length 28");
  EXPECT_EQ(ArpRepr::parse(rep)->to_string(),
            "ARP, Reply 198.18.5.2 is-at 02:00:00:00:05:02, length 28");
  // An Ethernet frame padded to 60 octets carries 46 after its header: tcpdump says 46.
  EXPECT_TRUE(ArpRepr::parse(rep)->to_string(46).ends_with(", length 46"));
  EXPECT_NE(ArpRepr::parse(rep)->to_verbose_string().find("target hardware address: "
                                                          "02:00:00:00:05:01"),
            std::string::npos);
}

}  // namespace
}  // namespace ustack
