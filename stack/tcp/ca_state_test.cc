// The congestion-avoidance state (ca_state.h, Linux's tcp_ca_state) through the ACK path, with
// the segments pinned: Open -> Disorder on a duplicate ACK, -> Recovery on the third, -> Open
// when SND.UNA reaches `recover`; Loss from an RTO until the same; CWR from an ECN-Echo until
// an ACK passes the highest sequence sent at the reduction. Each change is traced.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

CaState ca(TcpTestbed& t) { return t.layer().stats(t.conn())->ca_state; }

// RFC 5681 §3.2, RFC 6582 §3.2: Open; the first duplicate ACK -> Disorder; the third -> Recovery
// with the fast retransmit; a partial ACK stays in Recovery; the full ACK -> Open.
TEST(TcpCaState, DuplicateAcksDisorderThenRecoveryThenOpen) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, false);
  t.send(std::string(6 * 1460, 'x'));
  for (int i = 0; i < 6; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  EXPECT_EQ(ca(t), CaState::kOpen);
  // Duplicate ACKs repeat the window of the handshake's ACK (RFC 5681 §2: same window).
  t.at(10_ms).inject(seg().ack(1).seq(1001).win(502));
  EXPECT_EQ(ca(t), CaState::kDisorder);
  t.expect_nothing();
  t.inject(seg().ack(1).seq(1001).win(502));
  EXPECT_EQ(ca(t), CaState::kDisorder);
  t.expect_nothing();
  t.inject(seg().ack(1).seq(1001).win(502));
  t.expect(seg().seq(1).len(1460).ack(1001));  // fast retransmit
  EXPECT_EQ(ca(t), CaState::kRecovery);
  t.inject(seg().ack(2921).seq(1001).win(502));  // partial
  EXPECT_EQ(ca(t), CaState::kRecovery);
  t.inject(seg().ack(8761).seq(1001).win(502));  // full: SND.UNA reaches recover
  EXPECT_EQ(ca(t), CaState::kOpen);
}

// RFC 6298 §5.4-5.6 (Linux tcp_enter_loss): the timeout enters Loss, which ends when SND.UNA
// reaches what was outstanding at the timeout.
TEST(TcpCaState, TimeoutEntersLossUntilRecoverIsAcknowledged) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, false);
  t.send(std::string(2 * 1460, 'x'));
  t.expect(seg().seq(1).len(1460).ack(1001));
  t.expect(seg().seq(1461).len(1460).ack(1001));
  EXPECT_EQ(t.expect_next(seg().seq(1).len(1460).ack(1001)), 200_ms);  // the RTO
  EXPECT_EQ(ca(t), CaState::kLoss);
  t.inject(seg().ack(1461).seq(1001).win(502));
  EXPECT_EQ(ca(t), CaState::kLoss);  // 2921 was outstanding
  t.expect(seg().seq(1461).len(1460).ack(1001));
  t.inject(seg().ack(2921).seq(1001).win(502));
  EXPECT_EQ(ca(t), CaState::kOpen);
}

// RFC 3168 §6.1.2 (Linux tcp_enter_cwr): an ECE enters CWR, which lasts until an ACK passes
// SND.MAX of the reduction (14601 here), not merely reaches it.
TEST(TcpCaState, EcnEchoEntersCwrForOneWindow) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  TcpTestbed t = TcpTestbed::listening(80, cfg);
  t.inject(seg().syn().ece().cwr().seq(1000).win(64240).mss(1460).sack_perm().wscale(7));
  t.expect(seg().syn().ece().ack(1001));
  t.inject(seg().seq(1001).ack(1).win(502));
  t.accept();
  t.send(std::string(30000, 'x'));
  for (std::uint32_t i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * 1460).ack(1001).len(1460));
  t.at(10_ms).inject(seg().ece().seq(1001).ack(1461).win(502));
  EXPECT_EQ(ca(t), CaState::kCwr);
  t.inject(seg().seq(1001).ack(14601).win(502));
  EXPECT_EQ(ca(t), CaState::kCwr);
  t.inject(seg().seq(1001).ack(16061).win(502));
  EXPECT_EQ(ca(t), CaState::kOpen);
}

struct CaRecorder : Tracer {
  std::vector<std::string> changes;
  void on_event(const TraceEvent& e) override {
    if (e.kind == TraceKind::kTcpCaState) changes.push_back(std::string(e.what) + " " + e.detail);
  }
};

TEST(TcpCaState, NamesFollowLinux) {
  EXPECT_STREQ(to_string(CaState::kOpen), "Open");
  EXPECT_STREQ(to_string(CaState::kDisorder), "Disorder");
  EXPECT_STREQ(to_string(CaState::kCwr), "CWR");
  EXPECT_STREQ(to_string(CaState::kRecovery), "Recovery");
  EXPECT_STREQ(to_string(CaState::kLoss), "Loss");
  EXPECT_STREQ(ca_transition_name(CaState::kDisorder, CaState::kRecovery), "Disorder->Recovery");
}

// Every change is traced once, with its reason.
TEST(TcpCaState, ChangesAreTraced) {
  CaRecorder rec;
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 16, {}, &rec);
  t.inject(seg().syn().seq(1000).win(64240).mss(1460).sack_perm().wscale(7));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().seq(1001).ack(1).win(502));
  t.accept();
  t.send(std::string(6 * 1460, 'x'));
  for (int i = 0; i < 6; ++i) t.expect(seg().seq(1 + i * 1460).len(1460).ack(1001));
  for (int i = 0; i < 3; ++i) t.at(10_ms).inject(seg().ack(1).seq(1001).win(502));
  t.expect(seg().seq(1).len(1460).ack(1001));
  t.inject(seg().ack(8761).seq(1001).win(502));
  EXPECT_EQ(rec.changes,
            (std::vector<std::string>{"Open->Disorder dup-ack", "Disorder->Recovery dup-acks",
                                      "Recovery->Open recovered"}));
}

}  // namespace
}  // namespace ustack::testing
