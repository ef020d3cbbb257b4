// Data transfer: receiving (RFC 9293 §3.10.7.4 seventh), ACK policy (RFC 5681 §4.2, RFC 1122
// §4.2.3.2, Linux delayed ACK), out-of-order queue with SACK/D-SACK (RFC 2018, RFC 2883),
// sending with Nagle and segmentation (RFC 9293 §3.7.4), IW10 (RFC 6928).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

// Peer (ISN 1000) and stack are established; the peer's next seq is 1001, ours 1.
TcpTestbed established_ts() { return TcpTestbed::established(); }

// RFC 9293 §3.10.7.4 seventh: in-order data is delivered and acknowledged; at the start of a
// connection Linux ACKs at once (quick-ACK mode).
TEST(TcpReceive, InOrderDataIsDeliveredAndQuickAcked) {
  TcpTestbed t = established_ts();
  t.inject(seg().ack(1).seq(1001).data("hello").ts(102, _));
  t.expect(seg().ack(1006).seq(1).ts(_, 102));
  EXPECT_TRUE(t.layer().readiness(t.conn()).readable);
  EXPECT_EQ(t.recv(), "hello");
  EXPECT_EQ(t.layer().recv(t.conn(), MutBytes()).ok(), true);
  std::uint8_t buf[8];
  EXPECT_EQ(t.layer().recv(t.conn(), buf).error(), TcpError::kWouldBlock);
}

// Counts immediate ACKs for small segments until one is held back (the quick-ACK phase).
int quick_ack_phase(TcpTestbed& t, std::uint32_t& next_seq) {
  for (int i = 0; i < 40; ++i) {
    t.inject(seg().ack(1).seq(next_seq).data("0123456789").ts(102, _));
    next_seq += 10;
    if (!t.pop()) return i;
  }
  return -1;
}

// Linux delayed ACK: after the quick-ACK phase a lone small segment is ACKed within 40 ms.
TEST(TcpReceive, DelayedAckAfterQuickAckPhaseFiresAt40ms) {
  TcpTestbed t = established_ts();
  std::uint32_t next = 1001;
  int quick = quick_ack_phase(t, next);
  EXPECT_GE(quick, 2);
  EXPECT_LE(quick, 16);  // TCP_MAX_QUICKACKS
  Duration sent = t.now();
  t.expect_nothing_until(sent + 39_ms);
  EXPECT_EQ(t.expect_next(seg().ack(next)), sent + 40_ms);
}

// RFC 5681 §4.2 / RFC 1122 §4.2.3.2: an ACK for at least every second full-sized segment.
TEST(TcpReceive, EverySecondFullSegmentIsAcked) {
  TcpTestbed t = established_ts();
  std::uint32_t next = 1001;
  quick_ack_phase(t, next);
  t.at(t.now() + 50_ms);
  ASSERT_TRUE(t.pop().has_value());  // the delayed ACK
  std::string full(1448, 'f');
  t.inject(seg().ack(1).seq(next).data(full).ts(103, _));
  t.expect_nothing();
  t.inject(seg().ack(1).seq(next + 1448).data(full).ts(103, _));
  t.expect(seg().ack(next + 2 * 1448));
}

// RFC 5681 §4.2, RFC 2018 §4: an out-of-order segment gets an immediate duplicate ACK whose
// first SACK block is the segment just received.
TEST(TcpReceive, OutOfOrderSegmentGetsDupAckWithSack) {
  TcpTestbed t = established_ts();
  t.inject(seg().ack(1).seq(1011).data("0123456789").ts(102, _));
  t.expect(seg().ack(1001).sack(1011, 1021));
  t.inject(seg().ack(1).seq(1031).data("abcdefghij").ts(102, _));
  t.expect(seg().ack(1001).sack(1031, 1041).sack(1011, 1021));
  EXPECT_FALSE(t.layer().readiness(t.conn()).readable);
  // Filling the first hole is ACKed at once (RFC 5681 §4.2) and delivers both parts.
  t.inject(seg().ack(1).seq(1001).data("ABCDEFGHIJ").ts(102, _));
  t.expect(seg().ack(1021).sack(1031, 1041));
  EXPECT_EQ(t.recv(), "ABCDEFGHIJ0123456789");
  t.inject(seg().ack(1).seq(1021).data("KLMNOPQRST").ts(102, _));
  t.expect(seg().ack(1041).no_sack());
  EXPECT_EQ(t.recv(), "KLMNOPQRSTabcdefghij");
}

// RFC 2883 §4.1.1: a duplicate of data already received is reported as a D-SACK block.
TEST(TcpReceive, DuplicateSegmentIsReportedWithDsack) {
  TcpTestbed t = established_ts();
  t.inject(seg().ack(1).seq(1001).data("0123456789").ts(102, _));
  t.expect(seg().ack(1011));
  t.inject(seg().ack(1).seq(1001).data("0123456789").ts(103, _));
  t.expect(seg().ack(1011).sack(1001, 1011));
  EXPECT_EQ(t.recv(), "0123456789");
}

