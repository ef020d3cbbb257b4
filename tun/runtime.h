// AsioRuntime: the imperative shell's event loop. It owns the clock and the waiting; the
// Stack (or any Pollable) does the work.
//
//   - a posix::stream_descriptor on the device fd: async_wait(wait_read), then poll the core
//     until it reports no progress (the device said EAGAIN and nothing else is due), so one
//     wakeup drains a burst instead of taking one packet;
//   - one steady_timer, re-armed after every batch at the core's poll_at();
//   - a signal_set: SIGINT/SIGTERM stop the loop, SIGUSR1 (and others) call a handler;
//   - busy polling (set_busy_poll, off by default), like Linux's net.core.busy_poll: for a
//     while after a handler ran, the loop polls every fd without sleeping (epoll_wait with a
//     zero timeout) instead of blocking, so a request/response exchange does not pay a
//     wakeup (the scheduler's latency) for each packet. An idle loop sleeps as without it.
//
// Time is CLOCK_MONOTONIC in nanoseconds as an ustack::Instant: tun/ is the only place that
// reads a clock. Single-threaded: every method is called from the thread that runs the loop.
//
// It is the real ustack::Runtime (stack/runtime.h): blocking socket calls (sockapi) use
// run_until(ready, deadline) and tell a timeout (kTimedOut) from a stop (kStopped); a user call
// that queued work on the stack from outside a poll calls wake() (serviced by the loop) or
// pump() (serviced at once) so its output is sent. Tools hook per-batch work (e.g. `serve`
// answering clients) with on_iteration().
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "stack/base/function_ref.h"
#include "stack/base/time.h"
#include "stack/pollable.h"
#include "stack/runtime.h"

namespace ustack::tun {

// What the runtime drives (stack/pollable.h); Stack is one, through PollableRef.
using ustack::Pollable;
using ustack::PollableRef;

struct RuntimeStats {
  std::uint64_t batches = 0;         // times the core was serviced (device, timer or wake)
  std::uint64_t polls = 0;           // calls to Pollable::poll
  std::uint64_t device_wakeups = 0;  // the device fd became readable
  std::uint64_t timer_wakeups = 0;   // the poll_at() timer fired
  // poll_at() was already due right after poll() reported no progress (a core bug; the
  // runtime retries after kStaleDeadlineRetry instead of spinning).
  std::uint64_t stale_deadlines = 0;
  std::uint64_t sleeps = 0;          // the loop blocked waiting (busy polling only)
  std::uint64_t busy_poll_hits = 0;  // a busy poll found work without sleeping
};

class AsioRuntime final : public Runtime {
 public:
  // `device_fd` stays owned by the caller (the device); the runtime only waits on it.
  AsioRuntime(Pollable& core, int device_fd);
  ~AsioRuntime() override;
  AsioRuntime(const AsioRuntime&) = delete;
  AsioRuntime& operator=(const AsioRuntime&) = delete;

  // CLOCK_MONOTONIC as an Instant.
  Instant now() const override;
  static Instant to_instant(std::chrono::steady_clock::time_point t);
  static std::chrono::steady_clock::time_point to_time_point(Instant i);

  // Runs until stop() or SIGINT/SIGTERM; returns the signal number that stopped it (0 if
  // stop() was called).
  int run();
  // Runs the loop until `ready()` holds (kReady), `deadline` passes (kTimedOut) or the loop is
  // stopped (kStopped). `ready` is checked before waiting and after every handler.
  RunResult run_until(FunctionRef<bool()> ready, Instant deadline) override;
  // Services the core now (the device drained, due timers fired, hooks run), then runs every
  // handler that is ready without waiting. Never sleeps.
  void pump() override;
  void stop() override;
  bool stopped() const override { return stopped_; }
  // Undoes stop(): the loop runs again and SIGINT/SIGTERM stop it again. For an embedder that
  // turns a stop by SIGINT into its own interruption and goes on (the Python binding raises
  // KeyboardInterrupt, python/ustack_module.cc).
  void resume();
  int stop_signal() const { return stop_signal_; }
  // The exit code a shell gives a program its stop signal ended: 130 for SIGINT, 143 for
  // SIGTERM (130 when stop() ended the loop).
  int stopped_exit_code() const { return 128 + (stop_signal_ != 0 ? stop_signal_ : 2); }

  // Services the core soon (coalesced: several wakes before the loop runs make one batch).
  void wake() override;
  // `f(now)` runs after every batch, in registration order.
  void on_iteration(std::function<void(Instant)> f);
  // Another fd that wakes the loop (an eventfd another thread writes: a --queues shard's
  // inbox): each time it is readable, `on_readable()` runs (it must make it unreadable, e.g.
  // read the eventfd), then the core is serviced. The fd stays owned by the caller.
  void watch(int fd, std::function<void()> on_readable);
  // `f()` runs on each delivery of `signo` (e.g. SIGUSR1 to print counters). SIGINT and
  // SIGTERM stop the loop after their handler (if any) ran.
  void on_signal(int signo, std::function<void()> f);

  // Busy polling: after any handler ran, poll every fd without sleeping for up to `d` before
  // blocking again; Duration::zero() (the default) turns it off. Each non-blocking poll is one
  // epoll_wait; the loop never spins longer than `d` after the last work it found.
  void set_busy_poll(Duration d) { busy_poll_ = d; }
  Duration busy_poll() const { return busy_poll_; }

  const RuntimeStats& stats() const { return stats_; }
  boost::asio::io_context& io_context() { return io_; }

  // Upper bound on polls per batch before yielding to other handlers (timers, signals).
  static constexpr std::size_t kMaxPollsPerBatch = 1024;
  static constexpr Duration kStaleDeadlineRetry = Duration::millis(1);

 private:
  void service();
  // Runs handlers once: without sleeping while busy polling (then returns, maybe having run
  // none), else waiting until one ran or `deadline` passed.
  void run_some(Instant deadline);
  void arm_device_wait();
  void arm_timer(Instant at);
  void arm_signals();
  struct Watched {
    boost::asio::posix::stream_descriptor fd;
    std::function<void()> on_readable;
  };
  void arm_watch(Watched& w);

  Pollable& core_;
  boost::asio::io_context io_{1};
  boost::asio::posix::stream_descriptor device_;
  boost::asio::steady_timer timer_;
  boost::asio::signal_set signals_;
  Instant timer_at_ = Instant::never();
  Duration busy_poll_ = Duration::zero();
  Instant spin_until_ = Instant::never();  // busy polling goes on until then
  bool wake_pending_ = false;
  bool stopped_ = false;
  int stop_signal_ = 0;
  std::vector<std::function<void(Instant)>> iteration_hooks_;
  std::map<int, std::function<void()>> signal_hooks_;
  std::vector<std::unique_ptr<Watched>> watched_;
  RuntimeStats stats_;
};

}  // namespace ustack::tun
