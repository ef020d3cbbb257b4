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

void Reassembler::erase(
    std::unordered_map<ReassemblyKey, Datagram, ReassemblyKeyHash>::iterator it) {
  memory_ -= cost(it->second);
  table_.erase(it);
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
  if (it == table_.end()) {
    if (table_.size() >= cfg_.max_datagrams) return {O::kTooManyDatagrams};
    it = table_.emplace(key, Datagram{}).first;
    // RFC 8200 §4.5: the timer starts with the first-arriving fragment.
    it->second.deadline = now + cfg_.timeout;
  }
  Datagram& d = it->second;

  // The last fragment fixes the total length; everything must agree with it.
  if (!more) {
    if ((d.total && *d.total != end) || (!d.have.empty() && d.have.back().second > end)) {
      erase(it);
      return {O::kInconsistent};
    }
    d.total = end;
  } else if (d.total && end > *d.total) {
    erase(it);
    return {O::kInconsistent};
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
  if (duplicate) return {O::kDuplicate};
  if (overlaps) {
    erase(it);
    return {O::kOverlap};
  }

  std::size_t old_cost = cost(d);
  std::size_t extra =
      (end > d.data.size() ? end - d.data.size() : 0) + (offset == 0 ? header.size() : 0);
  if (memory_ + extra > cfg_.memory_cap) {
    erase(it);
    return {O::kMemoryFull};
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
            done_.first_proto};
  }
  return {O::kIncomplete};
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
