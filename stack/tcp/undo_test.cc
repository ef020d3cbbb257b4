// UndoTracker (undo.h): when the bookkeeping of one recovery episode says its retransmissions
// were spurious - Linux's tcp_try_undo_* decisions, one per test.
#include "stack/tcp/undo.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

using Decision = UndoTracker::Decision;
using Episode = UndoTracker::Episode;

constexpr std::uint32_t kMss = 1000;

UndoTracker::Ack ack(std::uint32_t snd_una, std::optional<std::uint32_t> tsecr,
                     bool advanced = true, bool retrans_in_flight = false) {
  UndoTracker::Ack a;
  a.snd_una = SeqNum(snd_una);
  a.tsecr = tsecr;
  a.advanced = advanced;
  a.retrans_in_flight = retrans_in_flight;
  return a;
}

// An episode at SND.UNA 0 with 10 segments in flight, cwnd 10 MSS, ssthresh unset; the first
// segment resent with TSval 500 (the originals carried 100).
UndoTracker fast_retransmit(Episode kind = Episode::kRecovery) {
  UndoTracker u;
  u.on_enter_recovery(kind, 10 * kMss, 0x7fffffff, SeqNum(0), SeqNum(10 * kMss));
  u.on_retransmit(500, SeqNum(0), SeqNum(kMss));
  return u;
}

// RFC 3522 §2 / tcp_try_undo_recovery: the ACK that ends recovery echoes the original's TSval.
TEST(UndoTracker, EchoOlderThanTheRetransmissionUndoesRecovery) {
  UndoTracker u = fast_retransmit();
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 100)), Decision::kUndoRecovery);
  EXPECT_EQ(u.prior().cwnd, 10 * kMss);
  EXPECT_EQ(u.prior().ssthresh, 0x7fffffffu);
  EXPECT_FALSE(u.armed());  // once
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 100)), Decision::kNone);
}

// The retransmission's own echo (or a later one) is no evidence: the loss was real.
TEST(UndoTracker, EchoOfTheRetransmissionIsNoUndo) {
  UndoTracker u = fast_retransmit();
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 500)), Decision::kNone);
  EXPECT_TRUE(u.armed());  // a late D-SACK could still undo
}

// tcp_try_undo_partial: a partial ACK echoing the original, with no resend in flight.
TEST(UndoTracker, PartialAckWithOldEchoUndoesUnlessResendsAreInFlight) {
  UndoTracker u = fast_retransmit();
  EXPECT_EQ(u.on_ack(ack(5 * kMss, 100, true, /*retrans_in_flight=*/true)), Decision::kNone);
  EXPECT_EQ(u.on_ack(ack(6 * kMss, 100, true, false)), Decision::kUndoRecovery);
}

// RFC 2883 / RFC 3708 / tcp_try_undo_dsack: every resend of the episode reported duplicate.
TEST(UndoTracker, DsackOfEveryRetransmissionUndoes) {
  UndoTracker u = fast_retransmit();
  u.on_retransmit(510, SeqNum(3 * kMss), SeqNum(4 * kMss));
  u.on_dsack(SeqNum(0), SeqNum(kMss));
  EXPECT_EQ(u.undo_retrans(), kMss);
  EXPECT_EQ(u.on_ack(ack(0, 500, false)), Decision::kNone);
  u.on_dsack(SeqNum(3 * kMss), SeqNum(4 * kMss));
  EXPECT_EQ(u.on_ack(ack(0, 510, false)), Decision::kUndoDsack);
}

// A D-SACK outside what the episode resent (a duplicate the network made) counts for nothing.
TEST(UndoTracker, DsackOfDataNotResentIsIgnored) {
  UndoTracker u = fast_retransmit();
  u.on_dsack(SeqNum(5 * kMss), SeqNum(6 * kMss));
  EXPECT_EQ(u.undo_retrans(), kMss);
  EXPECT_EQ(u.on_ack(ack(0, 500, false)), Decision::kNone);
}

// Recovery ended with the resend's echo; its D-SACK comes later: still undone (Linux keeps
// undo_marker after recovery, tcp_try_undo_dsack in the Open state).
TEST(UndoTracker, LateDsackAfterRecoveryUndoes) {
  UndoTracker u = fast_retransmit();
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 500)), Decision::kNone);
  u.on_dsack(SeqNum(0), SeqNum(kMss));
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 500, false)), Decision::kUndoDsack);
}

