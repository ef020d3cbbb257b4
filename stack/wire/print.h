// Whole-packet descriptions: one tcpdump-like line, or every field of every layer.
//
// describe_packet() walks an Ethernet frame or a raw IPv4/IPv6 packet through our own parsers
// (ethernet → arp | ipv4 | ipv6 → tcp | udp (→ dns) | icmpv4 | igmp | icmpv6 (→ ndp | mld)) and
// renders
//
//   IP 198.18.0.1.41234 > 198.18.0.2.80: Flags [S], seq 123, win 64240, options [...], length 0
//   IP6 fd00:1::1 > fd00:1::2: ICMP6, neighbor solicitation, who has fd00:1::2, length 32
//   IP 198.18.0.1 > 224.0.0.2: igmp leave 239.1.2.3
//   IP6 fe80::1 > ff02::2: HBH ICMP6, multicast listener done, ff05::1:3, length 24
//   IP 198.18.0.1 > 198.18.0.2: [udp: bad_checksum]
//
// A layer that does not parse ends the walk: the line names the layer and the ParseError and
// the description carries them (so `ustack dump` can count undecodable packets by reason).
// A packet cut short by the capture's snapshot length (DescribeOptions::wire_len) is decoded
// as far as its octets go, as tcpdump does:
//
//   IP 198.18.0.1.46660 > 198.18.0.2.8080: Flags [S], seq 2534788365, win 64240, options [mss
//   1460,sackOK, [|tcp] IP6 :: > ff02::16:  [|hbhopt]
//
// Sequence numbers are absolute (tcpdump -S): a description depends on one packet only.
// Used by `ustack dump`, the tracer and test failure messages. Pure: no I/O, never throws on
// packet contents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/wire/common.h"
#include "stack/wire/tcp_relative_seq.h"

namespace ustack {

// What the first byte of the packet is.
enum class LinkLayer : std::uint8_t {
  kEthernet,  // an Ethernet II frame (TAP, pcap LINKTYPE_ETHERNET)
  kRawIp,     // an IPv4 or IPv6 packet, told apart by the version nibble (TUN, LINKTYPE_RAW)
};

struct DescribeOptions {
  // Add every field of every layer after the line (one "  [layer]" block per layer).
  bool verbose = false;
  // kSkip describes packets captured on the sending host, whose TCP/UDP checksums the NIC
  // had not filled in yet (checksum offload), instead of reporting them as bad.
  ChecksumCheck checksums = ChecksumCheck::kVerify;
  // When set, TCP sequence and acknowledgment numbers are printed relative, as tcpdump does
  // without -S; the tracker holds the conversations seen so far (pass packets in order).
  TcpRelativeSeqs* relative_seqs = nullptr;
  // The packet's length on the wire when the capture holds less of it (a snapshot length cut
  // it); 0 or the packet's size: all of it is there. A cut packet is described as far as its
  // captured octets go and then marked the way tcpdump marks it, "[|tcp]" naming the layer
  // that was cut; lengths are the wire's, checksums are not checked, and it is not an error.
  std::size_t wire_len = 0;
};

// The layer that did not parse, and why.
struct LayerError {
  std::string layer;  // "ethernet", "arp", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmp6",
                      // "ndp", "igmp", "mld", "dns"
  ParseError reason = ParseError::kTruncated;
  // "udp: bad_checksum"
  std::string to_string() const;
  bool operator==(const LayerError&) const = default;
};

struct PacketDescription {
  std::string line;                 // one line, no trailing newline
  std::string details;              // verbose only: the per-layer blocks, '\n'-terminated lines
  std::optional<LayerError> error;  // set when a layer did not parse
};

PacketDescription describe_packet(Bytes packet, LinkLayer link, const DescribeOptions& opts = {});

// The same for a link-layer payload whose protocol is known from elsewhere (the protocol field
// of a Linux cooked capture header, SLL/SLL2): ARP, IPv4, IPv6; anything else is shown by its
// EtherType and length.
PacketDescription describe_link_payload(Bytes payload, EtherType protocol,
                                        const DescribeOptions& opts = {});

}  // namespace ustack
