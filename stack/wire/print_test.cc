// describe_packet(): the tcpdump-like line, the verbose blocks, and how a layer that does not
// parse is named instead of crashing.
#include "stack/wire/print.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/checksum.h"
#include "stack/base/random.h"
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
#include "stack/wire/test_packets.h"
#include "stack/wire/udp.h"

namespace ustack {
namespace {

const std::string kPing = "ping";  // an echo Repr keeps a view of its data: keep it alive

// --- Packet builders ------------------------------------------------------------------------

ByteVec ipv4_packet(IpProto proto, Bytes payload, std::uint16_t ident = 0x1234,
                    std::size_t frag_offset_bytes = 0, bool more_frags = false) {
  Ipv4Repr ip;
  ip.src = kV4A;
  ip.dst = kV4B;
  ip.protocol = proto;
  ip.ident = ident;
  ip.more_frags = more_frags;
  ip.set_frag_offset_bytes(frag_offset_bytes);
  return emit_ipv4(ip, payload);
}

// `payload` starts with the upper-layer header (or extension headers: `next` names the first).
ByteVec ipv6_packet(IpProto next, Bytes payload) {
  Ipv6Repr ip;
  ip.src = kV6A;
  ip.dst = kV6B;
  ip.next_header = next;
  return emit_ipv6(ip, payload);
}

ByteVec ethernet_frame(EtherType type, Bytes payload) {
  return emit_ethernet(kMacB, kMacA, type, payload);
}

TcpRepr syn() {
  TcpRepr seg;
  seg.src_port = 41234;
  seg.dst_port = 80;
  seg.seq = SeqNum(123);
  seg.flags = tcp_flags::kSyn;
  seg.window = 64240;
  seg.options.mss = 1460;
  seg.options.sack_permitted = true;
  seg.options.timestamps = TcpTimestamps{1, 0};
  seg.options.window_scale = 7;
  return seg;
}

ByteVec dns_query(std::uint16_t id, const char* name) {
  DnsMessage q;
  q.id = id;
  q.rd = true;
  q.questions.push_back({*DnsName::parse(name), DnsType::kA, DnsClass::kIn});
  return q.to_bytes();
}

// IGMP as hosts send it: TTL 1 and a Router Alert option (RFC 2236 §2, RFC 2113).
ByteVec igmp_packet(Bytes message, const char* dst) {
  Ipv4Repr ip;
  ip.src = kV4A;
  ip.dst = *Ipv4Addr::parse(dst);
  ip.protocol = IpProto::kIgmp;
  ip.ttl = 1;
  const std::uint8_t router_alert[] = {0x94, 0x04, 0x00, 0x00};
  EXPECT_TRUE(ip.set_options(router_alert).ok());
  return emit_ipv4(ip, message);
}

// MLD as hosts send it (RFC 3810 §5): hop limit 1, a Hop-by-Hop Router Alert in front.
ByteVec mld_packet(Bytes message, const char* src, const char* dst) {
  Ipv6Repr ip;
  ip.src = *Ipv6Addr::parse(src);
  ip.dst = *Ipv6Addr::parse(dst);
  ip.next_header = IpProto::kHopByHop;
  ip.hop_limit = 1;
  ByteVec payload(Ipv6RouterAlertHeader::kLen);
  Ipv6RouterAlertHeader{}.emit(payload);
  payload.insert(payload.end(), message.begin(), message.end());
  return emit_ipv6(ip, payload);
}

// An ICMPv6 message with its checksum filled in for src > dst (bytes 2-3 of `message`).
ByteVec with_icmpv6_checksum(ByteVec message, const char* src, const char* dst) {
  store_be16(message, 2, 0);
  store_be16(message, 2, icmpv6_checksum(message, *Ipv6Addr::parse(src), *Ipv6Addr::parse(dst)));
  return message;
}

ByteVec with_igmp_checksum(ByteVec message) {
  store_be16(message, 2, 0);
  store_be16(message, 2, internet_checksum(message));
  return message;
}

// Kernel captures (see ipv4_test.cc and ipv6_test.cc for how they were made): Linux's IGMPv3
// report for a join of 239.1.2.3 behind an IPv4 Router Alert, and its MLDv2 report at link up
// behind a Hop-by-Hop Router Alert.
const ByteVec kKernelIgmpV3Report =
    from_hex("46c0002800004000010236e6c6120701e0000016940400002200e8f90000000104000000ef010203");
const ByteVec kKernelMldv2Report = from_hex(
    "6000000000380001fe80000000000000f8ae87fffe6bb83aff0200000000000000000000000000163a000502000001"
    "008f007ef30000000204000000ff0200000000000000000001ff6bb83a04000000ff0200000000000000000001ff00"
    "0001");

// The messages of igmp_test.cc and mld_test.cc (checksums worked out there).
const ByteVec kIgmpV2Report = from_hex("1600f8faef010203");
const ByteVec kIgmpLeave = from_hex("1700f7faef010203");
const ByteVec kIgmpV1Report = from_hex("1200fcfaef010203");
const ByteVec kIgmpV2GeneralQuery = from_hex("1164ee9b00000000");
const ByteVec kIgmpV3GeneralQuery = from_hex("1164ec1e00000000027d0000");
const ByteVec kIgmpV3SourceQuery = from_hex("118a34dfef010203027d0001c6120001");
// fe80::1 > ff02::1
const ByteVec kMldv2GeneralQuery =
    from_hex("820056962710000000000000000000000000000000000000027d0000");
const ByteVec kMldv1GeneralQuery = from_hex("820059172710000000000000000000000000000000000000");
// fe80::1 > ff05::1:3
const ByteVec kMldv2SourceQuery = from_hex(
    "8200f18190000000ff050000000000000000000000010003027d0001fd000001000000000000000000000001");
// fe80::2 > ff05::1:3 and fe80::2 > ff02::2
const ByteVec kMldv1Report = from_hex("8300801600000000ff050000000000000000000000010003");
const ByteVec kMldDone = from_hex("84007f1b00000000ff050000000000000000000000010003");

std::string line_of(Bytes packet, LinkLayer link = LinkLayer::kRawIp) {
  return describe_packet(packet, link).line;
}

// --- Lines ----------------------------------------------------------------------------------

// The example of the `ustack dump` spec: a SYN with Linux's options, ports after addresses.
TEST(DescribePacket, TcpSynOverIpv4ReadsLikeTcpdump) {
  ByteVec pkt = ipv4_packet(IpProto::kTcp, emit_tcp(syn(), kV4A, kV4B));
  EXPECT_EQ(line_of(pkt),
            "IP 198.18.0.1.41234 > 198.18.0.2.80: Flags [S], seq 123, win 64240, options [mss "
            "1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");
}

TEST(DescribePacket, TcpOverIpv6UsesIp6AndPortsAfterAddresses) {
  ByteVec pkt = ipv6_packet(IpProto::kTcp, emit_tcp(syn(), kV6A, kV6B));
  EXPECT_EQ(line_of(pkt).rfind("IP6 fd00:1::1.41234 > fd00:1::2.80: Flags [S], seq 123", 0), 0u)
      << line_of(pkt);
}

// RFC 4861 §4.3: a neighbour solicitation names its target.
TEST(DescribePacket, NeighborSolicitationNamesTarget) {
  NdpRepr ns = NdpRepr::neighbor_solicit(kV6B, kMacA);
  const Ipv6Addr snm = Ipv6Addr::solicited_node(kV6B);
  Ipv6Repr ip;
  ip.src = kV6A;
  ip.dst = snm;
  ip.next_header = IpProto::kIcmpv6;
  ip.hop_limit = 255;
  ByteVec pkt = emit_ipv6(ip, emit_ndp(ns, kV6A, snm));
  EXPECT_EQ(
      line_of(pkt).rfind(
          "IP6 fd00:1::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fd00:1::2", 0),
      0u)
      << line_of(pkt);
}

TEST(DescribePacket, ArpRequestInEthernetFrame) {
  ArpRepr req = ArpRepr::request(kMacA, kV4A, kV4B);
  ByteVec arp = emit_arp(req);
  ByteVec frame = ethernet_frame(EtherType::kArp, arp);
  EXPECT_EQ(line_of(frame, LinkLayer::kEthernet)
                .rfind("ARP, Request who-has 198.18.0.2 tell 198.18.0.1", 0),
            0u)
      << line_of(frame, LinkLayer::kEthernet);
}

TEST(DescribePacket, UdpToPort53IsSummarisedAsDns) {
  ByteVec query = dns_query(0x1234, "www.ustack.test");
  ByteVec pkt = ipv4_packet(IpProto::kUdp, emit_udp(40000, 53, query, kV4A, kV4B));
  const std::string line = line_of(pkt);
  EXPECT_EQ(line.rfind("IP 198.18.0.1.40000 > 198.18.0.2.53: DNS id 0x1234", 0), 0u) << line;
  EXPECT_NE(line.find("A? www.ustack.test."), std::string::npos) << line;
  EXPECT_NE(line.find("(" + std::to_string(query.size()) + ")"), std::string::npos) << line;
}

TEST(DescribePacket, UdpElsewhereShowsPayloadLength) {
  ByteVec pkt = ipv4_packet(IpProto::kUdp, emit_udp(1000, 5555, as_bytes("hello"), kV4A, kV4B));
  EXPECT_EQ(line_of(pkt), "IP 198.18.0.1.1000 > 198.18.0.2.5555: UDP, length 5");
}

TEST(DescribePacket, IcmpEchoRequest) {
  Icmpv4Repr echo = Icmpv4Repr::echo_request(7, 1, as_bytes(kPing));
  ByteVec msg = emit_icmpv4(echo);
  EXPECT_EQ(line_of(ipv4_packet(IpProto::kIcmp, msg))
                .rfind("IP 198.18.0.1 > 198.18.0.2: ICMP echo request, id 7, seq 1", 0),
            0u);
}

// RFC 791: only the first fragment carries the transport header; later ones show the
// fragment's identification, length and offset ('+' = more fragments).
TEST(DescribePacket, LaterIpv4FragmentShowsIdLengthAndOffset) {
  ByteVec data(1480, 0xab);
  EXPECT_EQ(line_of(ipv4_packet(IpProto::kIcmp, data, 4660, 1480, true)),
            "IP 198.18.0.1 > 198.18.0.2: ICMP (frag 4660:1480@1480+)");
  EXPECT_EQ(line_of(ipv4_packet(IpProto::kIcmp, Bytes(data).first(48), 4660, 2960, false)),
            "IP 198.18.0.1 > 198.18.0.2: ICMP (frag 4660:48@2960)");
}

// The first fragment's transport checksum covers data in later fragments: it is shown, not
// verified.
TEST(DescribePacket, FirstIpv4FragmentShowsTransportWithoutCheckingItsChecksum) {
  const ByteVec data(3000, 0x55);
  Icmpv4Repr echo = Icmpv4Repr::echo_request(9, 1, data);
  ByteVec msg = emit_icmpv4(echo);
  PacketDescription d = describe_packet(
      ipv4_packet(IpProto::kIcmp, Bytes(msg).first(1480), 4660, 0, true), LinkLayer::kRawIp);
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.line,
            "IP 198.18.0.1 > 198.18.0.2: ICMP echo request, id 9, seq 1, length 1480 (frag "
            "4660:1480@0+)");
}

// The first fragment of a UDP datagram: its UDP length describes the whole datagram, so only
// the ports are shown, and that is not an error.
TEST(DescribePacket, FirstFragmentOfUdpShowsPorts) {
  const ByteVec big(3000, 0x11);
  ByteVec dgram = emit_udp(5000, 6000, big, kV4A, kV4B);
  PacketDescription d = describe_packet(
      ipv4_packet(IpProto::kUdp, Bytes(dgram).first(1480), 77, 0, true), LinkLayer::kRawIp);
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.line, "IP 198.18.0.1.5000 > 198.18.0.2.6000: UDP (frag 77:1480@0+)");
}

