// The urgent mechanism (RFC 9293 §3.8.5, §3.10.7.4 sixth; MUST-30..33, MUST-62) with Linux's
// semantics (tcp_check_urg, tcp_urg, tcp_recv_urg, tcp_recvmsg, __tcp_transmit_skb;
// net.ipv4.tcp_stdurg = 0): the urgent octet is the one before the pointer, taken out of the
// stream and read once with recv(MSG_OOB) unless SO_OOBINLINE.
#include <gtest/gtest.h>

#include "stack/tcp/layer_pair.h"
#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

// Established, the peer without timestamps (ISN 1000: its next seq is 1001, ours 1).
TcpTestbed plain(TcpSocketOptions o = {}) {
  return TcpTestbed::established(TcpTestbed::default_config(), o, false);
}

TcpSocketOptions oob_inline() {
  TcpSocketOptions o;
  o.oob_inline = true;
  return o;
}

// recv(MSG_OOB): the octet as a one-character string, or the error.
Result<std::string, TcpError> recv_oob(TcpTestbed& t) {
  std::uint8_t c = 0;
  auto r = t.layer().recv_urgent(t.conn(), MutBytes(&c, 1));
  if (!r.ok()) return Err(r.error());
  return std::string(*r, static_cast<char>(c));
}

TcpError recv_error(TcpTestbed& t) {
  std::uint8_t buf[16];
  auto r = t.layer().recv(t.conn(), buf);
  EXPECT_FALSE(r.ok()) << "read " << (r.ok() ? *r : 0) << " bytes";
  return r.ok() ? TcpError::kInvalid : r.error();
}

bool at_mark(TcpTestbed& t) { return *t.layer().at_mark(t.conn()); }

// --- Receiving ------------------------------------------------------------------------------

// SEG.SEQ + SEG.UP - 1 is the urgent octet (BSD, Linux tcp_stdurg = 0): a stream read stops
// just before it, POLLPRI says it is there (MUST-32), sockatmark() finds the mark (MUST-33),
// recv(MSG_OOB) reads it, and the stream goes on without it.
TEST(TcpUrgentReceive, UrgentOctetIsWithheldAndReadOutOfBand) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("abc!").urg(4));
  t.expect(seg().ack(1005).seq(1));
  TcpReadiness r = t.layer().readiness(t.conn());
  EXPECT_TRUE(r.urgent);
  EXPECT_TRUE(r.readable);
  EXPECT_FALSE(at_mark(t));
  EXPECT_EQ(t.recv(), "abc");  // stops at the mark
  EXPECT_TRUE(at_mark(t));
  // Only the urgent octet is left, which a stream read would skip: not readable (Linux
  // tcp_poll raises its target by one at the mark).
  EXPECT_FALSE(t.layer().readiness(t.conn()).readable);
  EXPECT_EQ(*recv_oob(t), "!");
  EXPECT_FALSE(t.layer().readiness(t.conn()).urgent);
  // Read once: then EINVAL (Linux TCP_URG_READ).
  EXPECT_EQ(recv_oob(t).error(), TcpError::kInvalid);
  EXPECT_EQ(recv_error(t), TcpError::kWouldBlock);
  t.inject(seg().ack(1).seq(1005).data("def"));
  EXPECT_EQ(t.recv(), "def");
  EXPECT_FALSE(at_mark(t));
  EXPECT_EQ(recv_oob(t).error(), TcpError::kInvalid);  // the mark is passed and forgotten
  EXPECT_EQ(t.layer().stats(t.conn())->urgent_in, 1u);
}

// Linux tcp_recvmsg: a stream read at the mark skips the octet and goes on behind it; the
// octet is then gone for recv(MSG_OOB) too (the mark was passed).
TEST(TcpUrgentReceive, StreamReadAtTheMarkSkipsTheOctet) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("ab!cd").urg(3));
  EXPECT_EQ(t.recv(), "ab");
  EXPECT_EQ(t.recv(), "cd");
  EXPECT_EQ(recv_oob(t).error(), TcpError::kInvalid);
  EXPECT_FALSE(t.layer().readiness(t.conn()).urgent);
}

