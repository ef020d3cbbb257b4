// Drop events of an impairment (docs/events.md, category drop): the rule that lost a packet
// ("loss=1%"), the seed its decisions come from and the random draw that decided, with the
// packet's TCP flow and sequence number so `ustack explain` can tie the drop to a segment.
#pragma once

#include <cstdint>
#include <string>

#include "stack/base/bytes.h"
#include "stack/base/time.h"
#include "stack/impair/impairment.h"
#include "stack/tracer.h"

namespace ustack {

class ImpairTrace {
 public:
  // `seed`: the one the user gave (the session's or link's; the spec's own seed wins).
  // `out`: the tracer's stack sent the packets (counters "impair.out.*", the flow's local
  // side is the source), else it receives them ("impair.in.*").
  ImpairTrace(const ImpairSpec& spec, std::uint64_t seed, bool out);
  // A drop event for a packet offer() dropped (nothing when it was kept or `t` is null).
  void drop(Tracer* t, Instant now, Impairment::Verdict v, Bytes packet, bool ethernet) const;

 private:
  std::string rule_[3];  // per cause: lost_random, lost_burst, dropped_queue_full
  std::uint64_t seed_;
  bool out_;
};

}  // namespace ustack
