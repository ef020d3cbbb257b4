// IPv4 header parse/emit/print (RFC 791 §3.1): kernel packets, round trips, malformed input.
#include "stack/wire/ipv4.h"

#include <gtest/gtest.h>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

// ---------------------------------------------------------------------------------------------
// Real packets from the Linux kernel (6.x, iputils ping 20221126, netcat-openbsd). Made by
// creating two namespaces wipa<pid>/wipb<pid> joined by a veth pair (va<pid> 198.18.7.1/24 in
// A, vb<pid> 198.18.7.2/24 in B), running `tcpdump -i vb<pid> -w cap.pcap` in B and then, in A:
//   ping -c 1 198.18.7.2               -> kKernelEchoRequest
//   ping -c 1 -s 3000 198.18.7.2       -> kKernelFirstFragment, kKernelLastFragment
//   ping -c 1 -R 198.18.7.2            -> kKernelRecordRoute (request), kKernelRecordRouteReply
//   IP_ADD_MEMBERSHIP 239.1.2.3 (python socket) -> kKernelIgmpRouterAlert (IGMPv3 report)
// The bytes are the frames' IP part (Ethernet header stripped), dumped with scapy's rdpcap; the
// namespaces were deleted afterwards.
// ---------------------------------------------------------------------------------------------
const char kKernelEchoRequest[] =
    "450000545b8e4000400144f3c6120701c612070208002e2539ec000135e4066b000000008bcb090000000000101112"
    "13"
    "1415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

const char kKernelFirstFragment[] =
    "450005dc5b8f200040015f6ac6120701c61207020800d43239ed000135e4066b00000000c4e1090000000000101112"
    "13"
    "1415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142"
    "43"
    "4445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172"
    "73"
    "7475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2"
    "a3"
    "a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2"
    "d3"
    "d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102"
    "03"
    "0405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132"
    "33"
    "3435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162"
    "63"
    "6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192"
    "93"
    "9495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2"
    "c3"
    "c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2"
    "f3"
    "f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122"
    "23"
    "2425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152"
    "53"
    "5455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182"
    "83"
    "8485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2"
    "b3"
    "b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2"
    "e3"
    "e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112"
    "13"
    "1415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142"
    "43"
    "4445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172"
    "73"
    "7475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2"
    "a3"
    "a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2"
    "d3"
    "d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102"
    "03"
    "0405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132"
    "33"
    "3435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162"
    "63"
    "6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192"
    "93"
    "9495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2"
    "c3"
    "c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2"
    "f3"
    "f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122"
    "23"
    "2425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152"
    "53"
    "5455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182"
    "83"
    "8485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2"
    "b3"
    "b4b5b6b7b8b9babbbcbdbebf";

const char kKernelLastFragment[] =
    "450000445b8f017240018390c6120701c612070288898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2"
    "a3"
    "a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7";

const char kKernelRecordRoute[] =
    "4f00007c5b904000400145a6c6120701c612070201072708c612070100000000000000000000000000000000000000"
    "00"
    "0000000000000000000000000800dffa39ef000135e4066b00000000d9f2090000000000101112131415161718191a"
    "1b"
    "1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

const char kKernelRecordRouteReply[] =
    "4f00007cb28f00004001cf3bc6120702c6120701072710c6120701c6120702c6120702000000000000000000000000"
    "00"
    "0000000000000000000000000000e7fa39ef000135e4066b00000000d9f2090000000000101112131415161718191a"
    "1b"
    "1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

const char kKernelIgmpRouterAlert[] =
    "46c0002800004000010236e6c6120701e0000016940400002200e8f90000000104000000ef010203";

// A UDP datagram from `nc -u` over the same veth (41 bytes; the UDP checksum is the kernel's
// CHECKSUM_PARTIAL pseudo-header sum, which does not matter to the IP header).
const char kKernelUdp[] =
    "45000029003040004011a06cc6120701c6120702aee414e900159a4e68656c6c6f2d7573"
    "7461636b0a";

Ipv4Addr addr(const char* s) { return *Ipv4Addr::parse(s); }

ByteVec hex(const char* s) {
  ByteVec b = from_hex(s);
  EXPECT_FALSE(b.empty()) << "bad hex in test";
  return b;
}

