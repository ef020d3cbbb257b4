// Lesson "delayed-ack-nagle": write-write-read against a delayed ACK. Nagle's algorithm (RFC
// 896, RFC 9293 §3.7.4) holds the client's second small write until the first is
// acknowledged; the server delays that ACK (RFC 1122 §4.2.3.2, RFC 9293 §3.8.6.3: Linux 40 ms)
// because its application waits for the whole request: the exchange stalls for 40 ms. With
// TCP_NODELAY the second write goes at once.
#include <cstdio>

#include "tools/lessons/registry.h"

namespace ustack::lessons {

namespace {

constexpr std::size_t kHalf = 100;   // each of the client's two writes
constexpr std::size_t kReply = 100;  // the server's answer to a whole request
constexpr int kRounds = 5;

// The server's application: reads requests of 2 x kHalf octets, answers each with kReply.
struct RequestServer {
  SocketHandle h;
  std::size_t pending = 0;

  bool step(TcpLayer& l) {
    if (!h.valid()) return false;
    std::uint8_t buf[4096];
    bool called = false;
    for (;;) {
      auto r = l.recv(h, buf);
      if (!r.ok() || *r == 0) break;
      pending += *r;
      called = true;
    }
    static const std::uint8_t reply[kReply] = {};
    while (pending >= 2 * kHalf) {
      pending -= 2 * kHalf;
      l.send(h, Bytes(reply, kReply));
      called = true;
    }
    return called;
  }
};

// Runs kRounds of write-write-read on `c`; returns each round's duration in ms.
std::vector<std::int64_t> rounds(Lab& lab, SocketHandle c) {
  std::vector<std::int64_t> out;
  std::size_t got = 0;
  for (int i = 0; i < kRounds; ++i) {
    const Instant start = lab.now();
    lab.send(lab.client(), c, kHalf);
    lab.send(lab.client(), c, kHalf);
    got = 0;
    lab.run_until(
        [&] {
          std::uint8_t buf[4096];
          auto r = lab.client().recv(c, buf);
          if (r.ok()) got += *r;
          return got >= kReply;
        },
        Duration::seconds(2));
    lab.check(got == kReply, "the client gets its reply");
    out.push_back((lab.now() - start).total_millis());
    lab.run_for(Duration::millis(100));  // think time
  }
  return out;
}

std::string durations(const std::vector<std::int64_t>& d) {
  std::string s;
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]) + " ms";
  return s;
}

void configure(LabOptions& o) {
  // A small receive buffer: Linux's quick-ACK allowance is buffer / (2 x MSS), at least 2
  // (stack/tcp: kMaxQuickAcks 16 for larger buffers), so the delayed ACK shows after the
  // first round.
  o.server_tcp.recv_buffer = 8192;
}

void run(Lab& lab) {
  RequestServer server;
  lab.add_app([&] { return server.step(lab.server()); });
  const SocketHandle l = lab.listen(80);
  lab.say(
      "A client sends each request in two writes, a 100-octet header and a 100-octet body, then "
      "reads the 100-octet reply; the server answers once it has the whole request. First with "
      "Nagle's algorithm on (the default). Nagle (RFC 9293 §3.7.4, RFC 896): a small segment may "
      "go only when nothing sent is unacknowledged, so the body waits for the header's ACK. The "
      "receiver delays ACKs of data it has no answer for (RFC 9293 §3.8.6.3, RFC 1122 "
      "§4.2.3.2) by up to 40 ms here (Linux's TCP_DELACK_MIN), hoping to piggyback the ACK on a "
      "reply; and the reply waits for the body. At the start of a connection the receiver "
      "acknowledges at once (Linux's quick ACKs; few here, the server's receive buffer is small), "
      "so the first rounds take two round trips: the header, its ACK, then the body and the "
      "reply.");
  const SocketHandle c = lab.connect(80);
  server.h = lab.accept(l);
  const std::vector<std::int64_t> nagle = rounds(lab, c);
  std::size_t first_stall = 0;
  while (first_stall < nagle.size() && nagle[first_stall] < 80) ++first_stall;
  lab.say("Rounds with Nagle: " + durations(nagle) + ". From round " +
          std::to_string(first_stall + 1) +
          " on the quick ACKs are used up and the header's ACK is delayed: the body waits for "
          "it (Nagle), the reply waits for the body, and nothing moves until the server's "
          "delayed-ACK timer fires 40 ms after the header arrived. Its ACK releases the body; "
          "the reply follows one round trip later: 40 ms lost per request.");
  lab.close(lab.client(), c);
  lab.close(lab.server(), server.h);
  lab.run_for(Duration::millis(100));

  lab.say(
      "The same exchange on a new connection with TCP_NODELAY set by the client: Nagle is off, "
      "the body leaves right behind the header, the server has its whole request at once and "
      "its reply carries the ACK.");
  TcpSocketOptions nodelay;
  nodelay.nodelay = true;
  server.pending = 0;
  const SocketHandle c2 = lab.connect(80, nodelay);
  server.h = lab.accept(l);
  const std::vector<std::int64_t> fast = rounds(lab, c2);
  lab.say("Rounds with TCP_NODELAY: " + durations(fast) + ".");
  lab.close(lab.client(), c2);
  lab.close(lab.server(), server.h);
  lab.run_for(Duration::millis(100));

  const std::int64_t rtt = 2 * lab.one_way().total_millis();
  lab.check(nagle.back() >= 2 * rtt + 40,
            "with Nagle a request stalls for the 40 ms delayed ACK (last round took " +
                std::to_string(nagle.back()) + " ms)");
  for (std::int64_t d : fast) {
    lab.check(d == rtt, "with TCP_NODELAY every round takes one round trip (" + std::to_string(d) +
                            " ms, want " + std::to_string(rtt) + ")");
  }
  lab.notice(
      "With Nagle and a delayed ACK, write-write-read costs a delayed-ACK timeout per "
      "request; each mechanism is sensible alone, together they wait for each other.");
  lab.notice(
      "The cures: write the request in one call (writev), or set TCP_NODELAY (as most "
      "RPC and HTTP clients do), or TCP_QUICKACK on the server.");
}

}  // namespace

const Lesson kDelayedAckNagle{
    "delayed-ack-nagle",
    "delayed ACK vs Nagle: the 40 ms stall of write-write-read, and its absence with TCP_NODELAY",
    configure, run};

}  // namespace ustack::lessons
