// The comparison on hand-built conversations: normalisation (relative numbers, scaled
// windows), the timing class of each host segment, alignment (missing / extra / differing),
// the allow list and the stop, packet by packet.
#include "pcap_tests/replay/compare.h"

#include <gtest/gtest.h>

#include "pcap_tests/replay/conversation.h"
#include "stack/wire/test_packets.h"

namespace ustack::replay {
namespace {

using namespace literals;

const IpAddr kHost = *IpAddr::parse("198.18.0.2");
const IpAddr kPeer = *IpAddr::parse("198.18.0.1");
constexpr std::uint32_t kHostIsn = 1000000, kPeerIsn = 5000;

// A conversation written as packetdrill-like lines: relative seq/ack, from the host (out)
// or the peer (in), at a time in ms.
struct Conv {
  PacketList packets;
  std::uint32_t host_isn = kHostIsn;
  std::uint16_t urgent = 0;  // the urgent pointer field of the segments that follow

  Conv& seg(bool out, int ms, std::uint8_t flags, std::uint32_t seq, std::uint32_t len,
            std::uint32_t ack, std::uint16_t win = 1000, bool wscale = false) {
    TcpRepr t;
    t.src_port = out ? 80 : 40000;
    t.dst_port = out ? 40000 : 80;
    t.seq = SeqNum((out ? host_isn : kPeerIsn) + seq);
    t.ack = SeqNum((out ? kPeerIsn : host_isn) + ack);
    t.flags = flags;
    t.window = win;
    t.urgent = urgent;
    if (wscale) t.options.window_scale = 7;
    ByteVec payload(len, 'x');
    t.payload = payload;
    Ipv4Repr ip;
    ip.src = (out ? kHost : kPeer).v4();
    ip.dst = (out ? kPeer : kHost).v4();
    ip.protocol = IpProto::kTcp;
    ByteVec l4 = emit_tcp(t, out ? kHost : kPeer, out ? kPeer : kHost);
    packets.push_back({Instant::zero() + Duration::millis(ms), out, emit_ipv4(ip, l4)});
    return *this;
  }
  Conv& in(int ms, std::uint8_t f, std::uint32_t seq, std::uint32_t len, std::uint32_t ack,
           std::uint16_t win = 1000) {
    return seg(false, ms, f, seq, len, ack, win);
  }
  Conv& out(int ms, std::uint8_t f, std::uint32_t seq, std::uint32_t len, std::uint32_t ack,
            std::uint16_t win = 1000) {
    return seg(true, ms, f, seq, len, ack, win);
  }
  // The handshake, ustack as the server; data starts at relative seq 1 both ways.
  static Conv established(std::uint32_t host_isn = kHostIsn) {
    Conv c;
    c.host_isn = host_isn;
    using namespace tcp_flags;
    c.seg(false, 0, kSyn, 0, 0, 0, 64240, true);
    c.seg(true, 0, kSyn | kAck, 0, 0, 1, 65535, true);
    c.in(1, kAck, 1, 0, 1);
    return c;
  }
};

std::vector<std::string> host_timings(const PacketList& p) {
  std::vector<std::string> t;
  for (const Segment& s : normalise(p)) {
    if (s.outbound) t.push_back(s.timing);
  }
  return t;
}

using namespace tcp_flags;

TEST(Normalise, NumbersAreRelativeAndWindowsScaledAfterTheHandshake) {
  Conv c = Conv::established();
  c.in(2, kAck | kPsh, 1, 100, 1, 500);
  std::vector<Segment> s = normalise(c.packets);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[1].text(), "S. 0:0(0) ack 1 win 65535 <wscale 7>");  // never scaled on a SYN
  EXPECT_EQ(s[3].text(), "P. 1:101(100) ack 1 win 64000");         // 500 << 7
  EXPECT_EQ(s[3].t, 2_ms);
}

TEST(TimingClass, AnswersDelayedAcksAndApplicationSends) {
  Conv c = Conv::established();
  c.in(10, kAck | kPsh, 1, 100, 1);
  c.out(10, kAck, 1, 0, 101);  // within 10 ms of the peer's packet
  c.in(20, kAck | kPsh, 101, 100, 1);
  c.out(60, kAck, 1, 0, 201);           // 40 ms later: Linux's delayed-ACK timer
  c.out(500, kAck | kPsh, 1, 50, 201);  // nothing from the peer for a while: the application
  EXPECT_EQ(host_timings(c.packets),
            (std::vector<std::string>{"immediate", "immediate", "delayed-ack", "app"}));
}

// RFC 6298 §5.5: each timeout doubles the RTO; the classes count the retransmissions.
TEST(TimingClass, TimerRetransmissionsCountTheirBackoff) {
  Conv c = Conv::established();
  c.out(100, kAck | kPsh, 1, 100, 1);
  c.out(400, kAck | kPsh, 1, 100, 1);
  c.out(1000, kAck | kPsh, 1, 100, 1);
  c.out(2200, kAck | kPsh, 1, 100, 1);
  EXPECT_EQ(host_timings(c.packets),
            (std::vector<std::string>{"immediate", "app", "rto#1", "rto#2", "rto#3"}));
}

// RFC 8985 §7: a probe sooner than the minimum RTO is a tail-loss probe; a retransmission
// answering the peer's duplicate ACKs is a fast retransmit (RFC 5681 §3.2).
TEST(TimingClass, TailLossProbeAndFastRetransmit) {
  Conv c = Conv::established();
  c.out(100, kAck | kPsh, 1, 100, 1);
  c.out(140, kAck | kPsh, 1, 100, 1);  // 40 ms after: a TLP
  c.out(300, kAck, 101, 100, 1);
  c.in(350, kAck, 1, 0, 101);
  c.in(351, kAck, 1, 0, 101);
  c.out(351, kAck, 101, 100, 1);  // answering the duplicate ACK
  EXPECT_EQ(host_timings(c.packets),
            (std::vector<std::string>{"immediate", "app", "tlp", "app", "fast-rtx"}));
}

// RFC 1122 §4.2.3.6 keepalive (seq = SND.NXT - 1) and RFC 9293 §3.8.6.1 zero-window probes.
TEST(TimingClass, KeepaliveAndPersistProbes) {
  Conv keep = Conv::established();
  keep.out(75000, kAck, 0, 0, 1);
  EXPECT_EQ(host_timings(keep.packets), (std::vector<std::string>{"immediate", "keepalive"}));

  Conv persist = Conv::established();
  persist.out(2, kAck | kPsh, 1, 100, 1);
  persist.in(3, kAck, 1, 0, 101, 0);  // window closed
  persist.out(300, kAck, 101, 1, 1);  // one byte into the closed window
  persist.out(900, kAck, 101, 1, 1);
  EXPECT_EQ(host_timings(persist.packets),
            (std::vector<std::string>{"immediate", "immediate", "persist", "persist"}));
}

TEST(Compare, SameConversationWithAnotherIsnIsIdentical) {
  Conv a = Conv::established(1000);
  Conv b = Conv::established(777777);
  for (Conv* c : {&a, &b}) c->in(5, kAck | kPsh, 1, 10, 1).out(5, kAck, 1, 0, 11);
  Comparison cmp = compare(a.packets, b.packets, AllowList{});
  EXPECT_EQ(cmp.verdict(), "identical");
  EXPECT_EQ(cmp.pairs, 2u);
  EXPECT_EQ(cmp.peer_segments, 3u);
}

// The urgent pointer is compared (RFC 9293 §3.8.5): the same URG segment pointing elsewhere is
// a difference of its own.
TEST(Compare, UrgentPointerIsCompared) {
  Conv k = Conv::established();
  Conv u = Conv::established();
  k.urgent = 3;
  k.out(5, kAck | kPsh | kUrg, 1, 3, 1);
  u.urgent = 2;
  u.out(5, kAck | kPsh | kUrg, 1, 3, 1);
  Comparison cmp = compare(k.packets, u.packets, AllowList{});
  ASSERT_EQ(cmp.divergences.size(), 1u);
  EXPECT_EQ(cmp.divergences[0].field, "urg");
  EXPECT_EQ(cmp.divergences[0].kernel, "3");
  EXPECT_EQ(cmp.divergences[0].ustack, "2");
}

TEST(Compare, FieldDifferencesAreNamedAndAllowedByRule) {
  Conv k = Conv::established();
  Conv u = Conv::established();
  k.in(5, kAck | kPsh, 1, 10, 1).out(5, kAck, 1, 0, 11, 2000);
  u.in(5, kAck | kPsh, 1, 10, 1).out(45, kAck, 1, 0, 11, 3000);  // other window, delayed
  Comparison cmp = compare(k.packets, u.packets, AllowList{});
  ASSERT_EQ(cmp.divergences.size(), 2u);
  EXPECT_EQ(cmp.divergences[0].field, "win");
  EXPECT_EQ(cmp.divergences[0].kernel, "256000");
  EXPECT_EQ(cmp.divergences[0].ustack, "384000");
  EXPECT_EQ(cmp.divergences[1].field, "timing");
  EXPECT_EQ(cmp.divergences[1].kernel, "immediate");
  EXPECT_EQ(cmp.divergences[1].ustack, "delayed-ack");
  EXPECT_EQ(cmp.verdict(), "diverged");
  EXPECT_NE(cmp.ladder().find("!! win 256000->384000  !! timing immediate->delayed-ack"),
            std::string::npos)
      << cmp.ladder();

  AllowList allow = AllowList::parse("win . the window policy differs\n", "test.allow");
  Comparison partly = compare(k.packets, u.packets, allow);
  EXPECT_EQ(partly.unexplained(), 1u);
  ASSERT_TRUE(partly.divergences[0].allowed);
  EXPECT_EQ(partly.divergences[0].allowed->origin, "test.allow:1");
  EXPECT_EQ(partly.summary()["divergences"][0]["reason"], "the window policy differs");
}

TEST(Compare, ASegmentOneRunDidNotSendIsMissingOrExtra) {
  Conv k = Conv::established();
  Conv u = Conv::established();
  k.in(5, kAck | kPsh, 1, 10, 1).out(5, kAck, 1, 0, 11).out(6, kAck | kPsh, 1, 20, 11);
  u.in(5, kAck | kPsh, 1, 10, 1).out(6, kAck | kPsh, 1, 20, 11).out(7, kFin | kAck, 21, 0, 11);
  Comparison cmp = compare(k.packets, u.packets, AllowList{});
  std::vector<std::string> fields;
  for (const Divergence& d : cmp.divergences) fields.push_back(d.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"missing", "extra"})) << cmp.ladder();
  EXPECT_EQ(cmp.pairs, 2u);  // the SYN-ACK and the data segment still pair up
}

