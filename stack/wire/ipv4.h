// IPv4 header: parse, emit, print (RFC 791 §3.1, RFC 2474/3168 for the TOS byte).
//
// Ipv4Repr is the value form of one header. parse() checks version, IHL, total length, the
// options' TLV structure and (unless told to skip it) the header checksum; the payload is a
// span into the caller's buffer, trimmed to the total length so link-layer padding is ignored.
// Options are kept as raw bytes (re-emitted unchanged, so a kernel packet round-trips byte for
// byte) and as a list of (type, offset, length) for the IP layer to act on.
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

// Option types (IANA "IP Option Numbers"; the copied flag is the top bit, RFC 791 §3.1).
enum class Ipv4OptionType : std::uint8_t {
  kEol = 0,                  // End of Option List
  kNop = 1,                  // No Operation
  kRecordRoute = 7,          // RR
  kTimestamp = 68,           // TS (RFC 791, RFC 781)
  kSecurity = 130,           // RFC 1108
  kLooseSourceRoute = 131,   // LSRR
  kStreamId = 136,           // obsolete
  kStrictSourceRoute = 137,  // SSRR
  kRouterAlert = 148,        // RFC 2113
};

// One option as found in the header. `offset` counts from the start of the IPv4 header, so it
// is directly the pointer of an ICMP Parameter Problem (RFC 792).
struct Ipv4Option {
  std::uint8_t type = 0;
  std::uint8_t offset = 0;  // of the type byte, from the start of the IPv4 header
  std::uint8_t len = 1;     // whole option including type (and length) byte; 1 for EOL/NOP

  // RFC 791 §3.1: the "copied" flag says whether fragments carry this option.
  bool copied() const { return (type & 0x80) != 0; }
  bool operator==(const Ipv4Option&) const = default;
};

struct Ipv4Repr {
  static constexpr std::size_t kMinHeaderLen = 20;
  static constexpr std::size_t kMaxHeaderLen = 60;
  static constexpr std::size_t kMaxOptionsLen = 40;
  static constexpr std::size_t kMaxTotalLen = 65535;

  std::uint8_t tos = 0;  // DSCP (6 bits) and ECN (2 bits), RFC 2474 / RFC 3168
  std::uint16_t ident = 0;
  bool reserved_flag = false;     // must be zero (RFC 791); kept so it prints and round-trips
  bool dont_frag = false;         // DF
  bool more_frags = false;        // MF
  std::uint16_t frag_offset = 0;  // in units of 8 octets, as on the wire (13 bits)
  std::uint8_t ttl = 64;
  IpProto protocol = IpProto::kUdp;  // any value, not only the ones named in IpProto
  std::uint16_t checksum = 0;        // as parsed (informational; emit() computes it)
  Ipv4Addr src;
  Ipv4Addr dst;
  // Length of what follows the header (total length - header length). On parse, equals
  // payload.size(); for emit, the caller sets it.
  std::size_t payload_len = 0;
  // The datagram's payload: a view into the parsed buffer (empty on a Repr built for emit).
  Bytes payload;

  // Rejects: kTruncated (buffer shorter than 20 bytes, than the header, or than the total
  // length says); kBadVersion (version != 4); kBadHeaderLength (IHL < 5); kBadLength (total
  // length < header length); kBadOption (option length < 2 or running past the header, or a
  // malformed RR/LSRR/SSRR/TS pointer); kBadChecksum (with ChecksumCheck::kVerify).
  static Result<Ipv4Repr> parse(Bytes packet, ChecksumCheck check = ChecksumCheck::kVerify);
  // For a packet parse() rejected with kBadOption: the offset (from the start of the header)
  // of the octet at fault, the pointer of an ICMP Parameter Problem (RFC 792; RFC 1122
  // §3.2.2.5). Points at the option type when its length octet is missing, at the length
  // octet when the length is wrong, at the pointer octet of RR/LSRR/SSRR/TS when that is.
  // nullopt if the options are well formed or the header is not there.
  static std::optional<std::uint8_t> bad_option_pointer(Bytes packet);

  // The raw option bytes (including EOL and padding), a multiple of 4 long.
  Bytes options() const { return Bytes(options_buf_).first(options_len_); }
  // The options found (EOL ends the list; padding after it is not listed).
  std::span<const Ipv4Option> option_list() const {
    return std::span<const Ipv4Option>(option_list_).first(option_count_);
  }
  // Replaces the options with `raw` (padded with EOL to a multiple of 4). Rejects with
  // kBadLength if longer than 40 bytes and kBadOption if malformed (as parse() would).
  Result<bool> set_options(Bytes raw);

  std::size_t header_len() const { return kMinHeaderLen + options_len_; }
  std::size_t total_len() const { return header_len() + payload_len; }
  bool is_fragment() const { return more_frags || frag_offset != 0; }
  std::size_t frag_offset_bytes() const { return std::size_t{frag_offset} * 8; }
  // `bytes` must be a multiple of 8 and below 65536 (RFC 791: fragment offset unit).
  void set_frag_offset_bytes(std::size_t bytes) {
    frag_offset = static_cast<std::uint16_t>(bytes / 8);
  }
  std::uint8_t dscp() const { return tos >> 2; }
  std::uint8_t ecn() const { return tos & 0x3; }

  // Writes the header (with options) into out[0, header_len()); the caller writes payload_len
  // payload bytes after it. kCompute fills the header checksum; kOffload leaves it zero for the
  // device. out.size() >= header_len(); total_len() must be <= 65535.
  void emit(MutBytes out, ChecksumMode mode = ChecksumMode::kCompute) const;

  // tcpdump-like: "198.18.0.1 > 198.18.0.2: ICMP, ttl 64, id 4660, flags [DF], length 84".
  std::string to_string() const;
  // Every field, one per line ("version: 4", "ihl: 5 (20 bytes)", "tos: 0x00 ...", ...).
  std::string to_verbose_string() const;

  // Field equality including the raw options (ignores checksum and the payload's address;
  // compares payload contents).
  bool operator==(const Ipv4Repr& o) const;

 private:
  std::uint8_t options_len_ = 0;
  std::array<std::uint8_t, kMaxOptionsLen> options_buf_{};
  std::uint8_t option_count_ = 0;
  std::array<Ipv4Option, kMaxOptionsLen> option_list_{};
};

// "ICMP", "TCP", "UDP", "ICMPv6", ... or "proto 132" (shared with ipv6 and the printers).
std::string ip_proto_name(IpProto p);

}  // namespace ustack
