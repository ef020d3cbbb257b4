// SYN floods (RFC 4987): bounded memory and immediate recovery for legitimate clients, with SYN
// cookies (Linux tcp_syncookies = 1, the default) and without them (eviction of abandoned
// embryonic connections). Virtual time: a flood of SYNs from random ports that never complete.
#include <gtest/gtest.h>

#include "stack/base/random.h"
#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

const IpAddr kFlooder = Ipv4Addr({198, 18, 0, 1});

// A segment from `src_port` of the flooder's address (the testbed's own peer is port 40000).
void inject_from(TcpTestbed& t, std::uint16_t src_port, std::uint8_t flags, std::uint32_t seq,
                 std::uint32_t ack = 0) {
  TcpRepr r;
  r.src_port = src_port;
  r.dst_port = 80;
  r.seq = SeqNum(seq);
  r.ack = SeqNum(ack);
  r.flags = flags;
  r.window = 64240;
  if (flags & tcp_flags::kSyn) r.options.mss = 1460;
  ByteVec b(r.buffer_len());
  r.emit(b, kFlooder, t.ip().local, ChecksumMode::kCompute);
  t.inject_bytes(b);
}

void inject_syn(TcpTestbed& t, std::uint16_t src_port, std::uint32_t seq) {
  inject_from(t, src_port, tcp_flags::kSyn, seq);
}

// Takes the oldest segment sent without the testbed's pop(), which would learn its ISS from a
// SYN-ACK to another client.
TcpRepr take_sent(TcpTestbed& t) {
  EXPECT_FALSE(t.ip().sent.empty());
  if (t.ip().sent.empty()) return {};
  FakeIpSender::Sent s = std::move(t.ip().sent.front());
  t.ip().sent.pop_front();
  auto r = TcpRepr::parse(s.bytes, s.src, s.dst, ChecksumCheck::kVerify);
  EXPECT_TRUE(r.ok());
  TcpRepr out = r.ok() ? *r : TcpRepr{};
  out.payload = {};  // it pointed into s.bytes
  return out;
}

// `n` embryonic connections from ports 50000.. fill the SYN queue; their SYN-ACKs are dropped.
void fill_syn_queue(TcpTestbed& t, int n) {
  for (int i = 0; i < n; ++i) inject_syn(t, static_cast<std::uint16_t>(50000 + i), 7000 + i);
  t.ip().sent.clear();
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
TcpLayerConfig without_cookies() {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.syn_cookies = SynCookieMode::kNever;
  return cfg;
}

TEST(TcpSynFlood, ListenerRecoversWhenTheFloodsEntriesAgeOut) {
  TcpTestbed t = TcpTestbed::listening(80, without_cookies(), 128);
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
  TcpTestbed t = TcpTestbed::listening(80, without_cookies(), 128);
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

// --- SYN cookies ------------------------------------------------------------------------------

constexpr std::uint32_t kTsOptSack = 1u << 4;  // Linux TS_OPT_SACK in the cookie's TSval

// The SYN the tests answer with a cookie: every option the cookie can carry.
SegSpec full_syn() {
  return seg().syn().seq(1000).win(64240).mss(1460).sack_perm().ts(7, 0).wscale(7);
}

// Linux tcp_conn_request (want_cookie): with the SYN queue full a SYN gets a SYN-ACK whose ISN
// is a cookie and whose TSval carries window scale and SACK-permitted in its low 6 bits; nothing
// is kept: no socket, no timer, the SYN-ACK is never retransmitted.
TEST(TcpSynCookies, FullSynQueueAnswersWithACookieAndKeepsNothing) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 2);
  fill_syn_queue(t, 2);
  std::size_t sockets = t.layer().socket_count();
  std::size_t timers = t.layer().memory().timers;
  t.inject(full_syn());
  t.expect(seg().syn().ack(1001).win(65535).mss(1460).wscale(3).sack_perm().ts(_, 7));
  EXPECT_EQ(t.last_tsval() & 63, 7 | kTsOptSack);
  EXPECT_EQ(t.layer().counters().syncookies_sent, 1u);
  EXPECT_EQ(t.layer().counters().passive_opens, 2u);
  EXPECT_EQ(t.layer().socket_count(), sockets);
  EXPECT_EQ(t.layer().memory().timers, timers);
  // The queued entries retransmit their SYN-ACKs (to port 50000+); the cookie's never comes.
  for (int i = 0; i < 40; ++i) {
    t.at(t.now() + Duration::seconds(2));
    while (!t.ip().sent.empty()) EXPECT_NE(take_sent(t).dst_port, TcpTestbed::kPeerPort);
  }
}