// RFC 2883 §4.1.2: a duplicate of an out-of-order block: D-SACK first, then the SACK block.
TEST(TcpReceive, DuplicateOutOfOrderSegmentGetsDsackThenSack) {
  TcpTestbed t = established_ts();
  t.inject(seg().ack(1).seq(1011).data("0123456789").ts(102, _));
  t.expect(seg().ack(1001).sack(1011, 1021));
  t.inject(seg().ack(1).seq(1011).data("0123456789").ts(102, _));
  t.expect(seg().ack(1001).sack(1011, 1021).sack(1011, 1021));
}

// RFC 2018 §3: without SACK-permitted no SACK blocks are sent.
TEST(TcpReceive, NoSackBlocksWithoutSackPermitted) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, true, false);
  t.inject(seg().ack(1).seq(1011).data("0123456789").ts(102, _));
  t.expect(seg().ack(1001).no_sack());
}

// RFC 9293 §3.10.7.4 first: a segment entirely before RCV.NXT is not acceptable: ACK it.
TEST(TcpReceive, OldSegmentIsAnsweredWithAck) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, false, false);
  t.inject(seg().ack(1).seq(1001).data("0123456789"));
  t.expect(seg().ack(1011));
  t.inject(seg().ack(1).seq(995).data("abcdef"));
  t.expect(seg().ack(1011).seq(1));
  EXPECT_EQ(t.recv(), "0123456789");
}

// RFC 9293 §3.10.7.4: overlapping retransmissions are trimmed to what is new.
TEST(TcpReceive, OverlappingSegmentIsTrimmed) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, false, false);
  t.inject(seg().ack(1).seq(1001).data("01234"));
  t.expect(seg().ack(1006));
  t.inject(seg().ack(1).seq(1003).data("23456789"));
  t.expect(seg().ack(1011));
  EXPECT_EQ(t.recv(), "0123456789");
}

// RFC 9293 §3.8.6.2.2 / RFC 1122 §4.2.2.16: the right edge of the offered window never moves
// left. A held window that is not a multiple of 2^wscale is announced rounded up, not down
// (Linux tcp_select_window: ALIGN(cur_win, 1 << rcv_wscale)). With scale 3, after "a" the
// edge is 1002 + 32767 * 8; one more byte leaves a held window of 32767 * 8 - 1, announced as
// 32767 (the same edge plus one), not 32766 (seven octets to the left).
TEST(TcpReceive, HeldWindowIsRoundedUpSoItsRightEdgeNeverMovesLeft) {
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), {}, false);
  t.inject(seg().ack(1).seq(1001).data("a"));
  t.expect(seg().ack(1002).win(32767));
  t.inject(seg().ack(1).seq(1002).data("b"));
  t.expect(seg().ack(1003).win(32767));
}

// RFC 7323 §5.3 (PAWS): a segment whose TSval is older than TS.Recent is dropped and ACKed.
TEST(TcpReceive, PawsDropsSegmentWithOldTimestamp) {
  TcpTestbed t = established_ts();
  t.inject(seg().ack(1).seq(1001).data("new").ts(500, _));
  t.expect(seg().ack(1004).ts(_, 500));
  t.inject(seg().ack(1).seq(1004).data("old").ts(400, _));
  t.expect(seg().ack(1004).ts(_, 500));
  EXPECT_EQ(t.recv(), "new");
  EXPECT_EQ(t.layer().stats(t.conn())->drops_paws, 1u);
}

// --- Sending ----------------------------------------------------------------------------

// RFC 9293 §3.10.2 SEND: data goes out with PSH on the last segment.
TEST(TcpSend, DataIsSentAndAcked) {
  TcpTestbed t = established_ts();
  EXPECT_EQ(t.send("hello"), 5u);
  t.expect(seg().psh().ack(1001).seq(1).data("hello"));
  t.inject(seg().ack(6).seq(1001).ts(110, _));
  t.expect_nothing();
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.bytes_acked, 5u);
  EXPECT_EQ(st.unacked, 0u);
}

// RFC 9293 §3.7.1: data is cut into segments of the effective MSS (1460 - 12 for TS).
TEST(TcpSend, DataIsSegmentedAtEffectiveMss) {
  TcpTestbed t = established_ts();
  EXPECT_EQ(t.send(std::string(3000, 'x')), 3000u);
  t.expect(seg().ack(1001).seq(1).len(1448));
  t.expect(seg().ack(1001).seq(1449).len(1448));
  t.expect(seg().ack(1001).seq(2897).len(104));
}

