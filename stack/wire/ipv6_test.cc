// IPv6 header and extension-header walk (RFC 8200): kernel packets, round trips, malformed
// input.
#include "stack/wire/ipv6.h"

#include <gtest/gtest.h>

#include <vector>

namespace ustack {
namespace {

// ---------------------------------------------------------------------------------------------
// Real packets from the Linux kernel (6.x, iputils ping 20221126). Made by creating two
// namespaces wipa<pid>/wipb<pid> joined by a veth pair (va<pid> fd00:7::1/64 in A, vb<pid>
// fd00:7::2/64 in B, both `nodad`), running `tcpdump -i vb<pid> -w cap.pcap` in B, bringing
// va<pid> up and then, in A:
//   ping -6 -c 1 fd00:7::2             -> kKernelEcho
//   ping -6 -c 1 -s 3000 fd00:7::2     -> kKernelFirstFragment, kKernelLastFragment
//   (link up)                          -> kKernelMldReport: the kernel's MLDv2 report with a
//                                         Hop-by-Hop header (Router Alert + PadN)
//   /usr/bin/python3 + scapy: send(IPv6(src='fd00:7::1',dst='fd00:7::2')/
//       IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x1e,optdata=b'ab')])/
//       UDP(sport=4000,dport=4001)/b'dstopt')  -> kScapyDestOptsUdp (sent through A's kernel)
//   ... and B's kernel answered it with   -> kKernelPortUnreachable (ICMPv6 quoting it)
// The bytes are the frames' IP part (Ethernet header stripped), dumped with scapy's rdpcap; the
// namespaces were deleted afterwards.
// ---------------------------------------------------------------------------------------------
const char kKernelEcho[] =
    "600a326200403a40fd000007000000000000000000000001fd0000070000000000000000000000028000525b39f000"
    "01"
    "35e4066b00000000f4030a0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e"
    "2f"
    "3031323334353637";

const char kKernelFirstFragment[] =
    // 27 1496
    "600a326205b02c40fd000007000000000000000000000001fd0000070000000000000000000000023a00000196930f"
    "8b"
    "8000c2eb39f2000135e4066b0000000057160a0000000000101112131415161718191a1b1c1d1e1f20212223242526"
    "27"
    "28292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f50515253545556"
    "57"
    "58595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283848586"
    "87"
    "88898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6"
    "b7"
    "b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6"
    "e7"
    "e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f10111213141516"
    "17"
    "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243444546"
    "47"
    "48494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273747576"
    "77"
    "78797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6"
    "a7"
    "a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6"
    "d7"
    "d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00010203040506"
    "07"
    "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233343536"
    "37"
    "38393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263646566"
    "67"
    "68696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f90919293949596"
    "97"
    "98999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6"
    "c7"
    "c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6"
    "f7"
    "f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526"
    "27"
    "28292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f50515253545556"
    "57"
    "58595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283848586"
    "87"
    "88898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6"
    "b7"
    "b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6"
    "e7"
    "e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f10111213141516"
    "17"
    "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243444546"
    "47"
    "48494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273747576"
    "77"
    "78797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6"
    "a7"
    "a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6"
    "d7"
    "d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00010203040506"
    "07"
    "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233343536"
    "37"
    "38393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263646566"
    "67"
    "68696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f90919293949596"
    "97"
    "98999a9b9c9d9e9f";

const char kKernelLastFragment[] =
    "600a326200782c40fd000007000000000000000000000001fd0000070000000000000000000000023a000b5096930f"
    "8b"
    "48494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273747576"
    "77"
    "78797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6"
    "a7"
    "a8a9aaabacadaeafb0b1b2b3b4b5b6b7";

const char kKernelMldReport[] =
    "6000000000380001fe80000000000000f8ae87fffe6bb83aff0200000000000000000000000000163a000502000001"
    "00"
    "8f007ef30000000204000000ff0200000000000000000001ff6bb83a04000000ff0200000000000000000001ff0000"
    "01";

const char kScapyDestOptsUdp[] =
    "6000000000163c40fd000007000000000000000000000001fd00000700000000000000000000000211001e02616201"
    "00"
    "0fa00fa1000e9d276473746f7074";

const char kKernelPortUnreachable[] =
    "6006a9a700463a40fd000007000000000000000000000002fd0000070000000000000000000000010104d6cc000000"
    "00"
    "6000000000163c40fd000007000000000000000000000001fd00000700000000000000000000000211001e02616201"
    "00"
    "0fa00fa1000e9d276473746f7074";

Ipv6Addr addr(const char* s) { return *Ipv6Addr::parse(s); }

ByteVec hex(const char* s) {
  ByteVec b = from_hex(s);
  EXPECT_FALSE(b.empty()) << "bad hex in test";
  return b;
}

ParseError parse_error(const ByteVec& p) {
  auto r = Ipv6Repr::parse(p);
  EXPECT_FALSE(r.ok()) << r->to_string();
  return r.ok() ? ParseError::kUnsupported : r.error();
}

constexpr std::uint8_t kHbh = 0, kRoute = 43, kFrag = 44, kDest = 60, kUdp = 17, kIcmp6 = 58;

// An options header (Hop-by-Hop or Destination Options) with next header `nh` and the option
// area `opts`, whose length must make the header a multiple of 8 bytes.
ByteVec opts_header(std::uint8_t nh, const ByteVec& opts) {
  ByteVec h = {nh, static_cast<std::uint8_t>((opts.size() + 2) / 8 - 1)};
  h.insert(h.end(), opts.begin(), opts.end());
  EXPECT_EQ(h.size() % 8, 0u) << "options header must be a multiple of 8 bytes";
  return h;
}

// A packet built the way the IP layer builds one: fixed header by the emitter, then the given
// extension headers and upper-layer bytes, Payload Length covering them.
ByteVec packet(std::uint8_t first_nh, const std::vector<ByteVec>& chunks) {
  Ipv6Repr r;
  r.src = addr("fd00:1::1");
  r.dst = addr("fd00:1::2");
  r.next_header = static_cast<IpProto>(first_nh);
  std::size_t len = 0;
  for (const ByteVec& c : chunks) len += c.size();
  r.payload_len = static_cast<std::uint16_t>(len);
  ByteVec p(Ipv6Repr::kHeaderLen);
  r.emit(p);
  for (const ByteVec& c : chunks) p.insert(p.end(), c.begin(), c.end());
  return p;
}

const ByteVec kUdpBytes = {0x0f, 0xa0, 0x0f, 0xa1, 0x00, 0x08, 0x12, 0x34};

// --- Kernel packets ---

TEST(Ipv6Kernel, ParsesEchoRequestFields) {
  const ByteVec p = hex(kKernelEcho);
  auto r = Ipv6Repr::parse(p);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->traffic_class, 0);
  EXPECT_EQ(r->flow_label, 0xa3262u);
  EXPECT_EQ(r->payload_len, 64);
  EXPECT_EQ(r->next_header, IpProto::kIcmpv6);
  EXPECT_EQ(r->hop_limit, 64);
  EXPECT_EQ(r->src, addr("fd00:7::1"));
  EXPECT_EQ(r->dst, addr("fd00:7::2"));
  EXPECT_EQ(r->payload.data(), p.data() + 40);
  EXPECT_EQ(r->payload.size(), 64u);
  EXPECT_TRUE(r->ext_headers().empty());
  EXPECT_EQ(r->upper_proto, IpProto::kIcmpv6);
  EXPECT_EQ(r->upper_offset, 40);
  EXPECT_EQ(r->upper_proto_pointer, 6);
  EXPECT_EQ(r->upper_payload.size(), 64u);
  EXPECT_FALSE(r->unknown_header);
  EXPECT_FALSE(r->frag);
}

TEST(Ipv6Kernel, ReEmitsFixedHeaderByteForByte) {
  const ByteVec p = hex(kKernelEcho);
  auto r = Ipv6Repr::parse(p);
  ASSERT_TRUE(r.ok());
  ByteVec out(40);
  r->emit(out);
  EXPECT_EQ(to_hex(out), to_hex(Bytes(p).first(40)));
}

// RFC 8200 §4.5: the walk stops at the Fragment header; the rest is fragment data.
TEST(Ipv6Kernel, ParsesFirstFragment) {
  const ByteVec p = hex(kKernelFirstFragment);
  ASSERT_EQ(p.size(), 1496u);
  auto r = Ipv6Repr::parse(p);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->ext_headers().size(), 1u);
  EXPECT_EQ(r->ext_headers()[0], (Ipv6ExtHeader{IpProto::kIpv6Frag, 40, 8}));
  ASSERT_TRUE(r->frag);
  EXPECT_EQ(r->frag->ident, 0x96930f8bu);
  EXPECT_EQ(r->frag->frag_offset, 0);
  EXPECT_TRUE(r->frag->more_frags);
  EXPECT_EQ(r->frag->next_header, IpProto::kIcmpv6);
  EXPECT_EQ(r->upper_proto, IpProto::kIcmpv6);
  EXPECT_EQ(r->upper_offset, 48);
  EXPECT_EQ(r->upper_proto_pointer, 40);
  EXPECT_EQ(r->upper_payload.size(), 1448u);
  EXPECT_FALSE(r->unknown_header);
}

