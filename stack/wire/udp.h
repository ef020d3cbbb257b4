// UDP header: parse, emit, print (RFC 768; RFC 8200 §8.1 for IPv6).
//
// The checksum covers a pseudo header built from the enclosing IP packet's addresses, so
// parse() and emit() take them. IPv4 may send checksum 0 ("none", RFC 768); over IPv6 a zero
// checksum is invalid (RFC 8200 §8.1) and is rejected even when checksums are not verified,
// because it is a format error and not a corrupted sum. A computed checksum of 0 goes on the
// wire as 0xffff (RFC 768).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/wire/common.h"

namespace ustack {

struct UdpRepr {
  static constexpr std::size_t kHeaderLen = 8;

  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint16_t length = 0;    // as parsed (header + payload); emit() writes 8 + payload size
  std::uint16_t checksum = 0;  // as parsed (informational; emit() computes it)
  // The datagram payload, trimmed to the UDP length: a view into the parsed buffer.
  Bytes payload;

  // Parses `datagram` (exactly the IP payload). `src`/`dst` are the IP addresses for the
  // pseudo header and select the IPv4 or IPv6 rules. Rejects: kTruncated (fewer than 8
  // bytes); kBadLength (UDP length < 8 or larger than the datagram); kBadChecksum (sum does
  // not verify with kVerify; zero checksum over IPv6 always). A UDP length shorter than the
  // datagram is accepted and the payload trimmed to it, as Linux does (udp_rcv, pskb_trim).
  static Result<UdpRepr> parse(Bytes datagram, const IpAddr& src, const IpAddr& dst,
                               ChecksumCheck check = ChecksumCheck::kVerify);

  std::size_t header_len() const { return kHeaderLen; }
  std::size_t buffer_len(std::size_t payload_len) const { return kHeaderLen + payload_len; }

  // Writes the header and `payload` into out[0, 8 + payload.size()) (the copy is skipped when
  // `payload` already sits at out[8]) and fills the checksum: kCompute computes it over the
  // pseudo header of src/dst; kOffload stores the folded pseudo-header sum for the device to
  // finish (Linux CHECKSUM_PARTIAL, csum_start = UDP header, csum_offset = 6).
  // `payload.size()` must be <= 65527. The length/checksum fields of *this are not used.
  void emit(MutBytes out, Bytes payload, const IpAddr& src, const IpAddr& dst,
            ChecksumMode mode = ChecksumMode::kCompute) const;

  // tcpdump-like: "UDP 5353 > 53, length 32" (length = payload bytes).
  std::string to_string() const;
  // Every field, one per line ("src port: ...", "dst port: ...", "length: ...", "checksum:").
  std::string to_verbose_string() const;

  // Ports and payload contents (ignores length and checksum as parsed).
  bool operator==(const UdpRepr& o) const;
};

}  // namespace ustack
