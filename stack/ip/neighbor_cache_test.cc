// Neighbour cache state machine (RFC 4861 §7.3, Appendix C), shared by ARP and NDP.
#include "stack/ip/neighbor_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace ustack {
namespace {

using namespace literals;

const IpAddr kPeer = *IpAddr::parse("fd00:1::1");
const MacAddr kMac = *MacAddr::parse("02:00:00:00:00:01");
const MacAddr kMac2 = *MacAddr::parse("02:00:00:00:00:02");

struct Harness {
  NeighborConfig cfg;
  NeighborCache cache;
  std::vector<NeighborAction> actions;
  explicit Harness(NeighborConfig c = {}) : cfg(c), cache(c, 7) {}
  std::vector<NeighborAction> poll(Instant t) {
    actions.clear();
    cache.poll(t, [&](const NeighborAction& a) { actions.push_back(a); });
    return actions;
  }
  // Brings kPeer to REACHABLE at t.
  void resolve(Instant t) {
    EXPECT_FALSE(cache.lookup(t, kPeer));
    poll(t);
    EXPECT_TRUE(cache.on_advert(t, kPeer, kMac, true, true));
  }
};

Instant at(Duration d) { return Instant() + d; }

// §7.2.2: an unknown neighbour gets an INCOMPLETE entry and a multicast solicitation.
TEST(NeighborCache, LookupOfUnknownStartsResolution) {
  Harness h;
  EXPECT_FALSE(h.cache.lookup(at(0_s), kPeer).has_value());
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kIncomplete);
  auto a = h.poll(at(0_s));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, NeighborAction::Kind::kSolicit);
  EXPECT_FALSE(a[0].unicast_to.has_value());
}

// §7.2.2: retransmit every RetransTimer; after MAX_MULTICAST_SOLICIT, fail and drop the queue.
TEST(NeighborCache, IncompleteRetriesThenFails) {
  Harness h;
  h.cache.lookup(at(0_s), kPeer);
  h.cache.enqueue(kPeer, ByteVec(10));
  h.cache.enqueue(kPeer, ByteVec(10));
  int solicits = 0;
  for (int ms = 0; ms <= 4000; ms += 100) {
    for (const auto& a : h.poll(at(Duration::millis(ms)))) {
      if (a.kind == NeighborAction::Kind::kSolicit) ++solicits;
      if (a.kind == NeighborAction::Kind::kFailed) {
        EXPECT_EQ(a.dropped, 2u);
        EXPECT_EQ(ms, 3000);  // three solicitations at 0, 1 and 2 s, failure at 3 s
      }
    }
  }
  EXPECT_EQ(solicits, 3);
  EXPECT_FALSE(h.cache.state(kPeer).has_value());
}

// RFC 1122 §2.3.2.2 / Linux unres_qlen: the queue is bounded; the oldest packets go first.
TEST(NeighborCache, QueueIsBoundedDroppingOldest) {
  NeighborConfig cfg;
  cfg.max_queue_per_entry = 3;
  Harness h(cfg);
  h.cache.lookup(at(0_s), kPeer);
  std::size_t dropped = 0;
  for (std::uint8_t i = 0; i < 5; ++i) dropped += h.cache.enqueue(kPeer, ByteVec{i});
  EXPECT_EQ(dropped, 2u);
  h.cache.on_advert(at(0_s), kPeer, kMac, true, true);
  auto q = h.cache.take_queue(kPeer);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q.front(), ByteVec{2});
  EXPECT_EQ(q.back(), ByteVec{4});
}

// §7.2.5: a solicited advert makes an INCOMPLETE entry REACHABLE, an unsolicited one STALE.
TEST(NeighborCache, AdvertResolvesIncomplete) {
  Harness h;
  h.cache.lookup(at(0_s), kPeer);
  EXPECT_TRUE(h.cache.on_advert(at(0_s), kPeer, kMac, true, false));
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kReachable);
  EXPECT_EQ(h.cache.lookup(at(1_s), kPeer), kMac);

  Harness u;
  u.cache.lookup(at(0_s), kPeer);
  u.cache.on_advert(at(0_s), kPeer, kMac, false, false);
  EXPECT_EQ(u.cache.state(kPeer), NeighborState::kStale);
}

// §7.2.5: an advert for a neighbour we have no entry for creates none.
TEST(NeighborCache, UnsolicitedAdvertForUnknownIsIgnored) {
  Harness h;
  EXPECT_FALSE(h.cache.on_advert(at(0_s), kPeer, kMac, false, true));
  EXPECT_FALSE(h.cache.state(kPeer).has_value());
}

