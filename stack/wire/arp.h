// ARP for Ethernet and IPv4 (RFC 826), the only combination ustack resolves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"

namespace ustack {

enum class ArpOp : std::uint16_t { kRequest = 1, kReply = 2 };

struct ArpRepr {
  static constexpr std::size_t kLen = 28;  // Ethernet/IPv4 packet, without link padding
  static constexpr std::uint16_t kHtypeEthernet = 1;

  ArpOp op = ArpOp::kRequest;
  MacAddr sha;   // sender hardware address
  Ipv4Addr spa;  // sender protocol address
  MacAddr tha;   // target hardware address (zero in a request)
  Ipv4Addr tpa;  // target protocol address

  // Rejects: kTruncated (< 28 bytes); kBadVersion (hardware type not Ethernet (1) or protocol
  // type not IPv4 (0x0800)); kBadLength (hlen != 6 or plen != 4); kBadType (op not request or
  // reply — RARP and InARP are not ours). Trailing bytes (Ethernet padding) are ignored.
  static Result<ArpRepr> parse(Bytes packet);

  // Who-has `tpa`? tell `spa` (RFC 826 "Packet Generation").
  static ArpRepr request(const MacAddr& sha, Ipv4Addr spa, Ipv4Addr tpa);
  // The answer to `req` from the owner of req.tpa, whose hardware address is `our_mac`.
  static ArpRepr reply_to(const ArpRepr& req, const MacAddr& our_mac);

  // A gratuitous ARP announces the sender's own binding (RFC 5227 §3: spa == tpa).
  bool is_gratuitous() const { return spa == tpa; }

  std::size_t buffer_len() const { return kLen; }
  // out.size() >= kLen.
  void emit(MutBytes out) const;

  // "ARP, Request who-has 198.18.0.1 tell 198.18.0.2, length 28" / "ARP, Reply 198.18.0.1
  // is-at 02:..., length 28". `length` is what follows the link header: tcpdump prints the
  // frame's (46 on Ethernet, padding included), so the printer passes it.
  std::string to_string(std::size_t length = kLen) const;
  std::string to_verbose_string() const;

  auto operator<=>(const ArpRepr&) const = default;
};

}  // namespace ustack
