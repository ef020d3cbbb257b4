#include "stack/wire/ipv4.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

// Byte offsets of the fixed header (RFC 791 §3.1).
constexpr std::size_t kVerIhl = 0;
constexpr std::size_t kTos = 1;
constexpr std::size_t kTotalLen = 2;
constexpr std::size_t kIdent = 4;
constexpr std::size_t kFlagsFrag = 6;
constexpr std::size_t kTtl = 8;
constexpr std::size_t kProto = 9;
constexpr std::size_t kChecksum = 10;
constexpr std::size_t kSrc = 12;
constexpr std::size_t kDst = 16;

constexpr std::uint16_t kReservedFlag = 0x8000;
constexpr std::uint16_t kDfFlag = 0x4000;
constexpr std::uint16_t kMfFlag = 0x2000;
constexpr std::uint16_t kFragOffsetMask = 0x1fff;

// Walks the option bytes (which start at header offset 20) and records every option up to
// EOL. Checks the TLV structure (RFC 791 §3.1: "option-type, option-length, option-data", the
// length counting the type and length octets) and, for the options that carry a pointer
// (RR/LSRR/SSRR/TS), that the pointer is at least 4 (TS: 5) as RFC 791 requires (Linux
// ip_options_compile rejects the same). Returns the number of options or an error; on error
// `*bad_at` is the header offset of the octet at fault (for a Parameter Problem pointer).
Result<std::size_t> walk_options(Bytes opts, std::array<Ipv4Option, Ipv4Repr::kMaxOptionsLen>& out,
                                 std::size_t* bad_at = nullptr) {
  std::size_t count = 0;
  std::size_t i = 0;
  auto bad = [&](std::size_t at) {
    if (bad_at) *bad_at = Ipv4Repr::kMinHeaderLen + at;
    return Err(ParseError::kBadOption);
  };
  while (i < opts.size()) {
    const std::uint8_t type = opts[i];
    const auto offset = static_cast<std::uint8_t>(Ipv4Repr::kMinHeaderLen + i);
    if (type == static_cast<std::uint8_t>(Ipv4OptionType::kEol)) {
      out[count++] = Ipv4Option{type, offset, 1};
      break;  // the rest is padding
    }
    if (type == static_cast<std::uint8_t>(Ipv4OptionType::kNop)) {
      out[count++] = Ipv4Option{type, offset, 1};
      ++i;
      continue;
    }
    if (i + 1 >= opts.size()) return bad(i);  // no room for the length
    const std::uint8_t len = opts[i + 1];
    if (len < 2 || i + len > opts.size()) return bad(i + 1);
    switch (static_cast<Ipv4OptionType>(type)) {
      case Ipv4OptionType::kRecordRoute:
      case Ipv4OptionType::kLooseSourceRoute:
      case Ipv4OptionType::kStrictSourceRoute:
        // RFC 791 §3.1: type, length, pointer; the pointer counts from the option's first
        // octet and "the smallest legal value is 4".
        if (len < 3) return bad(i + 1);
        if (opts[i + 2] < 4) return bad(i + 2);
        break;
      case Ipv4OptionType::kTimestamp:
        // RFC 791 §3.1: type, length, pointer, overflow/flags; "the smallest legal value is 5".
        if (len < 4) return bad(i + 1);
        if (opts[i + 2] < 5) return bad(i + 2);
        break;
      case Ipv4OptionType::kRouterAlert:
        if (len != 4) return bad(i + 1);  // RFC 2113 §2.1
        break;
      default:
        break;
    }
    out[count++] = Ipv4Option{type, offset, len};
    i += len;
  }
  return count;
}

std::string flags_string(const Ipv4Repr& r) {
  std::string s;
  if (r.reserved_flag) s += "R";
  if (r.dont_frag) s += s.empty() ? "DF" : ",DF";
  if (r.more_frags) s += s.empty() ? "MF" : ",MF";
  return s.empty() ? "none" : s;
}

std::string option_name(std::uint8_t type) {
  switch (static_cast<Ipv4OptionType>(type)) {
    case Ipv4OptionType::kEol:
      return "EOL";
    case Ipv4OptionType::kNop:
      return "NOP";
    case Ipv4OptionType::kRecordRoute:
      return "RR";
    case Ipv4OptionType::kTimestamp:
      return "TS";
    case Ipv4OptionType::kSecurity:
      return "SEC";
    case Ipv4OptionType::kLooseSourceRoute:
      return "LSRR";
    case Ipv4OptionType::kStreamId:
      return "SID";
    case Ipv4OptionType::kStrictSourceRoute:
      return "SSRR";
    case Ipv4OptionType::kRouterAlert:
      return "RA";
  }
  return "opt-" + std::to_string(type);
}

}  // namespace

