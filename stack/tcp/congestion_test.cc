// Congestion control seen on the wire and through the socket options: the IW10 first flight
// (RFC 6928), CUBIC as the default (Linux) with its β on a fast retransmit (RFC 9438 §4.6),
// and the algorithm chosen per stack (TcpConfig::congestion) and per socket (TCP_CONGESTION).
#include "stack/tcp/congestion.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

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
// cwnd = ssthresh + 3 MSS for the three duplicate ACKs (RFC 5681 §3.2 step 3).
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
  // Eight segments: a flight of at least half the window, so cwnd may grow (RFC 7661, Linux
  // tcp_is_cwnd_limited); four would leave the sender application-limited.
  t.send(std::string(8 * 1448, 'x'));
  for (int i = 0; i < 8; ++i) t.expect(seg().seq(1 + i * 1448).len(1448).ack(1001));
  t.at(20_ms).inject(seg().seq(1001).ack(1 + 8 * 1448).ts(110, _));
  std::uint32_t cwnd = t.layer().stats(t.conn())->cwnd;
  EXPECT_EQ(cwnd, 14480u + 8 * 1448);  // slow start: all 8 acked segments (RFC 9406 L = 8)
  EXPECT_EQ(t.layer().set_options(t.conn(), with(CongestionAlgorithm::kNewReno)), std::nullopt);
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_STREQ(st.congestion, "reno");
  EXPECT_EQ(st.cwnd, cwnd);
  EXPECT_EQ(t.layer().options(t.conn())->congestion, CongestionAlgorithm::kNewReno);
  EXPECT_EQ(t.layer().set_options(t.conn(), with(CongestionAlgorithm::kCubic)), std::nullopt);
  EXPECT_STREQ(t.layer().stats(t.conn())->congestion, "cubic");
  EXPECT_EQ(t.layer().stats(t.conn())->cwnd, cwnd);
}

// RFC 9406 through the connection: each ACK echoes the segment's TSval, so every ACK is an RTT
// sample (RFC 7323 §4). The path's RTT is 20 ms for three flights, then 30 ms: HyStart++ leaves
// slow start (CSS, then congestion avoidance with ssthresh = cwnd) with no loss at all.
// HyStart++'s rounds end at the SND.NXT of the previous round's end, which runs two ACKs ahead
// of the flights here (each ACK releases two new segments before the round is counted), so the
// first round whose samples are all 30 ms is the one of the fifth flight.
TEST(TcpCongestion, HyStartLeavesSlowStartOnDelayIncreaseWithoutLoss) {
  TcpSocketOptions big;
  big.send_buffer = 8 << 20;
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), big);
  t.send(std::string(4 << 20, 'x'));
  std::uint32_t peer_ts = 200;
  std::vector<std::uint32_t> cwnd_after;  // segments, after each flight is acknowledged
  std::vector<std::uint32_t> ssthresh_after;
  for (int flight_no = 0; flight_no < 10; ++flight_no) {
    std::vector<TcpTestbed::Seg> flight;
    while (auto s = t.pop()) flight.push_back(*s);
    ASSERT_FALSE(flight.empty()) << "flight " << flight_no;
    t.at(t.now() + (flight_no < 3 ? 20_ms : 30_ms));
    for (const TcpTestbed::Seg& s : flight) {
      std::uint32_t end = s.repr.seq.raw() + static_cast<std::uint32_t>(s.repr.payload.size());
      // Window 65535 << 7: the receiver never limits the flight.
      t.inject(seg()
                   .seq(1001)
                   .ack(end - t.iss())
                   .win(65535)
                   .ts(++peer_ts, s.repr.options.timestamps->val));
    }
    TcpStats st = *t.layer().stats(t.conn());
    cwnd_after.push_back(st.cwnd / 1448);
    ssthresh_after.push_back(st.ssthresh);
  }
  // Slow start doubles the window per flight while the RTT is flat, and one more flight.
  EXPECT_EQ(cwnd_after[0], 20u);
  EXPECT_EQ(cwnd_after[1], 40u);
  EXPECT_EQ(cwnd_after[2], 80u);
  EXPECT_GT(cwnd_after[3], 150u);
  // CSS: a quarter of slow start's growth, about x1.25 per flight.
  for (int i = 4; i < 8; ++i) {
    EXPECT_LT(cwnd_after[i], cwnd_after[i - 1] * 13 / 10) << "flight " << i;
    EXPECT_EQ(ssthresh_after[i], 0x7fffffffu) << "flight " << i;
  }
  // After CSS_ROUNDS = 5 rounds of CSS: congestion avoidance, ssthresh = cwnd at that moment.
  EXPECT_LT(ssthresh_after[8], 0x7fffffffu);
  EXPECT_GT(ssthresh_after[8], cwnd_after[7] * 1448);
  EXPECT_LE(ssthresh_after[8], cwnd_after[8] * 1448 + 1448);
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.bytes_retrans, 0u);
  EXPECT_EQ(st.retrans_fast + st.retrans_rto, 0u);
}

