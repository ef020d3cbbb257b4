// The runner against ustack in virtual time (UstackSut): small real scripts that pass, and
// the messages of those that do not, each naming its line.
#include "pcap_tests/scenario/runner.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "pcap_tests/scenario/script.h"
#include "pcap_tests/scenario/ustack_sut.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/tcp.h"

namespace ustack::scenario {
namespace {

RunResult run(std::string_view text, RunOptions opts = {}, ScriptOptions script_opts = {}) {
  ParseOutcome p = parse_script(text, "t.pkt", script_opts);
  EXPECT_TRUE(p.script.has_value()) << p.error;
  if (!p.script) return {};
  UstackSut sut;
  return run_script(*p.script, sut, opts);
}

std::string all(const RunResult& r) {
  std::string s;
  for (const std::string& m : r.messages) s += m + "\n";
  return s;
}

// A listener on the bound port (packetdrill's 8080), the peer's SYN without options.
constexpr std::string_view kListen =
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0 bind(3, ..., ...) = 0\n"
    "+0 listen(3, 1) = 0\n";

// RFC 9293 §3.5: SYN, SYN-ACK, ACK; data both ways; our FIN first, then the peer's.
TEST(RunnerUstack, PassiveOpenWithDataAndClose) {
  RunResult r = run(std::string(kListen) +
                    "0.1 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n"
                    "+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 5 ecr 100,nop,wscale "
                    "3>\n"
                    "+0.1 < . 1:1(0) ack 1 win 257 <nop,nop,TS val 200 ecr 5>\n"
                    "+0 accept(3, ..., ...) = 4\n"
                    "+0 < P. 1:11(10) ack 1 win 257 <nop,nop,TS val 210 ecr 5>\n"
                    "+0 > . 1:1(0) ack 11 <nop,nop,TS val 105 ecr 210>\n"
                    "+0 read(4, ..., 100) = 10\n"
                    "+0 write(4, ..., 1000) = 1000\n"
                    "+0 > P. 1:1001(1000) ack 11 <...>\n"
                    "+0.1 < . 11:11(0) ack 1001 win 257 <nop,nop,TS val 300 ecr 105>\n"
                    "+0 close(4) = 0\n"
                    "+0 > F. 1001:1001(0) ack 11 <...>\n"
                    "+0.1 < F. 11:11(0) ack 1002 win 257 <nop,nop,TS val 400 ecr 205>\n"
                    "+0 > . 1002:1002(0) ack 12 <...>\n");
  EXPECT_TRUE(r.passed) << all(r);
  ASSERT_EQ(r.capture.size(), 10u);
  EXPECT_FALSE(r.capture[0].outbound);
  EXPECT_TRUE(r.capture[1].outbound);
  EXPECT_EQ(r.capture[1].at - Instant::zero(), Duration::millis(100));
}

// A non-blocking connect (RFC 9293 §3.5 from the active side): EINPROGRESS, then SO_ERROR 0
// once the handshake is done; the SUT's ephemeral port is learned from its SYN.
TEST(RunnerUstack, ActiveOpenNonBlockingConnect) {
  RunResult r =
      run("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
          "+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)\n"
          "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
          "+0 fcntl(3, F_GETFL) = O_RDWR|O_NONBLOCK\n"
          "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
          "+0 > S 0:0(0) <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 3>\n"
          "+0.01 < S. 0:0(0) ack 1 win 65535 <mss 1000,nop,nop,sackOK,nop,wscale 7>\n"
          "+0 > . 1:1(0) ack 1 win 32768\n"
          "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n"
          "+0 write(3, ..., 10) = 10\n"
          "+0 > P. 1:11(10) ack 1\n");
  EXPECT_TRUE(r.passed) << all(r);
}

TEST(RunnerUstack, MismatchNamesTheLineAndWhatDiffers) {
  RunResult r = run(std::string(kListen) +
                    "0.1 < S 0:0(0) win 65535 <mss 1460>\n"
                    "+0 > S. 0:0(0) ack 1 win 64240 <...>\n");
  ASSERT_FALSE(r.passed);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0],
            "t.pkt:5: expected S. 0:0(0) ack 1 win 64240 <...>, got S. 0:0(0) ack 1 win 65535 "
            "<mss 1460> (differs: win) at 0.100 s");
}