// Linux cookie_v4_check + tcp_get_cookie_sock: the final ACK's cookie gives back the MSS, its
// TSecr the window scale and SACK; the connection is established at once, queued for accept(),
// takes the data the ACK carries, and uses every negotiated option both ways.
TEST(TcpSynCookies, CookieAckOpensTheConnectionWithTheNegotiatedOptions) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 2);
  fill_syn_queue(t, 2);
  t.inject(full_syn());
  t.expect(seg().syn().ack(1001).wscale(3));
  std::uint32_t cookie_tsval = t.last_tsval();
  t.at(10_ms);
  t.inject(seg().seq(1001).ack(1).win(502).ts(8, cookie_tsval).data("hello"));
  EXPECT_EQ(t.layer().counters().syncookies_recv, 1u);
  EXPECT_EQ(t.layer().counters().passive_opens, 3u);
  t.accept();
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.snd_wscale, 7);
  EXPECT_EQ(st.rcv_wscale, 3);
  EXPECT_TRUE(st.sack);
  EXPECT_TRUE(st.timestamps);
  EXPECT_EQ(st.snd_mss, 1460u - 12);  // the cookie's MSS less the timestamp option
  EXPECT_EQ(st.snd_wnd, 502u << 7);   // the ACK's window, scaled by the peer's shift
  // One RTT sample, from the echo of the cookie's TSval: 10 ms and what the cookie's TSval
  // was moved back to carry the options (< 64 ms, as in Linux).
  EXPECT_GE(st.srtt, 10_ms);
  EXPECT_LT(st.srtt, 10_ms + 64_ms);
  EXPECT_EQ(t.recv(), "hello");
  // Reading made room: the window update is scaled by our shift (3), about 256 KiB >> 3.
  t.expect_next(seg().seq(1).ack(1006).win(32767).ts(_, 8));
  EXPECT_EQ(t.send("world"), 5u);
  t.expect(seg().seq(1).ack(1006).data("world").ts(_, 8));
  // SACK: a segment after a hole is reported.
  t.inject(seg().seq(1011).ack(6).win(502).ts(9, _).data("later"));
  t.expect(seg().seq(6).ack(1006).sack(1011, 1016).ts(_, 8));
  t.inject(seg().seq(1006).ack(6).win(502).ts(10, _).data("12345"));
  t.expect_next(seg().seq(6).ack(1016).no_sack());
  EXPECT_EQ(t.recv(), "12345later");
}

// net/ipv6/syncookies.c: an IPv6 cookie is keyed on the 128-bit addresses and carries an MSS
// from the IPv6 table (1280/1480/1500/9000 less 60 bytes of headers): a peer's 1430 comes back
// as 1420; window scale and SACK ride in the TSval as over IPv4.
TEST(TcpSynCookies, Ipv6CookieCarriesTheIpv6TablesMssAndTheOptions) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.syn_cookies = SynCookieMode::kAlways;
  TcpTestbed t = TcpTestbed::listening_ipv6(80, cfg);
  std::size_t sockets = t.layer().socket_count();
  t.inject(seg().syn().seq(1000).win(64240).mss(1430).sack_perm().ts(7, 0).wscale(7));
  t.expect(seg().syn().ack(1001).mss(1440).wscale(3).sack_perm().ts(_, 7));
  EXPECT_EQ(t.last_tsval() & 63, 7 | kTsOptSack);
  EXPECT_EQ(t.layer().socket_count(), sockets);
  std::uint32_t cookie_tsval = t.last_tsval();
  t.inject(seg().seq(1001).ack(2).win(502).ts(8, cookie_tsval));  // not the cookie
  t.expect(seg().rst().seq(2));
  t.inject(seg().seq(1001).ack(1).win(502).ts(8, cookie_tsval).data("v6"));
  t.accept();
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.snd_mss, 1420u - 12);
  EXPECT_EQ(st.snd_wscale, 7);
  EXPECT_TRUE(st.sack);
  EXPECT_EQ(t.recv(), "v6");
  EXPECT_EQ(t.layer().counters().syncookies_recv, 1u);
  EXPECT_EQ(t.layer().counters().syncookies_failed, 1u);
}

