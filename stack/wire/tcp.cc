#include "stack/wire/tcp.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "stack/base/checksum.h"

namespace ustack {

namespace {

constexpr std::uint8_t kKindEol = 0;
constexpr std::uint8_t kKindNop = 1;
constexpr std::uint8_t kKindMss = 2;
constexpr std::uint8_t kKindWs = 3;
constexpr std::uint8_t kKindSackPerm = 4;
constexpr std::uint8_t kKindSack = 5;
constexpr std::uint8_t kKindTs = 8;

constexpr std::size_t pad4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// Typed options are emitted only if their field is present, so an order list whose option was
// cleared after parsing still emits a consistent header.
bool present(const TcpOptions& o, std::uint8_t kind) {
  switch (kind) {
    case kKindMss:
      return o.mss.has_value();
    case kKindWs:
      return o.window_scale.has_value();
    case kKindSackPerm:
      return o.sack_permitted;
    case kKindTs:
      return o.timestamps.has_value();
    case kKindSack:
      return o.sack_count > 0;
    default:
      return true;
  }
}

std::size_t fixed_len(const TcpOptions& o, std::uint8_t kind) {
  switch (kind) {
    case kKindEol:
    case kKindNop:
      return 1;
    case kKindMss:
      return 4;
    case kKindWs:
      return 3;
    case kKindSackPerm:
      return 2;
    case kKindTs:
      return 10;
    case kKindSack:
      return 2 + 8 * std::size_t{o.sack_count};
    default:
      return 0;  // unknown: length comes from the TLV
  }
}

// The option list as Linux's tcp_options_write() lays it out (SYN: mss, sackOK+TS or
// nop,nop,TS, nop,wscale; data: nop,nop,TS, nop,nop,SACK), then unknown options. SACK blocks
// that would not fit in 40 bytes are left out, as Linux does (3 blocks with timestamps).
std::uint8_t canonical_order(const TcpOptions& o, std::array<std::uint8_t, 40>& order,
                             std::uint8_t& sack_blocks) {
  std::uint8_t n = 0;
  std::size_t used = 0;
  auto put = [&](std::uint8_t k, std::size_t len) {
    order[n++] = k;
    used += len;
  };
  if (o.mss) put(kKindMss, 4);
  if (o.timestamps) {
    if (o.sack_permitted) {
      put(kKindSackPerm, 2);
    } else {
      put(kKindNop, 1);
      put(kKindNop, 1);
    }
    put(kKindTs, 10);
  } else if (o.sack_permitted) {
    put(kKindNop, 1);
    put(kKindNop, 1);
    put(kKindSackPerm, 2);
  }
  if (o.window_scale) {
    put(kKindNop, 1);
    put(kKindWs, 3);
  }
  sack_blocks = 0;
  if (o.sack_count > 0 && used + 4 + 8 <= TcpOptions::kMaxLen) {
    sack_blocks = static_cast<std::uint8_t>(
        std::min<std::size_t>(o.sack_count, (TcpOptions::kMaxLen - used - 4) / 8));
    put(kKindNop, 1);
    put(kKindNop, 1);
    put(kKindSack, 2 + 8 * std::size_t{sack_blocks});
  }
  for (std::size_t i = 0; i + 1 < o.unknown_len && n < order.size();) {
    order[n++] = o.unknown[i];
    i += o.unknown[i + 1];
  }
  return n;
}

// Walks the options in emission order, calling f(kind, len, sack_blocks, unknown_offset).
template <typename F>
void walk_emit_order(const TcpOptions& o, F&& f) {
  std::array<std::uint8_t, 40> canon{};
  std::uint8_t sack_blocks = o.sack_count;
  const std::uint8_t* order = o.order.data();
  std::uint8_t n = o.order_len;
  if (n == 0) {
    n = canonical_order(o, canon, sack_blocks);
    order = canon.data();
  }
  std::size_t unknown_off = 0;
  for (std::uint8_t i = 0; i < n; ++i) {
    std::uint8_t kind = order[i];
    switch (kind) {
      case kKindEol:
      case kKindNop:
      case kKindMss:
      case kKindWs:
      case kKindSackPerm:
      case kKindTs:
        if (present(o, kind)) f(kind, fixed_len(o, kind), sack_blocks, 0);
        break;
      case kKindSack:
        if (present(o, kind)) f(kind, 2 + 8 * std::size_t{sack_blocks}, sack_blocks, 0);
        break;
      default:
        if (unknown_off + 1 < o.unknown_len) {
          std::size_t len = o.unknown[unknown_off + 1];
          f(o.unknown[unknown_off], len, sack_blocks, unknown_off);
          unknown_off += len;
        }
        break;
    }
  }
}

void write_options(const TcpOptions& o, MutBytes out) {
  std::size_t at = 0;
  walk_emit_order(o, [&](std::uint8_t kind, std::size_t len, std::uint8_t sack_blocks,
                         std::size_t unknown_off) {
    if (at + len > out.size()) return;  // a hand-built list longer than 40 bytes: cut
    switch (kind) {
      case kKindEol:
      case kKindNop:
        out[at] = kind;
        break;
      case kKindMss:
        out[at] = kind;
        out[at + 1] = 4;
        store_be16(out, at + 2, *o.mss);
        break;
      case kKindWs:
        out[at] = kind;
        out[at + 1] = 3;
        out[at + 2] = *o.window_scale;
        break;
      case kKindSackPerm:
        out[at] = kind;
        out[at + 1] = 2;
        break;
      case kKindTs:
        out[at] = kind;
        out[at + 1] = 10;
        store_be32(out, at + 2, o.timestamps->val);
        store_be32(out, at + 6, o.timestamps->ecr);
        break;
      case kKindSack:
        out[at] = kind;
        out[at + 1] = static_cast<std::uint8_t>(len);
        for (std::uint8_t b = 0; b < sack_blocks; ++b) {
          store_be32(out, at + 2 + 8 * b, o.sack[b].left.raw());
          store_be32(out, at + 6 + 8 * b, o.sack[b].right.raw());
        }
        break;
      default:
        std::memcpy(&out[at], &o.unknown[unknown_off], len);
        break;
    }
    at += len;
  });
  // Padding after the list is zero, i.e. End of Option List (RFC 9293 §3.2).
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(at), out.end(), 0);
}

// Linux tcp_parse_options: a length octet that is missing, below 2 or past the header ends
// the list ("if (opsize < 2) return; if (opsize > length) return;"); a known kind with the
// wrong length is ignored and parsing goes on. Options before the bad one are kept.
TcpOptions parse_options(Bytes b) {
  TcpOptions o;
  std::size_t i = 0;
  auto malformed = [&] {
    o.malformed = true;
    --o.order_len;  // not kept, so not re-emitted
  };
  while (i < b.size()) {
    std::uint8_t kind = b[i];
    o.order[o.order_len++] = kind;
    if (kind == kKindEol) break;  // the rest is padding
    if (kind == kKindNop) {
      ++i;
      continue;
    }
    // RFC 9293 §3.1: every other option has a length octet that counts kind and length.
    if (i + 1 >= b.size()) {
      malformed();
      break;
    }
    std::size_t len = b[i + 1];
    if (len < 2 || i + len > b.size()) {
      malformed();
      break;
    }
    Bytes v = b.subspan(i + 2, len - 2);
    i += len;
    switch (kind) {
      case kKindMss:
        if (len != 4) {
          malformed();
          continue;
        }
        o.mss = load_be16(v, 0);
        break;
      case kKindWs:
        if (len != 3) {
          malformed();
          continue;
        }
        o.window_scale = v[0];
        break;
      case kKindSackPerm:
        if (len != 2) {
          malformed();
          continue;
        }
        o.sack_permitted = true;
        break;
      case kKindTs:
        if (len != 10) {
          malformed();
          continue;
        }
        o.timestamps = TcpTimestamps{load_be32(v, 0), load_be32(v, 4)};
        break;
      case kKindSack: {
        // RFC 2018 §3: 2 + 8n octets, n >= 1 (at most 4 fit in 40 bytes). A second SACK
        // option is skipped too: it could not be re-emitted faithfully.
        if (len < 10 || (len - 2) % 8 != 0 || o.sack_count > 0) {
          malformed();
          continue;
        }
        for (std::size_t off = 0; off < v.size(); off += 8) {
          o.add_sack({SeqNum(load_be32(v, off)), SeqNum(load_be32(v, off + 4))});
        }
        break;
      }
      default:
        o.add_unknown(kind, v);
        break;
    }
  }
  return o;
}

void append_option_text(const TcpOptions& o, std::string& s) {
  bool first = true;
  char buf[96];
  walk_emit_order(o, [&](std::uint8_t kind, std::size_t len, std::uint8_t sack_blocks,
                         std::size_t unknown_off) {
    if (!first) s += ',';
    first = false;
    switch (kind) {
      case kKindEol:
        s += "eol";
        break;
      case kKindNop:
        s += "nop";
        break;
      case kKindMss:
        s += "mss " + std::to_string(*o.mss);
        break;
      case kKindWs:
        s += "wscale " + std::to_string(*o.window_scale);
        break;
      case kKindSackPerm:
        s += "sackOK";
        break;
      case kKindTs:
        std::snprintf(buf, sizeof buf, "TS val %u ecr %u", o.timestamps->val, o.timestamps->ecr);
        s += buf;
        break;
      case kKindSack:
        // tcpdump's print-tcp.c: "sack 2 {a:b}{c:d}", the blocks not separated.
        s += "sack " + std::to_string(sack_blocks) + " ";
        for (std::uint8_t b = 0; b < sack_blocks; ++b) {
          std::snprintf(buf, sizeof buf, "{%u:%u}", o.sack[b].left.raw(), o.sack[b].right.raw());
          s += buf;
        }
        break;
      default:
        s += "unknown-" + std::to_string(kind);
        if (len > 2) {
          s += " 0x" + to_hex(Bytes(o.unknown).subspan(unknown_off + 2, len - 2));
        }
        break;
    }
  });
}

}  // namespace

