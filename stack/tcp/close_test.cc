// Closing (RFC 9293 §3.6, §3.10.4, §3.10.7.4 eighth), TIME-WAIT (RFC 9293 §3.10.8, RFC 6191),
// half-close, abort (§3.10.5), and Linux's RST-on-close rules.
#include <gtest/gtest.h>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

TcpTestbed plain() { return TcpTestbed::established(TcpTestbed::default_config(), {}, false); }

// RFC 9293 §3.6 figure 12 (normal close, we close first): FIN-WAIT-1 -> FIN-WAIT-2 ->
// TIME-WAIT -> CLOSED after 60 s (Linux TCP_TIMEWAIT_LEN); no timer left afterwards.
TEST(TcpClose, ActiveCloseGoesThroughTimeWait) {
  TcpTestbed t = plain();
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack(1001).seq(1));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kFinWait1);
  t.at(10_ms).inject(seg().ack(2).seq(1001));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kFinWait2);
  t.at(20_ms).inject(seg().fin().ack(2).seq(1001));
  t.expect(seg().ack(1002).seq(2));
  // The handle was given back: the connection is now a compact TIME-WAIT record, and the
  // handle is stale like that of any closed socket.
  EXPECT_EQ(t.layer().state(t.conn()).error(), TcpError::kBadHandle);
  EXPECT_EQ(t.layer().time_wait_count(), 1u);
  t.expect_nothing_until(60_s);
  EXPECT_EQ(t.layer().socket_count(), 2u);  // listener + TIME_WAIT record
  t.at(60_s + 20_ms);
  EXPECT_EQ(t.layer().socket_count(), 1u);
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
  EXPECT_EQ(t.layer().counters().time_wait_expired, 1u);
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
  EXPECT_EQ(t.layer().state(t.conn()).error(), TcpError::kBadHandle);  // stale handle
}

// RFC 9293 §3.6 (the peer closes first): CLOSE-WAIT, end of stream, then LAST-ACK -> CLOSED.
TEST(TcpClose, PassiveCloseThroughCloseWaitAndLastAck) {
  TcpTestbed t = plain();
  t.inject(seg().fin().ack(1).seq(1001).data("bye"));
  // The FIN is acknowledged by the delayed-ACK timer, as Linux does (tcp_fin).
  EXPECT_EQ(t.expect_next(seg().ack(1005).seq(1)), 40_ms);
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kCloseWait);
  EXPECT_EQ(t.recv(), "bye");
  std::uint8_t buf[4];
  EXPECT_EQ(*t.layer().recv(t.conn(), buf), 0u);  // end of stream
  EXPECT_TRUE(t.layer().readiness(t.conn()).readable);
  // We can still send in CLOSE-WAIT (half-close by the peer).
  EXPECT_EQ(t.send("reply"), 5u);
  t.expect(seg().ack(1005).seq(1).data("reply"));
  ASSERT_FALSE(t.layer().close(t.conn()));
  // Nagle would hold nothing: the FIN follows the unacknowledged data.
  t.expect(seg().fin().ack(1005).seq(6));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kLastAck);
  t.inject(seg().ack(7).seq(1005));
  EXPECT_EQ(t.layer().socket_count(), 1u);
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
}

// Linux (tcp_fin): a FIN received in ESTABLISHED is acknowledged by the delayed-ACK timer, so
// an application that closes at once answers with one FIN+ACK instead of an ACK and a FIN.
TEST(TcpClose, FinAckIsDelayedSoAnImmediateCloseSendsOneSegment) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("hi"));
  t.expect(seg().ack(1003).seq(1));  // quick ACK
  t.inject(seg().fin().ack(1).seq(1003));
  t.expect_nothing_until(10_ms);
  EXPECT_EQ(t.recv(), "hi");
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack(1004).seq(1));
  t.expect_nothing_until(100_ms);
}

// Linux: before any data the delayed-ACK timeout is still 0, so a bare FIN is acknowledged at
// the next timer tick — at once here.
TEST(TcpClose, FinBeforeAnyDataIsAckedAtOnce) {
  TcpTestbed t = plain();
  t.inject(seg().fin().ack(1).seq(1001));
  t.expect(seg().ack(1002).seq(1));
}

