#include "pcap_tests/scenario/flow.h"

#include <algorithm>
#include <vector>

#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/udp.h"

namespace ustack::scenario {

// An IP packet's addresses, upper protocol and its payload (a view into the packet).
struct IpView {
  IpAddr src;
  IpAddr dst;
  IpProto proto = IpProto::kTcp;
  Bytes payload;
};

namespace {

constexpr std::uint8_t kind(TcpOptionKind k) { return static_cast<std::uint8_t>(k); }

// One 8-octet Hop-by-Hop or Destination Options header (RFC 8200 §4.3, §4.6) naming `next`:
// Hdr Ext Len 0, its 6 octets of options a PadN (§4.2) or, with `unknown_option`, that option
// type with 2 zero data octets followed by a PadN of no data.
void append_ext_header(ByteVec& out, const ExtHeaderSpec& e, IpProto next) {
  constexpr std::uint8_t kPadN = 1;
  std::uint8_t h[8] = {static_cast<std::uint8_t>(next), 0, kPadN, 4, 0, 0, 0, 0};
  if (e.unknown_option) {
    h[2] = *e.unknown_option;
    h[3] = 2;
    h[6] = kPadN;
    h[7] = 0;
  }
  out.insert(out.end(), h, h + 8);
}

IpProto ext_proto(const ExtHeaderSpec& e) {
  return e.kind == ExtHeaderSpec::Kind::kHopByHop ? IpProto::kHopByHop : IpProto::kIpv6Opts;
}

// `payload` (a TCP or UDP segment with its checksum filled) behind an IP header, and for IPv6
// behind the extension headers `ext` (the checksum does not cover them, RFC 8200 §8.1).
ByteVec emit_ip(const IpAddr& src, const IpAddr& dst, IpProto proto, Bytes payload,
                std::span<const ExtHeaderSpec> ext = {}) {
  ByteVec out;
  if (src.is_v4()) {
    Ipv4Repr ip;
    ip.src = src.v4();
    ip.dst = dst.v4();
    ip.protocol = proto;
    ip.ttl = 64;
    ip.dont_frag = true;  // as Linux sends TCP (path MTU discovery, RFC 1191)
    ip.payload_len = payload.size();
    out.resize(ip.total_len());
    ip.emit(out, ChecksumMode::kCompute);
    std::copy(payload.begin(), payload.end(), out.begin() + ip.header_len());
  } else {
    ByteVec chain;
    for (std::size_t i = 0; i < ext.size(); ++i) {
      append_ext_header(chain, ext[i], i + 1 < ext.size() ? ext_proto(ext[i + 1]) : proto);
    }
    Ipv6Repr ip;
    ip.src = src.v6();
    ip.dst = dst.v6();
    ip.next_header = ext.empty() ? proto : ext_proto(ext[0]);
    ip.hop_limit = 64;
    ip.payload_len = static_cast<std::uint16_t>(chain.size() + payload.size());
    out.resize(ip.total_len());
    ip.emit(out);
    std::copy(chain.begin(), chain.end(), out.begin() + Ipv6Repr::kHeaderLen);
    std::copy(payload.begin(), payload.end(),
              out.begin() + static_cast<std::ptrdiff_t>(Ipv6Repr::kHeaderLen + chain.size()));
  }
  return out;
}

// Where each fragment starts and ends in a fragmentable part of `total` octets (FragSpec).
std::vector<std::pair<std::size_t, std::size_t>> fragment_ranges(std::size_t total,
                                                                 const FragSpec& f) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t start = 0;
  while (true) {
    std::size_t end = std::min<std::size_t>(start + f.size, total);
    out.emplace_back(start, end);
    if (end >= total) break;
    start = end - f.overlap;
  }
  if (f.reverse) std::reverse(out.begin(), out.end());
  return out;
}

std::optional<IpView> parse_ip(Bytes packet) {
  if (packet.empty()) return std::nullopt;
  if ((packet[0] >> 4) == 4) {
    auto ip = Ipv4Repr::parse(packet);
    if (!ip.ok()) return std::nullopt;
    return IpView{IpAddr(ip->src), IpAddr(ip->dst), ip->protocol, ip->payload};
  }
  auto ip = Ipv6Repr::parse(packet);
  if (!ip.ok()) return std::nullopt;
  return IpView{IpAddr(ip->src), IpAddr(ip->dst), ip->upper_proto, ip->upper_payload};
}

std::string proto_name(IpProto p) {
  switch (p) {
    case IpProto::kTcp:
      return "TCP";
    case IpProto::kUdp:
      return "UDP";
    case IpProto::kIcmp:
      return "ICMP";
    case IpProto::kIcmpv6:
      return "ICMPv6";
    default:
      return "IP protocol " + std::to_string(static_cast<int>(p));
  }
}

// The option kinds in wire order, trailing EOL padding left out.
std::vector<std::uint8_t> kinds(const TcpOptions& o) {
  std::vector<std::uint8_t> k(o.order.begin(), o.order.begin() + o.order_len);
  while (!k.empty() && k.back() == kind(TcpOptionKind::kEol)) k.pop_back();
  return k;
}

// "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>" with SACK edges less `sack_base` and TS
// val less `ts_base` (relative numbers, as the script writes them).
std::string options_string(const TcpOptions& o, std::uint32_t sack_base, std::uint32_t ts_base) {
  std::string s;
  for (std::uint8_t k : kinds(o)) {
    if (!s.empty()) s += ",";
    switch (static_cast<TcpOptionKind>(k)) {
      case TcpOptionKind::kEol:
        s += "eol";
        break;
      case TcpOptionKind::kNop:
        s += "nop";
        break;
      case TcpOptionKind::kMss:
        s += "mss " + std::to_string(o.mss.value_or(0));
        break;
      case TcpOptionKind::kWindowScale:
        s += "wscale " + std::to_string(o.window_scale.value_or(0));
        break;
      case TcpOptionKind::kSackPermitted:
        s += "sackOK";
        break;
      case TcpOptionKind::kTimestamps: {
        TcpTimestamps ts = o.timestamps.value_or(TcpTimestamps{});
        s += "TS val " + std::to_string(ts.val - ts_base) + " ecr " + std::to_string(ts.ecr);
        break;
      }
      case TcpOptionKind::kSack:
        s += "sack";
        for (std::uint8_t i = 0; i < o.sack_count; ++i) {
          s += " " + std::to_string(o.sack[i].left.raw() - sack_base) + ":" +
               std::to_string(o.sack[i].right.raw() - sack_base);
        }
        break;
      default:
        s += "option " + std::to_string(k);
        break;
    }
  }
  return "<" + s + ">";
}

std::string segment_string(std::uint8_t flags, std::uint32_t seq, std::uint32_t len,
                           std::optional<std::uint32_t> ack, std::optional<std::uint32_t> win,
                           std::optional<std::uint32_t> urg) {
  std::string s = script_flags_string(flags) + " " + std::to_string(seq) + ":" +
                  std::to_string(seq + len) + "(" + std::to_string(len) + ")";
  if (ack) s += " ack " + std::to_string(*ack);
  if (win) s += " win " + std::to_string(*win);
  if (urg) s += " urg " + std::to_string(*urg);
  return s;
}

}  // namespace