TEST(RunnerUstack, StopsAtTheFirstFailureUnlessKeepGoing) {
  std::string script = std::string(kListen) +
                       "0.1 < S 0:0(0) win 65535\n"
                       "+0 > S. 0:0(0) ack 2 <mss 1460>\n"
                       "+0 close(9) = 0\n";
  EXPECT_EQ(run(script).messages.size(), 1u);
  RunResult r = run(script, {.keep_going = true});
  ASSERT_EQ(r.messages.size(), 2u) << all(r);
  EXPECT_EQ(r.messages[0],
            "t.pkt:5: expected S. 0:0(0) ack 2 <mss 1460>, got S. 0:0(0) ack 1 win 65535 <mss "
            "1460> (differs: ack) at 0.100 s");
  EXPECT_EQ(r.messages[1], "t.pkt:6: close(9) = 0: got -1 EBADF");
}

TEST(RunnerUstack, NothingSentByTheDeadline) {
  RunResult r = run(std::string(kListen) + "0.2 > S. 0:0(0) ack 1 <...>\n");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0], "t.pkt:4: expected S. 0:0(0) ack 1 <...>, got nothing by 0.204 s");
}

// The SYN-ACK goes out at 0.1 s; the script expects it at 0.3 s.
TEST(RunnerUstack, PacketTooEarly) {
  RunResult r = run(std::string(kListen) +
                    "0.1 < S 0:0(0) win 65535\n"
                    "0.3 > S. 0:0(0) ack 1 <...>\n");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0],
            "t.pkt:5: S. 0:0(0) ack 1 <...> came at 0.100 s, expected at 0.300 s (tolerance "
            "4000 us)");
}

// RFC 6298 §5.5 / Linux: the SYN-ACK is retransmitted after 1 s; a range takes it.
TEST(RunnerUstack, TimeRangeAndRelativeTimes) {
  RunResult r = run(std::string(kListen) +
                    "0.1 < S 0:0(0) win 65535\n"
                    "+0 > S. 0:0(0) ack 1 <...>\n"
                    "+0.9~+1.1 > S. 0:0(0) ack 1 <...>\n");
  EXPECT_TRUE(r.passed) << all(r);
}

TEST(RunnerUstack, BlockingCallThatWouldBlockSaysSo) {
  RunResult r = run(std::string(kListen) + "+0 accept(3, ..., ...) = 4\n");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0],
            "t.pkt:4: accept(3, ..., ...) = 4: got -1 EAGAIN (the socket is blocking and the "
            "call would block: blocking calls 'A...B' are not supported; make it non-blocking "
            "with fcntl, or call it once the result is there)");
}

TEST(RunnerUstack, InboundAckBeforeTheSutsIsnIsAnError) {
  RunResult r = run(std::string(kListen) + "0.1 < . 1:1(0) ack 1 win 100\n");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0],
            "t.pkt:4: . 1:1(0) ack 1 win 100: cannot acknowledge the SUT's data before its SYN "
            "or SYN-ACK showed its ISN");
}

// packetdrill's default (no --strict_segments): one expected 3000-byte segment, as a script
// written for a TSO device says it, matches the three 1000-byte segments (the peer's MSS)
// that carry it.
TEST(RunnerUstack, SegmentSplitIntoMssPiecesMatchesUnlessStrict) {
  std::string script = std::string(kListen) +
                       "0.1 < S 0:0(0) win 65535 <mss 1000>\n"
                       "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
                       "+0 < . 1:1(0) ack 1 win 65535\n"
                       "+0 accept(3, ..., ...) = 4\n"
                       "+0 write(4, ..., 3000) = 3000\n"
                       "+0 > P. 1:3001(3000) ack 1\n"
                       "+0 < . 1:1(0) ack 3001 win 65535\n"
                       "+0 write(4, ..., 10) = 10\n"
                       "+0 > P. 3001:3011(10) ack 1\n";
  RunResult r = run(script);
  EXPECT_TRUE(r.passed) << all(r);
  r = run("--strict_segments\n" + script);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0],
            "t.pkt:10: expected P. 1:3001(3000) ack 1, got . 1:1001(1000) ack 1 win 65535 "
            "(differs: flags, len) at 0.100 s");
}

