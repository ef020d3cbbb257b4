// Proportional Rate Reduction in the connection (RFC 6937), packet by packet in virtual time:
// how many segments each ACK of a recovery lets out, on the SACK/RACK path and in NewReno
// fast recovery, and PRR-SSRB's slow-start catch-up after heavy loss.
//
// A small peer model answers: every segment the stack sends arrives 50 ms later (at most one
// per millisecond, a bottleneck) unless it is the first transmission of a segment the test
// drops, and its ACK (cumulative, with SACK blocks if negotiated, most recent first as RFC
// 2018 §4 asks) is back 50 ms after that: a round trip of 100 ms and a little queueing. The sender
// runs NewReno (ssthresh = FlightSize / 2) without timestamps, so a segment is 1460 bytes.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

constexpr std::uint32_t kSeg = 1460;

std::uint32_t seq_of(int i) { return 1 + static_cast<std::uint32_t>(i) * kSeg; }

class PrrPath {
 public:
  // The three recovery paths: SACK with RACK-TLP (RFC 8985, Linux's default), SACK without
  // (RFC 6675 scoreboard, TcpConfig::rack = false) and NewReno without SACK (RFC 6582).
  enum class Path { kRack, kSack, kNoSack };
  PrrPath(bool prr, Path path) : sack_(path != Path::kNoSack), t_(make(prr, path)) {}

  // Opens cwnd to 20 segments: IW10 goes out now, one ACK for all of it 100 ms later doubles
  // cwnd (slow start) and segments 10..29 go out. `total` segments are queued.
  void twenty_in_flight(int total) {
    t_.send(std::string(static_cast<std::size_t>(total) * kSeg, 'x'));
    EXPECT_EQ(take_sent().size(), 10u);
    t_.at(t_.now() + 100_ms).inject(seg().ack(seq_of(10)).seq(1001).win(502));
    rcv_nxt_ = 10;
    std::vector<int> burst = take_sent();
    EXPECT_EQ(burst.size(), 20u);
    schedule(burst);
  }
  // Sends exactly `n` segments (no more data follows) within the initial window.
  void tail(int n) {
    t_.send(std::string(static_cast<std::size_t>(n) * kSeg, 'x'));
    std::vector<int> sent = take_sent();
    EXPECT_EQ(sent.size(), static_cast<std::size_t>(n));
    schedule(sent);
  }
  // The first transmission of segment i is lost.
  void drop(int i) { dropped_.insert(i); }

  // Delivers the next ACK; returns the segments the stack sent in answer (nothing if no ACK
  // is on its way).
  std::vector<int> next_ack() {
    Duration at;
    for (;;) {
      if (acks_.empty()) return {};  // nothing more comes back
      auto it = acks_.begin();
      at = it->first.first;
      int s = it->second;
      acks_.erase(it);
      if (dropped_.erase(s) > 0) continue;  // lost on the way: no ACK
      have_.insert(s);
      last_ = s;
      while (have_.count(rcv_nxt_)) have_.erase(rcv_nxt_++);
      break;
    }
    SegSpec ack = seg().ack(seq_of(rcv_nxt_)).seq(1001).win(502);
    if (sack_) add_sack_blocks(ack);
    t_.at(at).inject(ack);
    std::vector<int> sent = take_sent();
    schedule(sent);
    return sent;
  }
  // Runs `n` ACKs and returns how many segments each one let out.
  std::vector<int> counts(int n) {
    std::vector<int> c;
    for (int i = 0; i < n; ++i) c.push_back(static_cast<int>(next_ack().size()));
    return c;
  }
  TcpStats stats() { return *t_.layer().stats(t_.conn()); }
  // cwnd and ssthresh in segments.
  std::uint32_t cwnd() { return stats().cwnd / kSeg; }
  std::uint32_t ssthresh() { return stats().ssthresh / kSeg; }