// Linux: without timestamps the cookie cannot carry window scale or SACK, so the SYN-ACK offers
// neither and the connection has none; the MSS is the table's entry at or below the peer's.
TEST(TcpSynCookies, WithoutTimestampsTheConnectionHasNoWindowScaleOrSack) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 2);
  fill_syn_queue(t, 2);
  t.inject(seg().syn().seq(1000).win(64240).mss(1400).sack_perm().wscale(7));
  t.expect(seg().syn().ack(1001).win(65535).mss(1460).no_wscale().no_sack_perm().no_ts());
  t.inject(seg().seq(1001).ack(1).win(502));
  t.accept();
  TcpStats st = *t.layer().stats(t.conn());
  EXPECT_EQ(st.snd_wscale, 0);
  EXPECT_EQ(st.rcv_wscale, 0);
  EXPECT_FALSE(st.sack);
  EXPECT_FALSE(st.timestamps);
  EXPECT_EQ(st.snd_mss, 1300u);  // 1400 rounded down to Linux's msstab
  EXPECT_EQ(st.snd_wnd, 502u);
  EXPECT_EQ(t.send("ping"), 4u);
  t.expect(seg().seq(1).ack(1001).win(65535).data("ping").no_ts());
  t.inject(seg().seq(1001).ack(5).win(502).data("pong"));
  EXPECT_EQ(t.recv(), "pong");
}

// Linux tcp_v4_cookie_check: an ACK to a listener whose cookie is not valid is an ACK to a
// listener (RFC 9293 §3.10.7.2: <SEQ=SEG.ACK><CTL=RST>), counted as a failed cookie.
TEST(TcpSynCookies, AckWithABadCookieGetsARst) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 2);
  fill_syn_queue(t, 2);
  t.inject(full_syn());
  t.expect(seg().syn().ack(1001));
  std::size_t sockets = t.layer().socket_count();
  t.inject(seg().seq(1001).ack(2).win(502).ts(8, _));  // cookie + 1: not ours
  t.expect(seg().rst().seq(2));
  t.inject(seg().seq(1002).ack(1).win(502).ts(8, _));  // another peer ISN
  t.expect(seg().rst().seq(1));
  EXPECT_EQ(t.layer().counters().syncookies_failed, 2u);
  EXPECT_EQ(t.layer().counters().syncookies_recv, 0u);
  EXPECT_EQ(t.layer().counters().rsts_listen_ack, 2u);
  EXPECT_EQ(t.layer().socket_count(), sockets);
}

// Linux tcp_synq_no_recent_overflow: a listener that sent no cookie in the last two counter
// ticks does not check ACKs as cookies at all (they just get the RST).
TEST(TcpSynCookies, NoCookieSentMeansNoCookieChecked) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.inject(seg().seq(1001).ack(5000).win(502));
  t.expect(seg().rst().seq(5000));
  EXPECT_EQ(t.layer().counters().syncookies_failed, 0u);
  EXPECT_EQ(t.layer().counters().rsts_listen_ack, 1u);
}

// MAX_SYNCOOKIE_AGE: a cookie from two counter ticks (64 s each) ago is refused.
TEST(TcpSynCookies, CookieTwoTicksOldIsRefused) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.syn_cookies = SynCookieMode::kAlways;
  TcpTestbed t = TcpTestbed::listening(80, cfg);
  t.at(63_s);
  t.inject(full_syn());
  t.expect(seg().syn().ack(1001));
  std::uint32_t cookie_tsval = t.last_tsval();
  inject_syn(t, 50000, 9000);  // another cookie at 127 s keeps the listener checking
  t.at(127_s);
  inject_syn(t, 50001, 9000);
  t.ip().sent.clear();
  t.at(128_s);
  t.inject(seg().seq(1001).ack(1).win(502).ts(8, cookie_tsval));
  t.expect(seg().rst().seq(1));
  EXPECT_EQ(t.layer().counters().syncookies_failed, 1u);
}