Flow::Flow(const ScenarioAddresses& a, IpVersion v, std::uint32_t peer_isn)
    : local_(v == IpVersion::kV4 ? a.local4 : a.local6),
      remote_(v == IpVersion::kV4 ? a.remote4 : a.remote6),
      remote_port_(a.remote_port),
      peer_isn_(peer_isn) {}

Flow::Built Flow::build_inbound(const PacketEvent& ev) const {
  Built b;
  if (!local_port_) {
    b.error = "cannot send to the SUT before its port is known (bind, or its first packet)";
    return b;
  }
  if (const auto* icmp = std::get_if<IcmpErrorSpec>(&ev.packet)) return build_icmp(*icmp);
  if (const auto* udp = std::get_if<UdpDatagramSpec>(&ev.packet)) {
    ByteVec payload(udp->len, 0);
    UdpRepr r;
    r.src_port = remote_port_;
    r.dst_port = *local_port_;
    ByteVec seg(r.buffer_len(payload.size()));
    r.emit(seg, payload, remote_, local_, ChecksumMode::kCompute);
    b.packet = emit_ip(remote_, local_, IpProto::kUdp, seg, ev.ext_headers);
    return b;
  }
  const auto& spec = std::get<TcpSegmentSpec>(ev.packet);
  bool acks_sut = (spec.flags & tcp_flags::kAck) != 0 || spec.options.sack_count > 0;
  if (acks_sut && !sut_isn_) {
    b.error = "cannot acknowledge the SUT's data before its SYN or SYN-ACK showed its ISN";
    return b;
  }
  std::uint32_t sut_isn = sut_isn_.value_or(0);
  ByteVec payload(spec.len, 0);  // packetdrill sends zeros too
  TcpRepr r;
  r.src_port = remote_port_;
  r.dst_port = *local_port_;
  r.seq = SeqNum(peer_isn_ + spec.seq);
  r.ack = SeqNum(spec.ack ? sut_isn + *spec.ack : 0);
  r.flags = spec.flags;
  r.window = static_cast<std::uint16_t>(spec.win.value_or(0));
  r.urgent = static_cast<std::uint16_t>(spec.urg.value_or(0));
  r.options = spec.options;
  for (std::uint8_t i = 0; i < r.options.sack_count; ++i) {
    r.options.sack[i].left = r.options.sack[i].left + sut_isn;
    r.options.sack[i].right = r.options.sack[i].right + sut_isn;
  }
  if (r.options.timestamps && r.options.timestamps->ecr != 0) {
    if (ts_offset_) {
      r.options.timestamps->ecr += *ts_offset_;
    } else if (last_ts_val_) {
      r.options.timestamps->ecr = *last_ts_val_;  // the script has not seen a TS val: echo it
    }
  }
  r.payload = payload;
  ByteVec seg(r.buffer_len());
  r.emit(seg, remote_, local_, ChecksumMode::kCompute);
  b.packet = emit_ip(remote_, local_, IpProto::kTcp, seg, ev.ext_headers);
  return b;
}