// RFC 8200 §4.5: a non-first IPv6 fragment shows the Fragment header's fields.
TEST(DescribePacket, Ipv6FragmentHeaderIsShown) {
  Ipv6FragHeader frag;
  frag.next_header = IpProto::kIcmpv6;
  frag.ident = 0x01020304;
  frag.set_frag_offset_bytes(1448);
  frag.more_frags = true;
  ByteVec payload(8 + 1448, 0);
  frag.emit(payload);
  EXPECT_EQ(line_of(ipv6_packet(IpProto::kIpv6Frag, payload)),
            "IP6 fd00:1::1 > fd00:1::2: frag (0x01020304:1448@1448+) ICMPv6");
}

TEST(DescribePacket, Ipv6HopByHopHeaderIsNamed) {
  // Hop-by-Hop with one PadN (4 data bytes), then UDP.
  ByteVec udp = emit_udp(1000, 2000, as_bytes("x"), kV6A, kV6B);
  ByteVec payload = {static_cast<std::uint8_t>(IpProto::kUdp), 0, 1, 4, 0, 0, 0, 0};
  payload.insert(payload.end(), udp.begin(), udp.end());
  EXPECT_EQ(line_of(ipv6_packet(IpProto::kHopByHop, payload)),
            "IP6 fd00:1::1.1000 > fd00:1::2.2000: HBH UDP, length 1");
}