std::string ip_proto_name(IpProto p) {
  switch (p) {
    case IpProto::kHopByHop:
      return "HBH";
    case IpProto::kIcmp:
      return "ICMP";
    case IpProto::kIgmp:
      return "IGMP";
    case IpProto::kTcp:
      return "TCP";
    case IpProto::kUdp:
      return "UDP";
    case IpProto::kIpv6Route:
      return "RT";
    case IpProto::kIpv6Frag:
      return "FRAG";
    case IpProto::kEsp:
      return "ESP";
    case IpProto::kAh:
      return "AH";
    case IpProto::kIcmpv6:
      return "ICMPv6";
    case IpProto::kIpv6NoNext:
      return "NONE";
    case IpProto::kIpv6Opts:
      return "DSTOPT";
  }
  return "proto " + std::to_string(static_cast<unsigned>(p));
}

Result<Ipv4Repr> Ipv4Repr::parse(Bytes packet, ChecksumCheck check) {
  if (packet.size() < kMinHeaderLen) return Err(ParseError::kTruncated);
  if ((packet[kVerIhl] >> 4) != 4) return Err(ParseError::kBadVersion);
  const std::size_t header_len = std::size_t{packet[kVerIhl] & 0x0fu} * 4;
  if (header_len < kMinHeaderLen) return Err(ParseError::kBadHeaderLength);
  if (packet.size() < header_len) return Err(ParseError::kTruncated);
  const std::size_t total_len = load_be16(packet, kTotalLen);
  if (total_len < header_len) return Err(ParseError::kBadLength);
  // Linux counts this case as InTruncatedPkts (ip_rcv_core): the buffer ends before the
  // datagram does.
  if (packet.size() < total_len) return Err(ParseError::kTruncated);

  // Checksum before options, as Linux does (ip_rcv_core, then ip_rcv_options): a corrupted
  // header is reported as corrupted, not as whatever the corruption looks like.
  if (check == ChecksumCheck::kVerify && internet_checksum(packet.first(header_len)) != 0) {
    return Err(ParseError::kBadChecksum);
  }
  Ipv4Repr r;
  const Bytes opts = packet.subspan(kMinHeaderLen, header_len - kMinHeaderLen);
  auto count = walk_options(opts, r.option_list_);
  if (!count) return Err(count.error());
  r.option_count_ = static_cast<std::uint8_t>(*count);
  std::copy(opts.begin(), opts.end(), r.options_buf_.begin());
  r.options_len_ = static_cast<std::uint8_t>(opts.size());

  r.tos = packet[kTos];
  r.ident = load_be16(packet, kIdent);
  const std::uint16_t flags_frag = load_be16(packet, kFlagsFrag);
  r.reserved_flag = flags_frag & kReservedFlag;
  r.dont_frag = flags_frag & kDfFlag;
  r.more_frags = flags_frag & kMfFlag;
  r.frag_offset = flags_frag & kFragOffsetMask;
  r.ttl = packet[kTtl];
  r.protocol = static_cast<IpProto>(packet[kProto]);
  r.checksum = load_be16(packet, kChecksum);
  r.src = Ipv4Addr::from_bytes(packet.subspan(kSrc, 4));
  r.dst = Ipv4Addr::from_bytes(packet.subspan(kDst, 4));
  r.payload = packet.subspan(header_len, total_len - header_len);
  r.payload_len = r.payload.size();
  return r;
}

std::optional<std::uint8_t> Ipv4Repr::bad_option_pointer(Bytes packet) {
  if (packet.size() < kMinHeaderLen) return std::nullopt;
  const std::size_t header_len = std::size_t{packet[kVerIhl] & 0x0fu} * 4;
  if (header_len <= kMinHeaderLen || packet.size() < header_len) return std::nullopt;
  std::array<Ipv4Option, kMaxOptionsLen> list;
  std::size_t bad_at = 0;
  if (walk_options(packet.subspan(kMinHeaderLen, header_len - kMinHeaderLen), list, &bad_at)) {
    return std::nullopt;
  }
  return static_cast<std::uint8_t>(bad_at);
}

Result<bool> Ipv4Repr::set_options(Bytes raw) {
  if (raw.size() > kMaxOptionsLen) return Err(ParseError::kBadLength);
  std::array<std::uint8_t, kMaxOptionsLen> buf{};  // zero = EOL padding
  std::copy(raw.begin(), raw.end(), buf.begin());
  const std::size_t padded = (raw.size() + 3) / 4 * 4;
  std::array<Ipv4Option, kMaxOptionsLen> list{};
  auto count = walk_options(Bytes(buf).first(padded), list);
  if (!count) return Err(count.error());
  options_buf_ = buf;
  options_len_ = static_cast<std::uint8_t>(padded);
  option_list_ = list;
  option_count_ = static_cast<std::uint8_t>(*count);
  return true;
}