TEST(Compare, AStopCutsBothRunsAndIsADivergence) {
  Conv k = Conv::established();
  k.out(5, kAck | kPsh, 1, 100, 1).in(6, kAck, 1, 0, 101).out(7, kAck | kPsh, 101, 100, 1);
  Conv u = Conv::established();
  u.out(5, kAck | kPsh, 1, 100, 1);
  ReplayStop stop{Instant::zero() + 6_ms, "the peer acknowledges 101 but ..."};
  Comparison cmp = compare(k.packets, u.packets, AllowList{}, stop);
  ASSERT_EQ(cmp.divergences.size(), 1u) << cmp.ladder();
  EXPECT_EQ(cmp.divergences[0].field, "stopped");
  EXPECT_EQ(cmp.kernel_segments, 2u);  // the segment after the stop is not compared
  EXPECT_NE(cmp.ladder().find("replay stopped: the peer acknowledges 101"), std::string::npos);
  EXPECT_EQ(cmp.summary()["stopped"], "the peer acknowledges 101 but ...");
}

// Fragments of the same datagram cut the same way, with other Identifications (each stack
// picks its own, RFC 791 §3.2 / RFC 8200 §4.5): no difference. Cut elsewhere: a difference.
TEST(Compare, FragmentsDifferingOnlyInTheirIdentificationAreIdentical) {
  auto fragments = [](std::uint16_t id4, std::uint32_t id6, std::size_t first_len) {
    PacketList out;
    ByteVec data(2000, 'x');
    const std::size_t cuts[][2] = {{0, first_len}, {first_len, data.size()}};
    for (const auto& cut : cuts) {
      Ipv4Repr ip;
      ip.src = kHost.v4();
      ip.dst = kPeer.v4();
      ip.protocol = IpProto::kUdp;
      ip.ident = id4;
      ip.more_frags = cut[1] < data.size();
      ip.set_frag_offset_bytes(cut[0]);
      Bytes piece = Bytes(data).subspan(cut[0], cut[1] - cut[0]);
      out.push_back({Instant::zero() + Duration::millis(1), true, emit_ipv4(ip, piece)});
      Ipv6Repr ip6;
      ip6.src = IpAddr::parse("fd00:1::2")->v6();
      ip6.dst = IpAddr::parse("fd00:1::1")->v6();
      ip6.next_header = IpProto::kIpv6Frag;
      Ipv6FragHeader fh;
      fh.next_header = IpProto::kUdp;
      fh.ident = id6;
      fh.more_frags = ip.more_frags;
      fh.set_frag_offset_bytes(cut[0]);
      ByteVec body(Ipv6FragHeader::kLen);
      fh.emit(body);
      body.insert(body.end(), piece.begin(), piece.end());
      out.push_back({Instant::zero() + Duration::millis(1), true, emit_ipv6(ip6, body)});
    }
    return out;
  };
  Comparison same =
      compare(fragments(14232, 0x0ffe934b, 1480), fragments(44909, 0x853b5596, 1480), AllowList{});
  EXPECT_TRUE(same.divergences.empty()) << same.ladder();
  EXPECT_EQ(same.ladder().find("14232"), std::string::npos) << same.ladder();
  Comparison cut_elsewhere = compare(fragments(1, 1, 1480), fragments(1, 1, 1000), AllowList{});
  EXPECT_FALSE(cut_elsewhere.divergences.empty()) << cut_elsewhere.ladder();
}

