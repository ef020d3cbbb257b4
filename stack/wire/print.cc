// Whole-packet descriptions (see print.h). Each layer's own to_string()/to_verbose_string()
// does the field formatting; this file only walks the layers and joins the pieces the way
// tcpdump -n does ("IP src.port > dst.port: <transport>").
#include "stack/wire/print.h"

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

class Describer {
 public:
  explicit Describer(const DescribeOptions& opts) : opts_(opts) {}

  PacketDescription run(Bytes packet, LinkLayer link) {
    if (link == LinkLayer::kEthernet) {
      ethernet(packet);
    } else {
      raw_ip(packet, "");
    }
    return std::move(out_);
  }

  PacketDescription run_payload(Bytes payload, EtherType protocol) {
    link_payload(payload, protocol, "");
    return std::move(out_);
  }

 private:
  void ethernet(Bytes frame) {
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
    auto arp = ArpRepr::parse(packet);
    if (!arp) return fail(prefix + "ARP ", "arp", arp.error());
    add_details("arp", arp->to_verbose_string());
    out_.line = prefix + arp->to_string(packet.size());
  }

  void raw_ip(Bytes packet, const std::string& prefix) {
    // The version nibble picks the parser; each parser checks it again.
    if (!packet.empty() && (packet[0] >> 4) == 6) return ipv6(packet, prefix);
    if (!packet.empty() && (packet[0] >> 4) != 4) {
      return fail(prefix + "IP ", "ip", ParseError::kBadVersion);
    }
    ipv4(packet, prefix);
  }

  void ipv4(Bytes packet, const std::string& prefix) {
    auto ip = Ipv4Repr::parse(packet, opts_.checksums);
    if (!ip) return fail(prefix + "IP ", "ipv4", ip.error());
    add_details("ipv4", ip->to_verbose_string());
    IpContext ctx;
    ctx.family = "IP";
    ctx.src = ip->src;
    ctx.dst = ip->dst;
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
    auto ip = Ipv6Repr::parse(packet);
    if (!ip) return fail(prefix + "IP6 ", "ipv6", ip.error());
    add_details("ipv6", ip->to_verbose_string());
    IpContext ctx;
    ctx.family = "IP6";
    ctx.src = ip->src;
    ctx.dst = ip->dst;
    for (const Ipv6ExtHeader& h : ip->ext_headers()) {
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
    const ChecksumCheck check = ctx.partial ? ChecksumCheck::kSkip : opts_.checksums;
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
    auto seg = TcpRepr::parse(data, ctx.src, ctx.dst, check);
    if (!seg) return transport_failed("tcp", seg.error(), "TCP", data, ctx);
    if (opts_.relative_seqs != nullptr) opts_.relative_seqs->apply(ctx.src, ctx.dst, *seg);
    add_details("tcp", seg->to_verbose_string());
    out_.line = prefix_ + ctx.with_ports(seg->src_port, seg->dst_port) + ctx.ext +
                seg->to_string() + ctx.frag;
  }

  void udp(Bytes data, const IpContext& ctx, ChecksumCheck check) {
    auto dgram = UdpRepr::parse(data, ctx.src, ctx.dst, check);
    if (!dgram) return transport_failed("udp", dgram.error(), "UDP", data, ctx);
    add_details("udp", dgram->to_verbose_string());
    const std::string head = prefix_ + ctx.with_ports(dgram->src_port, dgram->dst_port) + ctx.ext;
    const bool dns_port = dgram->src_port == kDnsPort || dgram->dst_port == kDnsPort;
    if (dns_port && !ctx.partial) {
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
    auto icmp = Icmpv4Repr::parse(data, check);
    if (!icmp) return fail(prefix_ + ctx.addresses() + ctx.ext, "icmp", icmp.error());
    add_details("icmp", icmp->to_verbose_string());
    out_.line = prefix_ + ctx.addresses() + ctx.ext + icmp->to_string() + ctx.frag;
  }

  // IGMP (RFC 2236, RFC 3376) as tcpdump shows it: "igmp v2 report 239.1.2.3". Its checksum
  // covers the message alone (no pseudo header), so it does not care which IP carried it.
  void igmp(Bytes data, const IpContext& ctx, ChecksumCheck check) {
    const std::string head = prefix_ + ctx.addresses() + ctx.ext;
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
    auto icmp = Icmpv6Repr::parse(data, ctx.src.v6(), ctx.dst.v6(), check);
    if (!icmp) return fail(head, "icmp6", icmp.error());
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
  std::string prefix_;  // "vlan 5, " for a tagged frame
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
