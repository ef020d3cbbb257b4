// Neighbor Discovery for IPv6 (RFC 4861): router/neighbour solicitation and advertisement,
// redirect, and their options (RFC 4861 §4.6; RDNSS from RFC 8106 §5.1).
//
// An NDP message is an ICMPv6 message, so the usual path is Icmpv6Repr::parse (checksum),
// then `if (icmp.is_ndp()) NdpRepr::parse(icmp, src, dst)`. NdpRepr::emit writes the whole
// ICMPv6 message including the checksum.
//
// Hop limit 255 (RFC 4861 §6.1, §7.1, §8.1) is a property of the IPv6 header: the caller
// checks it. Everything else those sections require that the message itself shows is checked
// here: code 0, minimum lengths, option lengths, target not multicast, and the address rules
// that tie the message to the IPv6 source and destination.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/wire/common.h"
#include "stack/wire/icmpv6.h"

namespace ustack {

enum class NdpOptionType : std::uint8_t {
  kSourceLinkAddr = 1,
  kTargetLinkAddr = 2,
  kPrefixInfo = 3,
  kRedirectedHeader = 4,
  kMtu = 5,
  kRdnss = 25,  // RFC 8106
};

// RFC 4861 §4.6.2.
struct NdpPrefixInfo {
  std::uint8_t prefix_len = 0;
  bool on_link = false;                    // L flag
  bool autonomous = false;                 // A flag (SLAAC)
  std::uint32_t valid_lifetime_s = 0;      // 0xffffffff = infinity
  std::uint32_t preferred_lifetime_s = 0;  // 0xffffffff = infinity
  Ipv6Addr prefix;
  auto operator<=>(const NdpPrefixInfo&) const = default;
};

// RFC 8106 §5.1 recursive DNS server option.
struct NdpRdnss {
  std::uint32_t lifetime_s = 0;
  Bytes addrs;  // n * 16 bytes, a view into the message (or the caller's data when emitting)
  std::size_t count() const { return addrs.size() / 16; }
  Ipv6Addr addr(std::size_t i) const { return Ipv6Addr::from_bytes(addrs.subspan(16 * i, 16)); }
};

// The options ustack understands, plus the raw option area. Parsing keeps the first option of
// each kind (and up to kMaxPrefixes prefixes); unknown options are skipped (RFC 4861 §4.6:
// "Receivers MUST silently ignore any options they do not recognize") and counted, and stay
// visible in `raw`. Emitting writes the typed options only, in the order they are listed here.
struct NdpOptions {
  static constexpr std::size_t kMaxPrefixes = 8;

  std::optional<MacAddr> source_link_addr;
  std::optional<MacAddr> target_link_addr;
  std::optional<std::uint32_t> mtu;
  std::array<NdpPrefixInfo, kMaxPrefixes> prefixes{};
  std::uint8_t prefix_count = 0;
  bool prefixes_truncated = false;  // the message had more than kMaxPrefixes
  std::optional<NdpRdnss> rdnss;
  // Redirected header option (§4.6.3): the start of the redirected packet, as received
  // (with its padding); at most 2032 bytes when emitting (RFC 4861 §4.6.3 cuts it at 1280).
  std::optional<Bytes> redirected_header;
  std::uint8_t unknown_count = 0;  // options skipped because their type is unknown (saturates)
  Bytes raw;                       // the whole option area as received

  // Rejects kBadOption: an option with length 0 (§4.6: the packet MUST be discarded), one that
  // runs past the end, a link-layer address option whose length is not 1 (8 bytes: Ethernet),
  // a prefix option whose length is not 4 or prefix length > 128, an MTU option whose length is
  // not 1, an RDNSS option shorter than 3 or of even length, a redirected header shorter than 1.
  static Result<NdpOptions> parse(Bytes area);

  bool add_prefix(const NdpPrefixInfo& p);  // false when full
  std::size_t buffer_len() const;
  void emit(MutBytes out) const;               // out.size() >= buffer_len()
  bool operator==(const NdpOptions& o) const;  // compares typed options, not raw/unknown_count
};

struct NdpRepr {
  Icmpv6Type type = Icmpv6Type::kNeighborSolicit;

  // Router advertisement (§4.2).
  std::uint8_t cur_hop_limit = 0;  // 0 = unspecified
  bool managed = false;            // M flag
  bool other_config = false;       // O flag
  // RFC 4191 §2.2 default router preference (Prf): 0 medium, 1 high, 3 low (2 is reserved and
  // treated as medium by receivers).
  std::uint8_t router_preference = 0;
  std::uint16_t router_lifetime_s = 0;  // 0 = not a default router
  std::uint32_t reachable_time_ms = 0;  // 0 = unspecified
  std::uint32_t retrans_timer_ms = 0;   // 0 = unspecified

  // Neighbour advertisement flags (§4.4).
  bool router = false;     // R
  bool solicited = false;  // S
  bool override_ = false;  // O

  // NS/NA: the target address. Redirect: the better first hop.
  Ipv6Addr target;
  // Redirect (§4.5): the destination being redirected.
  Ipv6Addr redirect_dst;

  NdpOptions options;

  // Interprets an ICMPv6 message of an NDP type (is_ndp()) sent from `src` to `dst`.
  // Rejects: kBadType (not an NDP type, or code != 0); kTruncated (shorter than the message's
  // fixed part: RS 8, RA 16, NS/NA 24, redirect 40); kBadOption (see NdpOptions::parse);
  // kBadAddress for the address rules of RFC 4861: NS/NA target multicast (§7.1.1, §7.1.2),
  // NS from :: not to a solicited-node address or with a source link-layer option (§7.1.1),
  // RS from :: with a source link-layer option (§6.1.1), RA or redirect from a non-link-local
  // source (§6.1.2, §8.1), redirect destination multicast or target neither link-local nor the
  // destination (§8.1); kBadValue for an NA to a multicast address with S set (§7.1.2).
  static Result<NdpRepr> parse(const Icmpv6Repr& icmp, const Ipv6Addr& src, const Ipv6Addr& dst);
  // Icmpv6Repr::parse and then the above.
  static Result<NdpRepr> parse(Bytes message, const Ipv6Addr& src, const Ipv6Addr& dst,
                               ChecksumCheck check = ChecksumCheck::kVerify);

  static NdpRepr router_solicit(std::optional<MacAddr> source_link_addr);
  // A neighbour solicitation for `target`; pass no link address for DAD (§7.2.2: from ::).
  static NdpRepr neighbor_solicit(const Ipv6Addr& target, std::optional<MacAddr> source_link_addr);
  static NdpRepr neighbor_advert(const Ipv6Addr& target, const MacAddr& target_link_addr,
                                 bool router, bool solicited, bool override_);

  std::size_t header_len() const;  // ICMPv6 header + fixed body, without options
  std::size_t buffer_len() const { return header_len() + options.buffer_len(); }
  // Writes the whole ICMPv6 message and its checksum (pseudo header from src/dst). The spans
  // in `options` (RDNSS addresses, redirected header) must not overlap `out`.
  void emit(MutBytes out, const Ipv6Addr& src, const Ipv6Addr& dst,
            ChecksumMode mode = ChecksumMode::kCompute) const;

  // "ICMP6, neighbor solicitation, who has fd00::1, length 32" (tcpdump's wording).
  std::string to_string() const;
  std::string to_verbose_string() const;

  bool operator==(const NdpRepr& o) const;
};

}  // namespace ustack
