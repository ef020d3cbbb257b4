// Impairment: one direction of an impaired link — the engine that decides each packet's fate
// from an ImpairSpec and holds the survivors until their release time.
//
// Pure and seeded: packets and time come in through offer(now, packet), leave through
// release(now), and next_release() says when to come back. Each cause draws from its own
// stream of the seed, so adding dup= to a spec does not move which packets loss= drops, and
// the same seed and inputs give the same decisions bit for bit. Every packet that is not
// passed through untouched and on time is counted by its cause.
//
// Per packet, in netem's order: random loss, Gilbert–Elliott burst loss, duplication (the
// copy takes the same path after this point), corruption (one bit), the rate limiter's
// drop-tail queue, then delay + jitter, and reorder's extra hold-back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/bytes.h"
#include "stack/base/random.h"
#include "stack/base/time.h"
#include "stack/impair/impair_spec.h"

namespace ustack {

struct ImpairCounters {
  std::uint64_t offered = 0;   // packets given to offer()
  std::uint64_t released = 0;  // packets handed out by release() (duplicates included)
  std::uint64_t lost_random = 0;
  std::uint64_t lost_burst = 0;
  std::uint64_t dropped_queue_full = 0;
  std::uint64_t duplicated = 0;  // extra copies made
  std::uint64_t reordered = 0;   // held back so later packets overtake
  std::uint64_t corrupted = 0;
  std::uint64_t delayed = 0;  // released later than offered (delay, jitter, rate, reorder)

  std::uint64_t lost() const { return lost_random + lost_burst + dropped_queue_full; }
  // "    12 impair.out.lost_random\n" per counter, `name` = "impair.out" (the netstat -s style
  // of the other counter blocks).
  std::string to_text(std::string_view name) const;
};

class Impairment {
 public:
  // `seed` is used unless the spec carries its own.
  Impairment(const ImpairSpec& spec, std::uint64_t seed);
  Impairment(const Impairment&) = delete;
  Impairment& operator=(const Impairment&) = delete;

  // What offer() did with a packet: dropped by which cause (the counter's field name,
  // "lost_random", "lost_burst", "dropped_queue_full"; nullptr when it was kept) and, for a
  // random loss, the draw in [0, 1) that decided it (lost when below the probability).
  struct Verdict {
    const char* dropped = nullptr;
    double draw = -1;
  };
  // Takes one packet sent at `now` (copied; a held buffer is reused when one is free).
  Verdict offer(Instant now, Bytes packet);
  // Holds `packet` until `at` untouched and uncounted (a test injecting a delivery).
  void hold(Instant at, Bytes packet);
  // The next packet due at `now`, in release order (FIFO among equal times); the span stays
  // valid until the next call to release().
  std::optional<Bytes> release(Instant now);
  // Earliest release time of a held packet; Instant::never() when none is held.
  Instant next_release() const;
  std::size_t held() const { return held_.size(); }

  const ImpairSpec& spec() const { return spec_; }
  const ImpairCounters& counters() const { return counters_; }

 private:
  struct Held {
    Instant at;
    std::uint64_t order;  // FIFO among packets due at the same instant
    ByteVec bytes;
  };
  struct Queued {
    Instant done;  // its last bit has been serialized
    std::size_t len;
  };
  bool happens(double p, Rng& rng);
  double last_draw_ = -1;  // happens()'s last draw
  bool burst_lost();
  // The instant the packet's last bit leaves the rate limiter, or nullopt when its queue is
  // full (drop-tail).
  std::optional<Instant> serialize(Instant now, std::size_t len);
  bool schedule(Instant now, ByteVec bytes);  // false: dropped (queue full)
  void insert(Instant at, ByteVec bytes);
  ByteVec take_buffer(Bytes content);

  ImpairSpec spec_;
  // One stream per cause, so that each decision sequence depends only on its own field.
  Rng loss_rng_, burst_rng_, dup_rng_, corrupt_rng_, jitter_rng_, reorder_rng_;
  bool burst_bad_ = false;  // Gilbert–Elliott state
  // Rate limiter: packets whose last bit is not yet sent, and the bytes they hold.
  std::deque<Queued> queue_;
  std::size_t queue_bytes_ = 0;
  Instant busy_until_ = Instant::zero();
  // Latest release of an in-order packet: jitter never lets a packet pass the one before it.
  Instant last_in_order_ = Instant::zero();
  std::uint64_t order_ = 0;
  std::deque<Held> held_;       // sorted by (at, order)
  ByteVec current_;             // the packet last returned by release()
  std::vector<ByteVec> spare_;  // buffers to reuse (no allocation per packet in steady state)
  ImpairCounters counters_;
};

}  // namespace ustack
