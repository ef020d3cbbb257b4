// TCP wire format: parse/emit/print against segments captured from the Linux kernel, round
// trips, and every malformed-header case (RFC 9293 §3.1, RFC 7323 §2-3, RFC 2018 §3, RFC 2883).
#include "stack/wire/tcp.h"

#include <gtest/gtest.h>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

// How the captures were made (Linux 6.x, 2026-11-25), all inside a throw-away network
// namespace that was deleted afterwards:
//  * kLoSyn4/kLoSyn6: `nc -N 198.18.7.1 5001` (and fd00:7::1 5002) to an `nc -l` in the same
//    namespace over `lo` (mtu 1500), captured with `tcpdump -i lo`. Loopback leaves the
//    checksum PARTIAL (pseudo-header sum only, like ChecksumMode::kOffload), so these are
//    parsed with ChecksumCheck::kSkip and re-emitted with kOffload.
//  * kTun*: a scapy peer at 198.18.7.2 on a TUN device (IFF_TUN|IFF_NO_PI) talking to
//    `nc -l 198.18.7.1 5001` fed with "kernel-data-hello\n". The peer sent a SYN (mss 1460,
//    sackOK, TS, wscale 7, ISN 1000), the ACK, then data at relative seq 101..200, 301..400
//    and again 101..200. The bytes below are what the kernel wrote to the TUN fd: its
//    SYN-ACK, its data segment, and its ACKs with one SACK block, two SACK blocks, and a
//    D-SACK (RFC 2883) followed by the two SACK blocks. TUN checksums are complete.
// Each constant is the whole IP packet; the TCP segment starts after the IP header.
constexpr char kLoSyn4[] =
    "4500003c3ac04000400665d5c6120701c6120701"
    "ceee1389b53b775000000000a002faf09a550000020405b40402080a1880b69b000000000103030a";
constexpr char kLoSyn6[] =
    "6006c32300280640fd000007000000000000000000000001fd000007000000000000000000000001"
    "e4c2138a429c4d5b00000000a002fd20fa3f0000020405a00402080a263c76af000000000103030a";
constexpr char kTunSynAck[] =
    "4500003c000040004006a094c6120701c6120702"
    "13899c40e101412e000003e9a012fe8847130000020405b40402080a5f67327b000000640103030a";
constexpr char kTunData[] =
    "450000461078400040069012c6120701c6120702"
    "13899c40e101412f000003e980180040faf100000101080a5f673477000000656b65726e656c2d646174612d"
    "68656c6c6f0a";
constexpr char kTunSack1[] =
    "450000401079400040069017c6120701c6120702"
    "13899c40e1014141000003e9b0100040310d00000101080a5f673671000000650101050a0000044d000004b1";
constexpr char kTunSack2[] =
    "45000048107a40004006900ec6120701c6120702"
    "13899c40e1014141000003e9d0100040047900000101080a5f673867000000650101051200000515000005790000"
    "044d000004b1";
constexpr char kTunDsack[] =
    "45000050107b400040069005c6120701c6120702"
    "13899c40e1014141000003e9f0100040d96d00000101080a5f673a64000000650101051a0000044d000004b100"
    "00044d000004b10000051500000579";

const IpAddr kKernel = Ipv4Addr({198, 18, 7, 1});
const IpAddr kPeer = Ipv4Addr({198, 18, 7, 2});
const IpAddr kV6 = *Ipv6Addr::parse("fd00:7::1");

struct Captured {
  ByteVec packet;
  Bytes tcp;
};

Captured captured(const char* hex) {
  Captured c{from_hex(hex), {}};
  std::size_t ip_len = (c.packet[0] >> 4) == 4 ? (c.packet[0] & 0xf) * 4 : 40;
  c.tcp = Bytes(c.packet).subspan(ip_len);
  return c;
}

TcpRepr must_parse(Bytes b, const IpAddr& src, const IpAddr& dst,
                   ChecksumCheck check = ChecksumCheck::kVerify) {
  auto r = TcpRepr::parse(b, src, dst, check);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : to_string(r.error()));
  return r.ok() ? *r : TcpRepr{};
}

ByteVec emit(const TcpRepr& r, const IpAddr& src, const IpAddr& dst,
             ChecksumMode mode = ChecksumMode::kCompute) {
  ByteVec out(r.buffer_len());
  r.emit(out, src, dst, mode);
  return out;
}

