// The runner against ustack in virtual time (UstackSut): small real scripts that pass, and
// the messages of those that do not, each naming its line.
#include "pcap_tests/scenario/runner.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "pcap_tests/scenario/script.h"
#include "pcap_tests/scenario/ustack_sut.h"

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

TEST(RunnerUstack, Ipv6FromTheRunnerOption) {
  RunResult r = run(std::string(kListen) +
                        "0.1 < S 0:0(0) win 65535 <mss 1440>\n"
                        "+0 > S. 0:0(0) ack 1 win 65535 <mss 1440>\n",
                    {}, {.ip_version = IpVersion::kV6});
  EXPECT_TRUE(r.passed) << all(r);
  ASSERT_FALSE(r.capture.empty());
  EXPECT_EQ(r.capture[0].ip[0] >> 4, 6);
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
