// Runtime: the event loop as sockapi and the tools see it, so they are written once and run
// either on the real shell (tun/AsioRuntime: steady clock, TUN fd, timers) or in virtual time
// (stack/fake_runtime.h) in tests.
//
// The model is MicroPython's: there is no background thread. A blocking socket call runs the
// loop on the calling thread, run_until(ready, deadline), until the socket is ready, the timeout
// expires (ETIMEDOUT) or the loop is stopped. A user call that changes state (send, connect,
// close ...) calls wake() or pump() so its output goes out without waiting for an unrelated
// wakeup. Single-threaded: every method is called from the thread that runs the loop.
#pragma once

#include "stack/base/function_ref.h"
#include "stack/base/time.h"

namespace ustack {

class Runtime {
 public:
  enum class RunResult {
    kReady,     // ready() returned true
    kTimedOut,  // the deadline passed first
    kStopped,   // stop() was called (or, in virtual time, nothing could ever happen again)
  };

  virtual ~Runtime() = default;

  // The runtime's clock: the only time the core sees (it never reads a clock itself).
  virtual Instant now() const = 0;

  // One step: deliver ready input, poll the stack until it makes no progress, fire due
  // timers. Never sleeps, so a user call can push its output out at once.
  virtual void pump() = 0;

  // Runs the loop until ready() holds (kReady), `deadline` passes (kTimedOut) or stop()
  // (kStopped). ready() is checked first: if it already holds, returns kReady without running
  // the loop, so a non-blocking fast path costs nothing. Then it is re-checked after every
  // step. Instant::never() means no deadline. Not re-entrant: ready() must not call it.
  virtual RunResult run_until(FunctionRef<bool()> ready, Instant deadline) = 0;

  // Makes run_until() return kStopped (now and in later calls) until the runtime is reset by
  // its owner; for SIGINT, a test's teardown, or a tool that is done.
  virtual void stop() = 0;
  virtual bool stopped() const = 0;

  // A user call changed state outside a poll (queued data, opened or closed a socket): the
  // next step must poll the core even if no input or timer is due.
  virtual void wake() = 0;

 protected:
  Runtime() = default;
  Runtime(const Runtime&) = default;
  Runtime& operator=(const Runtime&) = default;
};

}  // namespace ustack
