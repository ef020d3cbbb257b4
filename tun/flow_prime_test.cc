#include "tun/flow_prime.h"

#include <gtest/gtest.h>

#include "stack/base/addr.h"
#include "stack/base/checksum.h"

namespace ustack::tun {
namespace {

const Ipv4Addr kSrc = *Ipv4Addr::parse("198.18.0.2");
const Ipv4Addr kDst = *Ipv4Addr::parse("198.18.0.1");
const Ipv6Addr kSrc6 = *Ipv6Addr::parse("fd00:1::2");
const Ipv6Addr kDst6 = *Ipv6Addr::parse("fd00:1::1");

// A 40-byte IPv4 TCP segment with `flags` and a correct checksum.
ByteVec tcp4(std::uint8_t flags) {
  ByteVec p(40);
  MutBytes b(p.data(), p.size());
  b[0] = 0x45;
  store_be16(b, 2, 40);
  b[8] = 64;
  b[9] = 6;
  std::copy_n(kSrc.bytes().begin(), 4, b.begin() + 12);
  std::copy_n(kDst.bytes().begin(), 4, b.begin() + 16);
  store_be16(b, 10, internet_checksum(b.first(20)));
  store_be16(b, 20, 40000);
  store_be16(b, 22, 80);
  b[32] = 5 << 4;
  b[33] = flags;
  store_be16(b, 34, 65535);
  store_be16(b, 36,
             checksum_finish(checksum_add(pseudo_header_sum_v4(kSrc, kDst, 6, 20), b.subspan(20))));
  return p;
}

ByteVec tcp6(std::uint8_t flags) {
  ByteVec p(60);
  MutBytes b(p.data(), p.size());
  b[0] = 0x60;
  store_be16(b, 4, 20);
  b[6] = 6;
  b[7] = 64;
  std::copy_n(kSrc6.bytes().begin(), 16, b.begin() + 8);
  std::copy_n(kDst6.bytes().begin(), 16, b.begin() + 24);
  store_be16(b, 40, 40000);
  store_be16(b, 42, 80);
  b[52] = 5 << 4;
  b[53] = flags;
  store_be16(
      b, 56,
      checksum_finish(checksum_add(pseudo_header_sum_v6(kSrc6, kDst6, 6, 20), b.subspan(40))));
  return p;
}

// The receiver's check (RFC 9293 §3.1, RFC 792): the sum over pseudo header (if any) and
// message folds to 0.
bool tcp_checksum_ok(Bytes p, std::size_t ip_len, std::uint32_t pseudo) {
  return checksum_finish(checksum_add(pseudo, p.subspan(ip_len))) == 0;
}

TEST(FlowPrime, ASynBecomesTheSameSegmentWithABrokenTcpChecksum) {
  ByteVec syn = tcp4(0x02);
  ASSERT_TRUE(tcp_checksum_ok(syn, 20, pseudo_header_sum_v4(kSrc, kDst, 6, 20)));
  ByteVec out(syn.size());
  ASSERT_TRUE(make_flow_prime(syn, MutBytes(out.data(), out.size())));
  EXPECT_FALSE(tcp_checksum_ok(out, 20, pseudo_header_sum_v4(kSrc, kDst, 6, 20)));
  EXPECT_EQ(internet_checksum(Bytes(out).first(20)), 0) << "the IP header must stay valid";
  // Everything but the TCP checksum field is the SYN's.
  for (std::size_t i = 0; i < syn.size(); ++i) {
    if (i == 36 || i == 37) continue;
    EXPECT_EQ(out[i], syn[i]) << "byte " << i;
  }
}

TEST(FlowPrime, AnIpv6SynIsPrimedToo) {
  ByteVec syn = tcp6(0x02);
  ByteVec out(syn.size());
  ASSERT_TRUE(make_flow_prime(syn, MutBytes(out.data(), out.size())));
  EXPECT_TRUE(tcp_checksum_ok(syn, 40, pseudo_header_sum_v6(kSrc6, kDst6, 6, 20)));
  EXPECT_FALSE(tcp_checksum_ok(out, 40, pseudo_header_sum_v6(kSrc6, kDst6, 6, 20)));
}

// A SYN written with a partial checksum (offloads: only the pseudo header's sum in the field)
// is primed with a checksum that is wrong for the whole segment as well.
TEST(FlowPrime, APartialChecksumSynStillGetsAWrongOne) {
  ByteVec syn = tcp4(0x02);
  MutBytes b(syn.data(), syn.size());
  store_be16(b, 36,
             static_cast<std::uint16_t>(~checksum_finish(pseudo_header_sum_v4(kSrc, kDst, 6, 20))));
  ByteVec out(syn.size());
  ASSERT_TRUE(make_flow_prime(syn, MutBytes(out.data(), out.size())));
  EXPECT_FALSE(tcp_checksum_ok(out, 20, pseudo_header_sum_v4(kSrc, kDst, 6, 20)));
}

// Only an opening SYN: the kernel answers nothing else of ours before it saw the flow.
TEST(FlowPrime, OnlyASynWithoutAckOrRstIsPrimed) {
  ByteVec out(64);
  MutBytes o(out.data(), out.size());
  EXPECT_FALSE(make_flow_prime(tcp4(0x12), o));  // SYN-ACK: the kernel's flow, already known
  EXPECT_FALSE(make_flow_prime(tcp4(0x10), o));
  EXPECT_FALSE(make_flow_prime(tcp4(0x04), o));
  EXPECT_FALSE(make_flow_prime(tcp4(0x06), o));
  ByteVec udp = tcp4(0x02);
  udp[9] = 17;
  EXPECT_FALSE(make_flow_prime(udp, o));
  ByteVec frag = tcp4(0x02);
  frag[6] = 0x20;  // MF
  EXPECT_FALSE(make_flow_prime(frag, o));
  EXPECT_FALSE(make_flow_prime(Bytes(tcp4(0x02)).first(30), o));  // cut short
  EXPECT_FALSE(make_flow_prime(Bytes(), o));
  ByteVec small(10);
  EXPECT_FALSE(make_flow_prime(tcp4(0x02), MutBytes(small.data(), small.size())));
}

// An ICMP echo request of 8 + 4 bytes with a correct checksum (`v6`: ICMPv6, type 128).
ByteVec echo(bool v6, std::uint8_t type) {
  ByteVec p(v6 ? 52 : 32);
  MutBytes b(p.data(), p.size());
  std::size_t ip = v6 ? 40 : 20;
  if (v6) {
    b[0] = 0x60;
    store_be16(b, 4, 12);
    b[6] = 58;
    b[7] = 64;
    std::copy_n(kSrc6.bytes().begin(), 16, b.begin() + 8);
    std::copy_n(kDst6.bytes().begin(), 16, b.begin() + 24);
  } else {
    b[0] = 0x45;
    store_be16(b, 2, 32);
    b[8] = 64;
    b[9] = 1;
    std::copy_n(kSrc.bytes().begin(), 4, b.begin() + 12);
    std::copy_n(kDst.bytes().begin(), 4, b.begin() + 16);
    store_be16(b, 10, internet_checksum(b.first(20)));
  }
  b[ip] = type;
  store_be16(b, ip + 4, 0x1234);
  store_be16(b, ip + 6, 1);
  store_be32(b, ip + 8, 0xdeadbeef);
  std::uint32_t pseudo = v6 ? pseudo_header_sum_v6(kSrc6, kDst6, 58, 12) : 0;
  store_be16(b, ip + 2, checksum_finish(checksum_add(pseudo, b.subspan(ip))));
  return p;
}

// A ping's echo reply is sent by the kernel before it records the request's flow, like a
// SYN-ACK: echo requests are primed as well, with the ICMP checksum broken.
TEST(FlowPrime, AnEchoRequestIsPrimedWithABrokenIcmpChecksum) {
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "ICMPv6" : "ICMP");
    const std::size_t ip = v6 ? 40 : 20;
    const std::uint32_t pseudo = v6 ? pseudo_header_sum_v6(kSrc6, kDst6, 58, 12) : 0;
    ByteVec req = echo(v6, v6 ? 128 : 8);
    ASSERT_TRUE(tcp_checksum_ok(req, ip, pseudo));
    ByteVec out(req.size());
    ASSERT_TRUE(make_flow_prime(req, MutBytes(out.data(), out.size())));
    EXPECT_FALSE(tcp_checksum_ok(out, ip, pseudo));
    for (std::size_t i = 0; i < req.size(); ++i) {
      if (i == ip + 2 || i == ip + 3) continue;
      EXPECT_EQ(out[i], req[i]) << "byte " << i;
    }
    EXPECT_FALSE(make_flow_prime(echo(v6, v6 ? 129 : 0), MutBytes(out.data(), out.size())))
        << "an echo reply is the kernel's flow";
  }
}

}  // namespace
}  // namespace ustack::tun
