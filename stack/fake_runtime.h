// FakeRuntime: a Runtime in virtual time over a set of Pollables (Stacks, services), for
// deterministic tests of code written against Runtime (sockapi, tools).
//
// Nothing ever sleeps: run_until() polls everything at the current instant until no pollable
// reports progress, checks ready(), and otherwise jumps the clock straight to the earliest
// poll_at() (or to the deadline if that is earlier). The clock never passes the deadline, so a
// timeout is observed at exactly `deadline`. When nothing is scheduled and there is no deadline,
// nothing can ever happen again: run_until() returns kStopped so a stuck test fails instead of
// hanging.
//
// A pollable that reports progress forever at the same instant (a livelock) would spin the
// loop without advancing time; after kMaxPollRounds rounds at one instant the runtime aborts
// with a message naming the instant.
#pragma once

#include <cstddef>
#include <vector>

#include "stack/base/function_ref.h"
#include "stack/base/time.h"
#include "stack/pollable.h"
#include "stack/runtime.h"

namespace ustack {

class FakeRuntime : public Runtime {
 public:
  explicit FakeRuntime(Instant start = Instant::zero()) : now_(start) {}

  // Pollables are polled in the order added; they must outlive the runtime (or be removed).
  void add(Pollable& p);
  void remove(Pollable& p);

  Instant now() const override { return now_; }
  // Polls everything at now() until no progress; never moves the clock.
  void pump() override;
  RunResult run_until(FunctionRef<bool()> ready, Instant deadline) override;
  void stop() override { stopped_ = true; }
  bool stopped() const override { return stopped_; }
  // Virtual time needs no wakeup: the next pump()/run_until() polls anyway. Counted for tests.
  void wake() override { ++wakes_; }

  // Moves the clock forward by `d`, firing everything due on the way at its own poll_at()
  // (so timers see the instant they asked for), and polls at the final instant.
  void advance(Duration d);
  // Clears stop() so the runtime can be reused.
  void reset_stop() { stopped_ = false; }

  // The earliest poll_at() over all pollables; Instant::never() when all are idle.
  Instant next_event() const;
  std::size_t wakes() const { return wakes_; }
  std::size_t polls() const { return polls_; }

  // Poll rounds at one instant that still report progress before declaring a livelock.
  static constexpr std::size_t kMaxPollRounds = 100'000;

 private:
  // Polls every pollable at now_ until a round makes no progress (aborts on livelock).
  void poll_all();
  // The instant to jump to next: the earliest poll_at(), or now_ + 1ns if that is already due
  // (aborts if it stays due: a livelock that makes no progress).
  Instant next_step();

  Instant now_;
  std::vector<Pollable*> pollables_;
  bool stopped_ = false;
  std::size_t wakes_ = 0;
  std::size_t polls_ = 0;
  std::size_t stale_steps_ = 0;
};

}  // namespace ustack
