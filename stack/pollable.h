// Pollable: anything in the core with timers or queued work, driven by poll(now)/poll_at().
//
// The Stack is one; so are the pieces that run on top of the transports (the DNS resolver,
// services), which the Stack runs after its transports in every poll() (Stack::add_poller).
// The shell (tun/AsioRuntime) and virtual-time tests drive a Pollable without knowing what it
// is.
#pragma once

#include "stack/base/time.h"

namespace ustack {

class Pollable {
 public:
  virtual ~Pollable() = default;
  // Does everything due at `now`; true if anything happened, so the caller polls again.
  virtual bool poll(Instant now) = 0;
  // The earliest instant poll() has work to do without new input; Instant::never() when idle.
  virtual Instant poll_at() const = 0;
};

// Adapts any object with poll(Instant) -> bool and poll_at() -> Instant (e.g. ustack::Stack).
template <typename T>
class PollableRef final : public Pollable {
 public:
  explicit PollableRef(T& target) : target_(target) {}
  bool poll(Instant now) override { return target_.poll(now); }
  Instant poll_at() const override { return target_.poll_at(); }

 private:
  T& target_;
};

}  // namespace ustack
