// Socket buffer auto-tuning (buffer_tuning.h): Linux's receive-buffer Dynamic Right-Sizing
// (tcp_rcv_space_adjust) and send-buffer growth with cwnd (tcp_sndbuf_expand), first as pure
// arithmetic, then between two real layers on a 100 ms path in virtual time (layer_pair.h).
#include "stack/tcp/buffer_tuning.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "stack/tcp/layer_pair.h"
#include "stack/tcp/testbed.h"

namespace ustack {
namespace {

using namespace ustack::literals;

constexpr std::size_t k256K = 256 * 1024;

// --- The arithmetic ---------------------------------------------------------------------------

// Linux tcp_rcv_space_adjust: no receiver RTT estimate yet, no adjustment.
TEST(RcvBufTuner, NothingWithoutAnRttEstimate) {
  RcvBufTuner t;
  t.init(Instant(), SeqNum(0), 65535, 1448);
  EXPECT_EQ(t.adjust(Instant() + 1_s, SeqNum(1000000), 0, 1448, 131072, 6 << 20), 0u);
}

// One RTT in which the application read 100000 bytes against the first yardstick of 10
// segments (14480): rcvwin = 2 * 100000 + 16 * 1448 = 223168, plus twice its relative growth
// 223168 * (100000 - 14480) / 14480 = 1318047 -> 2859262 bytes.
TEST(RcvBufTuner, GrowsToTwiceWhatWasReadPlusTheSendersGrowth) {
  RcvBufTuner t;
  t.init(Instant(), SeqNum(0), 65535, 1448);
  t.on_timestamp_sample(1, 100_ms);
  EXPECT_EQ(t.rtt(), 100_ms);
  EXPECT_EQ(t.adjust(Instant() + 50_ms, SeqNum(100000), 0, 1448, 131072, 6 << 20), 0u)
      << "measured once per RTT";
  EXPECT_EQ(t.adjust(Instant() + 100_ms, SeqNum(100000), 0, 1448, 131072, 6 << 20), 2859262u);
  // The next RTT reads the same: no growth (it is not more than the last RTT's).
  EXPECT_EQ(t.adjust(Instant() + 200_ms, SeqNum(200000), 0, 1448, 131072, 6 << 20), 0u);
}

TEST(RcvBufTuner, BoundedByTheMaximum) {
  RcvBufTuner t;
  t.init(Instant(), SeqNum(0), 65535, 1448);
  t.on_timestamp_sample(1, 100_ms);
  EXPECT_EQ(t.adjust(Instant() + 100_ms, SeqNum(100000), 0, 1448, 131072, 1 << 20), 1u << 20);
}

// Bytes received but left in the queue are not "read" (Linux 6.x subtracts the queue).
TEST(RcvBufTuner, DataLeftUnreadDoesNotCount) {
  RcvBufTuner t;
  t.init(Instant(), SeqNum(0), 65535, 1448);
  t.on_timestamp_sample(1, 100_ms);
  EXPECT_EQ(t.adjust(Instant() + 100_ms, SeqNum(100000), 95000, 1448, 131072, 6 << 20), 0u);
}

// Linux tcp_rcv_rtt_update: timestamp samples smoothed with gain 1/8, one per echoed TSval;
// window-timed samples (no timestamps) keep the smallest.
TEST(RcvBufTuner, ReceiverRttEstimate) {
  RcvBufTuner t;
  t.on_timestamp_sample(7, 80_ms);
  t.on_timestamp_sample(7, 800_ms);  // same echo: ignored
  t.on_timestamp_sample(8, 160_ms);
  EXPECT_EQ(t.rtt(), 90_ms);
  RcvBufTuner w;
  w.on_data(Instant(), SeqNum(0), 10000);
  w.on_data(Instant() + 30_ms, SeqNum(5000), 10000);  // the window's end not reached yet
  EXPECT_EQ(w.rtt(), Duration::zero());
  w.on_data(Instant() + 120_ms, SeqNum(10000), 10000);
  EXPECT_EQ(w.rtt(), 120_ms);
  w.on_data(Instant() + 400_ms, SeqNum(20000), 10000);
  EXPECT_EQ(w.rtt(), 120_ms);  // the smaller one stays
}

// Linux tcp_sndbuf_expand: 2 x max(10, cwnd) segments, bounded.
TEST(SndBufForCwnd, TwoWindows) {
  EXPECT_EQ(sndbuf_for_cwnd(1448, 1448 * 4, 4 << 20), 2u * 10 * 1448);
  EXPECT_EQ(sndbuf_for_cwnd(1448, 1448 * 100, 4 << 20), 2u * 100 * 1448);
  EXPECT_EQ(sndbuf_for_cwnd(1448, 1448 * 10000, 4 << 20), 4u << 20);
  EXPECT_EQ(ring_size_for(300000, 6 << 20), 512u * 1024);
  EXPECT_EQ(ring_size_for(5 << 20, 6 << 20), 6u << 20);
}

// --- Two layers on a 100 ms path --------------------------------------------------------------

TcpLayerConfig tuned() {
  TcpLayerConfig c;
  c.rmem = kLinuxTcpRmem;
  c.wmem = kLinuxTcpWmem;
  return c;
}

// Linux's starting sizes with 2 MiB ceilings: enough to show the growth past 256 KiB, and
// fewer segments to simulate than 6 MiB windows.
TcpLayerConfig tuned_to_2m() {
  TcpLayerConfig c = tuned();
  c.rmem->max = c.wmem->max = 2 << 20;
  return c;
}

// A client that writes as fast as its buffer takes and a server that reads everything (or
// nothing), 1 ms of virtual time per step.
struct BulkTransfer {
  BulkTransfer(const TcpLayerConfig& client_cfg, const TcpLayerConfig& server_cfg,
               TcpSocketOptions server_opts = {}, TcpSocketOptions client_opts = {})
      : pair(client_cfg, server_cfg, 50_ms) {
    auto l = pair.server().listen(pair.server_addr(), 80, 16, server_opts);
    EXPECT_TRUE(l.ok());
    auto c = pair.client().connect(pair.now(), pair.client_ip(), pair.server_addr(), 80,
                                   std::nullopt, 0, client_opts);
    EXPECT_TRUE(c.ok());
    client = *c;
    pair.run_for(150_ms);
    auto a = pair.server().accept(*l);
    EXPECT_TRUE(a.ok());
    server = *a;
  }
  void run(Duration d, bool read) {
    std::vector<std::uint8_t> chunk(1 << 20, 0x5a);
    Instant end = pair.now() + d;
    while (pair.now() < end) {
      auto n = pair.client().send(pair.now(), client, chunk);
      if (n.ok()) sent += *n;
      if (read) {
        for (;;) {
          auto r = pair.server().recv(pair.now(), server, chunk);
          if (!r.ok() || *r == 0) break;
          delivered += *r;
        }
      }
      max_rcv_wnd = std::max(max_rcv_wnd, pair.server().stats(server)->rcv_wnd);
      pair.run_for(1_ms);
    }
  }
  TcpStats server_stats() { return *pair.server().stats(server); }
  TcpStats client_stats() { return *pair.client().stats(client); }