// --- IGMP and MLD: tcpdump's wording, ICMP6's ", length" for MLD ----------------------------

TEST(DescribePacket, IgmpReportsAndLeave) {
  EXPECT_EQ(line_of(igmp_packet(kIgmpV2Report, "239.1.2.3")),
            "IP 198.18.0.1 > 239.1.2.3: igmp v2 report 239.1.2.3");
  EXPECT_EQ(line_of(igmp_packet(kIgmpV1Report, "239.1.2.3")),
            "IP 198.18.0.1 > 239.1.2.3: igmp v1 report 239.1.2.3");
  EXPECT_EQ(line_of(igmp_packet(kIgmpLeave, "224.0.0.2")),
            "IP 198.18.0.1 > 224.0.0.2: igmp leave 239.1.2.3");
}

// RFC 3376 §7.1: the length tells a v3 query from a v2 one; Max Resp Code 0x8a is 20.8 s.
TEST(DescribePacket, IgmpQueries) {
  EXPECT_EQ(line_of(igmp_packet(kIgmpV2GeneralQuery, "224.0.0.1")),
            "IP 198.18.0.1 > 224.0.0.1: igmp query v2 [max resp time 10]");
  EXPECT_EQ(line_of(igmp_packet(kIgmpV3GeneralQuery, "224.0.0.1")),
            "IP 198.18.0.1 > 224.0.0.1: igmp query v3 [max resp time 10]");
  EXPECT_EQ(line_of(igmp_packet(kIgmpV3SourceQuery, "239.1.2.3")),
            "IP 198.18.0.1 > 239.1.2.3: igmp query v3 239.1.2.3 [max resp time 20.8] [1 sources]");
}

