// Path MTU per destination, learned from ICMP "fragmentation needed" (RFC 1191) and ICMPv6
// "packet too big" (RFC 8201).
//
// Entries only lower the MTU, never below the family's floor (68 for IPv4, RFC 791; 1280 for
// IPv6, RFC 8200 §5), and expire after 10 minutes so a path that grew is found again
// (RFC 1191 §6.3, RFC 8201 §4; Linux mtu_expires). Bounded: the oldest entry is replaced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "stack/base/addr.h"
#include "stack/base/time.h"

namespace ustack {

class PmtuCache {
 public:
  static constexpr std::size_t kMinMtuV4 = 68;
  static constexpr std::size_t kMinMtuV6 = 1280;

  explicit PmtuCache(Duration expiry = Duration::seconds(600), std::size_t max_entries = 4096)
      : expiry_(expiry), max_entries_(max_entries) {}

  // Records a report that packets to `dst` must be at most `mtu`. Returns true if the path
  // MTU for `dst` went down.
  bool update(Instant now, const IpAddr& dst, std::size_t mtu, std::size_t link_mtu);
  // The MTU to use toward `dst`: the learned one if fresh, else `link_mtu`.
  std::size_t get(Instant now, const IpAddr& dst, std::size_t link_mtu) const;
  // get() without expiry, for callers that have no `now` (IpSender::path_mtu); expiry is
  // applied by expire().
  std::size_t get(const IpAddr& dst, std::size_t link_mtu) const;
  void expire(Instant now);
  Instant next_expiry() const;
  std::size_t size() const { return entries_.size(); }

  // RFC 1191 §7: the plateau below `total_len` when a router sent no next-hop MTU.
  static std::size_t plateau_below(std::size_t total_len);

 private:
  struct Entry {
    std::size_t mtu;
    Instant expires;
  };
  Duration expiry_;
  std::size_t max_entries_;
  std::unordered_map<IpAddr, Entry> entries_;
};

}  // namespace ustack