 private:
  static TcpTestbed make(bool prr, Path path) {
    TcpLayerConfig c = TcpTestbed::default_config();
    c.tcp.prr = prr;
    c.tcp.rack = path == Path::kRack;
    TcpSocketOptions o;
    o.nodelay = true;
    o.congestion = CongestionAlgorithm::kNewReno;
    // A handshake with a 100 ms round trip, so RACK's min_RTT and the RTO are the path's.
    TcpTestbed t = TcpTestbed::listening(80, c, 16, o);
    SegSpec syn = seg().syn().seq(1000).win(64240).mss(1460).wscale(7);
    if (path != Path::kNoSack) syn.sack_perm();
    t.inject(syn);
    EXPECT_TRUE(t.pop().has_value());
    t.at(100_ms).inject(seg().seq(1001).ack(1).win(502));
    t.accept();
    return t;
  }
  std::vector<int> take_sent() {
    std::vector<int> segs;
    while (auto s = t_.pop()) {
      if (s->repr.payload.empty()) continue;
      std::uint32_t rel = s->repr.seq.raw() - t_.iss();
      EXPECT_EQ((rel - 1) % kSeg, 0u);
      segs.push_back(static_cast<int>((rel - 1) / kSeg));
    }
    return segs;
  }
  void schedule(const std::vector<int>& segs) {
    for (int s : segs) {
      // 50 ms on the way, at most one segment per millisecond through the bottleneck, 50 ms
      // back for the ACK.
      arrival_ = std::max(t_.now() + 50_ms, arrival_ + 1_ms);
      acks_.emplace(std::make_pair(arrival_ + 50_ms, order_++), s);
    }
  }
  void add_sack_blocks(SegSpec& ack) {
    // Ranges of held segments above rcv_nxt; the one holding the latest arrival first.
    std::vector<std::pair<int, int>> ranges;
    for (int s : have_) {
      if (!ranges.empty() && ranges.back().second == s) {
        ranges.back().second = s + 1;
      } else {
        ranges.emplace_back(s, s + 1);
      }
    }
    std::vector<std::pair<int, int>> order;
    for (auto& r : ranges) {
      if (last_ >= r.first && last_ < r.second) order.push_back(r);
    }
    for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
      if (!(last_ >= it->first && last_ < it->second)) order.push_back(*it);
    }
    for (std::size_t i = 0; i < order.size() && i < 3; ++i) {
      ack.sack(seq_of(order[i].first), seq_of(order[i].second));
    }
  }

  bool sack_;
  TcpTestbed t_;
  std::map<std::pair<Duration, int>, int> acks_;  // (when, order) -> segment it acknowledges
  int order_ = 0;
  Duration arrival_;  // when the last segment reached the peer
  std::set<int> dropped_, have_;
  int rcv_nxt_ = 0, last_ = -1;
};

// RFC 6937 §3.1's single loss, on both SACK paths (RACK, and the RFC 6675 scoreboard without
// it, mark the loss on the third SACK): segments 10..29 in
// flight, 10 lost. Per ACK of segments 11..29: limited transmit on the first two, the fast
// retransmit on the third, then one new segment per two ACKs (sndcnt = CEIL(prr_delivered *
// ssthresh / RecoverFS) - prr_out), none on the 16th and 17th (pipe reached ssthresh) and one
// on each of the last two (sndcnt = ssthresh - pipe): the PRR row of the RFC's figure.
TEST(TcpPrr, SingleLossSpreadsTheReductionOverTheRoundLikeRfc6937) {
  for (PrrPath::Path path : {PrrPath::Path::kRack, PrrPath::Path::kSack}) {
    SCOPED_TRACE(path == PrrPath::Path::kRack ? "RACK" : "RFC 6675");
    PrrPath p(/*prr=*/true, path);
    p.twenty_in_flight(100);
    p.drop(10);
    EXPECT_EQ(p.next_ack(), std::vector<int>{30});  // limited transmit (RFC 3042)
    EXPECT_EQ(p.next_ack(), std::vector<int>{31});
    EXPECT_EQ(p.next_ack(), std::vector<int>{10});  // fast retransmit
    EXPECT_EQ(p.ssthresh(), 11u);                   // RecoverFS 22 segments
    EXPECT_EQ(p.counts(16), (std::vector<int>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}));
    // The ACKs for 30 and 31, then the one for the retransmission ends recovery at cwnd =
    // ssthresh (Linux tcp_end_cwnd_reduction).
    EXPECT_EQ(p.counts(3), (std::vector<int>{1, 1, 1}));
    EXPECT_EQ(p.cwnd(), 11u);
    EXPECT_EQ(p.stats().retrans_rto, 0u);
    EXPECT_EQ(p.stats().bytes_retrans, kSeg);
  }
}

