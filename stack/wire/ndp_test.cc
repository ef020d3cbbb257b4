// Neighbor Discovery (RFC 4861, RDNSS RFC 8106) parse and emit.
#include "stack/wire/ndp.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

// Frames below were captured from the Linux kernel (two network namespaces joined by a veth,
// interfaces brought up with fd00:5::/64 addresses, then `ping -6`) with tcpdump; the router
// advertisement was crafted with scapy in the same capture (no radvd on the machine) and the
// kernel configured fd00:5::ff:fe00:501 from it. The script:
// stack/wire/testdata/link_capture/capture.sh. Hex is the whole Ethernet frame; the IPv6
// source is at 22, the destination at 38, the ICMPv6 message at 54.

// Duplicate address detection for fd00:5::2: from ::, with a nonce option (RFC 7527).
constexpr const char* kDadNs =
    "3333ff00000202000000050286dd6000000000203aff00000000000000000000000000000000ff0200000000"
    "000000000001ff0000028700113800000000fd0000050000000000000000000000020e017d2d8fd2515d";

// Address resolution before the first ping -6: who has fd00:5::2, source link-address option.
constexpr const char* kNs =
    "3333ff00000202000000050186dd6000000000203afffd000005000000000000000000000001ff0200000000"
    "000000000001ff0000028700788d00000000fd0000050000000000000000000000020101020000000501";

// The answer: solicited + override, target link-address option.
constexpr const char* kNa =
    "02000000050102000000050286dd6000000000203afffd000005000000000000000000000002fd0000050000"
    "000000000000000000018800178b60000000fd0000050000000000000000000000020201020000000502";

// Router solicitation after the link came up.
constexpr const char* kRs =
    "33330000000202000000050186dd6000000000103afffe80000000000000000000fffe000501ff0200000000"
    "000000000000000000028500712c000000000101020000000501";

// Crafted RA: hop limit 64, O flag, lifetime 1800 s, reachable 30000 ms, retrans 1000 ms;
// options: source link-address, MTU 1500, prefix fd00:5::/64 L+A 86400/14400, RDNSS fd00:5::53.
constexpr const char* kRa =
    "33330000000102000000050286dd6000000000583afffe80000000000000000000fffe000502ff0200000000"
    "000000000000000000018600c15d4048070800007530000003e8010102000000050205010000000005dc0304"
    "40c0000151800000384000000000fd0000050000000000000000000000001903000000000258fd0000050000"
    "00000000000000000053";

struct Captured {
  ByteVec frame;
  Ipv6Addr src;
  Ipv6Addr dst;
  Bytes icmp;
};

Captured captured(const char* hex) {
  Captured c;
  c.frame = from_hex(hex);
  c.src = Ipv6Addr::from_bytes(Bytes(c.frame).subspan(22, 16));
  c.dst = Ipv6Addr::from_bytes(Bytes(c.frame).subspan(38, 16));
  c.icmp = Bytes(c.frame).subspan(54);
  return c;
}

const Ipv6Addr kA = *Ipv6Addr::parse("fd00:5::1");
const Ipv6Addr kB = *Ipv6Addr::parse("fd00:5::2");
const Ipv6Addr kLinkLocalB = *Ipv6Addr::parse("fe80::ff:fe00:502");
const MacAddr kMacA({0x02, 0, 0, 0, 0x05, 0x01});
const MacAddr kMacB({0x02, 0, 0, 0, 0x05, 0x02});

ByteVec emit(const NdpRepr& ndp, const Ipv6Addr& src, const Ipv6Addr& dst) {
  ByteVec out(ndp.buffer_len());
  ndp.emit(out, src, dst);
  return out;
}

// For malformed-message tests: rewrite the checksum after editing the bytes, so the parser
// gets past the checksum to the rule under test.
void fix_checksum(ByteVec& m, const Ipv6Addr& src, const Ipv6Addr& dst) {
  store_be16(m, 2, icmpv6_checksum(m, src, dst));
}