// Recomputes the header checksum after a test has changed a header byte, so the parser sees
// exactly the one defect the test means.
void fix_checksum(ByteVec& p) {
  const std::size_t ihl = std::size_t{p[0] & 0x0fu} * 4;
  p[10] = p[11] = 0;
  const std::uint16_t sum = internet_checksum(Bytes(p).first(std::min(ihl, p.size())));
  p[10] = static_cast<std::uint8_t>(sum >> 8);
  p[11] = static_cast<std::uint8_t>(sum);
}

// A datagram built by the emitter: header from `r` followed by `payload`.
ByteVec build(Ipv4Repr r, Bytes payload) {
  r.payload_len = payload.size();
  ByteVec out(r.header_len() + payload.size());
  r.emit(out);
  std::copy(payload.begin(), payload.end(), out.begin() + static_cast<long>(r.header_len()));
  return out;
}

Ipv4Repr udp_repr() {
  Ipv4Repr r;
  r.tos = 0x10;
  r.ident = 0x1234;
  r.dont_frag = true;
  r.ttl = 64;
  r.protocol = IpProto::kUdp;
  r.src = addr("198.18.0.1");
  r.dst = addr("198.18.0.2");
  return r;
}

ParseError parse_error(const ByteVec& p, ChecksumCheck check = ChecksumCheck::kVerify) {
  auto r = Ipv4Repr::parse(p, check);
  EXPECT_FALSE(r.ok()) << r->to_string();
  return r.ok() ? ParseError::kUnsupported : r.error();
}

// --- Kernel packets ---

TEST(Ipv4Kernel, ParsesEchoRequestFields) {
  const ByteVec p = hex(kKernelEchoRequest);
  auto r = Ipv4Repr::parse(p);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->header_len(), 20u);
  EXPECT_EQ(r->total_len(), 84u);
  EXPECT_EQ(r->tos, 0);
  EXPECT_EQ(r->ident, 0x5b8e);
  EXPECT_TRUE(r->dont_frag);
  EXPECT_FALSE(r->more_frags);
  EXPECT_FALSE(r->reserved_flag);
  EXPECT_FALSE(r->is_fragment());
  EXPECT_EQ(r->ttl, 64);
  EXPECT_EQ(r->protocol, IpProto::kIcmp);
  EXPECT_EQ(r->checksum, 0x44f3);
  EXPECT_EQ(r->src, addr("198.18.7.1"));
  EXPECT_EQ(r->dst, addr("198.18.7.2"));
  EXPECT_EQ(r->payload.size(), 64u);
  EXPECT_EQ(r->payload.data(), p.data() + 20);  // a view, not a copy
  EXPECT_TRUE(r->options().empty());
  EXPECT_TRUE(r->option_list().empty());
}

TEST(Ipv4Kernel, ReEmitsEchoRequestByteForByte) {
  const ByteVec p = hex(kKernelEchoRequest);
  auto r = Ipv4Repr::parse(p);
  ASSERT_TRUE(r.ok());
  ByteVec out(r->header_len());
  r->emit(out);
  EXPECT_EQ(to_hex(out), to_hex(Bytes(p).first(20)));
}

// RFC 791 §3.2: the first fragment has MF set and offset 0; its payload is the fragment data.
TEST(Ipv4Kernel, ParsesFirstFragment) {
  const ByteVec p = hex(kKernelFirstFragment);
  ASSERT_EQ(p.size(), 1500u);
  auto r = Ipv4Repr::parse(p);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->more_frags);
  EXPECT_FALSE(r->dont_frag);
  EXPECT_EQ(r->frag_offset, 0);
  EXPECT_TRUE(r->is_fragment());
  EXPECT_EQ(r->ident, 0x5b8f);
  EXPECT_EQ(r->payload.size(), 1480u);
}

TEST(Ipv4Kernel, ParsesLastFragmentOffsetInBytes) {
  const ByteVec p = hex(kKernelLastFragment);
  auto r = Ipv4Repr::parse(p);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_FALSE(r->more_frags);
  EXPECT_EQ(r->frag_offset, 370);  // 8-octet units
  EXPECT_EQ(r->frag_offset_bytes(), 2960u);
  EXPECT_TRUE(r->is_fragment());
  EXPECT_EQ(r->ident, 0x5b8f);
  EXPECT_EQ(r->payload.size(), 48u);
  EXPECT_NE(r->to_string().find("offset 2960"), std::string::npos) << r->to_string();
}

