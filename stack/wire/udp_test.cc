// UDP header parse/emit/print (RFC 768, RFC 8200 §8.1): kernel datagrams, checksums, offload,
// malformed input.
#include "stack/wire/udp.h"

#include <gtest/gtest.h>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

// ---------------------------------------------------------------------------------------------
// Real datagrams from the Linux kernel (6.x).
//
// With a computed checksum: in a fresh namespace wipt<pid>, a python script (/usr/bin/python3)
// opened a TUN device tun<pid> (IFF_TUN|IFF_NO_PI; TUN has no checksum offload unless asked,
// so the kernel finishes the checksum), gave it 198.18.8.1/24 and fd00:8::1/64 (nodad), sent
// one datagram with a UDP socket to each address below and read what the kernel wrote to the
// TUN (tcpdump -i tun<pid> -w recorded the same packets). The namespace was deleted after.
//   sendto(b'hello-ustack\n', ('198.18.8.2', 5353))     -> kTunUdp4 (UDP part of the packet)
//   sendto(b'hello-ustack-v6\n', ('fd00:8::2', 5354))   -> kTunUdp6
// With CHECKSUM_PARTIAL: `echo hello-ustack | nc -u -w0 198.18.7.2 5353` (and the v6 one to
// fd00:7::2 5354) from namespace wipa<pid> over a veth pair, recorded with tcpdump on the peer.
// veth offloads the checksum, so the field holds the pseudo-header sum Linux prepared: exactly
// what our ChecksumMode::kOffload must write.
// ---------------------------------------------------------------------------------------------
const char kTunUdp4[] = "b83514e90015fb3d68656c6c6f2d75737461636b0a";
const char kTunUdp6[] = "a02214ea00185bdd68656c6c6f2d75737461636b2d76360a";
const char kVethPartialUdp4[] = "aee414e900159a4e68656c6c6f2d75737461636b0a";
const char kVethPartialUdp6[] = "b7c714ea0018fa3b68656c6c6f2d75737461636b2d76360a";
// scapy's UDP(sport=4000, dport=4001)/b'dstopt' behind a Destination Options header, sent
// from wipa<pid> (fd00:7::1 > fd00:7::2) and captured on the veth peer: scapy computes the sum.
const char kScapyUdp6[] = "0fa00fa1000e9d276473746f7074";

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

ByteVec hex(const char* s) {
  ByteVec b = from_hex(s);
  EXPECT_FALSE(b.empty()) << "bad hex in test";
  return b;
}

const IpAddr kTun4Src = ip("198.18.8.1"), kTun4Dst = ip("198.18.8.2");
const IpAddr kTun6Src = ip("fd00:8::1"), kTun6Dst = ip("fd00:8::2");
const IpAddr kVeth4Src = ip("198.18.7.1"), kVeth4Dst = ip("198.18.7.2");
const IpAddr kVeth6Src = ip("fd00:7::1"), kVeth6Dst = ip("fd00:7::2");

ParseError parse_error(const ByteVec& d, const IpAddr& src, const IpAddr& dst,
                       ChecksumCheck check = ChecksumCheck::kVerify) {
  auto r = UdpRepr::parse(d, src, dst, check);
  EXPECT_FALSE(r.ok()) << r->to_string();
  return r.ok() ? ParseError::kUnsupported : r.error();
}

ByteVec build(std::uint16_t sport, std::uint16_t dport, const ByteVec& payload, const IpAddr& src,
              const IpAddr& dst, ChecksumMode mode = ChecksumMode::kCompute) {
  UdpRepr r;
  r.src_port = sport;
  r.dst_port = dport;
  ByteVec out(UdpRepr::kHeaderLen + payload.size());
  r.emit(out, payload, src, dst, mode);
  return out;
}

// --- Kernel datagrams ---

TEST(UdpKernel, ParsesIpv4DatagramAndVerifiesChecksum) {
  const ByteVec d = hex(kTunUdp4);
  auto r = UdpRepr::parse(d, kTun4Src, kTun4Dst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 47157);
  EXPECT_EQ(r->dst_port, 5353);
  EXPECT_EQ(r->length, 21);
  EXPECT_EQ(r->checksum, 0xfb3d);
  EXPECT_EQ(std::string(r->payload.begin(), r->payload.end()), "hello-ustack\n");
  EXPECT_EQ(r->payload.data(), d.data() + 8);  // a view, not a copy
}

