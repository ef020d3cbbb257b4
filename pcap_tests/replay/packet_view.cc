#include "pcap_tests/replay/packet_view.h"

#include "stack/base/checksum.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"

namespace ustack::replay {

std::optional<PacketView> view_packet(Bytes ip) {
  if (ip.empty()) return std::nullopt;
  PacketView v;
  const unsigned version = ip[0] >> 4u;
  if (version == 4) {
    auto r = Ipv4Repr::parse(ip, ChecksumCheck::kSkip);
    if (!r || r->frag_offset != 0 || r->more_frags) return std::nullopt;  // fragments: not yet
    v.src = r->src;
    v.dst = r->dst;
    v.proto = r->protocol;
    v.l4 = r->payload;
  } else if (version == 6) {
    auto r = Ipv6Repr::parse(ip);
    if (!r || r->frag) return std::nullopt;
    v.src = r->src;
    v.dst = r->dst;
    v.proto = r->upper_proto;
    v.l4 = r->upper_payload;
  } else {
    return std::nullopt;
  }
  v.l4_offset = static_cast<std::size_t>(v.l4.data() - ip.data());
  if (v.proto == IpProto::kTcp) {
    auto t = TcpRepr::parse(v.l4, v.src, v.dst, ChecksumCheck::kSkip);
    if (!t) return std::nullopt;
    v.checksum_ok = TcpRepr::parse(v.l4, v.src, v.dst, ChecksumCheck::kVerify).ok();
    v.src_port = t->src_port;
    v.dst_port = t->dst_port;
    v.tcp = *t;
  } else if (v.proto == IpProto::kUdp) {
    auto u = UdpRepr::parse(v.l4, v.src, v.dst, ChecksumCheck::kSkip);
    if (!u) return std::nullopt;
    v.checksum_ok = UdpRepr::parse(v.l4, v.src, v.dst, ChecksumCheck::kVerify).ok();
    v.src_port = u->src_port;
    v.dst_port = u->dst_port;
    v.udp = *u;
  } else {
    return std::nullopt;
  }
  return v;
}

void refresh_l4_checksum(MutBytes ip, const PacketView& v) {
  MutBytes l4 = ip.subspan(v.l4_offset, v.l4.size());
  if (v.proto == IpProto::kTcp) {
    TcpRepr::fill_checksum(l4, v.src, v.dst, ChecksumMode::kCompute);
    return;
  }
  // UDP: zero, sum over the pseudo header and datagram, 0 sent as 0xffff (RFC 768).
  l4[6] = 0;
  l4[7] = 0;
  std::uint32_t acc = pseudo_header_sum(v.src, v.dst, static_cast<std::uint8_t>(IpProto::kUdp),
                                        static_cast<std::uint32_t>(l4.size()));
  std::uint16_t sum = checksum_finish(checksum_add(acc, l4));
  if (sum == 0) sum = 0xffff;
  l4[6] = static_cast<std::uint8_t>(sum >> 8);
  l4[7] = static_cast<std::uint8_t>(sum & 0xff);
}

std::optional<IcmpErrorView> view_icmp_error(Bytes ip) {
  if (ip.empty()) return std::nullopt;
  IcmpErrorView v;
  Bytes icmp;
  if ((ip[0] >> 4u) == 4) {
    auto r = Ipv4Repr::parse(ip, ChecksumCheck::kSkip);
    if (!r || r->protocol != IpProto::kIcmp || r->frag_offset != 0 || r->more_frags) {
      return std::nullopt;
    }
    auto m = Icmpv4Repr::parse(r->payload, ChecksumCheck::kSkip);
    if (!m || !m->is_error()) return std::nullopt;
    auto q = m->quote();
    if (!q) return std::nullopt;
    v.src = r->src;
    v.dst = r->dst;
    icmp = r->payload;
    v.quoted_src = q->src;
    v.quoted_dst = q->dst;
    v.quoted_proto = q->proto;
    v.quoted_transport_offset = static_cast<std::size_t>(q->transport.data() - ip.data());
  } else if ((ip[0] >> 4u) == 6) {
    auto r = Ipv6Repr::parse(ip);
    if (!r || r->upper_proto != IpProto::kIcmpv6 || r->frag) return std::nullopt;
    auto m = Icmpv6Repr::parse(r->upper_payload, r->src, r->dst, ChecksumCheck::kSkip);
    if (!m || !m->is_error()) return std::nullopt;
    auto q = Icmpv6Quote::parse(m->data);
    if (!q) return std::nullopt;
    v.src = r->src;
    v.dst = r->dst;
    icmp = r->upper_payload;
    v.quoted_src = q->src;
    v.quoted_dst = q->dst;
    v.quoted_proto = q->proto;
    v.quoted_transport_offset = static_cast<std::size_t>(q->transport.data() - ip.data());
  } else {
    return std::nullopt;
  }
  if (v.quoted_proto != IpProto::kTcp && v.quoted_proto != IpProto::kUdp) return std::nullopt;
  if (v.quoted_transport_offset + 4 > ip.size()) return std::nullopt;
  v.icmp_offset = static_cast<std::size_t>(icmp.data() - ip.data());
  v.icmp_len = icmp.size();
  v.quoted_src_port = load_be16(ip, v.quoted_transport_offset);
  v.quoted_dst_port = load_be16(ip, v.quoted_transport_offset + 2);
  return v;
}

void refresh_icmp_checksum(MutBytes ip, const IcmpErrorView& v) {
  MutBytes icmp = ip.subspan(v.icmp_offset, v.icmp_len);
  icmp[2] = icmp[3] = 0;
  std::uint32_t acc = 0;
  if (v.src.is_v6()) {
    acc = pseudo_header_sum(v.src, v.dst, static_cast<std::uint8_t>(IpProto::kIcmpv6),
                            static_cast<std::uint32_t>(icmp.size()));
  }
  store_be16(icmp, 2, checksum_finish(checksum_add(acc, icmp)));
}

}  // namespace ustack::replay