Flow::Built Flow::build_icmp(const IcmpErrorSpec& icmp) const {
  Built b;
  bool tcp = icmp.quoted == IcmpErrorSpec::Quoted::kTcp;
  if (tcp && !sut_isn_) {
    b.error = "cannot quote the SUT's TCP segment before its SYN or SYN-ACK showed its ISN";
    return b;
  }
  // The first 8 transport bytes of the packet the SUT sent (RFC 792: "the internet header
  // plus the first 64 bits of the original datagram's data"): its ports, and for TCP the
  // sequence number, which Linux's tcp_v4_err/tcp_v6_err require within SND.UNA..SND.NXT
  // (RFC 5927 §4.1); for UDP the length and a zero (absent) checksum.
  constexpr std::size_t kQuotedTransport = 8;
  ByteVec transport(kQuotedTransport, 0);
  store_be16(transport, 0, *local_port_);
  store_be16(transport, 2, remote_port_);
  std::size_t transport_len = icmp.len;
  if (tcp) {
    store_be32(transport, 4, *sut_isn_ + icmp.seq);
    transport_len += TcpRepr::kMinHeaderLen;
  } else {
    transport_len += UdpRepr::kHeaderLen;
    store_be16(transport, 4, static_cast<std::uint16_t>(transport_len));
  }
  IpProto quoted_proto = tcp ? IpProto::kTcp : IpProto::kUdp;
  // The quoted IP header is the SUT's: from its address to the peer's, with the length the
  // whole original packet had (only its first bytes travel back).
  ByteVec quote;
  if (!icmp.v6) {
    Ipv4Repr ip;
    ip.src = local_.v4();
    ip.dst = remote_.v4();
    ip.protocol = quoted_proto;
    ip.ttl = 64;
    ip.dont_frag = true;
    ip.payload_len = transport_len;
    ByteVec whole(ip.total_len());
    ip.emit(whole, ChecksumMode::kCompute);
    quote.assign(whole.begin(), whole.begin() + ip.header_len());
  } else {
    Ipv6Repr ip;
    ip.src = local_.v6();
    ip.dst = remote_.v6();
    ip.next_header = quoted_proto;
    ip.hop_limit = 64;
    ip.payload_len = static_cast<std::uint16_t>(transport_len);
    ByteVec whole(ip.total_len());
    ip.emit(whole);
    quote.assign(whole.begin(), whole.begin() + Ipv6Repr::kHeaderLen);
  }
  quote.insert(quote.end(), transport.begin(), transport.end());
  // The error comes from the peer's address, as packetdrill sends it (the remote host acting
  // as the router that could not forward the SUT's packet).
  if (!icmp.v6) {
    Icmpv4Repr r;
    r.type = static_cast<Icmpv4Type>(icmp.type);
    r.code = icmp.code;
    r.next_hop_mtu = static_cast<std::uint16_t>(icmp.mtu.value_or(0));
    r.data = quote;
    ByteVec msg(r.buffer_len());
    r.emit(msg, ChecksumMode::kCompute);
    b.packet = emit_ip(remote_, local_, IpProto::kIcmp, msg);
  } else {
    Icmpv6Repr r;
    r.type = static_cast<Icmpv6Type>(icmp.type);
    r.code = icmp.code;
    r.mtu = icmp.mtu.value_or(0);
    r.data = quote;
    ByteVec msg(r.buffer_len());
    r.emit(msg, remote_.v6(), local_.v6(), ChecksumMode::kCompute);
    b.packet = emit_ip(remote_, local_, IpProto::kIcmpv6, msg);
  }
  return b;
}

