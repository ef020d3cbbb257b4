// ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2, RFC 1191 §4 next-hop MTU).
//
// One value type for every message: the type and code, the fields of the second header word
// that the type gives meaning to, and `data` — the echo payload or, for an error, the quoted
// datagram (a view into the parsed buffer). The checksum covers the whole message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/wire/common.h"

namespace ustack {

enum class Icmpv4Type : std::uint8_t {
  kEchoReply = 0,
  kDestUnreachable = 3,
  kSourceQuench = 4,  // deprecated (RFC 6633); parsed as "other"
  kRedirect = 5,
  kEchoRequest = 8,
  kRouterAdvert = 9,
  kRouterSolicit = 10,
  kTimeExceeded = 11,
  kParamProblem = 12,
  kTimestamp = 13,
  kTimestampReply = 14,
};

// Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
enum class Icmpv4Unreach : std::uint8_t {
  kNet = 0,
  kHost = 1,
  kProtocol = 2,
  kPort = 3,
  kFragNeeded = 4,  // "fragmentation needed and DF set"; carries the next-hop MTU (RFC 1191)
  kSourceRouteFailed = 5,
  kDstNetUnknown = 6,
  kDstHostUnknown = 7,
  kSrcHostIsolated = 8,
  kNetProhibited = 9,
  kHostProhibited = 10,
  kNetTos = 11,
  kHostTos = 12,
  kAdminProhibited = 13,
  kHostPrecedence = 14,
  kPrecedenceCutoff = 15,
};

// Time exceeded codes.
enum class Icmpv4TimeExceeded : std::uint8_t { kTtl = 0, kReassembly = 1 };

// The part of our own datagram an ICMP error quotes: the IPv4 header and at least the first
// 8 bytes of what followed (RFC 792; RFC 1812 §4.3.2.3 allows more). Parsed leniently — the
// quote is truncated by design, so total_len may exceed what is there and the header checksum
// is not checked.
struct Icmpv4Quote {
  Ipv4Addr src;
  Ipv4Addr dst;
  IpProto proto = IpProto::kTcp;
  std::uint16_t total_len = 0;  // as the quoted header says
  std::uint16_t ident = 0;
  std::uint8_t ttl = 0;
  Bytes header;     // the quoted IPv4 header, options included
  Bytes transport;  // what follows the header in the quote (>= 8 bytes)

  // Rejects: kTruncated (shorter than the header or fewer than 8 transport bytes);
  // kBadVersion (not IPv4); kBadHeaderLength (IHL < 5).
  static Result<Icmpv4Quote> parse(Bytes quote);
};

struct Icmpv4Repr {
  static constexpr std::size_t kHeaderLen = 8;  // type, code, checksum, one 32-bit word

  Icmpv4Type type = Icmpv4Type::kEchoRequest;
  std::uint8_t code = 0;
  // Echo request/reply (RFC 792): identifier and sequence number.
  std::uint16_t ident = 0;
  std::uint16_t seq_no = 0;
  // Destination unreachable code 4 (RFC 1191 §4): the next-hop MTU, 0 if the router is old.
  std::uint16_t next_hop_mtu = 0;
  // Parameter problem (RFC 792): the octet of the quoted header where the error was found.
  std::uint8_t pointer = 0;
  // Redirect (RFC 792): the gateway to use.
  Ipv4Addr gateway;
  // Any other type: the second header word as it was (emitted back unchanged).
  std::uint32_t rest_of_header = 0;
  // Echo: the payload. Error: the quoted datagram. Other: the bytes after the header.
  Bytes data;

  // Parses a whole ICMP message (the IPv4 payload). Rejects: kTruncated (< 8 bytes);
  // kBadChecksum (checksum over the message does not verify, unless check == kSkip).
  // Unknown types and codes are accepted: RFC 1122 §3.2.2 says to silently discard unknown
  // types and to treat unknown unreachable codes like their nearest relative, which is the
  // caller's decision. Whether an error's quote is usable is quote()'s business.
  static Result<Icmpv4Repr> parse(Bytes message, ChecksumCheck check = ChecksumCheck::kVerify);

  static Icmpv4Repr echo_request(std::uint16_t ident, std::uint16_t seq_no, Bytes data);
  // The reply to `request` (RFC 1122 §3.2.2.6: same identifier, sequence number and data).
  static Icmpv4Repr echo_reply_to(const Icmpv4Repr& request);
  static Icmpv4Repr dest_unreachable(Icmpv4Unreach code, Bytes quoted,
                                     std::uint16_t next_hop_mtu = 0);
  static Icmpv4Repr time_exceeded(Icmpv4TimeExceeded code, Bytes quoted);
  static Icmpv4Repr param_problem(std::uint8_t pointer, Bytes quoted);

  // Destination unreachable, source quench, redirect, time exceeded, parameter problem: the
  // messages that quote a datagram and that must never be answered with an error (RFC 1122
  // §3.2.2).
  bool is_error() const;
  // For an error: the quoted IPv4 header and transport bytes. kBadType if not an error.
  Result<Icmpv4Quote> quote() const;

  std::size_t header_len() const { return kHeaderLen; }
  std::size_t buffer_len() const { return kHeaderLen + data.size(); }
  // Writes header and data (copied unless already in place) and, with kCompute, the checksum.
  // With kOffload the checksum field is left 0 for the device. out.size() >= buffer_len().
  void emit(MutBytes out, ChecksumMode mode = ChecksumMode::kCompute) const;

  // "ICMP echo request, id 7, seq 1, length 64" / "ICMP 198.18.0.2 udp port 53 unreachable,
  // length 36" (tcpdump's wording).
  std::string to_string() const;
  std::string to_verbose_string() const;

  // Compares the fields that the type gives meaning to, and the data bytes.
  bool operator==(const Icmpv4Repr& o) const;
};

// Short names ("echo request", "destination unreachable", ...) for logs and counters.
const char* to_string(Icmpv4Type t);

}  // namespace ustack