TEST(DescribePacket, KernelIgmpV3ReportBehindRouterAlert) {
  EXPECT_EQ(line_of(kKernelIgmpV3Report),
            "IP 198.18.7.1 > 224.0.0.22: igmp v3 report, 1 group record(s) [gaddr 239.1.2.3 "
            "to_ex { }]");
  // The same in an Ethernet frame, as `ustack dump` reads a TAP capture.
  ByteVec frame = ethernet_frame(EtherType::kIpv4, kKernelIgmpV3Report);
  PacketDescription d = describe_packet(frame, LinkLayer::kEthernet, {.verbose = true});
  EXPECT_FALSE(d.error);
  EXPECT_NE(d.details.find("  [igmp]\n    IGMP\n      type: 0x22 (v3 report)\n"), std::string::npos)
      << d.details;
  EXPECT_NE(d.details.find("      record 1: CHANGE_TO_EXCLUDE_MODE (4) 239.1.2.3, 0 source(s)\n"),
            std::string::npos)
      << d.details;
}

// RFC 3810 §5: the Hop-by-Hop Router Alert in front of every MLD message shows as HBH.
TEST(DescribePacket, KernelMldv2ReportBehindHopByHopRouterAlert) {
  EXPECT_EQ(line_of(kKernelMldv2Report),
            "IP6 fe80::f8ae:87ff:fe6b:b83a > ff02::16: HBH ICMP6, multicast listener report v2, 2 "
            "group record(s) [gaddr ff02::1:ff6b:b83a to_ex { }] [gaddr ff02::1:ff00:1 to_ex { }], "
            "length 48");
  PacketDescription d = describe_packet(kKernelMldv2Report, LinkLayer::kRawIp, {.verbose = true});
  EXPECT_FALSE(d.error);
  EXPECT_NE(d.details.find("  [mld]\n    MLDv2 report (ICMPv6 type 143, code 0)\n"
                           "      multicast address records: 2\n"),
            std::string::npos)
      << d.details;
  EXPECT_EQ(d.details.find("[icmp6]"), std::string::npos) << d.details;
}

TEST(DescribePacket, MldQueriesReportAndDone) {
  EXPECT_EQ(line_of(mld_packet(kMldv2GeneralQuery, "fe80::1", "ff02::1")),
            "IP6 fe80::1 > ff02::1: HBH ICMP6, multicast listener query v2 [max resp delay=10000] "
            "[gaddr ::], length 28");
  EXPECT_EQ(line_of(mld_packet(kMldv1GeneralQuery, "fe80::1", "ff02::1")),
            "IP6 fe80::1 > ff02::1: HBH ICMP6, multicast listener query v1 [max resp delay=10000] "
            "[gaddr ::], length 24");
  EXPECT_EQ(line_of(mld_packet(kMldv2SourceQuery, "fe80::1", "ff05::1:3")),
            "IP6 fe80::1 > ff05::1:3: HBH ICMP6, multicast listener query v2 [max resp "
            "delay=65536] [gaddr ff05::1:3] [1 sources], length 44");
  EXPECT_EQ(line_of(mld_packet(kMldv1Report, "fe80::2", "ff05::1:3")),
            "IP6 fe80::2 > ff05::1:3: HBH ICMP6, multicast listener report, ff05::1:3, length 24");
  EXPECT_EQ(line_of(mld_packet(kMldDone, "fe80::2", "ff02::2")),
            "IP6 fe80::2 > ff02::2: HBH ICMP6, multicast listener done, ff05::1:3, length 24");
}

