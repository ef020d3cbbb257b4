// The packetdrill subset parser: every construct it understands, and every construct it
// refuses with the line it is on.
#include "pcap_tests/scenario/script.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>

namespace ustack::scenario {
namespace {

Script parse_ok(std::string_view text, const ScriptOptions& opts = {}) {
  ParseOutcome p = parse_script(text, "t.pkt", opts);
  EXPECT_TRUE(p.script.has_value()) << p.error;
  return p.script ? *p.script : Script{};
}

std::string parse_error(std::string_view text) {
  ParseOutcome p = parse_script(text, "t.pkt");
  EXPECT_FALSE(p.script.has_value());
  return p.error;
}

const TcpSegmentSpec& tcp(const Event& e) {
  return std::get<TcpSegmentSpec>(std::get<PacketEvent>(e.what).packet);
}
const SyscallEvent& call(const Event& e) { return std::get<SyscallEvent>(e.what); }

TEST(ScriptTimes, AbsoluteRelativeAndRanges) {
  Script s = parse_ok(
      "0.100 close(3) = 0\n"
      "+0.05 close(3) = 0\n"
      "0.2~0.3 close(3) = 0\n"
      "+0~+0.1 close(3) = 0\n"
      "1 close(3) = 0\n");
  ASSERT_EQ(s.events.size(), 5u);
  EXPECT_EQ(s.events[0].time.start, Duration::millis(100));
  EXPECT_FALSE(s.events[0].time.relative);
  EXPECT_EQ(s.events[1].time.start, Duration::millis(150));
  EXPECT_TRUE(s.events[1].time.relative);
  EXPECT_EQ(s.events[2].time.start, Duration::millis(200));
  EXPECT_EQ(s.events[2].time.end, Duration::millis(300));
  EXPECT_EQ(s.events[3].time.start, Duration::millis(200));
  EXPECT_EQ(s.events[3].time.end, Duration::millis(300));
  EXPECT_EQ(s.events[4].time.start, Duration::seconds(1));
  EXPECT_EQ(s.events[4].line, 5);
}

TEST(ScriptTimes, GoingBackwardsIsAnError) {
  EXPECT_EQ(parse_error("0.2 close(3) = 0\n0.1 close(3) = 0\n").substr(0, 8), "t.pkt:2:");
}

TEST(ScriptComments, LineAndBlockCommentsKeepLineNumbers) {
  Script s = parse_ok(
      "// a comment\n"
      "/* a block\n"
      "   over lines */ 0 close(3) = 0  // trailing\n"
      "\n"
      "+0 close(4) = 0 /* inline */\n");
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[0].line, 3);
  EXPECT_EQ(s.events[1].line, 5);
}

TEST(ScriptPackets, InboundSynWithEveryOption) {
  Script s = parse_ok(
      "0 < S 0:0(0) win 32792 <mss 1000,sackOK,TS val 100 ecr 0,nop,wscale 7,sack 1:2 3:4,eol>\n");
  const auto& p = std::get<PacketEvent>(s.events[0].what);
  EXPECT_TRUE(p.inbound);
  const TcpSegmentSpec& seg = tcp(s.events[0]);
  EXPECT_EQ(seg.flags, tcp_flags::kSyn);
  EXPECT_EQ(seg.win, 32792u);
  EXPECT_FALSE(seg.ack);
  ASSERT_EQ(seg.options_kind, TcpSegmentSpec::Options::kListed);
  EXPECT_EQ(seg.options.mss, 1000);
  EXPECT_TRUE(seg.options.sack_permitted);
  EXPECT_EQ(seg.options.timestamps, (TcpTimestamps{100, 0}));
  EXPECT_EQ(seg.options.window_scale, 7);
  ASSERT_EQ(seg.options.sack_count, 2);
  EXPECT_EQ(seg.options.sack[1], (TcpSackBlock{SeqNum(3), SeqNum(4)}));
  ASSERT_EQ(seg.options.order_len, 7);
  EXPECT_EQ(seg.options.order[3], static_cast<std::uint8_t>(TcpOptionKind::kNop));
  EXPECT_EQ(seg.options.order[6], static_cast<std::uint8_t>(TcpOptionKind::kEol));
}

TEST(ScriptPackets, FlagCombinationsSeqAckWin) {
  Script s = parse_ok(
      "0 > S. 0:0(0) ack 1 <...>\n"
      "+0 < . 1:1(0) ack 1 win 257\n"
      "+0 < P. 1:1001(1000) ack 1 win 257\n"
      "+0 > F. 1:1(0) ack 1001\n"
      "+0 < R. 1001:1001(0) ack 2 win 0\n"
      "+0 < R 1001:1001(0) win 0\n"
      "+0 > SEW 0:0(0) <mss 1460>\n"
      "+0 < - 1:1001(1000) win 20000\n");
  EXPECT_EQ(tcp(s.events[0]).flags, tcp_flags::kSyn | tcp_flags::kAck);
  EXPECT_EQ(tcp(s.events[0]).options_kind, TcpSegmentSpec::Options::kAny);
  EXPECT_EQ(tcp(s.events[0]).ack, 1u);
  EXPECT_FALSE(tcp(s.events[0]).win);
  EXPECT_EQ(tcp(s.events[1]).flags, tcp_flags::kAck);
  EXPECT_EQ(tcp(s.events[1]).options_kind, TcpSegmentSpec::Options::kNone);
  EXPECT_EQ(tcp(s.events[2]).flags, tcp_flags::kPsh | tcp_flags::kAck);
  EXPECT_EQ(tcp(s.events[2]).seq, 1u);
  EXPECT_EQ(tcp(s.events[2]).end_seq, 1001u);
  EXPECT_EQ(tcp(s.events[2]).len, 1000u);
  EXPECT_EQ(tcp(s.events[3]).flags, tcp_flags::kFin | tcp_flags::kAck);
  EXPECT_EQ(tcp(s.events[4]).flags, tcp_flags::kRst | tcp_flags::kAck);
  EXPECT_EQ(tcp(s.events[5]).flags, tcp_flags::kRst);
  EXPECT_EQ(tcp(s.events[6]).flags, tcp_flags::kSyn | tcp_flags::kEce | tcp_flags::kCwr);
  EXPECT_EQ(script_flags_string(tcp(s.events[4]).flags), "R.");
  EXPECT_EQ(tcp(s.events[7]).flags, 0);
  EXPECT_EQ(script_flags_string(0), "-");
}

// Urgent data: the U flag and packetdrill's `urg N` after `win`; send/recv take MSG_OOB, and
// setsockopt SO_OOBINLINE (RFC 9293 §3.8.5).
TEST(ScriptPackets, UrgentFlagPointerAndMsgOob) {
  Script s = parse_ok(
      "0 < P.U 1:5(4) ack 1 win 512 urg 4\n"
      "+0 > .U 1:1(0) ack 5 urg 0\n"
      "+0 send(4, ..., 1, MSG_OOB) = 1\n"
      "+0 recv(4, ..., 1, MSG_OOB) = -1 EINVAL (Invalid argument)\n"
      "+0 setsockopt(4, SOL_SOCKET, SO_OOBINLINE, [1], 4) = 0\n");
  EXPECT_EQ(tcp(s.events[0]).flags, tcp_flags::kPsh | tcp_flags::kAck | tcp_flags::kUrg);
  EXPECT_EQ(tcp(s.events[0]).urg, 4u);
  EXPECT_EQ(tcp(s.events[1]).urg, 0u);
  EXPECT_EQ(script_flags_string(tcp(s.events[1]).flags), ".U");
  EXPECT_EQ(std::get<SyscallEvent>(s.events[2].what).args[3].value, MSG_OOB);
  EXPECT_EQ(parse_error("0 < .U 1:1(0) win 1 urg 70000\n"),
            "t.pkt:1: urg 70000 does not fit 16 bits");
}

TEST(ScriptPackets, Udp) {
  Script s = parse_ok("0 < udp (100)\n+0 > udp (7)\n");
  const auto& in = std::get<PacketEvent>(s.events[0].what);
  EXPECT_TRUE(in.inbound);
  EXPECT_EQ(std::get<UdpDatagramSpec>(in.packet).len, 100u);
  EXPECT_EQ(std::get<UdpDatagramSpec>(std::get<PacketEvent>(s.events[1].what).packet).len, 7u);
}

const IcmpErrorSpec& icmp(const Event& e) {
  return std::get<IcmpErrorSpec>(std::get<PacketEvent>(e.what).packet);
}

// packetdrill's ICMP lines (parser.y icmp_packet_spec, icmp_packet.c's names): type, code,
// mtu and the quoted packet, with RFC 792 / RFC 4443 numbers.
TEST(ScriptPackets, IcmpV4Errors) {
  Script s = parse_ok(
      "0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n"
      "+0 < icmp unreachable port_unreachable [udp (100)]\n"
      "+0 < icmp unreachable host_unreachable [0:0(0)]\n"
      "+0 < icmp unreachable net_unreachable\n"
      "+0 < icmp unreachable protocol_unreachable [5:6(1)]\n"
      "+0 < icmp time_exceeded [1:1(0)]\n");
  ASSERT_EQ(s.events.size(), 6u);
  EXPECT_TRUE(std::get<PacketEvent>(s.events[0].what).inbound);
  const IcmpErrorSpec& frag = icmp(s.events[0]);
  EXPECT_FALSE(frag.v6);
  EXPECT_EQ(frag.type, 3);
  EXPECT_EQ(frag.code, 4);
  EXPECT_EQ(frag.mtu, 1200u);
  EXPECT_EQ(frag.quoted, IcmpErrorSpec::Quoted::kTcp);
  EXPECT_EQ(frag.seq, 1u);
  EXPECT_EQ(frag.len, 1460u);
  const IcmpErrorSpec& port = icmp(s.events[1]);
  EXPECT_EQ(port.code, 3);
  EXPECT_FALSE(port.mtu);
  EXPECT_EQ(port.quoted, IcmpErrorSpec::Quoted::kUdp);
  EXPECT_EQ(port.len, 100u);
  EXPECT_EQ(icmp(s.events[2]).code, 1);
  // No quote: packetdrill quotes a TCP segment at seq 0 with no payload.
  EXPECT_EQ(icmp(s.events[3]).code, 0);
  EXPECT_EQ(icmp(s.events[3]).quoted, IcmpErrorSpec::Quoted::kTcp);
  EXPECT_EQ(icmp(s.events[3]).seq, 0u);
  EXPECT_EQ(icmp(s.events[4]).code, 2);
  EXPECT_EQ(icmp(s.events[4]).seq, 5u);
  EXPECT_EQ(icmp(s.events[5]).type, 11);
}

// `icmp` follows the script's IP version (also when the command line sets it); `icmp6` says
// ICMPv6 itself.
TEST(ScriptPackets, IcmpV6Errors) {
  Script s = parse_ok(
      "--ip_version=ipv6\n"
      "0 < icmp6 packet_too_big mtu 1280 [1:1441(1440)]\n"
      "+0 < icmp6 unreachable port_unreachable [udp (8)]\n"
      "+0 < icmp packet_too_big mtu 1400 [0:1000(1000)]\n"
      "+0 < icmp unreachable no_route [0:0(0)]\n");
  ASSERT_EQ(s.events.size(), 4u);
  EXPECT_TRUE(icmp(s.events[0]).v6);
  EXPECT_EQ(icmp(s.events[0]).type, 2);
  EXPECT_EQ(icmp(s.events[0]).code, 0);
  EXPECT_EQ(icmp(s.events[0]).mtu, 1280u);
  EXPECT_EQ(icmp(s.events[1]).type, 1);
  EXPECT_EQ(icmp(s.events[1]).code, 4);
  EXPECT_TRUE(icmp(s.events[2]).v6);
  EXPECT_EQ(icmp(s.events[3]).code, 0);

  Script from_flag = parse_ok("0 < icmp unreachable port_unreachable [udp (8)]\n",
                              ScriptOptions{.ip_version = IpVersion::kV6});
  EXPECT_TRUE(icmp(from_flag.events[0]).v6);
  EXPECT_EQ(icmp(from_flag.events[0]).code, 4);
}

TEST(ScriptPackets, IcmpErrors) {
  EXPECT_EQ(parse_error("0 close(9) = 0\n+0 < icmp6 packet_too_big mtu 1280 [1:2(1)]\n"),
            "t.pkt:2: 'icmp6' in an IPv4 script");
  EXPECT_EQ(parse_error("0 < icmp packet_too_big mtu 1280\n"),
            "t.pkt:1: unsupported: ICMP type 'packet_too_big' (unreachable, time_exceeded)");
  EXPECT_EQ(parse_error("0 < icmp unreachable no_such_code\n"),
            "t.pkt:1: unknown ICMP code 'no_such_code' for type 'unreachable'");
  EXPECT_EQ(parse_error("0 < icmp unreachable port_unreachable mtu 1200\n"),
            "t.pkt:1: an ICMP MTU is only for unreachable frag_needed");
  EXPECT_EQ(parse_error("0 < icmp unreachable frag_needed mtu 70000\n"),
            "t.pkt:1: ICMP MTU does not fit 16 bits");
  EXPECT_EQ(parse_error("0 < icmp unreachable frag_needed mtu 1200 [1:1461(1000)]\n"),
            "t.pkt:1: inconsistent sequence numbers and length in the quote: 1:1461(1000)");
  EXPECT_EQ(parse_error("0 < icmp unreachable [udp (8)\n"),
            "t.pkt:1: expected ']' after the quoted packet");
  EXPECT_EQ(parse_error("0 < icmp unreachable [udp (8)] extra\n"),
            "t.pkt:1: unsupported: 'extra' after an ICMP packet");
}

const PacketEvent& packet(const Event& e) { return std::get<PacketEvent>(e.what); }

// Our `frag N [reverse] [overlap K]` suffix on an inbound TCP or UDP line (FragSpec).
TEST(ScriptPackets, FragmentSuffix) {
  Script s = parse_ok(
      "0 < udp (3000) frag 1480\n"
      "+0 < . 1:3001(3000) ack 1 win 512 frag 1024 reverse\n"
      "+0 < P. 1:101(100) win 512 frag 64 overlap 8 reverse\n"
      "+0 < udp (10)\n");
  ASSERT_EQ(s.events.size(), 4u);
  ASSERT_TRUE(packet(s.events[0]).frag.has_value());
  EXPECT_EQ(packet(s.events[0]).frag->size, 1480u);
  EXPECT_FALSE(packet(s.events[0]).frag->reverse);
  EXPECT_EQ(packet(s.events[0]).frag->overlap, 0u);
  ASSERT_TRUE(packet(s.events[1]).frag.has_value());
  EXPECT_EQ(packet(s.events[1]).frag->size, 1024u);
  EXPECT_TRUE(packet(s.events[1]).frag->reverse);
  EXPECT_EQ(tcp(s.events[1]).ack, 1u);
  EXPECT_EQ(tcp(s.events[1]).win, 512u);
  EXPECT_EQ(packet(s.events[2]).frag->overlap, 8u);
  EXPECT_TRUE(packet(s.events[2]).frag->reverse);
  EXPECT_FALSE(packet(s.events[3]).frag.has_value());
}

TEST(ScriptPackets, FragmentSuffixErrors) {
  EXPECT_EQ(parse_error("0 > udp (3000) frag 1480\n"),
            "t.pkt:1: 'frag' is for injected ('<') packets; an expected one may come in "
            "fragments anyway");
  EXPECT_EQ(parse_error("0 < udp (3000) frag 1001\n"),
            "t.pkt:1: 'frag N' needs a positive multiple of 8");
  EXPECT_EQ(parse_error("0 < udp (3000) frag 64 overlap 64\n"),
            "t.pkt:1: 'overlap K' needs a positive multiple of 8 below the fragment size");
  EXPECT_EQ(parse_error("0 < udp (3000) frag 64 sideways\n"),
            "t.pkt:1: unexpected 'sideways' after 'frag N' (reverse, overlap K)");
  EXPECT_EQ(parse_error("0 < udp (3000) frog 64\n"),
            "t.pkt:1: unsupported: 'frog 64' after a UDP packet");
}

// Our `[hbh,dstopt unknown=0xTT]` prefix on an inbound line of an IPv6 script (ExtHeaderSpec).
TEST(ScriptPackets, Ipv6ExtensionHeaders) {
  Script s = parse_ok(
      "// flags: --ip_version=ipv6\n"
      "0 < [hbh] S 0:0(0) win 65535\n"
      "+0 < [hbh,dstopt unknown=0x80] S 0:0(0) win 65535 <mss 1440>\n"
      "+0 < [dstopt] udp (10) frag 8\n");
  ASSERT_EQ(s.events.size(), 3u);
  ASSERT_EQ(packet(s.events[0]).ext_headers.size(), 1u);
  EXPECT_EQ(packet(s.events[0]).ext_headers[0].kind, ExtHeaderSpec::Kind::kHopByHop);
  EXPECT_FALSE(packet(s.events[0]).ext_headers[0].unknown_option.has_value());
  const std::vector<ExtHeaderSpec>& two = packet(s.events[1]).ext_headers;
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].kind, ExtHeaderSpec::Kind::kHopByHop);
  EXPECT_EQ(two[1].kind, ExtHeaderSpec::Kind::kDestOpts);
  EXPECT_EQ(two[1].unknown_option, 0x80);
  EXPECT_EQ(tcp(s.events[1]).options.mss, 1440);
  EXPECT_EQ(packet(s.events[2]).ext_headers[0].kind, ExtHeaderSpec::Kind::kDestOpts);
  EXPECT_EQ(packet(s.events[2]).frag->size, 8u);

  EXPECT_EQ(parse_error("0 < [hbh] S 0:0(0) win 1\n"),
            "t.pkt:1: IPv6 extension headers in an IPv4 script");
  EXPECT_EQ(parse_error("// flags: --ip_version=ipv6\n0 < [dstopt,hbh] S 0:0(0) win 1\n"),
            "t.pkt:2: 'hbh' must come first (RFC 8200 §4.1)");
  EXPECT_EQ(parse_error("// flags: --ip_version=ipv6\n0 < [dstopt unknown=1] S 0:0(0) win 1\n"),
            "t.pkt:2: 'unknown=' needs an option type 0x02..0xff");
  EXPECT_EQ(parse_error("// flags: --ip_version=ipv6\n0 < [dstopt,routing] S 0:0(0) win 1\n"),
            "t.pkt:2: unsupported: extension header 'routing' (hbh, dstopt)");
  EXPECT_EQ(parse_error("// flags: --ip_version=ipv6\n0 > [hbh] S. 0:0(0) ack 1\n"),
            "t.pkt:2: unsupported: extension headers on an expected ('>') packet");
}