// A 20-byte header plus `options` (padded by the caller to a multiple of 4), valid checksum.
ByteVec segment_with_options(ByteVec options, ByteVec payload = {}) {
  ByteVec b(20 + options.size() + payload.size());
  store_be16(b, 0, 1234);
  store_be16(b, 2, 80);
  store_be32(b, 4, 1000);
  b[12] = static_cast<std::uint8_t>(((20 + options.size()) / 4) << 4);
  b[13] = tcp_flags::kSyn;
  store_be16(b, 14, 1024);
  std::copy(options.begin(), options.end(), b.begin() + 20);
  std::copy(payload.begin(), payload.end(), b.begin() + 20 + static_cast<long>(options.size()));
  TcpRepr::fill_checksum(b, kPeer, kKernel, ChecksumMode::kCompute);
  return b;
}

ParseError parse_error(Bytes b, ChecksumCheck check = ChecksumCheck::kVerify) {
  auto r = TcpRepr::parse(b, kPeer, kKernel, check);
  EXPECT_FALSE(r.ok());
  return r.ok() ? ParseError::kUnsupported : r.error();
}

// --- Real kernel segments -------------------------------------------------------------------

TEST(TcpWireKernel, SynOverLoopbackParsesAndPrintsLikeTcpdump) {
  Captured c = captured(kLoSyn4);
  TcpRepr r = must_parse(c.tcp, kKernel, kKernel, ChecksumCheck::kSkip);
  EXPECT_EQ(r.src_port, 52974);
  EXPECT_EQ(r.dst_port, 5001);
  EXPECT_EQ(r.seq, SeqNum(3040573264u));
  EXPECT_EQ(r.flags, tcp_flags::kSyn);
  EXPECT_EQ(r.options.mss, 1460);
  EXPECT_EQ(r.options.window_scale, 10);
  EXPECT_TRUE(r.options.sack_permitted);
  EXPECT_EQ(r.options.timestamps, (TcpTimestamps{411088539, 0}));
  EXPECT_EQ(r.to_string(),
            "Flags [S], seq 3040573264, win 64240, options [mss 1460,sackOK,TS val 411088539 "
            "ecr 0,nop,wscale 10], length 0");
}

// Loopback leaves CHECKSUM_PARTIAL in the field: exactly what kOffload must write.
TEST(TcpWireKernel, LoopbackSynReEmitsByteForByteWithChecksumOffload) {
  Captured c = captured(kLoSyn4);
  TcpRepr r = must_parse(c.tcp, kKernel, kKernel, ChecksumCheck::kSkip);
  ByteVec out = emit(r, kKernel, kKernel, ChecksumMode::kOffload);
  EXPECT_EQ(to_hex(out), to_hex(c.tcp));
}

TEST(TcpWireKernel, Ipv6SynReEmitsByteForByteWithChecksumOffload) {
  Captured c = captured(kLoSyn6);
  TcpRepr r = must_parse(c.tcp, kV6, kV6, ChecksumCheck::kSkip);
  EXPECT_EQ(r.options.mss, 1440);
  EXPECT_EQ(to_hex(emit(r, kV6, kV6, ChecksumMode::kOffload)), to_hex(c.tcp));
  // With the full checksum computed, verification passes.
  ByteVec full = emit(r, kV6, kV6, ChecksumMode::kCompute);
  EXPECT_TRUE(TcpRepr::parse(full, kV6, kV6).ok());
}

TEST(TcpWireKernel, SynAckFromTunVerifiesAndReEmitsByteForByte) {
  Captured c = captured(kTunSynAck);
  TcpRepr r = must_parse(c.tcp, kKernel, kPeer);
  EXPECT_EQ(r.flags, tcp_flags::kSyn | tcp_flags::kAck);
  EXPECT_EQ(r.ack, SeqNum(1001));
  EXPECT_EQ(r.to_string(),
            "Flags [S.], seq 3774955822, ack 1001, win 65160, options [mss 1460,sackOK,TS val "
            "1600598651 ecr 100,nop,wscale 10], length 0");
  EXPECT_EQ(to_hex(emit(r, kKernel, kPeer)), to_hex(c.tcp));
}

TEST(TcpWireKernel, DataSegmentCarriesPayloadView) {
  Captured c = captured(kTunData);
  TcpRepr r = must_parse(c.tcp, kKernel, kPeer);
  EXPECT_EQ(std::string(r.payload.begin(), r.payload.end()), "kernel-data-hello\n");
  EXPECT_EQ(r.payload.data(), c.tcp.data() + 32);  // a view, not a copy
  EXPECT_EQ(r.seg_len(), 18u);
  EXPECT_EQ(r.to_string(),
            "Flags [P.], seq 3774955823:3774955841, ack 1001, win 64, options [nop,nop,TS val "
            "1600599159 ecr 101], length 18");
  EXPECT_EQ(to_hex(emit(r, kKernel, kPeer)), to_hex(c.tcp));
}