// Without the Hop-by-Hop header (not what RFC 3810 §5 asks, but readable all the same).
TEST(DescribePacket, MldWithoutRouterAlertIsStillDecoded) {
  Ipv6Repr ip;
  ip.src = *Ipv6Addr::parse("fe80::2");
  ip.dst = *Ipv6Addr::parse("ff02::2");
  ip.next_header = IpProto::kIcmpv6;
  EXPECT_EQ(line_of(emit_ipv6(ip, kMldDone)),
            "IP6 fe80::2 > ff02::2: ICMP6, multicast listener done, ff05::1:3, length 24");
}

TEST(DescribePacket, MalformedIgmpIsNamed) {
  PacketDescription d =
      describe_packet(igmp_packet(Bytes(kIgmpV2Report).first(6), "239.1.2.3"), LinkLayer::kRawIp);
  EXPECT_EQ(d.line, "IP 198.18.0.1 > 239.1.2.3: [igmp: truncated]");
  EXPECT_EQ(d.error, (LayerError{"igmp", ParseError::kTruncated}));

  ByteVec bad = kIgmpV2Report;
  bad[7] ^= 1;
  EXPECT_EQ(line_of(igmp_packet(bad, "239.1.2.3")),
            "IP 198.18.0.1 > 239.1.2.3: [igmp: bad_checksum]");
  EXPECT_EQ(describe_packet(igmp_packet(bad, "239.1.2.3"), LinkLayer::kRawIp,
                            {.checksums = ChecksumCheck::kSkip})
                .line,
            "IP 198.18.0.1 > 239.1.2.3: igmp v2 report 239.1.2.2");

  // An IGMPv3 report that claims two group records and holds one; a v3 query that claims
  // two sources and holds one.
  ByteVec report = kKernelIgmpV3Report;
  report[24 + 7] = 2;
  store_be16(report, 24 + 2, 0);
  store_be16(report, 24 + 2, internet_checksum(Bytes(report).subspan(24)));
  EXPECT_EQ(line_of(report), "IP 198.18.7.1 > 224.0.0.22: [igmp: truncated]");
  ByteVec query = kIgmpV3SourceQuery;
  query[11] = 2;
  EXPECT_EQ(line_of(igmp_packet(with_igmp_checksum(query), "239.1.2.3")),
            "IP 198.18.0.1 > 239.1.2.3: [igmp: truncated]");
}

TEST(DescribePacket, MalformedMldIsNamed) {
  // RFC 3810 §8.1: a query of 25 to 27 bytes is neither MLDv1 nor MLDv2.
  ByteVec query = with_icmpv6_checksum(
      ByteVec(kMldv2GeneralQuery.begin(), kMldv2GeneralQuery.begin() + 26), "fe80::1", "ff02::1");
  PacketDescription d = describe_packet(mld_packet(query, "fe80::1", "ff02::1"), LinkLayer::kRawIp);
  EXPECT_EQ(d.line, "IP6 fe80::1 > ff02::1: HBH [mld: bad_length]");
  EXPECT_EQ(d.error, (LayerError{"mld", ParseError::kBadLength}));

  // A v1 message cut short; a v2 report whose first record claims a source it does not hold.
  ByteVec done =
      with_icmpv6_checksum(ByteVec(kMldDone.begin(), kMldDone.begin() + 20), "fe80::2", "ff02::2");
  EXPECT_EQ(line_of(mld_packet(done, "fe80::2", "ff02::2")),
            "IP6 fe80::2 > ff02::2: HBH [mld: truncated]");
  ByteVec report(kKernelMldv2Report.begin() + 48, kKernelMldv2Report.end());
  report[8 + 3] = 1;
  report = with_icmpv6_checksum(report, "fe80::f8ae:87ff:fe6b:b83a", "ff02::16");
  EXPECT_EQ(line_of(mld_packet(report, "fe80::f8ae:87ff:fe6b:b83a", "ff02::16")),
            "IP6 fe80::f8ae:87ff:fe6b:b83a > ff02::16: HBH [mld: truncated]");

  // The checksum is the ICMPv6 layer's.
  ByteVec bad = kKernelMldv2Report;
  bad.back() ^= 1;
  EXPECT_EQ(line_of(bad), "IP6 fe80::f8ae:87ff:fe6b:b83a > ff02::16: HBH [icmp6: bad_checksum]");
}

// Every prefix of an IGMP or MLD packet: a named reason, never a crash or an empty line.
TEST(DescribePacket, EveryTruncationOfIgmpAndMldIsNamed) {
  for (const ByteVec& pkt :
       {kKernelIgmpV3Report, kKernelMldv2Report, igmp_packet(kIgmpV3SourceQuery, "239.1.2.3"),
        mld_packet(kMldv2SourceQuery, "fe80::1", "ff05::1:3")}) {
    for (std::size_t n = 0; n < pkt.size(); ++n) {
      PacketDescription d = describe_packet(Bytes(pkt).first(n), LinkLayer::kRawIp);
      EXPECT_TRUE(d.error) << "prefix " << n << ": " << d.line;
      EXPECT_FALSE(d.line.empty());
    }
    EXPECT_FALSE(describe_packet(pkt, LinkLayer::kRawIp).error) << line_of(pkt);
  }
}

