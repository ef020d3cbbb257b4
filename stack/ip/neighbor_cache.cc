#include "stack/ip/neighbor_cache.h"

#include <algorithm>
#include <vector>

namespace ustack {

const char* to_string(NeighborState s) {
  switch (s) {
    case NeighborState::kIncomplete:
      return "INCOMPLETE";
    case NeighborState::kReachable:
      return "REACHABLE";
    case NeighborState::kStale:
      return "STALE";
    case NeighborState::kDelay:
      return "DELAY";
    case NeighborState::kProbe:
      return "PROBE";
  }
  return "?";
}

// RFC 4861 §6.3.2: ReachableTime is BaseReachableTime times a random factor in [0.5, 1.5) so
// that neighbours do not probe in lockstep.
Duration NeighborCache::random_reachable_time() {
  double f = 0.5 + rng_.unit();
  return Duration::nanos(
      static_cast<std::int64_t>(static_cast<double>(cfg_.base_reachable_time.total_nanos()) * f));
}

void NeighborCache::set_state(const IpAddr& addr, Entry& e, NeighborState s, Instant now) {
  NeighborState from = e.state;
  e.state = s;
  switch (s) {
    case NeighborState::kIncomplete:
      e.deadline = now;  // first solicitation at once
      e.probes = 0;
      break;
    case NeighborState::kReachable:
      e.deadline = now + random_reachable_time();
      e.probes = 0;
      break;
    case NeighborState::kStale:
      e.deadline = e.last_used + cfg_.gc_stale_time;
      e.probes = 0;
      break;
    case NeighborState::kDelay:
      e.deadline = now + cfg_.delay_first_probe_time;
      break;
    case NeighborState::kProbe:
      e.deadline = now;  // first unicast probe at once
      e.probes = 0;
      break;
  }
  if (observer_ && from != s) observer_(addr, from, s);
}

bool NeighborCache::make_room() {
  if (entries_.size() < cfg_.max_entries) return true;
  // Evict the least recently used STALE entry; never an entry that is being resolved.
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.state != NeighborState::kStale) continue;
    if (victim == entries_.end() || it->second.last_used < victim->second.last_used) victim = it;
  }
  if (victim == entries_.end()) return false;
  IpAddr addr = victim->first;
  NeighborState from = victim->second.state;
  entries_.erase(victim);
  if (observer_) observer_(addr, from, std::nullopt);
  return true;
}

std::optional<MacAddr> NeighborCache::lookup(Instant now, const IpAddr& addr) {
  auto it = entries_.find(addr);
  if (it == entries_.end()) {
    if (!make_room()) return std::nullopt;
    Entry& e = entries_[addr];
    e.last_used = now;
    e.state = NeighborState::kIncomplete;
    e.deadline = now;
    if (observer_) observer_(addr, std::nullopt, NeighborState::kIncomplete);
    return std::nullopt;
  }
  Entry& e = it->second;
  e.last_used = now;
  switch (e.state) {
    case NeighborState::kIncomplete:
      return std::nullopt;
    case NeighborState::kStale:
      // RFC 4861 §7.3.3: the first packet sent to a STALE neighbour starts the DELAY timer.
      set_state(addr, e, NeighborState::kDelay, now);
      return e.mac;
    case NeighborState::kReachable:
    case NeighborState::kDelay:
    case NeighborState::kProbe:
      return e.mac;
  }
  return std::nullopt;
}

std::size_t NeighborCache::enqueue(const IpAddr& addr, ByteVec packet) {
  auto it = entries_.find(addr);
  if (it == entries_.end() || it->second.state != NeighborState::kIncomplete) return 1;
  std::size_t dropped = 0;
  auto& q = it->second.queue;
  while (cfg_.max_queue_per_entry > 0 && q.size() >= cfg_.max_queue_per_entry) {
    q.pop_front();
    ++dropped;
  }
  if (cfg_.max_queue_per_entry == 0) return 1;
  q.push_back(std::move(packet));
  return dropped;
}

std::deque<ByteVec> NeighborCache::take_queue(const IpAddr& addr) {
  auto it = entries_.find(addr);
  if (it == entries_.end() || it->second.state == NeighborState::kIncomplete) return {};
  return std::exchange(it->second.queue, {});
}

