// Packets built by OUR emitters, read back by Wireshark's dissectors.
//
// Every wire format (Ethernet, ARP, IPv4 with options and fragments, IPv6 with extension
// headers and fragments, ICMPv4, ICMPv6 with NDP, IGMP, MLD, UDP, TCP with every option, DNS) is
// emitted into a pcap with tun::PcapWriter; tshark then
//   - must find no malformed packet and no expert info of severity warning or error, with
//     every checksum check turned on (IP, TCP, UDP; ICMP/ICMPv6 are always checked);
//   - must report every checksum as good (*.checksum.status == 1);
//   - must decode the fields we set to the values we set, packet by packet.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "pcap_tests/run_command.h"
#include "stack/base/addr.h"
#include "stack/base/bytes.h"
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
#include "stack/wire/print.h"
#include "stack/wire/tcp.h"
#include "stack/wire/test_packets.h"
#include "stack/wire/udp.h"
#include "tun/pcap_file.h"

namespace ustack {
namespace {

const Ipv6Addr kLinkLocalB = *Ipv6Addr::parse("fe80::2");

// One emitted frame and what tshark must read in it (field -> first occurrence).
struct Case {
  std::string what;
  ByteVec frame;
  std::vector<std::pair<std::string, std::string>> expect;
};

// --- Layer builders: each returns the bytes OUR emitter wrote ------------------------------

ByteVec ethernet(EtherType type, Bytes payload, const MacAddr& dst = kMacB) {
  return emit_ethernet(dst, kMacA, type, payload);
}

Ipv4Repr ipv4_header(IpProto proto, std::size_t payload_len) {
  Ipv4Repr ip;
  ip.src = kV4A;
  ip.dst = kV4B;
  ip.protocol = proto;
  ip.ttl = 64;
  ip.ident = 0x4242;
  ip.payload_len = payload_len;
  return ip;
}

ByteVec ipv4(const Ipv4Repr& ip, Bytes payload) {
  return ethernet(EtherType::kIpv4, emit_ipv4(ip, payload));
}

// `payload` starts with whatever `next` names (an extension header or the upper layer).
ByteVec ipv6(IpProto next, Bytes payload, const Ipv6Addr& src = kV6A, const Ipv6Addr& dst = kV6B,
             std::uint8_t hop_limit = 64) {
  Ipv6Repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.next_header = next;
  ip.hop_limit = hop_limit;
  ip.flow_label = 0x12345;
  MacAddr dst_mac = dst.is_multicast() ? dst.multicast_mac() : kMacB;
  return ethernet(EtherType::kIpv6, emit_ipv6(ip, payload), dst_mac);
}

ByteVec concat(Bytes a, Bytes b) {
  ByteVec out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// --- The cases ------------------------------------------------------------------------------

std::vector<Case> arp_cases() {
  ArpRepr req = ArpRepr::request(kMacA, kV4A, kV4B);
  ByteVec a(req.buffer_len());
  req.emit(a);
  ArpRepr rep = ArpRepr::reply_to(req, kMacB);
  ByteVec b(rep.buffer_len());
  rep.emit(b);
  return {
      {"ARP request",
       ethernet(EtherType::kArp, a, MacAddr::broadcast()),
       {{"eth.type", "0x0806"},
        {"arp.opcode", "1"},
        {"arp.src.hw_mac", "02:00:c6:12:00:01"},
        {"arp.src.proto_ipv4", "198.18.0.1"},
        {"arp.dst.proto_ipv4", "198.18.0.2"}}},
      {"ARP reply",
       ethernet(EtherType::kArp, b),
       {{"arp.opcode", "2"},
        {"arp.src.hw_mac", "02:00:c6:12:00:02"},
        {"arp.src.proto_ipv4", "198.18.0.2"},
        {"arp.dst.hw_mac", "02:00:c6:12:00:01"}}},
  };
}

std::vector<Case> ipv4_cases() {
  std::vector<Case> cases;
  // RFC 2113 router alert and RFC 791 record route (3 empty slots), then EOL padding.
  const std::uint8_t options[] = {148, 4, 0, 0, 7, 15, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  ByteVec echo = emit_icmpv4(Icmpv4Repr::echo_request(0x1234, 7, as_bytes("ustack ping")));
  Ipv4Repr ip = ipv4_header(IpProto::kIcmp, echo.size());
  ip.tos = 0xb8;  // DSCP EF
  ip.dont_frag = true;
  EXPECT_TRUE(ip.set_options(options).ok());
  cases.push_back({"IPv4 with router alert and record route, ICMP echo request",
                   ipv4(ip, echo),
                   {{"ip.hdr_len", "40"},
                    {"ip.dsfield.dscp", "46"},
                    {"ip.flags.df", "1"},
                    {"ip.id", "0x4242"},
                    {"ip.opt.type.number", "20,7,0"},
                    {"ip.checksum.status", "1"},
                    {"icmp.type", "8"},
                    {"icmp.ident", "4660"},
                    {"icmp.seq", "7"},
                    {"icmp.checksum.status", "1"}}});

  ByteVec reply = emit_icmpv4(
      Icmpv4Repr::echo_reply_to(*Icmpv4Repr::parse(echo)));  // the reply to the request above
  cases.push_back({"ICMP echo reply",
                   ipv4(ipv4_header(IpProto::kIcmp, reply.size()), reply),
                   {{"icmp.type", "0"}, {"icmp.seq", "7"}, {"icmp.checksum.status", "1"}}});

  // An ICMP error quoting a UDP datagram we "received" (RFC 792, RFC 1122 §3.2.2).
  ByteVec quoted_udp = emit_udp(40000, 5556, as_bytes("nobody listens"), kV4B, kV4A);
  Ipv4Repr quoted_ip = ipv4_header(IpProto::kUdp, quoted_udp.size());
  quoted_ip.src = kV4B;
  quoted_ip.dst = kV4A;
  ByteVec quoted(quoted_ip.total_len());
  quoted_ip.emit(quoted);
  std::copy(quoted_udp.begin(), quoted_udp.end(), quoted.begin() + quoted_ip.header_len());
  ByteVec unreach = emit_icmpv4(Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kPort, quoted));
  cases.push_back({"ICMP port unreachable quoting UDP",
                   ipv4(ipv4_header(IpProto::kIcmp, unreach.size()), unreach),
                   {{"icmp.type", "3"},
                    {"icmp.code", "3"},
                    {"icmp.checksum.status", "1"},
                    {"udp.dstport", "5556"}}});

  ByteVec frag_needed = emit_icmpv4(
      Icmpv4Repr::dest_unreachable(Icmpv4Unreach::kFragNeeded, Bytes(quoted).first(28), 1400));
  cases.push_back({"ICMP fragmentation needed with next-hop MTU (RFC 1191)",
                   ipv4(ipv4_header(IpProto::kIcmp, frag_needed.size()), frag_needed),
                   {{"icmp.type", "3"}, {"icmp.code", "4"}, {"icmp.mtu", "1400"}}});

  // One UDP datagram in two fragments (RFC 791 §3.2): tshark reassembles and checks the UDP
  // checksum over the whole datagram.
  ByteVec big(1800);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i);
  ByteVec dgram = emit_udp(5000, 6000, big, kV4A, kV4B);
  Ipv4Repr f1 = ipv4_header(IpProto::kUdp, 1480);
  f1.ident = 0x7777;
  f1.more_frags = true;
  Ipv4Repr f2 = ipv4_header(IpProto::kUdp, dgram.size() - 1480);
  f2.ident = 0x7777;
  f2.set_frag_offset_bytes(1480);
  cases.push_back({"IPv4 first fragment",
                   ipv4(f1, Bytes(dgram).first(1480)),
                   {{"ip.flags.mf", "1"}, {"ip.frag_offset", "0"}, {"ip.checksum.status", "1"}}});
  cases.push_back({"IPv4 last fragment (reassembled UDP)",
                   ipv4(f2, Bytes(dgram).subspan(1480)),
                   {{"ip.flags.mf", "0"},
                    {"ip.frag_offset", "185"},
                    {"udp.srcport", "5000"},
                    {"udp.length", "1808"},
                    {"udp.checksum.status", "1"}}});
  return cases;
}

std::vector<Case> tcp_cases() {
  std::vector<Case> cases;
  TcpRepr syn;
  syn.src_port = 41234;
  syn.dst_port = 80;
  syn.seq = SeqNum(1000);
  syn.flags = tcp_flags::kSyn;
  syn.window = 64240;
  syn.options.mss = 1460;
  syn.options.sack_permitted = true;
  syn.options.timestamps = TcpTimestamps{111, 0};
  syn.options.window_scale = 7;
  ByteVec s = emit_tcp(syn, kV4A, kV4B);
  cases.push_back({"TCP SYN with mss, sackOK, TS, wscale",
                   ipv4(ipv4_header(IpProto::kTcp, s.size()), s),
                   {{"tcp.srcport", "41234"},
                    {"tcp.dstport", "80"},
                    {"tcp.seq_raw", "1000"},
                    {"tcp.flags", "0x0002"},
                    {"tcp.window_size_value", "64240"},
                    {"tcp.options.mss_val", "1460"},
                    {"tcp.options.wscale.shift", "7"},
                    {"tcp.options.timestamp.tsval", "111"},
                    {"tcp.options.timestamp.tsecr", "0"},
                    {"tcp.checksum.status", "1"}}});

  // RFC 2018: a segment with data, timestamps and two SACK blocks.
  TcpRepr data;
  data.src_port = 80;
  data.dst_port = 41234;
  data.seq = SeqNum(5001);
  data.ack = SeqNum(1001);
  data.flags = tcp_flags::kAck | tcp_flags::kPsh;
  data.window = 502;
  data.options.timestamps = TcpTimestamps{222, 111};
  data.options.add_sack({SeqNum(3000), SeqNum(4000)});
  data.options.add_sack({SeqNum(6000), SeqNum(7000)});
  const std::string body = "HTTP/1.1 200 OK\r\n\r\n";
  data.payload = as_bytes(body);
  ByteVec d6 = emit_tcp(data, kV6B, kV6A);
  cases.push_back({"TCP over IPv6 with data, TS and SACK blocks",
                   ipv6(IpProto::kTcp, d6, kV6B, kV6A),
                   {{"tcp.seq_raw", "5001"},
                    {"tcp.ack_raw", "1001"},
                    {"tcp.flags", "0x0018"},
                    {"tcp.len", std::to_string(body.size())},
                    {"tcp.options.sack.count", "2"},
                    {"tcp.options.sack_le", "3000,6000"},
                    {"tcp.options.sack_re", "4000,7000"},
                    {"tcp.options.timestamp.tsecr", "111"},
                    {"tcp.checksum.status", "1"}}});

  TcpRepr rst;
  rst.src_port = 81;
  rst.dst_port = 41235;
  rst.ack = SeqNum(2001);
  rst.flags = tcp_flags::kRst | tcp_flags::kAck;
  ByteVec r = emit_tcp(rst, kV4B, kV4A);
  Ipv4Repr rip = ipv4_header(IpProto::kTcp, r.size());
  rip.src = kV4B;
  rip.dst = kV4A;
  cases.push_back(
      {"TCP RST+ACK",
       ipv4(rip, r),
       {{"tcp.flags", "0x0014"}, {"tcp.ack_raw", "2001"}, {"tcp.checksum.status", "1"}}});
  return cases;
}

std::vector<Case> ipv6_cases() {
  std::vector<Case> cases;
  // Hop-by-Hop with a router alert (RFC 2711) and PadN, Destination Options with PadN, then an
  // ICMPv6 echo request. Our IPv6 emitter writes the fixed header; extension headers other
  // than Fragment are hand-laid here, as the stack never sends them.
  ByteVec echo =
      emit_icmpv6(Icmpv6Repr::echo_request(0x7573, 3, as_bytes("extension headers")), kV6A, kV6B);
  const std::uint8_t hbh[] = {static_cast<std::uint8_t>(IpProto::kIpv6Opts), 0, 5, 2, 0, 0, 1, 0};
  const std::uint8_t dst[] = {static_cast<std::uint8_t>(IpProto::kIcmpv6), 0, 1, 4, 0, 0, 0, 0};
  ByteVec payload = concat(concat(hbh, dst), echo);
  cases.push_back({"IPv6 hop-by-hop and destination options, ICMPv6 echo request",
                   ipv6(IpProto::kHopByHop, payload),
                   {{"ipv6.nxt", "0"},
                    {"ipv6.flow", "0x012345"},
                    {"ipv6.hopopts.nxt", "60"},
                    {"ipv6.opt.router_alert", "0"},
                    {"ipv6.dstopts.nxt", "58"},
                    {"icmpv6.type", "128"},
                    {"icmpv6.echo.identifier", "0x7573"},
                    {"icmpv6.echo.sequence_number", "3"},
                    {"icmpv6.checksum.status", "1"}}});

  // One UDP datagram in two IPv6 fragments (RFC 8200 §4.5).
  ByteVec big(2000, 0x5a);
  ByteVec dgram = emit_udp(5000, 6000, big, kV6A, kV6B);
  Ipv6FragHeader f1;
  f1.next_header = IpProto::kUdp;
  f1.ident = 0xabcdef01;
  f1.more_frags = true;
  Ipv6FragHeader f2 = f1;
  f2.more_frags = false;
  f2.set_frag_offset_bytes(1232);
  ByteVec h1(Ipv6FragHeader::kLen), h2(Ipv6FragHeader::kLen);
  f1.emit(h1);
  f2.emit(h2);
  cases.push_back({"IPv6 first fragment",
                   ipv6(IpProto::kIpv6Frag, concat(h1, Bytes(dgram).first(1232))),
                   {{"ipv6.nxt", "44"},
                    {"ipv6.fraghdr.nxt", "17"},
                    {"ipv6.fraghdr.more", "1"},
                    {"ipv6.fraghdr.ident", "0xabcdef01"}}});
  cases.push_back({"IPv6 last fragment (reassembled UDP)",
                   ipv6(IpProto::kIpv6Frag, concat(h2, Bytes(dgram).subspan(1232))),
                   {{"ipv6.fraghdr.offset", "154"},
                    {"ipv6.fraghdr.more", "0"},
                    {"udp.srcport", "5000"},
                    {"udp.length", "2008"},
                    {"udp.checksum.status", "1"}}});

  ByteVec u = emit_udp(40000, 7, as_bytes("echo me"), kV6A, kV6B);
  cases.push_back({"UDP over IPv6",
                   ipv6(IpProto::kUdp, u),
                   {{"udp.srcport", "40000"},
                    {"udp.dstport", "7"},
                    {"udp.length", "15"},
                    {"udp.checksum.status", "1"}}});

  // RFC 4443 §3.2 packet too big, quoting the UDP packet above.
  ByteVec quoted(40 + u.size());
  Ipv6Repr qip;
  qip.src = kV6A;
  qip.dst = kV6B;
  qip.next_header = IpProto::kUdp;
  qip.payload_len = static_cast<std::uint16_t>(u.size());
  qip.emit(quoted);
  std::copy(u.begin(), u.end(), quoted.begin() + 40);
  ByteVec ptb = emit_icmpv6(Icmpv6Repr::packet_too_big(1280, quoted), kV6B, kV6A);
  cases.push_back(
      {"ICMPv6 packet too big",
       ipv6(IpProto::kIcmpv6, ptb, kV6B, kV6A),
       {{"icmpv6.type", "2"}, {"icmpv6.mtu", "1280"}, {"icmpv6.checksum.status", "1"}}});
  return cases;
}

std::vector<Case> ndp_cases() {
  std::vector<Case> cases;
  const Ipv6Addr snm = Ipv6Addr::solicited_node(kV6B);
  ByteVec ns = emit_ndp(NdpRepr::neighbor_solicit(kV6B, kMacA), kV6A, snm);
  cases.push_back({"NDP neighbor solicitation",
                   ipv6(IpProto::kIcmpv6, ns, kV6A, snm, 255),
                   {{"icmpv6.type", "135"},
                    {"icmpv6.nd.ns.target_address", "fd00:1::2"},
                    {"icmpv6.opt.linkaddr", "02:00:c6:12:00:01"},
                    {"icmpv6.checksum.status", "1"}}});
  ByteVec na = emit_ndp(NdpRepr::neighbor_advert(kV6B, kMacB, false, true, true), kV6B, kV6A);
  cases.push_back({"NDP neighbor advertisement",
                   ipv6(IpProto::kIcmpv6, na, kV6B, kV6A, 255),
                   {{"icmpv6.type", "136"},
                    {"icmpv6.nd.na.target_address", "fd00:1::2"},
                    {"icmpv6.nd.na.flag.s", "1"},
                    {"icmpv6.nd.na.flag.o", "1"},
                    {"icmpv6.nd.na.flag.r", "0"},
                    {"icmpv6.opt.linkaddr", "02:00:c6:12:00:02"},
                    {"icmpv6.checksum.status", "1"}}});
  ByteVec rs = emit_ndp(NdpRepr::router_solicit(kMacA), kV6A, Ipv6Addr::all_routers());
  cases.push_back({"NDP router solicitation",
                   ipv6(IpProto::kIcmpv6, rs, kV6A, Ipv6Addr::all_routers(), 255),
                   {{"icmpv6.type", "133"}, {"icmpv6.checksum.status", "1"}}});

  NdpRepr ra;
  ra.type = Icmpv6Type::kRouterAdvert;
  ra.cur_hop_limit = 64;
  ra.other_config = true;
  ra.router_lifetime_s = 1800;
  ra.reachable_time_ms = 30000;
  ra.retrans_timer_ms = 1000;
  ra.options.source_link_addr = kMacB;
  ra.options.mtu = 1500;
  NdpPrefixInfo prefix;
  prefix.prefix_len = 64;
  prefix.on_link = true;
  prefix.autonomous = true;
  prefix.valid_lifetime_s = 86400;
  prefix.preferred_lifetime_s = 14400;
  prefix.prefix = *Ipv6Addr::parse("fd00:1::");
  ra.options.add_prefix(prefix);
  const Ipv6Addr dns_server = *Ipv6Addr::parse("fd00:1::53");
  ra.options.rdnss = NdpRdnss{600, dns_server.bytes()};
  ByteVec rab = emit_ndp(ra, kLinkLocalB, Ipv6Addr::all_nodes());
  cases.push_back({"NDP router advertisement with prefix, MTU, RDNSS",
                   ipv6(IpProto::kIcmpv6, rab, kLinkLocalB, Ipv6Addr::all_nodes(), 255),
                   {{"icmpv6.type", "134"},
                    {"icmpv6.nd.ra.cur_hop_limit", "64"},
                    {"icmpv6.nd.ra.router_lifetime", "1800"},
                    {"icmpv6.opt.prefix", "fd00:1::"},
                    {"icmpv6.opt.mtu", "1500"},
                    {"icmpv6.opt.rdnss", "fd00:1::53"},
                    {"icmpv6.checksum.status", "1"}}});
  return cases;
}

// IGMPv2 (RFC 2236) and MLD (RFC 3810) as the stack sends them: TTL / hop limit 1 and a
// Router Alert (RFC 2113 option, RFC 2711 Hop-by-Hop header).
std::vector<Case> multicast_cases() {
  std::vector<Case> cases;
  const Ipv4Addr group4 = *Ipv4Addr::parse("239.1.2.3");
  const std::uint8_t router_alert[] = {148, 4, 0, 0};
  auto igmp = [&](const IgmpRepr& m, const Ipv4Addr& dst) {
    ByteVec body(m.buffer_len());
    m.emit(body);
    Ipv4Repr ip = ipv4_header(IpProto::kIgmp, body.size());
    ip.dst = dst;
    ip.ttl = 1;
    ip.tos = 0xc0;
    EXPECT_TRUE(ip.set_options(router_alert).ok());
    const std::uint32_t d = dst.to_u32();
    const MacAddr mac({0x01, 0x00, 0x5e, static_cast<std::uint8_t>((d >> 16) & 0x7f),
                       static_cast<std::uint8_t>(d >> 8), static_cast<std::uint8_t>(d)});
    return ethernet(EtherType::kIpv4, emit_ipv4(ip, body), mac);
  };
  cases.push_back({"IGMPv2 membership report",
                   igmp(IgmpRepr::v2_report(group4), group4),
                   {{"ip.ttl", "1"},
                    {"ip.opt.type.number", "20"},
                    {"igmp.version", "2"},
                    {"igmp.type", "0x16"},
                    {"igmp.maddr", "239.1.2.3"},
                    {"igmp.checksum.status", "1"}}});
  cases.push_back(
      {"IGMPv2 leave group",
       igmp(IgmpRepr::leave(group4), *Ipv4Addr::parse("224.0.0.2")),
       {{"igmp.type", "0x17"}, {"igmp.maddr", "239.1.2.3"}, {"igmp.checksum.status", "1"}}});
  cases.push_back(
      {"IGMPv2 general query",
       igmp(IgmpRepr::v2_query(Ipv4Addr::any(), 100), *Ipv4Addr::parse("224.0.0.1")),
       {{"igmp.type", "0x11"}, {"igmp.max_resp", "100"}, {"igmp.checksum.status", "1"}}});

  const Ipv6Addr ll = *Ipv6Addr::parse("fe80::2");
  const Ipv6Addr routers = *Ipv6Addr::parse("ff02::16");
  const Ipv6Addr group6 = *Ipv6Addr::parse("ff05::1:3");
  auto mld = [&](const MldRepr& m, const Ipv6Addr& dst) {
    ByteVec body(Ipv6RouterAlertHeader::kLen + m.buffer_len());
    Ipv6RouterAlertHeader{}.emit(body);
    m.emit(MutBytes(body).subspan(Ipv6RouterAlertHeader::kLen), ll, dst);
    return ipv6(IpProto::kHopByHop, body, ll, dst, 1);
  };
  ByteVec records(2 * MldAddressRecord::kFixedLen);
  MldAddressRecord{MldRecordType::kChangeToExclude, group6}.emit(records);
  MldAddressRecord{MldRecordType::kModeIsExclude, Ipv6Addr::solicited_node(kV6B)}.emit(
      MutBytes(records).subspan(MldAddressRecord::kFixedLen));
  cases.push_back({"MLDv2 report with two records",
                   mld(MldRepr::v2_report(records, 2), routers),
                   {{"ipv6.hlim", "1"},
                    {"ipv6.opt.router_alert", "0"},
                    {"icmpv6.type", "143"},
                    {"icmpv6.mldr.nb_mcast_records", "2"},
                    {"icmpv6.mldr.mar.record_type", "4,2"},
                    {"icmpv6.mldr.mar.multicast_address", "ff05::1:3,ff02::1:ff00:2"},
                    {"icmpv6.checksum.status", "1"}}});
  MldRepr q = MldRepr::v2_query(Ipv6Addr::any(), Duration::millis(10000));
  q.qrv = 2;
  q.qqic = 125;
  cases.push_back({"MLDv2 general query",
                   mld(q, Ipv6Addr::all_nodes()),
                   {{"icmpv6.type", "130"},
                    {"icmpv6.mld.maximum_response_code", "10000"},
                    {"icmpv6.mld.flag.qrv", "2"},
                    {"icmpv6.checksum.status", "1"}}});
  cases.push_back({"MLDv1 report",
                   mld(MldRepr::v1_report(group6), group6),
                   {{"icmpv6.type", "131"},
                    {"icmpv6.mld.multicast_address", "ff05::1:3"},
                    {"icmpv6.checksum.status", "1"}}});
  cases.push_back({"MLDv1 done",
                   mld(MldRepr::done(group6), Ipv6Addr::all_routers()),
                   {{"icmpv6.type", "132"}, {"icmpv6.checksum.status", "1"}}});
  return cases;
}

std::vector<Case> dns_cases() {
  DnsMessage q;
  q.id = 0xbeef;
  q.rd = true;
  q.questions.push_back({*DnsName::parse("www.ustack.test"), DnsType::kA, DnsClass::kIn});
  q.edns = DnsEdns{};
  ByteVec qb = q.to_bytes();
  EXPECT_FALSE(qb.empty());

  DnsMessage r = q;
  r.qr = true;
  r.aa = true;
  r.ra = true;
  const DnsName www = *DnsName::parse("www.ustack.test");
  const DnsName web = *DnsName::parse("web.ustack.test");
  const DnsName zone = *DnsName::parse("ustack.test");
  r.questions[0].name = web;
  r.answers.push_back({web, DnsType::kCname, DnsClass::kIn, 300, DnsCname{www}});
  r.answers.push_back({www, DnsType::kA, DnsClass::kIn, 300, DnsA{kV4B}});
  r.answers.push_back({www, DnsType::kAaaa, DnsClass::kIn, 300, DnsAaaa{kV6B}});
  r.answers.push_back(
      {zone, DnsType::kMx, DnsClass::kIn, 300, DnsMx{10, *DnsName::parse("mail.ustack.test")}});
  r.answers.push_back({zone, DnsType::kTxt, DnsClass::kIn, 300, DnsTxt{{"v=ustack emit"}}});
  r.answers.push_back({*DnsName::parse("_http._tcp.ustack.test"), DnsType::kSrv, DnsClass::kIn, 300,
                       DnsSrv{1, 2, 8080, www}});
  r.authorities.push_back(
      {zone, DnsType::kSoa, DnsClass::kIn, 300,
       DnsSoa{*DnsName::parse("ns.ustack.test"), *DnsName::parse("admin.ustack.test"), 2026112501,
              3600, 600, 86400, 60}});
  ByteVec rb = r.to_bytes();
  EXPECT_FALSE(rb.empty());

  ByteVec qu = emit_udp(40001, 53, qb, kV4A, kV4B);
  Ipv4Repr rip = ipv4_header(IpProto::kUdp, 0);
  ByteVec ru = emit_udp(53, 40001, rb, kV4B, kV4A);
  rip.src = kV4B;
  rip.dst = kV4A;
  rip.payload_len = ru.size();
  return {
      {"DNS query with EDNS",
       ipv4(ipv4_header(IpProto::kUdp, qu.size()), qu),
       {{"dns.id", "0xbeef"},
        {"dns.flags.response", "0"},
        {"dns.flags.recdesired", "1"},
        {"dns.qry.name", "www.ustack.test"},
        {"dns.qry.type", "1"},
        {"dns.rr.udp_payload_size", "1232"},
        {"udp.checksum.status", "1"}}},
      {"DNS response with CNAME, A, AAAA, MX, TXT, SRV and SOA",
       ipv4(rip, ru),
       {{"dns.id", "0xbeef"},
        {"dns.flags.response", "1"},
        {"dns.flags.authoritative", "1"},
        {"dns.count.answers", "6"},
        {"dns.count.auth_rr", "1"},
        {"dns.cname", "www.ustack.test"},
        {"dns.a", "198.18.0.2"},
        {"dns.aaaa", "fd00:1::2"},
        {"dns.mx.mail_exchange", "mail.ustack.test"},
        {"dns.txt", "v=ustack emit"},
        {"dns.srv.port", "8080"},
        {"dns.srv.target", "www.ustack.test"},
        {"dns.soa.mname", "ns.ustack.test"},
        {"dns.soa.serial_number", "2026112501"},
        {"udp.checksum.status", "1"}}},
  };
}

std::vector<Case> all_cases() {
  std::vector<Case> all;
  for (auto group : {arp_cases(), ipv4_cases(), tcp_cases(), ipv6_cases(), ndp_cases(),
                     multicast_cases(), dns_cases()}) {
    for (Case& c : group) all.push_back(std::move(c));
  }
  return all;
}

// --- tshark ---------------------------------------------------------------------------------

// Every checksum check Wireshark has, on; TCP analysis off (the segments are not one flow).
const char* kTsharkPrefs =
    " -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
    " -o tcp.analyze_sequence_numbers:FALSE -o tcp.relative_sequence_numbers:FALSE";

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

class EmitVsTshark : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cases_ = new std::vector<Case>(all_cases());
    const char* tmp = std::getenv("TEST_TMPDIR");
    path_ = new std::string(std::string(tmp ? tmp : "/tmp") + "/ustack_emitted.pcap");
    tun::PcapWriter writer(*path_, tun::LinkType::kEthernet);
    std::int64_t t = 1'795'600'000'000'000;  // any wall-clock time; 1 ms apart
    for (const Case& c : *cases_) writer.write(Instant::from_micros(t += 1000), c.frame);
    writer.close();
  }
  static void TearDownTestSuite() {
    delete cases_;
    delete path_;
  }
  static std::vector<Case>* cases_;
  static std::string* path_;
};
std::vector<Case>* EmitVsTshark::cases_ = nullptr;
std::string* EmitVsTshark::path_ = nullptr;