TEST(DescribePacket, UnknownEthertypeShowsTheFrame) {
  ByteVec frame = ethernet_frame(static_cast<EtherType>(0x88cc), as_bytes("lldp"));
  PacketDescription d = describe_packet(frame, LinkLayer::kEthernet);
  EXPECT_FALSE(d.error);
  EXPECT_NE(d.line.find("0x88cc"), std::string::npos) << d.line;
}

// Linux cooked captures (SLL/SLL2) give the protocol outside the packet.
TEST(DescribeLinkPayload, ArpAndIpByProtocolField) {
  ArpRepr req = ArpRepr::request(kMacA, kV4A, kV4B);
  ByteVec arp = emit_arp(req);
  EXPECT_EQ(describe_link_payload(arp, EtherType::kArp).line.rfind("ARP, Request who-has", 0), 0u);
  ByteVec pkt = ipv4_packet(IpProto::kUdp, emit_udp(1000, 5555, as_bytes("hi"), kV4A, kV4B));
  EXPECT_EQ(describe_link_payload(pkt, EtherType::kIpv4).line,
            "IP 198.18.0.1.1000 > 198.18.0.2.5555: UDP, length 2");
  EXPECT_EQ(describe_link_payload(as_bytes("x"), static_cast<EtherType>(0x88cc)).line,
            "ethertype 0x88cc, length 1");
}

// --- Layers that do not parse ---------------------------------------------------------------

TEST(DescribePacket, BadUdpChecksumNamesLayerAndReason) {
  ByteVec udp = emit_udp(1000, 5555, as_bytes("hello"), kV4A, kV4B);
  udp[6] ^= 0x01;
  PacketDescription d = describe_packet(ipv4_packet(IpProto::kUdp, udp), LinkLayer::kRawIp);
  EXPECT_EQ(d.line, "IP 198.18.0.1 > 198.18.0.2: [udp: bad_checksum]");
  ASSERT_TRUE(d.error);
  EXPECT_EQ(*d.error, (LayerError{"udp", ParseError::kBadChecksum}));
}

// Checksum offload: a capture taken on the sending host has unfinished checksums.
TEST(DescribePacket, SkippingChecksumsDescribesOffloadedPackets) {
  ByteVec udp = emit_udp(1000, 5555, as_bytes("hello"), kV4A, kV4B);
  udp[6] ^= 0x01;
  PacketDescription d = describe_packet(ipv4_packet(IpProto::kUdp, udp), LinkLayer::kRawIp,
                                        {.checksums = ChecksumCheck::kSkip});
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.line, "IP 198.18.0.1.1000 > 198.18.0.2.5555: UDP, length 5");
}

TEST(DescribePacket, MalformedDnsOnPort53IsNamed) {
  const std::uint8_t junk[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01};  // header cut short
  ByteVec pkt = ipv4_packet(IpProto::kUdp, emit_udp(40000, 53, junk, kV4A, kV4B));
  PacketDescription d = describe_packet(pkt, LinkLayer::kRawIp);
  EXPECT_EQ(d.line, "IP 198.18.0.1.40000 > 198.18.0.2.53: [dns: truncated]");
}

TEST(DescribePacket, TruncatedEthernetFrame) {
  const std::uint8_t frame[] = {0x02, 0x00, 0x00};
  PacketDescription d = describe_packet(frame, LinkLayer::kEthernet);
  EXPECT_EQ(d.line, "[ethernet: truncated]");
  EXPECT_EQ(d.error, (LayerError{"ethernet", ParseError::kTruncated}));
}

TEST(DescribePacket, RawPacketWithUnknownVersion) {
  const std::uint8_t pkt[] = {0x50, 0, 0, 0};
  PacketDescription d = describe_packet(pkt, LinkLayer::kRawIp);
  EXPECT_EQ(d.line, "IP [ip: bad_version]");
  EXPECT_EQ(d.error, (LayerError{"ip", ParseError::kBadVersion}));
}

TEST(DescribePacket, EmptyPacketIsTruncatedIpv4) {
  PacketDescription d = describe_packet(Bytes{}, LinkLayer::kRawIp);
  EXPECT_EQ(d.error, (LayerError{"ipv4", ParseError::kTruncated}));
}

