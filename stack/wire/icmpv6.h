// ICMP for IPv6 (RFC 4443): echo, the four error messages and the generic shape every other
// type (NDP, MLD) shares. NDP's bodies and options are in ndp.h.
//
// The checksum covers an IPv6 pseudo header (RFC 8200 §8.1), so parse and emit take the
// packet's source and destination addresses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/wire/common.h"

namespace ustack {

enum class Icmpv6Type : std::uint8_t {
  kDestUnreachable = 1,
  kPacketTooBig = 2,
  kTimeExceeded = 3,
  kParamProblem = 4,
  kEchoRequest = 128,
  kEchoReply = 129,
  kMldQuery = 130,
  kMldReport = 131,
  kMldDone = 132,
  kRouterSolicit = 133,
  kRouterAdvert = 134,
  kNeighborSolicit = 135,
  kNeighborAdvert = 136,
  kRedirect = 137,
  kMldv2Report = 143,
};

// RFC 4443 §3.1 destination unreachable codes.
enum class Icmpv6Unreach : std::uint8_t {
  kNoRoute = 0,
  kAdminProhibited = 1,
  kBeyondScope = 2,
  kAddress = 3,
  kPort = 4,
  kFailedPolicy = 5,
  kRejectRoute = 6,
};

// RFC 4443 §3.3 time exceeded codes.
enum class Icmpv6TimeExceeded : std::uint8_t { kHopLimit = 0, kReassembly = 1 };

// RFC 4443 §3.4 parameter problem codes.
enum class Icmpv6ParamProblem : std::uint8_t {
  kErroneousHeader = 0,
  kUnrecognizedNextHeader = 1,
  kUnrecognizedOption = 2,
};

// The part of our own packet an ICMPv6 error quotes (RFC 4443 §2.4(c): as much as fits in the
// minimum MTU). Parsed leniently — payload_len may exceed what is quoted. Extension headers
// (hop-by-hop, routing, destination options, a first fragment) are walked to find the upper
// layer.
struct Icmpv6Quote {
  Ipv6Addr src;
  Ipv6Addr dst;
  IpProto proto = IpProto::kTcp;  // the upper-layer protocol after the extension headers
  std::uint16_t payload_len = 0;  // as the quoted header says
  std::uint8_t hop_limit = 0;
  Bytes header;     // the quoted fixed IPv6 header (40 bytes)
  Bytes transport;  // the upper-layer bytes present in the quote (>= 8)

  // Rejects: kTruncated (< 40 bytes, an extension header cut off, or fewer than 8 upper-layer
  // bytes); kBadVersion (not IPv6); kUnsupported (a non-first fragment: no upper-layer header);
  // kTooManyHeaders (more than 8 extension headers).
  static Result<Icmpv6Quote> parse(Bytes quote);
};

struct Icmpv6Repr {
  static constexpr std::size_t kHeaderLen = 8;  // type, code, checksum, one 32-bit word
  // RFC 4443 §2.4(c): an error message must not exceed the IPv6 minimum MTU.
  static constexpr std::size_t kMaxErrorLen = 1280 - 40;

  Icmpv6Type type = Icmpv6Type::kEchoRequest;
  std::uint8_t code = 0;
  // Echo request/reply (RFC 4443 §4).
  std::uint16_t ident = 0;
  std::uint16_t seq_no = 0;
  // Packet too big (RFC 4443 §3.2).
  std::uint32_t mtu = 0;
  // Parameter problem (RFC 4443 §3.4): offset of the error in the quoted packet.
  std::uint32_t pointer = 0;
  // Any other type (NDP, MLD, unknown): the second header word as it was.
  std::uint32_t rest_of_header = 0;
  // Echo: the payload. Error: the quoted packet. Other: the bytes after the 8-byte header
  // (for NDP: the rest of the body and the options — see NdpRepr::parse).
  Bytes data;

  // Parses a whole ICMPv6 message (the upper-layer payload of an IPv6 packet from `src` to
  // `dst`). Rejects: kTruncated (< 8 bytes); kBadChecksum (unless check == kSkip).
  // Unknown types and codes are accepted (RFC 4443 §2.4(a)/(b) tell the caller what to do).
  static Result<Icmpv6Repr> parse(Bytes message, const Ipv6Addr& src, const Ipv6Addr& dst,
                                  ChecksumCheck check = ChecksumCheck::kVerify);

  static Icmpv6Repr echo_request(std::uint16_t ident, std::uint16_t seq_no, Bytes data);
  // RFC 4443 §4.2: the reply carries the request's identifier, sequence number and data.
  static Icmpv6Repr echo_reply_to(const Icmpv6Repr& request);
  // Error constructors take the offending packet; it is cut so that the whole ICMPv6 message
  // fits in kMaxErrorLen (RFC 4443 §2.4(c)). The caller's IPv6 header adds the last 40 bytes.
  static Icmpv6Repr dest_unreachable(Icmpv6Unreach code, Bytes offending);
  static Icmpv6Repr packet_too_big(std::uint32_t mtu, Bytes offending);
  static Icmpv6Repr time_exceeded(Icmpv6TimeExceeded code, Bytes offending);
  static Icmpv6Repr param_problem(Icmpv6ParamProblem code, std::uint32_t pointer, Bytes offending);

  // RFC 4443 §2.1: types 0-127 are errors (never answered with an error, §2.4(e)).
  bool is_error() const { return static_cast<std::uint8_t>(type) < 128; }
  // Router/neighbour solicitation/advertisement and redirect (RFC 4861 §4): see ndp.h.
  bool is_ndp() const;
  // For an error: the quoted IPv6 header and upper-layer bytes. kBadType if not an error.
  Result<Icmpv6Quote> quote() const;

  std::size_t header_len() const { return kHeaderLen; }
  std::size_t buffer_len() const { return kHeaderLen + data.size(); }
  // Writes header and data (copied unless already in place) and, with kCompute, the checksum
  // over the pseudo header; with kOffload, the field holds the folded pseudo-header sum (like
  // Linux CHECKSUM_PARTIAL). out.size() >= buffer_len().
  void emit(MutBytes out, const Ipv6Addr& src, const Ipv6Addr& dst,
            ChecksumMode mode = ChecksumMode::kCompute) const;

  // "ICMP6, echo request, id 7, seq 1, length 64" (tcpdump's wording).
  std::string to_string() const;
  std::string to_verbose_string() const;

  // Compares the fields that the type gives meaning to, and the data bytes.
  bool operator==(const Icmpv6Repr& o) const;
};

const char* to_string(Icmpv6Type t);

// Checksum of an ICMPv6 message already in `message` with its checksum field zeroed or not:
// the value to store at offset 2 (shared by Icmpv6Repr and NdpRepr).
std::uint16_t icmpv6_checksum(Bytes message, const Ipv6Addr& src, const Ipv6Addr& dst);

}  // namespace ustack
