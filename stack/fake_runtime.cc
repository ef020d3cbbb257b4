#include "stack/fake_runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace ustack {

void FakeRuntime::add(Pollable& p) { pollables_.push_back(&p); }

void FakeRuntime::remove(Pollable& p) {
  pollables_.erase(std::remove(pollables_.begin(), pollables_.end(), &p), pollables_.end());
}

Instant FakeRuntime::next_event() const {
  Instant at = Instant::never();
  for (const Pollable* p : pollables_) at = std::min(at, p->poll_at());
  return at;
}

void FakeRuntime::poll_all() {
  for (std::size_t round = 0; round < kMaxPollRounds; ++round) {
    bool progress = false;
    for (Pollable* p : pollables_) {
      ++polls_;
      if (p->poll(now_)) progress = true;
    }
    if (!progress) return;
  }
  std::fprintf(stderr,
               "FakeRuntime: livelock: pollables still report progress after %zu rounds at %s "
               "(a poll() that returns true without consuming its work)\n",
               kMaxPollRounds, now_.to_string().c_str());
  std::abort();
}

void FakeRuntime::pump() { poll_all(); }

Instant FakeRuntime::next_step() {
  Instant next = next_event();
  if (next > now_) {
    stale_steps_ = 0;
    return next;
  }
  // A poll_at() already due after a round without progress (a core bug, as AsioRuntime's
  // stale_deadlines): step 1ns so time still advances, but not forever.
  if (++stale_steps_ > kMaxPollRounds) {
    std::fprintf(stderr,
                 "FakeRuntime: livelock: poll_at() stays due (<= now) without progress for %zu "
                 "steps at %s\n",
                 kMaxPollRounds, now_.to_string().c_str());
    std::abort();
  }
  return now_ + Duration::nanos(1);
}

void FakeRuntime::advance(Duration d) {
  const Instant target = now_ + d;
  poll_all();
  for (Instant next = next_step(); next <= target; next = next_step()) {
    now_ = next;
    poll_all();
  }
  now_ = target;
  poll_all();
}

Runtime::RunResult FakeRuntime::run_until(FunctionRef<bool()> ready, Instant deadline) {
  if (ready()) return RunResult::kReady;
  for (;;) {
    if (stopped_) return RunResult::kStopped;
    poll_all();
    if (ready()) return RunResult::kReady;
    if (stopped_) return RunResult::kStopped;
    if (now_ >= deadline) return RunResult::kTimedOut;
    if (next_event().is_never() && deadline.is_never()) {
      // Nothing scheduled and no deadline: nothing can ever change; fail instead of hanging.
      return RunResult::kStopped;
    }
    now_ = std::min(next_step(), deadline);
  }
}

}  // namespace ustack
