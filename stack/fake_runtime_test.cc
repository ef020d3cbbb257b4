// FakeRuntime: virtual-time run_until over Pollables (ready first, jumps to poll_at, never
// past the deadline, stop, livelock guard) and a ping between two Stacks over a delayed Link.
#include "stack/fake_runtime.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "stack/stack_test_util.h"

namespace ustack {
namespace {

using namespace literals;
using RunResult = Runtime::RunResult;

// A pollable with one-shot timers: poll(now) fires every timer due at `now` (progress).
class Timers : public Pollable {
 public:
  void at(Instant t) { pending_.push_back(t); }
  bool poll(Instant now) override {
    polled_at.push_back(now);
    bool progress = false;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (*it <= now) {
        fired.push_back(now);
        it = pending_.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
    return progress;
  }
  Instant poll_at() const override {
    Instant at = Instant::never();
    for (Instant t : pending_) at = std::min(at, t);
    return at;
  }
  std::vector<Instant> fired;
  std::vector<Instant> polled_at;

 private:
  std::vector<Instant> pending_;
};

// Reports progress forever.
class Spinner : public Pollable {
 public:
  bool poll(Instant) override { return true; }
  Instant poll_at() const override { return Instant::never(); }
};

TEST(FakeRuntime, ReadyImmediatelyDoesNotRun) {
  FakeRuntime rt(Instant::from_millis(5));
  Timers t;
  t.at(Instant::from_millis(5));
  rt.add(t);
  EXPECT_EQ(rt.run_until([] { return true; }, Instant::never()), RunResult::kReady);
  EXPECT_EQ(rt.now(), Instant::from_millis(5));
  EXPECT_TRUE(t.polled_at.empty());
  EXPECT_EQ(rt.polls(), 0u);
}

TEST(FakeRuntime, TimerDrivenReadinessJumpsExactlyToPollAt) {
  FakeRuntime rt;
  Timers t;
  t.at(Instant::from_millis(30));
  t.at(Instant::from_millis(70));
  rt.add(t);
  auto r = rt.run_until([&] { return t.fired.size() == 2; }, Instant::from_millis(1000));
  EXPECT_EQ(r, RunResult::kReady);
  EXPECT_EQ(rt.now(), Instant::from_millis(70));
  ASSERT_EQ(t.fired.size(), 2u);
  EXPECT_EQ(t.fired[0], Instant::from_millis(30));
  EXPECT_EQ(t.fired[1], Instant::from_millis(70));
  // Polled only at the instants where something was due (and at the start).
  for (Instant p : t.polled_at) {
    EXPECT_TRUE(p == Instant::zero() || p == Instant::from_millis(30) ||
                p == Instant::from_millis(70))
        << p.to_string();
  }
}

TEST(FakeRuntime, DeadlineBeforeNextEventTimesOutAtTheDeadline) {
  FakeRuntime rt;
  Timers t;
  t.at(Instant::from_millis(500));
  rt.add(t);
  auto r = rt.run_until([&] { return !t.fired.empty(); }, Instant::from_millis(200));
  EXPECT_EQ(r, RunResult::kTimedOut);
  EXPECT_EQ(rt.now(), Instant::from_millis(200));
  EXPECT_TRUE(t.fired.empty());
  // The timer is still there for a later wait.
  r = rt.run_until([&] { return !t.fired.empty(); }, Instant::from_millis(1000));
  EXPECT_EQ(r, RunResult::kReady);
  EXPECT_EQ(rt.now(), Instant::from_millis(500));
}

TEST(FakeRuntime, NothingScheduledRunsToTheDeadline) {
  FakeRuntime rt;
  Timers t;
  rt.add(t);
  EXPECT_EQ(rt.run_until([] { return false; }, Instant::from_millis(42)), RunResult::kTimedOut);
  EXPECT_EQ(rt.now(), Instant::from_millis(42));
}

TEST(FakeRuntime, EventAtTheDeadlineStillCounts) {
  FakeRuntime rt;
  Timers t;
  t.at(Instant::from_millis(100));
  rt.add(t);
  auto r = rt.run_until([&] { return !t.fired.empty(); }, Instant::from_millis(100));
  EXPECT_EQ(r, RunResult::kReady);
  EXPECT_EQ(rt.now(), Instant::from_millis(100));
}

TEST(FakeRuntime, NothingScheduledAndNoDeadlineIsStoppedNotHung) {
  FakeRuntime rt;
  Timers t;
  rt.add(t);
  EXPECT_EQ(rt.run_until([] { return false; }, Instant::never()), RunResult::kStopped);
  EXPECT_EQ(rt.now(), Instant::zero());
}

TEST(FakeRuntime, StopFromInsideTheLoop) {
  FakeRuntime rt;
  Timers t;
  for (int i = 1; i <= 10; ++i) t.at(Instant::from_millis(10 * i));
  rt.add(t);
  auto r = rt.run_until(
      [&] {
        if (t.fired.size() == 3) rt.stop();
        return false;
      },
      Instant::never());
  EXPECT_EQ(r, RunResult::kStopped);
  EXPECT_TRUE(rt.stopped());
  EXPECT_EQ(rt.now(), Instant::from_millis(30));
  // Stays stopped until reset, without running.
  EXPECT_EQ(rt.run_until([] { return false; }, Instant::never()), RunResult::kStopped);
  EXPECT_EQ(t.fired.size(), 3u);
  // ready() is still checked first.
  EXPECT_EQ(rt.run_until([] { return true; }, Instant::never()), RunResult::kReady);
  rt.reset_stop();
  EXPECT_EQ(rt.run_until([&] { return t.fired.size() == 10; }, Instant::never()),
            RunResult::kReady);
  EXPECT_EQ(rt.now(), Instant::from_millis(100));
}

TEST(FakeRuntime, AdvanceFiresTimersAtTheirOwnInstants) {
  FakeRuntime rt;
  Timers t;
  t.at(Instant::from_millis(10));
  t.at(Instant::from_millis(25));
  t.at(Instant::from_millis(90));
  rt.add(t);
  rt.advance(50_ms);
  EXPECT_EQ(rt.now(), Instant::from_millis(50));
  ASSERT_EQ(t.fired.size(), 2u);
  EXPECT_EQ(t.fired[0], Instant::from_millis(10));
  EXPECT_EQ(t.fired[1], Instant::from_millis(25));
  EXPECT_EQ(rt.next_event(), Instant::from_millis(90));
}

TEST(FakeRuntime, PumpPollsWithoutMovingTheClock) {
  FakeRuntime rt(Instant::from_millis(7));
  Timers t;
  t.at(Instant::from_millis(7));
  t.at(Instant::from_millis(8));
  rt.add(t);
  rt.wake();
  rt.pump();
  EXPECT_EQ(rt.now(), Instant::from_millis(7));
  EXPECT_EQ(t.fired.size(), 1u);
  EXPECT_EQ(rt.wakes(), 1u);
}

TEST(FakeRuntimeDeathTest, LivelockAbortsWithAMessage) {
  EXPECT_DEATH(
      {
        FakeRuntime rt;
        Spinner s;
        rt.add(s);
        rt.run_until([] { return false; }, Instant::from_millis(1));
      },
      "livelock");
}

TEST(FakeRuntime, PingBetweenTwoStacksOverADelayedLink) {
  LinkConfig lc;
  lc.a_to_b.delay = 20_ms;
  lc.b_to_a.delay = 20_ms;
  testing::Pair p(lc);
  FakeRuntime rt(p.now);
  PollableRef<Stack> a(p.a), b(p.b);
  Link::Schedule link(p.link);
  rt.add(a);
  rt.add(b);
  rt.add(link);

  const Instant start = rt.now();
  ASSERT_TRUE(p.a.send_echo_request(rt.now(), IpAddr(testing::kUs4), 77, 1, testing::pattern(56)));
  rt.wake();
  std::optional<EchoReply> reply;
  auto r = rt.run_until(
      [&] {
        if (!reply) reply = p.a.pop_echo_reply();
        return reply.has_value();
      },
      start + 1_s);
  ASSERT_EQ(r, RunResult::kReady);
  EXPECT_EQ(reply->seq, 1);
  EXPECT_EQ(reply->payload, testing::pattern(56));
  // One round trip over the link: exactly 2 x 20ms of virtual time, no sleeping.
  EXPECT_EQ(rt.now() - start, 40_ms);

  // No reply to an address nobody has: times out at the deadline.
  ASSERT_TRUE(
      p.a.send_echo_request(rt.now(), IpAddr(testing::ip4("198.18.0.99")), 77, 2, ByteVec{}));
  const Instant deadline = rt.now() + 300_ms;
  r = rt.run_until([&] { return p.a.pop_echo_reply().has_value(); }, deadline);
  EXPECT_EQ(r, RunResult::kTimedOut);
  EXPECT_EQ(rt.now(), deadline);
}

}  // namespace
}  // namespace ustack
