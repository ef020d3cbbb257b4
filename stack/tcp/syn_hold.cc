#include "stack/tcp/syn_hold.h"

#include <algorithm>
#include <vector>

namespace ustack {

SynHold::AddResult SynHold::add(Instant now, const TcpTuple& t, const TcpRepr& syn) {
  if (held_.count(t) != 0) return AddResult::kDuplicate;
  if (held_.size() >= limit_) return AddResult::kFull;
  Entry e{syn, now, std::nullopt};
  e.syn.payload = {};  // a view into the packet buffer, gone after this call
  held_.emplace(t, e);
  fresh_.push_back(t);
  return AddResult::kHeld;
}

std::optional<TcpTuple> SynHold::take_new() {
  while (!fresh_.empty()) {
    TcpTuple t = fresh_.front();
    fresh_.pop_front();
    // Skip a tuple answered (or gone) before the user saw it.
    auto it = held_.find(t);
    if (it != held_.end() && !it->second.answer) return t;
  }
  return std::nullopt;
}

bool SynHold::answer(const TcpTuple& t, SynAnswer a) {
  auto it = held_.find(t);
  if (it == held_.end() || it->second.answer) return false;
  it->second.answer = a;
  answered_.push_back(t);
  return true;
}

std::optional<SynHold::Answered> SynHold::take_answered() {
  if (answered_.empty()) return std::nullopt;
  TcpTuple t = answered_.front();
  answered_.pop_front();
  auto it = held_.find(t);
  Answered out{t, it->second.syn, *it->second.answer};
  held_.erase(it);
  return out;
}

const TcpRepr* SynHold::syn(const TcpTuple& t) const {
  auto it = held_.find(t);
  return it == held_.end() ? nullptr : &it->second.syn;
}

void SynHold::answer_all(IpVersion family, SynAnswer a) {
  // In arrival order (fresh_ and answered_ keep it; the map does not).
  std::vector<TcpTuple> unanswered;
  for (const auto& [t, e] : held_) {
    if (!e.answer && t.local.version() == family) unanswered.push_back(t);
  }
  std::sort(unanswered.begin(), unanswered.end(),
            [&](const TcpTuple& x, const TcpTuple& y) { return held_.at(x).at < held_.at(y).at; });
  for (const TcpTuple& t : unanswered) answer(t, a);
}

std::optional<Instant> SynHold::held_since(const TcpTuple& t) const {
  auto it = held_.find(t);
  if (it == held_.end()) return std::nullopt;
  return it->second.at;
}

}  // namespace ustack