// Linux tcp_get_cookie_sock: a valid cookie while the accept queue is full is dropped silently
// (no RST: the peer's retransmission may find room); once there is room it opens the connection.
TEST(TcpSynCookies, FullAcceptQueueDropsTheCookieAckUntilThereIsRoom) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 1);
  inject_syn(t, 50000, 7000);
  TcpRepr other_synack = take_sent(t);
  t.inject(full_syn());  // SYN queue full: a cookie
  t.expect(seg().syn().ack(1001));
  std::uint32_t cookie_tsval = t.last_tsval();
  inject_from(t, 50000, tcp_flags::kAck, 7001, other_synack.seq.raw() + 1);
  EXPECT_TRUE(t.layer().readiness(t.listener()).accept_ready);  // the accept queue is full
  std::size_t sockets = t.layer().socket_count();
  t.inject(seg().seq(1001).ack(1).win(502).ts(8, cookie_tsval).data("hi"));
  t.expect_nothing();
  EXPECT_EQ(t.layer().counters().syncookies_recv, 1u);
  EXPECT_EQ(t.layer().counters().drops_listen_overflow, 1u);
  EXPECT_EQ(t.layer().socket_count(), sockets);
  t.accept();  // the other client
  t.at(200_ms);
  t.inject(seg().seq(1001).ack(1).win(502).ts(9, cookie_tsval).data("hi"));
  t.accept();
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  EXPECT_EQ(t.recv(), "hi");
  EXPECT_EQ(t.layer().counters().syncookies_recv, 2u);
}

// tcp_syncookies = 2: every SYN gets a cookie, even with room in the SYN queue.
TEST(TcpSynCookies, AlwaysModeAnswersEverySynWithACookie) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.syn_cookies = SynCookieMode::kAlways;
  TcpTestbed t = TcpTestbed::listening(80, cfg);
  std::size_t sockets = t.layer().socket_count();
  t.inject(full_syn());
  t.expect(seg().syn().ack(1001));
  EXPECT_EQ(t.layer().socket_count(), sockets);
  t.inject(seg().seq(1001).ack(1).win(502).ts(8, _));
  t.accept();
  EXPECT_EQ(*t.layer().state(t.conn()), TcpState::kEstablished);
  EXPECT_EQ(t.layer().counters().syncookies_sent, 1u);
  EXPECT_EQ(t.layer().counters().syncookies_recv, 1u);
}

// RFC 4987 §3.6: under a 20 000-SYN flood the listener holds at most `backlog` embryonic
// connections (the rest got cookies), and a legitimate client connects in the middle of it
// through a cookie and exchanges data.
TEST(TcpSynCookies, MemoryStaysBoundedUnderAFloodAndALegitimateClientGetsThrough) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), 128);
  std::size_t baseline = t.layer().socket_count();
  Rng rng(11);
  flood(t, rng, 10000, 100_us);
  t.inject(full_syn());
  t.expect(seg().syn().ack(1001));
  std::uint32_t cookie_tsval = t.last_tsval();
  flood(t, rng, 10000, 100_us);
  EXPECT_LE(t.layer().socket_count(), baseline + 128);
  EXPECT_LE(t.layer().memory().slots, 2 * 128u);
  // Some flood SYNs hit a port already in the queue (a retransmitted SYN, no cookie).
  EXPECT_GE(t.layer().counters().syncookies_sent, 19500u);
  EXPECT_EQ(t.layer().counters().drops_listen_overflow, 0u);
  t.inject(seg().seq(1001).ack(1).win(502).ts(8, cookie_tsval).data("GET"));
  t.accept();
  EXPECT_EQ(t.recv(), "GET");
  t.expect(seg().seq(1).ack(1004));
  EXPECT_EQ(t.send("200 OK"), 6u);
  t.expect_next(seg().seq(1).ack(1004).data("200 OK"));
  EXPECT_LE(t.layer().socket_count(), baseline + 128 + 1);
  t.at(t.now() + 64_s);  // the flood's entries give up; the client's connection stays
  EXPECT_EQ(t.layer().socket_count(), baseline + 1);
}

}  // namespace
}  // namespace ustack::testing