// No urgent data: recv(MSG_OOB) is EINVAL ("Yes this is right !", Linux tcp_recv_urg), and so
// on a socket that never connected; a listener is ENOTCONN.
TEST(TcpUrgentReceive, NoUrgentDataIsInvalid) {
  TcpTestbed t = plain();
  EXPECT_EQ(recv_oob(t).error(), TcpError::kInvalid);
  std::uint8_t c;
  EXPECT_EQ(t.layer().recv_urgent(t.listener(), MutBytes(&c, 1)).error(), TcpError::kNotConnected);
  SocketHandle fresh = t.layer().open(IpVersion::kV4);
  EXPECT_EQ(t.layer().recv_urgent(fresh, MutBytes(&c, 1)).error(), TcpError::kInvalid);
  // SIOCATMARK: false without a connection, and on a listener (Linux tcp_ioctl).
  EXPECT_FALSE(*t.layer().at_mark(fresh));
  EXPECT_FALSE(*t.layer().at_mark(t.listener()));
}

// SO_OOBINLINE: the octet stays in the stream, recv(MSG_OOB) is EINVAL, and the reader still
// learns where the mark is: reads stop there and sockatmark() says so. POLLPRI lasts until the
// reader is past the octet (Linux keeps TCP_URG_VALID until then).
TEST(TcpUrgentReceive, InlineModeKeepsTheOctetInTheStream) {
  TcpTestbed t = plain(oob_inline());
  t.inject(seg().ack(1).seq(1001).data("abc!def").urg(4));
  EXPECT_TRUE(t.layer().readiness(t.conn()).urgent);
  EXPECT_EQ(recv_oob(t).error(), TcpError::kInvalid);
  EXPECT_EQ(t.recv(), "abc");
  EXPECT_TRUE(at_mark(t));
  EXPECT_TRUE(t.layer().readiness(t.conn()).readable);
  EXPECT_EQ(t.recv(), "!def");
  EXPECT_FALSE(at_mark(t));
  EXPECT_FALSE(t.layer().readiness(t.conn()).urgent);
}

// SO_OOBINLINE set on a live connection applies to the mark already there.
TEST(TcpUrgentReceive, InlineSetLaterKeepsTheWaitingOctet) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("ab!").urg(3));
  ASSERT_FALSE(t.layer().set_options(t.conn(), oob_inline()));
  EXPECT_TRUE(*t.layer().options(t.conn())->oob_inline);
  EXPECT_EQ(t.recv(), "ab");
  EXPECT_EQ(t.recv(), "!");
}

// A newer urgent pointer replaces the mark (Linux tcp_check_urg); the older octet becomes
// ordinary data (Linux's "Double Dutch" comment: only the last urgent octet leaves the stream).
TEST(TcpUrgentReceive, NewerPointerReplacesTheMark) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("ab!").urg(3));
  t.inject(seg().ack(1).seq(1004).data("cd?").urg(3));
  EXPECT_EQ(t.recv(), "ab!cd");
  EXPECT_TRUE(at_mark(t));
  EXPECT_EQ(*recv_oob(t), "?");
  EXPECT_EQ(t.layer().stats(t.conn())->urgent_in, 2u);
}

// The reader sits on the old mark (its octet read out of band, not yet skipped) when a new
// pointer arrives: the old octet is dropped from the stream at once, so it never reads as data.
TEST(TcpUrgentReceive, NewMarkWhileTheReaderSitsOnTheOldOne) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("!").urg(1));
  EXPECT_EQ(*recv_oob(t), "!");
  t.inject(seg().ack(1).seq(1002).data("x?").urg(2));
  EXPECT_EQ(t.recv(), "x");
  EXPECT_EQ(*recv_oob(t), "?");
  EXPECT_EQ(recv_error(t), TcpError::kWouldBlock);
}

// The same pointer on every segment while it is outstanding (RFC 9293 §3.8.5) is one urgent
// notification, not one per segment (RFC 9293 §3.10.7.4 sixth: "do not signal the user again").
TEST(TcpUrgentReceive, RepeatedPointerSignalsOnce) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("abcd").urg(9));
  t.inject(seg().ack(1).seq(1005).data("efgh").urg(5));
  EXPECT_EQ(t.layer().stats(t.conn())->urgent_in, 1u);
}