// Long after the episode, its sequence marks mean nothing any more: no late undo.
TEST(UndoTracker, LateDsackLongAfterTheEpisodeIsIgnored) {
  UndoTracker u = fast_retransmit();
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 500)), Decision::kNone);
  EXPECT_EQ(u.on_ack(ack(10 * kMss + (1u << 30) + 1, 700)), Decision::kNone);
  EXPECT_FALSE(u.armed());
}

// tcp_try_undo_loss: after an RTO, an ACK of new data echoing a pre-RTO TSval.
TEST(UndoTracker, SpuriousRtoIsUndoneByTheFirstAckEchoingTheOriginal) {
  UndoTracker u = fast_retransmit(Episode::kLoss);
  EXPECT_EQ(u.on_ack(ack(0, 100, /*advanced=*/false)), Decision::kNone);  // needs new data
  EXPECT_EQ(u.on_ack(ack(2 * kMss, 100)), Decision::kUndoLoss);
}

TEST(UndoTracker, GenuineRtoIsNotUndone) {
  UndoTracker u = fast_retransmit(Episode::kLoss);
  EXPECT_EQ(u.on_ack(ack(kMss, 500)), Decision::kNone);
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 520)), Decision::kNone);
}

// A timeout that does not reduce again (a backed-off one, or one during fast recovery: the
// connection decides, as Linux tcp_enter_loss) continues the episode: the window to restore is
// the one before the first reduction, and the first resend's TSval still counts.
TEST(UndoTracker, SecondTimeoutKeepsTheFirstPriorAndStamp) {
  UndoTracker u = fast_retransmit();
  u.on_enter_recovery(Episode::kLoss, 3 * kMss, 7 * kMss, SeqNum(0), SeqNum(10 * kMss),
                      /*new_reduction=*/false);
  u.on_retransmit(900, SeqNum(0), SeqNum(kMss));
  EXPECT_EQ(u.prior().cwnd, 10 * kMss);
  EXPECT_EQ(u.on_ack(ack(kMss, 600)), Decision::kNone);  // after the first resend's 500
  UndoTracker v = fast_retransmit();
  v.on_enter_recovery(Episode::kLoss, 3 * kMss, 7 * kMss, SeqNum(0), SeqNum(10 * kMss),
                      /*new_reduction=*/false);
  EXPECT_EQ(v.on_ack(ack(kMss, 400)), Decision::kUndoLoss);
  // A timeout that reduces anew (after SND.UNA moved, Linux tcp_init_undo) starts afresh.
  UndoTracker w = fast_retransmit();
  w.on_enter_recovery(Episode::kLoss, 3 * kMss, 7 * kMss, SeqNum(kMss), SeqNum(10 * kMss));
  EXPECT_EQ(w.prior().cwnd, 3 * kMss);
}

// After an episode ended, the next one starts afresh.
TEST(UndoTracker, NewEpisodeAfterTheLastOneEnded) {
  UndoTracker u = fast_retransmit();
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 500)), Decision::kNone);
  u.on_enter_recovery(Episode::kRecovery, 8 * kMss, 7 * kMss, SeqNum(10 * kMss), SeqNum(20 * kMss));
  EXPECT_EQ(u.prior().cwnd, 8 * kMss);
  EXPECT_EQ(u.prior().ssthresh, 7 * kMss);  // Linux tcp_current_ssthresh: max(7, 3/4 * 8)
  EXPECT_FALSE(u.undo_retrans());
}

// Timestamps compare modulo 2^32 (RFC 7323 §5.2).
TEST(UndoTracker, EchoComparisonWrapsAround) {
  UndoTracker u;
  u.on_enter_recovery(Episode::kRecovery, 10 * kMss, 0x7fffffff, SeqNum(0), SeqNum(10 * kMss));
  u.on_retransmit(5, SeqNum(0), SeqNum(kMss));
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 0xfffffff0u)), Decision::kUndoRecovery);
}

// An ECN-Echo reduction is not a loss and is not undone (Linux tcp_enter_cwr).
TEST(UndoTracker, ForbiddenUndoStaysForbidden) {
  UndoTracker u = fast_retransmit();
  u.forbid_undo();
  EXPECT_EQ(u.on_ack(ack(10 * kMss, 100)), Decision::kNone);
}

}  // namespace
}  // namespace ustack
