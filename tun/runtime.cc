#include "tun/runtime.h"

#include <boost/asio/post.hpp>
#include <csignal>

namespace ustack::tun {

namespace asio = boost::asio;

AsioRuntime::AsioRuntime(Pollable& core, int device_fd)
    : core_(core), device_(io_, device_fd), timer_(io_), signals_(io_) {
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  arm_signals();
  arm_device_wait();
  wake();  // first batch: the core may have work before any packet arrives (DAD, RS, ...)
}

AsioRuntime::~AsioRuntime() {
  // The device owns the fd, and the watchers' owners theirs.
  device_.release();
  for (auto& w : watched_) w->fd.release();
}

Instant AsioRuntime::to_instant(std::chrono::steady_clock::time_point t) {
  return Instant::from_nanos(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

std::chrono::steady_clock::time_point AsioRuntime::to_time_point(Instant i) {
  if (i.is_never()) return std::chrono::steady_clock::time_point::max();
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(i.total_nanos()));
}

Instant AsioRuntime::now() const { return to_instant(std::chrono::steady_clock::now()); }

int AsioRuntime::run() {
  while (!stopped_) {
    if (io_.stopped()) io_.restart();
    if (busy_poll_ == Duration::zero()) {
      io_.run();
    } else {
      run_some(Instant::never());
    }
  }
  return stop_signal_;
}

void AsioRuntime::run_some(Instant deadline) {
  if (busy_poll_ != Duration::zero() && !spin_until_.is_never()) {
    Instant t = now();
    if (t < spin_until_) {
      if (io_.poll() > 0) {
        ++stats_.busy_poll_hits;
        spin_until_ = now() + busy_poll_;
      }
      return;
    }
  }
  if (busy_poll_ != Duration::zero()) ++stats_.sleeps;
  std::size_t n = deadline.is_never() ? io_.run_one() : io_.run_one_until(to_time_point(deadline));
  if (busy_poll_ != Duration::zero()) {
    // Whatever is ready now runs before the spin starts.
    if (n > 0 && !io_.stopped()) io_.poll();
    spin_until_ = n > 0 ? now() + busy_poll_ : Instant::never();
  }
}

Runtime::RunResult AsioRuntime::run_until(FunctionRef<bool()> ready, Instant deadline) {
  for (;;) {
    if (ready()) return RunResult::kReady;
    if (stopped_) return RunResult::kStopped;
    if (now() >= deadline) return RunResult::kTimedOut;
    if (io_.stopped()) io_.restart();
    run_some(deadline);
  }
}

void AsioRuntime::pump() {
  if (stopped_) return;
  service();
  if (io_.stopped()) io_.restart();
  io_.poll();
}

void AsioRuntime::stop() {
  stopped_ = true;
  io_.stop();
}

void AsioRuntime::resume() {
  stopped_ = false;
  // A stop by signal ended the signal wait (arm_signals); a stop() call left it pending.
  if (stop_signal_ != 0) arm_signals();
  stop_signal_ = 0;
}

void AsioRuntime::wake() {
  if (wake_pending_) return;
  wake_pending_ = true;
  asio::post(io_, [this] {
    wake_pending_ = false;
    service();
  });
}

void AsioRuntime::on_iteration(std::function<void(Instant)> f) {
  iteration_hooks_.push_back(std::move(f));
}

void AsioRuntime::watch(int fd, std::function<void()> on_readable) {
  watched_.push_back(std::make_unique<Watched>(
      Watched{asio::posix::stream_descriptor(io_, fd), std::move(on_readable)}));
  arm_watch(*watched_.back());
}

void AsioRuntime::arm_watch(Watched& w) {
  w.fd.async_wait(asio::posix::stream_descriptor::wait_read,
                  [this, &w](const boost::system::error_code& ec) {
                    if (ec) return;  // cancelled: the runtime is going away
                    w.on_readable();
                    service();
                    arm_watch(w);
                  });
}

void AsioRuntime::on_signal(int signo, std::function<void()> f) {
  if (signo != SIGINT && signo != SIGTERM) signals_.add(signo);
  signal_hooks_[signo] = std::move(f);
}

// Polls until the core has nothing left to do now (the device is drained), then runs the
// iteration hooks and re-arms the timer. A core that keeps making progress is cut off after
// kMaxPollsPerBatch polls and continued from a posted handler, so timers and signals still run.
void AsioRuntime::service() {
  ++stats_.batches;
  Instant t = now();
  // A deadline that was due before this batch and still is after a poll that did nothing is
  // one the core will not act on (a core bug): waking for it at once would spin, so it is
  // retried a little later and counted.
  const bool was_due = core_.poll_at() <= t;
  std::size_t polls = 0;
  bool more = false;
  for (;;) {
    ++polls;
    ++stats_.polls;
    if (!core_.poll(t)) break;
    if (polls == kMaxPollsPerBatch) {
      more = true;
      break;
    }
    t = now();
  }
  for (auto& hook : iteration_hooks_) hook(t);
  if (more) {
    wake();
    return;
  }
  Instant at = core_.poll_at();
  if (at <= t) {
    if (!(was_due && polls == 1)) {
      // Due now: work the hooks queued (a socket send) or time that passed during the batch.
      wake();
      return;
    }
    ++stats_.stale_deadlines;
    at = t + kStaleDeadlineRetry;
  }
  arm_timer(at);
}

void AsioRuntime::arm_device_wait() {
  device_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [this](const boost::system::error_code& ec) {
                       if (ec) return;  // cancelled: the runtime is going away
                       ++stats_.device_wakeups;
                       service();
                       arm_device_wait();
                     });
}

void AsioRuntime::arm_timer(Instant at) {
  if (at == timer_at_) return;  // already waiting for exactly that instant
  timer_at_ = at;
  if (at.is_never()) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(to_time_point(at));
  timer_.async_wait([this, at](const boost::system::error_code& ec) {
    if (ec || timer_at_ != at) return;  // replaced by a newer deadline
    timer_at_ = Instant::never();
    ++stats_.timer_wakeups;
    service();
  });
}

void AsioRuntime::arm_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (auto it = signal_hooks_.find(signo); it != signal_hooks_.end() && it->second) {
      it->second();
    }
    if (signo == SIGINT || signo == SIGTERM) {
      stop_signal_ = signo;
      stop();
      return;
    }
    arm_signals();
  });
}

}  // namespace ustack::tun
