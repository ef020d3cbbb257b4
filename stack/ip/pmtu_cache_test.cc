// Path MTU cache (RFC 1191, RFC 8201).
#include "stack/ip/pmtu_cache.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

using namespace literals;

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

TEST(PmtuCache, ReportLowersMtuForThatDestinationOnly) {
  PmtuCache c;
  Instant t;
  EXPECT_TRUE(c.update(t, ip("198.18.1.1"), 1400, 1500));
  EXPECT_EQ(c.get(t, ip("198.18.1.1"), 1500), 1400u);
  EXPECT_EQ(c.get(t, ip("198.18.1.2"), 1500), 1500u);
}

// RFC 1191 §6.3: a report never raises the estimate.
TEST(PmtuCache, ReportNeverRaises) {
  PmtuCache c;
  Instant t;
  c.update(t, ip("198.18.1.1"), 1200, 1500);
  EXPECT_FALSE(c.update(t, ip("198.18.1.1"), 1400, 1500));
  EXPECT_FALSE(c.update(t, ip("198.18.1.1"), 9000, 1500));
  EXPECT_EQ(c.get(t, ip("198.18.1.1"), 1500), 1200u);
}

// RFC 8201 §4: 1280 for IPv6; Linux ip_rt_min_pmtu: 552 for IPv4.
TEST(PmtuCache, FamilyFloors) {
  PmtuCache c;
  Instant t;
  c.update(t, ip("fd00::1"), 500, 1500);
  EXPECT_EQ(c.get(t, ip("fd00::1"), 1500), 1280u);
  EXPECT_FALSE(c.locked(t, ip("fd00::1")));
  c.update(t, ip("198.18.1.1"), 68, 1500);
  EXPECT_EQ(c.get(t, ip("198.18.1.1"), 1500), 552u);
}

// Linux __ip_rt_update_pmtu: a report below the IPv4 floor locks the entry (DF cleared) and
// later reports are ignored until it expires; a report at or above the floor does not lock.
TEST(PmtuCache, ReportBelowTheIpv4FloorLocks) {
  PmtuCache c(600_s);
  Instant t = Instant::from_millis(1);
  IpAddr a = ip("198.18.1.1");
  EXPECT_TRUE(c.update(t, a, 552, 1500));
  EXPECT_FALSE(c.locked(t, a));
  EXPECT_TRUE(c.update(t, a, 100, 1500));  // same MTU, but now locked
  EXPECT_TRUE(c.locked(t, a));
  EXPECT_EQ(c.get(t, a, 1500), 552u);
  EXPECT_FALSE(c.update(t, a, 60, 1500));
  EXPECT_EQ(c.effective(t, a, 60, 1500), 552u);
  EXPECT_EQ(c.effective(t, a, 1000, 1500), 1000u);
  EXPECT_FALSE(c.locked(t + 600_s, a));
  // A link narrower than the floor keeps its own MTU (min(old_mtu, ip_rt_min_pmtu)).
  IpAddr b = ip("198.18.1.2");
  EXPECT_EQ(c.effective(t, b, 68, 500), 500u);
  EXPECT_TRUE(c.update(t, b, 68, 500));
  EXPECT_EQ(c.get(t, b, 500), 500u);
  EXPECT_TRUE(c.locked(t, b));
}

// RFC 1191 §6.3: estimates age out (10 minutes) so a grown path is found again.
TEST(PmtuCache, EntriesExpire) {
  PmtuCache c(600_s);
  Instant t = Instant::from_millis(1);
  c.update(t, ip("fd00::1"), 1400, 1500);
  EXPECT_EQ(c.next_expiry(), t + 600_s);
  EXPECT_EQ(c.get(t + 599_s, ip("fd00::1"), 1500), 1400u);
  EXPECT_EQ(c.get(t + 600_s, ip("fd00::1"), 1500), 1500u);
  c.expire(t + 600_s);
  EXPECT_EQ(c.size(), 0u);
}

// RFC 1191 §7 plateau table for routers that report no MTU.
TEST(PmtuCache, PlateauBelow) {
  EXPECT_EQ(PmtuCache::plateau_below(1500), 1492u);
  EXPECT_EQ(PmtuCache::plateau_below(1492), 1006u);
  EXPECT_EQ(PmtuCache::plateau_below(4000), 2002u);
  EXPECT_EQ(PmtuCache::plateau_below(60), 68u);
}

TEST(PmtuCache, BoundedSize) {
  PmtuCache c(600_s, 3);
  for (std::uint32_t i = 0; i < 10; ++i) {
    c.update(Instant::from_millis(i), IpAddr(Ipv4Addr::from_u32(0xc6120000 + i)), 1000, 1500);
  }
  EXPECT_EQ(c.size(), 3u);
}

}  // namespace
}  // namespace ustack
