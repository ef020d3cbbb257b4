// SYN floods (RFC 4987): bounded memory and immediate recovery for legitimate clients, without
// SYN cookies. Virtual time: a flood of SYNs from random ports that never complete.
#include <gtest/gtest.h>

#include "stack/base/random.h"
#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

const IpAddr kFlooder = Ipv4Addr({198, 18, 0, 1});

void inject_syn(TcpTestbed& t, std::uint16_t src_port, std::uint32_t seq) {
  TcpRepr r;
  r.src_port = src_port;
  r.dst_port = 80;
  r.seq = SeqNum(seq);
  r.flags = tcp_flags::kSyn;
  r.window = 64240;
  r.options.mss = 1460;
  ByteVec b(r.buffer_len());
  r.emit(b, kFlooder, t.ip().local, ChecksumMode::kCompute);
  t.inject_bytes(b);
}

// `n` SYNs from random ports (never 40000, the legitimate client's), one every `gap`; what the
// listener sends is discarded.
void flood(TcpTestbed& t, Rng& rng, int n, Duration gap) {
  for (int i = 0; i < n; ++i) {
    t.at(t.now() + gap);
    auto port = static_cast<std::uint16_t>(1024 + rng.uniform(40000 - 1024));
    inject_syn(t, port, rng.next_u32());
    t.ip().sent.clear();
  }
}

// RFC 4987 §3.1 / Linux reqsk_timer_handler: the flood's SYN-RECEIVED entries go away with
// their SYN-ACK retransmission schedule, every socket they took is given back, and once they
// are gone a legitimate SYN gets its SYN-ACK at once.
TEST(TcpSynFlood, ListenerRecoversWhenTheFloodsEntriesAgeOut) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 128);
  std::size_t baseline = t.layer().socket_count();
  Rng rng(7);
  flood(t, rng, 20000, 100_us);
  EXPECT_LE(t.layer().socket_count(), baseline + 128);
  EXPECT_GT(t.layer().counters().drops_listen_overflow, 0u);
  // The last flood SYN's SYN-ACK is retransmitted 5 times (1+2+4+8+16 s) and given up on
  // 32 s later: 63 s.
  t.at(t.now() + 64_s);
  t.ip().sent.clear();
  EXPECT_EQ(t.layer().socket_count(), baseline);
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
  t.inject(seg().syn().seq(1000).win(64240).mss(1460));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().seq(1001).ack(1).win(502));
  t.accept();
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
}

// RFC 4987 §3.4 ("SYN cache" eviction) / Linux inet_csk_reqsk_queue_prune: when the SYN queue
// is full, a new SYN takes the place of the oldest embryonic connection whose SYN-ACK has
// already gone unanswered for an initial RTO; so right after a flood ends (and even during
// one) a legitimate client gets its SYN-ACK, and memory stays bounded.
TEST(TcpSynFlood, LegitimateSynIsAnsweredRightAfterTheFlood) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 128);
  std::size_t baseline = t.layer().socket_count();
  Rng rng(9);
  flood(t, rng, 20000, 100_us);
  EXPECT_LE(t.layer().socket_count(), baseline + 128);
  EXPECT_GT(t.layer().counters().syn_queue_evicted, 0u);
  t.at(t.now() + 10_ms);
  t.ip().sent.clear();
  t.inject(seg().syn().seq(1000).win(64240).mss(1460));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().seq(1001).ack(1).win(502));
  t.accept();
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  EXPECT_LE(t.layer().socket_count(), baseline + 128 + 1);
  t.at(t.now() + 64_s);
  EXPECT_EQ(t.layer().socket_count(), baseline + 1);  // the accepted connection
}

}  // namespace
}  // namespace ustack::testing
