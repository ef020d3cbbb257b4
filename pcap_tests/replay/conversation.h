// From a capture to the one conversation a replay plays: the flows in the capture (TCP and UDP
// 5-tuples, in order of first appearance), and for the chosen flow the side ustack takes.
//
// Vocabulary: the *host* is the recorded machine whose place ustack takes (its packets are
// what ustack's answers are compared with); the *peer* is the other end, whose packets are
// played to ustack. For TCP the client is the end that sent the first SYN; for UDP the end
// that sent the first datagram. The default side is the server, as when ustack listens.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "pcap_tests/replay/timed_packet.h"
#include "stack/base/addr.h"
#include "stack/wire/common.h"

namespace ustack::replay {

// Bad input: not a capture, damaged, no such flow, nothing to replay. One line, naming the
// file or the flow and the problem.
class ReplayInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Side { kClient, kServer };
const char* to_string(Side s);

struct Endpoint {
  IpAddr ip;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
  std::string to_string() const;  // "198.18.0.1:80", "[fd00:1::1]:80"
};

struct Flow {
  int number = 0;  // 1-based, in order of first appearance
  IpProto proto = IpProto::kTcp;
  Endpoint client;  // sent the first SYN (TCP) / the first datagram (UDP)
  Endpoint server;
  bool has_handshake = false;  // TCP: the client's SYN is in the capture
  std::size_t packets = 0;
  std::size_t client_packets = 0;
  std::size_t bad_checksums = 0;  // TCP/UDP checksums that do not verify (offload)
  Instant first;
  Instant last;
  std::string to_string() const;  // "1  tcp 198.18.0.1:40000 > 198.18.0.2:80  12 packets ..."
};

// Every TCP/UDP flow in `packets` (IP packets; the direction flags are ignored).
std::vector<Flow> list_flows(const PacketList& packets);

struct Conversation {
  Flow flow;
  Side side = Side::kServer;  // the side ustack plays
  Endpoint host;              // the recorded end ustack replaces
  Endpoint peer;              // the end whose packets are played
  PacketList packets;         // the flow's packets; outbound = sent by the host
};

// The packets of capture `path` from the IP header on (pcap or pcapng; raw IP, Ethernet,
// SLL, SLL2). Throws ReplayInputError for a file that is missing, not a capture or damaged.
// Non-IP records (ARP ...) are skipped.
PacketList read_capture(const std::string& path);

// Picks flow `number` (1-based; nullopt: the only flow) and the side ustack plays (nullopt:
// the server). Throws ReplayInputError: no TCP or UDP flow, several flows and no number (the
// message lists them), no such flow, a TCP flow without its handshake.
Conversation select_conversation(const PacketList& packets, std::optional<int> number,
                                 std::optional<Side> side);

}  // namespace ustack::replay