TEST(UdpKernel, ParsesIpv6DatagramAndVerifiesChecksum) {
  const ByteVec bytes = hex(kTunUdp6);
  auto r = UdpRepr::parse(bytes, kTun6Src, kTun6Dst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 40994);
  EXPECT_EQ(r->dst_port, 5354);
  EXPECT_EQ(r->length, 24);
  EXPECT_EQ(std::string(r->payload.begin(), r->payload.end()), "hello-ustack-v6\n");
}

TEST(UdpKernel, ParsesScapyDatagramBehindDestinationOptions) {
  const ByteVec bytes = hex(kScapyUdp6);
  auto r = UdpRepr::parse(bytes, kVeth6Src, kVeth6Dst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 4000);
  EXPECT_EQ(r->dst_port, 4001);
  EXPECT_EQ(r->payload.size(), 6u);
}

// The same addresses, ports and payload emitted by us give the kernel's bytes, checksum
// included.
TEST(UdpKernel, EmitReproducesKernelDatagrams) {
  EXPECT_EQ(to_hex(build(47157, 5353, hex("68656c6c6f2d75737461636b0a"), kTun4Src, kTun4Dst)),
            kTunUdp4);
  EXPECT_EQ(to_hex(build(40994, 5354, hex("68656c6c6f2d75737461636b2d76360a"), kTun6Src, kTun6Dst)),
            kTunUdp6);
}

// Linux CHECKSUM_PARTIAL (include/linux/skbuff.h): the field holds the folded pseudo-header
// sum; kOffload must write the same so a device with IFF_VNET_HDR can finish it.
TEST(UdpKernel, OffloadWritesTheSameSumAsLinuxChecksumPartial) {
  EXPECT_EQ(to_hex(build(44772, 5353, hex("68656c6c6f2d75737461636b0a"), kVeth4Src, kVeth4Dst,
                         ChecksumMode::kOffload)),
            kVethPartialUdp4);
  EXPECT_EQ(to_hex(build(47047, 5354, hex("68656c6c6f2d75737461636b2d76360a"), kVeth6Src, kVeth6Dst,
                         ChecksumMode::kOffload)),
            kVethPartialUdp6);
}

// A partial sum is not a valid checksum: verified it fails, skipped (rx offload) it parses.
TEST(UdpKernel, PartialChecksumFailsVerificationButParsesWhenSkipped) {
  const ByteVec d = hex(kVethPartialUdp4);
  EXPECT_EQ(parse_error(d, kVeth4Src, kVeth4Dst), ParseError::kBadChecksum);
  auto r = UdpRepr::parse(d, kVeth4Src, kVeth4Dst, ChecksumCheck::kSkip);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->src_port, 44772);
}

// --- Emit and round trips ---

TEST(UdpEmit, RoundTripIpv4) {
  const ByteVec payload = {'p', 'i', 'n', 'g'};
  const ByteVec d = build(1234, 53, payload, kTun4Src, kTun4Dst);
  auto r = UdpRepr::parse(d, kTun4Src, kTun4Dst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  UdpRepr want;
  want.src_port = 1234;
  want.dst_port = 53;
  want.payload = payload;
  EXPECT_EQ(*r, want);
  EXPECT_EQ(r->length, 12);
}

TEST(UdpEmit, RoundTripIpv6WithEmptyPayload) {
  const ByteVec d = build(65535, 1, {}, kTun6Src, kTun6Dst);
  auto r = UdpRepr::parse(d, kTun6Src, kTun6Dst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 65535);
  EXPECT_EQ(r->dst_port, 1);
  EXPECT_TRUE(r->payload.empty());
  EXPECT_EQ(r->length, 8);
}

// The payload may already sit where it belongs (zero-copy send path).
TEST(UdpEmit, PayloadInPlaceIsNotCopied) {
  ByteVec out(8 + 3);
  out[8] = 'a';
  out[9] = 'b';
  out[10] = 'c';
  UdpRepr r;
  r.src_port = 7;
  r.dst_port = 9;
  r.emit(out, Bytes(out).subspan(8), kTun4Src, kTun4Dst);
  auto back = UdpRepr::parse(out, kTun4Src, kTun4Dst);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::string(back->payload.begin(), back->payload.end()), "abc");
}

// RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
TEST(UdpEmit, ComputedZeroChecksumIsSentAsAllOnes) {
  ByteVec d = build(1000, 2000, {0, 0}, kTun6Src, kTun6Dst);
  // Putting the checksum value itself into the payload makes the new sum come out as zero.
  const ByteVec payload = {d[6], d[7]};
  d = build(1000, 2000, payload, kTun6Src, kTun6Dst);
  EXPECT_EQ(load_be16(d, 6), 0xffff);
  EXPECT_TRUE(UdpRepr::parse(d, kTun6Src, kTun6Dst).ok());
}