// Never a crash and never an empty line, whatever prefix of a valid packet arrives.
TEST(DescribePacket, EveryTruncationIsDescribedWithAReason) {
  ByteVec pkt = ipv4_packet(IpProto::kTcp, emit_tcp(syn(), kV4A, kV4B));
  ByteVec frame = ethernet_frame(EtherType::kIpv4, pkt);
  for (std::size_t n = 0; n < frame.size(); ++n) {
    PacketDescription d = describe_packet(Bytes(frame).first(n), LinkLayer::kEthernet);
    EXPECT_TRUE(d.error) << "prefix " << n << ": " << d.line;
    EXPECT_FALSE(d.line.empty());
  }
  EXPECT_FALSE(describe_packet(frame, LinkLayer::kEthernet).error);
}

// --- Packets cut by a snapshot length (DescribeOptions::wire_len) ------------------------------
// Decoded as far as the captured octets go and marked as tcpdump marks them (the lines are
// pcap_tests/dump_vs_tcpdump_test's, checked there against tcpdump on real captures).

// `frame` as a capture with snaplen `n` holds it.
PacketDescription cut_to(const ByteVec& frame, std::size_t n, LinkLayer link = LinkLayer::kRawIp) {
  return describe_packet(Bytes(frame).first(n), link, {.wire_len = frame.size()});
}

TEST(DescribeCutPacket, TcpSynIsDecodedAsFarAsItsOctetsGo) {
  const ByteVec pkt = ipv4_packet(IpProto::kTcp, emit_tcp(syn(), kV4A, kV4B));  // 20 + 40
  const std::string ports = "IP 198.18.0.1.41234 > 198.18.0.2.80: ";
  const std::string fields = ports + "Flags [S], seq 123, win 64240, options [";
  EXPECT_EQ(cut_to(pkt, 10).line, "IP  [|ip]");
  EXPECT_EQ(cut_to(pkt, 22).line, "IP 198.18.0.1 > 198.18.0.2: [|tcp]");
  EXPECT_EQ(cut_to(pkt, 30).line, ports + " [|tcp]");
  EXPECT_EQ(cut_to(pkt, 40).line, fields + " [|tcp]");
  EXPECT_EQ(cut_to(pkt, 44).line, fields + "mss 1460, [|tcp]");
  EXPECT_EQ(cut_to(pkt, 46).line, fields + "mss 1460,sackOK, [|tcp]");
  // The timestamps option's kind and length are there, its values are not: named, then '>'.
  EXPECT_EQ(cut_to(pkt, 50).line, fields + "mss 1460,sackOK,TS [|tcp]>");
  // Whole: the usual line, and a cut packet is not an undecodable one.
  EXPECT_EQ(cut_to(pkt, pkt.size()).line, line_of(pkt));
  for (std::size_t n = 0; n < pkt.size(); ++n) EXPECT_FALSE(cut_to(pkt, n).error) << n;
}

TEST(DescribeCutPacket, PayloadCutKeepsTheWireLengths) {
  const ByteVec payload(1000, 0x61);
  const ByteVec pkt = ipv4_packet(IpProto::kUdp, emit_udp(40000, 9, payload, kV4A, kV4B));
  EXPECT_EQ(cut_to(pkt, 96).line, "IP 198.18.0.1.40000 > 198.18.0.2.9: UDP, length 1000");
  EXPECT_EQ(cut_to(pkt, 24).line, "IP 198.18.0.1.40000 > 198.18.0.2.9:  [|udp]");
  const ByteVec dns =
      ipv4_packet(IpProto::kUdp, emit_udp(40000, 53, dns_query(1, "a.test"), kV4A, kV4B));
  EXPECT_EQ(cut_to(dns, 32).line, "IP 198.18.0.1.40000 > 198.18.0.2.53:  [|domain]");
  const ByteVec echo =
      ipv4_packet(IpProto::kIcmp, emit_icmpv4(Icmpv4Repr::echo_request(7, 1, as_bytes(kPing))));
  EXPECT_EQ(cut_to(echo, 24).line, "IP 198.18.0.1 > 198.18.0.2:  [|icmp]");
  EXPECT_EQ(cut_to(echo, 28).line, line_of(echo));
}

