// IPv6 header and extension-header walk: parse, emit, print (RFC 8200).
//
// Ipv6Repr::parse() checks the fixed header and walks the extension headers this stack
// understands (Hop-by-Hop Options, Routing, Fragment, Destination Options; RFC 8200 §4), records
// each one with its offset, and lists the options of Hop-by-Hop / Destination Options headers
// with their offsets so the IP layer can apply the action bits of RFC 8200 §4.2 and build an
// ICMPv6 Parameter Problem (RFC 4443 §3.4) whose pointer is an offset from the start of the
// packet. The walk stops at:
//   - an upper-layer protocol (anything that is not one of the four extension headers),
//   - a Fragment header (what follows is only meaningful after reassembly, RFC 8200 §4.5),
//   - a Hop-by-Hop header anywhere but first (RFC 8200 §4.1), reported as unknown.
// The stop point is reported (`upper_proto`, `upper_offset`, `upper_proto_pointer`); whether
// the protocol is one we handle is the IP layer's question (RFC 8200 §4: an unrecognised Next
// Header gets Parameter Problem code 1 pointing at the Next Header field).
//
// Emit covers the fixed header, the Fragment header (the IP layer fragments its own output)
// and the one Hop-by-Hop header the stack sends (a Router Alert for MLD, RFC 3810 §5); other
// extension headers are only ever parsed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/wire/common.h"

namespace ustack {

// One extension header the walk went through.
struct Ipv6ExtHeader {
  IpProto type = IpProto::kHopByHop;  // kHopByHop, kIpv6Route, kIpv6Frag or kIpv6Opts
  std::uint16_t offset = 0;           // from the start of the IPv6 packet
  std::uint16_t len = 0;              // whole header in bytes
  bool operator==(const Ipv6ExtHeader&) const = default;
};

// RFC 8200 §4.2: what to do with an option whose type we do not recognise (top two bits).
enum class Ipv6OptionAction : std::uint8_t {
  kSkip = 0,                       // 00: skip over it
  kDiscard = 1,                    // 01: discard the packet silently
  kDiscardSendProblem = 2,         // 10: discard, send Parameter Problem code 2
  kDiscardSendProblemUnicast = 3,  // 11: same, unless the destination was multicast
};

// One option of a Hop-by-Hop or Destination Options header (padding is not listed).
struct Ipv6Option {
  std::uint8_t type = 0;
  IpProto header = IpProto::kHopByHop;  // the header it came from (kHopByHop or kIpv6Opts)
  // Offset of the option type byte from the start of the IPv6 packet: the Parameter Problem
  // pointer (RFC 4443 §3.4, code 2) for an unrecognised option.
  std::uint16_t offset = 0;
  std::uint8_t data_len = 0;  // Opt Data Len

  Ipv6OptionAction action() const { return static_cast<Ipv6OptionAction>(type >> 6); }
  // RFC 8200 §4.2: the third-highest bit says the option data may change en route.
  bool may_change() const { return (type & 0x20) != 0; }
  bool operator==(const Ipv6Option&) const = default;
};

// Well-known option types (IANA "Destination Options and Hop-by-Hop Options").
namespace ipv6_option {
inline constexpr std::uint8_t kPad1 = 0x00;
inline constexpr std::uint8_t kPadN = 0x01;
inline constexpr std::uint8_t kJumboPayload = 0xc2;  // RFC 2675
inline constexpr std::uint8_t kRouterAlert = 0x05;   // RFC 2711
}  // namespace ipv6_option

// The Fragment header (RFC 8200 §4.5). Parsed by the walk; emitted by the IP layer.
struct Ipv6FragHeader {
  static constexpr std::size_t kLen = 8;

  IpProto next_header = IpProto::kUdp;
  std::uint16_t frag_offset = 0;  // in units of 8 octets (13 bits)
  bool more_frags = false;        // M flag
  std::uint32_t ident = 0;
  std::uint8_t reserved = 0;       // the 8-bit reserved field (kept for printing)
  std::uint8_t reserved_bits = 0;  // the 2 reserved bits next to M

  std::size_t frag_offset_bytes() const { return std::size_t{frag_offset} * 8; }
  // `bytes` must be a multiple of 8 and below 65536.
  void set_frag_offset_bytes(std::size_t bytes) {
    frag_offset = static_cast<std::uint16_t>(bytes / 8);
  }
  bool is_atomic() const { return frag_offset == 0 && !more_frags; }  // RFC 6946

  // Parses exactly the 8 header bytes at the start of `header` (kTruncated if fewer).
  static Result<Ipv6FragHeader> parse(Bytes header);
  // Writes 8 bytes into out[0, 8).
  void emit(MutBytes out) const;
  // "frag 0x12345678 offset 1448 M"
  std::string to_string() const;
  bool operator==(const Ipv6FragHeader&) const = default;
};

// A Hop-by-Hop Options header holding a Router Alert option (RFC 2711) and a PadN: the 8 bytes
// in front of every MLD message (RFC 3810 §5), laid out as Linux does
// (next header, 0, 05 02 value, 01 00).
struct Ipv6RouterAlertHeader {
  static constexpr std::size_t kLen = 8;
  static constexpr std::uint16_t kMld = 0;  // RFC 2711 §2.1: value 0 = MLD

