// The seam between the IP layer and the transports (TCP, UDP).
//
// Stack owns IP and calls a Transport for every packet of its protocol that is addressed to
// us; a Transport sends through IpSender. Both are interfaces so stack/tcp and stack/udp need
// not depend on stack/ip (they are siblings, see ARCHITECTURE.md), and so the transports can
// be tested against a fake IpSender with no IP layer at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/function_ref.h"
#include "stack/base/time.h"
#include "stack/wire/common.h"

namespace ustack {

// What the IP layer knows about a received transport payload.
struct IpRxMeta {
  IpAddr src;
  IpAddr dst;
  IpProto proto = IpProto::kTcp;
  std::uint8_t hop_limit = 0;  // TTL for IPv4
  std::uint8_t tos = 0;        // IPv4 TOS / IPv6 traffic class (DSCP+ECN)
  bool dst_is_broadcast_or_multicast = false;
  // The device already verified the transport checksum (rx offload): skip it.
  bool checksum_verified = false;
};

// An ICMP/ICMPv6 error whose quoted datagram was one we sent (RFC 1122 §3.2.2, RFC 4443 §2.4).
struct IcmpError {
  enum class Kind : std::uint8_t {
    kNetUnreachable,
    kHostUnreachable,
    kProtocolUnreachable,
    kPortUnreachable,
    kAdminProhibited,
    kFragmentationNeeded,  // v4 "fragmentation needed and DF set" / v6 "packet too big"
    kTimeExceeded,
    kParameterProblem,
    kSourceRouteFailed,
    kOther,
  };
  Kind kind = Kind::kOther;
  std::uint8_t type = 0;  // raw ICMP type and code, for tracing
  std::uint8_t code = 0;
  // RFC 1122 §4.2.3.9 / RFC 5927 §4: "hard" errors (protocol/port unreachable, admin
  // prohibited) may abort a connection that is still connecting; the rest are "soft".
  bool hard = false;
  IpAddr reporter;    // who sent the ICMP message
  IpAddr quoted_src;  // the quoted datagram's addresses: our local address ...
  IpAddr quoted_dst;  // ... and the remote one
  IpProto quoted_proto = IpProto::kTcp;
  Bytes quoted_transport;          // the quoted transport header bytes (at least 8 when present)
  std::uint32_t next_hop_mtu = 0;  // for kFragmentationNeeded (0 if the router did not say)
};

// Outcome of delivering a packet, so the IP layer can answer for the transport.
enum class RxVerdict : std::uint8_t {
  kDelivered,        // consumed (including "dropped and counted by the transport")
  kPortUnreachable,  // no socket: the IP layer sends ICMP port unreachable (UDP)
};

// Linux IP_MTU_DISCOVER / IPV6_MTU_DISCOVER: what a socket's packets do with DF and the path
// MTU (ip(7)). kWant is Linux's default: DF set on what fits the path MTU (RFC 1191 probing),
// anything larger fragmented here at the source. kDo never fragments: a packet larger than the
// path MTU is refused (EMSGSIZE at the socket). kDont never sets DF.
enum class PmtuDiscovery : std::uint8_t { kWant, kDo, kDont };

// Per-packet IP options a transport (or a tool) passes down with each send: the socket options
// that belong to the IP layer (ip(7) / ipv6(7)).
struct IpSendOptions {
  std::uint8_t ttl = 0;  // IP_TTL / IPV6_UNICAST_HOPS for unicast; 0 = the stack's default
  std::uint8_t tos = 0;  // IP_TOS / IPV6_TCLASS: DSCP and ECN bits
  PmtuDiscovery pmtu = PmtuDiscovery::kWant;
  // IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS: Linux's default is 1 (stay on the link).
  std::uint8_t multicast_ttl = 1;
  // IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP: our own member sockets get a copy of what we send
  // to a group, as Linux does by default. IPv4 broadcasts are looped back whatever this says
  // (Linux loops them through the route, not through this option).
  bool multicast_loop = true;
  // TCP segmentation offload: a TCP packet larger than the path MTU is a super-segment that the
  // device cuts into segments of gso_size payload bytes each (never fragmented). 0: a plain
  // packet. Only when gso_max_len() allowed it.
  std::uint16_t gso_size = 0;
};

// Implemented by Stack for the transports.
class IpSender {
 public:
  virtual ~IpSender() = default;
  // Sends one transport payload of `payload_len` bytes from `src` to `dst`, fragmenting if
  // allowed. `fill` writes the payload (transport header included) and must compute the
  // transport checksum itself according to checksum_mode(). Returns false if there is no
  // route or the packet was dropped (counted by the IP layer). An unspecified `src` takes the
  // address the route would use.
  virtual bool send(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
                    std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                    const IpSendOptions& opts) = 0;
  // The source address the route to `dst` would use, or nullopt if `dst` is unreachable.
  virtual std::optional<IpAddr> select_source(const IpAddr& dst) const = 0;
  // Largest IP packet toward `dst`: the interface MTU, lowered by path-MTU discovery.
  virtual std::size_t path_mtu(const IpAddr& dst) const = 0;
  // Largest TCP super-segment (IP packet bytes) toward `dst` that the device segments itself
  // (TSO, IpSendOptions::gso_size); 0 when it does not.
  virtual std::size_t gso_max_len(const IpAddr& /*dst*/) const { return 0; }
  // True if `addr` is one of our unicast addresses.
  virtual bool is_local_address(const IpAddr& addr) const = 0;
  virtual ChecksumMode checksum_mode() const = 0;
  // True if `addr` is a broadcast address of ours (255.255.255.255 or a subnet's broadcast).
  virtual bool is_broadcast_address(const IpAddr& addr) const = 0;