TEST(DescribeCutPacket, Ipv6HeadersAndNdp) {
  EXPECT_EQ(cut_to(kKernelMldv2Report, 30).line, " [|ip6]");
  EXPECT_EQ(cut_to(kKernelMldv2Report, 44).line,
            "IP6 fe80::f8ae:87ff:fe6b:b83a > ff02::16:  [|hbhopt]");
  const ByteVec ns =
      ipv6_packet(IpProto::kIcmpv6, emit_ndp(NdpRepr::neighbor_solicit(kV6B, kMacA), kV6A, kV6B));
  EXPECT_EQ(cut_to(ns, 50).line,
            "IP6 fd00:1::1 > fd00:1::2: ICMP6, neighbor solicitation [|icmp6]");
  // The link-address option cut: the message without it, the wire's length.
  EXPECT_EQ(
      cut_to(ns, 66).line,
      "IP6 fd00:1::1 > fd00:1::2: ICMP6, neighbor solicitation, who has fd00:1::2, length 32");
  const ByteVec arp =
      ethernet_frame(EtherType::kArp, emit_arp(ArpRepr::request(kMacA, kV4A, kV4B)));
  EXPECT_EQ(cut_to(arp, 30, LinkLayer::kEthernet).line, " [|arp]");
}

// Seeded random damage to valid packets of every kind: always a line, never a crash (run
// under --config=asan to catch out-of-bounds reads).
TEST(DescribePacket, RandomlyDamagedPacketsAreDescribedWithoutCrashing) {
  ArpRepr req = ArpRepr::request(kMacA, kV4A, kV4B);
  ByteVec arp = emit_arp(req);
  NdpRepr ns = NdpRepr::neighbor_solicit(kV6B, kMacA);
  ByteVec ndp = emit_ndp(ns, kV6A, kV6B);
  Icmpv4Repr echo = Icmpv4Repr::echo_request(7, 1, as_bytes(kPing));
  ByteVec icmp = emit_icmpv4(echo);
  const std::vector<ByteVec> frames = {
      ethernet_frame(EtherType::kArp, arp),
      ethernet_frame(EtherType::kIpv4, ipv4_packet(IpProto::kTcp, emit_tcp(syn(), kV4A, kV4B))),
      ethernet_frame(EtherType::kIpv6, ipv6_packet(IpProto::kTcp, emit_tcp(syn(), kV6A, kV6B))),
      ethernet_frame(
          EtherType::kIpv4,
          ipv4_packet(IpProto::kUdp, emit_udp(40000, 53, dns_query(1, "a.test"), kV4A, kV4B))),
      ethernet_frame(EtherType::kIpv6, ipv6_packet(IpProto::kIcmpv6, ndp)),
      ethernet_frame(EtherType::kIpv4, ipv4_packet(IpProto::kIcmp, icmp)),
      ethernet_frame(EtherType::kIpv4, kKernelIgmpV3Report),
      ethernet_frame(EtherType::kIpv4, igmp_packet(kIgmpV3SourceQuery, "239.1.2.3")),
      ethernet_frame(EtherType::kIpv6, kKernelMldv2Report),
      ethernet_frame(EtherType::kIpv6, mld_packet(kMldv2SourceQuery, "fe80::1", "ff05::1:3")),
  };
  Rng rng(20261125);
  for (int i = 0; i < 20000; ++i) {
    ByteVec f = frames[rng.uniform(frames.size())];
    const int flips = 1 + static_cast<int>(rng.uniform(4));
    for (int k = 0; k < flips; ++k) f[rng.uniform(f.size())] ^= 1 + rng.uniform(255);
    if (rng.chance(0.3)) f.resize(rng.uniform(f.size() + 1));
    PacketDescription d = describe_packet(f, LinkLayer::kEthernet,
                                          {.verbose = true, .checksums = ChecksumCheck::kSkip});
    ASSERT_FALSE(d.line.empty()) << to_hex(f);
  }
}

// --- Verbose --------------------------------------------------------------------------------

TEST(DescribePacket, VerboseListsEveryLayerWithItsFields) {
  ByteVec pkt = ipv4_packet(IpProto::kTcp, emit_tcp(syn(), kV4A, kV4B));
  ByteVec frame = ethernet_frame(EtherType::kIpv4, pkt);
  PacketDescription d = describe_packet(frame, LinkLayer::kEthernet, {.verbose = true});
  EXPECT_NE(d.details.find("  [ethernet]\n"), std::string::npos) << d.details;
  EXPECT_NE(d.details.find("  [ipv4]\n"), std::string::npos) << d.details;
  EXPECT_NE(d.details.find("  [tcp]\n"), std::string::npos) << d.details;
  EXPECT_NE(d.details.find("    ttl: 64\n"), std::string::npos) << d.details;
  EXPECT_NE(d.details.find("identification: 0x1234"), std::string::npos) << d.details;
  // The line is the same as without -v.
  EXPECT_EQ(d.line, line_of(frame, LinkLayer::kEthernet));
}

TEST(DescribePacket, NotVerboseHasNoDetails) {
  ByteVec pkt = ipv4_packet(IpProto::kTcp, emit_tcp(syn(), kV4A, kV4B));
  EXPECT_TRUE(describe_packet(pkt, LinkLayer::kRawIp).details.empty());
}

}  // namespace
}  // namespace ustack
