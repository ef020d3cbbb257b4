// Whole-packet descriptions (see print.h). Each layer's own to_string()/to_verbose_string()
// does the field formatting; this file only walks the layers and joins the pieces the way
// tcpdump -n does ("IP src.port > dst.port: <transport>").
#include "stack/wire/print.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "stack/base/addr.h"
#include "stack/wire/arp.h"
#include "stack/wire/dns.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/igmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/mld.h"
#include "stack/wire/ndp.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace ustack {
namespace {

constexpr std::uint16_t kDnsPort = 53;

// The ICMPv6 types MldRepr reads (RFC 2710 §3, RFC 3810 §5).
bool is_mld(Icmpv6Type t) {
  return t == Icmpv6Type::kMldQuery || t == Icmpv6Type::kMldReport || t == Icmpv6Type::kMldDone ||
         t == Icmpv6Type::kMldv2Report;
}

std::string endpoint(const IpAddr& addr, std::uint16_t port) {
  return addr.to_string() + "." + std::to_string(port);
}

// The IP part of a line: what the packet is, where it goes, and (for IPv6) the extension
// headers the walk went through, in tcpdump's words.
struct IpContext {
  const char* family = "IP";  // "IP" or "IP6"
  IpAddr src;
  IpAddr dst;
  std::string ext;       // "HBH DSTOPT " (IPv6 extension headers, tcpdump's names)
  std::string frag;      // " (frag 4660:1480@0+)" when the packet is a fragment
  bool partial = false;  // a first fragment: the transport header is there, its checksum is not
                         // checkable and its length fields describe the whole datagram

  std::string addresses() const {
    return std::string(family) + " " + src.to_string() + " > " + dst.to_string() + ": ";
  }
  std::string with_ports(std::uint16_t sport, std::uint16_t dport) const {
    return std::string(family) + " " + endpoint(src, sport) + " > " + endpoint(dst, dport) + ": ";
  }
};

// The fixed part of an ICMPv6 message of type `t`, what tcpdump needs before it prints more
// than the type's name (RFC 4443 §4, RFC 4861 §4, RFC 2710 §3, RFC 3810 §5.2).
std::size_t icmpv6_fixed_len(Icmpv6Type t) {
  switch (t) {
    case Icmpv6Type::kNeighborSolicit:
    case Icmpv6Type::kNeighborAdvert:
    case Icmpv6Type::kMldQuery:
    case Icmpv6Type::kMldReport:
    case Icmpv6Type::kMldDone:
      return 24;
    case Icmpv6Type::kRouterAdvert:
      return 16;
    case Icmpv6Type::kRouterSolicit:
      return 4;  // nothing but the reserved field follows: tcpdump needs only the type
    case Icmpv6Type::kRedirect:
      return 40;
    default:
      // An error's type and code name it (its quote is checked apart); echo needs id and seq.
      return static_cast<std::uint8_t>(t) < 128 ? 2 : 8;
  }
}

// tcpdump's name of an IPv6 extension header in its "[|NAME]" mark.
const char* ext_header_mark(IpProto type) {
  switch (type) {
    case IpProto::kHopByHop:
      return "hbhopt";
    case IpProto::kIpv6Opts:
      return "dstopt";
    case IpProto::kIpv6Route:
      return "srcrt";
    default:
      return "frag6";
  }
}

// tcpdump's name of TCP option `kind` (print-tcp.c), printed before an option cut short.
std::string tcp_option_name(std::uint8_t kind) {
  switch (kind) {
    case 2:
      return "mss";
    case 3:
      return "wscale";
    case 4:
      return "sackOK";
    case 5:
      return "sack";
    case 8:
      return "TS";
    default:
      return "unknown-" + std::to_string(kind);
  }
}

class Describer {
 public:
  explicit Describer(const DescribeOptions& opts) : opts_(opts), checksums_(opts.checksums) {}

  PacketDescription run(Bytes packet, LinkLayer link) {
    packet = hold(packet);
    if (link == LinkLayer::kEthernet) {
      ethernet(packet);
    } else {
      raw_ip(packet, "");
    }
    return std::move(out_);
  }

  PacketDescription run_payload(Bytes payload, EtherType protocol) {
    payload = hold(payload);
    link_payload(payload, protocol, "");
    return std::move(out_);
  }