// A pointer beyond the segment names an octet still to come: recv(MSG_OOB) is EAGAIN (it
// never blocks) and POLLPRI waits; the octet is taken when its segment arrives, URG or not.
TEST(TcpUrgentReceive, PointerIntoFutureData) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("abc").urg(10));  // the octet at 1010
  EXPECT_EQ(recv_oob(t).error(), TcpError::kWouldBlock);
  EXPECT_FALSE(t.layer().readiness(t.conn()).urgent);
  EXPECT_EQ(t.layer().stats(t.conn())->urgent_in, 1u);  // signalled at once (SIGURG)
  EXPECT_EQ(t.recv(), "abc");
  t.inject(seg().ack(1).seq(1004).data("defghij"));
  EXPECT_TRUE(t.layer().readiness(t.conn()).urgent);
  EXPECT_EQ(t.recv(), "defghi");
  EXPECT_EQ(*recv_oob(t), "j");
}

// The peer's FIN before the awaited octet: recv(MSG_OOB) reports the end of the stream (0).
TEST(TcpUrgentReceive, FinBeforeTheOctetEndsTheWait) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("abc").urg(10));
  t.inject(seg().ack(1).seq(1004).fin());
  EXPECT_EQ(*recv_oob(t), "");
}

// Linux tcp_check_urg "do not replay urg ptr": a pointer below RCV.NXT (here on a segment that
// overlaps data already received) names an octet that already came as ordinary data.
TEST(TcpUrgentReceive, PointerBelowRcvNxtIsNotReplayed) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("abc"));
  t.inject(seg().ack(1).seq(1001).data("abcd").urg(3));
  EXPECT_EQ(t.recv(), "abcd");
  EXPECT_EQ(recv_oob(t).error(), TcpError::kInvalid);
  EXPECT_EQ(t.layer().stats(t.conn())->urgent_in, 0u);
}

// SEG.UP = 0 with URG: Linux decrements only a non-zero pointer (`if (ptr && !tcp_stdurg)
// ptr--`), so the mark is SEG.SEQ itself: the segment's first octet is urgent.
TEST(TcpUrgentReceive, ZeroPointerMarksTheFirstOctet) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("xyz").urg(0));
  EXPECT_EQ(*recv_oob(t), "x");
  EXPECT_EQ(t.recv(), "yz");
}

// RFC 9293 §3.10.7.4 sixth: after the peer's FIN (CLOSE-WAIT) an URG "should not occur" and is
// ignored.
TEST(TcpUrgentReceive, UrgAfterFinIsIgnored) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).data("ab").fin());
  t.inject(seg().ack(1).seq(1004).urg(5));
  EXPECT_EQ(t.layer().stats(t.conn())->urgent_in, 0u);
  EXPECT_EQ(recv_oob(t).error(), TcpError::kInvalid);
}

// --- Sending --------------------------------------------------------------------------------

// send(MSG_OOB) (MUST-30): URG with the pointer just after the last urgent octet (MUST-62,
// SND.UP = SEG.SEQ + SEG.UP), also on the retransmission; once acknowledged, urgent mode ends.
TEST(TcpUrgentSend, UrgentPointerOnSegmentAndRetransmissionUntilAcked) {
  TcpTestbed t = plain();
  ASSERT_EQ(*t.layer().send_urgent(t.conn(), as_bytes(std::string("abc"))), 3u);
  t.expect(seg().ack(1001).seq(1).data("abc").urg(3));
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(1).data("abc").urg(3)), 200_ms);
  t.inject(seg().ack(4).seq(1001));
  t.send("d");
  t.expect(seg().ack(1001).seq(4).data("d"));  // no URG (flags are compared exactly)
}

// Urgent data of any length (MUST-31): every segment below SND.UP carries the pointer, each
// relative to its own sequence number.
TEST(TcpUrgentSend, LongUrgentDataPointerOnEverySegment) {
  TcpTestbed t = plain();
  std::uint32_t mss = t.layer().stats(t.conn())->snd_mss;
  std::string data(2 * mss + 100, 'u');
  ASSERT_EQ(*t.layer().send_urgent(t.conn(), as_bytes(data)), data.size());
  std::uint32_t total = static_cast<std::uint32_t>(data.size());
  t.expect(seg().ack(1001).seq(1).len(mss).urg(total));
  t.expect(seg().ack(1001).seq(1 + mss).len(mss).urg(total - mss));
  t.expect(seg().ack(1001).seq(1 + 2 * mss).len(100).urg(100));
  // A partial ACK leaves urgent mode on. Our ACK of the peer's data carries SND.MAX, which is
  // SND.UP here: not below it, so no URG.
  t.inject(seg().ack(1 + mss).seq(1001).data("x"));
  t.expect(seg().ack(1002).seq(1 + total));
  // The retransmission of what is outstanding keeps the pointer.
  t.expect_next(seg().ack(1002).seq(1 + mss).len(mss).urg(total - mss));
}