bool NeighborCache::on_advert(Instant now, const IpAddr& addr, const MacAddr& mac, bool solicited,
                              bool override_flag) {
  auto it = entries_.find(addr);
  // RFC 4861 §7.2.5: no entry → the advertisement is silently discarded.
  if (it == entries_.end()) return false;
  Entry& e = it->second;
  if (e.state == NeighborState::kIncomplete) {
    e.mac = mac;
    set_state(addr, e, solicited ? NeighborState::kReachable : NeighborState::kStale, now);
    return true;
  }
  bool changed = mac != e.mac;
  if (!override_flag && changed) {
    // A non-override advert with a different address does not update the entry, but casts
    // doubt on a REACHABLE one.
    if (e.state == NeighborState::kReachable) set_state(addr, e, NeighborState::kStale, now);
    return true;
  }
  e.mac = mac;
  if (solicited) {
    set_state(addr, e, NeighborState::kReachable, now);
  } else if (changed) {
    set_state(addr, e, NeighborState::kStale, now);
  }
  return true;
}

bool NeighborCache::on_lladdr(Instant now, const IpAddr& addr, const MacAddr& mac, bool create) {
  auto it = entries_.find(addr);
  if (it == entries_.end()) {
    if (!create || !make_room()) return false;
    Entry& e = entries_[addr];
    e.mac = mac;
    e.last_used = now;
    e.state = NeighborState::kStale;
    e.deadline = now + cfg_.gc_stale_time;
    if (observer_) observer_(addr, std::nullopt, NeighborState::kStale);
    return true;
  }
  Entry& e = it->second;
  // RFC 4861 §7.2.3: INCOMPLETE gets the address and becomes STALE (queued packets go out);
  // a different address makes any entry STALE; the same address changes nothing.
  if (e.state == NeighborState::kIncomplete || e.mac != mac) {
    e.mac = mac;
    set_state(addr, e, NeighborState::kStale, now);
  }
  return true;
}

void NeighborCache::confirm(Instant now, const IpAddr& addr) {
  auto it = entries_.find(addr);
  if (it == entries_.end() || it->second.state == NeighborState::kIncomplete) return;
  it->second.last_used = now;
  set_state(addr, it->second, NeighborState::kReachable, now);
}

void NeighborCache::remove(const IpAddr& addr) {
  auto it = entries_.find(addr);
  if (it == entries_.end()) return;
  NeighborState from = it->second.state;
  entries_.erase(it);
  if (observer_) observer_(addr, from, std::nullopt);
}

void NeighborCache::poll(Instant now, FunctionRef<void(const NeighborAction&)> act) {
  std::vector<IpAddr> dead;
  for (auto& [addr, e] : entries_) {
    if (e.deadline > now) continue;
    switch (e.state) {
      case NeighborState::kIncomplete:
        // RFC 4861 §7.2.2: retransmit every RetransTimer, give up after
        // MAX_MULTICAST_SOLICIT solicitations.
        if (e.probes >= cfg_.max_multicast_solicit) {
          dead.push_back(addr);
          act({NeighborAction::Kind::kFailed, addr, std::nullopt, e.queue.size(), &e.queue});
          break;
        }
        e.probes++;
        e.deadline = now + cfg_.retrans_timer;
        act({NeighborAction::Kind::kSolicit, addr, std::nullopt, 0});
        break;
      case NeighborState::kReachable:
        set_state(addr, e, NeighborState::kStale, now);
        break;
      case NeighborState::kStale:
        dead.push_back(addr);  // aged out: unused for gc_stale_time
        break;
      case NeighborState::kDelay:
        set_state(addr, e, NeighborState::kProbe, now);
        e.probes = 1;
        e.deadline = now + cfg_.retrans_timer;
        act({NeighborAction::Kind::kSolicit, addr, e.mac, 0});
        break;
      case NeighborState::kProbe:
        if (e.probes >= cfg_.max_unicast_solicit) {
          dead.push_back(addr);
          act({NeighborAction::Kind::kFailed, addr, std::nullopt, 0});
          break;
        }
        e.probes++;
        e.deadline = now + cfg_.retrans_timer;
        act({NeighborAction::Kind::kSolicit, addr, e.mac, 0});
        break;
    }
  }
  for (const IpAddr& a : dead) remove(a);
}

Instant NeighborCache::next_deadline() const {
  Instant t = Instant::never();
  for (const auto& [addr, e] : entries_) t = std::min(t, e.deadline);
  return t;
}

std::optional<NeighborState> NeighborCache::state(const IpAddr& addr) const {
  auto it = entries_.find(addr);
  if (it == entries_.end()) return std::nullopt;
  return it->second.state;
}

std::optional<MacAddr> NeighborCache::link_addr(const IpAddr& addr) const {
  auto it = entries_.find(addr);
  if (it == entries_.end() || it->second.state == NeighborState::kIncomplete) return std::nullopt;
  return it->second.mac;
}

std::size_t NeighborCache::queued(const IpAddr& addr) const {
  auto it = entries_.find(addr);
  return it == entries_.end() ? 0 : it->second.queue.size();
}

}  // namespace ustack