ParseError parse_error(ByteVec m, const Ipv6Addr& src, const Ipv6Addr& dst) {
  fix_checksum(m, src, dst);
  auto r = NdpRepr::parse(m, src, dst);
  EXPECT_FALSE(r.ok());
  return r.ok() ? ParseError::kUnsupported : r.error();
}

TEST(NdpNeighborSolicit, ParsesKernelAddressResolution) {
  Captured c = captured(kNs);
  auto icmp = Icmpv6Repr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(icmp.ok());
  ASSERT_TRUE(icmp->is_ndp());
  auto ns = NdpRepr::parse(*icmp, c.src, c.dst);
  ASSERT_TRUE(ns.ok()) << to_string(ns.error());
  EXPECT_EQ(ns->type, Icmpv6Type::kNeighborSolicit);
  EXPECT_EQ(ns->target, kB);
  EXPECT_EQ(c.dst, Ipv6Addr::solicited_node(kB));
  EXPECT_EQ(ns->options.source_link_addr, kMacA);
  EXPECT_FALSE(ns->options.target_link_addr);
  EXPECT_EQ(ns->to_string(),
            "ICMP6, neighbor solicitation, who has fd00:5::2, source link-address "
            "02:00:00:00:05:01, length 32");
}

TEST(NdpNeighborSolicit, BuilderMatchesKernelBytes) {
  Captured c = captured(kNs);
  EXPECT_EQ(to_hex(emit(NdpRepr::neighbor_solicit(kB, kMacA), c.src, c.dst)), to_hex(c.icmp));
}

// RFC 4861 §7.2.2 / RFC 4862 §5.4.2: DAD probes come from :: without a link-layer option.
TEST(NdpNeighborSolicit, ParsesKernelDadProbeAndSkipsNonceOption) {
  Captured c = captured(kDadNs);
  EXPECT_TRUE(c.src.is_unspecified());
  auto ns = NdpRepr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(ns.ok()) << to_string(ns.error());
  EXPECT_EQ(ns->target, kB);
  EXPECT_FALSE(ns->options.source_link_addr);
  EXPECT_EQ(ns->options.unknown_count, 1);  // nonce, type 14
  EXPECT_EQ(ns->options.raw.size(), 8u);
  // Re-emitting drops the unknown option; the rest survives.
  ByteVec out = emit(*ns, c.src, c.dst);
  EXPECT_EQ(out.size(), 24u);
  auto back = NdpRepr::parse(out, c.src, c.dst);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *ns);
}

// tcpdump prints the message's length on the wire, the nonce included (32, not the 24 of what
// we keep), and -v names the nonce (RFC 3971 §5.3.2) instead of "unknown options skipped".
TEST(NdpNeighborSolicit, PrintsTheWireLengthAndTheNonce) {
  Captured c = captured(kDadNs);
  auto ns = NdpRepr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(ns.ok());
  EXPECT_TRUE(ns->to_string().ends_with(", length 32")) << ns->to_string();
  EXPECT_NE(ns->to_verbose_string().find("  option nonce: 0x"), std::string::npos)
      << ns->to_verbose_string();
}

TEST(NdpNeighborAdvert, ParsesKernelSolicitedAdvert) {
  Captured c = captured(kNa);
  auto na = NdpRepr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(na.ok()) << to_string(na.error());
  EXPECT_EQ(na->type, Icmpv6Type::kNeighborAdvert);
  EXPECT_EQ(na->target, kB);
  EXPECT_FALSE(na->router);
  EXPECT_TRUE(na->solicited);
  EXPECT_TRUE(na->override_);
  EXPECT_EQ(na->options.target_link_addr, kMacB);
  EXPECT_EQ(na->to_string(),
            "ICMP6, neighbor advertisement, tgt is fd00:5::2, Flags [solicited, override], "
            "target link-address 02:00:00:00:05:02, length 32");
}

