#include "stack/ip/route_table.h"

#include <algorithm>

namespace ustack {

void RouteTable::add(Route r) {
  r.dest = IpCidr{r.dest.network(), r.dest.prefix_len};
  for (Route& existing : routes_) {
    if (existing.dest == r.dest && existing.gateway == r.gateway) {
      existing = r;
      return;
    }
  }
  routes_.push_back(r);
}

std::size_t RouteTable::remove(const IpCidr& dest, std::optional<IpAddr> gateway) {
  IpCidr net{dest.network(), dest.prefix_len};
  return std::erase_if(
      routes_, [&](const Route& r) { return r.dest == net && (!gateway || r.gateway == gateway); });
}

std::optional<NextHop> RouteTable::lookup(const IpAddr& dst) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (r.dest.addr.version() != dst.version() || !r.dest.contains(dst)) continue;
    if (!best || r.dest.prefix_len > best->dest.prefix_len ||
        (r.dest.prefix_len == best->dest.prefix_len && r.metric < best->metric)) {
      best = &r;
    }
  }
  if (!best) return std::nullopt;
  return NextHop{*best, best->gateway.value_or(dst)};
}

std::size_t RouteTable::expire(Instant now) {
  return std::erase_if(routes_, [&](const Route& r) { return r.expires <= now; });
}

Instant RouteTable::next_expiry() const {
  Instant t = Instant::never();
  for (const Route& r : routes_) t = std::min(t, r.expires);
  return t;
}

}  // namespace ustack
