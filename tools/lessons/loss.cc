// Lessons "fast-retransmit" (a lost segment repaired after three duplicate ACKs, RFC 5681 §3.2)
// and "rto-backoff" (a blackout: the retransmission timer fires and doubles, RFC 6298 §5).
// Both switch RACK-TLP off on the client so the classic mechanisms are what the ladder shows
// (with RACK, Linux's default and ustack's, a time-based rule would repair the loss instead).
#include <cstdio>

#include "tools/lessons/registry.h"

namespace ustack::lessons {

namespace {

void classic_loss_recovery(LabOptions& o) {
  o.client_tcp.rack = false;
  o.client_tcp.congestion = CongestionAlgorithm::kNewReno;
}

bool sent_data(const Event& e) { return e["data"]["len"].get<std::int64_t>() > 0; }

// --- fast-retransmit ------------------------------------------------------------------------

constexpr std::size_t kSegments = 14;

void fast_retransmit(Lab& lab) {
  Lab::ReadConnection& rc = lab.connect_to_reader(80);
  const SocketHandle c = rc.client, s = rc.server;
  const std::size_t& received = rc.received;
  // The scripted impairment: the 4th data segment's first transmission is lost.
  int data_segments = 0;
  lab.set_drop([&data_segments](Instant, const TcpRepr& seg) {
    return !seg.payload.empty() && ++data_segments == 4;
  });
  lab.say(
      "The client writes 14 segments' worth (20272 octets); the initial window lets 10 go at "
      "once. The script drops the 4th data segment (3 x 1448 + 1 = 4345:5793) on the wire: the "
      "client cannot know. RACK is off here, so the client uses the classic rule of RFC 5681.");
  const std::size_t total = kSegments * 1448;
  lab.send(lab.client(), c, total);
  lab.say(
      "20 ms later the ACKs come back. The first three advance SND.UNA; each ACK of new data "
      "grows cwnd and releases two more segments. Then the server has a hole: every segment "
      "after it arrives out of order and the server answers at once with a duplicate ACK, ack "
      "4345 again, with a SACK block saying what it holds above the hole (RFC 5681 §4.2, RFC "
      "2018). One duplicate ACK could be reordering; the third (DupThresh, RFC 5681 §3.2) is "
      "taken as a loss: the client retransmits 4345:5793 at once, without waiting for the "
      "retransmission timer (fast retransmit), sets ssthresh to half the flight and enters fast "
      "recovery, where PRR (RFC 6937) lets the window shrink to ssthresh step by step with the "
      "ACKs. With nothing new to send, it also resends the last segment once (RFC 6675 §4's "
      "rescue retransmission), in case the tail was lost too.");
  lab.run_for(Duration::millis(20));
  lab.say(
      "The application closes as soon as its data is written; the FIN waits behind the data. "
      "At 70 ms the server's ACKs arrive for the segments sent during recovery, then the one "
      "for the retransmission: ack 20273 acknowledges everything at once, the hole is filled "
      "and recovery is over. The rescue copy arrives as a duplicate (the server reports it "
      "with a D-SACK, RFC 2883).");
  lab.close(lab.client(), c);
  lab.run_until([&] { return received == total; }, Duration::seconds(5));
  lab.close(lab.server(), s);
  lab.run_for(Duration::millis(100));

  lab.check(received == total, "the server received every octet");
  auto drops = select(lab, "drop");
  lab.check(drops.size() == 1, "the script dropped one segment");
  const auto lost_seq = (*drops[0])["data"]["seq"];
  // Walk the events in order: duplicate ACKs counted until the lost segment is resent.
  int dup = 0;
  std::int64_t last_ack = -1;
  const Event* repair = nullptr;
  for (const Event& e : lab.events()) {
    if (e["event"] == "retransmit" && e["data"]["seq"] == lost_seq) {
      repair = &e;
      break;
    }
    if (e["event"] != "segment_received") continue;
    const std::int64_t ack = e["data"]["ack"].get<std::int64_t>();
    dup = ack == last_ack ? dup + 1 : 0;
    last_ack = ack;
  }
  lab.check(repair != nullptr, "the lost segment is retransmitted");
  lab.check((*repair)["data"]["reason"] == "fast",
            "the lost segment is resent by fast retransmit, not by " +
                (*repair)["data"]["reason"].get<std::string>());
  lab.check(dup == 3, "the retransmission follows the third duplicate ACK (it followed " +
                          std::to_string(dup) + ")");
  lab.check(ms(*repair) == 50, "the loss is repaired one round trip after it happened");
  auto fr =
      select(lab, "cwnd", [](const Event& e) { return e["data"]["reason"] == "fast-retransmit"; });
  lab.check(fr.size() == 1, "the client entered fast recovery once");
  lab.check(select(lab, "timer",
                   [](const Event& e) {
                     return e["data"]["timer"] == "rto" && e["data"]["action"] == "fired";
                   })
                .empty(),
            "the retransmission timer never fired");
  lab.notice(
      "The loss was repaired one round trip after it happened, not after the RTO (200 ms or "
      "more): three duplicate ACKs were the signal (RFC 5681 §3.2).");
  lab.notice(
      "The duplicate ACKs carry growing SACK blocks: the sender learns exactly which octets "
      "arrived and resends only the hole (RFC 6675).");
  lab.notice(
      "ssthresh became half the flight (multiplicative decrease): loss is read as congestion. "
      "Try --events fr.events, then `ustack explain fr.events --segment N` on the "
      "retransmission's row.");
}

// --- rto-backoff ----------------------------------------------------------------------------

void rto_backoff(Lab& lab) {
  Lab::ReadConnection& rc = lab.connect_to_reader(80);
  const SocketHandle c = rc.client, s = rc.server;
  const std::size_t& received = rc.received;
  lab.say(
      "The client sends a first request of 500 octets and gets its ACK: the round-trip time "
      "measured (20 ms) sets the retransmission timeout, RTO = SRTT + 4 RTTVAR, at least 200 ms "
      "here (Linux's TCP_RTO_MIN; RFC 6298 §2 says 1 s).");
  lab.send(lab.client(), c, 500);
  lab.run_for(Duration::millis(100));
  const Instant blackout_start = lab.now();
  const Instant blackout_end = blackout_start + Duration::millis(3000);
  lab.set_drop([blackout_start, blackout_end](Instant now, const TcpRepr&) {
    return now >= blackout_start && now < blackout_end;
  });
  lab.say(
      "At 130 ms the path goes dark for 3 seconds: the script drops everything the client "
      "sends. The client writes 500 octets more. No ACK comes; when the retransmission timer "
      "fires the client resends the earliest unacknowledged segment (RFC 6298 §5.4), collapses "
      "cwnd to one segment (RFC 5681 §3.1: loss by timeout is a strong signal), and doubles the "
      "timer (exponential backoff, RFC 6298 §5.5), so a dead path is probed ever more slowly: "
      "the RTO is 220 ms here (200 ms floor + the measured variation), then 440, 880, 1760 ms.");
  lab.send(lab.client(), c, 500);
  lab.run_until([&] { return received == 1000; }, Duration::seconds(10));
  lab.say(
      "The blackout is over before the 4th retransmission: it arrives and is acknowledged. "
      "The ACK gives no RTT sample (Karn's rule, RFC 6298 §3: it could be for any copy; the "
      "timestamps tell) and the backoff is cleared (RFC 6298 §5.7).");
  lab.send(lab.client(), c, 500);
  lab.run_for(Duration::millis(50));
  lab.close(lab.client(), c);
  lab.close(lab.server(), s);
  lab.run_for(Duration::millis(100));

  auto rtx = select(lab, "retransmit");
  lab.check(rtx.size() >= 3, "at least three retransmissions during the blackout, got " +
                                 std::to_string(rtx.size()));
  for (const Event* e : rtx) {
    lab.check((*e)["data"]["reason"] == "rto", "every retransmission is by the RTO");
  }
  std::vector<double> at{ms(*select(lab, "segment_sent", sent_data)[1])};
  for (const Event* e : rtx) at.push_back(ms(*e));
  for (std::size_t i = 2; i < at.size(); ++i) {
    const double before = at[i - 1] - at[i - 2], now = at[i] - at[i - 1];
    char what[160];
    std::snprintf(what, sizeof what,
                  "the timeout doubles each time (%.0f ms after %.0f ms, retransmission %zu)", now,
                  before, i);
    lab.check(now > before * 1.9 && now < before * 2.1, what);
  }
  lab.check(received == 1500, "everything arrives once the path is back");
  lab.notice(
      "The gaps between the retransmissions doubled: exponential backoff (RFC 6298 §5.5), up to "
      "a limit (120 s); after tcp_retries2 (15) attempts the connection would give up.");
  lab.notice(
      "The first timeout cut cwnd to one segment and ssthresh to half the flight (at least two "
      "segments, RFC 5681 eq. 4): after an RTO the sender starts again in slow start.");
  lab.notice(
      "Fast retransmit needs duplicate ACKs; with a single segment in flight, or nothing getting "
      "through, only the timer is left.");
}

}  // namespace

const Lesson kFastRetransmit{
    "fast-retransmit",
    "loss and fast retransmit: a dropped segment resent after three duplicate ACKs, not the RTO",
    classic_loss_recovery, fast_retransmit};

const Lesson kRtoBackoff{"rto-backoff",
                         "RTO and exponential backoff: a blackout, the timer firing and doubling",
                         classic_loss_recovery, rto_backoff};

}  // namespace ustack::lessons