// --- Checksum rules ---

// RFC 768: an all-zero checksum means "none" over IPv4.
TEST(UdpChecksum, ZeroOverIpv4MeansNone) {
  ByteVec d = hex(kTunUdp4);
  d[6] = d[7] = 0;
  auto r = UdpRepr::parse(d, kTun4Src, kTun4Dst);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->checksum, 0);
}

// RFC 8200 §8.1: over IPv6 a zero checksum is invalid, whether or not sums are verified.
TEST(UdpChecksum, ZeroOverIpv6IsBadChecksum) {
  ByteVec d = hex(kTunUdp6);
  d[6] = d[7] = 0;
  EXPECT_EQ(parse_error(d, kTun6Src, kTun6Dst), ParseError::kBadChecksum);
  EXPECT_EQ(parse_error(d, kTun6Src, kTun6Dst, ChecksumCheck::kSkip), ParseError::kBadChecksum);
}

TEST(UdpChecksum, CorruptPayloadIsBadChecksum) {
  ByteVec d = hex(kTunUdp4);
  d[10] ^= 0x01;
  EXPECT_EQ(parse_error(d, kTun4Src, kTun4Dst), ParseError::kBadChecksum);
}

// The pseudo header covers the addresses: a datagram delivered to the wrong host fails.
TEST(UdpChecksum, WrongPseudoHeaderAddressIsBadChecksum) {
  EXPECT_EQ(parse_error(hex(kTunUdp4), kTun4Src, ip("198.18.8.3")), ParseError::kBadChecksum);
  EXPECT_EQ(parse_error(hex(kTunUdp6), kTun6Src, ip("fd00:8::3")), ParseError::kBadChecksum);
}

TEST(UdpChecksum, SkipAcceptsCorruptPayload) {
  ByteVec d = hex(kTunUdp4);
  d[10] ^= 0x01;
  EXPECT_TRUE(UdpRepr::parse(d, kTun4Src, kTun4Dst, ChecksumCheck::kSkip).ok());
}

// --- Malformed input ---

TEST(UdpMalformed, ShorterThanHeaderIsTruncated) {
  const ByteVec d = hex(kTunUdp4);
  for (std::size_t n = 0; n < 8; ++n) {
    EXPECT_EQ(parse_error(ByteVec(d.begin(), d.begin() + static_cast<long>(n)), kTun4Src, kTun4Dst),
              ParseError::kTruncated)
        << "length " << n;
  }
}

TEST(UdpMalformed, LengthBelowHeaderIsBadLength) {
  for (std::uint16_t len = 0; len < 8; ++len) {
    ByteVec d = hex(kTunUdp4);
    store_be16(d, 4, len);
    EXPECT_EQ(parse_error(d, kTun4Src, kTun4Dst, ChecksumCheck::kSkip), ParseError::kBadLength)
        << "length field " << len;
  }
}

// The UDP length says more than the IP payload holds.
TEST(UdpMalformed, LengthBeyondDatagramIsBadLength) {
  const ByteVec d = hex(kTunUdp6);
  for (std::size_t n = 8; n < d.size(); ++n) {
    EXPECT_EQ(parse_error(ByteVec(d.begin(), d.begin() + static_cast<long>(n)), kTun6Src, kTun6Dst),
              ParseError::kBadLength)
        << "datagram cut to " << n;
  }
}

// Linux (udp_rcv / __udp6_lib_rcv) trims the datagram to the UDP length; so do we.
TEST(UdpMalformed, LengthShorterThanDatagramTrimsPayload) {
  ByteVec d = hex(kTunUdp4);
  d.insert(d.end(), {0xde, 0xad});
  auto r = UdpRepr::parse(d, kTun4Src, kTun4Dst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->payload.size(), 13u);
}

// --- Printing ---

TEST(UdpPrint, SummaryShowsPortsAndPayloadLength) {
  const ByteVec bytes = hex(kTunUdp4);
  auto r = UdpRepr::parse(bytes, kTun4Src, kTun4Dst);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->to_string(), "UDP 47157 > 5353, length 13");
}

TEST(UdpPrint, VerboseListsEveryField) {
  const ByteVec bytes = hex(kTunUdp4);
  auto r = UdpRepr::parse(bytes, kTun4Src, kTun4Dst);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->to_verbose_string(),
            "src port: 47157\ndst port: 5353\nlength: 21 (payload 13 bytes)\nchecksum: 0xfb3d");
}

}  // namespace
}  // namespace ustack