// The same in NewReno fast recovery without SACK: each duplicate ACK counts as one delivered
// segment (RFC 6937 §3), so the quantities are the same.
TEST(TcpPrr, SingleLossInNewRenoFastRecoveryWithoutSack) {
  PrrPath p(/*prr=*/true, PrrPath::Path::kNoSack);
  p.twenty_in_flight(100);
  p.drop(10);
  EXPECT_EQ(p.counts(2), (std::vector<int>{1, 1}));
  EXPECT_EQ(p.next_ack(), std::vector<int>{10});
  EXPECT_EQ(p.counts(16), (std::vector<int>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}));
  EXPECT_EQ(p.counts(3), (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(p.cwnd(), 11u);
  EXPECT_EQ(p.stats().retrans_rto, 0u);
}

// TcpConfig::prr = false: RFC 6675 / RFC 6582 (cwnd = ssthresh + 3 segments, inflated by
// each duplicate ACK) is silent for the first half of the round, then sends one per ACK: the
// RFC 6675 row of RFC 6937's figure.
TEST(TcpPrr, OffTheFirstHalfOfTheRoundIsSilent) {
  PrrPath p(/*prr=*/false, PrrPath::Path::kRack);
  p.twenty_in_flight(100);
  p.drop(10);
  EXPECT_EQ(p.counts(19),
            (std::vector<int>{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}));
}

// RFC 6937 §3.1's heavy loss: segments 10..24 (15 of the 20) are lost and only 25..29 are
// ACKed in the round. The pipe falls far below ssthresh: the reduction bound decides. ACKs
// that only SACK get what they delivered, one segment each (Linux, RFC 9937: no extra segment
// without SND.UNA advancing); the ACKs for the retransmissions advance SND.UNA and get
// PRR-SSRB's extra segment, two per ACK (slow start) until the pipe is back at ssthresh; then
// one per ACK. No timeout.
TEST(TcpPrr, HeavyLossCatchesUpLikeSlowStartOnAcksThatAdvanceSndUna) {
  for (PrrPath::Path path : {PrrPath::Path::kRack, PrrPath::Path::kSack}) {
    SCOPED_TRACE(path == PrrPath::Path::kRack ? "RACK" : "RFC 6675");
    PrrPath p(/*prr=*/true, path);
    p.twenty_in_flight(100);
    for (int i = 10; i < 25; ++i) p.drop(i);
    // ACKs for 25..29 (limited transmit, then one retransmission each), 30 and 31 (SACK only).
    EXPECT_EQ(p.next_ack(), std::vector<int>{30});
    EXPECT_EQ(p.next_ack(), std::vector<int>{31});
    EXPECT_EQ(p.next_ack(), std::vector<int>{10});
    EXPECT_EQ(p.counts(4), (std::vector<int>{1, 1, 1, 1}));
    // ACKs for the retransmissions of 10..14 advance SND.UNA: two each.
    EXPECT_EQ(p.next_ack(), (std::vector<int>{15, 16}));
    EXPECT_EQ(p.counts(5), (std::vector<int>{2, 2, 2, 2, 2}));
    EXPECT_EQ(p.counts(6), (std::vector<int>{1, 1, 1, 1, 1, 1}));
    EXPECT_EQ(p.cwnd(), p.ssthresh());
    EXPECT_EQ(p.stats().retrans_rto, 0u);
  }
}

// RFC 6675 without RACK: NextSeg() rule 1 resends a hole only once IsLost() holds (DupThresh
// segments SACKed above it), in sequence order, and SetPipe() counts the resent hole back in
// the pipe. Segments 10 and 14 are lost: 10 goes on the third SACK (11, 12, 13 above it),
// 14 only after 15, 16 and 17 are SACKed - on the next ACK PRR allows - and nothing is sent
// twice.
TEST(TcpPrr, Rfc6675ResendsHolesInOrderOnceTheyAreLost) {
  PrrPath p(/*prr=*/true, PrrPath::Path::kSack);
  p.twenty_in_flight(100);
  p.drop(10);
  p.drop(14);
  EXPECT_EQ(p.counts(2), (std::vector<int>{1, 1}));  // limited transmit: 30, 31
  EXPECT_EQ(p.next_ack(), std::vector<int>{10});     // SACK of 13
  EXPECT_EQ(p.next_ack(), std::vector<int>{});       // 15: 14 is not lost yet
  EXPECT_EQ(p.next_ack(), std::vector<int>{32});     // 16: not yet either, new data
  EXPECT_EQ(p.next_ack(), std::vector<int>{});       // 17: lost now, PRR says wait
  EXPECT_EQ(p.next_ack(), std::vector<int>{14});     // 18
  EXPECT_EQ(p.counts(10), (std::vector<int>{0, 1, 0, 1, 0, 1, 0, 0, 1, 1}));
  EXPECT_EQ(p.stats().bytes_retrans, 2 * kSeg);
  EXPECT_EQ(p.stats().retrans_rto, 0u);
}

// RFC 6675 §4 NextSeg() rule 4: the last segment of a transfer is lost and nothing new is
// left to send, so no SACK will ever show it lost. Once the pipe has room and rules 1-3 find
// nothing, one rescue retransmission resends the highest unSACKed segment - here on the ACK
// for 6 - and the transfer completes without a timeout. (Segments 0..9, 1 and 9 lost.)
TEST(TcpPrr, Rfc6675RescueRetransmissionRepairsATailLoss) {
  PrrPath p(/*prr=*/true, PrrPath::Path::kSack);
  p.tail(10);
  p.drop(1);
  p.drop(9);
  EXPECT_EQ(p.counts(3), (std::vector<int>{0, 0, 0}));  // ACKs for 0, SACKs of 2 and 3
  EXPECT_EQ(p.next_ack(), std::vector<int>{1});         // SACK of 4: fast retransmit
  EXPECT_EQ(p.next_ack(), std::vector<int>{});          // 5
  EXPECT_EQ(p.next_ack(), std::vector<int>{9});         // 6: the rescue
  // 7, 8, the ACK for 1 (up to 9: the rescue is in flight, not sent again), the one for 9.
  EXPECT_EQ(p.counts(4), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(p.stats().unacked, 0u);
  EXPECT_EQ(p.stats().bytes_retrans, 2 * kSeg);
  EXPECT_EQ(p.stats().retrans_rto, 0u);
}

}  // namespace
}  // namespace ustack::testing