TEST_F(EmitVsTshark, EveryFormatIsCovered) {
  std::string protos;
  for (const std::string& line :
       split(run_command("tshark -r " + *path_ + kTsharkPrefs + " -T fields -e frame.protocols"),
             '\n')) {
    protos += line + "\n";
  }
  for (const char* p :
       {"eth:ethertype:arp", "ip:icmp", "ip:tcp", "ipv6:tcp", "ip:udp:dns", "ipv6.hopopts",
        "ipv6.dstopts", "ipv6.fraghdr", "ipv6:icmpv6", "ipv6:udp", "ip:igmp"}) {
    EXPECT_NE(protos.find(p), std::string::npos) << p << " not in:\n" << protos;
  }
}

// Our own decoder agrees that every emitted frame is well formed (what `ustack dump` shows).
TEST_F(EmitVsTshark, OurParsersDecodeEveryFrameToo) {
  for (const Case& c : *cases_) {
    PacketDescription d = describe_packet(c.frame, LinkLayer::kEthernet);
    EXPECT_FALSE(d.error) << c.what << ": " << d.line;
  }
}

// Expert infos that say what a packet is, not that it is wrong, each with its reason.
const char* const kExpectedExpertInfo[] = {
    "Connection reset (RST)",  // Warning/Sequence on every RST: the RST case is one on purpose
};

