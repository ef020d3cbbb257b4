// ICMPv4 (RFC 792, RFC 1122 §3.2.2, RFC 1191) parse and emit.
#include "stack/wire/icmpv4.h"

#include <gtest/gtest.h>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

// Frames below were captured from the Linux kernel (two network namespaces joined by a veth,
// `ping`, `nc -u` to a closed port) with tcpdump; frag-needed and time-exceeded were crafted
// with scapy in the same capture. The script: stack/wire/testdata/link_capture/capture.sh.
// Hex is the whole Ethernet frame; the ICMP message starts at 14 + 20 (no IP options).

// ping -c1 -s 56 -p 55 198.18.5.2: echo request id 17119 seq 1.
constexpr const char* kEchoRequestV4 =
    "020000000502020000000501080045000054bd6a40004001e716c6120501c61205020800226d42df00015ce4"
    "066b0000000080b8040000000000555555555555555555555555555555555555555555555555555555555555"
    "55555555555555555555";

// The kernel's echo reply to it.
constexpr const char* kEchoReplyV4 =
    "020000000501020000000502080045000054010a00004001e377c6120502c612050100002a6d42df00015ce4"
    "066b0000000080b8040000000000555555555555555555555555555555555555555555555555555555555555"
    "55555555555555555555";

// nc -u 198.18.5.2 9 (closed): port unreachable quoting the whole 31-byte UDP datagram.
constexpr const char* kPortUnreachV4 =
    "020000000501020000000502080045c0003b010b00004001e2cfc6120502c61205010303232f000000004500"
    "001f6bd74000401138cfc6120501c6120502d10b0009000b964468690a";

// Crafted: fragmentation needed, next-hop MTU 1280, quoting a 1400-byte UDP datagram with DF.
constexpr const char* kFragNeededV4 =
    "020000000501020000000502080045000038000100004001e49cc6120502c6120501030466cd000005004500"
    "0578123440003f118db8c6120501c61205639c400fa00564dfe9";

// Crafted: time exceeded in transit, quoting a UDP probe to 198.18.5.77 (traceroute-like).
constexpr const char* kTimeExceededV4 =
    "020000000501020000000502080045000038000100004001e49cc6120502c61205010b005057000000004500"
    "0020000100000111235ac6120501c612054d829a829b000c9f66";

constexpr std::size_t kIcmpOffset = 14 + 20;
const Ipv4Addr kIpA({198, 18, 5, 1});
const Ipv4Addr kIpB({198, 18, 5, 2});

ByteVec icmp_of(const char* frame_hex) {
  ByteVec f = from_hex(frame_hex);
  return ByteVec(f.begin() + kIcmpOffset, f.end());
}

ParseError parse_error(Bytes m) {
  auto r = Icmpv4Repr::parse(m);
  EXPECT_FALSE(r.ok());
  return r.ok() ? ParseError::kUnsupported : r.error();
}

TEST(Icmpv4Echo, ParsesKernelRequest) {
  ByteVec m = icmp_of(kEchoRequestV4);
  auto icmp = Icmpv4Repr::parse(m);
  ASSERT_TRUE(icmp.ok()) << to_string(icmp.error());
  EXPECT_EQ(icmp->type, Icmpv4Type::kEchoRequest);
  EXPECT_EQ(icmp->code, 0);
  EXPECT_EQ(icmp->ident, 17119);
  EXPECT_EQ(icmp->seq_no, 1);
  EXPECT_EQ(icmp->data.size(), 56u);
  EXPECT_EQ(icmp->data.back(), 0x55);  // ping -p 55
  EXPECT_FALSE(icmp->is_error());
}

TEST(Icmpv4Echo, EmitReproducesKernelRequest) {
  ByteVec m = icmp_of(kEchoRequestV4);
  auto icmp = Icmpv4Repr::parse(m);
  ASSERT_TRUE(icmp.ok());
  ByteVec out(icmp->buffer_len());
  icmp->emit(out);
  EXPECT_EQ(to_hex(out), to_hex(m));
}

// RFC 1122 §3.2.2.6: the reply echoes identifier, sequence number and data.
TEST(Icmpv4Echo, ReplyToKernelRequestMatchesKernelReply) {
  ByteVec m = icmp_of(kEchoRequestV4);
  auto req = Icmpv4Repr::parse(m);
  ASSERT_TRUE(req.ok());
  Icmpv4Repr reply = Icmpv4Repr::echo_reply_to(*req);
  ByteVec out(reply.buffer_len());
  reply.emit(out);
  EXPECT_EQ(to_hex(out), to_hex(icmp_of(kEchoReplyV4)));
}

TEST(Icmpv4Echo, EmitInPlaceDataIsNotDisturbed) {
  ByteVec buf(8 + 4);
  const std::uint8_t payload[] = {9, 8, 7, 6};
  std::copy(std::begin(payload), std::end(payload), buf.begin() + 8);
  Icmpv4Repr req = Icmpv4Repr::echo_request(1, 2, Bytes(buf).subspan(8));
  req.emit(buf);
  EXPECT_EQ(to_hex(buf).substr(16), "09080706");
  EXPECT_EQ(internet_checksum(buf), 0);
}