TEST(Ipv6Kernel, ParsesLastFragmentOffsetInBytes) {
  const ByteVec bytes = hex(kKernelLastFragment);
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_TRUE(r->frag);
  EXPECT_EQ(r->frag->frag_offset_bytes(), 2896u);
  EXPECT_FALSE(r->frag->more_frags);
  EXPECT_EQ(r->upper_payload.size(), 112u);
  EXPECT_NE(r->to_string().find("frag 0x96930f8b offset 2896"), std::string::npos)
      << r->to_string();
}

TEST(Ipv6Kernel, ReEmitsFragmentHeaderByteForByte) {
  const ByteVec p = hex(kKernelLastFragment);
  auto r = Ipv6Repr::parse(p);
  ASSERT_TRUE(r.ok() && r->frag);
  ByteVec out(8);
  r->frag->emit(out);
  EXPECT_EQ(to_hex(out), to_hex(Bytes(p).subspan(40, 8)));
}

// RFC 2710 §3 / RFC 3810 §5: MLD reports carry a Hop-by-Hop header with Router Alert.
TEST(Ipv6Kernel, WalksMldHopByHopWithRouterAlert) {
  const ByteVec bytes = hex(kKernelMldReport);
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->hop_limit, 1);
  EXPECT_EQ(r->dst, addr("ff02::16"));
  ASSERT_EQ(r->ext_headers().size(), 1u);
  EXPECT_EQ(r->ext_headers()[0], (Ipv6ExtHeader{IpProto::kHopByHop, 40, 8}));
  ASSERT_EQ(r->options().size(), 1u);  // the PadN is not listed
  const Ipv6Option& ra = r->options()[0];
  EXPECT_EQ(ra.type, ipv6_option::kRouterAlert);
  EXPECT_EQ(ra.header, IpProto::kHopByHop);
  EXPECT_EQ(ra.offset, 42);
  EXPECT_EQ(ra.data_len, 2);
  EXPECT_EQ(ra.action(), Ipv6OptionAction::kSkip);
  EXPECT_EQ(r->upper_proto, IpProto::kIcmpv6);
  EXPECT_EQ(r->upper_offset, 48);
  EXPECT_EQ(r->upper_proto_pointer, 40);
  EXPECT_EQ(r->upper_payload.size(), 48u);
}

