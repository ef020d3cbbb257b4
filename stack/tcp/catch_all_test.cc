// Catch-all listeners (TcpLayer::set_catch_all): a gateway's listener that takes SYNs to any
// address and port, answering them at once or holding them until its user has connected onward
// (syn_hold.h).
#include <gtest/gtest.h>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

const IpAddr kFarAway = Ipv4Addr({198, 19, 7, 7});  // not the testbed's address

TcpTuple far_tuple(std::uint16_t port) {
  return TcpTuple{kFarAway, Ipv4Addr({198, 18, 0, 1}), port, TcpTestbed::kPeerPort};
}

// Without set_catch_all, a SYN to an address and port nobody listens on gets a RST
// (RFC 9293 §3.10.7.1): the baseline the catch-all changes.
TEST(TcpCatchAll, PlainListenerRefusesOtherDestinations) {
  TcpTestbed t = TcpTestbed::listening(80);
  t.retarget(kFarAway, 443);
  t.inject(seg().syn().seq(1000));
  t.expect(seg().rst().ack(1001));
}

// Answered at once (hold_syns false): the SYN-ACK comes from the address and port the client
// asked for, and accept() gives the connection with that local endpoint.
TEST(TcpCatchAll, AnswersSynToAnyAddressAndPort) {
  TcpTestbed t = TcpTestbed::listening(80);
  ASSERT_FALSE(t.layer().set_catch_all(t.listener(), false));
  t.retarget(kFarAway, 443);
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001).seq(0));
  t.inject(seg().seq(1001).ack(1));
  t.accept();
  auto tuple = t.layer().tuple(t.conn());
  ASSERT_TRUE(tuple.ok());
  EXPECT_EQ(*tuple, far_tuple(443));
  EXPECT_EQ(t.ip().sent.size(), 0u);
}

// A port some listener has keeps its own listener: the catch-all takes only the rest.
TEST(TcpCatchAll, ExactListenerWinsOverCatchAll) {
  TcpTestbed t = TcpTestbed::listening(80);
  auto other = t.layer().listen(Ipv4Addr({198, 18, 0, 2}), 8080, 4);
  ASSERT_TRUE(other.ok());
  ASSERT_FALSE(t.layer().set_catch_all(t.listener(), false));
  t.retarget(Ipv4Addr({198, 18, 0, 2}), 8080);
  t.inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().seq(1001).ack(1));
  EXPECT_TRUE(t.layer().accept(*other).ok());
  EXPECT_FALSE(t.layer().accept(t.listener()).ok());
}

// Held (hold_syns true): nothing is sent until the user answers; a retransmitted SYN is not
// held twice; kAccept then answers with the SYN-ACK the listener would have sent.
TEST(TcpCatchAll, HeldSynIsAnsweredOnlyWhenAccepted) {
  TcpTestbed t = TcpTestbed::listening(80);
  ASSERT_FALSE(t.layer().set_catch_all(t.listener(), true));
  t.retarget(kFarAway, 443);
  t.at(0_ms).inject(seg().syn().seq(1000).mss(1460).sack_perm().ts(7, 0).wscale(7));
  t.expect_nothing_until(1_s);
  t.inject(seg().syn().seq(1000).mss(1460).sack_perm().ts(8, 0).wscale(7));  // retransmitted
  EXPECT_EQ(t.layer().counters().syns_held, 1u);
  EXPECT_EQ(t.layer().held_syn_count(), 1u);
  auto held = t.layer().take_held_syn();
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(*held, far_tuple(443));
  EXPECT_FALSE(t.layer().take_held_syn().has_value());  // told once
  ASSERT_TRUE(t.layer().answer_syn(*held, SynAnswer::kAccept));
  EXPECT_FALSE(t.layer().answer_syn(*held, SynAnswer::kRefuse));  // answered already
  t.at(1100_ms).expect(seg().syn().ack(1001).seq(0).mss(1460).sack_perm().ts(_, 7).wscale(_));
  t.inject(seg().seq(1001).ack(1).ts(9, _));
  t.accept();
  EXPECT_EQ(*t.layer().tuple(t.conn()), far_tuple(443));
  EXPECT_EQ(t.layer().held_syn_count(), 0u);
}