std::vector<ByteVec> Flow::fragment(Bytes packet, const FragSpec& frag, std::uint32_t ident) {
  std::vector<ByteVec> out;
  if ((packet[0] >> 4) == 4) {
    auto ip = Ipv4Repr::parse(packet);
    if (!ip.ok()) return out;
    for (auto [start, end] : fragment_ranges(ip->payload.size(), frag)) {
      Ipv4Repr f = *ip;
      f.ident = static_cast<std::uint16_t>(ident);
      f.dont_frag = false;  // a fragment cannot have DF set: it was fragmented
      f.more_frags = end < ip->payload.size();
      f.set_frag_offset_bytes(start);
      f.payload_len = end - start;
      ByteVec p(f.total_len());
      f.emit(p, ChecksumMode::kCompute);
      std::copy(ip->payload.begin() + static_cast<std::ptrdiff_t>(start),
                ip->payload.begin() + static_cast<std::ptrdiff_t>(end),
                p.begin() + static_cast<std::ptrdiff_t>(f.header_len()));
      out.push_back(std::move(p));
    }
    return out;
  }
  // RFC 8200 §4.5: the unfragmentable part is the IPv6 header and, here, a Hop-by-Hop Options
  // header; the Next Header byte that named the first fragmentable header names the Fragment
  // header instead, and the Fragment header carries the old value.
  std::size_t unfrag = Ipv6Repr::kHeaderLen;
  std::size_t next_at = 6;  // the fixed header's Next Header
  if (packet[6] == static_cast<std::uint8_t>(IpProto::kHopByHop)) {
    next_at = unfrag;
    unfrag += (std::size_t{packet[unfrag + 1]} + 1) * 8;
  }
  Bytes rest = packet.subspan(unfrag);
  for (auto [start, end] : fragment_ranges(rest.size(), frag)) {
    ByteVec p(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(unfrag));
    Ipv6FragHeader fh;
    fh.next_header = static_cast<IpProto>(packet[next_at]);
    fh.ident = ident;
    fh.more_frags = end < rest.size();
    fh.set_frag_offset_bytes(start);
    p[next_at] = static_cast<std::uint8_t>(IpProto::kIpv6Frag);
    p.resize(unfrag + Ipv6FragHeader::kLen);
    fh.emit(MutBytes(p).subspan(unfrag));
    p.insert(p.end(), rest.begin() + static_cast<std::ptrdiff_t>(start),
             rest.begin() + static_cast<std::ptrdiff_t>(end));
    store_be16(p, 4, static_cast<std::uint16_t>(p.size() - Ipv6Repr::kHeaderLen));
    out.push_back(std::move(p));
  }
  return out;
}

