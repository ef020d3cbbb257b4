// ICMPv6 (RFC 4443) parse and emit.
#include "stack/wire/icmpv6.h"

#include <gtest/gtest.h>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

// Frames below were captured from the Linux kernel (two network namespaces joined by a veth,
// `ping -6`, `nc -u` to a closed port) with tcpdump; packet-too-big was crafted with scapy in
// the same capture. The script: stack/wire/testdata/link_capture/capture.sh.
// Hex is the whole Ethernet frame; the IPv6 source is at 22, the destination at 38 and the
// ICMPv6 message at 54 (after a hop-by-hop header for MLD: 62).

// ping -6 -c1 fd00:5::2: echo request id 17120 seq 1.
constexpr const char* kEchoRequestV6 =
    "02000000050202000000050186dd60008eb500403a40fd000005000000000000000000000001fd0000050000"
    "000000000000000000028000a7a742e000015ce4066b0000000074cb04000000000010111213141516171819"
    "1a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

// The kernel's echo reply.
constexpr const char* kEchoReplyV6 =
    "02000000050102000000050286dd600d3af800403a40fd000005000000000000000000000002fd0000050000"
    "000000000000000000018100a6a742e000015ce4066b0000000074cb04000000000010111213141516171819"
    "1a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";

// nc -u fd00:5::2 9 (closed): port unreachable quoting the whole UDP datagram.
constexpr const char* kPortUnreachV6 =
    "02000000050102000000050286dd600714cf003b3a40fd000005000000000000000000000002fd0000050000"
    "000000000000000000010104906900000000600cf8db000b1140fd000005000000000000000000000001fd00"
    "0005000000000000000000000002a3230009000bfa2a68690a";

// Crafted: packet too big, MTU 1280, quoting 1232 bytes of a 1448-byte UDP packet.
constexpr const char* kPacketTooBigV6 =
    "02000000050102000000050286dd6000000004d83a40fd000005000000000000000000000002fd0000050000"
    "000000000000000000010200c7ef00000500600000000580113ffd000005000000000000000000000001fd00"
    "00050000000000000000000000999c400fa00580264079797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "7979797979797979797979797979797979797979797979797979797979797979797979797979797979797979"
    "797979797979797979797979797979797979";

// The kernel's MLDv2 report when the interface came up (hop-by-hop router alert, from ::).
constexpr const char* kMldv2ReportV6 =
    "33330000001602000000050186dd600000000038000100000000000000000000000000000000ff0200000000"
    "000000000000000000163a000502000001008f00686e0000000204000000ff0200000000000000000001ff00"
    "050104000000ff0200000000000000000001ff000001";

struct Captured {
  ByteVec frame;
  Ipv6Addr src;
  Ipv6Addr dst;
  Bytes icmp;
};

Captured captured(const char* hex, std::size_t icmp_offset = 54) {
  Captured c;
  c.frame = from_hex(hex);
  c.src = Ipv6Addr::from_bytes(Bytes(c.frame).subspan(22, 16));
  c.dst = Ipv6Addr::from_bytes(Bytes(c.frame).subspan(38, 16));
  c.icmp = Bytes(c.frame).subspan(icmp_offset);
  return c;
}

const Ipv6Addr kA = *Ipv6Addr::parse("fd00:5::1");
const Ipv6Addr kB = *Ipv6Addr::parse("fd00:5::2");

TEST(Icmpv6Echo, ParsesKernelRequest) {
  Captured c = captured(kEchoRequestV6);
  EXPECT_EQ(c.src, kA);
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(icmp.ok()) << to_string(icmp.error());
  EXPECT_EQ(icmp->type, Icmpv6Type::kEchoRequest);
  EXPECT_EQ(icmp->ident, 17120);
  EXPECT_EQ(icmp->seq_no, 1);
  EXPECT_EQ(icmp->data.size(), 56u);
  EXPECT_FALSE(icmp->is_error());
  EXPECT_FALSE(icmp->is_ndp());
  EXPECT_EQ(icmp->to_string(), "ICMP6, echo request, id 17120, seq 1, length 64");
}

// RFC 4443 §4.2: the reply carries identifier, sequence number and data unchanged.
TEST(Icmpv6Echo, ReplyToKernelRequestMatchesKernelReply) {
  Captured req = captured(kEchoRequestV6);
  Captured rep = captured(kEchoReplyV6);
  auto icmp = Icmpv6Repr::parse(req.icmp, req.src, req.dst);
  ASSERT_TRUE(icmp.ok());
  Icmpv6Repr reply = Icmpv6Repr::echo_reply_to(*icmp);
  ByteVec out(reply.buffer_len());
  reply.emit(out, rep.src, rep.dst);
  EXPECT_EQ(to_hex(out), to_hex(rep.icmp));
}

