// AsioRuntime against a fake core on a pipe: the pipe's read end stands in for the TUN fd, the
// fake reads one "packet" (byte) per poll until EAGAIN, like Stack::poll with a TunDevice.
#include "tun/runtime.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <thread>
#include <vector>

namespace ustack::tun {
namespace {

using namespace ustack::literals;
constexpr auto kReady = Runtime::RunResult::kReady;
constexpr auto kTimedOut = Runtime::RunResult::kTimedOut;
constexpr auto kStopped = Runtime::RunResult::kStopped;

class FakeCore : public Pollable {
 public:
  explicit FakeCore(int fd) : fd_(fd) {}

  bool poll(Instant now) override {
    ++polls;
    bool progressed = false;
    if (now >= deadline) {
      fired_at.push_back(now);
      deadline = Instant::never();
      progressed = true;
    }
    if (queued_output > 0) {
      --queued_output;
      ++sent;
      return true;
    }
    char c;
    if (::read(fd_, &c, 1) == 1) {
      ++received;
      return true;
    }
    return progressed;
  }
  // Queued output is due at once, like a stack with segments to send.
  Instant poll_at() const override { return queued_output > 0 ? Instant::zero() : deadline; }

  int polls = 0;
  int received = 0;
  int sent = 0;
  int queued_output = 0;
  Instant deadline = Instant::never();
  std::vector<Instant> fired_at;

 private:
  int fd_;
};

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pipe2(pipe_, O_NONBLOCK | O_CLOEXEC), 0);
    core_ = std::make_unique<FakeCore>(pipe_[0]);
    rt_ = std::make_unique<AsioRuntime>(*core_, pipe_[0]);
  }
  void TearDown() override {
    rt_.reset();
    ::close(pipe_[0]);
    ::close(pipe_[1]);
  }
  void send_packets(int n) {
    std::string s(static_cast<std::size_t>(n), 'p');
    ASSERT_EQ(::write(pipe_[1], s.data(), s.size()), n);
  }
  Instant in(Duration d) { return rt_->now() + d; }

  int pipe_[2] = {-1, -1};
  std::unique_ptr<FakeCore> core_;
  std::unique_ptr<AsioRuntime> rt_;
};

TEST_F(RuntimeTest, ClockIsMonotonicNanoseconds) {
  Instant a = rt_->now();
  Instant b = rt_->now();
  EXPECT_LE(a, b);
  auto tp = std::chrono::steady_clock::now();
  EXPECT_EQ(AsioRuntime::to_instant(AsioRuntime::to_time_point(AsioRuntime::to_instant(tp))),
            AsioRuntime::to_instant(tp));
}

// One wakeup drains everything waiting on the device (read until EAGAIN), not one per wakeup.
TEST_F(RuntimeTest, OneWakeupDrainsEveryWaitingPacket) {
  ASSERT_EQ(rt_->run_until([&] { return core_->polls > 0; }, in(2_s)), kReady);  // the first batch
  const auto batches_before = rt_->stats().batches;
  send_packets(100);
  ASSERT_EQ(rt_->run_until([&] { return core_->received == 100; }, in(2_s)), kReady);
  EXPECT_EQ(rt_->stats().batches - batches_before, 1u);
  EXPECT_EQ(rt_->stats().device_wakeups, 1u);
}

TEST_F(RuntimeTest, PacketsArrivingLaterWakeTheLoopAgain) {
  send_packets(3);
  ASSERT_EQ(rt_->run_until([&] { return core_->received == 3; }, in(2_s)), kReady);
  send_packets(2);
  ASSERT_EQ(rt_->run_until([&] { return core_->received == 5; }, in(2_s)), kReady);
}

// The timer is armed at poll_at() and the core is polled no earlier than that.
TEST_F(RuntimeTest, TimerFiresAtPollAt) {
  Instant due = in(30_ms);
  core_->deadline = due;
  rt_->wake();  // the runtime re-reads poll_at() after each batch
  ASSERT_EQ(rt_->run_until([&] { return !core_->fired_at.empty(); }, in(2_s)), kReady);
  EXPECT_GE(core_->fired_at[0], due);
  EXPECT_GE(rt_->stats().timer_wakeups, 1u);
}

TEST_F(RuntimeTest, EarlierDeadlineReplacesALaterOne) {
  core_->deadline = in(10_s);
  rt_->wake();
  ASSERT_EQ(rt_->run_until([&] { return core_->polls > 0; }, in(1_s)), kReady);
  Instant due = in(20_ms);
  core_->deadline = due;
  rt_->wake();
  ASSERT_EQ(rt_->run_until([&] { return !core_->fired_at.empty(); }, in(2_s)), kReady);
  EXPECT_GE(core_->fired_at[0], due);
}

