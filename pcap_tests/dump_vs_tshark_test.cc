// Our parsers against Wireshark's dissectors on real kernel traffic (captures/mixed.pcap):
// every packet is decoded by both, and every field below must agree, packet by packet.
//
// tshark prints the fields with `-T fields -E occurrence=a`, so a field that appears twice in
// a packet (an ICMP error quotes an IP header and 8 bytes of UDP) is compared as the list of
// both values: our side lists the outer header and then the quoted one, like tshark does.
// IP reassembly is off in tshark (-o ip.defragment:FALSE) so it too sees each fragment alone.
// Every packet must also be described by describe_packet() (what `ustack dump` prints) with
// no undecodable layer.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pcap_tests/run_command.h"
#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/wire/arp.h"
#include "stack/wire/dns.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/mld.h"
#include "stack/wire/ndp.h"
#include "stack/wire/print.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace ustack {
namespace {

constexpr const char* kCapture = "pcap_tests/captures/mixed.pcap";

// The tshark fields compared, in tshark's spelling and number format.
const std::vector<std::string> kFields = {
    "arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "arp.src.hw_mac",
    // IPv4 (RFC 791)
    "ip.src", "ip.dst", "ip.proto", "ip.len", "ip.id", "ip.ttl", "ip.hdr_len", "ip.flags.mf",
    "ip.flags.df", "ip.frag_offset",
    // IPv6 (RFC 8200) and the next-header chain
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.plen", "ipv6.hlim", "ipv6.hopopts.nxt",
    "ipv6.dstopts.nxt", "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
    "ipv6.fraghdr.ident",
    // TCP (RFC 9293, RFC 7323, RFC 2018)
    "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
    "tcp.window_size_value", "tcp.len", "tcp.hdr_len", "tcp.options.mss_val",
    "tcp.options.wscale.shift", "tcp.options.sack_perm", "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
    // UDP
    "udp.srcport", "udp.dstport", "udp.length",
    // ICMP, ICMPv6, NDP
    "icmp.type", "icmp.code", "icmp.ident", "icmp.seq", "icmpv6.type", "icmpv6.code",
    "icmpv6.echo.identifier", "icmpv6.echo.sequence_number", "icmpv6.nd.ns.target_address",
    "icmpv6.nd.na.target_address",
    // MLDv2 reports (RFC 3810 §5.2)
    "icmpv6.mldr.nb_mcast_records", "icmpv6.mldr.mar.record_type",
    "icmpv6.mldr.mar.multicast_address", "icmpv6.mldr.mar.nb_sources",
    // DNS (RFC 1035)
    "dns.id", "dns.flags.response", "dns.flags.rcode", "dns.qry.name", "dns.qry.type",
    "dns.count.answers", "dns.a", "dns.aaaa", "dns.cname", "dns.mx.mail_exchange",
    "dns.mx.preference", "dns.txt"};

// Field name -> values in packet order (tshark's aggregation joins them with ',').
using Fields = std::map<std::string, std::vector<std::string>>;

std::string hex(unsigned v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", digits, v);
  return buf;
}
std::string num(unsigned long v) { return std::to_string(v); }
std::string flag(bool b) { return b ? "1" : "0"; }

// Wireshark prints names without the root dot.
std::string name(const DnsName& n) {
  std::string s = n.to_string();
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

// --- Our decode, in tshark's terms --------------------------------------------------------

class OurDecoder {
 public:
  Fields decode(Bytes frame) {
    fields_.clear();
    auto eth = EthernetRepr::parse(frame);
    if (!eth) return fields_;
    if (eth->ethertype == EtherType::kArp) arp(eth->payload);
    if (eth->ethertype == EtherType::kIpv4) ipv4(eth->payload);
    if (eth->ethertype == EtherType::kIpv6) ipv6(eth->payload);
    return fields_;
  }

 private:
  void add(const std::string& field, std::string value) {
    fields_[field].push_back(std::move(value));
  }

  void arp(Bytes packet) {
    auto a = ArpRepr::parse(packet);
    if (!a) return;
    add("arp.opcode", num(static_cast<unsigned>(a->op)));
    add("arp.src.proto_ipv4", a->spa.to_string());
    add("arp.dst.proto_ipv4", a->tpa.to_string());
    add("arp.src.hw_mac", a->sha.to_string());
  }

  // IPv4 header fields straight from the header bytes: shared by packets and ICMP quotes.
  void ipv4_header_fields(Bytes h) {
    add("ip.src", Ipv4Addr::from_bytes(h.subspan(12)).to_string());
    add("ip.dst", Ipv4Addr::from_bytes(h.subspan(16)).to_string());
    add("ip.proto", num(h[9]));
    add("ip.len", num(load_be16(h, 2)));
    add("ip.id", hex(load_be16(h, 4), 4));
    add("ip.ttl", num(h[8]));
    add("ip.hdr_len", num((h[0] & 0xf) * 4));
    add("ip.flags.mf", flag(h[6] & 0x20));
    add("ip.flags.df", flag(h[6] & 0x40));
    add("ip.frag_offset", num(load_be16(h, 6) & 0x1fff));
  }

  void ipv4(Bytes packet) {
    auto ip = Ipv4Repr::parse(packet);
    if (!ip) return;
    // Check the parsed values, not only the bytes: compare the Repr with the raw header.
    add("ip.src", ip->src.to_string());
    add("ip.dst", ip->dst.to_string());
    add("ip.proto", num(static_cast<unsigned>(ip->protocol)));
    add("ip.len", num(ip->total_len()));
    add("ip.id", hex(ip->ident, 4));
    add("ip.ttl", num(ip->ttl));
    add("ip.hdr_len", num(ip->header_len()));
    add("ip.flags.mf", flag(ip->more_frags));
    add("ip.flags.df", flag(ip->dont_frag));
    add("ip.frag_offset", num(ip->frag_offset));
    if (ip->frag_offset != 0) return;  // no transport header in a later fragment
    const IpAddr src = ip->src, dst = ip->dst;
    transport(ip->protocol, ip->payload, src, dst, ip->more_frags);
  }

  void ipv6(Bytes packet) {
    auto ip = Ipv6Repr::parse(packet);
    if (!ip) return;
    add("ipv6.src", ip->src.to_string());
    add("ipv6.dst", ip->dst.to_string());
    add("ipv6.nxt", num(static_cast<unsigned>(ip->next_header)));
    add("ipv6.plen", num(ip->payload_len));
    add("ipv6.hlim", num(ip->hop_limit));
    for (const Ipv6ExtHeader& h : ip->ext_headers()) {
      const unsigned next = packet[h.offset];  // every extension header starts with Next Header
      if (h.type == IpProto::kHopByHop) add("ipv6.hopopts.nxt", num(next));
      if (h.type == IpProto::kIpv6Opts) add("ipv6.dstopts.nxt", num(next));
    }
    bool partial = false;
    if (ip->frag) {
      add("ipv6.fraghdr.nxt", num(static_cast<unsigned>(ip->frag->next_header)));
      add("ipv6.fraghdr.offset", num(ip->frag->frag_offset));
      add("ipv6.fraghdr.more", flag(ip->frag->more_frags));
      add("ipv6.fraghdr.ident", hex(ip->frag->ident, 8));
      if (ip->frag->frag_offset != 0) return;
      partial = ip->frag->more_frags;
    }
    transport(ip->upper_proto, ip->upper_payload, ip->src, ip->dst, partial);
  }

  void transport(IpProto proto, Bytes data, const IpAddr& src, const IpAddr& dst, bool partial) {
    const ChecksumCheck check = partial ? ChecksumCheck::kSkip : ChecksumCheck::kVerify;
    switch (proto) {
      case IpProto::kTcp:
        return tcp(data, src, dst, check);
      case IpProto::kUdp:
        return udp(data, src, dst, check);
      case IpProto::kIcmp:
        return icmpv4(data, check);
      case IpProto::kIcmpv6:
        return icmpv6(data, src.v6(), dst.v6(), check);
      default:
        return;
    }
  }

  void tcp(Bytes data, const IpAddr& src, const IpAddr& dst, ChecksumCheck check) {
    auto seg = TcpRepr::parse(data, src, dst, check);
    if (!seg) return;
    add("tcp.srcport", num(seg->src_port));
    add("tcp.dstport", num(seg->dst_port));
    add("tcp.seq_raw", num(seg->seq.raw()));
    add("tcp.ack_raw", num(seg->ack.raw()));
    // tshark's tcp.flags is the 12 bits after the data offset: reserved bits, then the flags.
    add("tcp.flags", hex((unsigned{seg->reserved} << 8) | seg->flags, 4));
    add("tcp.window_size_value", num(seg->window));
    add("tcp.len", num(seg->payload.size()));
    add("tcp.hdr_len", num(seg->header_len()));
    const TcpOptions& o = seg->options;
    if (o.mss) add("tcp.options.mss_val", num(*o.mss));
    if (o.window_scale) add("tcp.options.wscale.shift", num(*o.window_scale));
    if (o.sack_permitted) add("tcp.options.sack_perm", "present");
    if (o.timestamps) {
      add("tcp.options.timestamp.tsval", num(o.timestamps->val));
      add("tcp.options.timestamp.tsecr", num(o.timestamps->ecr));
    }
  }

  void udp(Bytes data, const IpAddr& src, const IpAddr& dst, ChecksumCheck check) {
    auto d = UdpRepr::parse(data, src, dst, check);
    if (!d) return;
    add("udp.srcport", num(d->src_port));
    add("udp.dstport", num(d->dst_port));
    add("udp.length", num(d->length));
    if (d->src_port == 53 || d->dst_port == 53) dns(d->payload);
  }

  // The 8 transport bytes an ICMP error quotes, as tshark decodes them (ports, UDP length).
  void quoted_transport(IpProto proto, Bytes t) {
    if (proto == IpProto::kUdp && t.size() >= 8) {
      add("udp.srcport", num(load_be16(t, 0)));
      add("udp.dstport", num(load_be16(t, 2)));
      add("udp.length", num(load_be16(t, 4)));
    }
    if (proto == IpProto::kTcp && t.size() >= 8) {
      add("tcp.srcport", num(load_be16(t, 0)));
      add("tcp.dstport", num(load_be16(t, 2)));
      add("tcp.seq_raw", num(load_be32(t, 4)));
    }
  }

  void icmpv4(Bytes data, ChecksumCheck check) {
    auto icmp = Icmpv4Repr::parse(data, check);
    if (!icmp) return;
    add("icmp.type", num(static_cast<unsigned>(icmp->type)));
    add("icmp.code", num(icmp->code));
    if (icmp->type == Icmpv4Type::kEchoRequest || icmp->type == Icmpv4Type::kEchoReply) {
      add("icmp.ident", num(icmp->ident));
      add("icmp.seq", num(icmp->seq_no));
    }
    if (icmp->is_error()) {
      auto q = icmp->quote();
      if (!q) return;
      ipv4_header_fields(q->header);
      quoted_transport(q->proto, q->transport);
    }
  }

  void icmpv6(Bytes data, const Ipv6Addr& src, const Ipv6Addr& dst, ChecksumCheck check) {
    auto icmp = Icmpv6Repr::parse(data, src, dst, check);
    if (!icmp) return;
    add("icmpv6.type", num(static_cast<unsigned>(icmp->type)));
    add("icmpv6.code", num(icmp->code));
    if (icmp->type == Icmpv6Type::kEchoRequest || icmp->type == Icmpv6Type::kEchoReply) {
      add("icmpv6.echo.identifier", hex(icmp->ident, 4));
      add("icmpv6.echo.sequence_number", num(icmp->seq_no));
    }
    if (icmp->is_ndp()) {
      auto ndp = NdpRepr::parse(*icmp, src, dst);
      if (!ndp) return;
      if (ndp->type == Icmpv6Type::kNeighborSolicit) {
        add("icmpv6.nd.ns.target_address", ndp->target.to_string());
      }
      if (ndp->type == Icmpv6Type::kNeighborAdvert) {
        add("icmpv6.nd.na.target_address", ndp->target.to_string());
      }
    }
    if (icmp->type == Icmpv6Type::kMldv2Report) {
      auto mld = MldRepr::parse(data, src, dst, check);
      if (!mld) return;
      add("icmpv6.mldr.nb_mcast_records", num(mld->num_records));
      for (std::size_t i = 0; i < mld->num_records; ++i) {
        const MldAddressRecord r = mld->record(i);
        add("icmpv6.mldr.mar.record_type", num(static_cast<unsigned>(r.type)));
        add("icmpv6.mldr.mar.multicast_address", r.group.to_string());
        add("icmpv6.mldr.mar.nb_sources", num(r.num_sources));
      }
    }
    if (icmp->is_error()) {
      auto q = icmp->quote();
      if (!q) return;
      add("ipv6.src", q->src.to_string());
      add("ipv6.dst", q->dst.to_string());
      add("ipv6.nxt", num(q->header[6]));
      add("ipv6.plen", num(q->payload_len));
      add("ipv6.hlim", num(q->hop_limit));
      quoted_transport(q->proto, q->transport);
    }
  }

  void dns(Bytes payload) {
    auto m = DnsMessage::parse(payload);
    if (!m) return;
    add("dns.id", hex(m->id, 4));
    add("dns.flags.response", flag(m->qr));
    // tshark shows the rcode of responses only.
    if (m->qr) add("dns.flags.rcode", num(static_cast<unsigned>(m->rcode) & 0xf));
    for (const DnsQuestion& q : m->questions) {
      add("dns.qry.name", name(q.name));
      add("dns.qry.type", num(static_cast<unsigned>(q.type)));
    }
    add("dns.count.answers", num(m->answers.size()));
    for (const auto* section : {&m->answers, &m->authorities, &m->additionals}) {
      for (const DnsRecord& r : *section) rdata(r);
    }
  }

  void rdata(const DnsRecord& r) {
    if (const auto* a = std::get_if<DnsA>(&r.rdata)) add("dns.a", a->addr.to_string());
    if (const auto* a = std::get_if<DnsAaaa>(&r.rdata)) add("dns.aaaa", a->addr.to_string());
    if (const auto* c = std::get_if<DnsCname>(&r.rdata)) add("dns.cname", name(c->target));
    if (const auto* mx = std::get_if<DnsMx>(&r.rdata)) {
      add("dns.mx.mail_exchange", name(mx->exchange));
      add("dns.mx.preference", num(mx->preference));
    }
    if (const auto* t = std::get_if<DnsTxt>(&r.rdata)) {
      for (const std::string& s : t->strings) add("dns.txt", s);
    }
  }

  Fields fields_;
};

// --- tshark's decode ----------------------------------------------------------------------

std::vector<Fields> tshark_decode(const std::string& file) {
  std::string cmd = "tshark -r " + file +
                    " -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields -E occurrence=a "
                    "-E aggregator=, -E separator=/t";
  for (const std::string& f : kFields) cmd += " -e " + f;
  const std::string out = run_command(cmd);
  std::vector<Fields> packets;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    Fields fields;
    std::size_t start = 0;
    for (const std::string& f : kFields) {
      const std::size_t tab = line.find('\t', start);
      const std::string value = line.substr(start, tab - start);
      start = tab == std::string::npos ? line.size() : tab + 1;
      if (value.empty()) continue;
      std::size_t vstart = 0;
      while (true) {
        const std::size_t comma = value.find(',', vstart);
        fields[f].push_back(value.substr(vstart, comma - vstart));
        if (comma == std::string::npos) break;
        vstart = comma + 1;
      }
      // tshark shows the option's raw bytes ("0402"); we only compare presence.
      if (f == "tcp.options.sack_perm") fields[f].assign(fields[f].size(), "present");
    }
    packets.push_back(std::move(fields));
  }
  return packets;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ",") + x;
  return s.empty() ? "(absent)" : s;
}