// RFC 5681 §4.1 with Linux's decay (tcp_cwnd_restart, RFC 2861 §3): after an idle period
// longer than the RTO the window halves once per further RTO of idleness, never below the
// restart window min(IW, cwnd); ssthresh keeps 3/4 of the old window.
TEST(TcpCongestion, IdleRestartHalvesTheWindowPerRtoDownToTheRestartWindow) {
  constexpr std::uint32_t kMss = 1448;
  const Duration rto = 200_ms;
  struct Case {
    Duration idle;
    std::uint32_t cwnd_segments;
  };
  for (CongestionAlgorithm a : {CongestionAlgorithm::kCubic, CongestionAlgorithm::kNewReno}) {
    for (Case c :
         {Case{210_ms, 40}, Case{500_ms, 20}, Case{600_ms, 20}, Case{601_ms, 10}, Case{10_s, 10}}) {
      auto cc = make_congestion_control(a);
      cc->resume(80 * kMss, 30 * kMss, kMss);
      cc->restart_after_idle(c.idle, rto, kMss);
      EXPECT_EQ(cc->cwnd(), c.cwnd_segments * kMss)
          << to_string(a) << " idle " << c.idle.total_millis() << " ms";
      EXPECT_EQ(cc->ssthresh(), 60 * kMss);
    }
    // A window already below IW stays as it is.
    auto cc = make_congestion_control(a);
    cc->resume(4 * kMss, 2 * kMss, kMss);
    cc->restart_after_idle(10_s, rto, kMss);
    EXPECT_EQ(cc->cwnd(), 4 * kMss);
    EXPECT_EQ(cc->ssthresh(), 3 * kMss);
  }
}

// On the wire: a sender whose window grew in slow start pauses 2.5 RTOs, then sends a flight of
// a quarter of that window (halved twice), not all of it and not the initial window of 10.
// Slow start on the wire: each round fills the window and its ACKs (one per two segments, 1 ms
// later) grow it. Returns SND.UNA (relative), everything acknowledged.
std::uint32_t fill_rounds(TcpTestbed& t, int rounds, std::uint32_t una = 1) {
  constexpr std::uint32_t kMss = 1448;
  for (int round = 0; round < rounds; ++round) {
    std::uint32_t flight = t.layer().stats(t.conn())->cwnd / kMss;
    t.send(std::string(flight * kMss, 'x'));
    for (std::uint32_t i = 0; i < flight; ++i) {
      t.expect(seg().seq(una + i * kMss).len(kMss).ack(1001));
    }
    t.expect_nothing();
    t.at(t.now() + 1_ms);
    for (std::uint32_t i = 2; i <= flight; i += 2) {
      t.inject(seg().seq(1001).ack(una + i * kMss).ts(110, _));
    }
    una += flight * kMss;
    t.inject(seg().seq(1001).ack(una).ts(110, _));
  }
  return una;
}

// The restart is traced (`cwnd` reason `idle-restart`, docs/events.md) before the flight goes
// out, so a ladder shows why the window fell.
struct CwndRecorder : Tracer {
  std::vector<TraceEvent> events;
  void on_event(const TraceEvent& e) override {
    if (e.kind == TraceKind::kTcpCongestion || e.kind == TraceKind::kTcpSegmentOut) {
      events.push_back(e);
    }
  }
};

TEST(TcpCongestion, FirstFlightAfterAnIdlePeriodIsTheDecayedWindow) {
  CwndRecorder rec;
  TcpTestbed t =
      TcpTestbed::established(TcpTestbed::default_config(), with(CongestionAlgorithm::kNewReno),
                              true, true, 7, Duration::zero(), &rec);
  constexpr std::uint32_t kMss = 1448;
  std::uint32_t una = fill_rounds(t, 4);
  TcpStats st = *t.layer().stats(t.conn());
  ASSERT_GE(st.cwnd, 60 * kMss);
  std::uint32_t decayed = st.cwnd / 4 / kMss;
  t.at(t.now() + st.rto * 5 / 2);
  rec.events.clear();
  t.send(std::string(200 * kMss, 'y'));
  for (std::uint32_t i = 0; i < decayed; ++i) {
    t.expect(seg().seq(una + i * kMss).len(kMss).ack(1001));
  }
  t.expect_nothing();
  std::uint32_t ssthresh = std::max(st.ssthresh, st.cwnd / 2 + st.cwnd / 4);
  EXPECT_EQ(t.layer().stats(t.conn())->ssthresh, ssthresh);
  ASSERT_FALSE(rec.events.empty());
  const TraceEvent& e = rec.events.front();
  EXPECT_EQ(e.kind, TraceKind::kTcpCongestion);
  EXPECT_STREQ(e.what, "idle-restart");
  EXPECT_EQ(e.value, decayed * kMss);  // cwnd after
  EXPECT_EQ(e.value2, ssthresh);
  EXPECT_EQ(std::count_if(rec.events.begin(), rec.events.end(),
                          [](const TraceEvent& x) { return x.kind == TraceKind::kTcpCongestion; }),
            1);
}