void Ipv4Repr::emit(MutBytes out, ChecksumMode mode) const {
  const std::size_t hlen = header_len();
  out[kVerIhl] = static_cast<std::uint8_t>(0x40 | (hlen / 4));
  out[kTos] = tos;
  store_be16(out, kTotalLen, static_cast<std::uint16_t>(total_len()));
  store_be16(out, kIdent, ident);
  std::uint16_t flags_frag = frag_offset & kFragOffsetMask;
  if (reserved_flag) flags_frag |= kReservedFlag;
  if (dont_frag) flags_frag |= kDfFlag;
  if (more_frags) flags_frag |= kMfFlag;
  store_be16(out, kFlagsFrag, flags_frag);
  out[kTtl] = ttl;
  out[kProto] = static_cast<std::uint8_t>(protocol);
  store_be16(out, kChecksum, 0);
  std::copy_n(src.bytes().begin(), 4, out.begin() + kSrc);
  std::copy_n(dst.bytes().begin(), 4, out.begin() + kDst);
  std::copy_n(options_buf_.begin(), options_len_, out.begin() + kMinHeaderLen);
  if (mode == ChecksumMode::kCompute) {
    store_be16(out, kChecksum, internet_checksum(Bytes(out.first(hlen))));
  }
}

std::string Ipv4Repr::to_string() const {
  std::string s = src.to_string() + " > " + dst.to_string() + ": " + ip_proto_name(protocol);
  s += ", ttl " + std::to_string(ttl) + ", id " + std::to_string(ident);
  if (tos != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%02x", tos);
    s += std::string(", tos ") + buf;
    // tcpdump -v: "tos 0x2,ECT(0)".
    if (ecn() != 0) s += std::string(",") + ecn_codepoint_name(ecn());
  }
  s += ", flags [" + flags_string(*this) + "]";
  if (is_fragment()) s += ", offset " + std::to_string(frag_offset_bytes());
  if (options_len_ != 0) {
    s += ", options [";
    for (std::size_t i = 0; i < option_count_; ++i) {
      if (i != 0) s += ",";
      s += option_name(option_list_[i].type);
    }
    s += "]";
  }
  s += ", length " + std::to_string(total_len());
  return s;
}

std::string Ipv4Repr::to_verbose_string() const {
  char buf[64];
  std::string s = "version: 4\n";
  s += "ihl: " + std::to_string(header_len() / 4) + " (" + std::to_string(header_len()) +
       " bytes)\n";
  std::snprintf(buf, sizeof buf, "tos: 0x%02x (dscp %u, ecn %u %s)\n", tos, dscp(), ecn(),
                ecn_codepoint_name(ecn()));
  s += buf;
  s += "total length: " + std::to_string(total_len()) + "\n";
  std::snprintf(buf, sizeof buf, "identification: 0x%04x (%u)\n", ident, ident);
  s += buf;
  s += "flags: " + flags_string(*this) + "\n";
  s += "fragment offset: " + std::to_string(frag_offset) + " (" +
       std::to_string(frag_offset_bytes()) + " bytes)\n";
  s += "ttl: " + std::to_string(ttl) + "\n";
  s += "protocol: " + ip_proto_name(protocol) + " (" +
       std::to_string(static_cast<unsigned>(protocol)) + ")\n";
  std::snprintf(buf, sizeof buf, "header checksum: 0x%04x\n", checksum);
  s += buf;
  s += "src: " + src.to_string() + "\n";
  s += "dst: " + dst.to_string() + "\n";
  s += "options: " + std::to_string(options_len_) + " bytes";
  for (std::size_t i = 0; i < option_count_; ++i) {
    const Ipv4Option& o = option_list_[i];
    s += "\n  " + option_name(o.type) + " (type " + std::to_string(o.type) + ", offset " +
         std::to_string(o.offset) + ", length " + std::to_string(o.len) + ")";
  }
  s += "\npayload: " + std::to_string(payload_len) + " bytes";
  return s;
}

bool Ipv4Repr::operator==(const Ipv4Repr& o) const {
  return tos == o.tos && ident == o.ident && reserved_flag == o.reserved_flag &&
         dont_frag == o.dont_frag && more_frags == o.more_frags && frag_offset == o.frag_offset &&
         ttl == o.ttl && protocol == o.protocol && src == o.src && dst == o.dst &&
         payload_len == o.payload_len &&
         std::equal(payload.begin(), payload.end(), o.payload.begin(), o.payload.end()) &&
         std::equal(options().begin(), options().end(), o.options().begin(), o.options().end()) &&
         std::equal(option_list().begin(), option_list().end(), o.option_list().begin(),
                    o.option_list().end());
}

}  // namespace ustack
