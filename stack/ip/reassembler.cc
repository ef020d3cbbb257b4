#include "stack/ip/reassembler.h"

#include <algorithm>
#include <cstring>

namespace ustack {

std::size_t ReassemblyKeyHash::operator()(const ReassemblyKey& k) const {
  std::size_t h = IpAddrHash{}(k.src);
  h = h * 1000003u ^ IpAddrHash {}(k.dst);
  h = h * 1000003u ^ k.ident;
  return h * 1000003u ^ k.proto;
}

const char* to_string(Reassembler::Outcome o) {
  switch (o) {
    case Reassembler::Outcome::kIncomplete:
      return "incomplete";
    case Reassembler::Outcome::kComplete:
      return "complete";
    case Reassembler::Outcome::kDuplicate:
      return "duplicate";
    case Reassembler::Outcome::kOverlap:
      return "overlap";
    case Reassembler::Outcome::kTooBig:
      return "too-big";
    case Reassembler::Outcome::kInconsistent:
      return "inconsistent";
    case Reassembler::Outcome::kMemoryFull:
      return "memory-full";
    case Reassembler::Outcome::kTooManyDatagrams:
      return "too-many-datagrams";
  }
  return "?";
}

void Reassembler::erase(Table::iterator it) {
  memory_ -= cost(it->second);
  table_.erase(it);
}

bool Reassembler::evict_oldest(const Datagram* keep) {
  // A scan: the table holds at most max_datagrams entries (256), and eviction only happens
  // under pressure.
  auto oldest = table_.end();
  for (auto it = table_.begin(); it != table_.end(); ++it) {
    if (&it->second == keep) continue;
    if (oldest == table_.end() || it->second.arrival < oldest->second.arrival) oldest = it;
  }
  if (oldest == table_.end()) return false;
  erase(oldest);
  return true;
}

Reassembler::AddResult Reassembler::add(Instant now, const ReassemblyKey& key, std::size_t offset,
                                        Bytes data, bool more, Bytes header,
                                        std::uint8_t first_proto) {
  using O = Outcome;
  std::size_t end = offset + data.size();
  auto it = table_.find(key);
  if (end > cfg_.max_datagram_len) {
    if (it != table_.end()) erase(it);
    return {O::kTooBig};
  }
  // A datagram that alone would pass the cap can never be reassembled: drop it before
  // evicting anything for it.
  bool known = it != table_.end();
  std::size_t alone =
      std::max(end, known ? it->second.data.size() : 0) +
      std::max(offset == 0 ? header.size() : 0, known ? it->second.first_header.size() : 0);
  if (alone > cfg_.memory_cap) {
    if (known) erase(it);
    return {O::kMemoryFull};
  }
  std::size_t evicted = 0;
  if (it == table_.end()) {
    if (cfg_.max_datagrams == 0) return {O::kTooManyDatagrams};
    // Linux inet_frag_evictor: make room by discarding the oldest datagram in progress.
    while (table_.size() >= cfg_.max_datagrams && evict_oldest(nullptr)) ++evicted;
    it = table_.emplace(key, Datagram{}).first;
    // RFC 8200 §4.5: the timer starts with the first-arriving fragment.
    it->second.deadline = now + cfg_.timeout;
    it->second.arrival = next_arrival_++;
  }
  Datagram& d = it->second;
  auto fail = [&](Outcome o) {
    AddResult r{o};
    r.evicted = evicted;
    return r;
  };

  // The last fragment fixes the total length; everything must agree with it.
  if (!more) {
    if ((d.total && *d.total != end) || (!d.have.empty() && d.have.back().second > end)) {
      erase(it);
      return fail(O::kInconsistent);
    }
    d.total = end;
  } else if (d.total && end > *d.total) {
    erase(it);
    return fail(O::kInconsistent);
  }

  // Overlap with what we already have? Ranges in `have` are merged, so "contained" means
  // inside bytes already received, not necessarily inside one earlier fragment.
  bool duplicate = false, overlaps = false;
  for (const auto& [b, e] : d.have) {
    if (cfg_.overlap == OverlapPolicy::kDropDatagram ? (b == offset && e == end)
                                                     : (b <= offset && end <= e)) {
      duplicate = true;
    }
    if (b < end && offset < e) overlaps = true;
  }
  if (duplicate) return fail(O::kDuplicate);
  if (overlaps) {
    erase(it);
    return fail(O::kOverlap);
  }

  std::size_t old_cost = cost(d);
  std::size_t extra =
      (end > d.data.size() ? end - d.data.size() : 0) + (offset == 0 ? header.size() : 0);
  if (memory_ + extra > cfg_.memory_cap) {
    // Linux inet_frag_evictor (ipfrag_high_thresh -> ipfrag_low_thresh): evict the oldest
    // other datagrams; if this one alone is too big, it goes.
    while (memory_ + extra > memory_low() && evict_oldest(&d)) ++evicted;
    if (memory_ + extra > cfg_.memory_cap) {
      erase(it);
      return fail(O::kMemoryFull);
    }
  }
  if (end > d.data.size()) d.data.resize(end);
  if (offset == 0 && !d.have_first) {
    d.first_header.assign(header.begin(), header.end());
    d.first_proto = first_proto;
    d.have_first = true;
  }
  std::memcpy(d.data.data() + offset, data.data(), data.size());

  // Merge [offset, end) into the sorted range list.
  std::pair<std::size_t, std::size_t> r{offset, end};
  auto& hv = d.have;
  auto first = std::lower_bound(hv.begin(), hv.end(), r,
                                [](const auto& a, const auto& b) { return a.second < b.first; });
  auto last = first;
  while (last != hv.end() && last->first <= r.second) {
    r.first = std::min(r.first, last->first);
    r.second = std::max(r.second, last->second);
    ++last;
  }
  first = hv.erase(first, last);
  hv.insert(first, r);
  memory_ += cost(d) - old_cost;

  if (d.total && hv.size() == 1 && hv[0].first == 0 && hv[0].second == *d.total && d.have_first) {
    memory_ -= cost(d);
    done_ = std::move(d);
    table_.erase(it);
    return {O::kComplete, Bytes(done_.data).first(*done_.total), Bytes(done_.first_header),
            done_.first_proto, evicted};
  }
  return fail(O::kIncomplete);
}

std::size_t Reassembler::expire(Instant now, TimeoutFn on_timeout) {
  std::size_t n = 0;
  for (auto it = table_.begin(); it != table_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    const Datagram& d = it->second;
    Bytes first_data;
    if (d.have_first && !d.have.empty() && d.have[0].first == 0) {
      first_data = Bytes(d.data).first(d.have[0].second);
    }
    on_timeout(it->first, d.have_first ? Bytes(d.first_header) : Bytes(), first_data);
    auto next = std::next(it);
    erase(it);
    it = next;
    ++n;
  }
  return n;
}

Instant Reassembler::next_deadline() const {
  Instant t = Instant::never();
  for (const auto& [k, d] : table_) t = std::min(t, d.deadline);
  return t;
}

}  // namespace ustack
