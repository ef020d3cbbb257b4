#include "stack/wire/ipv6.h"

#include <algorithm>
#include <cstdio>

#include "stack/wire/ipv4.h"  // ip_proto_name

namespace ustack {
namespace {

// Byte offsets of the fixed header (RFC 8200 §3).
constexpr std::size_t kPayloadLen = 4;
constexpr std::size_t kNextHeader = 6;
constexpr std::size_t kHopLimit = 7;
constexpr std::size_t kSrc = 8;
constexpr std::size_t kDst = 24;

// Linux (ip6_parse_tlv) and RFC 4942 §2.1.9.5: padding exists to align to 8 octets, so more
// than 7 consecutive padding octets is an attack vector, not alignment.
constexpr std::size_t kMaxPadRun = 7;

bool is_upper_layer(IpProto p) {
  switch (p) {
    case IpProto::kTcp:
    case IpProto::kUdp:
    case IpProto::kIcmpv6:
    case IpProto::kIpv6NoNext:
      return true;
    default:
      return false;
  }
}

std::string hex(unsigned v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", width, v);
  return buf;
}

std::string ext_name(const Ipv6ExtHeader& h) { return ip_proto_name(h.type); }

}  // namespace

// --- Fragment header (RFC 8200 §4.5) ---

Result<Ipv6FragHeader> Ipv6FragHeader::parse(Bytes header) {
  if (header.size() < kLen) return Err(ParseError::kTruncated);
  Ipv6FragHeader f;
  f.next_header = static_cast<IpProto>(header[0]);
  f.reserved = header[1];
  const std::uint16_t off_flags = load_be16(header, 2);
  f.frag_offset = off_flags >> 3;
  f.reserved_bits = (off_flags >> 1) & 0x3;
  f.more_frags = off_flags & 0x1;
  f.ident = load_be32(header, 4);
  return f;
}

void Ipv6FragHeader::emit(MutBytes out) const {
  out[0] = static_cast<std::uint8_t>(next_header);
  out[1] = reserved;
  store_be16(out, 2,
             static_cast<std::uint16_t>((frag_offset << 3) | ((reserved_bits & 0x3) << 1) |
                                        (more_frags ? 1 : 0)));
  store_be32(out, 4, ident);
}

void Ipv6RouterAlertHeader::emit(MutBytes out) const {
  out[0] = static_cast<std::uint8_t>(next_header);
  out[1] = 0;  // Hdr Ext Len: 8 bytes in all (RFC 8200 §4.3)
  out[2] = ipv6_option::kRouterAlert;
  out[3] = 2;
  store_be16(out, 4, value);
  out[6] = ipv6_option::kPadN;  // RFC 8200 §4.2: pads the header to 8 bytes
  out[7] = 0;
}

std::string Ipv6FragHeader::to_string() const {
  return "frag " + hex(ident, 8) + " offset " + std::to_string(frag_offset_bytes()) +
         (more_frags ? " M" : "") + ", next " + ip_proto_name(next_header);
}

// --- Fixed header and walk ---

namespace {

// Lists the TLV options in packet[start, end) (RFC 8200 §4.2). Every option must fit inside
// the header; PadN content must be zero (RFC 4942 §2.1.9.5, as Linux checks).
Result<bool> walk_options(Bytes packet, std::size_t start, std::size_t end, IpProto header,
                          std::array<Ipv6Option, Ipv6Repr::kMaxOptions>& out, std::uint8_t& count) {
  std::size_t i = start;
  std::size_t pad_run = 0;
  while (i < end) {
    const std::uint8_t type = packet[i];
    if (type == ipv6_option::kPad1) {
      if (++pad_run > kMaxPadRun) return Err(ParseError::kBadOption);
      ++i;
      continue;
    }
    if (i + 2 > end) return Err(ParseError::kBadOption);
    const std::uint8_t data_len = packet[i + 1];
    if (i + 2 + data_len > end) return Err(ParseError::kBadOption);
    if (type == ipv6_option::kPadN) {
      pad_run += 2u + data_len;
      if (pad_run > kMaxPadRun) return Err(ParseError::kBadOption);
      for (std::size_t k = i + 2; k < i + 2 + data_len; ++k) {
        if (packet[k] != 0) return Err(ParseError::kBadOption);
      }
      i += 2u + data_len;
      continue;
    }
    pad_run = 0;
    if (count == Ipv6Repr::kMaxOptions) return Err(ParseError::kBadOption);
    out[count++] = Ipv6Option{type, header, static_cast<std::uint16_t>(i), data_len};
    i += 2u + data_len;
  }
  return true;
}

}  // namespace

Result<Ipv6Repr> Ipv6Repr::parse(Bytes packet) {
  if (packet.size() < kHeaderLen) return Err(ParseError::kTruncated);
  if ((packet[0] >> 4) != 6) return Err(ParseError::kBadVersion);
  Ipv6Repr r;
  const std::uint32_t word0 = load_be32(packet, 0);
  r.traffic_class = static_cast<std::uint8_t>(word0 >> 20);
  r.flow_label = word0 & 0xfffff;
  r.payload_len = load_be16(packet, kPayloadLen);
  r.next_header = static_cast<IpProto>(packet[kNextHeader]);
  r.hop_limit = packet[kHopLimit];
  r.src = Ipv6Addr::from_bytes(packet.subspan(kSrc, 16));
  r.dst = Ipv6Addr::from_bytes(packet.subspan(kDst, 16));
  // RFC 2675: Payload Length 0 with a Hop-by-Hop header announces a jumbogram, which needs a
  // link MTU above 65575 that no device of ours has.
  if (r.payload_len == 0 && r.next_header == IpProto::kHopByHop) {
    return Err(ParseError::kUnsupported);
  }
  const std::size_t end = kHeaderLen + r.payload_len;
  // Linux counts this as InTruncatedPkts (ipv6_rcv): the buffer ends before the packet.
  if (packet.size() < end) return Err(ParseError::kTruncated);
  r.payload = packet.subspan(kHeaderLen, r.payload_len);

  std::size_t off = kHeaderLen;
  std::size_t nh_pointer = kNextHeader;
  IpProto nh = r.next_header;
  bool walking = true;
  while (walking) {
    switch (nh) {
      case IpProto::kHopByHop:
        // RFC 8200 §4.1: Hop-by-Hop "is restricted to appear immediately after an IPv6
        // header"; elsewhere it is treated like an unrecognised Next Header (as Linux does).
        if (off != kHeaderLen) {
          walking = false;
          break;
        }
        [[fallthrough]];
      case IpProto::kIpv6Opts:
      case IpProto::kIpv6Route: {
        if (off + 2 > end) return Err(ParseError::kTruncated);
        // Hdr Ext Len: 8-octet units, not counting the first 8 octets (RFC 8200 §4.3-4.4, 4.6).
        const std::size_t len = (std::size_t{packet[off + 1]} + 1) * 8;
        if (off + len > end) return Err(ParseError::kTruncated);
        if (r.ext_count_ == kMaxExtHeaders) return Err(ParseError::kTooManyHeaders);
        r.ext_headers_[r.ext_count_++] =
            Ipv6ExtHeader{nh, static_cast<std::uint16_t>(off), static_cast<std::uint16_t>(len)};
        if (nh == IpProto::kIpv6Route) {
          r.routing =
              Ipv6RoutingInfo{packet[off + 2], packet[off + 3], static_cast<std::uint16_t>(off)};
        } else {
          auto ok = walk_options(packet, off + 2, off + len, nh, r.options_, r.option_count_);
          if (!ok) return Err(ok.error());
        }
        nh = static_cast<IpProto>(packet[off]);
        nh_pointer = off;
        off += len;
        break;
      }
      case IpProto::kIpv6Frag: {
        if (off + Ipv6FragHeader::kLen > end) return Err(ParseError::kTruncated);
        if (r.ext_count_ == kMaxExtHeaders) return Err(ParseError::kTooManyHeaders);
        r.ext_headers_[r.ext_count_++] =
            Ipv6ExtHeader{nh, static_cast<std::uint16_t>(off), Ipv6FragHeader::kLen};
        r.frag = Ipv6FragHeader::parse(packet.subspan(off, Ipv6FragHeader::kLen)).value();
        nh = r.frag->next_header;
        nh_pointer = off;
        off += Ipv6FragHeader::kLen;
        // RFC 8200 §4.5: what follows is a fragment; the headers in it are walked after
        // reassembly.
        walking = false;
        break;
      }
      default:
        walking = false;
        break;
    }
  }
  r.upper_proto = nh;
  r.upper_offset = static_cast<std::uint16_t>(off);
  r.upper_proto_pointer = static_cast<std::uint16_t>(nh_pointer);
  r.upper_payload = packet.subspan(off, end - off);
  if (!r.frag && !is_upper_layer(nh)) {
    r.unknown_header =
        Ipv6UnknownHeader{static_cast<std::uint8_t>(nh), static_cast<std::uint16_t>(off),
                          static_cast<std::uint16_t>(nh_pointer)};
  }
  return r;
}

void Ipv6Repr::emit(MutBytes out) const {
  store_be32(
      out, 0,
      (std::uint32_t{6} << 28) | (std::uint32_t{traffic_class} << 20) | (flow_label & 0xfffff));
  store_be16(out, kPayloadLen, payload_len);
  out[kNextHeader] = static_cast<std::uint8_t>(next_header);
  out[kHopLimit] = hop_limit;
  std::copy_n(src.bytes().begin(), 16, out.begin() + kSrc);
  std::copy_n(dst.bytes().begin(), 16, out.begin() + kDst);
}

std::string Ipv6Repr::to_string() const {
  std::string s = src.to_string() + " > " + dst.to_string() + ": ";
  for (const Ipv6ExtHeader& h : ext_headers()) s += ext_name(h) + " ";
  s += ip_proto_name(upper_proto) + ", hlim " + std::to_string(hop_limit);
  if (traffic_class != 0) s += ", class " + hex(traffic_class, 2);
  if (flow_label != 0) s += ", flow " + hex(flow_label, 5);
  if (frag) s += ", " + frag->to_string();
  if (unknown_header) {
    s += ", unknown header " + std::to_string(unknown_header->type) + " at offset " +
         std::to_string(unknown_header->offset);
  }
  s += ", payload length " + std::to_string(payload_len);
  return s;
}

std::string Ipv6Repr::to_verbose_string() const {
  std::string s = "version: 6\n";
  s += "traffic class: " + hex(traffic_class, 2) + " (dscp " + std::to_string(dscp()) + ", ecn " +
       std::to_string(ecn()) + " " + ecn_codepoint_name(ecn()) + ")\n";
  s += "flow label: " + hex(flow_label, 5) + "\n";
  s += "payload length: " + std::to_string(payload_len) + "\n";
  s += "next header: " + ip_proto_name(next_header) + " (" +
       std::to_string(static_cast<unsigned>(next_header)) + ")\n";
  s += "hop limit: " + std::to_string(hop_limit) + "\n";
  s += "src: " + src.to_string() + "\n";
  s += "dst: " + dst.to_string() + "\n";
  for (const Ipv6ExtHeader& h : ext_headers()) {
    s += "extension header: " + ext_name(h) + " (" + std::to_string(static_cast<unsigned>(h.type)) +
         ") at offset " + std::to_string(h.offset) + ", length " + std::to_string(h.len) + "\n";
    if (h.type == IpProto::kIpv6Route && routing && routing->offset == h.offset) {
      s += "  routing type " + std::to_string(routing->routing_type) + ", segments left " +
           std::to_string(routing->segments_left) + "\n";
    }
    if (h.type == IpProto::kIpv6Frag && frag) s += "  " + frag->to_string() + "\n";
    for (const Ipv6Option& o : options()) {
      if (o.offset < h.offset || o.offset >= h.offset + h.len) continue;
      s += "  option " + hex(o.type, 2) + " at offset " + std::to_string(o.offset) +
           ", data length " + std::to_string(o.data_len) + ", action " +
           std::to_string(static_cast<unsigned>(o.action())) + "\n";
    }
  }
  s += "upper layer: " + ip_proto_name(upper_proto) + " at offset " + std::to_string(upper_offset) +
       " (next header field at " + std::to_string(upper_proto_pointer) + "), " +
       std::to_string(upper_payload.size()) + " bytes";
  if (unknown_header) {
    s += "\nunknown header " + std::to_string(unknown_header->type) + " at offset " +
         std::to_string(unknown_header->offset) + " (pointer " +
         std::to_string(unknown_header->pointer) + ")";
  }
  return s;
}

bool Ipv6Repr::operator==(const Ipv6Repr& o) const {
  return traffic_class == o.traffic_class && flow_label == o.flow_label &&
         payload_len == o.payload_len && next_header == o.next_header && hop_limit == o.hop_limit &&
         src == o.src && dst == o.dst &&
         std::equal(payload.begin(), payload.end(), o.payload.begin(), o.payload.end()) &&
         upper_proto == o.upper_proto && upper_offset == o.upper_offset &&
         upper_proto_pointer == o.upper_proto_pointer &&
         std::equal(upper_payload.begin(), upper_payload.end(), o.upper_payload.begin(),
                    o.upper_payload.end()) &&
         frag == o.frag && routing == o.routing && unknown_header == o.unknown_header &&
         std::equal(ext_headers().begin(), ext_headers().end(), o.ext_headers().begin(),
                    o.ext_headers().end()) &&
         std::equal(options().begin(), options().end(), o.options().begin(), o.options().end());
}

}  // namespace ustack