 private:
  // A packet cut by the snapshot length is decoded from a copy filled up to its wire length
  // with zeros, each layer first asking whether its header was captured (`cut`); the lengths
  // are then the wire's. Checksums cover octets we do not have: not checked.
  Bytes hold(Bytes packet) {
    base_ = packet;
    if (opts_.wire_len <= packet.size()) return packet;
    padded_.assign(packet.begin(), packet.end());
    padded_.resize(opts_.wire_len, 0);
    base_ = Bytes(padded_);
    captured_ = packet.size();
    checksums_ = ChecksumCheck::kSkip;
    return base_;
  }

  // The octets of `layer` the capture holds.
  std::size_t held(Bytes layer) const {
    if (layer.empty()) return 0;
    const auto at = static_cast<std::size_t>(layer.data() - base_.data());
    return captured_ <= at ? 0 : std::min(layer.size(), captured_ - at);
  }
  // True when the snapshot length cut the packet and fewer than `need` octets of `layer` were
  // captured (a packet short in itself is the parsers' to reject).
  bool cut(Bytes layer, std::size_t need) const {
    return captured_ != SIZE_MAX && held(layer) < need;
  }
  // tcpdump's mark for a packet cut inside `layer`: what was decoded, then " [|tcp]".
  void truncated(const std::string& head, const char* layer) {
    out_.line = head + " [|" + layer + "]";
  }

  void ethernet(Bytes frame) {
    if (cut(frame, 14)) return truncated("", "ether");
    auto eth = EthernetRepr::parse(frame);
    if (!eth) return fail("", "ethernet", eth.error());
    add_details("ethernet", eth->to_verbose_string());
    std::string vlan;
    if (eth->vlan_tci) vlan = "vlan " + std::to_string(eth->vlan_id()) + ", ";
    switch (eth->ethertype) {
      case EtherType::kArp:
      case EtherType::kIpv4:
      case EtherType::kIpv6:
        return link_payload(eth->payload, eth->ethertype, vlan);
      default:
        out_.line = vlan + eth->to_string();
    }
  }

  void link_payload(Bytes payload, EtherType protocol, const std::string& prefix) {
    switch (protocol) {
      case EtherType::kArp:
        return arp(payload, prefix);
      case EtherType::kIpv4:
        return ipv4(payload, prefix);
      case EtherType::kIpv6:
        return ipv6(payload, prefix);
      default:
        out_.line = prefix + "ethertype " + ethertype_name(protocol) + ", length " +
                    std::to_string(payload.size());
    }
  }

  void arp(Bytes packet, const std::string& prefix) {
    if (cut(packet, 28)) return truncated(prefix, "arp");  // RFC 826 over Ethernet and IPv4
    auto arp = ArpRepr::parse(packet);
    if (!arp) return fail(prefix + "ARP ", "arp", arp.error());
    add_details("arp", arp->to_verbose_string());
    out_.line = prefix + arp->to_string(packet.size());
  }

  void raw_ip(Bytes packet, const std::string& prefix) {
    // The version nibble picks the parser; each parser checks it again.
    if (cut(packet, 1)) return truncated(prefix, "ip");
    if (!packet.empty() && (packet[0] >> 4) == 6) return ipv6(packet, prefix);
    if (!packet.empty() && (packet[0] >> 4) != 4) {
      return fail(prefix + "IP ", "ip", ParseError::kBadVersion);
    }
    ipv4(packet, prefix);
  }

  void ipv4(Bytes packet, const std::string& prefix) {
    if (cut(packet, 20)) return truncated(prefix + "IP ", "ip");
    auto ip = Ipv4Repr::parse(packet, checksums_);
    if (!ip) return fail(prefix + "IP ", "ipv4", ip.error());
    add_details("ipv4", ip->to_verbose_string());
    IpContext ctx;
    ctx.family = "IP";
    ctx.src = ip->src;
    ctx.dst = ip->dst;
    if (cut(packet, ip->header_len())) {  // its options: tcpdump's words
      char buf[80];
      std::snprintf(buf, sizeof buf, " [remaining caplen(%zu) < header length(%zu)]", held(packet),
                    ip->header_len());
      return truncated(prefix + ctx.addresses() + buf, "ip");
    }
    if (ip->is_fragment()) {
      // tcpdump -v's form: (frag ident:length@offset+), '+' while more fragments follow.
      char buf[64];
      std::snprintf(buf, sizeof buf, " (frag %u:%zu@%zu%s)", ip->ident, ip->payload_len,
                    ip->frag_offset_bytes(), ip->more_frags ? "+" : "");
      ctx.frag = buf;
      ctx.partial = true;
    }
    prefix_ = prefix;
    if (ip->frag_offset != 0) {
      // RFC 791: only the first fragment holds the transport header.
      out_.line = prefix_ + ctx.addresses() + ip_proto_name(ip->protocol) + ctx.frag;
      return;
    }
    transport(ip->protocol, ip->payload, ctx);
  }