  IpProto next_header = IpProto::kIcmpv6;
  std::uint16_t value = kMld;

  // Writes 8 bytes into out[0, 8).
  void emit(MutBytes out) const;
};

// The Routing header's fixed part (RFC 8200 §4.4), for the IP layer's segments-left rule.
struct Ipv6RoutingInfo {
  std::uint8_t routing_type = 0;
  std::uint8_t segments_left = 0;
  std::uint16_t offset = 0;  // of the Routing header from the start of the packet; the routing
                             // type field is at offset + 2 (Parameter Problem code 0 pointer)
  bool operator==(const Ipv6RoutingInfo&) const = default;
};

// An upper-layer/next-header value the walk could not go through: "unknown header N at
// offset X". `pointer` is the offset of the Next Header byte that named it.
struct Ipv6UnknownHeader {
  std::uint8_t type = 0;
  std::uint16_t offset = 0;
  std::uint16_t pointer = 0;
  bool operator==(const Ipv6UnknownHeader&) const = default;
};

struct Ipv6Repr {
  static constexpr std::size_t kHeaderLen = 40;
  // Longest extension-header chain we walk; longer → kTooManyHeaders (RFC 8504 §5.3 lets a
  // node limit the chain; 8 covers every legitimate combination of RFC 8200 §4.1).
  static constexpr std::size_t kMaxExtHeaders = 8;
  // Most non-padding options listed over all Hop-by-Hop/Destination Options headers (RFC 8504
  // §5.3; Linux's default limit is 8 per header). More → kBadOption.
  static constexpr std::size_t kMaxOptions = 16;

  std::uint8_t traffic_class = 0;       // DSCP and ECN
  std::uint32_t flow_label = 0;         // 20 bits
  std::uint16_t payload_len = 0;        // Payload Length: everything after the fixed header
  IpProto next_header = IpProto::kUdp;  // of the fixed header
  std::uint8_t hop_limit = 64;
  Ipv6Addr src;
  Ipv6Addr dst;
  // Everything after the fixed header, trimmed to payload_len: a view into the parsed buffer
  // (empty on a Repr built for emit).
  Bytes payload;

  // --- Extension-header walk (filled by parse()) ---
  // The final protocol and where its header starts (from the start of the packet). After a
  // Fragment header this is the fragment's Next Header and the fragment data.
  IpProto upper_proto = IpProto::kUdp;
  std::uint16_t upper_offset = kHeaderLen;
  // Offset of the Next Header byte naming upper_proto (6 when there are no extension headers).
  std::uint16_t upper_proto_pointer = 6;
  // Bytes from upper_offset to the end of the payload.
  Bytes upper_payload;
  std::optional<Ipv6FragHeader> frag;      // when a Fragment header was walked
  std::optional<Ipv6RoutingInfo> routing;  // when a Routing header was walked
  // Set when the walk stopped at a Hop-by-Hop header that was not first (RFC 8200 §4.1), or
  // at a Next Header value that is neither an extension header we walk nor one of the
  // upper-layer protocols in IpProto (TCP, UDP, ICMPv6, ICMP, No Next Header). The IP layer
  // sends Parameter Problem code 1 with `pointer` unless it handles the protocol.
  std::optional<Ipv6UnknownHeader> unknown_header;

  // Rejects: kTruncated (buffer shorter than 40 bytes or than Payload Length says; an
  // extension header running past the payload); kBadVersion (version != 6); kBadOption (an
  // option TLV running past its header, more than 7 bytes of consecutive padding, more than
  // kMaxOptions options); kTooManyHeaders (chain longer than kMaxExtHeaders); kUnsupported
  // (Payload Length 0 with a Jumbo Payload option, RFC 2675). Never kUnknownHeader: unknown
  // headers are reported in `unknown_header`.
  static Result<Ipv6Repr> parse(Bytes packet);

  std::span<const Ipv6ExtHeader> ext_headers() const {
    return std::span<const Ipv6ExtHeader>(ext_headers_).first(ext_count_);
  }
  // Non-padding options of every Hop-by-Hop / Destination Options header, in packet order.
  std::span<const Ipv6Option> options() const {
    return std::span<const Ipv6Option>(options_).first(option_count_);
  }

  std::size_t header_len() const { return kHeaderLen; }  // the fixed header only
  std::size_t total_len() const { return kHeaderLen + payload_len; }
  std::uint8_t dscp() const { return traffic_class >> 2; }
  std::uint8_t ecn() const { return traffic_class & 0x3; }

  // Writes the 40-byte fixed header into out[0, 40); the caller writes payload_len bytes after
  // it (extension headers included). IPv6 has no header checksum.
  void emit(MutBytes out) const;

  // tcpdump-like: "fd00::1 > fd00::2: ICMPv6, hlim 64, flow 0x12345, length 64 [frag ...]".
  std::string to_string() const;
  // Every field, one per line, then the extension headers and options.
  std::string to_verbose_string() const;

  // Equality of the fixed header fields, the walk results and the payload contents.
  bool operator==(const Ipv6Repr& o) const;

 private:
  std::uint8_t ext_count_ = 0;
  std::array<Ipv6ExtHeader, kMaxExtHeaders> ext_headers_{};
  std::uint8_t option_count_ = 0;
  std::array<Ipv6Option, kMaxOptions> options_{};
};

}  // namespace ustack