// RFC 2018 §3/§4: the kernel reports the out-of-order block it holds.
TEST(TcpWireKernel, AckWithOneSackBlock) {
  Captured c = captured(kTunSack1);
  TcpRepr r = must_parse(c.tcp, kKernel, kPeer);
  ASSERT_EQ(r.options.sack_count, 1);
  EXPECT_EQ(r.options.sack[0], (TcpSackBlock{SeqNum(1101), SeqNum(1201)}));
  EXPECT_EQ(r.to_string(),
            "Flags [.], ack 1001, win 64, options [nop,nop,TS val 1600599665 ecr 101,nop,nop,"
            "sack 1 {1101:1201}], length 0");
  EXPECT_EQ(to_hex(emit(r, kKernel, kPeer)), to_hex(c.tcp));
}

// RFC 2018 §4: the most recently received block comes first.
TEST(TcpWireKernel, AckWithTwoSackBlocksMostRecentFirst) {
  Captured c = captured(kTunSack2);
  TcpRepr r = must_parse(c.tcp, kKernel, kPeer);
  ASSERT_EQ(r.options.sack_count, 2);
  EXPECT_EQ(r.options.sack[0], (TcpSackBlock{SeqNum(1301), SeqNum(1401)}));
  EXPECT_EQ(r.options.sack[1], (TcpSackBlock{SeqNum(1101), SeqNum(1201)}));
  EXPECT_EQ(to_hex(emit(r, kKernel, kPeer)), to_hex(c.tcp));
}

// RFC 2883 §4: a duplicate is reported as the first block (D-SACK), then the SACK blocks.
TEST(TcpWireKernel, AckWithDsackBlockFirst) {
  Captured c = captured(kTunDsack);
  TcpRepr r = must_parse(c.tcp, kKernel, kPeer);
  ASSERT_EQ(r.options.sack_count, 3);
  EXPECT_EQ(r.options.sack[0], (TcpSackBlock{SeqNum(1101), SeqNum(1201)}));
  EXPECT_EQ(r.options.sack[1], (TcpSackBlock{SeqNum(1101), SeqNum(1201)}));
  EXPECT_EQ(r.options.sack[2], (TcpSackBlock{SeqNum(1301), SeqNum(1401)}));
  EXPECT_EQ(to_hex(emit(r, kKernel, kPeer)), to_hex(c.tcp));
}

// --- Emit from values: the layout Linux uses ------------------------------------------------

TEST(TcpWireEmit, SynOptionsFromValuesUseLinuxLayout) {
  Captured c = captured(kTunSynAck);
  TcpRepr parsed = must_parse(c.tcp, kKernel, kPeer);
  TcpRepr built;
  built.src_port = parsed.src_port;
  built.dst_port = parsed.dst_port;
  built.seq = parsed.seq;
  built.ack = parsed.ack;
  built.flags = parsed.flags;
  built.window = parsed.window;
  built.options.mss = 1460;
  built.options.sack_permitted = true;
  built.options.timestamps = TcpTimestamps{1600598651, 100};
  built.options.window_scale = 10;
  EXPECT_EQ(to_hex(emit(built, kKernel, kPeer)), to_hex(c.tcp));
}

TEST(TcpWireEmit, SackBlocksFromValuesUseLinuxLayout) {
  Captured c = captured(kTunSack2);
  TcpRepr parsed = must_parse(c.tcp, kKernel, kPeer);
  TcpRepr built = parsed;
  built.options = TcpOptions{};
  built.options.timestamps = parsed.options.timestamps;
  built.options.add_sack(parsed.options.sack[0]);
  built.options.add_sack(parsed.options.sack[1]);
  EXPECT_EQ(to_hex(emit(built, kKernel, kPeer)), to_hex(c.tcp));
}