bool TcpOptions::add_unknown(std::uint8_t kind, Bytes data) {
  if (unknown_len + 2 + data.size() > unknown.size()) return false;
  unknown[unknown_len] = kind;
  unknown[unknown_len + 1] = static_cast<std::uint8_t>(2 + data.size());
  std::copy(data.begin(), data.end(), unknown.begin() + unknown_len + 2);
  unknown_len = static_cast<std::uint8_t>(unknown_len + 2 + data.size());
  return true;
}

std::size_t TcpOptions::wire_len() const {
  std::size_t n = 0;
  walk_emit_order(*this,
                  [&](std::uint8_t, std::size_t len, std::uint8_t, std::size_t) { n += len; });
  return std::min(pad4(n), kMaxLen);
}

bool TcpOptions::same_values(const TcpOptions& o) const {
  if (mss != o.mss || window_scale != o.window_scale || sack_permitted != o.sack_permitted ||
      timestamps != o.timestamps || sack_count != o.sack_count || unknown_len != o.unknown_len) {
    return false;
  }
  for (std::uint8_t i = 0; i < sack_count; ++i) {
    if (!(sack[i] == o.sack[i])) return false;
  }
  return std::equal(unknown.begin(), unknown.begin() + unknown_len, o.unknown.begin());
}

