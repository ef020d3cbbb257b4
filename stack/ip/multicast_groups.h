// Multicast group membership of one interface, and the host side of IGMPv2 (RFC 2236) and
// MLDv2 (RFC 3810) as timers: which groups we are in (reference counted, both families), and
// when which report is due. Pure and message-free: the Stack turns each GroupReport that
// poll() hands out into an IGMP or MLD message.
//
// Per group (RFC 2236 §3 / §6, RFC 3810 §6):
//   - the first join schedules an unsolicited report at once, repeated `robustness - 1` times
//     at random delays in [0, Unsolicited Report Interval] (RFC 2236 §8.10: 10 s for IGMPv2;
//     RFC 3810 §9.11: 1 s for MLDv2). Linux: the same, with igmpv2_unsolicited_report_interval
//     10 s and mldv2_unsolicited_report_interval 1 s.
//   - a query sets a report timer to a random delay in [0, Max Resp Time], unless one is
//     already due sooner (RFC 2236 §3). MLDv2 answers a General Query with one interface timer
//     and one report for every group (RFC 3810 §6.2); IGMPv2 and MLDv1 with a timer per group.
//   - another host's report for the group stops our timer (IGMPv2 §3 / MLDv1 suppression;
//     MLDv2 has none) and means we are no longer the last reporter.
//   - the last leave sends Leave Group (IGMPv2) only if we were the last host to report
//     (RFC 2236 §3; Linux igmp_group_dropped too), Done (MLDv1) likewise, and CHANGE_TO_INCLUDE
//     (MLDv2) always, repeated like a join.
// Per family: an IGMPv1 query sets the Version 1 Router Present timeout (RFC 2236 §4: 400 s;
// v1 reports, no leaves), an MLDv1 query the Older Version Querier Present timeout (RFC 3810
// §8.2.1, §9.12: 260 s; MLDv1 reports and dones). Groups that are never reported (224.0.0.1,
// ff02::1, interface-local scope: RFC 2236 §6, RFC 3810 §6) are members but get no timers.
//
// Random delays come from an Rng seeded from the stack's seed, so a run replays bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/function_ref.h"
#include "stack/base/random.h"
#include "stack/base/time.h"

namespace ustack {

struct MulticastConfig {
  // RFC 2236 §8.1 / RFC 3810 §9.1 Robustness Variable: unsolicited reports are sent this many
  // times.
  std::uint32_t robustness = 2;
  Duration unsolicited_interval_v4 = Duration::seconds(10);  // RFC 2236 §8.10
  Duration unsolicited_interval_v6 = Duration::seconds(1);   // RFC 3810 §9.11
  // RFC 2236 §4: "interpreted as 100 (10 seconds)": the response time of an IGMPv1 query.
  Duration v1_query_response = Duration::seconds(10);
  Duration v1_router_present_timeout = Duration::seconds(400);      // RFC 2236 §8.11
  Duration older_querier_present_timeout = Duration::seconds(260);  // RFC 3810 §9.12
};

// One message the interface must send now.
struct GroupReport {
  enum class Kind : std::uint8_t {
    kJoin,        // IGMPv2/v1 report; MLDv2 CHANGE_TO_EXCLUDE record; MLDv1 report
    kCurrent,     // IGMPv2/v1 report; MLDv2 MODE_IS_EXCLUDE record; MLDv1 report
    kLeave,       // IGMPv2 Leave Group; MLDv2 CHANGE_TO_INCLUDE record; MLDv1 Done
    kCurrentAll,  // MLDv2 only: one report with a MODE_IS_EXCLUDE record for every group
  };
  Kind kind = Kind::kJoin;
  IpAddr group;  // the family's unspecified address for kCurrentAll
  // Send the old version's message: IGMPv1 report (0x12) / MLDv1 report or done.
  bool old_version = false;
};

class MulticastGroups {
 public:
  MulticastGroups(const MulticastConfig& cfg, std::uint64_t seed);

  // Counts one more membership of `group` (a multicast address). On the first, the group is
  // accepted and, if it is reported at all and `report` is true, its unsolicited reports are
  // due from now. Returns true on the first join.
  bool join(Instant now, const IpAddr& group, bool report = true);
  // Counts one membership less; on the last the group is no longer accepted and the leave
  // message (if any) is due now. Returns true on the last leave; false if not a member.
  bool leave(Instant now, const IpAddr& group);
  bool is_member(const IpAddr& group) const;
  std::uint32_t refs(const IpAddr& group) const;
  // Every group we are a member of in `v6`'s family that is reported (for a General Query
  // answer), in join order.
  void for_each_reported(bool v6, FunctionRef<void(const IpAddr&)> f) const;

  // A query: `group` unspecified for a General Query. `old_version` marks an IGMPv1 or MLDv1
  // query (starts the family's compatibility timeout). max_resp is the delay to answer within.
  void on_query(Instant now, const IpAddr& group, Duration max_resp, bool old_version);
  // Another host reported `group` (IGMPv1/v2 report, MLDv1 report): our pending report for it
  // is suppressed. True if a timer was stopped.
  bool on_report_heard(const IpAddr& group);
  // True while an IGMPv1 router / MLDv1 querier was heard recently.
  bool old_version(Instant now, bool v6) const;

  Instant next_deadline() const;
  // Hands out every report due at `now`, in the order the groups were joined.
  void poll(Instant now, FunctionRef<void(const GroupReport&)> send);

  // RFC 2236 §6 / RFC 3810 §6: 224.0.0.1, ff02::1 and interface-local groups are never
  // reported.
  static bool is_reported(const IpAddr& group);

 private:
  struct Entry {
    IpAddr group;
    std::uint32_t refs = 0;  // 0 while a MLDv2 leave is still being repeated
    bool reported = false;
    Instant timer = Instant::never();
    GroupReport::Kind pending = GroupReport::Kind::kCurrent;
    std::uint32_t repeats_left = 0;  // unsolicited repeats after the pending one
    bool last_reporter = false;
  };
  Entry* find(const IpAddr& group);
  const Entry* find(const IpAddr& group) const;
  Duration random_upto(Duration max);
  Duration unsolicited_interval(const IpAddr& group) const;
  // Starts `e`'s timer for a query answer unless it is due sooner (RFC 2236 §3).
  void schedule_answer(Instant now, Entry& e, Duration max_resp);
  void fire(Instant now, Entry& e, FunctionRef<void(const GroupReport&)> send);

  MulticastConfig cfg_;
  Rng rng_;
  std::vector<Entry> entries_;
  Instant general_answer_v6_ = Instant::never();  // RFC 3810 §6.2 interface timer
  Instant v1_router_until_ = Instant::zero();     // no IGMPv1 router heard
  Instant v1_querier_until_ = Instant::zero();    // no MLDv1 querier heard
};

}  // namespace ustack