// Lists every field where the two decodes differ: "packet 25 tcp.seq_raw: ustack 1 tshark 2".
// `compared` counts the (packet, field) pairs where at least one side had a value.
std::vector<std::string> compare(const std::vector<Fields>& ours, const std::vector<Fields>& theirs,
                                 std::size_t& compared) {
  std::vector<std::string> diffs;
  compared = 0;
  if (ours.size() != theirs.size()) {
    diffs.push_back("packet count: ustack " + num(ours.size()) + " tshark " + num(theirs.size()));
  }
  for (std::size_t i = 0; i < std::min(ours.size(), theirs.size()); ++i) {
    for (const std::string& f : kFields) {
      const auto a = ours[i].find(f);
      const auto b = theirs[i].find(f);
      const std::string va = a == ours[i].end() ? "(absent)" : join(a->second);
      const std::string vb = b == theirs[i].end() ? "(absent)" : join(b->second);
      if (a != ours[i].end() || b != theirs[i].end()) ++compared;
      if (va != vb) {
        diffs.push_back("packet " + num(i + 1) + " " + f + ": ustack " + va + ", tshark " + vb);
      }
    }
  }
  return diffs;
}

std::vector<ByteVec> read_frames(const std::string& file) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(file.c_str(), errbuf);
  std::vector<ByteVec> frames;
  if (!p) {
    ADD_FAILURE() << "cannot open " << file << ": " << errbuf;
    return frames;
  }
  EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) frames.emplace_back(d, d + h->caplen);
  pcap_close(p);
  return frames;
}