TEST(AllowList, RulesNeedAFieldSegmentsAndAReason) {
  AllowList ok = AllowList::parse(
      "# comment\n\nwin  *  ustack's window\nextra F.   its own FIN # trailing\n", "a");
  ASSERT_EQ(ok.rules().size(), 2u);
  EXPECT_EQ(ok.rules()[1].reason, "its own FIN");
  EXPECT_EQ(ok.match("extra", "F."), &ok.rules()[1]);
  EXPECT_EQ(ok.match("extra", "FP."), nullptr);
  EXPECT_EQ(ok.match("win", "anything"), &ok.rules()[0]);
  EXPECT_THROW(AllowList::parse("win *\n", "b"), ReplayInputError);         // no reason
  EXPECT_THROW(AllowList::parse("window * why\n", "c"), ReplayInputError);  // no such field
  try {
    AllowList::parse("ok\n", "file.allow");
    FAIL();
  } catch (const ReplayInputError& e) {
    EXPECT_STREQ(e.what(), "file.allow:1: a rule needs FIELD SEGMENTS REASON, got \"ok\"");
  }
  EXPECT_TRUE(glob_match("S*", "S."));
  EXPECT_TRUE(glob_match("?.", "P."));
  EXPECT_FALSE(glob_match("?.", "FP."));
  EXPECT_TRUE(glob_match("*", ""));
}

TEST(Flows, ListedInOrderWithTheClientFromTheSyn) {
  Conv c = Conv::established();
  // A stray segment of the flow before its SYN does not make the server the client.
  PacketList p = c.packets;
  p.insert(p.begin(), p[1]);
  std::vector<Flow> flows = list_flows(p);
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(flows[0].client.to_string(), "198.18.0.1:40000");
  EXPECT_EQ(flows[0].client_packets, 2u);
  EXPECT_TRUE(flows[0].has_handshake);
  Conversation conv = select_conversation(p, std::nullopt, std::nullopt);
  EXPECT_EQ(conv.side, Side::kServer);
  EXPECT_EQ(conv.host.to_string(), "198.18.0.2:80");
  EXPECT_THROW(select_conversation(p, 2, std::nullopt), ReplayInputError);
  EXPECT_THROW(select_conversation(PacketList{}, std::nullopt, std::nullopt), ReplayInputError);
}

}  // namespace
}  // namespace ustack::replay