// Linux tcp_nagle_test: Nagle never holds urgent data.
TEST(TcpUrgentSend, NagleDoesNotHoldUrgentData) {
  TcpTestbed t = plain();
  t.send("a");
  t.expect(seg().ack(1001).seq(1).data("a"));
  t.send("b");
  t.expect_nothing();  // Nagle: "a" is unacknowledged
  ASSERT_TRUE(t.layer().send_urgent(t.conn(), as_bytes(std::string("!"))).ok());
  t.expect(seg().ack(1001).seq(2).data("b!").urg(2));
}

// With a zero window the urgent pointer still reaches the peer (RFC 9293 MUST-66: URG is
// accepted with a zero window; Linux sends it on every segment below SND.UP, window probes and
// pure ACKs included) before the urgent data can.
TEST(TcpUrgentSend, ZeroWindowProbesAndAcksCarryThePointer) {
  TcpTestbed t = plain();
  t.inject(seg().ack(1).seq(1001).win(0));
  ASSERT_TRUE(t.layer().send_urgent(t.conn(), as_bytes(std::string("xy!"))).ok());
  t.expect_nothing();
  // The probe <SEQ=SND.UNA-1> points 4 ahead of itself: after "xy!".
  EXPECT_EQ(t.expect_next(seg().seq(0).ack(1001).len(0).urg(4)), 200_ms);
  t.inject(seg().ack(1).seq(1001).win(0).data("q"));
  t.expect(seg().seq(1).ack(1002).urg(3));
  t.inject(seg().ack(1).seq(1002).win(100));
  t.expect(seg().seq(1).ack(1002).data("xy!").urg(3));
  t.inject(seg().ack(4).seq(1002).win(100));
  t.send("z");
  t.expect(seg().seq(4).ack(1002).data("z"));
}

// A second urgent send moves SND.UP on: the pointer follows the newest urgent octet.
TEST(TcpUrgentSend, SecondUrgentSendMovesThePointer) {
  TcpTestbed t = plain();
  ASSERT_TRUE(t.layer().send_urgent(t.conn(), as_bytes(std::string("ab"))).ok());
  t.expect(seg().ack(1001).seq(1).data("ab").urg(2));
  ASSERT_TRUE(t.layer().send_urgent(t.conn(), as_bytes(std::string("cd"))).ok());
  t.expect(seg().ack(1001).seq(3).data("cd").urg(2));
  t.inject(seg().ack(3).seq(1001));  // "ab" acknowledged: still urgent ("cd" is not)
  EXPECT_EQ(t.expect_next(seg().ack(1001).seq(3).data("cd").urg(2)), t.now() + 200_ms);
}

// --- Both ends ustack -----------------------------------------------------------------------

// The sender's pointer and the receiver's reading agree: the last octet of an urgent send is
// the one read out of band, the rest arrive in the stream in order.
TEST(TcpUrgentPair, UrgentSendIsReadOutOfBandByTheOtherStack) {
  TcpLayerPair p;
  auto l = p.server().listen(p.server_addr(), 80, 8);
  ASSERT_TRUE(l.ok());
  auto c = p.client().connect(p.now(), p.client_ip(), p.server_addr(), 80);
  ASSERT_TRUE(c.ok());
  p.settle();
  auto s = p.server().accept(*l);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(p.client().send(*c, as_bytes(std::string("hello "))).ok());
  ASSERT_TRUE(p.client().send_urgent(*c, as_bytes(std::string("urgent!"))).ok());
  ASSERT_TRUE(p.client().send(*c, as_bytes(std::string(" after"))).ok());
  p.run_for(Duration::seconds(1));
  EXPECT_TRUE(p.server().readiness(*s).urgent);
  std::uint8_t oob = 0;
  ASSERT_EQ(*p.server().recv_urgent(*s, MutBytes(&oob, 1)), 1u);
  EXPECT_EQ(oob, '!');
  std::string got;
  std::uint8_t buf[64];
  for (auto n = p.server().recv(*s, buf); n.ok() && *n > 0; n = p.server().recv(*s, buf)) {
    got.append(reinterpret_cast<char*>(buf), *n);
  }
  EXPECT_EQ(got, "hello urgent after");
}

}  // namespace
}  // namespace ustack::testing