  // Multicast group membership (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP), counted per group: the
  // first join makes the IP layer accept the group's packets and announce the membership
  // (IGMPv2 RFC 2236 / MLDv2 RFC 3810 on an Ethernet device), the last leave undoes both.
  // False if `group` is not a multicast address.
  virtual bool join_group(Instant now, const IpAddr& group) = 0;
  virtual void leave_group(Instant now, const IpAddr& group) = 0;
};

// Implemented by each transport layer (stack/tcp, stack/udp).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual IpProto protocol() const = 0;
  virtual RxVerdict on_packet(Instant now, const IpRxMeta& meta, Bytes payload, IpSender& out) = 0;
  // An ICMP error quoting one of this protocol's packets. Returns true when it belongs to a
  // socket of ours and passed the transport's checks (TCP: the quoted sequence number is in
  // flight, RFC 5927 §4.1); only then does a Fragmentation Needed / Packet Too Big lower the
  // path MTU, as in Linux (tcp_v4_err, __udp4_lib_err), so a blind forger cannot force it.
  virtual bool on_icmp_error(Instant now, const IcmpError& err, IpSender& out) = 0;
  // Timers and queued output: called from every Stack::poll().
  virtual void poll(Instant now, IpSender& out) = 0;
  // Earliest instant poll() has work to do; Instant::never() when idle.
  virtual Instant poll_at() const = 0;
};

// A flow a transport holds: a TCP connection's 4-tuple (a live connection or its TIME-WAIT
// record), or a UDP local port that has a socket (local and remote unspecified, remote_port 0).
struct FlowKey {
  IpProto proto = IpProto::kTcp;
  IpAddr local;
  IpAddr remote;
  std::uint16_t local_port = 0;
  std::uint16_t remote_port = 0;
  bool operator==(const FlowKey&) const = default;
};

// Told when a transport starts and stops holding a flow, on the thread that drives it. For a
// shell that runs several stacks on one multi-queue device (tools/ --queues) and must steer a
// packet the kernel put on the wrong queue to the stack that holds its flow. Each call is made
// once per change: opened when the flow enters the transport's tables, closed when it leaves.
class FlowObserver {
 public:
  virtual ~FlowObserver() = default;
  virtual void flow_opened(const FlowKey& flow) = 0;
  virtual void flow_closed(const FlowKey& flow) = 0;
};

}  // namespace ustack