TEST(Icmpv4Unreachable, ParsesKernelPortUnreachableAndItsQuote) {
  ByteVec m = icmp_of(kPortUnreachV4);
  auto icmp = Icmpv4Repr::parse(m);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, Icmpv4Type::kDestUnreachable);
  EXPECT_EQ(icmp->code, static_cast<std::uint8_t>(Icmpv4Unreach::kPort));
  EXPECT_TRUE(icmp->is_error());
  EXPECT_EQ(icmp->data.size(), 31u);  // Linux quotes the whole short datagram
  auto q = icmp->quote();
  ASSERT_TRUE(q.ok()) << to_string(q.error());
  EXPECT_EQ(q->src, kIpA);
  EXPECT_EQ(q->dst, kIpB);
  EXPECT_EQ(q->proto, IpProto::kUdp);
  EXPECT_EQ(q->total_len, 31);
  EXPECT_EQ(q->header.size(), 20u);
  ASSERT_EQ(q->transport.size(), 11u);
  EXPECT_EQ(load_be16(q->transport, 0), 53515);  // our source port
  EXPECT_EQ(load_be16(q->transport, 2), 9);      // the closed port
  EXPECT_EQ(icmp->to_string(), "ICMP 198.18.5.2 udp port 9 unreachable, length 39");
}

TEST(Icmpv4Unreachable, BuilderMatchesKernelPortUnreachable) {
  ByteVec m = icmp_of(kPortUnreachV4);
  Icmpv4Repr icmp = Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kPort, Bytes(m).subspan(8));
  ByteVec out(icmp.buffer_len());
  icmp.emit(out);
  EXPECT_EQ(to_hex(out), to_hex(m));
}

// RFC 1191 §4: code 4 carries the next-hop MTU in the low 16 bits of the second word.
TEST(Icmpv4Unreachable, FragNeededCarriesNextHopMtu) {
  ByteVec m = icmp_of(kFragNeededV4);
  auto icmp = Icmpv4Repr::parse(m);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->code, static_cast<std::uint8_t>(Icmpv4Unreach::kFragNeeded));
  EXPECT_EQ(icmp->next_hop_mtu, 1280);
  auto q = icmp->quote();
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->dst, Ipv4Addr({198, 18, 5, 99}));
  EXPECT_EQ(q->total_len, 1400);
  EXPECT_EQ(q->ident, 0x1234);
  EXPECT_EQ(q->transport.size(), 8u);  // RFC 792 minimum: the first 64 bits
  EXPECT_EQ(load_be16(q->transport, 0), 40000);
  ByteVec out(icmp->buffer_len());
  Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kFragNeeded, icmp->data, 1280).emit(out);
  EXPECT_EQ(to_hex(out), to_hex(m));
  EXPECT_EQ(icmp->to_string(), "ICMP 198.18.5.99 need to frag unreachable (mtu 1280), length 36");
}

TEST(Icmpv4Unreachable, MtuIsOnlyMeaningfulForCode4) {
  Icmpv4Repr icmp = Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kHost, {}, 1280);
  EXPECT_EQ(icmp.next_hop_mtu, 0);
}

TEST(Icmpv4TimeExceeded, ParsesAndRebuildsCraftedMessage) {
  ByteVec m = icmp_of(kTimeExceededV4);
  auto icmp = Icmpv4Repr::parse(m);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, Icmpv4Type::kTimeExceeded);
  EXPECT_EQ(icmp->code, 0);
  auto q = icmp->quote();
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->ttl, 1);
  EXPECT_EQ(load_be16(q->transport, 2), 33435);
  ByteVec out(icmp->buffer_len());
  Icmpv4Repr::time_exceeded(Icmpv4TimeExceeded::kTtl, icmp->data).emit(out);
  EXPECT_EQ(to_hex(out), to_hex(m));
  EXPECT_EQ(icmp->to_string(), "ICMP time exceeded in-transit, length 36");
}

TEST(Icmpv4ParamProblem, PointerRoundTrips) {
  ByteVec quoted = icmp_of(kTimeExceededV4);  // any IPv4 datagram start will do
  Icmpv4Repr icmp = Icmpv4Repr::param_problem(9, Bytes(quoted).subspan(8));
  ByteVec out(icmp.buffer_len());
  icmp.emit(out);
  EXPECT_EQ(out[4], 9);
  auto back = Icmpv4Repr::parse(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->pointer, 9);
  EXPECT_EQ(*back, icmp);
  EXPECT_TRUE(back->is_error());
}

