// TCP header and options: parse, emit, print (RFC 9293 §3.1, RFC 7323, RFC 2018).
//
// TcpRepr is the value form of one segment. parse() checks the header length and (with the
// pseudo header of the enclosing IP packet) the checksum, and reads the options the way Linux's
// tcp_parse_options does: a malformed option is dropped (TcpOptions::malformed), not the
// segment. The payload stays a span
// into the caller's buffer. Options are kept both as typed fields (what TCP uses) and in wire
// order (`option_order`), so a segment captured from a kernel re-emits byte for byte and prints
// like tcpdump ("options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]"). A TcpRepr built by
// code leaves option_order empty and emit() lays the options out the way Linux does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/base/seqnum.h"
#include "stack/wire/common.h"

namespace ustack {

// TCP flag bits (RFC 9293 §3.1, RFC 3168 §6.1 for ECE/CWR).
namespace tcp_flags {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
inline constexpr std::uint8_t kUrg = 0x20;
inline constexpr std::uint8_t kEce = 0x40;
inline constexpr std::uint8_t kCwr = 0x80;
}  // namespace tcp_flags

// Option kinds (IANA "TCP Option Kind Numbers").
enum class TcpOptionKind : std::uint8_t {
  kEol = 0,
  kNop = 1,
  kMss = 2,
  kWindowScale = 3,
  kSackPermitted = 4,
  kSack = 5,
  kTimestamps = 8,
};

struct TcpSackBlock {
  SeqNum left;   // first sequence number of the block
  SeqNum right;  // one past the last
  bool operator==(const TcpSackBlock&) const = default;
};

struct TcpTimestamps {
  std::uint32_t val = 0;  // TSval
  std::uint32_t ecr = 0;  // TSecr
  bool operator==(const TcpTimestamps&) const = default;
};

struct TcpOptions {
  static constexpr std::size_t kMaxLen = 40;  // 60-byte header minus the fixed 20
  static constexpr std::size_t kMaxSackBlocks = 4;

  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> window_scale;  // shift count as sent (RFC 7323 §2.3 caps use at 14)
  bool sack_permitted = false;
  std::optional<TcpTimestamps> timestamps;
  std::uint8_t sack_count = 0;
  std::array<TcpSackBlock, kMaxSackBlocks> sack{};
  // Options we do not interpret (MD5, TFO, MPTCP, experimental ...), kept as raw TLVs in wire
  // order so they are re-emitted unchanged.
  std::uint8_t unknown_len = 0;
  std::array<std::uint8_t, kMaxLen> unknown{};
  // The option kinds in the order they appeared (NOP and EOL included); empty = canonical
  // Linux layout on emit. Unknown kinds refer to the next TLV in `unknown`.
  std::uint8_t order_len = 0;
  std::array<std::uint8_t, kMaxLen> order{};
  // parse() met a malformed option (Linux tcp_parse_options): a broken length (missing, < 2
  // or past the header) ended the list there; a known kind with the wrong length (or a second
  // SACK) was skipped. Either way the option is not kept, the segment still parses, and TCP
  // counts it. Not compared by same_values, never emitted.
  bool malformed = false;

  // Appends an unknown option TLV (kind, data). Returns false if it does not fit.
  bool add_unknown(std::uint8_t kind, Bytes data);
  void add_sack(TcpSackBlock b) {
    if (sack_count < kMaxSackBlocks) sack[sack_count++] = b;
  }
  // Bytes the options occupy on the wire, padded to a multiple of 4.
  std::size_t wire_len() const;
  // Typed equality (ignores wire order and padding).
  bool same_values(const TcpOptions& o) const;
};

struct TcpRepr {
  static constexpr std::size_t kMinHeaderLen = 20;
  static constexpr std::size_t kMaxHeaderLen = 60;

  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  SeqNum seq;
  SeqNum ack;  // meaningful only with tcp_flags::kAck; emitted as is otherwise
  std::uint8_t flags = 0;
  std::uint8_t reserved = 0;  // the 4 reserved bits (incl. the historic NS bit), for printing
  std::uint16_t window = 0;   // as on the wire (unscaled)
  std::uint16_t urgent = 0;
  std::uint16_t checksum = 0;  // as parsed (informational; emit() computes it)
  TcpOptions options;
  Bytes payload;  // a view into the parsed buffer, or the data emit() copies

  // Parses `segment` (TCP header + payload, exactly the IP payload). `src`/`dst` are the IP
  // addresses for the pseudo header (RFC 9293 §3.1).
  static Result<TcpRepr> parse(Bytes segment, const IpAddr& src, const IpAddr& dst,
                               ChecksumCheck check = ChecksumCheck::kVerify);

  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
  std::size_t header_len() const { return kMinHeaderLen + options.wire_len(); }
  std::size_t buffer_len() const { return header_len() + payload.size(); }
  // Sequence space the segment occupies: payload plus one for SYN and one for FIN.
  std::uint32_t seg_len() const {
    return static_cast<std::uint32_t>(payload.size()) + (has(tcp_flags::kSyn) ? 1 : 0) +
           (has(tcp_flags::kFin) ? 1 : 0);
  }

  // Writes header, options and payload into out[0, buffer_len()) and fills the checksum.
  void emit(MutBytes out, const IpAddr& src, const IpAddr& dst, ChecksumMode mode) const;
  // Writes only the header and options into out[0, header_len()); the caller places
  // `payload_len` bytes after it and then calls fill_checksum on the whole segment.
  void emit_header(MutBytes out) const;
  // Computes (kCompute) or prepares for the device (kOffload: pseudo-header sum, like Linux's
  // CHECKSUM_PARTIAL) the checksum of a complete segment in place.
  static void fill_checksum(MutBytes segment, const IpAddr& src, const IpAddr& dst,
                            ChecksumMode mode);

  // tcpdump-like: "Flags [S.], seq 1, ack 2, win 64240, options [mss 1460,...], length 0".
  std::string to_string() const;
  // Every field: ports, header length, reserved bits, checksum, urgent pointer, options.
  std::string to_verbose_string() const;

  // Field and payload-content equality (ignores checksum and option wire order).
  bool operator==(const TcpRepr& o) const;
};

// "S.", "P.", "F." ... in tcpdump's order, "none" for no flags.
std::string tcp_flags_string(std::uint8_t flags);

}  // namespace ustack