TEST(NdpNeighborAdvert, BuilderMatchesKernelBytes) {
  Captured c = captured(kNa);
  NdpRepr na = NdpRepr::neighbor_advert(kB, kMacB, /*router=*/false, /*solicited=*/true,
                                        /*override_=*/true);
  EXPECT_EQ(to_hex(emit(na, c.src, c.dst)), to_hex(c.icmp));
}

TEST(NdpRouterSolicit, KernelSolicitationRoundTrips) {
  Captured c = captured(kRs);
  auto rs = NdpRepr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(rs.ok()) << to_string(rs.error());
  EXPECT_EQ(rs->type, Icmpv6Type::kRouterSolicit);
  EXPECT_EQ(rs->options.source_link_addr, kMacA);
  EXPECT_EQ(to_hex(emit(NdpRepr::router_solicit(kMacA), c.src, c.dst)), to_hex(c.icmp));
}

TEST(NdpRouterAdvert, ParsesEveryField) {
  Captured c = captured(kRa);
  auto ra = NdpRepr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(ra.ok()) << to_string(ra.error());
  EXPECT_EQ(ra->type, Icmpv6Type::kRouterAdvert);
  EXPECT_EQ(ra->cur_hop_limit, 64);
  EXPECT_FALSE(ra->managed);
  EXPECT_TRUE(ra->other_config);
  EXPECT_EQ(ra->router_preference, 1);  // scapy default: high
  EXPECT_EQ(ra->router_lifetime_s, 1800);
  EXPECT_EQ(ra->reachable_time_ms, 30000u);
  EXPECT_EQ(ra->retrans_timer_ms, 1000u);
  const NdpOptions& o = ra->options;
  EXPECT_EQ(o.source_link_addr, kMacB);
  EXPECT_EQ(o.mtu, 1500u);
  ASSERT_EQ(o.prefix_count, 1);
  EXPECT_EQ(o.prefixes[0].prefix, *Ipv6Addr::parse("fd00:5::"));
  EXPECT_EQ(o.prefixes[0].prefix_len, 64);
  EXPECT_TRUE(o.prefixes[0].on_link);
  EXPECT_TRUE(o.prefixes[0].autonomous);
  EXPECT_EQ(o.prefixes[0].valid_lifetime_s, 86400u);
  EXPECT_EQ(o.prefixes[0].preferred_lifetime_s, 14400u);
  ASSERT_TRUE(o.rdnss);
  EXPECT_EQ(o.rdnss->lifetime_s, 600u);
  ASSERT_EQ(o.rdnss->count(), 1u);
  EXPECT_EQ(o.rdnss->addr(0), *Ipv6Addr::parse("fd00:5::53"));
  EXPECT_EQ(o.unknown_count, 0);
}

TEST(NdpRouterAdvert, EmitReproducesCapturedBytes) {
  Captured c = captured(kRa);
  auto ra = NdpRepr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(to_hex(emit(*ra, c.src, c.dst)), to_hex(c.icmp));
}

TEST(NdpRouterAdvert, PrintsOneLineAndVerbose) {
  Captured c = captured(kRa);
  auto ra = NdpRepr::parse(c.icmp, c.src, c.dst);
  ASSERT_TRUE(ra.ok());
  EXPECT_EQ(ra->to_string(),
            "ICMP6, router advertisement, hop limit 64, Flags [other stateful], router lifetime "
            "1800s, prefix fd00:5::/64, source link-address 02:00:00:00:05:02, length 88");
  std::string v = ra->to_verbose_string();
  EXPECT_NE(v.find("reachable time: 30000ms"), std::string::npos) << v;
  EXPECT_NE(v.find("option prefix info: fd00:5::/64, on-link (L) 1, autonomous (A) 1, valid "
                   "86400s, preferred 14400s"),
            std::string::npos)
      << v;
  EXPECT_NE(v.find("option rdnss: lifetime 600s, fd00:5::53"), std::string::npos) << v;
}

