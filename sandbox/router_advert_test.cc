// The sandbox's router advertisement, emitted and parsed back as a receiver sees it.
#include "sandbox/router_advert.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "stack/base/bytes.h"

namespace ustack::sandbox {
namespace {

TEST(RouterAdvert, PrefixRouterAndDnsAsSlaacNeedsThem) {
  SandboxLayout l = *layout_for_cidr("198.18.5.0/24").layout;
  std::string error;
  ASSERT_TRUE(add_ipv6_layout(l, "fd00:5::/64", error)) << error;
  MacAddr mac({0x02, 0x00, 0x5e, 0x10, 0x00, 0x02});
  NdpRepr ra = router_advert(*l.v6, mac);
  Ipv6Addr src = Ipv6Addr::link_local_from_mac(mac);
  Ipv6Addr dst = Ipv6Addr::all_nodes();
  ByteVec out(ra.buffer_len());
  ra.emit(out, src, dst);
  // ICMPv6 type 134 code 0 (RFC 4861 §4.2), then cur hop limit 64, no M/O flags, lifetime 1800.
  EXPECT_EQ(out[0], 134);
  EXPECT_EQ(out[1], 0);
  EXPECT_EQ(out[4], 64);
  EXPECT_EQ(out[5], 0);
  EXPECT_EQ(out[6] << 8 | out[7], 1800);
  auto back = NdpRepr::parse(out, src, dst);
  ASSERT_TRUE(back.ok());
  const NdpRepr& r = back.value();
  EXPECT_EQ(r.type, Icmpv6Type::kRouterAdvert);
  EXPECT_EQ(r.router_lifetime_s, 1800);
  EXPECT_EQ(r.options.source_link_addr, mac);
  // One prefix: the sandbox's /64, on-link and autonomous (RFC 4862 §5.5.3: SLAAC takes it
  // only with A set, a /64 and preferred <= valid).
  ASSERT_EQ(r.options.prefix_count, 1u);
  const NdpPrefixInfo& p = r.options.prefixes[0];
  EXPECT_EQ(p.prefix, *Ipv6Addr::parse("fd00:5::"));
  EXPECT_EQ(p.prefix_len, 64);
  EXPECT_TRUE(p.on_link);
  EXPECT_TRUE(p.autonomous);
  EXPECT_EQ(p.valid_lifetime_s, 2592000u);
  EXPECT_EQ(p.preferred_lifetime_s, 604800u);
  // RDNSS (RFC 8106): the sandbox's DNS address ::3.
  ASSERT_TRUE(r.options.rdnss.has_value());
  ASSERT_EQ(r.options.rdnss->count(), 1u);
  EXPECT_TRUE(std::equal(r.options.rdnss->addrs.begin(), r.options.rdnss->addrs.end(),
                         l.v6->dns.bytes().begin()));
  EXPECT_EQ(l.v6->dns, IpAddr(*Ipv6Addr::parse("fd00:5::3")));
}

// RFC 4861 §6.2.6 on a virtual clock (t in ms from the advertiser's start).
Instant at_ms(std::int64_t ms) { return Instant::from_millis(ms); }

TEST(RaSchedule, UnsolicitedEveryIntervalAfterTheFirstDelay) {
  RaSchedule s(at_ms(0));
  EXPECT_EQ(s.next(), at_ms(2000));
  EXPECT_FALSE(s.answers_solicitation());
  s.sent(at_ms(2000));
  EXPECT_EQ(s.next(), at_ms(6000));
}

// Long after the last RA: the answer goes after the random delay alone.
TEST(RaSchedule, SolicitationAnsweredAfterItsRandomDelay) {
  RaSchedule s(at_ms(0));
  s.sent(at_ms(2000));
  s.solicited(at_ms(5500), Duration::millis(300));
  EXPECT_EQ(s.next(), at_ms(5800));
  EXPECT_TRUE(s.answers_solicitation());
  s.sent(at_ms(5800));
  EXPECT_FALSE(s.answers_solicitation());
  EXPECT_EQ(s.next(), at_ms(9800));  // the unsolicited ones go on from the answer
}

// An RA went less than MIN_DELAY_BETWEEN_RAS (3 s) ago: last + 3 s + the delay.
TEST(RaSchedule, AtMostOneMulticastAdvertisementPerThreeSeconds) {
  RaSchedule s(at_ms(0));
  s.sent(at_ms(2000));
  s.solicited(at_ms(2100), Duration::millis(200));
  EXPECT_EQ(s.next(), at_ms(5200));
  // A second solicitation before then is answered by the same RA (the delay counts from the
  // first, §6.2.6).
  s.solicited(at_ms(3000), Duration::millis(0));
  EXPECT_EQ(s.next(), at_ms(5000));
  s.solicited(at_ms(4000), Duration::millis(500));
  EXPECT_EQ(s.next(), at_ms(5000));
}

// "If the computed value corresponds to a time later than the time the next multicast Router
// Advertisement is scheduled to be sent, ignore the random delay".
TEST(RaSchedule, NeverLaterThanTheAdvertisementAlreadyDue) {
  RaSchedule s(at_ms(0));
  s.sent(at_ms(2000));
  s.solicited(at_ms(5900), Duration::millis(500));
  EXPECT_EQ(s.next(), at_ms(6000));
  EXPECT_TRUE(s.answers_solicitation());
}

// Before the first RA (our link-local address still in DAD) the answer waits for it.
TEST(RaSchedule, SolicitationAtStartWaitsForTheFirstAdvertisement) {
  RaSchedule s(at_ms(0));
  s.solicited(at_ms(100), Duration::millis(100));
  EXPECT_EQ(s.next(), at_ms(2000));
}

}  // namespace
}  // namespace ustack::sandbox