// RFC 9293 §3.10.7.1: a refused SYN gets <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>, which a Linux
// client's connect() reports as ECONNREFUSED.
TEST(TcpCatchAll, RefusedHeldSynGetsRstAck) {
  TcpTestbed t = TcpTestbed::listening(80);
  ASSERT_FALSE(t.layer().set_catch_all(t.listener(), true));
  t.retarget(kFarAway, 9);
  t.inject(seg().syn().seq(5000));
  t.expect_nothing();
  auto held = t.layer().take_held_syn();
  ASSERT_TRUE(held.has_value());
  ASSERT_TRUE(t.layer().answer_syn(*held, SynAnswer::kRefuse));
  t.at(10_ms).expect(seg().rst().ack(5001).seq(0));
  EXPECT_EQ(t.layer().counters().syns_refused, 1u);
  t.expect_nothing_until(5_s);
}

// kDrop forgets the SYN: nothing is sent; the client's retransmission is held anew.
TEST(TcpCatchAll, DroppedHeldSynIsForgotten) {
  TcpTestbed t = TcpTestbed::listening(80);
  ASSERT_FALSE(t.layer().set_catch_all(t.listener(), true));
  t.retarget(kFarAway, 22);
  t.inject(seg().syn().seq(5000));
  auto held = t.layer().take_held_syn();
  ASSERT_TRUE(held && t.layer().answer_syn(*held, SynAnswer::kDrop));
  t.expect_nothing_until(1_s);
  t.inject(seg().syn().seq(5000));
  EXPECT_EQ(t.layer().take_held_syn(), held);
}

// At most `backlog` SYNs are held; further ones are dropped and counted (no state, no answer).
TEST(TcpCatchAll, HoldIsBoundedByBacklog) {
  TcpTestbed t = TcpTestbed::listening(80, TcpTestbed::default_config(), /*backlog=*/2);
  ASSERT_FALSE(t.layer().set_catch_all(t.listener(), true));
  for (std::uint16_t port : {1001, 1002, 1003}) {
    t.retarget(kFarAway, port);
    t.inject(seg().syn().seq(1000));
  }
  t.expect_nothing();
  EXPECT_EQ(t.layer().held_syn_count(), 2u);
  EXPECT_EQ(t.layer().counters().syns_held_overflow, 1u);
}

// The held SYN's header is there for an ICMP error's quote (its sequence number); closing the
// catch-all listener refuses what it still holds, as Linux resets a closed listener's queue.
TEST(TcpCatchAll, ClosingTheListenerRefusesHeldSyns) {
  TcpTestbed t = TcpTestbed::listening(80);
  ASSERT_FALSE(t.layer().set_catch_all(t.listener(), true));
  t.retarget(kFarAway, 9);
  t.inject(seg().syn().seq(7000));
  t.expect_nothing();
  auto held = t.layer().take_held_syn();
  ASSERT_TRUE(held.has_value());
  auto syn = t.layer().held_syn(*held);
  ASSERT_TRUE(syn.has_value());
  EXPECT_EQ(syn->seq, SeqNum(7000));
  ASSERT_FALSE(t.layer().close(t.listener()));
  t.at(10_ms).expect(seg().rst().ack(7001).seq(0));
  EXPECT_EQ(t.layer().held_syn_count(), 0u);
  EXPECT_FALSE(t.layer().held_syn(*held).has_value());
  EXPECT_FALSE(t.layer().answer_syn(*held, SynAnswer::kAccept));
  t.expect_nothing_until(5_s);
}

// Only a listener can catch all.
TEST(TcpCatchAll, OnlyListenersCatchAll) {
  TcpTestbed t;
  SocketHandle h = t.layer().open(IpVersion::kV4);
  EXPECT_EQ(t.layer().set_catch_all(h, true), TcpError::kInvalid);
}

}  // namespace
}  // namespace ustack::testing