TEST(Icmpv6Unreachable, ParsesKernelPortUnreachableAndItsQuote) {
  Captured c = captured(kPortUnreachV6);
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, Icmpv6Type::kDestUnreachable);
  EXPECT_EQ(icmp->code, static_cast<std::uint8_t>(Icmpv6Unreach::kPort));
  EXPECT_TRUE(icmp->is_error());
  auto q = icmp->quote();
  ASSERT_TRUE(q.ok()) << to_string(q.error());
  EXPECT_EQ(q->src, kA);
  EXPECT_EQ(q->dst, kB);
  EXPECT_EQ(q->proto, IpProto::kUdp);
  EXPECT_EQ(q->payload_len, 11);
  ASSERT_EQ(q->transport.size(), 11u);
  EXPECT_EQ(load_be16(q->transport, 2), 9);
  EXPECT_EQ(icmp->to_string(),
            "ICMP6, destination unreachable, unreachable port, fd00:5::2 udp port 9, length 59");
  Icmpv6Repr rebuilt = Icmpv6Repr::dest_unreachable(Icmpv6Unreach::kPort, icmp->data);
  ByteVec out(rebuilt.buffer_len());
  rebuilt.emit(out, c.src, c.dst);
  EXPECT_EQ(to_hex(out), to_hex(c.icmp));
}

TEST(Icmpv6PacketTooBig, CarriesMtuAndQuote) {
  Captured c = captured(kPacketTooBigV6);
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, Icmpv6Type::kPacketTooBig);
  EXPECT_EQ(icmp->mtu, 1280u);
  auto q = icmp->quote();
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->dst, *Ipv6Addr::parse("fd00:5::99"));
  EXPECT_EQ(q->payload_len, 1408);
  EXPECT_EQ(q->hop_limit, 63);
  EXPECT_EQ(load_be16(q->transport, 0), 40000);
  EXPECT_EQ(icmp->to_string(), "ICMP6, packet too big, mtu 1280, length 1240");
}

// RFC 4443 §2.4(c): the error is cut so it does not exceed the minimum IPv6 MTU.
TEST(Icmpv6PacketTooBig, BuilderCutsTheQuoteToMinimumMtu) {
  Captured c = captured(kPacketTooBigV6);
  ByteVec offending(c.icmp.begin() + 8, c.icmp.end());
  offending.resize(1448, 'y');  // the whole packet the router could not forward
  Icmpv6Repr icmp = Icmpv6Repr::packet_too_big(1280, offending);
  EXPECT_EQ(icmp.buffer_len(), Icmpv6Repr::kMaxErrorLen);
  ByteVec out(icmp.buffer_len());
  icmp.emit(out, c.src, c.dst);
  EXPECT_EQ(to_hex(out), to_hex(c.icmp));
}

TEST(Icmpv6Errors, TimeExceededAndParamProblemRoundTrip) {
  Captured c = captured(kPortUnreachV6);
  Bytes offending = c.icmp.subspan(8);
  for (const Icmpv6Repr& icmp :
       {Icmpv6Repr::time_exceeded(Icmpv6TimeExceeded::kReassembly, offending),
        Icmpv6Repr::param_problem(Icmpv6ParamProblem::kUnrecognizedNextHeader, 6, offending)}) {
    ByteVec out(icmp.buffer_len());
    icmp.emit(out, kB, kA);
    auto back = Icmpv6Repr::parse(out, kB, kA);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, icmp);
    EXPECT_TRUE(back->quote().ok());
  }
}

TEST(Icmpv6ParamProblem, PointerIsThirtyTwoBits) {
  Icmpv6Repr icmp = Icmpv6Repr::param_problem(Icmpv6ParamProblem::kErroneousHeader, 70000, {});
  ByteVec out(icmp.buffer_len());
  icmp.emit(out, kB, kA);
  EXPECT_EQ(load_be32(out, 4), 70000u);
}

// Types we do not interpret (here MLDv2) keep their second word and body for re-emission.
TEST(Icmpv6Other, KernelMldReportRoundTrips) {
  Captured c = captured(kMldv2ReportV6, 62);
  EXPECT_TRUE(c.src.is_unspecified());
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(icmp.ok()) << to_string(icmp.error());
  EXPECT_EQ(icmp->type, Icmpv6Type::kMldv2Report);
  EXPECT_EQ(icmp->rest_of_header, 2u);  // reserved 0, two group records
  ByteVec out(icmp->buffer_len());
  icmp->emit(out, c.src, c.dst);
  EXPECT_EQ(to_hex(out), to_hex(c.icmp));
}

TEST(Icmpv6Parse, RejectsMessageShorterThanHeader) {
  Captured c = captured(kEchoRequestV6);
  auto icmp = Icmpv6Repr::parse(c.icmp.first(7), c.src, c.dst);
  ASSERT_FALSE(icmp.ok());
  EXPECT_EQ(icmp.error(), ParseError::kTruncated);
}

TEST(Icmpv6Parse, RejectsCorruptedMessage) {
  Captured c = captured(kEchoRequestV6);
  c.frame.back() ^= 0x80;
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, c.dst);
  ASSERT_FALSE(icmp.ok());
  EXPECT_EQ(icmp.error(), ParseError::kBadChecksum);
}

