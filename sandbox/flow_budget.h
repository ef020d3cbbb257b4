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

// The datagram relays' (UDP, ping) passes over their flows. `flows` maps keys to
// unique_ptr<Flow> with `host` and `last_used`.
// Closes the flows idle for longer than `idle` (counted in `expired`), giving their budget
// back. Every relay expires its flows before any relay takes new ones (expire_idle() first in
// each loop iteration), so a flow that timed out while the loop slept frees its unit for the
// flow whose arrival woke the loop.
template <class Flows>
void expire_flows(Flows& flows, Instant now, Duration idle, FlowBudget& budget,
                  std::uint64_t& expired) {
  std::erase_if(flows, [&](const auto& kv) {
    if (now - kv.second->last_used <= idle) return false;
    ++expired;
    budget.give_back();
    return true;
  });
}

// `serve` each flow whose host socket is readable.
template <class Flows, class Serve>
void serve_flows(Flows& flows, Serve serve) {
  for (auto& kv : flows) {
    if (kv.second->host->readable()) serve(*kv.second);
  }
}

}  // namespace ustack::sandbox
