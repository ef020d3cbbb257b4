// The resolver cache: TTLs against passed-in time, LRU eviction, RFC 2308 negative entries.
#include "stack/dns/cache.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

using namespace literals;

DnsName name(const char* s) { return *DnsName::parse(s); }
const Instant t0 = Instant::from_millis(1000);

CachedAnswer addresses(const char* a, std::uint32_t ttl) {
  CachedAnswer c;
  c.canonical = name("www.example.test");
  c.addrs = {*IpAddr::parse(a)};
  c.ttl = ttl;
  return c;
}

TEST(DnsCache, HitReturnsRemainingTtl) {
  DnsCache cache(8);
  cache.put(t0, name("www.example.test"), DnsType::kA, addresses("198.18.0.9", 300));
  auto hit = cache.get(t0 + 100_s, name("www.example.test"), DnsType::kA);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->ttl, 200u);
  EXPECT_EQ(hit->addrs, std::vector{*IpAddr::parse("198.18.0.9")});
  hit = cache.get(t0 + 100_s + 1_ms, name("www.example.test"), DnsType::kA);
  EXPECT_EQ(hit->ttl, 199u);  // rounded down
}

// RFC 1035 §3.2.1: after TTL seconds the entry must not be used.
TEST(DnsCache, ExpiresAtTtl) {
  DnsCache cache(8);
  cache.put(t0, name("www.example.test"), DnsType::kA, addresses("198.18.0.9", 30));
  EXPECT_TRUE(cache.get(t0 + 30_s - 1_ms, name("www.example.test"), DnsType::kA));
  EXPECT_FALSE(cache.get(t0 + 30_s, name("www.example.test"), DnsType::kA));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.counters().expired, 1u);
}

// RFC 4343: the key ignores case; the type is part of the key.
TEST(DnsCache, KeyIsNameWithoutCaseAndType) {
  DnsCache cache(8);
  cache.put(t0, name("WWW.Example.test"), DnsType::kA, addresses("198.18.0.9", 30));
  EXPECT_TRUE(cache.get(t0, name("www.example.TEST."), DnsType::kA));
  EXPECT_FALSE(cache.get(t0, name("www.example.test"), DnsType::kAaaa));
}

TEST(DnsCache, ZeroTtlIsNotStored) {
  DnsCache cache(8);
  cache.put(t0, name("a.test"), DnsType::kA, addresses("198.18.0.9", 0));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DnsCache, LeastRecentlyUsedIsEvicted) {
  DnsCache cache(2);
  cache.put(t0, name("a.test"), DnsType::kA, addresses("198.18.0.1", 300));
  cache.put(t0, name("b.test"), DnsType::kA, addresses("198.18.0.2", 300));
  EXPECT_TRUE(cache.get(t0, name("a.test"), DnsType::kA));  // a is now the most recent
  cache.put(t0, name("c.test"), DnsType::kA, addresses("198.18.0.3", 300));
  EXPECT_TRUE(cache.get(t0, name("a.test"), DnsType::kA));
  EXPECT_FALSE(cache.get(t0, name("b.test"), DnsType::kA));
  EXPECT_TRUE(cache.get(t0, name("c.test"), DnsType::kA));
  EXPECT_EQ(cache.counters().evictions, 1u);
}

TEST(DnsCache, TtlCappedAtMax) {
  DnsCache cache(8, 3600);
  cache.put(t0, name("a.test"), DnsType::kA, addresses("198.18.0.1", 604800));
  EXPECT_EQ(cache.get(t0, name("a.test"), DnsType::kA)->ttl, 3600u);
}

// RFC 2308 §5: negative TTL = min(SOA TTL, SOA MINIMUM).
TEST(DnsCache, NegativeTtlIsMinOfSoaTtlAndMinimum) {
  DnsMessage m;
  m.rcode = DnsRcode::kNxDomain;
  DnsSoa soa{.mname = name("ns.test"), .rname = name("h.test"), .minimum = 60};
  m.authorities.push_back({name("test"), DnsType::kSoa, DnsClass::kIn, 3600, soa});
  EXPECT_EQ(negative_ttl(m), 60u);
  m.authorities[0].ttl = 20;
  EXPECT_EQ(negative_ttl(m), 20u);
  m.authorities.clear();
  EXPECT_FALSE(negative_ttl(m));
}

TEST(DnsCache, NegativeEntryKindKept) {
  DnsCache cache(8);
  CachedAnswer nx{.kind = CachedAnswer::Kind::kNxDomain, .ttl = 60};
  cache.put(t0, name("nope.test"), DnsType::kA, nx);
  auto hit = cache.get(t0 + 59_s, name("nope.test"), DnsType::kA);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->kind, CachedAnswer::Kind::kNxDomain);
  EXPECT_EQ(hit->ttl, 1u);
  EXPECT_FALSE(cache.get(t0 + 60_s, name("nope.test"), DnsType::kA));
}

}  // namespace
}  // namespace ustack