// More than a full segment unacknowledged with the FIN: the ACK goes at once (RFC 5681 §4.2).
TEST(TcpClose, FinAfterAFullSegmentUnacknowledgedIsAckedAtOnce) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data(std::string(1460, 'a')));
  t.expect(seg().ack(2461).seq(1));  // quick ACK at the start of the connection
  t.inject(seg().fin().ack(1).seq(2461).data(std::string(1460, 'b')));
  t.expect(seg().ack(3922).seq(1));
}

// RFC 9293 §3.6 figure 13: simultaneous close goes through CLOSING to TIME-WAIT.
TEST(TcpClose, SimultaneousCloseGoesThroughClosing) {
  TcpTestbed t = plain();
  ASSERT_FALSE(t.layer().shutdown(t.conn()));
  t.expect(seg().fin().ack(1001).seq(1));
  t.inject(seg().fin().ack(1).seq(1001));  // the peer's FIN crosses ours
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kClosing);
  t.expect(seg().ack(1002).seq(2));
  t.inject(seg().ack(2).seq(1002));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kTimeWait);
}

// RFC 9293 §3.10.7.4 eighth: FIN-WAIT-1 receiving FIN together with the ACK of our FIN goes
// straight to TIME-WAIT.
TEST(TcpClose, FinAckingOurFinGoesToTimeWait) {
  TcpTestbed t = plain();
  ASSERT_FALSE(t.layer().shutdown(t.conn()));
  t.expect(seg().fin().ack(1001).seq(1));
  t.inject(seg().fin().ack(2).seq(1001));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kTimeWait);
  t.expect(seg().ack(1002).seq(2));
}

// Half-close (shutdown(SHUT_WR)): after our FIN we still receive the peer's data.
TEST(TcpClose, HalfCloseStillReceives) {
  TcpTestbed t = plain();
  ASSERT_FALSE(t.layer().shutdown(t.conn()));
  t.expect(seg().fin().ack(1001).seq(1));
  EXPECT_EQ(t.layer().send(t.conn(), as_bytes(std::string("x"))).error(), TcpError::kPipe);
  t.inject(seg().ack(2).seq(1001));
  t.inject(seg().ack(2).seq(1001).data("more data"));
  t.expect(seg().ack(1010).seq(2));
  EXPECT_EQ(t.recv(), "more data");
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kFinWait2);
}

// RFC 9293 §3.10.8: a retransmitted FIN in TIME-WAIT is ACKed again.
TEST(TcpClose, TimeWaitReAcksRetransmittedFin) {
  TcpTestbed t = plain();
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  t.inject(seg().fin().ack(2).seq(1001));
  t.expect(seg().ack(1002).seq(2));
  t.at(30_s).inject(seg().fin().ack(2).seq(1001));
  t.expect(seg().ack(1002).seq(2));
  // The 2 MSL timer restarted: still there at 60 s, gone at 90 s.
  t.at(61_s);
  EXPECT_EQ(t.layer().socket_count(), 2u);
  t.at(91_s);
  EXPECT_EQ(t.layer().socket_count(), 1u);
}

// RFC 6191 §2: a SYN with a newer timestamp takes over a TIME-WAIT 4-tuple.
TEST(TcpClose, TimeWaitAcceptsNewSynWithNewerTimestamp) {
  TcpTestbed t = TcpTestbed::established();
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  t.inject(seg().fin().ack(2).seq(1001).ts(200, _));
  t.expect(seg().ack(1002));
  t.at(1_s).inject(seg().syn().seq(500).mss(1460).ts(300, 0));  // lower ISN, newer TSval
  t.expect(seg().syn().ack(501));
  EXPECT_EQ(t.layer().counters().time_wait_reused, 1u);
}

// RFC 6191 §2 / Linux tcp_timewait_state_process: the incarnation that takes over a
// TIME-WAIT 4-tuple starts its sequence numbers above the old SND.NXT (ISS = SND.NXT + 65537,
// as Linux's tw_snd_nxt + 65535 + 2), even when the old connection sent more than the ISN
// clock advanced since (RFC 6528 §3).
TEST(TcpClose, TimeWaitReuseStartsAboveTheOldSndNxt) {
  TcpTestbed t = TcpTestbed::established();
  EXPECT_EQ(t.send(std::string(10000, 'd')), 10000u);
  while (t.pop()) {
  }
  t.inject(seg().ack(10001).seq(1001).ts(150, _));
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(10001));
  t.at(10_ms).inject(seg().fin().ack(10002).seq(1001).ts(200, _));
  t.expect(seg().ack(1002));
  t.at(20_ms).inject(seg().syn().seq(500).mss(1460).ts(300, 0));
  t.expect(seg().syn().ack(501).seq(10002 + 65535 + 2));
  EXPECT_EQ(t.layer().counters().time_wait_reused, 1u);
}

