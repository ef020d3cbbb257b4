// ImpairSpec: what happens to packets going one way across a link, and its text form.
//
// The same value drives the in-memory Link (core tests) and ImpairedDevice (a real TUN/TAP,
// whose kernel has no sch_netem), so a user watches the stack recover from exactly the faults
// a test pins down. The text form follows netem's vocabulary:
//
//   delay=20ms,jitter=2ms,rate=100mbit,queue=64k,loss=1%,burst=gilbert:p=0.01:r=0.3,
//   reorder=2%:5ms,dup=0.1%,corrupt=0.01%,seed=7
//
// parse() never throws: a bad spec comes back as one line naming the field
// ("loss=120% out of range (0..100%)").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stack/base/time.h"

namespace ustack {

// Gilbert–Elliott burst loss: a two-state Markov chain stepped once per packet. In the good
// state a packet is lost with probability k, in the bad state with h; p is the chance of going
// from good to bad, r from bad to good (mean burst length 1/r, long-run bad share p/(p+r)).
struct GilbertElliott {
  double p = 0;
  double r = 1;
  double h = 1;
  double k = 0;
  bool enabled() const { return p > 0; }
};

struct ImpairSpecParse;

struct ImpairSpec {
  // Probabilities are per packet, in [0, 1] (the text form says percent).
  double loss = 0;
  GilbertElliott burst;
  double duplicate = 0;
  // A reordered packet is held back by `reorder_delay` extra so later packets overtake it.
  double reorder = 0;
  Duration reorder_delay = Duration::millis(5);
  // One random bit of the packet is flipped.
  double corrupt = 0;
  // Every packet waits `delay` plus a uniform extra in [0, jitter). Jitter never reorders on
  // its own (a packet is not released before the one offered ahead of it): reordering is
  // `reorder`'s job, so a user asking for jitter does not get spurious dup-ACKs too.
  Duration delay = Duration::zero();
  Duration jitter = Duration::zero();
  // Serialization at `rate_bps` bits per second (0: unlimited) behind a drop-tail queue of
  // `queue_bytes` (kDefaultQueueBytes when 0), counted until a packet's last bit is sent.
  std::uint64_t rate_bps = 0;
  std::size_t queue_bytes = 0;
  // Overrides the session's seed for this direction's decisions.
  std::optional<std::uint64_t> seed;

  static constexpr std::size_t kDefaultQueueBytes = 64 * 1024;

  // True when no field changes a packet's fate or timing.
  bool is_none() const;
  std::size_t effective_queue_bytes() const {
    return queue_bytes ? queue_bytes : kDefaultQueueBytes;
  }
  // The canonical text form (parse(to_string()) gives the same spec); "none" when is_none().
  std::string to_string() const;

  static ImpairSpecParse parse(std::string_view text);
};

struct ImpairSpecParse {
  std::optional<ImpairSpec> spec;
  std::string error;  // one line naming the field, when !spec
};

}  // namespace ustack