bool Flow::is_fragment(Bytes packet) {
  if (packet.empty()) return false;
  if ((packet[0] >> 4) == 4) {
    auto ip = Ipv4Repr::parse(packet, ChecksumCheck::kSkip);
    return ip.ok() && ip->is_fragment();
  }
  auto ip = Ipv6Repr::parse(packet);
  return ip.ok() && ip->frag && !ip->frag->is_atomic();
}

std::optional<ByteVec> Flow::reassemble(std::span<const replay::TimedPacket> fragments) {
  struct Piece {
    std::size_t offset;
    Bytes data;
    bool more;
  };
  std::vector<Piece> pieces;
  std::optional<IpAddr> src, dst;
  std::optional<IpProto> proto;
  std::optional<std::uint32_t> ident;
  for (const replay::TimedPacket& f : fragments) {
    Bytes packet = f.ip;
    if (packet.empty()) return std::nullopt;
    IpAddr s, d;
    IpProto p;
    std::uint32_t id;
    Piece piece;
    if ((packet[0] >> 4) == 4) {
      auto ip = Ipv4Repr::parse(packet, ChecksumCheck::kSkip);
      if (!ip.ok()) return std::nullopt;
      s = IpAddr(ip->src);
      d = IpAddr(ip->dst);
      p = ip->protocol;
      id = ip->ident;
      piece = {ip->frag_offset_bytes(), ip->payload, ip->more_frags};
    } else {
      auto ip = Ipv6Repr::parse(packet);
      if (!ip.ok() || !ip->frag) return std::nullopt;
      s = IpAddr(ip->src);
      d = IpAddr(ip->dst);
      p = ip->upper_proto;
      id = ip->frag->ident;
      piece = {ip->frag->frag_offset_bytes(), ip->upper_payload, ip->frag->more_frags};
    }
    // RFC 791 §3.2 / RFC 8200 §4.5: fragments of one datagram share source, destination,
    // protocol and Identification.
    if (src && (*src != s || *dst != d || *proto != p || *ident != id)) return std::nullopt;
    src = s;
    dst = d;
    proto = p;
    ident = id;
    pieces.push_back(piece);
  }
  std::optional<std::size_t> total;
  for (const Piece& p : pieces) {
    if (!p.more) total = p.offset + p.data.size();
  }
  if (!total) return std::nullopt;
  ByteVec payload(*total, 0);
  std::vector<bool> have(*total, false);
  for (const Piece& p : pieces) {
    if (p.offset + p.data.size() > *total) return std::nullopt;
    std::copy(p.data.begin(), p.data.end(),
              payload.begin() + static_cast<std::ptrdiff_t>(p.offset));
    std::fill(have.begin() + static_cast<std::ptrdiff_t>(p.offset),
              have.begin() + static_cast<std::ptrdiff_t>(p.offset + p.data.size()), true);
  }
  if (std::find(have.begin(), have.end(), false) != have.end()) return std::nullopt;
  return emit_ip(*src, *dst, *proto, payload);
}