TEST_F(RuntimeTest, RunUntilTimesOutAtTheDeadline) {
  Instant deadline = in(30_ms);
  EXPECT_EQ(rt_->run_until([] { return false; }, deadline), kTimedOut);
  EXPECT_GE(rt_->now(), deadline);
}

TEST_F(RuntimeTest, RunUntilReturnsAtOnceWhenAlreadyTrue) {
  int polls = core_->polls;
  EXPECT_EQ(rt_->run_until([] { return true; }, in(1_s)), kReady);
  EXPECT_EQ(core_->polls, polls);
}

// Work queued from outside a poll (a socket send) goes out after wake().
TEST_F(RuntimeTest, WakeServicesQueuedOutput) {
  ASSERT_EQ(rt_->run_until([&] { return core_->polls > 0; }, in(1_s)), kReady);
  core_->queued_output = 5;
  rt_->wake();
  ASSERT_EQ(rt_->run_until([&] { return core_->sent == 5; }, in(1_s)), kReady);
}

// A hook that queues work on the core (serve answering a client) gets it polled at once, and
// that is not mistaken for a stale deadline.
TEST_F(RuntimeTest, WorkQueuedByAHookIsPolledAtOnce) {
  bool queued = false;
  rt_->on_iteration([&](Instant) {
    if (!queued) core_->queued_output = 3;
    queued = true;
  });
  rt_->wake();
  ASSERT_EQ(rt_->run_until([&] { return core_->sent == 3; }, in(1_s)), kReady);
  EXPECT_EQ(rt_->stats().stale_deadlines, 0u);
  EXPECT_EQ(rt_->stats().timer_wakeups, 0u);
}

TEST_F(RuntimeTest, IterationHooksRunAfterEveryBatch) {
  std::vector<Instant> seen;
  rt_->on_iteration([&](Instant t) { seen.push_back(t); });
  send_packets(1);
  ASSERT_EQ(rt_->run_until([&] { return core_->received == 1 && !seen.empty(); }, in(1_s)), kReady);
  EXPECT_LE(seen.back(), rt_->now());
}

TEST_F(RuntimeTest, SigusrCallsItsHandlerAndKeepsRunning) {
  int calls = 0;
  rt_->on_signal(SIGUSR1, [&] { ++calls; });
  ::raise(SIGUSR1);
  ASSERT_EQ(rt_->run_until([&] { return calls == 1; }, in(2_s)), kReady);
  ::raise(SIGUSR1);
  ASSERT_EQ(rt_->run_until([&] { return calls == 2; }, in(2_s)), kReady);
  EXPECT_FALSE(rt_->stopped());
}

TEST_F(RuntimeTest, SigtermStopsRunAndIsReported) {
  bool handler_ran = false;
  rt_->on_signal(SIGTERM, [&] { handler_ran = true; });
  rt_->on_iteration([](Instant) { ::raise(SIGTERM); });
  EXPECT_EQ(rt_->run(), SIGTERM);
  EXPECT_TRUE(handler_ran);
  EXPECT_TRUE(rt_->stopped());
  // A stop is not a timeout: blocking calls raise differently (sockapi).
  EXPECT_EQ(rt_->run_until([] { return false; }, in(1_s)), kStopped);
}

// resume() after a stop by SIGINT: the loop runs again, and a second SIGINT stops it again
// (the signal wait was re-armed). The Python binding's Ctrl-C path.
TEST_F(RuntimeTest, ResumeAfterSigintRunsAgainAndTheNextSigintStopsAgain) {
  ::raise(SIGINT);
  EXPECT_EQ(rt_->run_until([] { return false; }, in(2_s)), kStopped);
  EXPECT_EQ(rt_->stop_signal(), SIGINT);
  rt_->resume();
  EXPECT_FALSE(rt_->stopped());
  EXPECT_EQ(rt_->stop_signal(), 0);
  EXPECT_EQ(rt_->run_until([] { return false; }, in(10_ms)), kTimedOut);
  ::raise(SIGINT);
  EXPECT_EQ(rt_->run_until([] { return false; }, in(2_s)), kStopped);
  EXPECT_EQ(rt_->stop_signal(), SIGINT);
}

// resume() after stop() (no signal): the pending signal wait stays the only one.
TEST_F(RuntimeTest, ResumeAfterStopRunsAgain) {
  rt_->stop();
  EXPECT_EQ(rt_->run_until([] { return false; }, in(1_s)), kStopped);
  rt_->resume();
  EXPECT_EQ(rt_->run_until([] { return false; }, in(10_ms)), kTimedOut);
  ::raise(SIGTERM);
  EXPECT_EQ(rt_->run_until([] { return false; }, in(2_s)), kStopped);
  EXPECT_EQ(rt_->stop_signal(), SIGTERM);
}

