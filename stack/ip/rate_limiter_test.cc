// ICMP error rate limiting, Linux's two token buckets (RFC 1812 §4.3.2.8, RFC 4443 §2.4(f)).
#include "stack/ip/rate_limiter.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

using namespace literals;

TEST(TokenBucket, BurstThenOnePerInterval) {
  TokenBucket b(1_s, 6);
  Instant t = Instant::from_millis(1000);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(b.allow(t)) << i;
  EXPECT_FALSE(b.allow(t));
  EXPECT_FALSE(b.allow(t + 999_ms));
  EXPECT_TRUE(b.allow(t + 1_s));
  EXPECT_FALSE(b.allow(t + 1_s));
}

TEST(TokenBucket, RefillIsCappedAtBurst) {
  TokenBucket b(10_ms, 3);
  Instant t;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.allow(t));
  t += 10_s;  // a long quiet period earns at most `burst` tokens
  int allowed = 0;
  while (b.allow(t)) ++allowed;
  EXPECT_EQ(allowed, 3);
}

TEST(IcmpRateLimiter, PerDestinationBurstOfSix) {
  IcmpRateLimiter l(IcmpRateLimitConfig{});
  IpAddr a = *IpAddr::parse("198.18.0.1");
  Instant t = Instant::from_millis(5);
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += l.allow(t, a);
  EXPECT_EQ(allowed, 6);
  // Another destination has its own bucket.
  EXPECT_TRUE(l.allow(t, *IpAddr::parse("198.18.0.9")));
}

TEST(IcmpRateLimiter, GlobalBucketLimitsManyDestinations) {
  IcmpRateLimitConfig cfg;
  cfg.msgs_per_sec = 1000;
  cfg.msgs_burst = 50;
  IcmpRateLimiter l(cfg);
  Instant t;
  int allowed = 0;
  for (std::uint32_t i = 0; i < 500; ++i) {
    allowed += l.allow(t, IpAddr(Ipv4Addr::from_u32(0xc6120000 + i)));
  }
  EXPECT_EQ(allowed, 50);
  // 10 ms later the global bucket has earned 10 tokens.
  allowed = 0;
  for (std::uint32_t i = 500; i < 1000; ++i) {
    allowed += l.allow(t + 10_ms, IpAddr(Ipv4Addr::from_u32(0xc6120000 + i)));
  }
  EXPECT_EQ(allowed, 10);
}

TEST(IcmpRateLimiter, DestinationTableIsBounded) {
  IcmpRateLimitConfig cfg;
  cfg.max_destinations = 4;
  cfg.msgs_burst = 1000;
  IcmpRateLimiter l(cfg);
  for (std::uint32_t i = 0; i < 100; ++i) {
    EXPECT_TRUE(l.allow(Instant::from_millis(i), IpAddr(Ipv4Addr::from_u32(0xc6120000 + i))));
  }
}

}  // namespace
}  // namespace ustack