std::string Flow::describe(const PacketEvent& ev) {
  std::string pre;
  if (!ev.ext_headers.empty()) {
    for (const ExtHeaderSpec& e : ev.ext_headers) {
      pre += std::string(pre.empty() ? "[" : ",") +
             (e.kind == ExtHeaderSpec::Kind::kHopByHop ? "hbh" : "dstopt");
      if (e.unknown_option) pre += " unknown=" + std::to_string(*e.unknown_option);
    }
    pre += "] ";
  }
  std::string post;
  if (ev.frag) {
    post = " frag " + std::to_string(ev.frag->size);
    if (ev.frag->reverse) post += " reverse";
    if (ev.frag->overlap > 0) post += " overlap " + std::to_string(ev.frag->overlap);
  }
  if (const auto* udp = std::get_if<UdpDatagramSpec>(&ev.packet)) {
    return pre + "udp (" + std::to_string(udp->len) + ")" + post;
  }
  if (const auto* icmp = std::get_if<IcmpErrorSpec>(&ev.packet)) {
    std::string s = std::string(icmp->v6_keyword ? "icmp6 " : "icmp ") + icmp->type_name;
    if (!icmp->code_name.empty()) s += " " + icmp->code_name;
    if (icmp->mtu) s += " mtu " + std::to_string(*icmp->mtu);
    if (!ev.inbound) return s;  // an expected error has no quote
    if (icmp->quoted == IcmpErrorSpec::Quoted::kUdp)
      return s + " [udp (" + std::to_string(icmp->len) + ")]";
    return s + " [" + std::to_string(icmp->seq) + ":" + std::to_string(icmp->seq + icmp->len) +
           "(" + std::to_string(icmp->len) + ")]";
  }
  const auto& s = std::get<TcpSegmentSpec>(ev.packet);
  std::string out = segment_string(s.flags, s.seq, s.len, s.ack, s.win, s.urg);
  if (s.options_kind == TcpSegmentSpec::Options::kAny) out += " <...>";
  if (s.options_kind == TcpSegmentSpec::Options::kListed) {
    out += " " + options_string(s.options, 0, 0);
  }
  return pre + out + post;
}

std::string Flow::describe_got(const TcpRepr& got) const {
  std::uint32_t isn = sut_isn_.value_or(0);
  std::optional<std::uint32_t> ack;
  if (got.has(tcp_flags::kAck)) ack = got.ack.raw() - peer_isn_;
  std::optional<std::uint32_t> urg;
  if (got.has(tcp_flags::kUrg)) urg = got.urgent;
  std::string s =
      segment_string(got.flags, got.seq.raw() - isn, static_cast<std::uint32_t>(got.payload.size()),
                     ack, got.window, urg);
  if (got.options.order_len > 0) {
    s += " " + options_string(got.options, peer_isn_, ts_offset_.value_or(0));
  }
  return s;
}

std::size_t Flow::tcp_payload_len(const replay::TimedPacket& packet) {
  std::optional<IpView> ip = parse_ip(packet.ip);
  if (!ip || ip->proto != IpProto::kTcp) return 0;
  auto tcp = TcpRepr::parse(ip->payload, ip->src, ip->dst, ChecksumCheck::kSkip);
  return tcp.ok() ? tcp->payload.size() : 0;
}