// Wireshark finds nothing wrong: no malformed packet, no expert info above "note".
TEST_F(EmitVsTshark, NoMalformedPacketsAndNoExpertWarnings) {
  const std::string text = run_command("tshark -r " + *path_ + kTsharkPrefs + " -V");
  ASSERT_FALSE(text.empty());
  std::vector<std::string> problems;
  std::string frame;
  for (const std::string& line : split(text, '\n')) {
    if (line.rfind("Frame ", 0) == 0) frame = line.substr(0, line.find(':'));
    bool bad = line.find("Malformed") != std::string::npos ||
               line.find("Expert Info (Error") != std::string::npos ||
               line.find("Expert Info (Warning") != std::string::npos ||
               line.find("[incorrect") != std::string::npos;
    for (const char* expected : kExpectedExpertInfo) {
      if (line.find(expected) != std::string::npos) bad = false;
    }
    if (bad) {
      const std::size_t n = frame.empty() ? 0 : std::stoul(frame.substr(6)) - 1;
      problems.push_back(frame + " (" + (n < cases_->size() ? (*cases_)[n].what : "?") +
                         "): " + line);
    }
  }
  std::string report;
  for (const std::string& p : problems) report += "  " + p + "\n";
  EXPECT_TRUE(problems.empty()) << report;
}