// A wrong total is reported on the aggregate, saying how many segments made it.
TEST(RunnerUstack, SplitSegmentMismatchNamesThePieces) {
  RunResult r = run(std::string(kListen) +
                    "0.1 < S 0:0(0) win 65535 <mss 1000>\n"
                    "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
                    "+0 < . 1:1(0) ack 1 win 65535\n"
                    "+0 accept(3, ..., ...) = 4\n"
                    "+0 write(4, ..., 2500) = 2500\n"
                    "+0 > P. 1:2501(2500) ack 7\n");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0],
            "t.pkt:9: expected P. 1:2501(2500) ack 7, got P. 1:2501(2500) ack 1 win 65535 in 3 "
            "segments (differs: ack) at 0.100 s");
}

// RFC 768: a datagram each way on a bound socket.
TEST(RunnerUstack, UdpSendAndReceive) {
  RunResult r =
      run("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"
          "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
          "+0 bind(3, ..., ...) = 0\n"
          "+0 recvfrom(3, ..., 1000, 0, ..., ...) = -1 EAGAIN\n"
          "+0.1 < udp (100)\n"
          "+0 recvfrom(3, ..., 1000, 0, ..., ...) = 100\n"
          "+0 sendto(3, ..., 20, 0, ..., ...) = 20\n"
          "+0 > udp (20)\n");
  EXPECT_TRUE(r.passed) << all(r);
  ASSERT_EQ(r.capture.size(), 2u);
}

TEST(RunnerUstack, UdpLengthMismatch) {
  RunResult r =
      run("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"
          "+0 bind(3, ..., ...) = 0\n"
          "+0 sendto(3, ..., 20, 0, ..., ...) = 20\n"
          "+0 > udp (21)\n");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0], "t.pkt:4: expected udp (21), got udp (20) at 0.000 s");
}

// A passive open without options, then two full segments in flight.
constexpr std::string_view kTwoSegmentsInFlight =
    "0.1 < S 0:0(0) win 65535 <mss 1460>\n"
    "+0 > S. 0:0(0) ack 1 <mss 1460>\n"
    "+0.01 < . 1:1(0) ack 1 win 65535\n"
    "+0 accept(3, ..., ...) = 4\n"
    "+0 write(4, ..., 2920) = 2920\n"
    "+0 > . 1:1461(1460) ack 1\n"
    "+0 > P. 1461:2921(1460) ack 1\n";