std::string Flow::check_outbound(const PacketEvent& ev,
                                 std::span<const replay::TimedPacket> pieces) {
  std::string want = describe(ev);
  // The SUT fragmented the datagram (RFC 791 §2.3, RFC 8200 §4.5; a 3000-byte UDP datagram
  // on a 1500-byte link): the expectation is about the datagram, so check the reassembled one.
  std::optional<replay::TimedPacket> datagram_packet;
  if (!pieces.empty() && is_fragment(pieces.front().ip)) {
    std::optional<ByteVec> datagram = reassemble(pieces);
    if (!datagram) {
      return "expected " + want + ", got " + std::to_string(pieces.size()) +
             " IP fragments that do not make a whole datagram";
    }
    datagram_packet = replay::TimedPacket{pieces.back().at, true, std::move(*datagram)};
    pieces = std::span<const replay::TimedPacket>(&*datagram_packet, 1);
  }
  std::vector<TcpRepr> segments;
  for (const replay::TimedPacket& packet : pieces) {
    std::optional<IpView> ip = parse_ip(packet.ip);
    if (!ip) return "expected " + want + ", got a packet that does not parse as IP";
    if (ip->src != local_ || ip->dst != remote_) {
      return "expected " + want + " from " + local_.to_string() + " to " + remote_.to_string() +
             ", got a packet from " + ip->src.to_string() + " to " + ip->dst.to_string();
    }
    if (const auto* udp = std::get_if<UdpDatagramSpec>(&ev.packet)) {
      return check_udp(*udp, *ip);
    }
    if (const auto* icmp = std::get_if<IcmpErrorSpec>(&ev.packet)) {
      return check_icmp(*icmp, *ip);
    }
    if (ip->proto != IpProto::kTcp) return "expected " + want + ", got " + proto_name(ip->proto);
    auto got = TcpRepr::parse(ip->payload, ip->src, ip->dst);
    if (!got.ok()) return "expected " + want + ", got a TCP segment that does not parse";
    if (!local_port_) local_port_ = got->src_port;
    if (got->dst_port != remote_port_ || got->src_port != *local_port_) {
      return "expected " + want + " from port " + std::to_string(*local_port_) + " to " +
             std::to_string(remote_port_) + ", got " + describe_got(*got) + " from port " +
             std::to_string(got->src_port) + " to " + std::to_string(got->dst_port);
    }
    segments.push_back(*got);
  }
  const auto& spec = std::get<TcpSegmentSpec>(ev.packet);
  if (segments.size() == 1) return check_tcp(spec, segments[0], "");
  // packetdrill's aggregate_packets(): the last piece's header with the first one's seq (and
  // CWR), carrying every piece's payload; the pieces must follow each other.
  ByteVec payload;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0 && segments[i].seq != segments[i - 1].seq + static_cast<std::uint32_t>(
                                                              segments[i - 1].payload.size())) {
      std::string got;
      for (const TcpRepr& t : segments) got += (got.empty() ? "" : "; ") + describe_got(t);
      return "expected " + want + ", got segments that do not follow each other: " + got;
    }
    payload.insert(payload.end(), segments[i].payload.begin(), segments[i].payload.end());
  }
  TcpRepr whole = segments.back();
  whole.seq = segments.front().seq;
  whole.flags = static_cast<std::uint8_t>((whole.flags & ~tcp_flags::kCwr) |
                                          (segments.front().flags & tcp_flags::kCwr));
  whole.payload = payload;
  return check_tcp(spec, whole, " in " + std::to_string(segments.size()) + " segments");
}

std::string Flow::check_udp(const UdpDatagramSpec& want, const IpView& ip) {
  PacketEvent ev;
  ev.packet = want;
  std::string want_text = describe(ev);
  if (ip.proto != IpProto::kUdp) return "expected " + want_text + ", got " + proto_name(ip.proto);
  auto got = UdpRepr::parse(ip.payload, ip.src, ip.dst);
  if (!got.ok()) return "expected " + want_text + ", got a UDP datagram that does not parse";
  if (!local_port_) local_port_ = got->src_port;
  std::string got_text = "udp (" + std::to_string(got->payload.size()) + ")";
  if (got->dst_port != remote_port_ || got->src_port != *local_port_) {
    return "expected " + want_text + " from port " + std::to_string(*local_port_) + " to " +
           std::to_string(remote_port_) + ", got " + got_text + " from port " +
           std::to_string(got->src_port) + " to " + std::to_string(got->dst_port);
  }
  if (got->payload.size() != want.len) return "expected " + want_text + ", got " + got_text;
  return "";
}

