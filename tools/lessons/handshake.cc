// Lesson "handshake": the three-way handshake and the options negotiated in it (RFC 9293
// §3.5, RFC 7323, RFC 2018).
#include "tools/lessons/registry.h"

namespace ustack::lessons {

namespace {

bool has_all_options(const Event& seg) {
  const auto& d = seg["data"];
  if (!d.contains("options")) return false;
  const auto& o = d["options"];
  return o.contains("mss") && o.contains("wscale") && o.contains("sack_permitted") &&
         o.contains("ts");
}

void run(Lab& lab) {
  lab.say(
      "The server calls listen() on port 80: a passive open, LISTEN (RFC 9293 §3.10.1). The "
      "client calls connect(): it takes an ephemeral port (RFC 6056) and an initial sequence "
      "number from a keyed hash of the four addresses and ports and a clock (RFC 6528), and "
      "sends a SYN: SYN_SENT. The SYN offers every option this stack knows: MSS 1460, the "
      "largest segment it can receive (MTU 1500 less 40 octets of IP and TCP headers, RFC 9293 "
      "§3.7.1); sackOK, it can take selective ACKs (RFC 2018 §2); TS, timestamps for RTT "
      "measurement and PAWS (RFC 7323 §3); wscale 3, the windows it sends are to be read "
      "shifted left by 3 bits, times 8 (RFC 7323 §2.2), so a 16-bit field can offer its 256 KiB "
      "receive buffer. All but TS may appear only in a SYN, and the window field of a SYN "
      "itself is never scaled.");
  const SocketHandle l = lab.listen(80);
  const SocketHandle c = lab.connect(80);
  lab.say(
      "10 ms later the server's SYN-ACK arrives: it acknowledges the client's SYN (ack 1: a SYN "
      "takes one sequence number) and carries the server's own ISN and options. An option is in "
      "force only when both sides sent it: each side now knows the other's MSS, that both do "
      "SACK and timestamps, and each other's window scale. The client enters ESTABLISHED as it "
      "receives the SYN-ACK (RFC 9293 §3.10.7.3) and answers with a pure ACK. Its first window "
      "(initial cwnd, RFC 6928: 10 segments) is set now.");
  lab.run_for(Duration::millis(20));
  const SocketHandle s = lab.accept(l);
  lab.say(
      "The ACK reaches the server 10 ms later: the server's connection enters ESTABLISHED and "
      "accept() returns it. One round trip (20 ms) after connect(), the client could already "
      "send; the server can send once the third segment arrives. From here on every segment "
      "carries a timestamp option (RFC 7323 §3.2) and an ACK, and windows are scaled: the "
      "ladder prints them scaled (win 262144 is the field 32768 << 3). At 30 ms the client "
      "writes 100 octets; the server acknowledges them at once (quick ACK: Linux acknowledges "
      "the first segments of a connection without delay) and its window shrinks by the 100 "
      "octets it holds unread.");
  lab.send(lab.client(), c, 100);
  lab.run_for(Duration::millis(20));
  lab.check(lab.state(lab.server(), s) == "ESTABLISHED",
            "the server is in " + lab.state(lab.server(), s) + ", not ESTABLISHED, after the ACK");

  auto syn = select(lab, "segment_sent", [](const Event& e) { return e["data"]["flags"] == "S"; });
  lab.check(syn.size() == 1 && has_all_options(*syn[0]),
            "the client's SYN carries MSS, window scale, SACK-permitted and timestamps");
  auto synack =
      select(lab, "segment_received", [](const Event& e) { return e["data"]["flags"] == "S."; });
  lab.check(synack.size() == 1 && has_all_options(*synack[0]) && ms(*synack[0]) == 20,
            "the SYN-ACK, with all four options, arrives one RTT (20 ms) after the SYN");
  auto est = select(lab, "state", [](const Event& e) { return e["data"]["to"] == "ESTABLISHED"; });
  lab.check(est.size() == 1 && ms(*est[0]) == 20 && est[0]->at("data")["from"] == "SYN_SENT",
            "the client goes SYN_SENT -> ESTABLISHED when the SYN-ACK arrives");
  auto ack = select(lab, "segment_sent",
                    [](const Event& e) { return e["data"].value("why", "") == "handshake"; });
  lab.check(ack.size() == 1, "the client sends one pure ACK of the SYN-ACK");
  lab.notice(
      "Three segments, one round trip before the client may send: SYN, SYN-ACK, ACK. Each side "
      "picks its own ISN; the ladder shows both as 0.");
  lab.notice(
      "Options are offered in the SYN and echoed in the SYN-ACK; what one side did not offer is "
      "off for both. After the handshake the window field is read scaled.");
  lab.notice(
      "Try: --pcap hs.pcapng and open it in Wireshark: each segment's comment gives the "
      "state after it and why it was sent.");
}

}  // namespace

const Lesson kHandshake{"handshake",
                        "the three-way handshake and its options: MSS, window scale, "
                        "SACK-permitted, timestamps",
                        nullptr, run};

}  // namespace ustack::lessons
