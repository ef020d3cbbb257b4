// The resolver's answer cache: bounded, LRU, positive and negative (RFC 2308) entries.
//
// One entry per (name, type) as asked, name compared without ASCII case (the key is the
// lowercased text form): the final answer to that question with its CNAME chain, or the
// fact that the name does not exist (NXDOMAIN) or has no record of that type (NODATA).
// The TTL of a positive entry is the smallest TTL of every RRset used to build it (each CNAME
// along the chain and the address RRset: RFC 2181 §5.2, RFC 1034 §4.3.2); the caller
// computes it. Negative entries live min(SOA TTL, SOA MINIMUM) seconds, see negative_ttl().
//
// Time is passed in: an entry stored at t with TTL n is returned up to, not including,
// t + n s, with the TTL it has left in whole seconds (rounded down, so a caller may see 0 in
// the last second). Expired entries are removed when met. When full, the least recently used
// entry (stored or returned) is evicted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/time.h"
#include "stack/wire/dns.h"

namespace ustack {

struct CachedAnswer {
  enum class Kind : std::uint8_t { kAddresses, kNxDomain, kNoData };
  Kind kind = Kind::kAddresses;
  DnsName canonical;                 // the last name of the chain (the asked name if none)
  std::vector<DnsName> cname_chain;  // each alias, in order
  std::vector<IpAddr> addrs;         // kAddresses: the RRset, in the order received
  std::uint32_t ttl = 0;             // put(): seconds to live; get(): seconds left
};

struct DnsCacheCounters {
  std::uint64_t inserts = 0;
  std::uint64_t evictions = 0;  // LRU, full cache
  std::uint64_t expired = 0;    // found past their TTL
};

class DnsCache {
 public:
  explicit DnsCache(std::size_t max_entries, std::uint32_t max_ttl = 86400)
      : max_entries_(max_entries), max_ttl_(max_ttl) {}

  // Stores (replacing any entry for the same name and type). TTL 0 or a zero-size cache
  // stores nothing; a TTL above max_ttl is lowered to it.
  void put(Instant now, const DnsName& name, DnsType type, CachedAnswer answer);
  // The live entry with its remaining TTL, and marks it most recently used.
  std::optional<CachedAnswer> get(Instant now, const DnsName& name, DnsType type);
  void clear();
  std::size_t size() const { return lru_.size(); }
  const DnsCacheCounters& counters() const { return counters_; }

 private:
  struct Entry {
    std::string key;
    CachedAnswer answer;
    Instant expires;
  };
  static std::string key_of(const DnsName& name, DnsType type);

  std::size_t max_entries_;
  std::uint32_t max_ttl_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  DnsCacheCounters counters_;
};

// RFC 2308 §5: the TTL of a negative answer is the minimum of the SOA record's own TTL and its
// MINIMUM field, taken from the authority section. nullopt if there is no SOA there.
std::optional<std::uint32_t> negative_ttl(const DnsMessage& response);

}  // namespace ustack
