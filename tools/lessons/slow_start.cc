// Lesson "slow-start": the congestion window doubles every round trip (RFC 5681 §3.1) until
// the receiver's window, not the network, limits the sender.
#include <cstdio>

#include "tools/lessons/registry.h"

namespace ustack::lessons {

namespace {

constexpr std::size_t kTransfer = 100000;

void configure(LabOptions& o) {
  o.server_tcp.recv_buffer = 64 * 1024;  // a 64 KiB receive window
  o.client_tcp.congestion = CongestionAlgorithm::kNewReno;
}

std::string round_note(Lab& lab, SocketHandle c, int round) {
  auto st = lab.client().stats(c);
  char text[400];
  std::snprintf(text, sizeof text,
                "Round trip %d ends at %lld ms: cwnd is now %u octets (%u segments of %u), the "
                "peer's window %u octets, %u octets in flight.",
                round, static_cast<long long>(lab.now().total_millis()), st->cwnd,
                st->cwnd / st->snd_mss, st->snd_mss, st->snd_wnd, st->unacked);
  return text;
}

void run(Lab& lab) {
  Lab::ReadConnection& rc = lab.connect_to_reader(80);
  const SocketHandle c = rc.client, s = rc.server;
  const std::size_t& received = rc.received;
  lab.say(
      "The connection is up. Slow start begins with the initial window, 10 segments (RFC 6928; "
      "cwnd 14480 = 10 x 1448, the MSS less the 12 octets of the timestamp option), and "
      "ssthresh 'infinite' (RFC 5681 §3.1). The client writes 100000 octets at once: it may send "
      "10 segments now, then must wait for ACKs. The server reads everything as it arrives, so "
      "its receive window stays at 64 KiB (it was given a 64 KiB buffer). The link itself never "
      "drops or queues: only the windows limit the sender.");
  lab.send(lab.client(), c, kTransfer);
  int round = 1;
  lab.run_for(Duration::millis(20));
  lab.say(round_note(lab, c, round++) +
          " Each ACK of new data grew cwnd by the octets it acknowledged (slow start, RFC 5681 "
          "§3.1, counting bytes as RFC 3465 does): the server acknowledged every segment at once "
          "(quick ACKs at the start of a connection), each ACK of 1448 octets released two "
          "segments, one to replace the acknowledged one and one for the growth, and after the "
          "10 ACKs of this round trip cwnd has doubled.");
  lab.run_for(Duration::millis(20));
  lab.say(round_note(lab, c, round++) +
          " cwnd has doubled again and is now larger than the receiver's window: the sender "
          "may have at most min(cwnd, rwnd) unacknowledged (RFC 5681 §2, RFC 9293 §3.8.6.2.1), "
          "so from here the receive window sets the pace, 64 KiB per round trip, whatever cwnd "
          "says. (The window in each ACK is 64 KiB less what the server holds unread: the ACK "
          "leaves as the segment arrives, before the application reads it.)");
  lab.run_until([&] { return received == kTransfer; }, Duration::seconds(5));
  lab.say("All 100000 octets are acknowledged; the application closes both ends.");
  lab.close(lab.client(), c);
  lab.close(lab.server(), s);
  lab.run_for(Duration::millis(100));

  lab.check(received == kTransfer, "the server received all 100000 octets");
  lab.check(select(lab, "retransmit").empty(), "nothing is retransmitted (no loss)");
  auto growth = select(lab, "cwnd", [](const Event& e) {
    return e["data"]["reason"] == "ack" && e["data"].value("phase", "") == "slow-start";
  });
  lab.check(!growth.empty(), "cwnd grows in slow start");
  bool rwnd_limited = false;
  for (const Event* e : growth) {
    const auto& d = (*e)["data"];
    if (d["cwnd"].get<std::int64_t>() > d["rwnd"].get<std::int64_t>()) rwnd_limited = true;
  }
  lab.check(rwnd_limited, "cwnd grows past the receiver's window (the sender is rwnd-limited)");
  bool over_rwnd = false;
  for (const Event* e : select(lab, "cwnd")) {
    const auto& d = (*e)["data"];
    if (d["inflight"].get<std::int64_t>() > d["rwnd"].get<std::int64_t>()) over_rwnd = true;
  }
  lab.check(!over_rwnd, "the sender never has more in flight than the receiver's window");
  lab.notice(
      "cwnd went 14480 -> 28960 -> 57920 in two round trips: exponential growth, one ACK of N "
      "octets adds N octets.");
  lab.notice(
      "Once cwnd passed the receive window, the flight stayed at the window: a sender is "
      "limited by min(cwnd, rwnd). A larger receive buffer (or window scaling) is what lets a "
      "fast sender fill a long pipe.");
  lab.notice("ssthresh never moved: without a loss, slow start only ends at the window limit.");
}

}  // namespace

const Lesson kSlowStart{"slow-start",
                        "slow start: cwnd doubles every round trip until the receive window "
                        "limits the sender",
                        configure, run};

}  // namespace ustack::lessons