// An expected ICMP error: type and, when written, code; no quote, no mtu.
TEST(ScriptPackets, ExpectedIcmpErrors) {
  Script s = parse_ok(
      "// flags: --ip_version=ipv6\n"
      "0 > icmp6 parameter_problem unknown_option\n"
      "+0 > icmp6 parameter_problem\n"
      "+0 > icmp unreachable port_unreachable\n");
  EXPECT_EQ(icmp(s.events[0]).type, 4);
  EXPECT_EQ(icmp(s.events[0]).code, 2);
  EXPECT_FALSE(icmp(s.events[0]).any_code);
  EXPECT_TRUE(icmp(s.events[1]).any_code);
  EXPECT_EQ(icmp(s.events[2]).type, 1);
  EXPECT_EQ(icmp(s.events[2]).code, 4);
  Script v4 = parse_ok("0 > icmp parameter_problem\n");
  EXPECT_EQ(icmp(v4.events[0]).type, 12);

  EXPECT_EQ(parse_error("// flags: --ip_version=ipv6\n0 < icmp6 parameter_problem\n"),
            "t.pkt:2: unsupported: ICMPv6 type 'parameter_problem' (unreachable, "
            "packet_too_big, time_exceeded)");
  EXPECT_EQ(parse_error("0 > icmp unreachable frag_needed mtu 1200\n"),
            "t.pkt:1: unsupported: 'mtu' on an expected ('>') ICMP line");
}