// RFC 2018 §3: with timestamps (12 bytes) only three blocks fit in 40 option bytes.
TEST(TcpWireEmit, FourSackBlocksWithTimestampsAreCutToThree) {
  TcpRepr r;
  r.flags = tcp_flags::kAck;
  r.options.timestamps = TcpTimestamps{1, 2};
  for (std::uint32_t i = 0; i < 4; ++i) r.options.add_sack({SeqNum(i * 100), SeqNum(i * 100 + 50)});
  EXPECT_EQ(r.header_len(), 60u);
  ByteVec out = emit(r, kPeer, kKernel);
  TcpRepr back = must_parse(out, kPeer, kKernel);
  EXPECT_EQ(back.options.sack_count, 3);
}

TEST(TcpWireEmit, FourSackBlocksFitWithoutTimestamps) {
  TcpRepr r;
  r.flags = tcp_flags::kAck;
  for (std::uint32_t i = 0; i < 4; ++i) r.options.add_sack({SeqNum(i * 100), SeqNum(i * 100 + 50)});
  ByteVec out = emit(r, kPeer, kKernel);
  EXPECT_EQ(must_parse(out, kPeer, kKernel), r);
}

TEST(TcpWireEmit, PayloadAndChecksumRoundTrip) {
  std::string data = "hello, world";
  TcpRepr r;
  r.src_port = 40000;
  r.dst_port = 80;
  r.seq = SeqNum(0xfffffff0u);
  r.ack = SeqNum(7);
  r.flags = tcp_flags::kAck | tcp_flags::kPsh;
  r.window = 502;
  r.payload = as_bytes(data);
  ByteVec out = emit(r, kPeer, kKernel);
  EXPECT_EQ(internet_checksum(out) == 0, false);  // the pseudo header is part of the sum
  EXPECT_EQ(checksum_finish(checksum_add(pseudo_header_sum(kPeer, kKernel, 6, out.size()), out)),
            0);
  TcpRepr back = must_parse(out, kPeer, kKernel);
  EXPECT_EQ(back, r);
  EXPECT_EQ(back.to_string(), "Flags [P.], seq 4294967280:4294967292, ack 7, win 502, length 12");
}

TEST(TcpWireEmit, OffloadWritesFoldedPseudoHeaderSum) {
  TcpRepr r;
  r.flags = tcp_flags::kSyn;
  ByteVec out = emit(r, kPeer, kKernel, ChecksumMode::kOffload);
  std::uint32_t ph = pseudo_header_sum(kPeer, kKernel, 6, 20);
  EXPECT_EQ(load_be16(out, 16), static_cast<std::uint16_t>(~checksum_finish(ph)));
  // What a device does with it: sum the segment starting from that field, complement.
  std::uint16_t device = checksum_finish(checksum_add(0, out));
  store_be16(out, 16, device);
  EXPECT_TRUE(TcpRepr::parse(out, kPeer, kKernel).ok());
}

// Unknown options (here TFO, kind 34, and an experimental kind 253) survive parse and emit.
TEST(TcpWireOptions, UnknownOptionsArePreservedInOrder) {
  ByteVec b = segment_with_options(
      {2, 4, 0x05, 0xb4, 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 253, 4, 0xab, 0xcd, 1, 1});
  TcpRepr r = must_parse(b, kPeer, kKernel);
  EXPECT_EQ(r.options.unknown_len, 14);
  EXPECT_EQ(r.to_string(),
            "Flags [S], seq 1000, win 1024, options [mss 1460,unknown-34 0x0102030405060708,"
            "unknown-253 0xabcd,nop,nop], length 0");
  EXPECT_EQ(to_hex(emit(r, kPeer, kKernel)), to_hex(b));
}

TEST(TcpWireOptions, UnknownOptionsFromValuesAreEmittedAfterKnownOnes) {
  TcpRepr r;
  r.flags = tcp_flags::kSyn;
  r.options.mss = 536;
  std::uint8_t cookie[] = {9, 9};
  ASSERT_TRUE(r.options.add_unknown(34, cookie));
  ByteVec out = emit(r, kPeer, kKernel);
  EXPECT_EQ(to_hex(Bytes(out).subspan(20)), "0204021822040909");
  EXPECT_EQ(must_parse(out, kPeer, kKernel), r);
}

// RFC 9293 §3.1: End of Option List ends parsing; what follows is padding.
TEST(TcpWireOptions, EolEndsTheOptionList) {
  ByteVec b = segment_with_options({2, 4, 0x05, 0xb4, 0, 3, 3, 7});
  TcpRepr r = must_parse(b, kPeer, kKernel);
  EXPECT_EQ(r.options.mss, 1460);
  EXPECT_FALSE(r.options.window_scale.has_value());
  EXPECT_EQ(r.to_string(), "Flags [S], seq 1000, win 1024, options [mss 1460,eol], length 0");
}

