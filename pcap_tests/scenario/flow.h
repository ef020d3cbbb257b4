// The one conversation a script talks about, and packetdrill's relative numbers for it.
//
// Like packetdrill, a script describes one flow: the SUT's socket (local address, the port it
// bound or the ephemeral one its first packet shows) and the peer (remote address and port).
// Script sequence numbers are relative:
//   - inbound seq/end are offsets from the peer's ISN, which the runner picks (peer_isn);
//   - inbound ack and SACK blocks are offsets from the SUT's ISN;
//   - outbound seq/end are offsets from the SUT's ISN, learned from its first SYN or SYN-ACK
//     (script seq 0 there, as packetdrill's run_packet.c maps it); outbound ack and SACK blocks
//     are offsets from the peer's ISN.
// Timestamps (RFC 7323): inbound TS val goes out as written; inbound TS ecr is the script's
// value moved by the offset between the SUT's first TS val and the value the script expected
// there (packetdrill's ts_val mapping), so a script that echoes "TS val 100" echoes what the
// SUT really sent; an ecr of 0 (a SYN's) stays 0. Until an expectation has written a TS val
// (they all said `<...>`), a non-zero inbound ecr echoes the SUT's latest TS val instead, so
// the peer stays a valid RFC 7323 peer whatever the script wrote there. Outbound TS ecr must equal
// the script's (it echoes a value we sent as written); outbound TS val is not compared, since it is
// a clock (packetdrill compares it only with --tcp_ts_tick_usecs, which we do not take).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pcap_tests/replay/timed_packet.h"
#include "pcap_tests/scenario/script.h"
#include "pcap_tests/scenario/system_under_test.h"
#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/wire/tcp.h"

namespace ustack::scenario {

struct IpView;

class Flow {
 public:
  Flow(const ScenarioAddresses& a, IpVersion v, std::uint32_t peer_isn);

  const IpAddr& local() const { return local_; }
  const IpAddr& remote() const { return remote_; }
  std::uint16_t remote_port() const { return remote_port_; }
  // The SUT's port once known (bind, or its first packet).
  std::optional<std::uint16_t> local_port() const { return local_port_; }
  void set_local_port(std::uint16_t p) { local_port_ = p; }

  // The IP packet for an inbound ('<') event, or an error (the SUT's port or ISN not known yet).
  // With extension headers (ev.ext_headers) they are in it; fragmenting (ev.frag) is
  // fragment()'s job.
  struct Built {
    ByteVec packet;
    std::string error;
  };
  Built build_inbound(const PacketEvent& ev) const;

  // `packet` (a whole IPv4 or IPv6 packet) cut as `frag` says (script.h, FragSpec), in the
  // order to send: IPv4 fragments with Identification `ident` (RFC 791 §2.3, §3.2), or IPv6
  // fragments with Fragment headers (RFC 8200 §4.5) after the unfragmentable part (the fixed
  // header and a Hop-by-Hop Options header; our Destination Options header goes in the
  // fragmentable part, as §4.5 says when no Routing header follows it).
  static std::vector<ByteVec> fragment(Bytes packet, const FragSpec& frag, std::uint32_t ident);

  // Whether `packet` is an IPv4 fragment (MF or a non-zero offset) or carries an IPv6 Fragment
  // header that is not atomic (RFC 6946).
  static bool is_fragment(Bytes packet);
  // The datagram `fragments` make (an IP header with the fragments' addresses and protocol,
  // then the reassembled payload), or nullopt while some of it is missing or they do not
  // belong together (addresses, protocol, Identification). Overlapping bytes come from the
  // later fragment; the check only needs the length and the transport header.
  static std::optional<ByteVec> reassemble(std::span<const replay::TimedPacket> fragments);

  // Checks what the SUT sent against an outbound ('>') event, learning the SUT's port, ISN
  // and TS offset from it when they are not known yet. An empty string when it matches, else
  // what differs, "expected S. 0:0(0) ack 1 win 65535, got S. 0:0(0) ack 1 win 64240
  // (differs: win)". Usually one packet; several when the runner collected the pieces of one
  // expected segment (packetdrill without --strict_segments: a script written for a TSO/GSO
  // "super packet" matches the MSS-sized segments that carry its bytes).
  std::string check_outbound(const PacketEvent& ev, std::span<const replay::TimedPacket> pieces);
  // The TCP payload bytes of `packet`; 0 when it is not TCP.
  static std::size_t tcp_payload_len(const replay::TimedPacket& packet);

  // An expectation as the script writes it ("S. 0:0(0) ack 1 <mss 1460,...>", "udp (100)").
  static std::string describe(const PacketEvent& ev);

 private:
  // An ICMP/ICMPv6 error from the peer quoting the SUT's TCP segment or UDP datagram.
  Built build_icmp(const IcmpErrorSpec& icmp) const;
  // `pieces`: " in 4 segments" when `got` is an aggregate, for the message.
  std::string check_tcp(const TcpSegmentSpec& want, const TcpRepr& got, const std::string& pieces);
  std::string check_udp(const UdpDatagramSpec& want, const IpView& ip);
  std::string check_icmp(const IcmpErrorSpec& want, const IpView& ip);
  // `got` in script terms (relative numbers), for messages.
  std::string describe_got(const TcpRepr& got) const;

  IpAddr local_;
  IpAddr remote_;
  std::uint16_t remote_port_;
  std::uint32_t peer_isn_;
  std::optional<std::uint16_t> local_port_;
  std::optional<std::uint32_t> sut_isn_;
  std::optional<std::uint32_t> ts_offset_;    // SUT's TS val - the script's for the same packet
  std::optional<std::uint32_t> last_ts_val_;  // the SUT's latest
};

}  // namespace ustack::scenario
