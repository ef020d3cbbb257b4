#include "stack/ip/multicast_groups.h"

#include <algorithm>

namespace ustack {
namespace {

const Ipv4Addr kAllHosts = Ipv4Addr::from_u32(0xe0000001);  // 224.0.0.1

}  // namespace

MulticastGroups::MulticastGroups(const MulticastConfig& cfg, std::uint64_t seed)
    : cfg_(cfg), rng_(seed ^ 0x6d636173742d6772ull) {}

bool MulticastGroups::is_reported(const IpAddr& group) {
  if (group.is_v4()) return group.v4() != kAllHosts;
  // RFC 3810 §6: never ff02::1 nor a group of scope 0 (reserved) or 1 (interface-local);
  // Linux sets MAF_NOREPORT for the same ones.
  std::uint8_t scope = group.v6().bytes()[1] & 0x0f;
  return group.v6() != Ipv6Addr::all_nodes() && scope >= 2;
}

MulticastGroups::Entry* MulticastGroups::find(const IpAddr& group) {
  for (Entry& e : entries_) {
    if (e.group == group) return &e;
  }
  return nullptr;
}

const MulticastGroups::Entry* MulticastGroups::find(const IpAddr& group) const {
  return const_cast<MulticastGroups*>(this)->find(group);
}

bool MulticastGroups::is_member(const IpAddr& group) const {
  const Entry* e = find(group);
  return e && e->refs > 0;
}

std::uint32_t MulticastGroups::refs(const IpAddr& group) const {
  const Entry* e = find(group);
  return e ? e->refs : 0;
}

bool MulticastGroups::old_version(Instant now, bool v6) const {
  return now < (v6 ? v1_querier_until_ : v1_router_until_);
}

Duration MulticastGroups::random_upto(Duration max) {
  std::int64_t us = std::max<std::int64_t>(max.total_micros(), 0);
  return Duration::micros(
      static_cast<std::int64_t>(rng_.uniform(static_cast<std::uint64_t>(us) + 1)));
}

Duration MulticastGroups::unsolicited_interval(const IpAddr& group) const {
  return group.is_v4() ? cfg_.unsolicited_interval_v4 : cfg_.unsolicited_interval_v6;
}

bool MulticastGroups::join(Instant now, const IpAddr& group, bool report) {
  Entry* e = find(group);
  if (e && e->refs > 0) {
    ++e->refs;
    return false;
  }
  if (!e) {
    entries_.push_back(Entry{group});
    e = &entries_.back();
  }
  e->refs = 1;
  e->reported = report && is_reported(group);
  e->timer = Instant::never();
  e->repeats_left = 0;
  if (e->reported) {
    // RFC 2236 §3 / RFC 3810 §6.1: report at once, then robustness - 1 more times.
    e->pending = GroupReport::Kind::kJoin;
    e->timer = now;
    e->repeats_left = cfg_.robustness > 0 ? cfg_.robustness - 1 : 0;
  }
  return true;
}

bool MulticastGroups::leave(Instant now, const IpAddr& group) {
  Entry* e = find(group);
  if (!e || e->refs == 0) return false;
  if (--e->refs > 0) return false;
  e->timer = Instant::never();
  e->repeats_left = 0;
  if (e->reported) {
    bool v6 = group.is_v6();
    bool old = old_version(now, v6);
    if (v6 && !old) {
      // RFC 3810 §6.1: CHANGE_TO_INCLUDE, repeated like the join.
      e->pending = GroupReport::Kind::kLeave;
      e->timer = now;
      e->repeats_left = cfg_.robustness > 0 ? cfg_.robustness - 1 : 0;
    } else if (e->last_reporter && !(old && !v6)) {
      // RFC 2236 §3 (RFC 2710 §4): a leave only from the last host to report, and never
      // while an IGMPv1 router is present (RFC 2236 §4).
      e->pending = GroupReport::Kind::kLeave;
      e->timer = now;
    }
  }
  if (e->timer.is_never()) {
    entries_.erase(entries_.begin() + (e - entries_.data()));
  }
  return true;
}

void MulticastGroups::for_each_reported(bool v6, FunctionRef<void(const IpAddr&)> f) const {
  for (const Entry& e : entries_) {
    if (e.refs > 0 && e.reported && e.group.is_v6() == v6) f(e.group);
  }
}

void MulticastGroups::schedule_answer(Instant now, Entry& e, Duration max_resp) {
  // RFC 2236 §3: a running timer is reset only if the Max Resp Time is less than what it
  // has left (RFC 3810 §6.2 rule 3 and RFC 2710 §4 alike).
  if (!e.timer.is_never() && e.timer - now <= max_resp) return;
  e.timer = now + random_upto(max_resp);
  if (e.pending != GroupReport::Kind::kJoin) e.pending = GroupReport::Kind::kCurrent;
}

void MulticastGroups::on_query(Instant now, const IpAddr& group, Duration max_resp,
                               bool old_version_query) {
  bool v6 = group.is_v6();
  if (old_version_query) {
    if (v6) {
      v1_querier_until_ = now + cfg_.older_querier_present_timeout;  // RFC 3810 §8.2.1
    } else {
      v1_router_until_ = now + cfg_.v1_router_present_timeout;  // RFC 2236 §4
      max_resp = cfg_.v1_query_response;
    }
  }
  bool mldv2 = v6 && !old_version(now, true);
  if (group.is_unspecified()) {
    if (mldv2) {
      // RFC 3810 §6.2 rule 2: one interface timer answers a General Query for every group,
      // unless an earlier answer is already due sooner (rule 1).
      Instant at = now + random_upto(max_resp);
      if (general_answer_v6_ > at) general_answer_v6_ = at;
      return;
    }
    // RFC 2236 §3: a timer for every group we are in (MLDv1 alike).
    for (Entry& e : entries_) {
      if (e.refs > 0 && e.reported && e.group.is_v6() == v6) schedule_answer(now, e, max_resp);
    }
    return;
  }
  Entry* e = find(group);
  if (!e || e->refs == 0 || !e->reported) return;
  // RFC 3810 §6.2 rule 1: a pending General Query answer due sooner covers this group too.
  if (mldv2 && general_answer_v6_ - now <= max_resp) return;
  schedule_answer(now, *e, max_resp);
}

bool MulticastGroups::on_report_heard(const IpAddr& group) {
  Entry* e = find(group);
  if (!e || e->refs == 0) return false;
  // RFC 2236 §3: stop the timer, no report of ours; the other host is now the last reporter.
  bool stopped = !e->timer.is_never();
  e->timer = Instant::never();
  e->repeats_left = 0;
  e->last_reporter = false;
  return stopped;
}

Instant MulticastGroups::next_deadline() const {
  Instant t = general_answer_v6_;
  for (const Entry& e : entries_) t = std::min(t, e.timer);
  return t;
}

void MulticastGroups::fire(Instant now, Entry& e, FunctionRef<void(const GroupReport&)> send) {
  GroupReport r;
  r.kind = e.pending;
  r.group = e.group;
  r.old_version = old_version(now, e.group.is_v6());
  send(r);
  if (r.kind != GroupReport::Kind::kLeave) e.last_reporter = true;
  if (e.repeats_left > 0) {
    --e.repeats_left;
    e.timer = now + random_upto(unsolicited_interval(e.group));
  } else {
    e.timer = Instant::never();
    e.pending = GroupReport::Kind::kCurrent;
  }
}

void MulticastGroups::poll(Instant now, FunctionRef<void(const GroupReport&)> send) {
  if (general_answer_v6_ <= now) {
    general_answer_v6_ = Instant::never();
    bool any = std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) {
      return e.refs > 0 && e.reported && e.group.is_v6();
    });
    if (any) send(GroupReport{GroupReport::Kind::kCurrentAll, IpAddr(Ipv6Addr::any()), false});
  }
  for (Entry& e : entries_) {
    if (e.timer <= now) fire(now, e, send);
  }
  // A group left for good once its last leave message is out.
  std::erase_if(entries_, [](const Entry& e) { return e.refs == 0 && e.timer.is_never(); });
}

}  // namespace ustack