TEST(ScriptPackets, Errors) {
  EXPECT_EQ(parse_error("0 < S 0:0(0)\n"),
            "t.pkt:1: an inbound packet needs 'win N' (packetdrill)");
  EXPECT_EQ(parse_error("0 > P. 1:11(9) ack 1\n"),
            "t.pkt:1: inconsistent sequence numbers and length: 1:11(9)");
  EXPECT_EQ(parse_error("0 < S 0:0(0) win 1 <...>\n"),
            "t.pkt:1: '<...>' (any options) is only for expected ('>') packets");
  EXPECT_EQ(parse_error("0 > Q 0:0(0)\n"), "t.pkt:1: unknown TCP flag 'Q' in 'Q'");
  EXPECT_EQ(parse_error("0 > S 0:0(0) win 70000\n"), "t.pkt:1: win 70000 does not fit 16 bits");
}

TEST(ScriptSyscalls, EveryCallWithItsArguments) {
  Script s = parse_ok(
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
      "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n"
      "+0 bind(3, ..., ...) = 0\n"
      "+0 listen(3, 1) = 0\n"
      "+0 accept(3, ..., ...) = 4\n"
      "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
      "+0 write(4, ..., 1000) = 1000\n"
      "+0 read(4, ..., 100) = 100\n"
      "+0 send(4, ..., 10, 0) = 10\n"
      "+0 recv(4, ..., 10, 0) = -1 EAGAIN (Resource temporarily unavailable)\n"
      "+0 sendto(3, ..., 10, 0, ..., ...) = 10\n"
      "+0 recvfrom(3, ..., 10, 0, ..., ...) = 10\n"
      "+0 shutdown(4, SHUT_WR) = 0\n"
      "+0 close(4) = 0\n"
      "+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)\n"
      "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
      "+0 socket(AF_INET6, SOCK_DGRAM, 0) = 5\n");
  ASSERT_EQ(s.events.size(), 18u);
  EXPECT_EQ(call(s.events[0]).name, "socket");
  EXPECT_EQ(call(s.events[0]).args[0].kind, SyscallArg::Kind::kEllipsis);
  EXPECT_EQ(call(s.events[0]).args[1].value, SOCK_STREAM);
  EXPECT_EQ(call(s.events[0]).expected, 3);
  EXPECT_EQ(call(s.events[1]).args[3].kind, SyscallArg::Kind::kList);
  EXPECT_EQ(call(s.events[1]).args[3].value, 1);
  EXPECT_EQ(call(s.events[6]).expected, -1);
  EXPECT_EQ(call(s.events[6]).expected_errno, EINPROGRESS);
  EXPECT_EQ(call(s.events[6]).text,
            "connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)");
  EXPECT_EQ(call(s.events[10]).expected_errno, EAGAIN);
  EXPECT_EQ(call(s.events[13]).args[1].value, SHUT_WR);
  EXPECT_EQ(call(s.events[15]).expected, O_RDWR);
  EXPECT_EQ(call(s.events[16]).args[2].value, O_RDWR | O_NONBLOCK);
  EXPECT_EQ(call(s.events[17]).args[0].value, AF_INET6);
}