TEST(Ipv6Kernel, WalksDestinationOptionsToUdp) {
  const ByteVec bytes = hex(kScapyDestOptsUdp);
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->ext_headers().size(), 1u);
  EXPECT_EQ(r->ext_headers()[0], (Ipv6ExtHeader{IpProto::kIpv6Opts, 40, 8}));
  ASSERT_EQ(r->options().size(), 1u);
  EXPECT_EQ(r->options()[0], (Ipv6Option{0x1e, IpProto::kIpv6Opts, 42, 2}));
  EXPECT_EQ(r->upper_proto, IpProto::kUdp);
  EXPECT_EQ(r->upper_offset, 48);
  EXPECT_EQ(r->upper_payload.size(), 14u);
  EXPECT_EQ(load_be16(r->upper_payload, 2), 4001);
}

// The quoted packet is part of the ICMPv6 payload, which the walk does not enter.
TEST(Ipv6Kernel, ParsesPortUnreachableQuotingAPacket) {
  const ByteVec bytes = hex(kKernelPortUnreachable);
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->upper_proto, IpProto::kIcmpv6);
  EXPECT_TRUE(r->ext_headers().empty());
  EXPECT_EQ(r->upper_payload.size(), 70u);
  auto quoted = Ipv6Repr::parse(r->upper_payload.subspan(8));
  ASSERT_TRUE(quoted.ok()) << to_string(quoted.error());
  EXPECT_EQ(quoted->upper_proto, IpProto::kUdp);
}