// RFC 791 §3.1 (Record Route): the kernel's `ping -R` header is NOP + a 39-byte RR option.
TEST(Ipv4Kernel, KeepsRecordRouteOptions) {
  const ByteVec p = hex(kKernelRecordRoute);
  auto r = Ipv4Repr::parse(p);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->header_len(), 60u);
  EXPECT_EQ(r->payload.size(), 64u);
  EXPECT_EQ(to_hex(r->options()), to_hex(Bytes(p).subspan(20, 40)));
  ASSERT_EQ(r->option_list().size(), 2u);
  EXPECT_EQ(r->option_list()[0], (Ipv4Option{1, 20, 1}));
  EXPECT_EQ(r->option_list()[1], (Ipv4Option{7, 21, 39}));
  EXPECT_FALSE(r->option_list()[1].copied());
}

TEST(Ipv4Kernel, ReEmitsRecordRouteHeaderByteForByte) {
  const ByteVec p = hex(kKernelRecordRoute);
  auto r = Ipv4Repr::parse(p);
  ASSERT_TRUE(r.ok());
  ByteVec out(r->header_len());
  r->emit(out);
  EXPECT_EQ(to_hex(out), to_hex(Bytes(p).first(60)));
}

// The reply's RR option fills 39 bytes and ends with EOL at the header's last byte.
TEST(Ipv4Kernel, ParsesRecordRouteReplyEndingInEol) {
  const ByteVec bytes = hex(kKernelRecordRouteReply);
  auto r = Ipv4Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->option_list().size(), 2u);
  EXPECT_EQ(r->option_list()[0], (Ipv4Option{7, 20, 39}));
  EXPECT_EQ(r->option_list()[1], (Ipv4Option{0, 59, 1}));
}

// RFC 2113: IGMP reports carry Router Alert (type 148, length 4, copied flag set).
TEST(Ipv4Kernel, ParsesIgmpRouterAlert) {
  const ByteVec bytes = hex(kKernelIgmpRouterAlert);
  auto r = Ipv4Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->header_len(), 24u);
  EXPECT_EQ(r->tos, 0xc0);
  EXPECT_EQ(r->dscp(), 48);
  EXPECT_EQ(r->ttl, 1);
  EXPECT_EQ(static_cast<int>(r->protocol), 2);
  EXPECT_EQ(r->dst, addr("224.0.0.22"));
  ASSERT_EQ(r->option_list().size(), 1u);
  EXPECT_EQ(r->option_list()[0], (Ipv4Option{148, 20, 4}));
  EXPECT_TRUE(r->option_list()[0].copied());
  EXPECT_NE(r->to_string().find("options [RA]"), std::string::npos) << r->to_string();
}

// Ethernet pads short frames to 60 bytes; the total length, not the buffer, ends the datagram.
TEST(Ipv4Kernel, IgnoresTrailingLinkPadding) {
  ByteVec p = hex(kKernelUdp);
  ASSERT_EQ(p.size(), 41u);
  p.resize(46, 0);  // what a 60-byte Ethernet frame would carry
  auto r = Ipv4Repr::parse(p);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->total_len(), 41u);
  EXPECT_EQ(r->payload.size(), 21u);
  EXPECT_EQ(r->protocol, IpProto::kUdp);
}

// --- Emit and round trips ---

TEST(Ipv4Emit, RoundTripGivesSameFields) {
  Ipv4Repr r = udp_repr();
  r.more_frags = true;
  r.dont_frag = false;
  r.set_frag_offset_bytes(1480);
  const ByteVec payload = {1, 2, 3, 4, 5, 6, 7, 8};
  const ByteVec p = build(r, payload);
  auto back = Ipv4Repr::parse(p);
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  r.payload_len = payload.size();
  r.payload = payload;
  EXPECT_EQ(*back, r);
  EXPECT_EQ(back->frag_offset_bytes(), 1480u);
}

TEST(Ipv4Emit, RoundTripKeepsOptionsAndReservedFlag) {
  Ipv4Repr r = udp_repr();
  r.reserved_flag = true;
  const ByteVec ra = {148, 4, 0, 0};
  ASSERT_TRUE(r.set_options(ra).ok());
  const ByteVec p = build(r, ByteVec{9, 9});
  auto back = Ipv4Repr::parse(p);
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  EXPECT_TRUE(back->reserved_flag);
  EXPECT_EQ(back->header_len(), 24u);
  EXPECT_EQ(to_hex(back->options()), "94040000");
  EXPECT_EQ(back->option_list().size(), 1u);
}