// tshark reads back the values we set, field by field.
TEST_F(EmitVsTshark, TsharkDecodesTheFieldsWeSet) {
  std::vector<std::string> fields;
  for (const Case& c : *cases_) {
    for (const auto& [f, v] : c.expect) {
      if (std::find(fields.begin(), fields.end(), f) == fields.end()) fields.push_back(f);
    }
  }
  std::string cmd = "tshark -r " + *path_ + kTsharkPrefs +
                    " -T fields -E occurrence=a -E aggregator=, -E separator=/t";
  for (const std::string& f : fields) cmd += " -e " + f;
  std::vector<std::string> lines = split(run_command(cmd), '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  ASSERT_EQ(lines.size(), cases_->size());
  std::vector<std::string> diffs;
  std::size_t checked = 0;
  for (std::size_t i = 0; i < cases_->size(); ++i) {
    const std::vector<std::string> values = split(lines[i], '\t');
    for (const auto& [f, want] : (*cases_)[i].expect) {
      const std::size_t col = std::find(fields.begin(), fields.end(), f) - fields.begin();
      std::string got = col < values.size() ? values[col] : "";
      // A field that occurs several times (a quoted header, a second option) is compared on
      // the values we listed: the first ones.
      const std::size_t want_n = split(want, ',').size();
      std::vector<std::string> parts = split(got, ',');
      if (parts.size() > want_n) {
        parts.resize(want_n);
        got.clear();
        for (const std::string& p : parts) got += (got.empty() ? "" : ",") + p;
      }
      ++checked;
      if (got != want) {
        diffs.push_back("packet " + std::to_string(i + 1) + " (" + (*cases_)[i].what + ") " + f +
                        ": set " + want + ", tshark " + (got.empty() ? "(absent)" : got));
      }
    }
  }
  std::string report;
  for (const std::string& d : diffs) report += "  " + d + "\n";
  EXPECT_TRUE(diffs.empty()) << diffs.size() << " differences:\n" << report;
  EXPECT_GT(checked, 100u);
}

}  // namespace
}  // namespace ustack