TEST(ScriptSyscalls, CallOverSeveralLines) {
  Script s =
      parse_ok("0 setsockopt(3, SOL_SOCKET,\n    SO_REUSEADDR, [1], 4) = 0\n+0 close(3) = 0\n");
  ASSERT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.events[1].line, 3);
}

TEST(ScriptSyscalls, Errors) {
  EXPECT_EQ(parse_error("0 listen(3) = 0\n"), "t.pkt:1: listen(): expected 2 arguments, got 1");
  EXPECT_EQ(parse_error("0 close(3)\n"), "t.pkt:1: close() needs its expected result: '= N'");
  EXPECT_EQ(parse_error("0 close(3) = 0 EBADF\n"), "t.pkt:1: an errno goes with '= -1'");
  EXPECT_EQ(parse_error("0 getsockopt(3, SOL_SOCKET, SO_ERROR, 0, [4]) = 0\n"),
            "t.pkt:1: getsockopt(): the expected value is written [N]");
}

TEST(ScriptFlags, Ipv6FromTheFirstLineOrTheOptions) {
  EXPECT_EQ(
      parse_ok("// flags: --ip_version=ipv6 --tolerance_usecs=10000\n0 close(3) = 0\n").ip_version,
      IpVersion::kV6);
  EXPECT_EQ(parse_ok("// flags: --tolerance_usecs=10000\n").tolerance, Duration::millis(10));
  EXPECT_EQ(parse_ok("0 close(3) = 0\n").ip_version, IpVersion::kV4);
  EXPECT_EQ(parse_ok("0 close(3) = 0\n", {.ip_version = IpVersion::kV6}).ip_version,
            IpVersion::kV6);
  EXPECT_EQ(parse_error("// flags: --mss=1000\n"), "t.pkt:1: unsupported: flag --mss=1000");
}