// RFC 6928 / Linux TCP_INIT_CWND: at most 10 segments before the first ACK; each ACK in slow
// start opens the window further (RFC 5681 §3.1).
TEST(TcpSend, InitialWindowIsTenSegments) {
  TcpTestbed t = established_ts();
  t.send(std::string(20 * 1448, 'x'));
  for (int i = 0; i < 10; ++i) t.expect(seg().ack(1001).seq(1 + i * 1448).len(1448));
  t.expect_nothing();
  t.inject(seg().ack(1 + 2 * 1448).seq(1001).ts(110, _));
  // Two segments acked: two leave the window, slow start adds 2 MSS: four new segments.
  for (int i = 10; i < 14; ++i) t.expect(seg().ack(1001).seq(1 + i * 1448).len(1448));
  t.expect_nothing();
  EXPECT_EQ(t.layer().stats(t.conn())->cwnd, 12u * 1448);
}

// RFC 9293 §3.7.4 / RFC 1122 §4.2.3.4 (Nagle): a small segment waits while data is in
// flight.
TEST(TcpSend, NagleHoldsSmallSegmentUntilAck) {
  TcpTestbed t = established_ts();
  t.send("a");
  t.expect(seg().ack(1001).seq(1).data("a"));
  t.send("b");
  t.send("c");
  t.expect_nothing_until(100_ms);
  t.inject(seg().ack(2).seq(1001).ts(110, _));
  t.expect(seg().ack(1001).seq(2).data("bc"));
}

// TCP_NODELAY turns Nagle off.
TEST(TcpSend, NodelaySendsSmallSegmentsAtOnce) {
  TcpSocketOptions o;
  o.nodelay = true;
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), o);
  t.send("a");
  t.expect(seg().ack(1001).seq(1).data("a"));
  t.send("b");
  t.expect(seg().ack(1001).seq(2).data("b"));
}

// SO_SNDBUF bounds what send() takes; the rest is refused with kWouldBlock.
TEST(TcpSend, SendBufferBoundsAcceptedBytes) {
  TcpSocketOptions o;
  o.send_buffer = 4096;
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), o);
  EXPECT_EQ(t.send(std::string(10000, 'x')), 4096u);
  EXPECT_FALSE(t.layer().readiness(t.conn()).writable);
  EXPECT_EQ(t.layer().send(t.conn(), as_bytes(std::string("y"))).error(), TcpError::kWouldBlock);
  t.expect(seg().ack_flag().seq(1).len(1448));
  t.expect(seg().ack_flag().seq(1449).len(1448));
  t.expect(seg().ack_flag().seq(2897).len(1200));
  t.inject(seg().ack(1449).seq(1001).ts(110, _));
  EXPECT_TRUE(t.layer().readiness(t.conn()).writable);
  EXPECT_EQ(t.send(std::string(10000, 'y')), 1448u);
}

// The segments the stack sends carry data from the send ring even where it wraps around.
TEST(TcpSend, PayloadAcrossRingWrapIsIntact) {
  TcpSocketOptions o;
  o.send_buffer = 4096;
  o.nodelay = true;
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), o);
  std::string a(3000, 'a');
  t.send(a);
  t.expect(seg().ack_flag().seq(1).len(1448));
  t.expect(seg().ack_flag().seq(1449).len(1448));
  t.expect(seg().ack_flag().seq(2897).len(104));
  t.inject(seg().ack(3001).seq(1001).ts(110, _));
  std::string b;
  for (int i = 0; i < 3000; ++i) b += static_cast<char>('A' + i % 26);
  t.send(b);
  auto s1 = t.pop();
  auto s2 = t.pop();
  auto s3 = t.pop();
  ASSERT_TRUE(s1 && s2 && s3);
  std::string got(s1->repr.payload.begin(), s1->repr.payload.end());
  got += std::string(s2->repr.payload.begin(), s2->repr.payload.end());
  got += std::string(s3->repr.payload.begin(), s3->repr.payload.end());
  EXPECT_EQ(got, b);
}

// RFC 9293 §3.7.1 (the MSS counts only the options sent in every segment) and Linux's
// tcp_current_mss(): while we report SACK blocks (RFC 2018 §4), a full-sized data segment
// shrinks by the SACK option's bytes, or it would exceed the path MTU and be dropped.
TEST(TcpSend, FullSizedSegmentsLeaveRoomForSackBlocks) {
  TcpTestbed t = established_ts();
  t.inject(seg().ack(1).seq(1011).data("0123456789").ts(102, _));  // a hole at 1001
  t.expect(seg().ack(1001).sack(1011, 1021));
  t.send(std::string(4000, 'x'));
  // 1460 - 12 (timestamps) - 12 (NOP NOP, kind 5, length 10: one block) = 1436
  t.expect(seg().seq(1).ack(1001).len(1436).sack(1011, 1021));
  t.expect(seg().seq(1437).ack(1001).len(1436).sack(1011, 1021));
  // Once the hole is filled no SACK block is sent and segments are full-sized again.
  t.inject(seg().ack(2873).seq(1001).data("ABCDEFGHIJ").ts(103, _));
  t.expect(seg().seq(2873).ack(1021).len(1128).no_sack());
}

