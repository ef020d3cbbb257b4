#include "stack/dns/cache.h"

#include <algorithm>

#include "stack/dns/text_util.h"

namespace ustack {

std::string DnsCache::key_of(const DnsName& name, DnsType type) {
  std::string key = dns_text::name_key(name);
  key += '/';
  key += std::to_string(static_cast<unsigned>(type));
  return key;
}

void DnsCache::put(Instant now, const DnsName& name, DnsType type, CachedAnswer answer) {
  if (max_entries_ == 0 || answer.ttl == 0) return;
  answer.ttl = std::min(answer.ttl, max_ttl_);
  std::string key = key_of(name, type);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  while (lru_.size() >= max_entries_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++counters_.evictions;
  }
  Instant expires = now + Duration::seconds(answer.ttl);
  lru_.push_front(Entry{key, std::move(answer), expires});
  index_.emplace(std::move(key), lru_.begin());
  ++counters_.inserts;
}

std::optional<CachedAnswer> DnsCache::get(Instant now, const DnsName& name, DnsType type) {
  auto it = index_.find(key_of(name, type));
  if (it == index_.end()) return std::nullopt;
  auto entry = it->second;
  if (now >= entry->expires) {
    lru_.erase(entry);
    index_.erase(it);
    ++counters_.expired;
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  CachedAnswer out = entry->answer;
  out.ttl = static_cast<std::uint32_t>((entry->expires - now).total_nanos() / 1000'000'000);
  return out;
}

void DnsCache::clear() {
  lru_.clear();
  index_.clear();
}

std::optional<std::uint32_t> negative_ttl(const DnsMessage& response) {
  for (const DnsRecord& r : response.authorities) {
    if (const auto* soa = std::get_if<DnsSoa>(&r.rdata)) return std::min(r.ttl, soa->minimum);
  }
  return std::nullopt;
}

}  // namespace ustack
