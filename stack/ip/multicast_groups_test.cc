// MulticastGroups: membership counts and the IGMPv2 (RFC 2236) / MLDv2 (RFC 3810) timers, with
// no packets: what poll() hands out, and when.
#include "stack/ip/multicast_groups.h"

#include <gtest/gtest.h>

#include <vector>

namespace ustack {
namespace {

using namespace literals;
using Kind = GroupReport::Kind;

const IpAddr kG4 = *IpAddr::parse("239.1.2.3");
const IpAddr kG6 = *IpAddr::parse("ff05::1:3");
const IpAddr kAny4 = IpAddr(Ipv4Addr::any());
const IpAddr kAny6 = IpAddr(Ipv6Addr::any());

struct Fixture {
  MulticastGroups g{MulticastConfig{}, 7};
  Instant now = Instant::from_millis(1000);
  std::vector<GroupReport> poll() {
    std::vector<GroupReport> out;
    g.poll(now, [&](const GroupReport& r) { out.push_back(r); });
    return out;
  }
  // Runs every timer up to now + d; returns what came out, with when.
  std::vector<std::pair<Instant, GroupReport>> run(Duration d) {
    std::vector<std::pair<Instant, GroupReport>> out;
    Instant end = now + d;
    while (g.next_deadline() <= end) {
      now = g.next_deadline();
      for (const GroupReport& r : poll()) out.push_back({now, r});
    }
    now = end;
    return out;
  }
};

// RFC 2236 §3: a report at once and one repeat within the Unsolicited Report Interval.
TEST(MulticastGroups, FirstJoinReportsNowAndOnceMoreWithinTenSeconds) {
  Fixture f;
  EXPECT_TRUE(f.g.join(f.now, kG4));
  EXPECT_TRUE(f.g.is_member(kG4));
  auto now = f.poll();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].kind, Kind::kJoin);
  EXPECT_EQ(now[0].group, kG4);
  EXPECT_FALSE(now[0].old_version);
  Instant joined = f.now;
  auto later = f.run(20_s);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_LE(later[0].first - joined, 10_s);
  EXPECT_TRUE(f.g.next_deadline().is_never());
}

TEST(MulticastGroups, MembershipIsCounted) {
  Fixture f;
  EXPECT_TRUE(f.g.join(f.now, kG6));
  EXPECT_FALSE(f.g.join(f.now, kG6));
  EXPECT_EQ(f.g.refs(kG6), 2u);
  f.run(5_s);
  EXPECT_FALSE(f.g.leave(f.now, kG6));
  EXPECT_TRUE(f.g.is_member(kG6));
  EXPECT_TRUE(f.poll().empty());
  EXPECT_TRUE(f.g.leave(f.now, kG6));
  EXPECT_FALSE(f.g.is_member(kG6));
  EXPECT_FALSE(f.g.leave(f.now, kG6));
}

// RFC 3810 §6.1: the MLDv2 leave (CHANGE_TO_INCLUDE) is repeated like the join.
TEST(MulticastGroups, Mldv2LeaveIsSentTwice) {
  Fixture f;
  f.g.join(f.now, kG6);
  f.run(5_s);
  f.g.leave(f.now, kG6);
  auto out = f.run(5_s);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].second.kind, Kind::kLeave);
  EXPECT_EQ(out[1].second.kind, Kind::kLeave);
  EXPECT_LE(out[1].first - out[0].first, 1_s);
  EXPECT_EQ(f.g.refs(kG6), 0u);
}

// RFC 2236 §3: a leave only from the last host to report.
TEST(MulticastGroups, IgmpLeaveOnlyIfWeReportedLast) {
  Fixture f;
  f.g.join(f.now, kG4);
  f.run(20_s);
  f.g.leave(f.now, kG4);
  auto out = f.poll();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::kLeave);

  f.g.join(f.now, kG4);
  f.run(20_s);
  f.g.on_report_heard(kG4);  // another member reported after us
  f.g.leave(f.now, kG4);
  EXPECT_TRUE(f.poll().empty());
}