TEST(Icmpv4Redirect, GatewayRoundTrips) {
  ByteVec m = icmp_of(kTimeExceededV4);
  Icmpv4Repr icmp;
  icmp.type = Icmpv4Type::kRedirect;
  icmp.code = 1;  // redirect for host
  icmp.gateway = Ipv4Addr({198, 18, 5, 254});
  icmp.data = Bytes(m).subspan(8);
  ByteVec out(icmp.buffer_len());
  icmp.emit(out);
  auto back = Icmpv4Repr::parse(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->gateway, icmp.gateway);
  EXPECT_EQ(*back, icmp);
  EXPECT_TRUE(back->quote().ok());
}

// Types we do not interpret keep their second word so they can be shown and re-emitted.
TEST(Icmpv4Other, TimestampKeepsRestOfHeader) {
  ByteVec m = from_hex(
      "0d00"
      "0000"
      "12340001"
      "000000000000000000000000");
  store_be16(m, 2, internet_checksum(m));
  auto icmp = Icmpv4Repr::parse(m);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, Icmpv4Type::kTimestamp);
  EXPECT_EQ(icmp->rest_of_header, 0x12340001u);
  EXPECT_EQ(icmp->data.size(), 12u);
  ByteVec out(icmp->buffer_len());
  icmp->emit(out);
  EXPECT_EQ(to_hex(out), to_hex(m));
}

TEST(Icmpv4Parse, RejectsMessageShorterThanHeader) {
  ByteVec m = icmp_of(kEchoRequestV4);
  m.resize(7);
  EXPECT_EQ(parse_error(m), ParseError::kTruncated);
}

TEST(Icmpv4Parse, RejectsBadChecksum) {
  ByteVec m = icmp_of(kEchoRequestV4);
  m.back() ^= 0x01;
  EXPECT_EQ(parse_error(m), ParseError::kBadChecksum);
}

TEST(Icmpv4Parse, SkipModeAcceptsBadChecksum) {
  ByteVec m = icmp_of(kEchoRequestV4);
  m.back() ^= 0x01;
  EXPECT_TRUE(Icmpv4Repr::parse(m, ChecksumCheck::kSkip).ok());
}

TEST(Icmpv4Emit, OffloadLeavesChecksumZero) {
  ByteVec m = icmp_of(kEchoRequestV4);
  auto icmp = Icmpv4Repr::parse(m);
  ASSERT_TRUE(icmp.ok());
  ByteVec out(icmp->buffer_len());
  icmp->emit(out, ChecksumMode::kOffload);
  EXPECT_EQ(load_be16(out, 2), 0);
}

TEST(Icmpv4Quote, EchoHasNoQuote) {
  ByteVec m = icmp_of(kEchoRequestV4);
  auto icmp = Icmpv4Repr::parse(m);
  ASSERT_TRUE(icmp.ok());
  auto q = icmp->quote();
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error(), ParseError::kBadType);
}

ParseError quote_error(ByteVec quote) {
  auto q = Icmpv4Quote::parse(quote);
  EXPECT_FALSE(q.ok());
  return q.ok() ? ParseError::kUnsupported : q.error();
}

ByteVec frag_needed_quote() {
  ByteVec m = icmp_of(kFragNeededV4);
  return ByteVec(m.begin() + 8, m.end());
}

// RFC 792: the quote must hold the IP header and 64 bits of data to be matched to a socket.
TEST(Icmpv4Quote, RejectsFewerThanEightTransportBytes) {
  ByteVec q = frag_needed_quote();
  q.resize(27);
  EXPECT_EQ(quote_error(q), ParseError::kTruncated);
}

TEST(Icmpv4Quote, RejectsQuoteShorterThanIpHeader) {
  ByteVec q = frag_needed_quote();
  q.resize(19);
  EXPECT_EQ(quote_error(q), ParseError::kTruncated);
}

TEST(Icmpv4Quote, RejectsNonIpv4Quote) {
  ByteVec q = frag_needed_quote();
  q[0] = 0x65;
  EXPECT_EQ(quote_error(q), ParseError::kBadVersion);
}

TEST(Icmpv4Quote, RejectsIhlBelowFive) {
  ByteVec q = frag_needed_quote();
  q[0] = 0x44;
  EXPECT_EQ(quote_error(q), ParseError::kBadHeaderLength);
}

TEST(Icmpv4Quote, RejectsOptionsRunningPastTheQuote) {
  ByteVec q = frag_needed_quote();
  q[0] = 0x46;  // 24-byte header: only 4 transport bytes remain
  EXPECT_EQ(quote_error(q), ParseError::kTruncated);
}

TEST(Icmpv4Print, EchoOneLineAndVerbose) {
  ByteVec m = icmp_of(kEchoRequestV4);
  auto icmp = Icmpv4Repr::parse(m);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->to_string(), "ICMP echo request, id 17119, seq 1, length 64");
  std::string v = icmp->to_verbose_string();
  EXPECT_NE(v.find("identifier: 17119"), std::string::npos) << v;
  EXPECT_NE(v.find("sequence: 1"), std::string::npos) << v;
}

}  // namespace
}  // namespace ustack