TEST(Ipv4Emit, ComputedChecksumVerifies) {
  const ByteVec p = build(udp_repr(), ByteVec{});
  EXPECT_EQ(internet_checksum(Bytes(p).first(20)), 0);
  EXPECT_NE(load_be16(p, 10), 0);
}

TEST(Ipv4Emit, OffloadLeavesChecksumZero) {
  Ipv4Repr r = udp_repr();
  ByteVec out(20, 0xee);
  r.emit(out, ChecksumMode::kOffload);
  EXPECT_EQ(load_be16(out, 10), 0);
  EXPECT_EQ(out[0], 0x45);
}

// RFC 791 §3.1: the options end on a 32-bit boundary; EOL (zero) pads.
TEST(Ipv4Emit, SetOptionsPadsWithEol) {
  Ipv4Repr r = udp_repr();
  const ByteVec nop_ra = {1, 148, 4, 0, 0};
  ASSERT_TRUE(r.set_options(nop_ra).ok());
  EXPECT_EQ(r.header_len(), 28u);
  EXPECT_EQ(to_hex(r.options()), "0194040000000000");
  ASSERT_EQ(r.option_list().size(), 3u);
  EXPECT_EQ(r.option_list()[2], (Ipv4Option{0, 25, 1}));
}

TEST(Ipv4Emit, SetOptionsRejectsMoreThanFortyBytes) {
  Ipv4Repr r = udp_repr();
  EXPECT_EQ(r.set_options(ByteVec(41, 1)).error(), ParseError::kBadLength);
  EXPECT_EQ(r.header_len(), 20u);  // unchanged
}

TEST(Ipv4Emit, SetOptionsRejectsMalformedOption) {
  Ipv4Repr r = udp_repr();
  EXPECT_EQ(r.set_options(ByteVec{7, 1}).error(), ParseError::kBadOption);
  EXPECT_EQ(r.header_len(), 20u);
}

// --- Malformed input: every defect gets its own named reason ---

TEST(Ipv4Malformed, ShorterThanMinimumHeaderIsTruncated) {
  const ByteVec p = hex(kKernelEchoRequest);
  for (std::size_t n = 0; n < 20; ++n) {
    EXPECT_EQ(parse_error(ByteVec(p.begin(), p.begin() + static_cast<long>(n))),
              ParseError::kTruncated)
        << "length " << n;
  }
}

// Cut inside the options (IHL says 60, buffer ends before).
TEST(Ipv4Malformed, CutInsideOptionsIsTruncated) {
  const ByteVec p = hex(kKernelRecordRoute);
  for (std::size_t n = 20; n < 60; ++n) {
    EXPECT_EQ(parse_error(ByteVec(p.begin(), p.begin() + static_cast<long>(n))),
              ParseError::kTruncated)
        << "length " << n;
  }
}

// Linux counts a total length beyond the received bytes as InTruncatedPkts (ip_rcv_core).
TEST(Ipv4Malformed, TotalLengthBeyondBufferIsTruncated) {
  const ByteVec p = hex(kKernelEchoRequest);
  for (std::size_t n = 20; n < p.size(); ++n) {
    EXPECT_EQ(parse_error(ByteVec(p.begin(), p.begin() + static_cast<long>(n))),
              ParseError::kTruncated)
        << "length " << n;
  }
}

TEST(Ipv4Malformed, VersionOtherThanFourIsBadVersion) {
  for (int v : {0, 5, 6, 15}) {
    ByteVec p = hex(kKernelEchoRequest);
    p[0] = static_cast<std::uint8_t>((v << 4) | 5);
    fix_checksum(p);
    EXPECT_EQ(parse_error(p), ParseError::kBadVersion) << "version " << v;
  }
}

// RFC 791 §3.1: "the minimum value for a correct header is 5".
TEST(Ipv4Malformed, IhlBelowFiveIsBadHeaderLength) {
  for (int ihl = 0; ihl < 5; ++ihl) {
    ByteVec p = hex(kKernelEchoRequest);
    p[0] = static_cast<std::uint8_t>(0x40 | ihl);
    EXPECT_EQ(parse_error(p), ParseError::kBadHeaderLength) << "ihl " << ihl;
  }
}