// §7.3.3: REACHABLE → STALE after ReachableTime (randomised 0.5–1.5 × 30 s) →
// DELAY on use → PROBE after 5 s → unicast probes → deleted after 3 unanswered.
TEST(NeighborCache, ReachableStaleDelayProbeFailed) {
  Harness h;
  h.resolve(at(0_s));
  h.poll(at(14_s));
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kReachable);  // before 0.5 × 30 s
  h.poll(at(45_s));
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kStale);  // after 1.5 × 30 s
  EXPECT_EQ(h.cache.lookup(at(46_s), kPeer), kMac);        // still usable
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kDelay);
  EXPECT_TRUE(h.poll(at(50_s)).empty());
  auto a = h.poll(at(51_s));
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kProbe);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].unicast_to, kMac);  // PROBE solicits unicast
  EXPECT_EQ(h.poll(at(52_s)).size(), 1u);
  EXPECT_EQ(h.poll(at(53_s)).size(), 1u);
  a = h.poll(at(54_s));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, NeighborAction::Kind::kFailed);
  EXPECT_FALSE(h.cache.state(kPeer).has_value());
}

// §7.3.3: an answer to a probe brings the entry back to REACHABLE.
TEST(NeighborCache, ProbeAnsweredBecomesReachable) {
  Harness h;
  h.resolve(at(0_s));
  h.poll(at(45_s));
  h.cache.lookup(at(46_s), kPeer);
  h.poll(at(51_s));
  ASSERT_EQ(h.cache.state(kPeer), NeighborState::kProbe);
  h.cache.on_advert(at(51_s), kPeer, kMac, true, false);
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kReachable);
}

// §7.3.1: upper-layer confirmation in DELAY avoids probing.
TEST(NeighborCache, ConfirmInDelayReturnsToReachable) {
  Harness h;
  h.resolve(at(0_s));
  h.poll(at(45_s));
  h.cache.lookup(at(46_s), kPeer);
  h.cache.confirm(at(47_s), kPeer);
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kReachable);
  EXPECT_TRUE(h.poll(at(52_s)).empty());
}

// §7.2.5: a non-override advert with a new address only demotes REACHABLE to STALE; an
// override advert replaces the address.
TEST(NeighborCache, OverrideFlagDecidesAddressChange) {
  Harness h;
  h.resolve(at(0_s));
  h.cache.on_advert(at(1_s), kPeer, kMac2, false, false);
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kStale);
  EXPECT_EQ(h.cache.link_addr(kPeer), kMac);
  h.cache.on_advert(at(2_s), kPeer, kMac2, false, true);
  EXPECT_EQ(h.cache.link_addr(kPeer), kMac2);
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kStale);
}

// §7.2.3: a solicitation's source link-layer option creates or updates a STALE entry.
TEST(NeighborCache, LinkAddressFromRequestCreatesStale) {
  Harness h;
  EXPECT_TRUE(h.cache.on_lladdr(at(0_s), kPeer, kMac));
  EXPECT_EQ(h.cache.state(kPeer), NeighborState::kStale);
  EXPECT_FALSE(h.cache.on_lladdr(at(0_s), *IpAddr::parse("fd00:1::9"), kMac, false));
}

// Aging: a STALE entry nobody uses disappears after gc_stale_time.
TEST(NeighborCache, UnusedStaleEntryAgesOut) {
  Harness h;
  h.cache.on_lladdr(at(0_s), kPeer, kMac);
  h.poll(at(59_s));
  EXPECT_TRUE(h.cache.state(kPeer).has_value());
  h.poll(at(60_s));
  EXPECT_FALSE(h.cache.state(kPeer).has_value());
}

TEST(NeighborCache, FullCacheEvictsLeastRecentlyUsedStale) {
  NeighborConfig cfg;
  cfg.max_entries = 2;
  Harness h(cfg);
  IpAddr a = *IpAddr::parse("198.18.0.1"), b = *IpAddr::parse("198.18.0.2"),
         c = *IpAddr::parse("198.18.0.3");
  h.cache.on_lladdr(at(1_s), a, kMac);
  h.cache.on_lladdr(at(2_s), b, kMac);
  h.cache.on_lladdr(at(3_s), c, kMac);
  EXPECT_FALSE(h.cache.state(a).has_value());
  EXPECT_TRUE(h.cache.state(b).has_value());
  EXPECT_TRUE(h.cache.state(c).has_value());
}

TEST(NeighborCache, ObserverSeesTransitions) {
  Harness h;
  std::vector<std::pair<std::optional<NeighborState>, std::optional<NeighborState>>> seen;
  h.cache.set_observer([&](const IpAddr&, auto from, auto to) { seen.push_back({from, to}); });
  h.resolve(at(0_s));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, std::nullopt);
  EXPECT_EQ(seen[0].second, NeighborState::kIncomplete);
  EXPECT_EQ(seen[1].second, NeighborState::kReachable);
}

}  // namespace
}  // namespace ustack