// Link padding after the packet is not payload.
TEST(Ipv6Kernel, IgnoresBytesBeyondPayloadLength) {
  ByteVec p = hex(kKernelEcho);
  p.resize(p.size() + 6, 0);
  auto r = Ipv6Repr::parse(p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload.size(), 64u);
  EXPECT_EQ(r->upper_payload.size(), 64u);
}

// --- Walks of built packets ---

// RFC 8200 §4.1's recommended order: HbH, DestOpts, Routing, Fragment, then upper layer.
TEST(Ipv6Walk, RecordsEveryHeaderInChainOrder) {
  const ByteVec hbh = opts_header(kDest, {1, 4, 0, 0, 0, 0});
  const ByteVec dst = opts_header(kRoute, {0x1e, 2, 0xaa, 0xbb, 1, 0});
  const ByteVec rt = {kFrag, 0, 4, 0, 0, 0, 0, 0};  // type 4 (SRH), segments left 0
  const ByteVec fh = {kUdp, 0, 0, 0, 0, 0, 0, 7};
  const ByteVec bytes = packet(kHbh, {hbh, dst, rt, fh, kUdpBytes});
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->ext_headers().size(), 4u);
  EXPECT_EQ(r->ext_headers()[0], (Ipv6ExtHeader{IpProto::kHopByHop, 40, 8}));
  EXPECT_EQ(r->ext_headers()[1], (Ipv6ExtHeader{IpProto::kIpv6Opts, 48, 8}));
  EXPECT_EQ(r->ext_headers()[2], (Ipv6ExtHeader{IpProto::kIpv6Route, 56, 8}));
  EXPECT_EQ(r->ext_headers()[3], (Ipv6ExtHeader{IpProto::kIpv6Frag, 64, 8}));
  ASSERT_TRUE(r->routing);
  EXPECT_EQ(r->routing->routing_type, 4);
  EXPECT_EQ(r->routing->segments_left, 0);
  EXPECT_EQ(r->routing->offset, 56);
  ASSERT_TRUE(r->frag);
  EXPECT_TRUE(r->frag->is_atomic());
  EXPECT_EQ(r->frag->ident, 7u);
  ASSERT_EQ(r->options().size(), 1u);
  EXPECT_EQ(r->options()[0].offset, 50);
  EXPECT_EQ(r->upper_proto, IpProto::kUdp);
  EXPECT_EQ(r->upper_offset, 72);
  EXPECT_EQ(r->upper_proto_pointer, 64);
  EXPECT_EQ(r->upper_payload.size(), 8u);
}

TEST(Ipv6Walk, LongerHeaderUsesHdrExtLen) {
  ByteVec opts(22, 0);  // 24-byte header: Hdr Ext Len 2
  opts[0] = 0x3e;       // an option with 18 data bytes, then 2 Pad1
  opts[1] = 18;
  const ByteVec bytes = packet(kDest, {opts_header(kUdp, opts), kUdpBytes});
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->ext_headers()[0].len, 24);
  EXPECT_EQ(r->upper_offset, 64);
}