std::string Flow::check_icmp(const IcmpErrorSpec& want, const IpView& ip) {
  PacketEvent ev;
  ev.packet = want;
  std::string want_text = describe(ev);
  IpProto proto = want.v6 ? IpProto::kIcmpv6 : IpProto::kIcmp;
  if (ip.proto != proto) return "expected " + want_text + ", got " + proto_name(ip.proto);
  if (ip.payload.size() < 8) return "expected " + want_text + ", got a truncated ICMP message";
  // The type and code octets lead both ICMP headers (RFC 792, RFC 4443 §2.1).
  std::uint8_t type = ip.payload[0];
  std::uint8_t code = ip.payload[1];
  if (type == want.type && (want.any_code || code == want.code)) return "";
  return "expected " + want_text + ", got ICMP" + std::string(want.v6 ? "v6" : "") + " type " +
         std::to_string(type) + " code " + std::to_string(code);
}

std::string Flow::check_tcp(const TcpSegmentSpec& want, const TcpRepr& got,
                            const std::string& pieces) {
  // packetdrill (run_packet.c): the SUT's SYN or SYN-ACK tells its ISN; script seq there is 0.
  // Every SYN does: a connection that reuses the tuple (a SYN to TIME-WAIT, RFC 6191) has a
  // new ISN, each stack its own.
  if (got.has(tcp_flags::kSyn)) sut_isn_ = got.seq.raw() - want.seq;
  const TcpOptions& o = got.options;
  if (o.timestamps) last_ts_val_ = o.timestamps->val;
  if (!ts_offset_ && o.timestamps && want.options_kind == TcpSegmentSpec::Options::kListed &&
      want.options.timestamps) {
    ts_offset_ = o.timestamps->val - want.options.timestamps->val;
  }
  std::vector<std::string> diffs;
  if (got.flags != want.flags) diffs.push_back("flags");
  // Before any SYN from the SUT (a RST answering a SYN to a closed port) its numbers are
  // compared as they are, as packetdrill does: "> R. 0:0(0) ack 1".
  if (got.seq.raw() - sut_isn_.value_or(0) != want.seq) diffs.push_back("seq");
  if (got.payload.size() != want.len) diffs.push_back("len");
  if (want.ack && (!got.has(tcp_flags::kAck) || got.ack.raw() - peer_isn_ != *want.ack)) {
    diffs.push_back("ack");
  }
  if (want.win && got.window != *want.win) diffs.push_back("win");
  if (want.urg && got.urgent != *want.urg) diffs.push_back("urg");
  switch (want.options_kind) {
    case TcpSegmentSpec::Options::kAny:
      break;
    case TcpSegmentSpec::Options::kNone:
      if (!kinds(o).empty()) diffs.push_back("options");
      break;
    case TcpSegmentSpec::Options::kListed: {
      const TcpOptions& w = want.options;
      bool same = kinds(o) == kinds(w) && o.mss == w.mss && o.window_scale == w.window_scale &&
                  o.sack_permitted == w.sack_permitted && o.sack_count == w.sack_count &&
                  o.timestamps.has_value() == w.timestamps.has_value();
      if (same && o.timestamps && o.timestamps->ecr != w.timestamps->ecr) same = false;
      for (std::uint8_t i = 0; same && i < o.sack_count; ++i) {
        same = o.sack[i].left.raw() - peer_isn_ == w.sack[i].left.raw() &&
               o.sack[i].right.raw() - peer_isn_ == w.sack[i].right.raw();
      }
      if (!same) diffs.push_back("options");
      break;
    }
  }
  if (diffs.empty()) return "";
  std::string list;
  for (const std::string& d : diffs) list += (list.empty() ? "" : ", ") + d;
  PacketEvent ev;
  ev.packet = want;
  return "expected " + describe(ev) + ", got " + describe_got(got) + pieces + " (differs: " + list +
         ")";
}

}  // namespace ustack::scenario
