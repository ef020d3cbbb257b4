// Congestion control seen on the wire and through the socket options: the IW10 first flight
// (RFC 6928), CUBIC as the default (Linux) with its β on a fast retransmit (RFC 9438 §4.6),
// and the algorithm chosen per stack (TcpConfig::congestion) and per socket (TCP_CONGESTION).
#include <gtest/gtest.h>

#include <string>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

TcpSocketOptions with(CongestionAlgorithm a) {
  TcpSocketOptions o;
  o.congestion = a;
  return o;
}

// RFC 6928 §2: the first flight is min(10*MSS, max(2*MSS, 14600)) bytes = 10 full segments of
// 1448 bytes (MSS 1460 less the timestamp option), as Linux sends; the 11th waits for an ACK.
TEST(TcpCongestion, FirstFlightIsTenSegments) {
  for (CongestionAlgorithm a : {CongestionAlgorithm::kCubic, CongestionAlgorithm::kNewReno}) {
    TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), with(a));
    t.send(std::string(20 * 1448, 'x'));
    for (int i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1448).len(1448).ack(1001));
    t.expect_nothing();
    EXPECT_EQ(t.layer().stats(t.conn())->cwnd, 14480u) << to_string(a);
    // One ACK of two segments: slow start opens the window by two segments, four go out.
    t.at(20_ms).inject(seg().seq(1001).ack(1 + 2 * 1448).ts(110, _));
    for (int i = 10; i < 14; ++i) t.expect(seg().seq(1 + i * 1448).len(1448).ack(1001));
    t.expect_nothing();
  }
}

// Without timestamps the segments are a full MSS of 1460 and the window 14600 bytes.
TEST(TcpCongestion, FirstFlightWithoutTimestampsIs14600Bytes) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, false);
  t.send(std::string(20 * 1460, 'x'));
  for (int i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  t.expect_nothing();
  EXPECT_EQ(t.layer().stats(t.conn())->cwnd, 14600u);
}

// Linux's default: CUBIC. On a fast retransmit ssthresh = 0.7 * cwnd (RFC 9438 §4.6), then
// cwnd = ssthresh + 3 MSS for the three duplicate ACKs (RFC 6582 §3.2 step 2).
TEST(TcpCongestion, CubicIsDefaultAndReducesByBetaOnFastRetransmit) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, false);
  EXPECT_STREQ(t.layer().stats(t.conn())->congestion, "cubic");
  EXPECT_EQ(t.layer().options(t.conn())->congestion, CongestionAlgorithm::kCubic);
  t.send(std::string(6 * 1460, 'x'));
  for (int i = 0; i < 6; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  t.at(10_ms).inject(seg().ack(1461).seq(1001));  // cwnd 14600 + 1460 = 16060
  for (int i = 0; i < 3; ++i) t.inject(seg().ack(1461).seq(1001));
  t.expect(seg().seq(1461).len(1460).ack(1001));
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.retrans_fast, 1u);
  EXPECT_EQ(st.ssthresh, 11242u);  // 16060 * 0.7
  EXPECT_EQ(st.cwnd, 11242u + 3 * 1460);
}

// TcpConfig::congestion picks the stack's default (net.ipv4.tcp_congestion_control).
TEST(TcpCongestion, StackDefaultIsConfigurable) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.tcp.congestion = CongestionAlgorithm::kNewReno;
  TcpTestbed t = TcpTestbed::established(cfg);
  EXPECT_STREQ(t.layer().stats(t.conn())->congestion, "reno");
  EXPECT_EQ(t.layer().options(t.conn())->congestion, CongestionAlgorithm::kNewReno);
}

// TCP_CONGESTION on a listener is inherited by the connections it accepts.
TEST(TcpCongestion, ListenerOptionChoosesAlgorithmOfAcceptedSockets) {
  TcpTestbed t =
      TcpTestbed::established(TcpTestbed::default_config(), with(CongestionAlgorithm::kNewReno));
  EXPECT_STREQ(t.layer().stats(t.conn())->congestion, "reno");
}

// Linux tcp_set_congestion_control on an established socket: the new algorithm takes over
// the current window (tcp_reinit_congestion_control) and getsockopt reports it.
TEST(TcpCongestion, SwitchingLiveConnectionKeepsWindow) {
  TcpTestbed t = TcpTestbed::established();
  t.send(std::string(4 * 1448, 'x'));
  for (int i = 0; i < 4; ++i) t.expect(seg().seq(1 + i * 1448).len(1448).ack(1001));
  t.at(20_ms).inject(seg().seq(1001).ack(1 + 4 * 1448).ts(110, _));
  std::uint32_t cwnd = t.layer().stats(t.conn())->cwnd;
  EXPECT_EQ(cwnd, 14480u + 4 * 1448);  // slow start: all 4 acked segments (RFC 9406 L = 8)
  EXPECT_EQ(t.layer().set_options(t.conn(), with(CongestionAlgorithm::kNewReno)), std::nullopt);
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_STREQ(st.congestion, "reno");
  EXPECT_EQ(st.cwnd, cwnd);
  EXPECT_EQ(t.layer().options(t.conn())->congestion, CongestionAlgorithm::kNewReno);
  EXPECT_EQ(t.layer().set_options(t.conn(), with(CongestionAlgorithm::kCubic)), std::nullopt);
  EXPECT_STREQ(t.layer().stats(t.conn())->congestion, "cubic");
  EXPECT_EQ(t.layer().stats(t.conn())->cwnd, cwnd);
}

// The names setsockopt(TCP_CONGESTION) takes, as Linux registers them.
TEST(TcpCongestion, AlgorithmNames) {
  EXPECT_EQ(congestion_algorithm_from_name("cubic"), CongestionAlgorithm::kCubic);
  EXPECT_EQ(congestion_algorithm_from_name("reno"), CongestionAlgorithm::kNewReno);
  EXPECT_EQ(congestion_algorithm_from_name("bbr"), std::nullopt);
  EXPECT_EQ(congestion_algorithm_from_name("CUBIC"), std::nullopt);
  EXPECT_STREQ(to_string(CongestionAlgorithm::kCubic), "cubic");
  EXPECT_STREQ(to_string(CongestionAlgorithm::kNewReno), "reno");
}

}  // namespace
}  // namespace ustack::testing