TEST(NdpRouterAdvert, KeepsFirstEightPrefixesAndSaysSo) {
  NdpRepr ra;
  ra.type = Icmpv6Type::kRouterAdvert;
  for (int i = 0; i < 8; ++i) {
    NdpPrefixInfo p;
    p.prefix_len = 64;
    p.prefix = *Ipv6Addr::parse("fd00:" + std::to_string(i + 1) + "::");
    ASSERT_TRUE(ra.options.add_prefix(p));
  }
  EXPECT_FALSE(ra.options.add_prefix(NdpPrefixInfo{}));
  ByteVec m = emit(ra, kLinkLocalB, Ipv6Addr::all_nodes());
  // Append a ninth prefix option by hand.
  ByteVec ninth(m.end() - 32, m.end());
  m.insert(m.end(), ninth.begin(), ninth.end());
  fix_checksum(m, kLinkLocalB, Ipv6Addr::all_nodes());
  auto back = NdpRepr::parse(m, kLinkLocalB, Ipv6Addr::all_nodes());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->options.prefix_count, 8);
  EXPECT_TRUE(back->options.prefixes_truncated);
}

NdpRepr redirect() {
  NdpRepr r;
  r.type = Icmpv6Type::kRedirect;
  r.target = *Ipv6Addr::parse("fe80::1");
  r.redirect_dst = *Ipv6Addr::parse("fd00:9::7");
  r.options.target_link_addr = kMacB;
  return r;
}

TEST(NdpRedirect, RoundTripsWithRedirectedHeader) {
  Captured quoted = captured(kNs);
  NdpRepr r = redirect();
  r.options.redirected_header = Bytes(quoted.frame).subspan(14, 40 + 32);
  ByteVec m = emit(r, kLinkLocalB, kA);
  EXPECT_EQ(m.size(), 40u + 8 + 8 + 72);
  auto back = NdpRepr::parse(m, kLinkLocalB, kA);
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  EXPECT_EQ(*back, r);
  EXPECT_EQ(back->to_string(),
            "ICMP6, redirect, fd00:9::7 to fe80::1, target link-address 02:00:00:00:05:02, "
            "length 128");
}

// RFC 4861 §4.6.3: the redirected header is padded to a multiple of 8 bytes.
TEST(NdpRedirect, PadsRedirectedHeader) {
  const std::uint8_t partial[] = {0x60, 0, 0, 0, 0};
  NdpRepr r = redirect();
  r.options.redirected_header = partial;
  ByteVec m = emit(r, kLinkLocalB, kA);
  auto back = NdpRepr::parse(m, kLinkLocalB, kA);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->options.redirected_header->size(), 8u);
}

// --- RFC 4861 §4.6 option validity ---

ByteVec ns_with_options(const std::string& options_hex) {
  ByteVec m = emit(NdpRepr::neighbor_solicit(kB, std::nullopt), kA, Ipv6Addr::solicited_node(kB));
  ByteVec opts = from_hex(options_hex);
  m.insert(m.end(), opts.begin(), opts.end());
  return m;
}

ParseError ns_error(const std::string& options_hex) {
  return parse_error(ns_with_options(options_hex), kA, Ipv6Addr::solicited_node(kB));
}

// §4.6: "Nodes MUST silently discard an ND packet that contains an option with length zero."
TEST(NdpOptions, RejectsZeroLengthOption) {
  EXPECT_EQ(ns_error("0100020000000501"
                     "0e00000000000000"),
            ParseError::kBadOption);
}

TEST(NdpOptions, RejectsOptionRunningPastTheMessage) {
  EXPECT_EQ(ns_error("0102020000000501"), ParseError::kBadOption);
}

TEST(NdpOptions, RejectsTrailingByteThatCannotHoldAnOption) {
  EXPECT_EQ(ns_error("0101020000000501"
                     "01"),
            ParseError::kBadOption);
}

TEST(NdpOptions, RejectsLinkAddressOptionOfWrongLength) {
  EXPECT_EQ(ns_error("01020200000005010000000000000000"), ParseError::kBadOption);
}

TEST(NdpOptions, RejectsPrefixOptionOfWrongLength) {
  EXPECT_EQ(ns_error("0303"
                     "40c0" +
                     std::string(44, '0')),
            ParseError::kBadOption);
}