Result<TcpRepr> TcpRepr::parse(Bytes segment, const IpAddr& src, const IpAddr& dst,
                               ChecksumCheck check) {
  if (segment.size() < kMinHeaderLen) return Err(ParseError::kTruncated);
  // The checksum covers every byte, so it is checked first: a segment damaged in transit is
  // reported as kBadChecksum even if the damage also broke the data offset or an option.
  if (check == ChecksumCheck::kVerify) {
    std::uint32_t sum = pseudo_header_sum(src, dst, static_cast<std::uint8_t>(IpProto::kTcp),
                                          static_cast<std::uint32_t>(segment.size()));
    if (checksum_finish(checksum_add(sum, segment)) != 0) return Err(ParseError::kBadChecksum);
  }
  std::size_t data_offset = static_cast<std::size_t>(segment[12] >> 4) * 4;
  if (data_offset < kMinHeaderLen) return Err(ParseError::kBadHeaderLength);
  if (data_offset > segment.size()) return Err(ParseError::kTruncated);
  TcpOptions options = parse_options(segment.subspan(kMinHeaderLen, data_offset - kMinHeaderLen));
  TcpRepr r;
  r.src_port = load_be16(segment, 0);
  r.dst_port = load_be16(segment, 2);
  r.seq = SeqNum(load_be32(segment, 4));
  r.ack = SeqNum(load_be32(segment, 8));
  r.reserved = segment[12] & 0x0f;
  r.flags = segment[13];
  r.window = load_be16(segment, 14);
  r.checksum = load_be16(segment, 16);
  r.urgent = load_be16(segment, 18);
  r.options = options;
  r.payload = segment.subspan(data_offset);
  return r;
}