TEST(Ipv4Malformed, TotalLengthBelowHeaderLengthIsBadLength) {
  ByteVec p = hex(kKernelRecordRoute);  // IHL 15 = 60 bytes
  store_be16(p, 2, 59);
  fix_checksum(p);
  EXPECT_EQ(parse_error(p), ParseError::kBadLength);
  store_be16(p, 2, 0);
  fix_checksum(p);
  EXPECT_EQ(parse_error(p), ParseError::kBadLength);
}

TEST(Ipv4Malformed, CorruptHeaderIsBadChecksum) {
  ByteVec p = hex(kKernelEchoRequest);
  p[8] = 63;  // TTL changed in flight, checksum not updated
  EXPECT_EQ(parse_error(p), ParseError::kBadChecksum);
}

TEST(Ipv4Malformed, SkipCheckAcceptsBadChecksum) {
  ByteVec p = hex(kKernelEchoRequest);
  p[10] ^= 0xff;
  auto r = Ipv4Repr::parse(p, ChecksumCheck::kSkip);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->checksum, 0x44f3 ^ 0xff00);
}

// A header with options whose option area is given by `opts` (padded to a multiple of 4 by
// the caller) and a valid checksum.
ByteVec with_options(const ByteVec& opts) {
  const ByteVec base = hex(kKernelEchoRequest);
  ByteVec p(base.begin(), base.begin() + 20);
  p.insert(p.end(), opts.begin(), opts.end());
  p[0] = static_cast<std::uint8_t>(0x40 | (p.size() / 4));
  store_be16(p, 2, static_cast<std::uint16_t>(p.size()));
  fix_checksum(p);
  return p;
}

TEST(Ipv4Malformed, OptionLengthZeroIsBadOption) {
  EXPECT_EQ(parse_error(with_options({130, 0, 0, 0})), ParseError::kBadOption);
}

TEST(Ipv4Malformed, OptionLengthOneIsBadOption) {
  EXPECT_EQ(parse_error(with_options({130, 1, 0, 0})), ParseError::kBadOption);
}

TEST(Ipv4Malformed, OptionRunningPastHeaderIsBadOption) {
  EXPECT_EQ(parse_error(with_options({1, 130, 4, 0})), ParseError::kBadOption);
  EXPECT_EQ(parse_error(with_options({130, 40, 0, 0, 0, 0, 0, 0})), ParseError::kBadOption);
}

TEST(Ipv4Malformed, OptionTypeInLastByteWithoutLengthIsBadOption) {
  EXPECT_EQ(parse_error(with_options({1, 1, 1, 130})), ParseError::kBadOption);
}

// RFC 791 §3.1: Record Route / source route pointers start at 4, the Timestamp one at 5.
TEST(Ipv4Malformed, RecordRoutePointerBelowFourIsBadOption) {
  EXPECT_EQ(parse_error(with_options({7, 7, 3, 0, 0, 0, 0, 0})), ParseError::kBadOption);
  EXPECT_EQ(parse_error(with_options({131, 2, 0, 0})), ParseError::kBadOption);
}

TEST(Ipv4Malformed, TimestampPointerBelowFiveIsBadOption) {
  EXPECT_EQ(parse_error(with_options({68, 8, 4, 0, 0, 0, 0, 0})), ParseError::kBadOption);
  EXPECT_TRUE(Ipv4Repr::parse(with_options({68, 8, 5, 0, 0, 0, 0, 0})).ok());
}

// RFC 2113 §2.1: Router Alert is exactly 4 octets.
TEST(Ipv4Malformed, RouterAlertOfWrongLengthIsBadOption) {
  EXPECT_EQ(parse_error(with_options({148, 2, 1, 1})), ParseError::kBadOption);
}

// RFC 1122 §3.2.2.5: the Parameter Problem pointer names the octet at fault.
TEST(Ipv4Malformed, BadOptionPointerNamesTheOctetAtFault) {
  EXPECT_EQ(Ipv4Repr::bad_option_pointer(with_options({1, 130, 0, 0})), 22);  // length 0
  EXPECT_EQ(Ipv4Repr::bad_option_pointer(with_options({1, 1, 1, 130})), 23);  // no length
  EXPECT_EQ(Ipv4Repr::bad_option_pointer(with_options({7, 7, 3, 0, 0, 0, 0, 0})), 22);
  EXPECT_EQ(Ipv4Repr::bad_option_pointer(with_options({1, 148, 2, 0})), 22);
}

