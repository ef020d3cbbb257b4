#include "stack/wire/ndp.h"

#include <algorithm>
#include <cstring>

namespace ustack {
namespace {

// Fixed part of each message after the 8-byte ICMPv6 header (RFC 4861 §4.1-§4.5).
constexpr std::size_t kRaBodyLen = 8;         // reachable time, retrans timer
constexpr std::size_t kNsNaBodyLen = 16;      // target address
constexpr std::size_t kRedirectBodyLen = 32;  // target, destination

constexpr std::uint8_t kRaManaged = 0x80;
constexpr std::uint8_t kRaOther = 0x40;
constexpr int kRaPrfShift = 3;  // RFC 4191 §2.2: Prf is bits 3-4 of the flags byte
constexpr std::uint32_t kNaRouter = 0x80000000;
constexpr std::uint32_t kNaSolicited = 0x40000000;
constexpr std::uint32_t kNaOverride = 0x20000000;
constexpr std::uint8_t kPrefixOnLink = 0x80;
constexpr std::uint8_t kPrefixAutonomous = 0x40;

bool bytes_equal(Bytes a, Bytes b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

// ff02::1:ff00:0/104 (RFC 4291 §2.7.1).
bool is_solicited_node(const Ipv6Addr& a) {
  static constexpr std::uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  return std::equal(std::begin(kPrefix), std::end(kPrefix), a.bytes().begin());
}

std::size_t redirected_option_len(Bytes data) {
  return 8 + (data.size() + 7) / 8 * 8;  // 6 reserved bytes + 2 type/len, padded (§4.6.3)
}

std::string lifetime(std::uint32_t s) {
  return s == 0xffffffff ? "infinity" : std::to_string(s) + "s";
}

}  // namespace

Result<NdpOptions> NdpOptions::parse(Bytes area) {
  NdpOptions o;
  o.raw = area;
  std::size_t off = 0;
  while (off < area.size()) {
    if (area.size() - off < 2) return Err(ParseError::kBadOption);
    const std::uint8_t type = area[off];
    const std::size_t len = std::size_t{area[off + 1]} * 8;
    // RFC 4861 §4.6: "Nodes MUST silently discard an ND packet that contains an option with
    // length zero."
    if (len == 0 || len > area.size() - off) return Err(ParseError::kBadOption);
    const Bytes opt = area.subspan(off, len);
    off += len;
    switch (static_cast<NdpOptionType>(type)) {
      case NdpOptionType::kSourceLinkAddr:
      case NdpOptionType::kTargetLinkAddr: {
        // §4.6.1: for Ethernet the option is 8 bytes (RFC 2464 §8).
        if (len != 8) return Err(ParseError::kBadOption);
        auto& slot = type == 1 ? o.source_link_addr : o.target_link_addr;
        if (!slot) slot = MacAddr::from_bytes(opt.subspan(2, 6));
        break;
      }
      case NdpOptionType::kPrefixInfo: {
        if (len != 32 || opt[2] > 128) return Err(ParseError::kBadOption);
        NdpPrefixInfo p;
        p.prefix_len = opt[2];
        p.on_link = opt[3] & kPrefixOnLink;
        p.autonomous = opt[3] & kPrefixAutonomous;
        p.valid_lifetime_s = load_be32(opt, 4);
        p.preferred_lifetime_s = load_be32(opt, 8);
        p.prefix = Ipv6Addr::from_bytes(opt.subspan(16, 16));
        if (!o.add_prefix(p)) o.prefixes_truncated = true;
        break;
      }
      case NdpOptionType::kRedirectedHeader:
        if (!o.redirected_header) o.redirected_header = opt.subspan(8);
        break;
      case NdpOptionType::kMtu:
        if (len != 8) return Err(ParseError::kBadOption);
        if (!o.mtu) o.mtu = load_be32(opt, 4);
        break;
      case NdpOptionType::kRdnss:
        // RFC 8106 §5.1: length 3 + 2n, at least one address.
        if (len < 24 || (len / 8) % 2 == 0) return Err(ParseError::kBadOption);
        if (!o.rdnss) o.rdnss = NdpRdnss{load_be32(opt, 4), opt.subspan(8)};
        break;
      default:
        if (o.unknown_count < 255) ++o.unknown_count;
        break;
    }
  }
  return o;
}

bool NdpOptions::add_prefix(const NdpPrefixInfo& p) {
  if (prefix_count == kMaxPrefixes) return false;
  prefixes[prefix_count++] = p;
  return true;
}

std::size_t NdpOptions::buffer_len() const {
  std::size_t n = 0;
  if (source_link_addr) n += 8;
  if (target_link_addr) n += 8;
  n += 32 * std::size_t{prefix_count};
  if (mtu) n += 8;
  if (rdnss) n += 8 + rdnss->count() * 16;
  if (redirected_header) n += redirected_option_len(*redirected_header);
  return n;
}

void NdpOptions::emit(MutBytes out) const {
  std::size_t off = 0;
  auto begin = [&](NdpOptionType type, std::size_t len) {
    MutBytes opt = out.subspan(off, len);
    std::fill(opt.begin(), opt.end(), 0);
    opt[0] = static_cast<std::uint8_t>(type);
    opt[1] = static_cast<std::uint8_t>(len / 8);
    off += len;
    return opt;
  };
  if (source_link_addr) {
    std::memcpy(begin(NdpOptionType::kSourceLinkAddr, 8).data() + 2,
                source_link_addr->bytes().data(), 6);
  }
  if (target_link_addr) {
    std::memcpy(begin(NdpOptionType::kTargetLinkAddr, 8).data() + 2,
                target_link_addr->bytes().data(), 6);
  }
  if (mtu) store_be32(begin(NdpOptionType::kMtu, 8), 4, *mtu);
  for (std::size_t i = 0; i < prefix_count; ++i) {
    const NdpPrefixInfo& p = prefixes[i];
    MutBytes opt = begin(NdpOptionType::kPrefixInfo, 32);
    opt[2] = p.prefix_len;
    opt[3] = (p.on_link ? kPrefixOnLink : 0) | (p.autonomous ? kPrefixAutonomous : 0);
    store_be32(opt, 4, p.valid_lifetime_s);
    store_be32(opt, 8, p.preferred_lifetime_s);
    std::memcpy(opt.data() + 16, p.prefix.bytes().data(), 16);
  }
  if (rdnss) {
    const std::size_t n = rdnss->count() * 16;
    MutBytes opt = begin(NdpOptionType::kRdnss, 8 + n);
    store_be32(opt, 4, rdnss->lifetime_s);
    std::memmove(opt.data() + 8, rdnss->addrs.data(), n);
  }
  if (redirected_header) {
    MutBytes opt =
        begin(NdpOptionType::kRedirectedHeader, redirected_option_len(*redirected_header));
    std::memmove(opt.data() + 8, redirected_header->data(), redirected_header->size());
  }
}

bool NdpOptions::operator==(const NdpOptions& o) const {
  if (source_link_addr != o.source_link_addr || target_link_addr != o.target_link_addr ||
      prefix_count != o.prefix_count || mtu != o.mtu || rdnss.has_value() != o.rdnss.has_value() ||
      redirected_header.has_value() != o.redirected_header.has_value()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix_count; ++i) {
    if (prefixes[i] != o.prefixes[i]) return false;
  }
  if (rdnss && (rdnss->lifetime_s != o.rdnss->lifetime_s ||
                !bytes_equal(rdnss->addrs.first(rdnss->count() * 16),
                             o.rdnss->addrs.first(o.rdnss->count() * 16)))) {
    return false;
  }
  return !redirected_header || bytes_equal(*redirected_header, *o.redirected_header);
}

Result<NdpRepr> NdpRepr::parse(const Icmpv6Repr& icmp, const Ipv6Addr& src, const Ipv6Addr& dst) {
  if (!icmp.is_ndp()) return Err(ParseError::kBadType);
  // §6.1.1, §6.1.2, §7.1.1, §7.1.2, §8.1: "ICMP Code is 0".
  if (icmp.code != 0) return Err(ParseError::kBadType);
  NdpRepr r;
  r.type = icmp.type;
  const Bytes body = icmp.data;
  const std::uint32_t word = icmp.rest_of_header;
  Bytes option_area;
  switch (icmp.type) {
    case Icmpv6Type::kRouterSolicit:
      option_area = body;
      break;
    case Icmpv6Type::kRouterAdvert:
      if (body.size() < kRaBodyLen) return Err(ParseError::kTruncated);
      // §6.1.2: "IP Source Address is a link-local address."
      if (!src.is_link_local()) return Err(ParseError::kBadAddress);
      r.cur_hop_limit = static_cast<std::uint8_t>(word >> 24);
      r.managed = (word >> 16) & kRaManaged;
      r.other_config = (word >> 16) & kRaOther;
      r.router_preference = (word >> (16 + kRaPrfShift)) & 0x3;
      r.router_lifetime_s = static_cast<std::uint16_t>(word);
      r.reachable_time_ms = load_be32(body, 0);
      r.retrans_timer_ms = load_be32(body, 4);
      option_area = body.subspan(kRaBodyLen);
      break;
    case Icmpv6Type::kNeighborSolicit:
    case Icmpv6Type::kNeighborAdvert:
      if (body.size() < kNsNaBodyLen) return Err(ParseError::kTruncated);
      r.target = Ipv6Addr::from_bytes(body.first(16));
      // §7.1.1, §7.1.2: "Target Address is not a multicast address."
      if (r.target.is_multicast()) return Err(ParseError::kBadAddress);
      if (icmp.type == Icmpv6Type::kNeighborAdvert) {
        r.router = word & kNaRouter;
        r.solicited = word & kNaSolicited;
        r.override_ = word & kNaOverride;
        // §7.1.2: "If the IP Destination Address is a multicast address the Solicited flag
        // is zero."
        if (dst.is_multicast() && r.solicited) return Err(ParseError::kBadValue);
      } else if (src.is_unspecified() && !is_solicited_node(dst)) {
        // §7.1.1: from the unspecified address (DAD) only to a solicited-node address.
        return Err(ParseError::kBadAddress);
      }
      option_area = body.subspan(kNsNaBodyLen);
      break;
    case Icmpv6Type::kRedirect:
      if (body.size() < kRedirectBodyLen) return Err(ParseError::kTruncated);
      r.target = Ipv6Addr::from_bytes(body.first(16));
      r.redirect_dst = Ipv6Addr::from_bytes(body.subspan(16, 16));
      // §8.1: source link-local, destination not multicast, target link-local or the
      // destination itself (the destination is a neighbour).
      if (!src.is_link_local() || r.redirect_dst.is_multicast() ||
          !(r.target.is_link_local() || r.target == r.redirect_dst)) {
        return Err(ParseError::kBadAddress);
      }
      option_area = body.subspan(kRedirectBodyLen);
      break;
    default:
      return Err(ParseError::kBadType);
  }
  auto options = NdpOptions::parse(option_area);
  if (!options.ok()) return Err(options.error());
  r.options = *options;
  // §6.1.1, §7.1.1: from the unspecified address there is no source link-layer address option.
  if ((r.type == Icmpv6Type::kRouterSolicit || r.type == Icmpv6Type::kNeighborSolicit) &&
      src.is_unspecified() && r.options.source_link_addr) {
    return Err(ParseError::kBadAddress);
  }
  return r;
}

Result<NdpRepr> NdpRepr::parse(Bytes message, const Ipv6Addr& src, const Ipv6Addr& dst,
                               ChecksumCheck check) {
  auto icmp = Icmpv6Repr::parse(message, src, dst, check);
  if (!icmp.ok()) return Err(icmp.error());
  return parse(*icmp, src, dst);
}

NdpRepr NdpRepr::router_solicit(std::optional<MacAddr> source_link_addr) {
  NdpRepr r;
  r.type = Icmpv6Type::kRouterSolicit;
  r.options.source_link_addr = source_link_addr;
  return r;
}

NdpRepr NdpRepr::neighbor_solicit(const Ipv6Addr& target, std::optional<MacAddr> source_link_addr) {
  NdpRepr r;
  r.type = Icmpv6Type::kNeighborSolicit;
  r.target = target;
  r.options.source_link_addr = source_link_addr;
  return r;
}

NdpRepr NdpRepr::neighbor_advert(const Ipv6Addr& target, const MacAddr& target_link_addr,
                                 bool router, bool solicited, bool override_) {
  NdpRepr r;
  r.type = Icmpv6Type::kNeighborAdvert;
  r.target = target;
  r.router = router;
  r.solicited = solicited;
  r.override_ = override_;
  r.options.target_link_addr = target_link_addr;
  return r;
}

std::size_t NdpRepr::header_len() const {
  switch (type) {
    case Icmpv6Type::kRouterAdvert:
      return Icmpv6Repr::kHeaderLen + kRaBodyLen;
    case Icmpv6Type::kNeighborSolicit:
    case Icmpv6Type::kNeighborAdvert:
      return Icmpv6Repr::kHeaderLen + kNsNaBodyLen;
    case Icmpv6Type::kRedirect:
      return Icmpv6Repr::kHeaderLen + kRedirectBodyLen;
    default:
      return Icmpv6Repr::kHeaderLen;
  }
}

void NdpRepr::emit(MutBytes out, const Ipv6Addr& src, const Ipv6Addr& dst,
                   ChecksumMode mode) const {
  const std::size_t hlen = header_len();
  MutBytes msg = out.first(buffer_len());
  std::fill(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(hlen), 0);
  options.emit(msg.subspan(hlen));
  std::uint32_t word = 0;
  MutBytes body = msg.subspan(Icmpv6Repr::kHeaderLen);
  switch (type) {
    case Icmpv6Type::kRouterAdvert:
      word = std::uint32_t{cur_hop_limit} << 24 |
             std::uint32_t((managed ? kRaManaged : 0) | (other_config ? kRaOther : 0) |
                           (router_preference & 0x3) << kRaPrfShift)
                 << 16 |
             router_lifetime_s;
      store_be32(body, 0, reachable_time_ms);
      store_be32(body, 4, retrans_timer_ms);
      break;
    case Icmpv6Type::kNeighborAdvert:
      word =
          (router ? kNaRouter : 0) | (solicited ? kNaSolicited : 0) | (override_ ? kNaOverride : 0);
      [[fallthrough]];
    case Icmpv6Type::kNeighborSolicit:
      std::memcpy(body.data(), target.bytes().data(), 16);
      break;
    case Icmpv6Type::kRedirect:
      std::memcpy(body.data(), target.bytes().data(), 16);
      std::memcpy(body.data() + 16, redirect_dst.bytes().data(), 16);
      break;
    default:
      break;
  }
  // The generic ICMPv6 emitter writes type, code, the second word and the checksum; the body
  // is already in place, so its copy is a no-op.
  Icmpv6Repr icmp;
  icmp.type = type;
  icmp.code = 0;
  icmp.rest_of_header = word;
  icmp.data = Bytes(msg.subspan(Icmpv6Repr::kHeaderLen));
  icmp.emit(msg, src, dst, mode);
}

std::string NdpRepr::to_string() const {
  std::string s = std::string("ICMP6, ") + ustack::to_string(type);
  switch (type) {
    case Icmpv6Type::kNeighborSolicit:
      s += ", who has " + target.to_string();
      break;
    case Icmpv6Type::kNeighborAdvert:
      s += ", tgt is " + target.to_string();
      if (router || solicited || override_) {
        s += std::string(", Flags [") + (router ? "router" : "") +
             (router && (solicited || override_) ? ", " : "") + (solicited ? "solicited" : "") +
             (solicited && override_ ? ", " : "") + (override_ ? "override" : "") + "]";
      }
      break;
    case Icmpv6Type::kRouterAdvert:
      s += ", hop limit " + std::to_string(cur_hop_limit) + ", Flags [" +
           (managed ? "managed" : "") + (managed && other_config ? ", " : "") +
           (other_config ? "other stateful" : "") + "], router lifetime " +
           std::to_string(router_lifetime_s) + "s";
      for (std::size_t i = 0; i < options.prefix_count; ++i) {
        s += ", prefix " + options.prefixes[i].prefix.to_string() + "/" +
             std::to_string(options.prefixes[i].prefix_len);
      }
      break;
    case Icmpv6Type::kRedirect:
      s += ", " + redirect_dst.to_string() + " to " + target.to_string();
      break;
    default:
      break;
  }
  if (options.source_link_addr)
    s += ", source link-address " + options.source_link_addr->to_string();
  if (options.target_link_addr)
    s += ", target link-address " + options.target_link_addr->to_string();
  // The message as it was on the wire (tcpdump's length): a parsed one's option area may hold
  // options we do not keep (a nonce, RFC 3971).
  const std::size_t len = options.raw.empty() ? buffer_len() : header_len() + options.raw.size();
  return s + ", length " + std::to_string(len);
}

std::string NdpRepr::to_verbose_string() const {
  std::string s = "ICMPv6 " + std::string(ustack::to_string(type)) + " (type " +
                  std::to_string(static_cast<unsigned>(type)) + ", code 0)\n";
  switch (type) {
    case Icmpv6Type::kRouterAdvert:
      s += "  cur hop limit: " + std::to_string(cur_hop_limit) +
           "\n  managed (M): " + (managed ? "1" : "0") +
           "\n  other config (O): " + (other_config ? "1" : "0") +
           "\n  router preference: " + std::to_string(router_preference) +
           "\n  router lifetime: " + std::to_string(router_lifetime_s) +
           "s\n  reachable time: " + std::to_string(reachable_time_ms) +
           "ms\n  retrans timer: " + std::to_string(retrans_timer_ms) + "ms\n";
      break;
    case Icmpv6Type::kNeighborAdvert:
      s += std::string("  router (R): ") + (router ? "1" : "0") +
           "\n  solicited (S): " + (solicited ? "1" : "0") +
           "\n  override (O): " + (override_ ? "1" : "0") + "\n";
      [[fallthrough]];
    case Icmpv6Type::kNeighborSolicit:
      s += "  target: " + target.to_string() + "\n";
      break;
    case Icmpv6Type::kRedirect:
      s +=
          "  target: " + target.to_string() + "\n  destination: " + redirect_dst.to_string() + "\n";
      break;
    default:
      break;
  }
  const NdpOptions& o = options;
  if (o.source_link_addr)
    s += "  option source link-address: " + o.source_link_addr->to_string() + "\n";
  if (o.target_link_addr)
    s += "  option target link-address: " + o.target_link_addr->to_string() + "\n";
  for (std::size_t i = 0; i < o.prefix_count; ++i) {
    const NdpPrefixInfo& p = o.prefixes[i];
    s += "  option prefix info: " + p.prefix.to_string() + "/" + std::to_string(p.prefix_len) +
         ", on-link (L) " + (p.on_link ? "1" : "0") + ", autonomous (A) " +
         (p.autonomous ? "1" : "0") + ", valid " + lifetime(p.valid_lifetime_s) + ", preferred " +
         lifetime(p.preferred_lifetime_s) + "\n";
  }
  if (o.prefixes_truncated) s += "  (more prefix options not kept)\n";
  if (o.mtu) s += "  option mtu: " + std::to_string(*o.mtu) + "\n";
  if (o.rdnss) {
    s += "  option rdnss: lifetime " + lifetime(o.rdnss->lifetime_s);
    for (std::size_t i = 0; i < o.rdnss->count(); ++i) s += ", " + o.rdnss->addr(i).to_string();
    s += "\n";
  }
  if (o.redirected_header) {
    s += "  option redirected header: " + std::to_string(o.redirected_header->size()) + " bytes\n";
  }
  // Options we do not interpret, named where we know them (the area parsed before, so every
  // length is sane).
  for (std::size_t off = 0; o.unknown_count && off + 2 <= o.raw.size();) {
    const std::uint8_t type = o.raw[off];
    const std::size_t len = std::size_t{o.raw[off + 1]} * 8;
    if (len == 0 || off + len > o.raw.size()) break;
    const Bytes body = o.raw.subspan(off + 2, len - 2);
    off += len;
    if (type == 1 || type == 2 || type == 3 || type == 4 || type == 5 || type == 25) continue;
    if (type == 14) {  // RFC 3971 §5.3.2 / RFC 7527 (DAD loop detection)
      static const char* kHex = "0123456789abcdef";
      std::string hex;
      for (std::uint8_t b : body) hex += std::string{kHex[b >> 4], kHex[b & 15]};
      s += "  option nonce: 0x" + hex + "\n";
    } else {
      s += "  option type " + std::to_string(type) + ": " + std::to_string(len) + " bytes\n";
    }
  }
  return s;
}

bool NdpRepr::operator==(const NdpRepr& o) const {
  return type == o.type && cur_hop_limit == o.cur_hop_limit && managed == o.managed &&
         other_config == o.other_config && router_preference == o.router_preference &&
         router_lifetime_s == o.router_lifetime_s && reachable_time_ms == o.reachable_time_ms &&
         retrans_timer_ms == o.retrans_timer_ms && router == o.router && solicited == o.solicited &&
         override_ == o.override_ && target == o.target && redirect_dst == o.redirect_dst &&
         options == o.options;
}

}  // namespace ustack
