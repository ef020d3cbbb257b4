// The route table: longest-prefix match over IPv4 and IPv6 routes (RFC 1812 §5.2.4.3,
// RFC 4861 §5.2 for the on-link / default-router split on a host).
//
// A host has few routes (connected prefixes, a default gateway, RA-learned prefixes), so a
// vector scanned per lookup is both simplest and fast. Routes learned from router
// advertisements carry an expiry.
#pragma once

#include <optional>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/time.h"

namespace ustack {

enum class RouteOrigin : std::uint8_t { kConnected, kStatic, kRouterAdvert };

struct Route {
  IpCidr dest;                    // network() of this is what is stored
  std::optional<IpAddr> gateway;  // nullopt: on-link (the destination is the next hop)
  RouteOrigin origin = RouteOrigin::kStatic;
  Instant expires = Instant::never();
  std::uint32_t metric = 0;  // among equal prefixes, the lowest metric wins
};

// Where a packet goes: the route and the next hop (gateway or the destination itself).
struct NextHop {
  Route route;
  IpAddr next_hop;
};

class RouteTable {
 public:
  // Adds or replaces the route with the same destination prefix and gateway.
  void add(Route r);
  // Removes routes to exactly `dest` (any gateway if `gateway` is nullopt). Returns the count.
  std::size_t remove(const IpCidr& dest, std::optional<IpAddr> gateway = std::nullopt);
  // Longest prefix first, then lowest metric, then the earliest added.
  std::optional<NextHop> lookup(const IpAddr& dst) const;
  // Drops expired routes; returns how many.
  std::size_t expire(Instant now);
  Instant next_expiry() const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace ustack
