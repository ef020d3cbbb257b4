#include "stack/ip/pmtu_cache.h"

#include <algorithm>

namespace ustack {

std::size_t PmtuCache::effective(Instant now, const IpAddr& dst, std::size_t mtu,
                                 std::size_t link_mtu) const {
  std::size_t floor = floor_for(dst);
  if (mtu >= floor) return mtu;
  // Linux __ip_rt_update_pmtu: `mtu = min(old_mtu, ip_rt_min_pmtu)`; RFC 8201 §4: a PTB below
  // 1280 is not a reason to go below the IPv6 minimum.
  return std::min(get(now, dst, link_mtu), floor);
}

bool PmtuCache::update(Instant now, const IpAddr& dst, std::size_t mtu, std::size_t link_mtu) {
  if (locked(now, dst)) return false;
  // Linux __ip_rt_update_pmtu: below ip_rt_min_pmtu the MTU is locked (IPv4 only: IPv6 has no
  // DF to clear, RFC 8200 §5 drops the "atomic fragment" answer to a PTB below 1280).
  bool lock = dst.is_v4() && mtu < floor_for(dst);
  mtu = effective(now, dst, mtu, link_mtu);
  std::size_t current = get(now, dst, link_mtu);
  // RFC 1191 §6.3: never raise the estimate from a report.
  if (mtu > current || (mtu == current && !lock)) return false;
  if (entries_.size() >= max_entries_ && !entries_.contains(dst)) {
    auto oldest = std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    entries_.erase(oldest);
  }
  entries_[dst] = Entry{mtu, now + expiry_, lock};
  return true;
}

bool PmtuCache::locked(Instant now, const IpAddr& dst) const {
  auto it = entries_.find(dst);
  return it != entries_.end() && it->second.expires > now && it->second.locked;
}

std::size_t PmtuCache::get(Instant now, const IpAddr& dst, std::size_t link_mtu) const {
  auto it = entries_.find(dst);
  if (it == entries_.end() || it->second.expires <= now) return link_mtu;
  return std::min(it->second.mtu, link_mtu);
}

std::size_t PmtuCache::get(const IpAddr& dst, std::size_t link_mtu) const {
  auto it = entries_.find(dst);
  if (it == entries_.end()) return link_mtu;
  return std::min(it->second.mtu, link_mtu);
}

void PmtuCache::expire(Instant now) {
  std::erase_if(entries_, [&](const auto& e) { return e.second.expires <= now; });
}

Instant PmtuCache::next_expiry() const {
  Instant t = Instant::never();
  for (const auto& [a, e] : entries_) t = std::min(t, e.expires);
  return t;
}

std::size_t PmtuCache::plateau_below(std::size_t total_len) {
  static constexpr std::size_t kPlateaus[] = {65535, 32000, 17914, 8166, 4352, 2002,
                                              1492,  1006,  508,   296,  68};
  for (std::size_t p : kPlateaus) {
    if (p < total_len) return p;
  }
  return 68;
}

}  // namespace ustack