// ACK coalescing (TcpLayerConfig::coalesce_acks, on in the device commands): segments handed
// over in one read batch are answered after the batch, by one cumulative ACK, as Linux's GRO
// receiver would answer the one super-segment it built of them. Without it each segment of the
// quick-ACK phase gets its own ACK.
TcpLayerConfig coalescing(bool on) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.coalesce_acks = on;
  return cfg;
}

TEST(TcpAckCoalescing, ABurstIsAnsweredByOneCumulativeAck) {
  const std::string full(1448, 'f');
  for (bool on : {false, true}) {
    SCOPED_TRACE(on ? "coalescing" : "per segment");
    TcpTestbed t = TcpTestbed::established(coalescing(on));
    t.inject_burst({seg().ack(1).seq(1001).data(full).ts(102, _),
                    seg().ack(1).seq(1001 + 1448).data(full).ts(102, _),
                    seg().ack(1).seq(1001 + 2 * 1448).data(full).ts(102, _),
                    seg().ack(1).seq(1001 + 3 * 1448).data(full).ts(102, _)});
    if (on) {
      t.expect(seg().ack(1001 + 4 * 1448));
      EXPECT_EQ(t.layer().counters().output_deferred, 4u);
    } else {
      for (int i = 1; i <= 4; ++i) t.expect(seg().ack(1001 + i * 1448));
      EXPECT_EQ(t.layer().counters().output_deferred, 0u);
    }
    t.expect_nothing();
    EXPECT_EQ(t.recv().size(), 4 * full.size());
  }
}

// What must not wait does not: an out-of-order segment in the burst is answered at once by its
// duplicate ACK with the SACK block (RFC 5681 §4.2 "SHOULD be generated immediately"), before
// the in-order segment after it, whose ACK then covers the gap it filled.
TEST(TcpAckCoalescing, AnOutOfOrderSegmentInTheBurstGetsItsDupAckAtOnce) {
  TcpTestbed t = TcpTestbed::established(coalescing(true));
  t.inject_burst({seg().ack(1).seq(1011).data("0123456789").ts(102, _),
                  seg().ack(1).seq(1001).data("0123456789").ts(102, _)});
  t.expect(seg().ack(1001).sack(1011, 1021));
  t.expect(seg().ack(1021).no_sack());
  t.expect_nothing();
}

// Duplicate ACKs do not wait for the end of the burst: Linux's GRO merges no pure ACKs and
// tcp_ack acts on each one - Limited Transmit (RFC 3042), the fast retransmit on the third
// (RFC 5681 §3.2), PRR's share on the next ones (RFC 6937). A burst of SACKed duplicate ACKs
// therefore puts the same segments on the wire, in the same order, as when each arrives alone;
// before, only the fast retransmit went, after the whole burst.
TEST(TcpAckCoalescing, DuplicateAcksInABurstActAsEachArrives) {
  constexpr std::uint32_t kSeg = 1448;
  std::vector<std::string> wire[2];
  for (bool on : {false, true}) {
    SCOPED_TRACE(on ? "coalescing" : "per segment");
    TcpLayerConfig cfg = coalescing(on);
    cfg.tcp.congestion = CongestionAlgorithm::kNewReno;
    TcpTestbed t = TcpTestbed::established(cfg);
    t.send(std::string(20 * kSeg, 'x'));
    for (std::uint32_t i = 0; i < 10; ++i) t.expect(seg().seq(1 + i * kSeg).len(kSeg).ack(1001));
    auto dup = [&](std::uint32_t n) {
      return seg().ack(1).seq(1001).ts(102, _).sack(1 + kSeg, 1 + (n + 1) * kSeg);
    };
    t.at(10_ms).inject_burst({dup(1), dup(2), dup(3), dup(4), dup(5)});
    while (auto s = t.pop()) {
      wire[on].push_back(std::to_string(s->repr.seq.raw() - t.iss()) + ":" +
                         std::to_string(s->repr.payload.size()));
    }
    EXPECT_EQ(t.layer().stats(t.conn())->retrans_fast, 1u);
  }
  // Limited Transmit's segment (the second duplicate ACK SACKs a second segment: RFC 6675's
  // DupThresh counts it as the first's, nothing more may go), the fast retransmit on the third,
  // then PRR's share of the fourth and fifth.
  EXPECT_EQ(wire[0], (std::vector<std::string>{"14481:1448", "1:1448", "15929:1448"}));
  EXPECT_EQ(wire[1], wire[0]);
}

}  // namespace
}  // namespace ustack::testing