// RFC 4443 §2.3: the pseudo header is covered, so a packet for another address fails.
TEST(Icmpv6Parse, RejectsMessageForAnotherDestination) {
  Captured c = captured(kEchoRequestV6);
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, *Ipv6Addr::parse("fd00:5::3"));
  ASSERT_FALSE(icmp.ok());
  EXPECT_EQ(icmp.error(), ParseError::kBadChecksum);
  EXPECT_TRUE(Icmpv6Repr::parse(c.icmp, c.src, kA, ChecksumCheck::kSkip).ok());
}

TEST(Icmpv6Emit, OffloadStoresPseudoHeaderSum) {
  Captured c = captured(kEchoRequestV6);
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(icmp.ok());
  ByteVec out(icmp->buffer_len());
  icmp->emit(out, c.src, c.dst, ChecksumMode::kOffload);
  // What a device does with CHECKSUM_PARTIAL: sum from the checksum field on, complement.
  store_be16(out, 2, checksum_finish(checksum_add(0, out)));
  EXPECT_EQ(to_hex(out), to_hex(c.icmp));
}

TEST(Icmpv6Quote, EchoHasNoQuote) {
  Captured c = captured(kEchoRequestV6);
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(icmp.ok());
  ASSERT_FALSE(icmp->quote().ok());
  EXPECT_EQ(icmp->quote().error(), ParseError::kBadType);
}

// A quoted IPv6 header for a UDP packet from kA, with `ext` spliced in after the fixed header.
ByteVec quote_with(const std::string& next_header_hex, const std::string& ext_hex) {
  return from_hex(
      "60000000"
      "0020" +
      next_header_hex + "40" +
      "fd000005000000000000000000000001"
      "fd000005000000000000000000000002" +
      ext_hex +
      "9c400fa0"
      "0020abcd");
}

// Why Icmpv6Quote::parse rejects `q` (and a test failure if it accepts it).
ParseError quote_error(const ByteVec& q) {
  auto r = Icmpv6Quote::parse(q);
  EXPECT_FALSE(r.ok());
  return r.ok() ? ParseError::kUnsupported : r.error();
}

TEST(Icmpv6Quote, WalksHopByHopAndFirstFragment) {
  // hop-by-hop (8 bytes, next = fragment) then fragment offset 0 (next = UDP).
  ByteVec q = quote_with("00",
                         "2c00010400000000"
                         "1100000112345678");
  auto r = Icmpv6Quote::parse(q);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->proto, IpProto::kUdp);
  EXPECT_EQ(load_be16(r->transport, 0), 40000);
}

TEST(Icmpv6Quote, RejectsNonFirstFragment) {
  ByteVec q = quote_with("2c", "1100008112345678");  // offset 16
  EXPECT_EQ(quote_error(q), ParseError::kUnsupported);
}

TEST(Icmpv6Quote, RejectsExtensionHeaderCutOff) {
  ByteVec q = quote_with("3c", "1101000000000000");  // dest opts claims 16 bytes, UDP follows
  q.resize(40 + 12);
  EXPECT_EQ(quote_error(q), ParseError::kTruncated);
}

TEST(Icmpv6Quote, RejectsQuoteShorterThanIpv6Header) {
  ByteVec q = quote_with("11", "");
  q.resize(39);
  EXPECT_EQ(quote_error(q), ParseError::kTruncated);
}

// The quote ends inside an extension header's first 8 octets (where its length would be).
TEST(Icmpv6Quote, RejectsExtensionHeaderCutInsideItsFirstEightOctets) {
  ByteVec q = quote_with("3c", "1100000000000000");
  q.resize(40 + 5);
  EXPECT_EQ(quote_error(q), ParseError::kTruncated);
}

TEST(Icmpv6Quote, RejectsFewerThanEightUpperLayerBytes) {
  ByteVec q = quote_with("11", "");
  q.resize(47);
  EXPECT_EQ(quote_error(q), ParseError::kTruncated);
}

TEST(Icmpv6Quote, RejectsNonIpv6Quote) {
  ByteVec q = quote_with("11", "");
  q[0] = 0x45;
  EXPECT_EQ(quote_error(q), ParseError::kBadVersion);
}

TEST(Icmpv6Quote, RejectsEndlessExtensionHeaderChain) {
  std::string chain;
  for (int i = 0; i < 9; ++i) chain += "3c00000000000000";  // dest opts -> dest opts -> ...
  ByteVec q = quote_with("3c", chain);
  EXPECT_EQ(quote_error(q), ParseError::kTooManyHeaders);
}

TEST(Icmpv6Print, VerboseListsFields) {
  Captured c = captured(kPacketTooBigV6);
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(icmp.ok());
  std::string v = icmp->to_verbose_string();
  EXPECT_NE(v.find("mtu: 1280"), std::string::npos) << v;
  EXPECT_NE(v.find("quoted: fd00:5::1 > fd00:5::99 udp (17)"), std::string::npos) << v;
}

}  // namespace
}  // namespace ustack