std::string report(const std::vector<std::string>& diffs) {
  std::string s = std::to_string(diffs.size()) + " differences:\n";
  for (const std::string& d : diffs) s += "  " + d + "\n";
  return s;
}

class DumpVsTshark : public ::testing::Test {
 protected:
  void SetUp() override {
    frames_ = read_frames(kCapture);
    OurDecoder dec;
    for (const ByteVec& f : frames_) ours_.push_back(dec.decode(f));
    theirs_ = tshark_decode(kCapture);
  }
  std::vector<ByteVec> frames_;
  std::vector<Fields> ours_;
  std::vector<Fields> theirs_;
};

TEST_F(DumpVsTshark, EveryFieldOfEveryPacketAgrees) {
  ASSERT_GE(frames_.size(), 80u) << "the capture is the one in captures/README.md";
  std::size_t compared = 0;
  const std::vector<std::string> diffs = compare(ours_, theirs_, compared);
  EXPECT_TRUE(diffs.empty()) << report(diffs);
  // Guard against a vacuous pass (tshark printing nothing, fields renamed ...).
  EXPECT_GT(compared, 1000u);  // 1293 for the committed capture
}

// The capture holds every kind of packet the comparison is meant to cover.
TEST_F(DumpVsTshark, CaptureCoversEveryProtocolCompared) {
  std::map<std::string, int> seen;
  for (const Fields& f : theirs_) {
    for (const auto& [name, values] : f) ++seen[name];
  }
  for (const char* f :
       {"arp.opcode", "ip.flags.mf", "ipv6.fraghdr.ident", "ipv6.hopopts.nxt", "ipv6.dstopts.nxt",
        "tcp.options.wscale.shift", "tcp.options.sack_perm", "tcp.options.timestamp.tsval",
        "udp.length", "icmp.seq", "icmpv6.nd.ns.target_address", "icmpv6.nd.na.target_address",
        "icmpv6.mldr.mar.multicast_address", "dns.a", "dns.aaaa", "dns.cname",
        "dns.mx.mail_exchange", "dns.txt"}) {
    EXPECT_GT(seen[f], 0) << f << " never appears in " << kCapture;
  }
}

// The comparison can fail: one changed value is reported with packet, field and both values.
TEST_F(DumpVsTshark, ADifferenceIsReportedWithPacketAndField) {
  ASSERT_GT(ours_.size(), 25u);
  std::vector<Fields> tampered = ours_;
  tampered[24]["tcp.seq_raw"] = {"12345"};
  std::size_t compared = 0;
  const std::vector<std::string> diffs = compare(tampered, theirs_, compared);
  ASSERT_EQ(diffs.size(), 1u) << report(diffs);
  EXPECT_EQ(diffs[0].rfind("packet 25 tcp.seq_raw: ustack 12345, tshark ", 0), 0u) << diffs[0];
}

// What `ustack dump` prints: every packet of the capture decodes through every layer.
TEST_F(DumpVsTshark, DescribePacketDecodesEveryPacket) {
  for (std::size_t i = 0; i < frames_.size(); ++i) {
    PacketDescription d = describe_packet(frames_[i], LinkLayer::kEthernet);
    EXPECT_FALSE(d.error) << "packet " << i + 1 << ": " << d.line;
  }
}

}  // namespace
}  // namespace ustack