// pump() services the core at once and never waits: a user call's output goes out now.
TEST_F(RuntimeTest, PumpPollsTheCoreWithoutWaiting) {
  ASSERT_EQ(rt_->run_until([&] { return core_->polls > 0; }, in(1_s)), kReady);
  const int polls = core_->polls;
  core_->queued_output = 2;
  rt_->pump();
  EXPECT_GT(core_->polls, polls);
  EXPECT_EQ(core_->queued_output, 0);
}

// Code written against ustack::Runtime (sockapi) runs on the real loop unchanged.
TEST_F(RuntimeTest, IsAUstackRuntime) {
  Runtime& rt = *rt_;
  EXPECT_EQ(rt.run_until([] { return true; }, Instant::never()), kReady);
  EXPECT_EQ(rt.run_until([] { return false; }, rt.now() + 10_ms), kTimedOut);
  rt.stop();
  EXPECT_TRUE(rt.stopped());
  EXPECT_EQ(rt.run_until([] { return false; }, Instant::never()), kStopped);
}

TEST_F(RuntimeTest, StopEndsRunWithSignalZero) {
  rt_->on_iteration([&](Instant) { rt_->stop(); });
  EXPECT_EQ(rt_->run(), 0);
}

// A core whose poll_at() stays in the past without poll() doing anything must not make the
// loop spin: the runtime backs off and counts it.
TEST_F(RuntimeTest, StaleDeadlineIsRetriedLaterNotSpunOn) {
  struct StuckCore : Pollable {
    int polls = 0;
    bool poll(Instant) override {
      ++polls;
      return false;
    }
    Instant poll_at() const override { return Instant::from_nanos(1); }
  } stuck;
  AsioRuntime rt(stuck, pipe_[0]);
  EXPECT_EQ(rt.run_until([] { return false; }, rt.now() + 50_ms), kTimedOut);
  EXPECT_GE(rt.stats().stale_deadlines, 1u);
  // About one poll per millisecond, not millions.
  EXPECT_LT(stuck.polls, 200);
}

// A core that always has more work is cut into batches so timers and signals still run.
TEST_F(RuntimeTest, BusyCoreIsServicedInBoundedBatches) {
  core_->queued_output = static_cast<int>(3 * AsioRuntime::kMaxPollsPerBatch);
  int calls = 0;
  rt_->on_signal(SIGUSR1, [&] { ++calls; });
  ::raise(SIGUSR1);
  ASSERT_EQ(rt_->run_until([&] { return core_->queued_output == 0; }, in(5_s)), kReady);
  EXPECT_GE(rt_->stats().batches, 3u);
  EXPECT_EQ(calls, 1);
}

// Busy polling: a packet that arrives while the loop is still polling after earlier work is
// taken without the loop going to sleep.
TEST_F(RuntimeTest, BusyPollTakesAPacketWithoutSleeping) {
  rt_->set_busy_poll(Duration::millis(500));
  ASSERT_EQ(rt_->run_until([&] { return core_->polls > 0; }, in(2_s)), kReady);  // the first batch
  const auto sleeps = rt_->stats().sleeps;
  std::thread writer([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    send_packets(1);
  });
  ASSERT_EQ(rt_->run_until([&] { return core_->received == 1; }, in(2_s)), kReady);
  writer.join();
  EXPECT_EQ(rt_->stats().sleeps, sleeps);
  EXPECT_GE(rt_->stats().busy_poll_hits, 1u);
}

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// An idle loop stops polling `busy_poll` after the last work and sleeps: it does not burn the
// CPU while nothing happens.
TEST_F(RuntimeTest, BusyPollSleepsWhenIdle) {
  rt_->set_busy_poll(Duration::millis(5));
  double cpu = thread_cpu_seconds();
  EXPECT_EQ(rt_->run_until([] { return false; }, in(300_ms)), kTimedOut);
  cpu = thread_cpu_seconds() - cpu;
  EXPECT_GE(rt_->stats().sleeps, 2u);  // the first wait, and the one after the spin
  EXPECT_LT(cpu, 0.1);                 // a loop that never slept would use ~0.3 s
}

// Off (the default): the loop never polls without sleeping.
TEST_F(RuntimeTest, BusyPollOffByDefault) {
  EXPECT_EQ(rt_->busy_poll(), Duration::zero());
  send_packets(1);
  ASSERT_EQ(rt_->run_until([&] { return core_->received == 1; }, in(2_s)), kReady);
  EXPECT_EQ(rt_->stats().busy_poll_hits, 0u);
}

}  // namespace
}  // namespace ustack::tun