// RFC 7323 §5.4 / RFC 6191: TSval continues across incarnations of a 4-tuple - the offset is
// a keyed hash of the 4-tuple (Linux secure_tcp_ts_off), not of the ISS - so the peer's PAWS
// check and its RFC 6191 TIME-WAIT reuse test accept the new connection.
TEST(TcpClose, TsvalContinuesAcrossIncarnationsOfATuple) {
  TcpTestbed t = TcpTestbed::established();
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  std::uint32_t old_tsval = t.last_tsval();
  t.at(10_ms).inject(seg().fin().ack(2).seq(1001).ts(200, _));
  t.expect(seg().ack(1002).ts(old_tsval + 10, 200));
  t.at(1_s).inject(seg().syn().seq(5000).mss(1460).ts(300, 0));
  t.expect(seg().syn().ack(5001).ts(old_tsval + 1000, 300));
}

// RFC 6191 §2: a SYN with an old timestamp does not; TIME-WAIT answers it with an ACK.
TEST(TcpClose, TimeWaitRejectsSynWithOldTimestamp) {
  TcpTestbed t = TcpTestbed::established();
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  t.inject(seg().fin().ack(2).seq(1001).ts(200, _));
  t.expect(seg().ack(1002));
  t.at(1_s).inject(seg().syn().seq(5000).mss(1460).ts(150, 0));
  t.expect(seg().ack(1002).seq(2));
  EXPECT_EQ(t.layer().counters().time_wait_reused, 0u);
}

// Linux tcp_fin_timeout: an orphaned connection leaves FIN-WAIT-2 after 60 s.
TEST(TcpClose, OrphanedFinWait2TimesOut) {
  TcpTestbed t = plain();
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  t.inject(seg().ack(2).seq(1001));
  t.expect_nothing_until(59_s);
  EXPECT_EQ(t.layer().socket_count(), 2u);
  t.at(61_s);
  EXPECT_EQ(t.layer().socket_count(), 1u);
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
}

// Linux tcp_close / RFC 2525 §2.17: closing with unread data sends RST, not FIN.
TEST(TcpClose, CloseWithUnreadDataSendsRst) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("unread"));
  t.expect(seg().ack(1007));
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().rst().ack(1007).seq(1));
  EXPECT_EQ(t.layer().socket_count(), 1u);
}

// Linux: data arriving after close() (the application is gone) is answered with RST.
TEST(TcpClose, DataAfterCloseIsAnsweredWithRst) {
  TcpTestbed t = plain();
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  t.inject(seg().ack(2).seq(1001).data("late"));
  t.expect(seg().rst().seq(2));  // <SEQ=SEG.ACK><CTL=RST> like Linux
  EXPECT_EQ(t.layer().socket_count(), 1u);
}

// RFC 9293 §3.10.5 ABORT: RST, then the connection is gone.
TEST(TcpClose, AbortSendsRst) {
  TcpTestbed t = plain();
  t.send("pending");
  t.expect(seg().data("pending").ack(1001));
  ASSERT_FALSE(t.layer().abort(t.conn()));
  t.expect(seg().rst().ack(1001).seq(8));
  EXPECT_EQ(t.layer().socket_count(), 1u);
  t.expect_nothing_until(10_s);
}

// RFC 9293 §3.10.7.4 second: a RST at RCV.NXT resets the connection (ECONNRESET).
TEST(TcpClose, RstResetsEstablishedConnection) {
  TcpTestbed t = plain();
  t.inject(seg().rst().seq(1001));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kClosed);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kReset);
  std::uint8_t buf[4];
  EXPECT_EQ(t.layer().recv(t.conn(), buf).error(), TcpError::kReset);
  t.expect_nothing();
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.at(1_ms);
  EXPECT_EQ(t.layer().socket_count(), 1u);
}

// Data that arrived before a RST can still be read (Linux), then the error is reported.
TEST(TcpClose, DataBeforeRstStaysReadable) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("last words"));
  t.expect(seg().ack(1011));
  t.inject(seg().rst().seq(1011));
  EXPECT_EQ(t.recv(), "last words");
  std::uint8_t buf[4];
  EXPECT_EQ(t.layer().recv(t.conn(), buf).error(), TcpError::kReset);
}