// RFC 1191 §6.1: a "fragmentation needed" quoting the first segment in flight, from the peer's
// address, lowers the MSS (1200 - 40) and the data is sent again at once in pieces that fit.
// The injected error is checked byte by byte: RFC 792's quote of the SUT's own packet, its
// ports and the sequence number of the segment the script names.
TEST(RunnerUstack, IcmpFragNeededQuotesTheSutsSegment) {
  RunResult r = run(std::string(kListen) + std::string(kTwoSegmentsInFlight) +
                    "+0.01 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n"
                    "+0 > . 1:1161(1160) ack 1\n"
                    "+0 > . 1161:2321(1160) ack 1\n"
                    "+0 > P. 2321:2921(600) ack 1\n");
  EXPECT_TRUE(r.passed) << all(r);
  const replay::TimedPacket* injected = nullptr;
  const replay::TimedPacket* synack = nullptr;
  for (const replay::TimedPacket& p : r.capture) {
    auto ip = Ipv4Repr::parse(p.ip);
    ASSERT_TRUE(ip.ok());
    if (ip->protocol == IpProto::kIcmp) injected = &p;
    if (p.outbound && synack == nullptr) synack = &p;
  }
  ASSERT_NE(injected, nullptr);
  ASSERT_NE(synack, nullptr);
  auto outer = Ipv4Repr::parse(injected->ip);
  EXPECT_EQ(outer->src, *Ipv4Addr::parse("198.18.0.1"));  // the peer acts as the router
  EXPECT_EQ(outer->dst, *Ipv4Addr::parse("198.18.0.2"));
  auto icmp = Icmpv4Repr::parse(outer->payload);  // the checksum verifies
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, Icmpv4Type::kDestUnreachable);
  EXPECT_EQ(icmp->code, 4);
  EXPECT_EQ(icmp->next_hop_mtu, 1200);
  auto quote = icmp->quote();
  ASSERT_TRUE(quote.ok());
  EXPECT_EQ(quote->src, *Ipv4Addr::parse("198.18.0.2"));
  EXPECT_EQ(quote->dst, *Ipv4Addr::parse("198.18.0.1"));
  EXPECT_EQ(quote->proto, IpProto::kTcp);
  EXPECT_EQ(quote->total_len, 20 + 20 + 1460);
  ASSERT_EQ(quote->transport.size(), 8u);
  auto sut_ip = Ipv4Repr::parse(synack->ip);
  auto sut_tcp = TcpRepr::parse(sut_ip->payload, IpAddr(sut_ip->src), IpAddr(sut_ip->dst));
  ASSERT_TRUE(sut_tcp.ok());
  EXPECT_EQ(load_be16(quote->transport, 0), sut_tcp->src_port);
  EXPECT_EQ(load_be16(quote->transport, 2), 8080);
  EXPECT_EQ(load_be32(quote->transport, 4), sut_tcp->seq.raw() + 1);  // script seq 1
}

// RFC 8201 §4 / RFC 4443 §3.2 over IPv6: the MSS drops to 1280 - 60.
TEST(RunnerUstack, Icmp6PacketTooBig) {
  RunResult r = run(std::string(kListen) +
                        "0.1 < S 0:0(0) win 65535 <mss 1440>\n"
                        "+0 > S. 0:0(0) ack 1 <mss 1440>\n"
                        "+0.01 < . 1:1(0) ack 1 win 65535\n"
                        "+0 accept(3, ..., ...) = 4\n"
                        "+0 write(4, ..., 2880) = 2880\n"
                        "+0 > . 1:1441(1440) ack 1\n"
                        "+0 > P. 1441:2881(1440) ack 1\n"
                        "+0.01 < icmp6 packet_too_big mtu 1280 [1:1441(1440)]\n"
                        "+0 > . 1:1221(1220) ack 1\n"
                        "+0 > . 1221:2441(1220) ack 1\n"
                        "+0 > P. 2441:2881(440) ack 1\n",
                    {}, {.ip_version = IpVersion::kV6});
  EXPECT_TRUE(r.passed) << all(r);
}

// RFC 1122 §4.1.3.3: a port unreachable quoting a connected UDP socket's datagram is the
// next receive's ECONNREFUSED, reported once.
TEST(RunnerUstack, IcmpPortUnreachableToConnectedUdp) {
  for (IpVersion v : {IpVersion::kV4, IpVersion::kV6}) {
    RunResult r =
        run("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"
            "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
            "+0 connect(3, ..., ...) = 0\n"
            "+0 write(3, ..., 100) = 100\n"
            "+0 > udp (100)\n"
            "+0.01 < icmp unreachable port_unreachable [udp (100)]\n"
            "+0 read(3, ..., 1000) = -1 ECONNREFUSED (Connection refused)\n"
            "+0 read(3, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)\n",
            {}, {.ip_version = v});
    EXPECT_TRUE(r.passed) << all(r);
  }
}

TEST(RunnerUstack, IcmpQuotingTcpBeforeTheSutsIsnIsAnError) {
  RunResult r = run(std::string(kListen) + "0.1 < icmp unreachable host_unreachable [1:1(0)]\n");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0],
            "t.pkt:4: icmp unreachable host_unreachable [1:1(0)]: cannot quote the SUT's TCP "
            "segment before its SYN or SYN-ACK showed its ISN");
}

