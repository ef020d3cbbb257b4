#include "stack/ip/rate_limiter.h"

#include <algorithm>

namespace ustack {

bool TokenBucket::allow(Instant now) {
  if (started_ && now > last_) credit_ = std::min(cap_, credit_ + (now - last_));
  if (!started_ || now > last_) last_ = now;
  started_ = true;
  if (credit_ < per_token_) return false;
  credit_ -= per_token_;
  return true;
}

IcmpRateLimiter::IcmpRateLimiter(const IcmpRateLimitConfig& cfg)
    : cfg_(cfg),
      global_(Duration::nanos(1'000'000'000 / std::max<std::uint32_t>(cfg.msgs_per_sec, 1)),
              cfg.msgs_burst) {}

bool IcmpRateLimiter::allow(Instant now, const IpAddr& dst) {
  auto it = peers_.find(dst);
  if (it == peers_.end()) {
    if (peers_.size() >= cfg_.max_destinations) {
      auto lru = std::min_element(peers_.begin(), peers_.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      peers_.erase(lru);
    }
    it = peers_.emplace(dst, Peer{TokenBucket(cfg_.per_dest_interval, cfg_.per_dest_burst), now})
             .first;
  }
  it->second.last_used = now;
  // Per-destination first, like Linux: a flood toward one host does not starve the others.
  if (!it->second.bucket.allow(now)) return false;
  return global_.allow(now);
}

}  // namespace ustack
