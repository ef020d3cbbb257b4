// ICMP error rate limiting like Linux (RFC 1812 §4.3.2.8, RFC 4443 §2.4(f)).
//
// Two token buckets, as in net/ipv4/icmp.c: a global one (icmp_msgs_per_sec with a burst of
// icmp_msgs_burst) and one per destination (icmp_ratelimit: one message per interval with a
// burst of six, inet_peer_xrlim_allow). An error is sent only if both allow it. The
// per-destination table is bounded; the least recently used destination is forgotten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "stack/base/addr.h"
#include "stack/base/time.h"

namespace ustack {

// Tokens are counted in nanoseconds of "credit" so refill is exact integer arithmetic.
class TokenBucket {
 public:
  // `per_token`: time to earn one token; `burst`: tokens the bucket holds when full.
  TokenBucket(Duration per_token, std::uint32_t burst)
      : per_token_(per_token), cap_(per_token * burst), credit_(cap_) {}
  // Takes one token if available.
  bool allow(Instant now);

 private:
  Duration per_token_;
  Duration cap_;
  Duration credit_;
  Instant last_;
  bool started_ = false;
};

struct IcmpRateLimitConfig {
  std::uint32_t msgs_per_sec = 1000;                  // Linux net.ipv4.icmp_msgs_per_sec
  std::uint32_t msgs_burst = 50;                      // net.ipv4.icmp_msgs_burst
  Duration per_dest_interval = Duration::seconds(1);  // net.ipv4.icmp_ratelimit (1000 ms)
  std::uint32_t per_dest_burst = 6;                   // XRLIM_BURST_FACTOR
  std::size_t max_destinations = 1024;
};

class IcmpRateLimiter {
 public:
  explicit IcmpRateLimiter(const IcmpRateLimitConfig& cfg);
  // True if an ICMP error to `dst` may be sent now (and charges it).
  bool allow(Instant now, const IpAddr& dst);

 private:
  struct Peer {
    TokenBucket bucket;
    Instant last_used;
  };
  IcmpRateLimitConfig cfg_;
  TokenBucket global_;
  std::unordered_map<IpAddr, Peer> peers_;
};

}  // namespace ustack