TEST(RunnerUstack, Ipv6FromTheRunnerOption) {
  RunResult r = run(std::string(kListen) +
                        "0.1 < S 0:0(0) win 65535 <mss 1440>\n"
                        "+0 > S. 0:0(0) ack 1 win 65535 <mss 1440>\n",
                    {}, {.ip_version = IpVersion::kV6});
  EXPECT_TRUE(r.passed) << all(r);
  ASSERT_FALSE(r.capture.empty());
  EXPECT_EQ(r.capture[0].ip[0] >> 4, 6);
}

constexpr std::string_view kUdpBound =
    "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n"
    "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
    "+0 bind(3, ..., ...) = 0\n";

// Our `frag N`: three IPv4 fragments of one datagram (RFC 791 §3.2: same Identification, the
// line number; offsets in 8-octet units; MF on all but the last; DF clear), which ustack
// reassembles; its 3000-byte answer leaves in fragments on the 1500-byte link and `> udp
// (3000)` matches the datagram they make.
TEST(RunnerUstack, UdpInIpv4FragmentsBothWays) {
  RunResult r = run(std::string(kUdpBound) +
                    "0.1 < udp (3000) frag 1480\n"
                    "+0 recvfrom(3, ..., 4000, 0, ..., ...) = 3000\n"
                    "+0 sendto(3, ..., 3000, 0, ..., ...) = 3000\n"
                    "+0 > udp (3000)\n");
  EXPECT_TRUE(r.passed) << all(r);
  ASSERT_EQ(r.capture.size(), 6u);
  const std::size_t offsets[] = {0, 1480, 2960};
  const std::size_t lengths[] = {1480, 1480, 3008 - 2960};  // UDP header + 3000 bytes
  for (std::size_t i = 0; i < 3; ++i) {
    auto ip = Ipv4Repr::parse(r.capture[i].ip);
    ASSERT_TRUE(ip.ok());
    EXPECT_FALSE(r.capture[i].outbound);
    EXPECT_EQ(ip->ident, 4);  // the line number
    EXPECT_FALSE(ip->dont_frag);
    EXPECT_EQ(ip->more_frags, i < 2);
    EXPECT_EQ(ip->frag_offset_bytes(), offsets[i]);
    EXPECT_EQ(ip->payload.size(), lengths[i]);
  }
  for (std::size_t i = 3; i < 6; ++i) {
    EXPECT_TRUE(r.capture[i].outbound);
    auto ip = Ipv4Repr::parse(r.capture[i].ip);
    ASSERT_TRUE(ip.ok());
    EXPECT_TRUE(ip->is_fragment());
  }
}

// `frag N reverse` sends the last fragment first; `overlap K` starts each later fragment K
// octets early. Both over IPv6 with a Hop-by-Hop header, which stays in the unfragmentable
// part (RFC 8200 §4.5): fixed header -> HBH (0) -> Fragment (44) -> UDP (17).
TEST(RunnerUstack, Ipv6FragmentsReverseAndOverlapWithHopByHop) {
  RunResult r = run(std::string(kUdpBound) +
                        "0.1 < [hbh] udp (100) frag 64 reverse\n"
                        "+0 recvfrom(3, ..., 4000, 0, ..., ...) = 100\n"
                        "+0 < udp (100) frag 64 overlap 8\n",
                    {}, {.ip_version = IpVersion::kV6});
  EXPECT_TRUE(r.passed) << all(r);
  ASSERT_EQ(r.capture.size(), 4u);
  auto last_first = Ipv6Repr::parse(r.capture[0].ip);
  ASSERT_TRUE(last_first.ok());
  EXPECT_EQ(last_first->next_header, IpProto::kHopByHop);
  ASSERT_EQ(last_first->ext_headers().size(), 2u);
  EXPECT_EQ(last_first->ext_headers()[1].type, IpProto::kIpv6Frag);
  ASSERT_TRUE(last_first->frag.has_value());
  EXPECT_EQ(last_first->frag->next_header, IpProto::kUdp);
  EXPECT_EQ(last_first->frag->ident, 4u);
  EXPECT_FALSE(last_first->frag->more_frags);
  EXPECT_EQ(last_first->frag->frag_offset_bytes(), 64u);
  EXPECT_EQ(last_first->upper_payload.size(), 108u - 64u);
  auto first = Ipv6Repr::parse(r.capture[1].ip);
  ASSERT_TRUE(first.ok() && first->frag);
  EXPECT_EQ(first->frag->frag_offset_bytes(), 0u);
  EXPECT_TRUE(first->frag->more_frags);
  // Overlap: 0..64, then 56..108.
  auto second = Ipv6Repr::parse(r.capture[3].ip);
  ASSERT_TRUE(second.ok() && second->frag);
  EXPECT_EQ(second->frag->frag_offset_bytes(), 56u);
  EXPECT_EQ(second->upper_payload.size(), 108u - 56u);
}

