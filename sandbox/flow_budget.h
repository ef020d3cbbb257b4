// FlowBudget: --max-flows, shared by the TCP, UDP and ping relays: a flow takes one unit when
// it is opened and gives it back when it ends; with none left a new flow is refused (a TCP SYN
// gets a RST, a UDP datagram or a ping is dropped) and counted by the relay that refused it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/base/time.h"

namespace ustack::sandbox {

class FlowBudget {
 public:
  explicit FlowBudget(std::size_t max = 0) : max_(max) {}  // 0: no limit
  bool take() {
    if (max_ != 0 && used_ >= max_) return false;
    ++used_;
    return true;
  }
  void give_back() {
    if (used_ > 0) --used_;
  }
  std::size_t used() const { return used_; }
  std::size_t max() const { return max_; }

 private:
  std::size_t max_;
  std::size_t used_ = 0;
};

// The datagram relays' (UDP, ping) pass over their flows: `serve` each whose host socket is
// readable, then close those idle for longer than `idle` (counted in `expired`), giving their
// budget back. `flows` maps keys to unique_ptr<Flow> with `host` and `last_used`.
template <class Flows, class Serve>
void serve_and_expire(Flows& flows, Instant now, Duration idle, FlowBudget& budget,
                      std::uint64_t& expired, Serve serve) {
  for (auto it = flows.begin(); it != flows.end();) {
    auto& f = *it->second;
    if (f.host->readable()) serve(f);
    if (now - f.last_used > idle) {
      ++expired;
      budget.give_back();
      it = flows.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace ustack::sandbox