// RFC 5681 §4.1 ("the restart window"): after an idle period of many RTOs the window is back to
// the initial window, whatever it was: a burst of 200 segments goes out as IW10 and waits.
TEST(TcpCongestion, BurstAfterLongIdleSendsOnlyTheRestartWindow) {
  for (CongestionAlgorithm a : {CongestionAlgorithm::kCubic, CongestionAlgorithm::kNewReno}) {
    TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), with(a));
    constexpr std::uint32_t kMss = 1448;
    std::uint32_t una = fill_rounds(t, 3);
    TcpStats st = *t.layer().stats(t.conn());
    ASSERT_GE(st.cwnd, 40 * kMss) << to_string(a);
    t.at(t.now() + 30_s);
    t.send(std::string(200 * kMss, 'y'));
    for (std::uint32_t i = 0; i < 10; ++i) {
      t.expect(seg().seq(una + i * kMss).len(kMss).ack(1001));
    }
    t.expect_nothing();
    EXPECT_EQ(t.layer().stats(t.conn())->cwnd, 10 * kMss) << to_string(a);
  }
}

// RFC 2861 §3 / Linux tcp_cwnd_application_limited: a sender that grew cwnd in slow start and
// then sends one segment per 10 ms (acknowledged 5 ms later) never uses the window. cwnd does
// not grow, and after each RTO of this it falls halfway to max(largest flight, IW) = IW: the
// first decay exactly one RTO after the window was last used, then one per RTO, down to IW10
// and never below. Once the application fills the window again, slow start grows it again.
TEST(TcpCongestion, ApplicationLimitedWindowDecaysPerRtoAndGrowsWhenFilledAgain) {
  TcpTestbed t =
      TcpTestbed::established(TcpTestbed::default_config(), with(CongestionAlgorithm::kNewReno));
  constexpr std::uint32_t kMss = 1448;
  constexpr std::uint32_t kIw = 10 * kMss;
  std::uint32_t una = fill_rounds(t, 4);
  TcpStats st = *t.layer().stats(t.conn());
  ASSERT_GE(st.cwnd, 40 * kMss);
  ASSERT_GE(st.rto, 200_ms);  // RFC 6298 §2.4 floor (Linux TCP_RTO_MIN): 1 ms RTT
  ASSERT_LT(st.rto, 210_ms);
  // The decays expected, in bytes.
  std::vector<std::uint32_t> expected{st.cwnd};
  while (expected.back() > kIw) expected.push_back((expected.back() + kIw) / 2);
  Duration filled = t.now();  // the last ACK that grew the window
  std::vector<std::uint32_t> cwnds{st.cwnd};
  std::vector<Duration> when;
  for (int i = 0; i < 500; ++i) {  // 5 s
    t.at(t.now() + 5_ms);
    t.send(std::string(kMss, 'a'));
    t.expect(seg().seq(una).len(kMss).ack(1001));
    std::uint32_t cwnd = t.layer().stats(t.conn())->cwnd;
    if (cwnds.back() != cwnd) {
      cwnds.push_back(cwnd);
      when.push_back(t.now() - filled);
    }
    una += kMss;
    t.at(t.now() + 5_ms).inject(seg().seq(1001).ack(una).ts(110, _));
  }
  EXPECT_EQ(cwnds, expected);
  // At the first send (one every 10 ms) at least one RTO (200-210 ms here) after the window
  // was last used, then one RTO after each decay.
  ASSERT_FALSE(when.empty());
  EXPECT_GE(when[0], st.rto);
  EXPECT_LT(when[0], st.rto + 10_ms);
  for (std::size_t i = 1; i < when.size(); ++i) {
    EXPECT_GE(when[i] - when[i - 1], 200_ms) << i;
    EXPECT_LE(when[i] - when[i - 1], 220_ms) << i;
  }
  EXPECT_EQ(t.layer().stats(t.conn())->ssthresh, 0x7fffffffu);  // slow start stays
  // The application fills the window: slow start again.
  fill_rounds(t, 2, una);
  EXPECT_GE(t.layer().stats(t.conn())->cwnd, 2 * kIw);
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