// RFC 8200 §4.2: the two high-order bits of the option type choose the action.
TEST(Ipv6Walk, OptionActionComesFromTopTwoBits) {
  const ByteVec opts = {0x1e, 0, 0x5e, 0, 0x9e, 0, 0xfe, 0, 1, 4, 0, 0, 0, 0};
  const ByteVec bytes = packet(kHbh, {opts_header(kUdp, opts), kUdpBytes});
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->options().size(), 4u);
  EXPECT_EQ(r->options()[0].action(), Ipv6OptionAction::kSkip);
  EXPECT_EQ(r->options()[1].action(), Ipv6OptionAction::kDiscard);
  EXPECT_EQ(r->options()[2].action(), Ipv6OptionAction::kDiscardSendProblem);
  EXPECT_EQ(r->options()[3].action(), Ipv6OptionAction::kDiscardSendProblemUnicast);
  EXPECT_TRUE(r->options()[3].may_change());
  // The Parameter Problem pointer is the option's offset from the start of the packet.
  EXPECT_EQ(r->options()[2].offset, 46);
}

// RFC 8200 §4: an unrecognised Next Header is reported with the pointer to the field naming
// it (Parameter Problem code 1), not silently accepted.
TEST(Ipv6Walk, ReportsUnknownNextHeaderWithOffsetAndPointer) {
  const ByteVec bytes = packet(kDest, {opts_header(200, {1, 4, 0, 0, 0, 0}), {1, 2, 3, 4}});
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_TRUE(r->unknown_header);
  EXPECT_EQ(*r->unknown_header, (Ipv6UnknownHeader{200, 48, 40}));
  EXPECT_EQ(static_cast<int>(r->upper_proto), 200);
  EXPECT_NE(r->to_string().find("unknown header 200 at offset 48"), std::string::npos)
      << r->to_string();
}

TEST(Ipv6Walk, ReportsUnknownHeaderInFixedHeader) {
  const ByteVec bytes = packet(132, {{0, 0, 0, 0}});  // SCTP
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->unknown_header);
  EXPECT_EQ(*r->unknown_header, (Ipv6UnknownHeader{132, 40, 6}));
}

// We do not walk ESP/AH (no IPsec): reported so the IP layer answers for it.
TEST(Ipv6Walk, ReportsEspAsUnknown) {
  const ByteVec bytes = packet(50, {{0, 0, 0, 1, 0, 0, 0, 1}});
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->unknown_header);
  EXPECT_EQ(r->unknown_header->type, 50);
}

// RFC 8200 §4.1: Hop-by-Hop is only allowed right after the IPv6 header.
TEST(Ipv6Walk, HopByHopAfterAnotherHeaderIsUnknown) {
  const ByteVec dst = opts_header(kHbh, {1, 4, 0, 0, 0, 0});
  const ByteVec hbh = opts_header(kUdp, {1, 4, 0, 0, 0, 0});
  const ByteVec bytes = packet(kDest, {dst, hbh, kUdpBytes});
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_TRUE(r->unknown_header);
  EXPECT_EQ(*r->unknown_header, (Ipv6UnknownHeader{0, 48, 40}));
  EXPECT_EQ(r->ext_headers().size(), 1u);
}

TEST(Ipv6Walk, NoNextHeaderEndsTheChain) {
  const ByteVec bytes = packet(kDest, {opts_header(59, {1, 4, 0, 0, 0, 0})});
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->upper_proto, IpProto::kIpv6NoNext);
  EXPECT_FALSE(r->unknown_header);
  EXPECT_TRUE(r->upper_payload.empty());
}

// The fragment's Next Header is what follows after reassembly: not judged here.
TEST(Ipv6Walk, FragmentOfUnknownProtocolIsNotJudgedBeforeReassembly) {
  const ByteVec bytes = packet(kFrag, {{200, 0, 0, 9, 0, 0, 0, 1}, {1, 2, 3, 4, 5, 6, 7, 8}});
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->frag);
  EXPECT_EQ(r->frag->frag_offset, 1);
  EXPECT_TRUE(r->frag->more_frags);
  EXPECT_FALSE(r->unknown_header);
  EXPECT_EQ(static_cast<int>(r->upper_proto), 200);
}

TEST(Ipv6Walk, EightHeadersAreWalked) {
  std::vector<ByteVec> chunks;
  for (int i = 0; i < 8; ++i)
    chunks.push_back(opts_header(i < 7 ? kDest : kUdp, {1, 4, 0, 0, 0, 0}));
  chunks.push_back(kUdpBytes);
  const ByteVec bytes = packet(kDest, chunks);
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->ext_headers().size(), 8u);
  EXPECT_EQ(r->upper_offset, 40 + 64);
}

