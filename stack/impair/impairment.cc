#include "stack/impair/impairment.h"

#include <algorithm>
#include <iterator>

#include "stack/counters.h"

namespace ustack {
namespace {

// Distinct seeds per cause from one user seed (splitmix64's increment keeps them apart).
std::uint64_t stream(std::uint64_t seed, std::uint64_t cause) {
  return seed ^ (cause * 0x9e3779b97f4a7c15ull);
}

// Spare buffers kept beyond which a released one is freed (bounds memory after a burst).
constexpr std::size_t kMaxSpare = 256;

}  // namespace

std::string ImpairCounters::to_text(std::string_view name) const {
  std::string s;
  auto line = [&](std::uint64_t v, const char* field) {
    append_counter(s, v, std::string(name) + "." + field);
  };
  line(offered, "offered");
  line(released, "released");
  line(lost_random, "lost_random");
  line(lost_burst, "lost_burst");
  line(dropped_queue_full, "dropped_queue_full");
  line(duplicated, "duplicated");
  line(reordered, "reordered");
  line(corrupted, "corrupted");
  line(delayed, "delayed");
  return s;
}

Impairment::Impairment(const ImpairSpec& spec, std::uint64_t seed)
    : spec_(spec),
      loss_rng_(stream(spec.seed.value_or(seed), 1)),
      burst_rng_(stream(spec.seed.value_or(seed), 2)),
      dup_rng_(stream(spec.seed.value_or(seed), 3)),
      corrupt_rng_(stream(spec.seed.value_or(seed), 4)),
      jitter_rng_(stream(spec.seed.value_or(seed), 5)),
      reorder_rng_(stream(spec.seed.value_or(seed), 6)) {}

// A zero probability draws nothing, so a field left out does not consume randomness.
bool Impairment::happens(double p, Rng& rng) {
  if (p <= 0) return false;
  last_draw_ = rng.unit();  // Rng::chance(p) is unit() < p: the same draws, kept for the trace
  return last_draw_ < p;
}

// Gilbert–Elliott: the state decides this packet's loss chance (h bad, k good), then the chain
// takes one step (p: good -> bad, r: bad -> good).
bool Impairment::burst_lost() {
  const GilbertElliott& g = spec_.burst;
  if (!g.enabled()) return false;
  bool lose = happens(burst_bad_ ? g.h : g.k, burst_rng_);
  const double draw = last_draw_;
  burst_bad_ = burst_bad_ ? !burst_rng_.chance(g.r) : burst_rng_.chance(g.p);
  last_draw_ = draw;
  return lose;
}

Impairment::Verdict Impairment::offer(Instant now, Bytes packet) {
  counters_.offered++;
  if (happens(spec_.loss, loss_rng_)) {
    counters_.lost_random++;
    return {"lost_random", last_draw_};
  }
  last_draw_ = -1;
  if (burst_lost()) {
    counters_.lost_burst++;
    return {"lost_burst", last_draw_};
  }
  if (happens(spec_.duplicate, dup_rng_)) {
    counters_.duplicated++;
    schedule(now, take_buffer(packet));
  }
  if (!schedule(now, take_buffer(packet))) return {"dropped_queue_full", -1};
  return {};
}

bool Impairment::schedule(Instant now, ByteVec bytes) {
  if (!bytes.empty() && happens(spec_.corrupt, corrupt_rng_)) {
    std::size_t bit = corrupt_rng_.uniform(bytes.size() * 8);
    bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    counters_.corrupted++;
  }
  std::optional<Instant> sent = serialize(now, bytes.size());
  if (!sent) {
    counters_.dropped_queue_full++;
    if (spare_.size() < kMaxSpare) spare_.push_back(std::move(bytes));
    return false;
  }
  Instant at = *sent + spec_.delay;
  if (spec_.jitter > Duration::zero()) {
    at += Duration::nanos(static_cast<std::int64_t>(
        jitter_rng_.uniform(static_cast<std::uint64_t>(spec_.jitter.total_nanos()))));
  }
  if (happens(spec_.reorder, reorder_rng_)) {
    // Held back without moving the in-order horizon: the packets behind it overtake.
    at += spec_.reorder_delay;
    counters_.reordered++;
  } else {
    at = std::max(at, last_in_order_);
    last_in_order_ = at;
  }
  if (at > now) counters_.delayed++;
  insert(at, std::move(bytes));
  return true;
}

// A link of rate R behind a drop-tail queue of Q bytes: a packet starts when the one ahead of
// it is done and takes len*8/R; it occupies the queue from its arrival until its last bit is
// sent, and is dropped when it would take the occupancy over Q (an empty queue takes any
// packet, or a queue smaller than one packet would pass nothing).
std::optional<Instant> Impairment::serialize(Instant now, std::size_t len) {
  if (spec_.rate_bps == 0) return now;
  while (!queue_.empty() && queue_.front().done <= now) {
    queue_bytes_ -= queue_.front().len;
    queue_.pop_front();
  }
  if (!queue_.empty() && queue_bytes_ + len > spec_.effective_queue_bytes()) return std::nullopt;
  // Nanoseconds on the wire, rounded up: len <= 2^32 and 8e9 < 2^33 keep it within 64 bits.
  std::uint64_t ns =
      (static_cast<std::uint64_t>(len) * 8'000'000'000ull + spec_.rate_bps - 1) / spec_.rate_bps;
  Instant done = std::max(now, busy_until_) + Duration::nanos(static_cast<std::int64_t>(ns));
  busy_until_ = done;
  queue_.push_back({done, len});
  queue_bytes_ += len;
  return done;
}

void Impairment::hold(Instant at, Bytes packet) { insert(at, take_buffer(packet)); }

void Impairment::insert(Instant at, ByteVec bytes) {
  Held h{at, order_++, std::move(bytes)};
  // Most packets are released in order: search from the back.
  auto it = held_.end();
  while (it != held_.begin() && std::prev(it)->at > at) --it;
  held_.insert(it, std::move(h));
}

std::optional<Bytes> Impairment::release(Instant now) {
  if (held_.empty() || held_.front().at > now) return std::nullopt;
  if (!current_.empty() && spare_.size() < kMaxSpare) spare_.push_back(std::move(current_));
  current_ = std::move(held_.front().bytes);
  held_.pop_front();
  counters_.released++;
  return Bytes(current_);
}

Instant Impairment::next_release() const {
  return held_.empty() ? Instant::never() : held_.front().at;
}

ByteVec Impairment::take_buffer(Bytes content) {
  ByteVec b;
  if (!spare_.empty()) {
    b = std::move(spare_.back());
    spare_.pop_back();
  }
  b.assign(content.begin(), content.end());
  return b;
}

}  // namespace ustack