TEST(TcpWireOptions, DuplicateOptionKeepsTheLastValue) {
  ByteVec b = segment_with_options({2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18});
  EXPECT_EQ(must_parse(b, kPeer, kKernel).options.mss, 536);
}

// --- Malformed input -------------------------------------------------------------------------

TEST(TcpWireMalformed, ShorterThanFixedHeaderIsTruncated) {
  ByteVec b = segment_with_options({});
  EXPECT_EQ(parse_error(Bytes(b).first(19)), ParseError::kTruncated);
  EXPECT_EQ(parse_error(Bytes{}), ParseError::kTruncated);
}

TEST(TcpWireMalformed, DataOffsetBelowFiveIsBadHeaderLength) {
  ByteVec b = segment_with_options({});
  for (std::uint8_t off = 0; off < 5; ++off) {
    b[12] = static_cast<std::uint8_t>(off << 4);
    EXPECT_EQ(parse_error(b, ChecksumCheck::kSkip), ParseError::kBadHeaderLength) << int{off};
  }
}

TEST(TcpWireMalformed, DataOffsetPastTheSegmentIsTruncated) {
  ByteVec b = segment_with_options({1, 1, 1, 1});
  b[12] = 0x90;  // 36 bytes of header in a 24-byte segment
  EXPECT_EQ(parse_error(b, ChecksumCheck::kSkip), ParseError::kTruncated);
}

TEST(TcpWireMalformed, BadChecksumIsRejected) {
  Captured c = captured(kTunData);
  ByteVec b(c.tcp.begin(), c.tcp.end());
  b.back() ^= 0x01;
  EXPECT_EQ(parse_error(b), ParseError::kBadChecksum);
  // ... unless the caller trusts the device.
  EXPECT_TRUE(TcpRepr::parse(b, kKernel, kPeer, ChecksumCheck::kSkip).ok());
}

// A corrupted data offset is still reported as what it is: a checksum failure.
TEST(TcpWireMalformed, CorruptDataOffsetIsBadChecksum) {
  Captured c = captured(kTunData);
  ByteVec b(c.tcp.begin(), c.tcp.end());
  b[12] ^= 0x40;
  EXPECT_EQ(parse_error(b), ParseError::kBadChecksum);
}

TEST(TcpWireMalformed, ChecksumCoversThePseudoHeader) {
  Captured c = captured(kTunData);
  auto r = TcpRepr::parse(c.tcp, kKernel, Ipv4Addr({198, 18, 7, 3}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), ParseError::kBadChecksum);
}

struct BadOptionCase {
  const char* name;
  ByteVec options;  // after a valid MSS option
  std::string printed;
};

// Linux tcp_parse_options: an option whose length octet is missing, below 2 or past the header
// ends the option list ("if (opsize < 2) return; if (opsize > length) return;"), but the
// segment is still processed with the options before it. The Repr says so (options.malformed)
// and re-emits only what it kept.
TEST(TcpWireMalformed, StructurallyBrokenOptionEndsTheOptionList) {
  const BadOptionCase cases[] = {
      {"length zero", {2, 0, 1, 1}, "mss 1460"},
      {"length one", {8, 1, 1, 1}, "mss 1460"},
      {"kind without length octet", {1, 1, 1, 2}, "mss 1460,nop,nop,nop"},
      {"runs past the header", {34, 6, 1, 1}, "mss 1460"},
      {"unknown option past end", {1, 1, 99, 3}, "mss 1460,nop,nop"},
      {"length zero before a valid option", {8, 0, 1, 1, 3, 3, 7, 0}, "mss 1460"},
  };
  for (const auto& c : cases) {
    ByteVec opts = {2, 4, 0x05, 0xb4};
    opts.insert(opts.end(), c.options.begin(), c.options.end());
    ByteVec b = segment_with_options(opts, {0xaa, 0xbb});
    auto r = TcpRepr::parse(b, kPeer, kKernel);
    ASSERT_TRUE(r.ok()) << c.name;
    EXPECT_TRUE(r->options.malformed) << c.name;
    EXPECT_EQ(r->options.mss, 1460) << c.name;
    EXPECT_FALSE(r->options.window_scale) << c.name;
    EXPECT_EQ(r->payload.size(), 2u) << c.name;
    EXPECT_EQ(r->to_string(),
              "Flags [S], seq 1000:1002, win 1024, options [" + c.printed + "], length 2")
        << c.name;
    // What was kept re-emits and parses cleanly.
    ByteVec kept = emit(*r, kPeer, kKernel);  // `again`'s payload is a view into it
    auto again = TcpRepr::parse(kept, kPeer, kKernel);
    ASSERT_TRUE(again.ok()) << c.name;
    EXPECT_FALSE(again->options.malformed) << c.name;
    EXPECT_TRUE(*again == *r) << c.name;
  }
}