  TcpLayerPair pair;
  SocketHandle client, server;
  std::uint64_t sent = 0, delivered = 0;
  std::uint32_t max_rcv_wnd = 0;
};

// A fixed 256 KiB window moves at most 256 KiB per 100 ms round trip: 10 MiB in 4 s. With
// Linux's tcp_rmem / tcp_wmem the receiver's buffer and its window grow past it (the receiver
// measures what the reader takes per RTT) and the sender's buffer follows its cwnd, so the
// same 4 s carry more than twice as much.
TEST(BufferTuning, LongFatPathGrowsBothBuffersPastAFixedWindow) {
  constexpr Duration kRun = 4_s;
  const std::uint64_t fixed_window_bound = k256K * (kRun.total_millis() / 100);

  BulkTransfer fixed({}, {});
  fixed.run(kRun, true);
  EXPECT_LE(fixed.delivered, fixed_window_bound);
  EXPECT_EQ(fixed.server_stats().rcvbuf, k256K);
  EXPECT_EQ(fixed.server_stats().rcvbuf_grows, 0u);
  EXPECT_EQ(fixed.client_stats().sndbuf, k256K);

  BulkTransfer t(tuned_to_2m(), tuned_to_2m());
  t.run(kRun, true);
  TcpStats s = t.server_stats();
  TcpStats c = t.client_stats();
  EXPECT_GT(s.rcvbuf, k256K);
  EXPECT_LE(s.rcvbuf, 2u << 20);
  EXPECT_GT(s.rcvbuf_grows, 0u);
  EXPECT_GT(t.max_rcv_wnd, k256K) << "the advertised window follows the buffer";
  EXPECT_GT(c.sndbuf, k256K);
  EXPECT_LE(c.sndbuf, 2u << 20);
  EXPECT_GT(c.sndbuf_grows, 0u);
  EXPECT_GT(t.delivered, 2 * fixed_window_bound) << s.to_string();
  // At rest (everything read and acknowledged) neither ring holds storage; the sizes stay.
  t.run(1_s, true);
  EXPECT_EQ(t.server_stats().unread, 0u);
}

// A round trip below the 1 ms timestamp tick (a TUN's peer is the local kernel): the echoed
// TSval comes back in the same millisecond, a 0 ms sample that says only "below 1 ms". Linux
// takes 1 ms then; ustack times a window's worth of data on its µs clock instead, so the
// estimate is the path's (200 µs here, plus the time the window takes to fill), not 1 ms (the
// buffer would grow to what is read per millisecond) and not zero (it would be re-measured on
// every read).
TEST(BufferTuning, SubMillisecondRoundTripIsTimedByTheWindow) {
  TcpLayerPair pair(tuned(), tuned(), 100_us);
  auto l = pair.server().listen(pair.server_addr(), 80, 16);
  ASSERT_TRUE(l.ok());
  auto c = pair.client().connect(pair.now(), pair.client_ip(), pair.server_addr(), 80);
  ASSERT_TRUE(c.ok());
  pair.run_for(1_ms);
  auto a = pair.server().accept(*l);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(pair.server().stats(*a)->timestamps);
  std::vector<std::uint8_t> chunk(64 * 1024, 0x5a);
  for (int step = 0; step < 2000; ++step) {  // 100 ms in 50 µs steps
    (void)pair.client().send(pair.now(), *c, chunk);
    while (true) {
      auto r = pair.server().recv(pair.now(), *a, chunk);
      if (!r.ok() || *r == 0) break;
    }
    pair.run_for(50_us);
  }
  TcpStats s = *pair.server().stats(*a);
  EXPECT_GE(s.rcv_rtt, 200_us) << s.to_string();
  EXPECT_LT(s.rcv_rtt, 1_ms) << s.to_string();
}

// A reader that does not read: the window closes and the buffer stays at tcp_rmem[1].
TEST(BufferTuning, ReaderThatDoesNotReadDoesNotGrowTheBuffer) {
  BulkTransfer t(tuned(), tuned());
  t.run(3_s, false);
  TcpStats s = t.server_stats();
  EXPECT_EQ(s.rcvbuf, kLinuxTcpRmem.def);
  EXPECT_EQ(s.rcvbuf_grows, 0u);
  EXPECT_GT(s.unread, kLinuxTcpRmem.def - 4 * 1448);  // the buffer filled up
  EXPECT_LE(t.max_rcv_wnd, kLinuxTcpRmem.def);
}

// SO_RCVBUF / SO_SNDBUF lock the sizes (Linux SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK), and
// getsockopt reports them; the window scale follows the locked size.
TEST(BufferTuning, SoRcvbufAndSoSndbufLockTheSize) {
  TcpSocketOptions rcv, snd;
  rcv.recv_buffer = 200000;
  snd.send_buffer = 100000;
  BulkTransfer t(tuned(), tuned(), rcv, snd);
  t.run(3_s, true);
  TcpStats s = t.server_stats();
  TcpStats c = t.client_stats();
  EXPECT_EQ(s.rcvbuf, 200000u);
  EXPECT_EQ(s.rcvbuf_grows, 0u);
  EXPECT_EQ(s.rcv_wscale, 2);  // 200000 >> 2 fits 16 bits
  EXPECT_EQ(c.sndbuf, 100000u);
  EXPECT_EQ(c.sndbuf_grows, 0u);
  EXPECT_EQ(*t.pair.server().options(t.server)->recv_buffer, 200000u);
  EXPECT_EQ(*t.pair.client().options(t.client)->send_buffer, 100000u);
  // The unlocked ends grew and say so.
  EXPECT_GT(*t.pair.client().options(t.client)->recv_buffer, 0u);
  EXPECT_GT(*t.pair.server().options(t.server)->send_buffer, kLinuxTcpWmem.def);
}

// Setting SO_RCVBUF on a live connection stops its growth.
TEST(BufferTuning, SoRcvbufOnALiveConnectionStopsGrowth) {
  BulkTransfer t(tuned_to_2m(), tuned_to_2m());
  t.run(1_s, true);
  TcpSocketOptions lock;
  lock.recv_buffer = 4096;
  ASSERT_FALSE(t.pair.server().set_options(t.server, lock));
  std::size_t size = t.server_stats().rcvbuf;
  std::uint64_t grows = t.server_stats().rcvbuf_grows;
  t.run(1_s, true);
  EXPECT_EQ(t.server_stats().rcvbuf, size);
  EXPECT_EQ(t.server_stats().rcvbuf_grows, grows);
}

// RFC 7323 §2.3 / Linux tcp_select_initial_window: the SYN offers the shift for tcp_rmem[2]
// (6 MiB: 7), not for the starting size (128 KiB would be 2).
TEST(BufferTuning, SynWindowScaleFollowsRmemMax) {
  using testing::seg;
  using testing::TcpTestbed;
  testing::TcpTestbed t = TcpTestbed::connecting(80, tuned());
  t.expect(seg().syn().win(65535).wscale(7));
  TcpLayerConfig fixed = tuned();
  fixed.rmem = TcpBufferSysctl{4096, 131072, 131072};
  TcpTestbed f = TcpTestbed::connecting(80, fixed);
  f.expect(seg().syn().win(65535).wscale(2));
}

}  // namespace
}  // namespace ustack