TEST(NdpOptions, RejectsPrefixLengthOver128) {
  EXPECT_EQ(ns_error("0304"
                     "81c0" +
                     std::string(60, '0')),
            ParseError::kBadOption);
}

TEST(NdpOptions, RejectsMtuOptionOfWrongLength) {
  EXPECT_EQ(ns_error("0502000000000500"
                     "0000000000000000"),
            ParseError::kBadOption);
}

// RFC 8106 §5.1: length 3 + 2n (n >= 1).
TEST(NdpOptions, RejectsRdnssWithoutAddress) {
  EXPECT_EQ(ns_error("1901000000000258"), ParseError::kBadOption);
}

TEST(NdpOptions, RejectsRdnssOfEvenLength) {
  EXPECT_EQ(ns_error("1904000000000258" + std::string(48, '0')), ParseError::kBadOption);
}

TEST(NdpOptions, SkipsUnknownOptions) {
  ByteVec m = ns_with_options(
      "2a01000000000000"
      "0101020000000501");
  fix_checksum(m, kA, Ipv6Addr::solicited_node(kB));
  auto ns = NdpRepr::parse(m, kA, Ipv6Addr::solicited_node(kB));
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->options.unknown_count, 1);
  EXPECT_EQ(ns->options.source_link_addr, kMacA);
}

// --- RFC 4861 §6.1, §7.1, §8.1 message validity ---

TEST(NdpValidation, RejectsNonZeroCode) {
  Captured c = captured(kNs);
  ByteVec m(c.icmp.begin(), c.icmp.end());
  m[1] = 1;
  EXPECT_EQ(parse_error(m, c.src, c.dst), ParseError::kBadType);
}

TEST(NdpValidation, RejectsNonNdpType) {
  Captured c = captured(kNs);
  ByteVec m(c.icmp.begin(), c.icmp.end());
  m[0] = 128;
  EXPECT_EQ(parse_error(m, c.src, c.dst), ParseError::kBadType);
}

TEST(NdpValidation, RejectsBadChecksum) {
  Captured c = captured(kNs);
  ByteVec m(c.icmp.begin(), c.icmp.end());
  m[10] ^= 1;
  auto r = NdpRepr::parse(m, c.src, c.dst);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), ParseError::kBadChecksum);
}

// §7.1.1: "ICMP length (derived from the IP length) is 24 or more octets."
TEST(NdpValidation, RejectsShortNeighborSolicit) {
  Captured c = captured(kNs);
  ByteVec m(c.icmp.begin(), c.icmp.begin() + 23);
  EXPECT_EQ(parse_error(m, c.src, c.dst), ParseError::kTruncated);
}

TEST(NdpValidation, RejectsShortNeighborAdvert) {
  Captured c = captured(kNa);
  ByteVec m(c.icmp.begin(), c.icmp.begin() + 20);
  EXPECT_EQ(parse_error(m, c.src, c.dst), ParseError::kTruncated);
}

// §6.1.2: "ICMP length (derived from the IP length) is 16 or more octets."
TEST(NdpValidation, RejectsShortRouterAdvert) {
  Captured c = captured(kRa);
  ByteVec m(c.icmp.begin(), c.icmp.begin() + 15);
  EXPECT_EQ(parse_error(m, c.src, c.dst), ParseError::kTruncated);
}

// §8.1: "ICMP length (derived from the IP length) is 40 or more octets."
TEST(NdpValidation, RejectsShortRedirect) {
  ByteVec m = emit(redirect(), kLinkLocalB, kA);
  m.resize(39);
  EXPECT_EQ(parse_error(m, kLinkLocalB, kA), ParseError::kTruncated);
}

// §7.1.1 / §7.1.2: "Target Address is not a multicast address."
TEST(NdpValidation, RejectsMulticastTarget) {
  ByteVec m =
      emit(NdpRepr::neighbor_solicit(Ipv6Addr::all_nodes(), kMacA), kA, Ipv6Addr::all_nodes());
  EXPECT_EQ(parse_error(m, kA, Ipv6Addr::all_nodes()), ParseError::kBadAddress);
}