TEST(Ipv4Malformed, BadOptionPointerIsEmptyForGoodOptions) {
  EXPECT_EQ(Ipv4Repr::bad_option_pointer(hex(kKernelRecordRoute)), std::nullopt);
  EXPECT_EQ(Ipv4Repr::bad_option_pointer(hex(kKernelEchoRequest)), std::nullopt);
  EXPECT_EQ(Ipv4Repr::bad_option_pointer(ByteVec(10, 0x46)), std::nullopt);
}

// A corrupted header is reported as corrupted, whatever its options now look like.
TEST(Ipv4Malformed, ChecksumIsCheckedBeforeOptions) {
  ByteVec p = with_options({130, 0, 0, 0});
  p[10] ^= 1;
  EXPECT_EQ(parse_error(p), ParseError::kBadChecksum);
  EXPECT_EQ(parse_error(p, ChecksumCheck::kSkip), ParseError::kBadOption);
}

// RFC 791 §3.1: after End of Option List the rest is padding, whatever it holds.
TEST(Ipv4Options, BytesAfterEolAreNotParsed) {
  const ByteVec bytes = with_options({1, 0, 130, 0});
  auto r = Ipv4Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->option_list().size(), 2u);
  EXPECT_EQ(r->option_list()[1].type, 0);
  EXPECT_EQ(to_hex(r->options()), "01008200");  // raw bytes kept as they came
}

TEST(Ipv4Options, UnknownOptionWithValidLengthIsKept) {
  const ByteVec bytes = with_options({0x9e, 4, 0xab, 0xcd});
  auto r = Ipv4Repr::parse(bytes);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->option_list().size(), 1u);
  EXPECT_EQ(r->option_list()[0], (Ipv4Option{0x9e, 20, 4}));
}

// --- Printing ---

TEST(Ipv4Print, SummaryNamesAddressesProtocolAndFlags) {
  const ByteVec bytes = hex(kKernelEchoRequest);
  auto r = Ipv4Repr::parse(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->to_string(),
            "198.18.7.1 > 198.18.7.2: ICMP, ttl 64, id 23438, flags [DF], length 84");
}

TEST(Ipv4Print, VerboseListsEveryField) {
  const ByteVec bytes = hex(kKernelRecordRoute);
  auto r = Ipv4Repr::parse(bytes);
  ASSERT_TRUE(r.ok());
  const std::string v = r->to_verbose_string();
  for (const char* field :
       {"version: 4", "ihl: 15 (60 bytes)", "tos: 0x00 (dscp 0, ecn 0 Not-ECT)",
        "total length: 124", "identification: 0x5b90", "flags: DF", "fragment offset: 0", "ttl: 64",
        "protocol: ICMP (1)", "header checksum: 0x45a6", "src: 198.18.7.1", "dst: 198.18.7.2",
        "options: 40 bytes", "RR (type 7, offset 21, length 39)", "payload: 64 bytes"}) {
    EXPECT_NE(v.find(field), std::string::npos) << field << " missing in\n" << v;
  }
}

// RFC 3168 §5 codepoints by tcpdump's names.
TEST(Ipv4Print, EcnCodepointsAreNamed) {
  const ByteVec bytes = hex(kKernelEchoRequest);
  auto r = Ipv4Repr::parse(bytes);
  ASSERT_TRUE(r.ok());
  r->tos = 0x02;
  EXPECT_NE(r->to_string().find(", tos 0x02,ECT(0), "), std::string::npos) << r->to_string();
  EXPECT_NE(r->to_verbose_string().find("tos: 0x02 (dscp 0, ecn 2 ECT(0))"), std::string::npos);
  r->tos = 0xbb;  // DSCP 46 (EF), CE
  EXPECT_NE(r->to_string().find(", tos 0xbb,CE, "), std::string::npos) << r->to_string();
  r->tos = 0xb8;
  EXPECT_NE(r->to_string().find(", tos 0xb8, "), std::string::npos) << r->to_string();
}

}  // namespace
}  // namespace ustack
