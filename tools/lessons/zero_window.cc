// Lesson "zero-window": a receiver that stops reading closes its window; the sender probes it
// with the persist timer (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17) until a window update opens it.
#include "tools/lessons/registry.h"

namespace ustack::lessons {

namespace {

constexpr std::size_t kTransfer = 40000;

void configure(LabOptions& o) { o.server_tcp.recv_buffer = 16384; }

void run(Lab& lab) {
  const SocketHandle l = lab.listen(80);
  const SocketHandle c = lab.connect(80);
  lab.run_for(Duration::millis(20));
  SocketHandle s = lab.accept(l);
  SocketHandle reader;  // set when the server's application starts reading
  std::size_t received = 0;
  lab.keep_reading(lab.server(), &reader, &received);
  lab.say(
      "The server's application accepts the connection and then does not read. Its receive "
      "buffer is 16 KiB, so the window it offers shrinks with every segment it holds: each ACK "
      "says how much more it can take (RFC 9293 §3.8.6). The client writes 40000 octets; it "
      "sends what the window allows.");
  lab.send(lab.client(), c, kTransfer);
  lab.run_for(Duration::millis(60));
  lab.say(
      "The window is almost closed: the last ACK offers 456 octets, less than a segment. The "
      "client does not send a small segment into a small window (sender-side silly window "
      "avoidance, RFC 9293 §3.8.6.2.1) but it arms the persist timer: if the window update "
      "that reopens it were lost, both ends would wait forever. When the timer fires the client "
      "sends what fits, the 456 octets; the ACK now says win 0 and the window is closed "
      "(RFC 9293 §3.8.6.1). From then on, each time the persist timer fires, the client sends a "
      "zero-window probe (SND.UNA - 1 with no data, as Linux does): an old sequence number the "
      "receiver must answer with an ACK carrying its current window (RFC 9293 §3.10.7.4). The "
      "probes back off exponentially like the RTO, and a peer that answers them is never timed "
      "out for a closed window (RFC 1122 §4.2.2.17).");
  lab.run_for(Duration::millis(5000));
  lab.say(
      "At 5.1 s the server's application starts reading. The window opens and the server sends "
      "a window update at once, not waiting for the next probe: an ACK with nothing new but the "
      "window (RFC 9293 §3.8.6.2.2: once at least a full segment or half the buffer is free, "
      "receiver-side silly window avoidance). The client resumes where it stopped.");
  reader = s;
  lab.run_until([&] { return received == kTransfer; }, Duration::seconds(5));
  lab.close(lab.client(), c);
  lab.close(lab.server(), s);
  lab.run_for(Duration::millis(100));

  lab.check(received == kTransfer, "every octet arrives once the application reads");
  auto closed = select(lab, "segment_received", [](const Event& e) {
    return e["data"]["wnd"] == 0 && e["data"]["flags"] == ".";
  });
  lab.check(!closed.empty(), "the server advertises a zero window");
  auto probes = select(lab, "segment_sent", [](const Event& e) {
    return e["data"].value("why", "") == "zero-window-probe";
  });
  lab.check(probes.size() >= 3,
            "the client sends zero-window probes while the window is closed "
            "(" +
                std::to_string(probes.size()) + ")");
  if (probes.size() >= 3) {
    const double a = ms(*probes[1]) - ms(*probes[0]), b = ms(*probes[2]) - ms(*probes[1]);
    lab.check(b > a * 1.9 && b < a * 2.1, "the probes back off exponentially");
  }
  lab.check(select(lab, "retransmit").empty(), "nothing is retransmitted: nothing was lost");
  lab.notice(
      "A zero window is flow control, not congestion: nothing is retransmitted and ssthresh "
      "stays; the sender only probes.");
  lab.notice(
      "The probes' interval doubles (persist backoff) but the connection never gives up on a "
      "receiver that answers: a slow reader is not a dead peer.");
  lab.notice(
      "The window update came from the receiver as soon as its application read; the probes "
      "are only insurance against losing it.");
}

}  // namespace

const Lesson kZeroWindow{"zero-window",
                         "the receiver stops reading: zero window, persist probes, window update",
                         configure, run};

}  // namespace ustack::lessons