  void ipv6(Bytes packet, const std::string& prefix) {
    if (cut(packet, 40)) return truncated(prefix, "ip6");
    auto ip = Ipv6Repr::parse(packet);
    if (!ip) return fail(prefix + "IP6 ", "ipv6", ip.error());
    add_details("ipv6", ip->to_verbose_string());
    IpContext ctx;
    ctx.family = "IP6";
    ctx.src = ip->src;
    ctx.dst = ip->dst;
    for (const Ipv6ExtHeader& h : ip->ext_headers()) {
      if (cut(packet, std::size_t{h.offset} + h.len)) {
        return truncated(prefix + ctx.addresses() + ctx.ext, ext_header_mark(h.type));
      }
      switch (h.type) {
        case IpProto::kHopByHop:
          ctx.ext += "HBH ";
          break;
        case IpProto::kIpv6Opts:
          ctx.ext += "DSTOPT ";
          break;
        case IpProto::kIpv6Route:
          ctx.ext += "srcrt ";
          break;
        case IpProto::kIpv6Frag:
          break;  // shown with its fields below
        default:
          ctx.ext += "ext-" + std::to_string(static_cast<unsigned>(h.type)) + " ";
      }
    }
    prefix_ = prefix;
    if (ip->frag) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "frag (0x%08x:%zu@%zu%s) ", ip->frag->ident,
                    ip->upper_payload.size(), ip->frag->frag_offset_bytes(),
                    ip->frag->more_frags ? "+" : "");
      ctx.ext += buf;
      ctx.partial = !ip->frag->is_atomic();
      if (ip->frag->frag_offset != 0) {
        // RFC 8200 §4.5: only the first fragment holds the upper-layer header.
        out_.line = prefix_ + ctx.addresses() + ctx.ext + ip_proto_name(ip->upper_proto);
        return;
      }
    }
    if (ip->unknown_header) {
      out_.line = prefix_ + ctx.addresses() + ctx.ext + "ip-proto-" +
                  std::to_string(ip->unknown_header->type) + ", length " +
                  std::to_string(ip->upper_payload.size());
      return;
    }
    transport(ip->upper_proto, ip->upper_payload, ctx);
  }

  void transport(IpProto proto, Bytes data, const IpContext& ctx) {
    // In a first fragment the checksum covers bytes we do not have: describe, don't verify.
    const ChecksumCheck check = ctx.partial ? ChecksumCheck::kSkip : checksums_;
    switch (proto) {
      case IpProto::kTcp:
        return tcp(data, ctx, check);
      case IpProto::kUdp:
        return udp(data, ctx, check);
      case IpProto::kIcmp:
        return icmpv4(data, ctx, check);
      case IpProto::kIcmpv6:
        return icmpv6(data, ctx, check);
      case IpProto::kIgmp:
        return igmp(data, ctx, check);
      case IpProto::kIpv6NoNext:
        out_.line = prefix_ + ctx.addresses() + ctx.ext + "no next header" + ctx.frag;
        return;
      default:
        out_.line = prefix_ + ctx.addresses() + ctx.ext + ip_proto_name(proto) + ", length " +
                    std::to_string(data.size()) + ctx.frag;
    }
  }

  void tcp(Bytes data, const IpContext& ctx, ChecksumCheck check) {
    // Cut before the ports, or inside the fixed header: what tcpdump prints then.
    if (cut(data, 4)) {  // tcpdump: one space before the mark here, not two
      out_.line = prefix_ + ctx.addresses() + ctx.ext + "[|tcp]";
      return;
    }
    if (cut(data, TcpRepr::kMinHeaderLen)) {
      return truncated(prefix_ + ctx.with_ports(load_be16(data, 0), load_be16(data, 2)) + ctx.ext,
                       "tcp");
    }
    // Cut inside the options: the options captured whole, as an option list ending there.
    // (A segment short in itself - not cut - is the parser's to reject: don't read past it.)
    const std::size_t header_len =
        data.size() >= TcpRepr::kMinHeaderLen ? static_cast<std::size_t>(data[12] >> 4) * 4 : 0;
    const bool options_cut = header_len != 0 && cut(data, header_len);
    ByteVec shown;
    std::string partial_option;  // the option cut short, named when its kind and length are there
    if (options_cut) {
      shown.assign(data.begin(), data.end());
      const std::size_t at = end_options_at_cut(shown, held(data), header_len);
      if (at + 2 <= held(data) && at < header_len) partial_option = tcp_option_name(data[at]);
      data = Bytes(shown);
    }
    auto seg = TcpRepr::parse(data, ctx.src, ctx.dst, check);
    if (!seg) return transport_failed("tcp", seg.error(), "TCP", data, ctx);
    if (opts_.relative_seqs != nullptr) opts_.relative_seqs->apply(ctx.src, ctx.dst, *seg);
    add_details("tcp", seg->to_verbose_string());
    const std::string head = prefix_ + ctx.with_ports(seg->src_port, seg->dst_port) + ctx.ext;
    std::string text = seg->to_string();
    if (options_cut) {
      // "Flags [S], seq 1, win 64240, options [mss 1460,sackOK, [|tcp]"
      const std::size_t at = text.find(", options [");
      std::string list;
      if (at != std::string::npos) {
        list = text.substr(at + 11, text.find(']', at + 11) - (at + 11));
        text.erase(at);
      }
      // The EOL that stands for the options not captured is not one of them.
      if (list.size() >= 3 && list.compare(list.size() - 3, 3, "eol") == 0) {
        list.erase(list.size() - (list.size() > 3 ? 4 : 3));
      }
      // An option cut after its kind and length: tcpdump names it and closes with '>'.
      if (!partial_option.empty()) {
        out_.line = head + text + ", options [" + list + (list.empty() ? "" : ",") +
                    partial_option + " [|tcp]>";
        return;
      }
      return truncated(head + text + ", options [" + list + (list.empty() ? "" : ","), "tcp");
    }
    out_.line = head + text + ctx.frag;
  }

  // Overwrites with EOL (RFC 9293 §3.2: kind 0 ends the list) every TCP option from the first
  // one the capture (`held` octets of the segment) does not hold whole, so only the captured
  // ones are listed.
  // Returns where the first such option starts.
  static std::size_t end_options_at_cut(ByteVec& seg, std::size_t held, std::size_t header_len) {
    std::size_t at = TcpRepr::kMinHeaderLen;
    while (at < header_len) {
      const std::uint8_t kind = seg[at];
      if (kind == 0) break;
      const std::size_t len =
          kind == 1 ? 1 : (at + 1 < held ? std::max<std::size_t>(seg[at + 1], 2) : 2);
      if (at + len > held) break;
      at += len;
    }
    std::fill(seg.begin() + static_cast<std::ptrdiff_t>(std::min(at, header_len)),
              seg.begin() + static_cast<std::ptrdiff_t>(header_len), 0);
    return at;
  }

  void udp(Bytes data, const IpContext& ctx, ChecksumCheck check) {
    if (cut(data, UdpRepr::kHeaderLen)) {
      const std::string head =
          cut(data, 4) ? ctx.addresses() : ctx.with_ports(load_be16(data, 0), load_be16(data, 2));
      return truncated(prefix_ + head + ctx.ext, "udp");
    }
    auto dgram = UdpRepr::parse(data, ctx.src, ctx.dst, check);
    if (!dgram) return transport_failed("udp", dgram.error(), "UDP", data, ctx);
    add_details("udp", dgram->to_verbose_string());
    const std::string head = prefix_ + ctx.with_ports(dgram->src_port, dgram->dst_port) + ctx.ext;
    const bool dns_port = dgram->src_port == kDnsPort || dgram->dst_port == kDnsPort;
    if (dns_port && !ctx.partial) {
      if (cut(dgram->payload, dgram->payload.size())) return truncated(head, "domain");
      auto msg = DnsMessage::parse(dgram->payload);
      if (!msg) return fail(head, "dns", msg.error());
      add_details("dns", msg->to_verbose_string());
      out_.line = head + "DNS " + msg->to_string() + " (" + std::to_string(dgram->payload.size()) +
                  ")" + ctx.frag;
      return;
    }
    out_.line = head + "UDP, length " + std::to_string(dgram->payload.size()) + ctx.frag;
  }

  void icmpv4(Bytes data, const IpContext& ctx, ChecksumCheck check) {
    if (cut(data, 8)) return truncated(prefix_ + ctx.addresses() + ctx.ext, "icmp");
    // An error quotes the datagram it is about: its IP header and first 8 octets (RFC 792).
    const std::uint8_t type = data.empty() ? 0 : data[0];  // empty and not cut: parse rejects
    const bool error = type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    if (error && cut(data, 8 + 20 + 8)) {
      return truncated(prefix_ + ctx.addresses() + ctx.ext, "icmp");
    }
    auto icmp = Icmpv4Repr::parse(data, check);
    if (!icmp) return fail(prefix_ + ctx.addresses() + ctx.ext, "icmp", icmp.error());
    add_details("icmp", icmp->to_verbose_string());
    out_.line = prefix_ + ctx.addresses() + ctx.ext + icmp->to_string() + ctx.frag;
  }

  // IGMP (RFC 2236, RFC 3376) as tcpdump shows it: "igmp v2 report 239.1.2.3". Its checksum
  // covers the message alone (no pseudo header), so it does not care which IP carried it.
  void igmp(Bytes data, const IpContext& ctx, ChecksumCheck check) {
    const std::string head = prefix_ + ctx.addresses() + ctx.ext;
    if (cut(data, 8)) return truncated(head, "igmp");
    auto igmp = IgmpRepr::parse(data, check);
    if (!igmp) {
      // A first fragment may hold only part of a report's records: not an error of the packet.
      if (ctx.partial) {
        out_.line = head + "IGMP" + ctx.frag;
        return;
      }
      return fail(head, "igmp", igmp.error());
    }
    add_details("igmp", igmp->to_verbose_string());
    out_.line = head + igmp->to_string() + ctx.frag;
  }

  void icmpv6(Bytes data, const IpContext& ctx, ChecksumCheck check) {
    const std::string head = prefix_ + ctx.addresses() + ctx.ext;
    if (!ctx.src.is_v6()) {
      // ICMPv6 inside IPv4 has no pseudo header to check against.
      out_.line = head + "ICMP6 over IPv4, length " + std::to_string(data.size()) + ctx.frag;
      return;
    }
    if (cut(data, 4)) return truncated(head, "icmp6");
    const auto type = static_cast<Icmpv6Type>(data.empty() ? 0 : data[0]);
    if (cut(data, icmpv6_fixed_len(type))) {
      return truncated(head + "ICMP6, " + ustack::to_string(type), "icmp6");
    }
    // An error quotes the packet it is about (RFC 4443 §2.4): without that packet's IPv6
    // header and ports, the error's own words only.
    if (static_cast<std::uint8_t>(type) < 128 && cut(data, 8 + 40 + 8)) {
      auto bare = Icmpv6Repr::parse(data.first(8), ctx.src.v6(), ctx.dst.v6(), check);
      if (bare) {
        std::string text = bare->to_string();
        text.erase(text.rfind(", length "));
        return truncated(head + text, "icmp6");
      }
    }
    auto icmp = Icmpv6Repr::parse(data, ctx.src.v6(), ctx.dst.v6(), check);
    if (!icmp) return fail(head, "icmp6", icmp.error());
    if (icmp->is_ndp() && cut(data, data.size())) return ndp_cut(data, *icmp, ctx, head);
    if (icmp->is_ndp()) {
      auto ndp = NdpRepr::parse(*icmp, ctx.src.v6(), ctx.dst.v6());
      if (!ndp) return fail(head, "ndp", ndp.error());
      add_details("ndp", ndp->to_verbose_string());
      out_.line = head + ndp->to_string() + ctx.frag;
      return;
    }
    if (is_mld(icmp->type)) {
      // MLD (RFC 2710, RFC 3810), usually behind a Hop-by-Hop Router Alert ("HBH " above).
      // The checksum was verified with the ICMPv6 header.
      auto mld = MldRepr::parse(data, ctx.src.v6(), ctx.dst.v6(), ChecksumCheck::kSkip);
      if (!mld && ctx.partial) {
        // A first fragment may hold only part of a report's records: not an error of the packet.
        out_.line = head + icmp->to_string() + ctx.frag;
        return;
      }
      if (!mld) return fail(head, "mld", mld.error());
      add_details("mld", mld->to_verbose_string());
      out_.line = head + "ICMP6, " + mld->to_string() + ", length " + std::to_string(data.size()) +
                  ctx.frag;
      return;
    }
    add_details("icmp6", icmp->to_verbose_string());
    out_.line = head + icmp->to_string() + ctx.frag;
  }

  // NDP with options cut short (RFC 4861 §4.6: each a multiple of 8 octets): the message and
  // the options captured whole; the length is the wire's.
  void ndp_cut(Bytes data, const Icmpv6Repr& icmp, const IpContext& ctx, const std::string& head) {
    const std::size_t captured = held(data);
    std::size_t end = std::max<std::size_t>(icmpv6_fixed_len(icmp.type), 8);
    while (end + 2 <= captured && data[end + 1] != 0 && end + data[end + 1] * 8u <= captured) {
      end += data[end + 1] * 8u;
    }
    auto whole = Icmpv6Repr::parse(data.first(end), ctx.src.v6(), ctx.dst.v6(), checksums_);
    if (!whole) return fail(head, "icmp6", whole.error());
    auto ndp = NdpRepr::parse(*whole, ctx.src.v6(), ctx.dst.v6());
    if (!ndp) return fail(head, "ndp", ndp.error());
    add_details("ndp", ndp->to_verbose_string());
    std::string text = ndp->to_string();
    if (const std::size_t at = text.rfind(", length "); at != std::string::npos) {
      text = text.substr(0, at) + ", length " + std::to_string(data.size());
    }
    out_.line = head + text + ctx.frag;
  }

  // A TCP/UDP header that did not parse. In a first fragment the length fields describe the
  // whole datagram, so a length complaint is expected there and not an error of the packet.
  // The ports still show: both protocols start with them.
  void transport_failed(const char* layer, ParseError e, const char* name, Bytes data,
                        const IpContext& ctx) {
    if (ctx.partial) {
      const std::string head = data.size() >= 4
                                   ? ctx.with_ports(load_be16(data, 0), load_be16(data, 2))
                                   : ctx.addresses();
      out_.line = prefix_ + head + ctx.ext + name + ctx.frag;
      return;
    }
    fail(prefix_ + ctx.addresses() + ctx.ext, layer, e);
  }

  void fail(const std::string& head, const char* layer, ParseError e) {
    out_.error = LayerError{layer, e};
    out_.line = head + "[" + out_.error->to_string() + "]";
  }

  void add_details(const char* layer, const std::string& verbose) {
    if (!opts_.verbose) return;
    out_.details += "  [";
    out_.details += layer;
    out_.details += "]\n";
    std::string_view rest = verbose;
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      out_.details += "    ";
      out_.details += line;
      out_.details += '\n';
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
  }

  const DescribeOptions& opts_;
  ChecksumCheck checksums_;
  Bytes base_;                       // the packet (padded_ when it was cut)
  ByteVec padded_;                   // a cut packet, zeros up to its wire length
  std::size_t captured_ = SIZE_MAX;  // octets of base_ the capture holds
  std::string prefix_;               // "vlan 5, " for a tagged frame
  PacketDescription out_;
};

}  // namespace

std::string LayerError::to_string() const { return layer + ": " + ustack::to_string(reason); }

PacketDescription describe_packet(Bytes packet, LinkLayer link, const DescribeOptions& opts) {
  return Describer(opts).run(packet, link);
}

PacketDescription describe_link_payload(Bytes payload, EtherType protocol,
                                        const DescribeOptions& opts) {
  return Describer(opts).run_payload(payload, protocol);
}

}  // namespace ustack
