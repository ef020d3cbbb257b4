// Ethernet II / 802.1Q parse and emit.
#include "stack/wire/ethernet.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

// Frames below were captured from the Linux kernel (two network namespaces joined by a veth,
// `ping`, `ping -6`, `nc -u` to a closed port) with tcpdump; the script that made them is
// stack/wire/testdata/link_capture/capture.sh. Hex is the whole Ethernet frame as captured.

// ARP who-has 198.18.5.2 tell 198.18.5.1, broadcast (42 bytes: veth does not pad).
constexpr const char* kArpRequest =
    "ffffffffffff02000000050108060001080006040001020000000501c6120501000000000000c6120502";

// ICMP echo request 198.18.5.1 > 198.18.5.2, 98 bytes.
constexpr const char* kEchoRequestV4 =
    "020000000502020000000501080045000054bd6a40004001e716c6120501c61205020800226d42df00015ce4"
    "066b0000000080b8040000000000555555555555555555555555555555555555555555555555555555555555"
    "55555555555555555555";

const MacAddr kMacA({0x02, 0, 0, 0, 0x05, 0x01});
const MacAddr kMacB({0x02, 0, 0, 0, 0x05, 0x02});

TEST(EthernetParse, KernelArpBroadcastFrame) {
  ByteVec frame = from_hex(kArpRequest);
  auto eth = EthernetRepr::parse(frame);
  ASSERT_TRUE(eth.ok()) << to_string(eth.error());
  EXPECT_EQ(eth->dst, MacAddr::broadcast());
  EXPECT_EQ(eth->src, kMacA);
  EXPECT_FALSE(eth->vlan_tci.has_value());
  EXPECT_EQ(eth->ethertype, EtherType::kArp);
  EXPECT_EQ(eth->header_len(), 14u);
  EXPECT_EQ(eth->payload.size(), 28u);
  EXPECT_EQ(eth->payload.data(), frame.data() + 14);  // a view, not a copy
}

TEST(EthernetEmit, ReproducesKernelIpv4FrameByteForByte) {
  ByteVec frame = from_hex(kEchoRequestV4);
  auto eth = EthernetRepr::parse(frame);
  ASSERT_TRUE(eth.ok());
  EXPECT_EQ(eth->ethertype, EtherType::kIpv4);
  EXPECT_EQ(eth->dst, kMacB);
  ByteVec out(eth->buffer_len());
  eth->emit(out);
  EXPECT_EQ(to_hex(out), to_hex(frame));
}

TEST(EthernetEmit, HeaderOnlyLeavesPayloadAreaAlone) {
  EthernetRepr eth;
  eth.dst = kMacB;
  eth.src = kMacA;
  eth.ethertype = EtherType::kIpv6;
  ByteVec out(20, 0xee);
  eth.emit_header(out);
  EXPECT_EQ(to_hex(out),
            "02000000050202000000050186dd"
            "eeeeeeeeeeee");
}

// IEEE 802.1Q: TPID 0x8100, then the TCI, then the real EtherType.
TEST(EthernetVlan, TaggedFrameRoundTrips) {
  const std::uint8_t payload[] = {1, 2, 3, 4};
  EthernetRepr eth;
  eth.dst = kMacB;
  eth.src = kMacA;
  eth.vlan_tci = (5 << 13) | 42;  // PCP 5, VID 42
  eth.ethertype = EtherType::kIpv4;
  eth.payload = payload;
  ASSERT_EQ(eth.header_len(), 18u);
  ByteVec out(eth.buffer_len());
  eth.emit(out);
  EXPECT_EQ(to_hex(out),
            "020000000502"
            "020000000501"
            "8100a02a"
            "0800"
            "01020304");
  auto back = EthernetRepr::parse(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, eth);
  EXPECT_EQ(back->vlan_id(), 42);
}

TEST(EthernetParse, RejectsFrameShorterThanHeader) {
  ByteVec frame = from_hex(kEchoRequestV4);
  frame.resize(13);
  auto eth = EthernetRepr::parse(frame);
  ASSERT_FALSE(eth.ok());
  EXPECT_EQ(eth.error(), ParseError::kTruncated);
}

TEST(EthernetParse, RejectsVlanTagCutOff) {
  ByteVec frame = from_hex(
      "020000000502"
      "020000000501"
      "8100a02a"
      "08");
  auto eth = EthernetRepr::parse(frame);
  ASSERT_FALSE(eth.ok());
  EXPECT_EQ(eth.error(), ParseError::kTruncated);
}

// IEEE 802.3 §3.2.6: a value below 0x0600 is a length (802.3/LLC framing), not an EtherType.
TEST(EthernetParse, RejectsIeee8023LengthField) {
  ByteVec frame = from_hex(
      "020000000502"
      "020000000501"
      "002e"
      "aaaa03000000");
  auto eth = EthernetRepr::parse(frame);
  ASSERT_FALSE(eth.ok());
  EXPECT_EQ(eth.error(), ParseError::kBadValue);
}

TEST(EthernetParse, RejectsStackedVlanTags) {
  ByteVec frame = from_hex(
      "020000000502"
      "020000000501"
      "81000001"
      "81000002"
      "0800");
  auto eth = EthernetRepr::parse(frame);
  ASSERT_FALSE(eth.ok());
  EXPECT_EQ(eth.error(), ParseError::kBadValue);
}

TEST(EthernetParse, KeepsUnknownEtherType) {
  ByteVec frame = from_hex(
      "0180c200000e"
      "020000000501"
      "88cc"
      "0207");
  auto eth = EthernetRepr::parse(frame);
  ASSERT_TRUE(eth.ok());
  EXPECT_EQ(static_cast<std::uint16_t>(eth->ethertype), 0x88cc);
  EXPECT_EQ(ethertype_name(eth->ethertype), "0x88cc");
}

TEST(EthernetPrint, OneLineLikeTcpdump) {
  ByteVec frame = from_hex(kArpRequest);
  auto eth = EthernetRepr::parse(frame);
  ASSERT_TRUE(eth.ok());
  EXPECT_EQ(eth->to_string(),
            "02:00:00:00:05:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42");
  EXPECT_NE(eth->to_verbose_string().find("src: 02:00:00:00:05:01"), std::string::npos);
}

}  // namespace
}  // namespace ustack