// Linux tcp_parse_options: a known option with the wrong length for its kind is ignored
// (each case checks `opsize == TCPOLEN_...`) and parsing goes on after it; so is a second
// SACK option (we could not re-emit both).
TEST(TcpWireMalformed, KnownOptionWithTheWrongLengthIsSkipped) {
  const BadOptionCase cases[] = {
      {"mss length 3", {2, 3, 5, 1}, "mss 1460,nop"},
      {"mss length 5", {2, 5, 5, 0xb4, 0, 1, 1, 1}, "mss 1460,nop,nop,nop"},
      {"wscale length 4", {3, 4, 7, 0}, "mss 1460"},
      {"wscale length 2", {3, 2, 1, 1}, "mss 1460,nop,nop"},
      {"sackOK length 3", {4, 3, 0, 1}, "mss 1460,nop"},
      {"timestamps length 8", {8, 8, 0, 0, 0, 1, 0, 0}, "mss 1460"},
      {"sack with no block", {5, 2, 1, 1}, "mss 1460,nop,nop"},
      {"sack length not 2+8n", {5, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1}, "mss 1460,nop,nop,nop"},
      {"two sack options",
       {5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 5, 10, 0, 0, 0, 3, 0, 0, 0, 4},
       "mss 1460,sack 1 {1:2}"},
  };
  for (const auto& c : cases) {
    ByteVec opts = {2, 4, 0x05, 0xb4};
    opts.insert(opts.end(), c.options.begin(), c.options.end());
    opts.insert(opts.end(), {3, 3, 7, 1});  // a valid wscale after the bad option
    ByteVec b = segment_with_options(opts);
    auto r = TcpRepr::parse(b, kPeer, kKernel);
    ASSERT_TRUE(r.ok()) << c.name;
    EXPECT_TRUE(r->options.malformed) << c.name;
    EXPECT_EQ(r->options.mss, 1460) << c.name;
    EXPECT_EQ(r->options.window_scale, 7) << c.name;
    EXPECT_EQ(r->to_string(),
              "Flags [S], seq 1000, win 1024, options [" + c.printed + ",wscale 7,nop], length 0")
        << c.name;
  }
}

// tcpdump's print-tcp.c prints the blocks of one SACK option with nothing between them:
// "sack 2 {a:b}{c:d}" (pcap_tests/dump_cli_test compares whole captures with tcpdump).
TEST(TcpWirePrint, SackBlocksAreNotSeparated) {
  ByteVec b = segment_with_options(
      {1, 1, 5, 18, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0});
  auto r = TcpRepr::parse(b, kPeer, kKernel);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->to_string().find("options [nop,nop,sack 2 {5:6}{1:2}"), std::string::npos)
      << r->to_string();
}

TEST(TcpWirePrint, VerboseFormShowsEveryField) {
  Captured c = captured(kTunSynAck);
  TcpRepr r = must_parse(c.tcp, kKernel, kPeer);
  EXPECT_EQ(r.to_verbose_string(),
            "5001 > 40000, hlen 40, reserved 0x0, cksum 0x4713, urg 0, " + r.to_string());
}

TEST(TcpWirePrint, FlagsInTcpdumpOrder) {
  EXPECT_EQ(tcp_flags_string(0), "none");
  EXPECT_EQ(tcp_flags_string(tcp_flags::kFin | tcp_flags::kAck), "F.");
  EXPECT_EQ(tcp_flags_string(tcp_flags::kRst | tcp_flags::kAck), "R.");
  EXPECT_EQ(tcp_flags_string(tcp_flags::kSyn | tcp_flags::kEce | tcp_flags::kCwr), "SEW");
  EXPECT_EQ(tcp_flags_string(0xff), "FSRP.UEW");
}

TEST(TcpWirePrint, UrgentPointerShownWithUrg) {
  TcpRepr r;
  r.flags = tcp_flags::kUrg | tcp_flags::kAck;
  r.urgent = 3;
  EXPECT_EQ(r.to_string(), "Flags [.U], ack 0, win 0, urg 3, length 0");
}

}  // namespace
}  // namespace ustack