// --- Emit and round trips ---

TEST(Ipv6Emit, FixedHeaderRoundTrip) {
  Ipv6Repr r;
  r.traffic_class = 0xb8;
  r.flow_label = 0xfedcb;
  r.payload_len = 8;
  r.next_header = IpProto::kUdp;
  r.hop_limit = 255;
  r.src = addr("fd00::1");
  r.dst = addr("fd00::2");
  ByteVec p(48);
  r.emit(p);
  std::copy(kUdpBytes.begin(), kUdpBytes.end(), p.begin() + 40);
  auto back = Ipv6Repr::parse(p);
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  EXPECT_EQ(back->traffic_class, 0xb8);
  EXPECT_EQ(back->dscp(), 46);
  EXPECT_EQ(back->flow_label, 0xfedcbu);
  EXPECT_EQ(back->payload_len, 8);
  EXPECT_EQ(back->hop_limit, 255);
  EXPECT_EQ(back->src, r.src);
  EXPECT_EQ(back->dst, r.dst);
  EXPECT_EQ(back->upper_proto, IpProto::kUdp);
}

// RFC 3810 §5 / RFC 2711: the Hop-by-Hop header in front of an MLD message is the kernel's,
// byte for byte (Router Alert value 0, then PadN), and the walk reads it back.
TEST(Ipv6Emit, RouterAlertHeaderMatchesTheKernels) {
  const ByteVec kernel = hex(kKernelMldReport);
  ByteVec hbh(Ipv6RouterAlertHeader::kLen);
  Ipv6RouterAlertHeader{}.emit(hbh);
  EXPECT_EQ(hbh, ByteVec(kernel.begin() + 40, kernel.begin() + 48));

  ByteVec p = kernel;
  std::fill(p.begin() + 40, p.begin() + 48, 0xee);
  Ipv6RouterAlertHeader{IpProto::kIcmpv6, Ipv6RouterAlertHeader::kMld}.emit(
      MutBytes(p).subspan(40));
  auto r = Ipv6Repr::parse(p);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->options().size(), 1u);
  EXPECT_EQ(r->options()[0].type, ipv6_option::kRouterAlert);
  EXPECT_EQ(r->upper_proto, IpProto::kIcmpv6);
  EXPECT_EQ(r->upper_offset, 48);
}

// RFC 8200 §4.5: Fragment Offset in 8-octet units, M flag, 32-bit Identification.
TEST(Ipv6Emit, FragmentHeaderRoundTrip) {
  Ipv6FragHeader f;
  f.next_header = IpProto::kTcp;
  f.set_frag_offset_bytes(65528);
  f.more_frags = true;
  f.ident = 0xdeadbeef;
  ByteVec out(8);
  f.emit(out);
  EXPECT_EQ(to_hex(out), "0600fff9deadbeef");
  auto back = Ipv6FragHeader::parse(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, f);
  EXPECT_EQ(back->frag_offset_bytes(), 65528u);
}

TEST(Ipv6Emit, FragmentHeaderKeepsReservedBits) {
  const ByteVec raw = {17, 0xaa, 0x00, 0x0e, 0, 0, 0, 1};
  auto f = Ipv6FragHeader::parse(raw);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->reserved, 0xaa);
  EXPECT_EQ(f->reserved_bits, 3);
  EXPECT_FALSE(f->more_frags);
  ByteVec out(8);
  f->emit(out);
  EXPECT_EQ(out, raw);
}

// --- Malformed input ---

TEST(Ipv6Malformed, ShorterThanFixedHeaderIsTruncated) {
  const ByteVec p = hex(kKernelEcho);
  for (std::size_t n = 0; n < 40; ++n) {
    EXPECT_EQ(parse_error(ByteVec(p.begin(), p.begin() + static_cast<long>(n))),
              ParseError::kTruncated)
        << "length " << n;
  }
}