// Linux tcp_sendmsg_locked -> sk_stream_error: the first send() after a reset reports it
// (sock_error clears sk_err), later ones fail with EPIPE.
TEST(TcpClose, FirstSendAfterResetReportsItThenPipe) {
  TcpTestbed t = plain();
  t.inject(seg().rst().seq(1001));
  EXPECT_EQ(t.layer().send(t.conn(), as_bytes(std::string("x"))).error(), TcpError::kReset);
  EXPECT_EQ(t.layer().send(t.conn(), as_bytes(std::string("x"))).error(), TcpError::kPipe);
}

// Linux sock_error: a reset reported by recv() is not reported again; send() then fails with
// EPIPE and recv() sees the end of the stream (the socket is shut down both ways, tcp_done).
TEST(TcpClose, ResetReportedByRecvIsNotReportedAgain) {
  TcpTestbed t = plain();
  t.inject(seg().rst().seq(1001));
  std::uint8_t buf[4];
  EXPECT_EQ(t.layer().recv(t.conn(), buf).error(), TcpError::kReset);
  EXPECT_EQ(*t.layer().recv(t.conn(), buf), 0u);
  EXPECT_EQ(t.layer().send(t.conn(), as_bytes(std::string("x"))).error(), TcpError::kPipe);
}

// Linux sock_error: SO_ERROR (take_error) reports the reset once and clears POLLERR; send()
// then fails with EPIPE.
TEST(TcpClose, ResetTakenBySoErrorLeavesSendWithPipe) {
  TcpTestbed t = plain();
  t.inject(seg().rst().seq(1001));
  EXPECT_TRUE(t.layer().readiness(t.conn()).error);
  EXPECT_EQ(t.layer().take_error(t.conn()), TcpError::kReset);
  EXPECT_EQ(t.layer().take_error(t.conn()), std::nullopt);
  EXPECT_FALSE(t.layer().readiness(t.conn()).error);
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kReset);  // still why the connection ended
  EXPECT_EQ(t.layer().send(t.conn(), as_bytes(std::string("x"))).error(), TcpError::kPipe);
}

// RFC 9293 §3.10.7.4 second resets CLOSE-WAIT; Linux tcp_reset records EPIPE there, not
// ECONNRESET: recv() still reports the end of the stream and send() fails with EPIPE.
TEST(TcpClose, RstInCloseWaitIsEpipe) {
  TcpTestbed t = plain();
  t.inject(seg().fin().ack(1).seq(1001));
  t.expect(seg().ack(1002).seq(1));
  t.inject(seg().rst().seq(1002));
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kClosed);
  std::uint8_t buf[4];
  EXPECT_EQ(*t.layer().recv(t.conn(), buf), 0u);
  EXPECT_EQ(t.layer().send(t.conn(), as_bytes(std::string("x"))).error(), TcpError::kPipe);
  EXPECT_EQ(t.layer().send(t.conn(), as_bytes(std::string("x"))).error(), TcpError::kPipe);
}

// RFC 9293 §3.10.7.4 second: in LAST-ACK a RST just closes (no error to report).
TEST(TcpClose, RstInLastAckCloses) {
  TcpTestbed t = plain();
  t.inject(seg().fin().ack(1).seq(1001));
  t.expect(seg().ack(1002));
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack_flag().seq(1));
  t.inject(seg().rst().seq(1002));
  EXPECT_EQ(t.layer().socket_count(), 1u);
}

// RFC 6298 §5 for the FIN: an unacknowledged FIN is retransmitted.
TEST(TcpClose, LostFinIsRetransmitted) {
  TcpTestbed t = plain();
  ASSERT_FALSE(t.layer().close(t.conn()));
  t.expect(seg().fin().ack(1001).seq(1));
  Duration first = t.expect_next(seg().fin().ack(1001).seq(1));
  EXPECT_GE(first, 200_ms);
  EXPECT_LE(first, 1_s);
}

// RFC 9293 §3.10.7.1: once a connection is CLOSED (here by a RST) a segment for its 4-tuple
// is answered like one for no connection, even while the user still holds the handle.
TEST(TcpClose, SegmentForClosedConnectionGetsRst) {
  TcpTestbed t = plain();
  t.inject(seg().rst().seq(1001));
  EXPECT_EQ(t.layer().error(t.conn()), TcpError::kReset);
  t.inject(seg().ack(1).seq(1001).data("late"));
  t.expect(seg().rst().seq(1));
}

}  // namespace
}  // namespace ustack::testing