// packetdrill's own form: flag lines before the first event.
TEST(ScriptFlags, FlagLinesBeforeTheFirstEvent) {
  Script s = parse_ok(
      "// A test.\n"
      "--tolerance_usecs=10000\n"
      "--local_ip=192.168.0.2 --remote_ip=192.0.2.1\n"
      "--ip_version=ipv6\n"
      "0 close(3) = 0\n");
  EXPECT_EQ(s.tolerance, Duration::millis(10));
  EXPECT_EQ(s.ip_version, IpVersion::kV6);
  EXPECT_FALSE(s.strict_segments);
  EXPECT_TRUE(parse_ok("--strict_segments\n").strict_segments);
  EXPECT_EQ(parse_ok("--ip_version=ipv6\n", {.ip_version = IpVersion::kV4}).ip_version,
            IpVersion::kV4);
  EXPECT_EQ(parse_error("\n--tcp_ts_tick_usecs=1000\n"),
            "t.pkt:2: unsupported: flag --tcp_ts_tick_usecs=1000");
  EXPECT_EQ(parse_error("0 close(3) = 0\n--tolerance_usecs=1\n"),
            "t.pkt:2: flags go before the first event");
  EXPECT_EQ(parse_error("--local_ip=nonsense\n"), "t.pkt:1: bad address 'nonsense'");
}