void TcpRepr::emit_header(MutBytes out) const {
  std::size_t hlen = header_len();
  store_be16(out, 0, src_port);
  store_be16(out, 2, dst_port);
  store_be32(out, 4, seq.raw());
  store_be32(out, 8, ack.raw());
  out[12] = static_cast<std::uint8_t>((hlen / 4) << 4 | (reserved & 0x0f));
  out[13] = flags;
  store_be16(out, 14, window);
  store_be16(out, 16, 0);
  store_be16(out, 18, urgent);
  write_options(options, out.subspan(kMinHeaderLen, hlen - kMinHeaderLen));
}

void TcpRepr::fill_checksum(MutBytes segment, const IpAddr& src, const IpAddr& dst,
                            ChecksumMode mode) {
  store_be16(segment, 16, 0);
  std::uint32_t sum = pseudo_header_sum(src, dst, static_cast<std::uint8_t>(IpProto::kTcp),
                                        static_cast<std::uint32_t>(segment.size()));
  if (mode == ChecksumMode::kOffload) {
    // The device sums the segment and stores the complement; it starts from the folded
    // pseudo-header sum we leave in the field (Linux CHECKSUM_PARTIAL).
    store_be16(segment, 16, static_cast<std::uint16_t>(~checksum_finish(sum)));
    return;
  }
  store_be16(segment, 16, checksum_finish(checksum_add(sum, segment)));
}

void TcpRepr::emit(MutBytes out, const IpAddr& src, const IpAddr& dst, ChecksumMode mode) const {
  emit_header(out);
  std::size_t hlen = header_len();
  std::copy(payload.begin(), payload.end(), out.begin() + static_cast<std::ptrdiff_t>(hlen));
  fill_checksum(out.first(hlen + payload.size()), src, dst, mode);
}

std::string tcp_flags_string(std::uint8_t f) {
  // tcpdump's print-tcp.c order.
  static constexpr struct {
    std::uint8_t bit;
    char c;
  } kNames[] = {{tcp_flags::kFin, 'F'}, {tcp_flags::kSyn, 'S'}, {tcp_flags::kRst, 'R'},
                {tcp_flags::kPsh, 'P'}, {tcp_flags::kAck, '.'}, {tcp_flags::kUrg, 'U'},
                {tcp_flags::kEce, 'E'}, {tcp_flags::kCwr, 'W'}};
  std::string s;
  for (const auto& n : kNames) {
    if (f & n.bit) s += n.c;
  }
  return s.empty() ? "none" : s;
}

std::string TcpRepr::to_string() const {
  std::string s = "Flags [" + tcp_flags_string(flags) + "]";
  // Like tcpdump: a pure ACK shows no sequence number.
  if (!payload.empty() || has(tcp_flags::kSyn | tcp_flags::kFin | tcp_flags::kRst)) {
    s += ", seq " + seq.to_string();
    if (!payload.empty()) {
      s += ":" + (seq + static_cast<std::uint32_t>(payload.size())).to_string();
    }
  }
  if (has(tcp_flags::kAck)) s += ", ack " + ack.to_string();
  s += ", win " + std::to_string(window);
  if (has(tcp_flags::kUrg)) s += ", urg " + std::to_string(urgent);
  if (options.wire_len() > 0) {
    s += ", options [";
    append_option_text(options, s);
    s += "]";
  }
  s += ", length " + std::to_string(payload.size());
  return s;
}

std::string TcpRepr::to_verbose_string() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%u > %u, hlen %zu, reserved 0x%x, cksum 0x%04x, urg %u, ",
                src_port, dst_port, header_len(), reserved, checksum, urgent);
  return buf + to_string();
}

bool TcpRepr::operator==(const TcpRepr& o) const {
  return src_port == o.src_port && dst_port == o.dst_port && seq == o.seq && ack == o.ack &&
         flags == o.flags && reserved == o.reserved && window == o.window && urgent == o.urgent &&
         options.same_values(o.options) &&
         std::equal(payload.begin(), payload.end(), o.payload.begin(), o.payload.end());
}

}  // namespace ustack