// `[hbh,dstopt unknown=0x80]`: 8-octet headers of PadN, the last one holding the unknown
// option; its action bits 10 make ustack discard the SYN and send a Parameter Problem, code 2
// (RFC 8200 §4.2), which `> icmp6 parameter_problem unknown_option` expects. A wrong code is
// named.
TEST(RunnerUstack, ExtensionHeadersAndAnExpectedParameterProblem) {
  RunResult r = run(std::string(kListen) +
                        "0.1 < [hbh,dstopt unknown=0x80] S 0:0(0) win 65535 <mss 1440>\n"
                        "+0 > icmp6 parameter_problem unknown_option\n"
                        "+0.1 < [hbh,dstopt] S 0:0(0) win 65535 <mss 1440>\n"
                        "+0 > S. 0:0(0) ack 1 <mss 1440>\n",
                    {}, {.ip_version = IpVersion::kV6});
  EXPECT_TRUE(r.passed) << all(r);
  ASSERT_FALSE(r.capture.empty());
  auto syn = Ipv6Repr::parse(r.capture[0].ip);
  ASSERT_TRUE(syn.ok());
  ASSERT_EQ(syn->ext_headers().size(), 2u);
  EXPECT_EQ(syn->ext_headers()[0].type, IpProto::kHopByHop);
  EXPECT_EQ(syn->ext_headers()[1].type, IpProto::kIpv6Opts);
  EXPECT_EQ(syn->upper_proto, IpProto::kTcp);
  EXPECT_EQ(syn->upper_offset, 40u + 16u);

  RunResult wrong = run(std::string(kListen) +
                            "0.1 < [dstopt unknown=0x80] S 0:0(0) win 65535\n"
                            "+0 > icmp6 parameter_problem unknown_header\n",
                        {}, {.ip_version = IpVersion::kV6});
  ASSERT_EQ(wrong.messages.size(), 1u);
  EXPECT_EQ(wrong.messages[0],
            "t.pkt:5: expected icmp6 parameter_problem unknown_header, got ICMPv6 type 4 code 2 "
            "at 0.100 s");
}

// The example scripts under pcap_tests/scenarios/ that are written for ustack.
TEST(RunnerUstack, ExampleScriptsPass) {
  for (const char* name : {"tcp_passive_open.pkt", "tcp_passive_open_ipv6.pkt",
                           "tcp_active_open.pkt", "tcp_closed_port_rst.pkt", "udp_echo.pkt"}) {
    std::string path = std::string("pcap_tests/scenarios/") + name;
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::stringstream text;
    text << in.rdbuf();
    ParseOutcome p = parse_script(text.str(), path);
    ASSERT_TRUE(p.script) << p.error;
    UstackSut sut;
    RunResult r = run_script(*p.script, sut);
    EXPECT_TRUE(r.passed) << path << "\n" << all(r);
  }
}

// Same seed, same script: the same capture, byte for byte.
TEST(RunnerUstack, Deterministic) {
  std::string script = std::string(kListen) +
                       "0.1 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>\n"
                       "+0 > S. 0:0(0) ack 1 <...>\n";
  RunResult a = run(script);
  RunResult b = run(script);
  ASSERT_EQ(a.capture.size(), b.capture.size());
  for (std::size_t i = 0; i < a.capture.size(); ++i) EXPECT_EQ(a.capture[i].ip, b.capture[i].ip);
}

}  // namespace
}  // namespace ustack::scenario
