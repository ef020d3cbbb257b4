// Send-side state that is compared with SND.UNA must not go stale when more than 2^31 octets
// (or 2^31 ms of timestamps) pass: mod-2^32 comparisons (RFC 9293 §3.4) answer wrongly once
// the two numbers are more than 2^31 apart. Each test pushes > 2^31 bytes through one
// connection in virtual time, then checks a decision that reads the stale value.
#include <gtest/gtest.h>

#include <string>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

constexpr std::uint32_t kMss = 1460;  // no timestamps: the full MSS carries data

// With RACK-TLP (the stack's default; the testbed's is off): its scoreboard and RACK.fack /
// TLP.end_seq compare sequence numbers modulo 2^32 too.
TcpTestbed big_sender() {
  TcpSocketOptions o;
  o.send_buffer = 1 << 20;
  TcpLayerConfig c = TcpTestbed::default_config();
  c.tcp.rack = true;
  return TcpTestbed::established(c, o, /*peer_ts=*/false);
}

// Sends `total` bytes in full-sized segments only (no small segment refreshes snd_sml_), the
// peer acknowledging every 8 segments, until everything is acknowledged. Returns the relative
// sequence number of the next byte (SND.UNA == SND.NXT).
std::uint32_t transfer(TcpTestbed& t, std::uint64_t total) {
  const std::string chunk(kMss * 64, 'z');
  std::uint64_t queued = 0;
  for (;;) {
    TcpStats st = *t.layer().stats(t.conn());
    if (st.bytes_acked >= total) return static_cast<std::uint32_t>(1 + st.bytes_acked);
    while (queued < total && st.unsent + st.unacked + chunk.size() <= (1u << 20)) {
      EXPECT_EQ(t.send(chunk), chunk.size());
      queued += chunk.size();
      st = *t.layer().stats(t.conn());
    }
    std::uint64_t acked = st.bytes_acked;
    std::uint64_t sent = st.bytes_sent;
    t.ip().sent.clear();
    if (sent == acked) {
      ADD_FAILURE() << "nothing in flight at " << acked;
      return 0;
    }
    while (acked < sent) {
      acked = std::min<std::uint64_t>(acked + 8 * kMss, sent);
      t.inject(seg().ack(static_cast<std::uint32_t>(1 + acked)).seq(1001));
    }
  }
}

constexpr std::uint64_t kPastHalfTheSpace = (1ull << 31) + 64 * kMss * 16;

// Minshall's Nagle (Linux tcp_minshall_check) reads snd_sml_ > SND.UNA: the end of the last
// small segment must follow SND.UNA, or after 2^31 octets of full segments it looks "ahead"
// and a small segment is held with nothing in flight.
TEST(TcpWrap, NagleIsNotFooledByAStaleSmallSegmentMarkAfter2To31Bytes) {
  TcpTestbed t = big_sender();
  std::uint32_t una = transfer(t, kPastHalfTheSpace);
  t.send("x");
  t.expect(seg().seq(una).data("x").ack(1001));
}

// RFC 6582 §3.2 step 2 compares the duplicate ACK with "recover": a recovery point left
// 2^31 octets behind looks ahead of SND.UNA and three duplicate ACKs no longer trigger a
// fast retransmit (RFC 5681 §3.2).
TEST(TcpWrap, FastRetransmitAfter2To31BytesWithoutLoss) {
  TcpTestbed t = big_sender();
  std::uint32_t una = transfer(t, kPastHalfTheSpace);
  t.send(std::string(5 * kMss, 'y'));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(t.pop());
  for (int i = 0; i < 3; ++i) t.inject(seg().ack(una).seq(1001));
  t.expect(seg().seq(una).len(kMss).ack(1001));
}

// RACK (RFC 8985 §6.2) past 2^31 octets: a hole below two SACKed segments is lost at once
// (the SACKs came back as fast as the data went), ordered by the scoreboard across the wrap.
TEST(TcpWrap, RackMarksAHoleLostAfter2To31Bytes) {
  TcpTestbed t = big_sender();
  std::uint32_t una = transfer(t, kPastHalfTheSpace);
  t.send(std::string(3 * kMss, 'y'));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.pop());
  t.inject(seg().ack(una).seq(1001).sack(una + kMss, una + 3 * kMss));
  t.expect(seg().seq(una).len(kMss).ack(1001));
  EXPECT_EQ(t.layer().stats(t.conn())->rack.lost, 1u);
}

// Karn's rule for timestamps (ts_min_echo_, see on_rto) must not outlive its use: 2^31 ms
// (24.8 days) after a timeout, a fresh echo compares as older than the old mark and RTT
// sampling would stop for good.
TEST(TcpWrap, TimestampRttSamplesResumeLongAfterATimeout) {
  TcpTestbed t = TcpTestbed::established();
  t.send("hello");
  t.expect(seg().data("hello").ack(1001));
  t.expect_next(seg().data("hello").ack(1001));  // RTO retransmission
  t.inject(seg().ack(6).seq(1001).ts(200, _));
  t.at(t.now() + Duration::seconds(25 * 86400));
  Duration srtt0 = t.layer().stats(t.conn())->srtt;
  t.send("later");
  t.expect(seg().data("later").ack(1001));
  t.at(t.now() + 80_ms).inject(seg().ack(11).seq(1001).ts(300, _));
  EXPECT_NE(t.layer().stats(t.conn())->srtt, srtt0);
}

}  // namespace
}  // namespace ustack::testing