// packetdrill scripts write "+.1" for "+0.1".
TEST(ScriptTimes, FractionWithoutLeadingZero) {
  EXPECT_EQ(parse_ok("0 close(3) = 0\n+.1 close(3) = 0\n").events[1].time.start,
            Duration::millis(100));
}

// Each construct outside the subset is refused on its own line, never skipped.
TEST(ScriptRefusals, EachNamesItsLineAndConstruct) {
  struct Case {
    const char* line;
    const char* error;
  };
  const Case cases[] = {
      {"`sysctl -q net.ipv4.tcp_timestamps=0`",
       "unsupported: shell command `sysctl -q "
       "net.ipv4.tcp_timestamps=0`"},
      {"+0 `echo hi`", "unsupported: shell command `echo hi`"},
      {"0 %{ print tcpi_rto }%", "unsupported: python block %{ }%"},
      {"0 sendmsg(4, {msg_name(...)=...}, 0) = 10", "unsupported: syscall sendmsg"},
      {"0 poll([{fd=4, events=POLLIN}], 1, 0) = 1", "unsupported: syscall poll"},
      {"0 epoll_create(1) = 5", "unsupported: syscall epoll_create"},
      {"0 ioctl(4, SIOCINQ, [0]) = 0", "unsupported: syscall ioctl"},
      {"0 > icmp unreachable port_unreachable [udp (10)]",
       "unsupported: a quote on an expected ('>') ICMP line"},
      {"0 < icmp echo_request",
       "unsupported: ICMP type 'echo_request' (unreachable, time_exceeded)"},
      {"0 < icmp unreachable frag_needed id 5", "unsupported: 'id' in an ICMP packet line"},
      {"0 < icmp unreachable [raw (8)]",
       "unsupported: quoted packet '[raw (8)]' (only '[seq:end(len)]' and '[udp (LEN)]')"},
      {"0 < igmp query", "unsupported: igmp packet lines"},
      {"0 < [ect0] S 0:0(0) win 100", "unsupported: IP-level packet fields (ECN, flow label, ...)"},
      {"0...0.2 accept(3, ..., ...) = 4", "unsupported: blocking syscall time range 'A...B'"},
      {"* > . 1:1(0) ack 1", "unsupported: '*' (any time) event times"},
      {"0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=1}, 256) = 0",
       "unsupported: constant TCP_INFO"},
      {"0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0",
       "unsupported: constant SO_LINGER"},
      {"0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, {onoff=1}, 8) = 0",
       "unsupported: struct argument {onoff=1}"},
      {"0 write(4, \"hello\", 5) = 5",
       "unsupported: literal argument \"hello\" of write() (addresses and buffers are written "
       "'...')"},
      {"0 fcntl(3, F_GETFD) = 0", "unsupported: constant F_GETFD"},
      {"0 send(4, ..., 10, MSG_ZEROCOPY) = 10", "unsupported: constant MSG_ZEROCOPY"},
      {"0 send(4, ..., 10, 64) = 10", "unsupported: send() flags 64 (0 or MSG_OOB)"},
      {"0 < S 0:0(0) win 100 <FO abcd>", "unsupported: TCP option 'FO abcd'"},
      {"0 < S 0:0(0) win 100 <md5 000102>", "unsupported: TCP option 'md5 000102'"},
      {"0 connect(3, {sa_family=AF_INET}, 16) = 0",
       "unsupported: literal argument {sa_family=AF_INET} of connect() (addresses and buffers "
       "are written '...')"},
      {"0 close(3) = -1 ENOBUFS", "unsupported: errno ENOBUFS"},
  };
  for (const Case& c : cases) {
    std::string script = "0 close(9) = 0\n\n" + std::string(c.line) + "\n+0 close(9) = 0\n";
    EXPECT_EQ(parse_error(script), std::string("t.pkt:3: ") + c.error) << c.line;
  }
}

}  // namespace
}  // namespace ustack::scenario
