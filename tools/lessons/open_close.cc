// Lessons "close" (the close sequences: active and passive close, TIME_WAIT, simultaneous
// close; RFC 9293 §3.6, §3.10.4, §3.10.7.4) and "simultaneous-open" (two SYNs crossing, RFC
// 9293 §3.5 figure 8).
#include <algorithm>

#include "tools/lessons/registry.h"

namespace ustack::lessons {

namespace {

// The client's state changes, "FROM->TO" in order.
std::vector<std::string> transitions(const Lab& lab, const std::string& conn) {
  std::vector<std::string> out;
  for (const Event* e : select(lab, "state", [&](const Event& e) {
         return conn.empty() || e.value("conn", "") == conn;
       })) {
    out.push_back((*e)["data"]["from"].get<std::string>() + "->" +
                  (*e)["data"]["to"].get<std::string>());
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// --- close ----------------------------------------------------------------------------------

void close_lesson(Lab& lab) {
  const SocketHandle l = lab.listen(80);
  const SocketHandle c = lab.connect(80);
  lab.run_for(Duration::millis(20));
  const SocketHandle s = lab.accept(l);
  lab.send(lab.client(), c, 100);
  lab.run_for(Duration::millis(40));
  lab.recv(lab.server(), s, 100);
  const std::string first = lab.events().empty() ? "" : lab.events().front().value("conn", "");
  lab.say(
      "Part 1, the usual close. The client calls close(): it is the active closer. Its FIN "
      "(one sequence number, like a SYN) says 'no more data from me'; it enters FIN_WAIT_1 "
      "(RFC 9293 §3.10.4). The server's TCP tells its application end-of-file and enters "
      "CLOSE_WAIT; it acknowledges the FIN after its delayed-ACK timer (40 ms, as Linux does, so "
      "that an application closing at once sends its FIN with the ACK). With its FIN "
      "acknowledged the client is in FIN_WAIT_2. The connection is half-closed: the server "
      "could still send.");
  lab.close(lab.client(), c);
  lab.run_for(Duration::millis(60));
  const std::string server_after_fin = lab.state(lab.server(), s);
  lab.say(
      "The server was in " + server_after_fin +
      ". Its application now calls close() too (the passive close): its FIN goes out, LAST_ACK. "
      "The client acknowledges it and enters TIME_WAIT; the server, with its FIN acknowledged, "
      "is CLOSED and forgets the connection.");
  lab.close(lab.server(), s);
  lab.run_for(Duration::millis(40));
  const std::string server_at_end = lab.state(lab.server(), s);
  lab.say(
      "The client stays in TIME_WAIT for 2 MSL (RFC 9293 §3.6.1; 60 s on Linux and here): "
      "should its last ACK be lost, the server's retransmitted FIN finds a connection to answer "
      "it, and no old duplicate segment of this connection can be taken for one of a new "
      "connection with the same ports. Only the active closer pays this. Virtual time skips "
      "the wait.");
  lab.run_for(Duration::seconds(61));

  lab.say(
      "Part 2, a simultaneous close: on a new connection both applications call close() at the "
      "same instant. Both FINs cross on the wire; each side, in FIN_WAIT_1, receives a FIN "
      "that does not acknowledge its own: CLOSING (RFC 9293 §3.10.7.4). The ACKs cross next, "
      "and both sides end in TIME_WAIT.");
  const SocketHandle c2 = lab.connect(80);
  lab.run_for(Duration::millis(20));
  const SocketHandle s2 = lab.accept(l);
  lab.run_for(Duration::millis(40));
  lab.close(lab.client(), c2);
  lab.close(lab.server(), s2);
  lab.run_for(Duration::millis(60));
  // A connection in TIME_WAIT is a compact record, not a socket (stack/tcp/time_wait.h).
  const std::size_t server_time_wait = lab.server().time_wait_count();

  const auto one = transitions(lab, first);
  lab.check(
      contains(one, "ESTABLISHED->FIN_WAIT_1") && contains(one, "FIN_WAIT_1->FIN_WAIT_2") &&
          contains(one, "FIN_WAIT_2->TIME_WAIT") && contains(one, "TIME_WAIT->CLOSED"),
      "the active closer goes FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT, CLOSED (got " + join(one) + ")");
  lab.check(server_after_fin == "CLOSE_WAIT",
            "the passive closer is in CLOSE_WAIT after the "
            "client's FIN (" +
                server_after_fin + ")");
  lab.check(server_at_end == "CLOSED",
            "the passive closer is CLOSED after its FIN is "
            "acknowledged (" +
                server_at_end + ")");
  auto tw = select(lab, "state", [](const Event& e) { return e["data"]["to"] == "TIME_WAIT"; });
  auto gone = select(lab, "state", [](const Event& e) { return e["data"]["from"] == "TIME_WAIT"; });
  lab.check(!tw.empty() && !gone.empty() && ms(*gone[0]) - ms(*tw[0]) == 60000,
            "TIME_WAIT lasts 60 s");
  const auto all = transitions(lab, "");
  lab.check(contains(all, "FIN_WAIT_1->CLOSING") && contains(all, "CLOSING->TIME_WAIT"),
            "in a simultaneous close the client goes FIN_WAIT_1, CLOSING, TIME_WAIT");
  lab.check(server_time_wait == 1,
            "in a simultaneous close both sides end in TIME_WAIT (the server holds " +
                std::to_string(server_time_wait) + " TIME_WAIT records, want 1)");
  lab.notice(
      "Four segments close a connection, FIN and ACK each way; the ACK of a FIN can ride on "
      "the other side's FIN when its application closes at once.");
  lab.notice(
      "TIME_WAIT belongs to whoever closes first; a server that closes first collects TIME_WAIT "
      "records (one per connection, for 60 s).");
  lab.notice("Simultaneous close goes through CLOSING, and then both sides wait in TIME_WAIT.");
}

// --- simultaneous-open ----------------------------------------------------------------------

void simultaneous_open(Lab& lab) {
  lab.say(
      "Two applications each bind a known port (the client 5000, the server 6000) and connect "
      "to the other at the same instant, with no listener anywhere. Both send a SYN: both are "
      "in SYN_SENT (RFC 9293 §3.5, figure 8).");
  const SocketHandle c = lab.connect_from(lab.client(), 5000, 6000);
  const SocketHandle s = lab.connect_from(lab.server(), 6000, 5000);
  lab.run_for(Duration::millis(5));
  lab.say(
      "The SYNs cross. Each side, in SYN_SENT, receives a SYN without an ACK: it enters "
      "SYN_RECEIVED and answers with a SYN-ACK that repeats its own SYN and acknowledges the "
      "other (RFC 9293 §3.10.7.3, 'fourth, check the SYN bit'; its options are those of its "
      "first SYN).");
  lab.run_for(Duration::millis(10));
  lab.say(
      "The SYN-ACKs cross as well. Each acknowledges the receiver's SYN: both enter ESTABLISHED "
      "(RFC 9293 §3.10.7.4) and acknowledges the SYN-ACK with a pure ACK; the SYN in it was "
      "already received, so this stack reports it as a duplicate with a D-SACK block 0:1 (RFC "
      "2883). One connection, not two, and neither side was the server.");
  lab.run_for(Duration::millis(20));
  const std::string server_state = lab.state(lab.server(), s);
  lab.send(lab.client(), c, 100);
  lab.run_for(Duration::millis(20));
  const std::size_t got = lab.recv(lab.server(), s, 100);
  lab.close(lab.client(), c);
  lab.close(lab.server(), s);
  lab.run_for(Duration::millis(40));

  const auto t = transitions(lab, "");
  lab.check(t.size() >= 3 && t[0] == "CLOSED->SYN_SENT" && t[1] == "SYN_SENT->SYN_RECEIVED" &&
                t[2] == "SYN_RECEIVED->ESTABLISHED",
            "the client goes SYN_SENT, SYN_RECEIVED, ESTABLISHED (got " + join(t) + ")");
  lab.check(server_state == "ESTABLISHED", "the other side is ESTABLISHED (" + server_state + ")");
  auto syns = select(lab, "segment_sent", [](const Event& e) {
    return e["data"]["flags"].get<std::string>().find('S') != std::string::npos;
  });
  lab.check(syns.size() == 2, "the client sends a SYN and then a SYN-ACK");
  lab.check(got == 100, "data flows over the connection");
  lab.notice(
      "A simultaneous open needs no listener: each side's SYN meets the other's SYN_SENT. It is "
      "rare by accident but is how TCP hole punching through NATs works.");
  lab.notice("Both sides passed through SYN_RECEIVED; four segments made one connection.");
}

}  // namespace

const Lesson kClose{"close",
                    "the close sequences: active and passive close, TIME_WAIT, simultaneous close",
                    nullptr, close_lesson};

const Lesson kSimultaneousOpen{"simultaneous-open",
                               "two SYNs cross: both sides go SYN_SENT, SYN_RECEIVED, ESTABLISHED",
                               nullptr, simultaneous_open};

}  // namespace ustack::lessons