// Linux counts Payload Length beyond the received bytes as InTruncatedPkts (ipv6_rcv).
TEST(Ipv6Malformed, PayloadLengthBeyondBufferIsTruncated) {
  const ByteVec p = hex(kKernelMldReport);
  for (std::size_t n = 40; n < p.size(); ++n) {
    EXPECT_EQ(parse_error(ByteVec(p.begin(), p.begin() + static_cast<long>(n))),
              ParseError::kTruncated)
        << "length " << n;
  }
}

TEST(Ipv6Malformed, VersionOtherThanSixIsBadVersion) {
  for (int v : {0, 4, 7, 15}) {
    ByteVec p = hex(kKernelEcho);
    p[0] = static_cast<std::uint8_t>((v << 4) | (p[0] & 0x0f));
    EXPECT_EQ(parse_error(p), ParseError::kBadVersion) << "version " << v;
  }
}

// Payload Length cut inside the Hop-by-Hop header: the header runs past the payload.
TEST(Ipv6Malformed, ExtensionHeaderCutByPayloadLengthIsTruncated) {
  for (std::uint16_t len = 1; len < 8; ++len) {
    ByteVec p = hex(kKernelMldReport);
    store_be16(p, 4, len);
    EXPECT_EQ(parse_error(p), ParseError::kTruncated) << "payload length " << len;
  }
}

// Payload Length cut at every point of a four-header chain, header boundaries included: the
// next header named is missing or incomplete.
TEST(Ipv6Malformed, ChainCutAnywhereIsTruncated) {
  const ByteVec hbh = opts_header(kDest, {1, 4, 0, 0, 0, 0});
  const ByteVec dst = opts_header(kRoute, {1, 4, 0, 0, 0, 0});
  const ByteVec rt = {kFrag, 0, 4, 0, 0, 0, 0, 0};
  const ByteVec fh = {kUdp, 0, 0, 0, 0, 0, 0, 7};
  const ByteVec full = packet(kHbh, {hbh, dst, rt, fh, kUdpBytes});
  for (std::uint16_t len = 1; len < 32; ++len) {
    ByteVec p = full;
    store_be16(p, 4, len);
    EXPECT_EQ(parse_error(p), ParseError::kTruncated) << "payload length " << len;
  }
  ByteVec p = full;
  store_be16(p, 4, 32);  // ends right after the Fragment header: a fragment with no data
  EXPECT_TRUE(Ipv6Repr::parse(p).ok());
}

TEST(Ipv6Malformed, HdrExtLenPastPayloadIsTruncated) {
  ByteVec dst = opts_header(kUdp, {1, 4, 0, 0, 0, 0});
  dst[1] = 2;  // claims 24 bytes, only 16 there
  EXPECT_EQ(parse_error(packet(kDest, {dst, kUdpBytes})), ParseError::kTruncated);
}

TEST(Ipv6Malformed, RoutingHeaderPastPayloadIsTruncated) {
  EXPECT_EQ(parse_error(packet(kRoute, {{kUdp, 3, 0, 0, 0, 0, 0, 0}})), ParseError::kTruncated);
}

TEST(Ipv6Malformed, FragmentHeaderCutShortIsTruncated) {
  EXPECT_EQ(parse_error(packet(kFrag, {{kUdp, 0, 0, 0, 0, 0, 0}})), ParseError::kTruncated);
}

// The chain (fixed header -> 2 bytes) names a header but the payload ends there.
TEST(Ipv6Malformed, NamedHeaderMissingAtEndIsTruncated) {
  EXPECT_EQ(parse_error(packet(kDest, {opts_header(kRoute, {1, 4, 0, 0, 0, 0})})),
            ParseError::kTruncated);
}

TEST(Ipv6Malformed, OptionRunningPastHeaderIsBadOption) {
  EXPECT_EQ(parse_error(packet(kHbh, {opts_header(kUdp, {0x1e, 5, 0, 0, 0, 0}), kUdpBytes})),
            ParseError::kBadOption);
}

TEST(Ipv6Malformed, OptionTypeWithoutLengthByteIsBadOption) {
  EXPECT_EQ(parse_error(packet(kDest, {opts_header(kUdp, {1, 3, 0, 0, 0, 0x1e}), kUdpBytes})),
            ParseError::kBadOption);
}

