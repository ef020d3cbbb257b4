// Path MTU per destination, learned from ICMP "fragmentation needed" (RFC 1191) and ICMPv6
// "packet too big" (RFC 8201).
//
// Entries only lower the MTU and expire after 10 minutes so a path that grew is found again
// (RFC 1191 §6.3, RFC 8201 §4; Linux mtu_expires). A report below the family's floor sets the
// floor instead: 552 for IPv4 (Linux net.ipv4.route.min_pmtu, ip_rt_min_pmtu = 512 + 20 + 20),
// 1280 for IPv6 (RFC 8200 §5). For IPv4 the entry is then locked, as in Linux
// __ip_rt_update_pmtu: the path MTU no longer drops and DF is cleared (ip_dont_fragment), so a
// forged "fragmentation needed" with MTU 68 cannot make us send 68-byte packets, and a real
// path narrower than the floor still works through router fragmentation. Bounded: the oldest
// entry is replaced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "stack/base/addr.h"
#include "stack/base/time.h"

namespace ustack {

class PmtuCache {
 public:
  static constexpr std::size_t kMinPmtuV4 = 552;  // Linux ip_rt_min_pmtu
  static constexpr std::size_t kMinMtuV6 = 1280;  // RFC 8200 §5

  explicit PmtuCache(Duration expiry = Duration::seconds(600), std::size_t max_entries = 4096)
      : expiry_(expiry), max_entries_(max_entries) {}

  // The lowest path MTU a report can set toward `dst`.
  static std::size_t floor_for(const IpAddr& dst) { return dst.is_v4() ? kMinPmtuV4 : kMinMtuV6; }
  // What a report of `mtu` toward `dst` means (Linux __ip_rt_update_pmtu): `mtu` itself, or
  // below the floor the floor (the current path MTU if that is lower already). This is what
  // the transport is told, as Linux's tcp_v4_mtu_reduced reads dst_mtu() after the update.
  std::size_t effective(Instant now, const IpAddr& dst, std::size_t mtu,
                        std::size_t link_mtu) const;
  // Records a report that packets to `dst` must be at most `mtu`. Returns true if the path
  // MTU for `dst` went down or became locked. A locked entry ignores further reports until it
  // expires (Linux dst_metric_locked(RTAX_MTU)).
  bool update(Instant now, const IpAddr& dst, std::size_t mtu, std::size_t link_mtu);
  // True while a report below the IPv4 floor holds the path MTU toward `dst`: packets to it
  // leave without DF (Linux ip_dont_fragment with IP_PMTUDISC_WANT).
  bool locked(Instant now, const IpAddr& dst) const;
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
    bool locked = false;
  };
  Duration expiry_;
  std::size_t max_entries_;
  std::unordered_map<IpAddr, Entry> entries_;
};

}  // namespace ustack
