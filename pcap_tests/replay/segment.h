// The normalised form of a conversation's packets: what two runs of one conversation (the
// kernel's and ustack's) are compared on.
//
// Every TCP number is made relative, as packetdrill and Wireshark do: seq to the sender's ISN,
// ack and SACK blocks to the receiver's; the window is scaled by the sender's shift once both
// SYNs carried the option (RFC 7323 §2.2: never on a SYN). What legitimately differs between
// two hosts (ISN, IP ID, timestamp values, checksums, option order) is not kept.
//
// Each segment the host sent also gets a timing class, the answer to "why was it sent then":
//   immediate    within 5 ms of the peer's previous packet (an answer)
//   delayed-ack  a pure ACK sent 5 ms or more after the peer's last packet (RFC 9293
//                §3.8.6.3; Linux's 40 ms delayed-ACK timer)
//   app          new data / FIN / SYN sent with no recent peer packet (the application)
//   rto#N        the N-th timer-driven retransmission of a sequence range (RFC 6298)
//   tlp          a timer-driven retransmission sooner than 200 ms after the original
//                (RFC 8985 §7 tail-loss probe)
//   fast-rtx     a retransmission answering the peer's packet (RFC 5681 §3.2, RFC 6675)
//   persist      a probe into the peer's zero window (RFC 9293 §3.8.6.1)
//   keepalive    seq = SND.NXT - 1, nothing new, after idle (RFC 1122 §4.2.3.6)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pcap_tests/replay/timed_packet.h"
#include "stack/base/bytes.h"
#include "stack/base/time.h"
#include "stack/wire/common.h"

namespace ustack::replay {

struct Segment {
  std::size_t index = 0;  // position in the PacketList it came from
  Duration t;             // since the list's first packet
  bool outbound = false;
  IpProto proto = IpProto::kTcp;
  std::uint8_t flags = 0;
  std::uint32_t seq = 0;             // relative
  std::uint32_t ack = 0;             // relative; meaningful with the ACK flag
  std::uint32_t len = 0;             // payload octets
  std::uint32_t win = 0;             // scaled, in octets
  std::optional<std::uint16_t> urg;  // the urgent pointer, with URG (RFC 9293 §3.8.5)
  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> wscale;
  bool sack_ok = false;
  bool timestamps = false;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> sack;  // relative blocks
  ByteVec payload;
  bool retransmission = false;
  std::string timing;  // class, see above (outbound segments only)
  // A packet that is neither TCP nor UDP (an ICMP error, an IP fragment): how ustack's
  // printer shows it, without the addresses ("ICMP ... need to frag unreachable (mtu 1200)").
  // Such packets are compared on this text alone.
  std::string other;

  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
  // packetdrill-like: "S. 0:0(0) ack 1 win 65160 <mss 1460,sackOK,TS,wscale 7>",
  // "P. 1:101(100) ack 1 win 502", "udp (48)".
  std::string text() const;
  std::string flags_text() const;  // "S.", "P.", "F.", "R", ".", "udp"
  std::string options_text() const;
};

// Normalises a conversation's packets (both directions, in order). Packets that are not TCP
// or UDP keep only their description (`other`).
std::vector<Segment> normalise(const PacketList& packets);

}  // namespace ustack::replay
