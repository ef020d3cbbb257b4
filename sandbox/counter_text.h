// Counter lines the relays share (each line by stack/counters.h's append_counter).
#pragma once

#include <cstdint>
#include <string>

#include "stack/counters.h"  // append_counter

namespace ustack::sandbox {

// Flows every relay refuses (layout.h's route_flow, flow_budget.h), by reason.
struct RefusedCounters {
  std::uint64_t policy = 0;         // to a closed address of ours
  std::uint64_t host_loopback = 0;  // to the host itself, without --allow-host-loopback
  std::uint64_t max_flows = 0;      // beyond --max-flows
  void count(bool host_blocked) { ++(host_blocked ? host_loopback : policy); }
  void append_to(std::string& s) const {
    append_counter(s, policy, "refused_policy");
    append_counter(s, host_loopback, "refused_host_loopback");
    append_counter(s, max_flows, "refused_max_flows");
  }
};

}  // namespace ustack::sandbox