// RFC 4942 §2.1.9.5 and Linux ip6_parse_tlv: padding beyond 7 bytes is not alignment.
TEST(Ipv6Malformed, MoreThanSevenPaddingBytesIsBadOption) {
  ByteVec opts(14, 0);  // 14 Pad1
  EXPECT_EQ(parse_error(packet(kDest, {opts_header(kUdp, opts), kUdpBytes})),
            ParseError::kBadOption);
  ByteVec padn = {1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(parse_error(packet(kDest, {opts_header(kUdp, padn), kUdpBytes})),
            ParseError::kBadOption);
}

TEST(Ipv6Malformed, PadNWithNonZeroContentIsBadOption) {
  EXPECT_EQ(parse_error(packet(kDest, {opts_header(kUdp, {1, 4, 0, 0, 7, 0}), kUdpBytes})),
            ParseError::kBadOption);
}

TEST(Ipv6Malformed, MoreOptionsThanTheLimitIsBadOption) {
  ByteVec opts;
  for (std::size_t i = 0; i <= Ipv6Repr::kMaxOptions; ++i) opts.insert(opts.end(), {0x1e, 0});
  while ((opts.size() + 2) % 8 != 0) opts.push_back(0);
  EXPECT_EQ(parse_error(packet(kDest, {opts_header(kUdp, opts), kUdpBytes})),
            ParseError::kBadOption);
}

TEST(Ipv6Malformed, NineHeadersAreTooMany) {
  std::vector<ByteVec> chunks;
  for (int i = 0; i < 9; ++i)
    chunks.push_back(opts_header(i < 8 ? kDest : kUdp, {1, 4, 0, 0, 0, 0}));
  chunks.push_back(kUdpBytes);
  EXPECT_EQ(parse_error(packet(kDest, chunks)), ParseError::kTooManyHeaders);
}

// The header limit also holds when the ninth header is a Fragment header.
TEST(Ipv6Malformed, FragmentHeaderAfterEightHeadersIsTooMany) {
  std::vector<ByteVec> chunks;
  for (int i = 0; i < 8; ++i)
    chunks.push_back(opts_header(i < 7 ? kDest : kFrag, {1, 4, 0, 0, 0, 0}));
  chunks.push_back({kUdp, 0, 0, 0, 0, 0, 0, 1});  // Fragment header, offset 0
  chunks.push_back(kUdpBytes);
  EXPECT_EQ(parse_error(packet(kDest, chunks)), ParseError::kTooManyHeaders);
}

// RFC 2675: Payload Length 0 with Hop-by-Hop announces a jumbogram.
TEST(Ipv6Malformed, JumbogramIsUnsupported) {
  ByteVec p = packet(kHbh, {opts_header(kUdp, {0xc2, 4, 0, 1, 0, 0}), kUdpBytes});
  store_be16(p, 4, 0);
  EXPECT_EQ(parse_error(p), ParseError::kUnsupported);
}

// --- Printing ---

TEST(Ipv6Print, SummaryNamesAddressesHeadersAndLength) {
  const ByteVec bytes = hex(kKernelMldReport);
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->to_string(),
            "fe80::f8ae:87ff:fe6b:b83a > ff02::16: HBH ICMPv6, hlim 1, payload length 56");
}

TEST(Ipv6Print, VerboseListsFieldsHeadersAndOptions) {
  const ByteVec bytes = hex(kKernelMldReport);
  auto r = Ipv6Repr::parse(bytes);
  ASSERT_TRUE(r.ok());
  const std::string v = r->to_verbose_string();
  for (const char* field :
       {"version: 6", "traffic class: 0x00 (dscp 0, ecn 0 Not-ECT)", "flow label: 0x00000", "payload length: 56",
        "next header: HBH (0)", "hop limit: 1", "src: fe80::f8ae:87ff:fe6b:b83a", "dst: ff02::16",
        "extension header: HBH (0) at offset 40, length 8",
        "option 0x05 at offset 42, data length 2, action 0",
        "upper layer: ICMPv6 at offset 48 (next header field at 40), 48 bytes"}) {
    EXPECT_NE(v.find(field), std::string::npos) << field << " missing in\n" << v;
  }
}

}  // namespace
}  // namespace ustack