// RFC 2236 §3: a query answer after a random delay in [0, Max Resp Time]; another member's
// report first suppresses it.
TEST(MulticastGroups, QueryAnswerIsRandomWithinMaxRespAndCanBeSuppressed) {
  Fixture f;
  f.g.join(f.now, kG4);
  f.run(20_s);
  f.g.on_query(f.now, kAny4, 2_s, false);
  Instant q = f.now;
  auto out = f.run(3_s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second.kind, Kind::kCurrent);
  EXPECT_LE(out[0].first - q, 2_s);

  f.g.on_query(f.now, kG4, 2_s, false);
  EXPECT_TRUE(f.g.on_report_heard(kG4));
  EXPECT_TRUE(f.run(3_s).empty());
}

// RFC 2236 §3: a running timer is only shortened by a query with a smaller Max Resp Time.
TEST(MulticastGroups, RunningTimerIsKeptUnlessTheQueryIsShorter) {
  Fixture f;
  f.g.join(f.now, kG4);
  f.run(20_s);
  f.g.on_query(f.now, kAny4, 10_s, false);
  Instant first = f.g.next_deadline();
  f.g.on_query(f.now, kG4, 10_s, false);
  EXPECT_EQ(f.g.next_deadline(), first);
  f.g.on_query(f.now, kG4, Duration::zero(), false);
  EXPECT_EQ(f.g.next_deadline(), f.now);
}

// RFC 3810 §6.2: one answer to a General Query for every group.
TEST(MulticastGroups, Mldv2GeneralQueryGetsOneReportForAllGroups) {
  Fixture f;
  f.g.join(f.now, kG6);
  f.g.join(f.now, *IpAddr::parse("ff02::1:ff00:2"));
  f.g.join(f.now, IpAddr(Ipv6Addr::all_nodes()));  // member, never reported
  f.run(5_s);
  f.g.on_query(f.now, kAny6, 1_s, false);
  auto out = f.run(2_s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second.kind, Kind::kCurrentAll);
  std::vector<IpAddr> reported;
  f.g.for_each_reported(true, [&](const IpAddr& a) { reported.push_back(a); });
  EXPECT_EQ(reported.size(), 2u);
}

// RFC 2236 §4 / RFC 3810 §8.2.1: an old querier switches the family to the old messages for
// a while; an IGMPv1 query's response time is 10 s; no IGMP leave while a v1 router is there.
TEST(MulticastGroups, OldVersionQueriersSwitchToOldMessages) {
  Fixture f;
  f.g.join(f.now, kG4);
  f.g.join(f.now, kG6);
  f.run(20_s);
  f.g.on_query(f.now, kAny4, Duration::zero(), true);
  f.g.on_query(f.now, kAny6, 1_s, true);
  EXPECT_TRUE(f.g.old_version(f.now, false));
  EXPECT_TRUE(f.g.old_version(f.now, true));
  auto out = f.run(11_s);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& [at, r] : out) {
    EXPECT_TRUE(r.old_version);
    EXPECT_EQ(r.kind, Kind::kCurrent);  // MLDv1 answers per group, not kCurrentAll
  }
  f.g.leave(f.now, kG4);
  EXPECT_TRUE(f.poll().empty());
  f.run(400_s);
  EXPECT_FALSE(f.g.old_version(f.now, false));
  EXPECT_FALSE(f.g.old_version(f.now, true));
}

TEST(MulticastGroups, AllHostsAllNodesAndInterfaceLocalAreNeverReported) {
  EXPECT_FALSE(MulticastGroups::is_reported(*IpAddr::parse("224.0.0.1")));
  EXPECT_TRUE(MulticastGroups::is_reported(*IpAddr::parse("224.0.0.251")));
  EXPECT_FALSE(MulticastGroups::is_reported(*IpAddr::parse("ff02::1")));
  EXPECT_FALSE(MulticastGroups::is_reported(*IpAddr::parse("ff01::1:3")));
  EXPECT_TRUE(MulticastGroups::is_reported(*IpAddr::parse("ff02::1:ff00:2")));
  Fixture f;
  f.g.join(f.now, *IpAddr::parse("224.0.0.1"));
  EXPECT_TRUE(f.g.next_deadline().is_never());
}

// Same seed, same delays: a run replays.
TEST(MulticastGroups, DelaysComeFromTheSeed) {
  auto times = [] {
    Fixture f;
    f.g.join(f.now, kG4);
    std::vector<Instant> t;
    for (const auto& [at, r] : f.run(20_s)) t.push_back(at);
    return t;
  };
  EXPECT_EQ(times(), times());
}

}  // namespace
}  // namespace ustack