// §7.1.1: from the unspecified address the destination is a solicited-node address.
TEST(NdpValidation, RejectsDadProbeToUnicast) {
  Captured c = captured(kDadNs);
  ByteVec m(c.icmp.begin(), c.icmp.end());
  EXPECT_EQ(parse_error(m, c.src, kB), ParseError::kBadAddress);
}

// §7.1.1: from the unspecified address there is no source link-layer address option.
TEST(NdpValidation, RejectsDadProbeWithSourceLinkAddress) {
  const Ipv6Addr dst = Ipv6Addr::solicited_node(kB);
  ByteVec m = emit(NdpRepr::neighbor_solicit(kB, kMacA), Ipv6Addr::any(), dst);
  EXPECT_EQ(parse_error(m, Ipv6Addr::any(), dst), ParseError::kBadAddress);
}

// §6.1.1: likewise for a router solicitation.
TEST(NdpValidation, RejectsRouterSolicitFromUnspecifiedWithLinkAddress) {
  ByteVec m = emit(NdpRepr::router_solicit(kMacA), Ipv6Addr::any(), Ipv6Addr::all_routers());
  EXPECT_EQ(parse_error(m, Ipv6Addr::any(), Ipv6Addr::all_routers()), ParseError::kBadAddress);
}

// §6.1.2: "IP Source Address is a link-local address."
TEST(NdpValidation, RejectsRouterAdvertFromGlobalAddress) {
  Captured c = captured(kRa);
  ByteVec m(c.icmp.begin(), c.icmp.end());
  EXPECT_EQ(parse_error(m, kB, c.dst), ParseError::kBadAddress);
}

// §7.1.2: "If the IP Destination Address is a multicast address the Solicited flag is zero."
TEST(NdpValidation, RejectsSolicitedAdvertToMulticast) {
  Captured c = captured(kNa);
  ByteVec m(c.icmp.begin(), c.icmp.end());
  EXPECT_EQ(parse_error(m, c.src, Ipv6Addr::all_nodes()), ParseError::kBadValue);
}

TEST(NdpValidation, AcceptsUnsolicitedAdvertToAllNodes) {
  NdpRepr na = NdpRepr::neighbor_advert(kB, kMacB, false, /*solicited=*/false, true);
  ByteVec m = emit(na, kB, Ipv6Addr::all_nodes());
  EXPECT_TRUE(NdpRepr::parse(m, kB, Ipv6Addr::all_nodes()).ok());
}

// §8.1: source link-local; destination not multicast; target link-local or the destination.
TEST(NdpValidation, RejectsRedirectFromGlobalAddress) {
  ByteVec m = emit(redirect(), kB, kA);
  EXPECT_EQ(parse_error(m, kB, kA), ParseError::kBadAddress);
}

TEST(NdpValidation, RejectsRedirectOfMulticastDestination) {
  NdpRepr r = redirect();
  r.redirect_dst = Ipv6Addr::all_nodes();
  ByteVec m = emit(r, kLinkLocalB, kA);
  EXPECT_EQ(parse_error(m, kLinkLocalB, kA), ParseError::kBadAddress);
}

TEST(NdpValidation, RejectsRedirectToGlobalTargetOtherThanDestination) {
  NdpRepr r = redirect();
  r.target = kB;
  ByteVec m = emit(r, kLinkLocalB, kA);
  EXPECT_EQ(parse_error(m, kLinkLocalB, kA), ParseError::kBadAddress);
}

TEST(NdpValidation, AcceptsRedirectWhoseTargetIsTheDestination) {
  NdpRepr r = redirect();
  r.target = r.redirect_dst;  // "the destination is a neighbour"
  ByteVec m = emit(r, kLinkLocalB, kA);
  EXPECT_TRUE(NdpRepr::parse(m, kLinkLocalB, kA).ok());
}

}  // namespace
}  // namespace ustack
