// The lessons' own checks: every lesson holds with the stack as it is, runs the same twice, and
// a stack configured so that a lesson's teaching point no longer holds makes that lesson fail
// with the point named (so a change in the stack that breaks a lesson fails a test with the
// reason, not only a golden diff).
#include <gtest/gtest.h>

#include "tools/lessons/registry.h"

namespace ustack::lessons {
namespace {

TEST(Lessons, EveryLessonHoldsAndRepeatsExactly) {
  for (const Lesson* l : all_lessons()) {
    SCOPED_TRACE(std::string(l->name));
    LessonRun a = run_lesson(*l, 1);
    LessonRun b = run_lesson(*l, 1);
    EXPECT_FALSE(a.lines.empty());
    EXPECT_FALSE(a.notes.empty());
    EXPECT_FALSE(a.summary.empty());
    EXPECT_EQ(events_text(a), events_text(b));
  }
}

TEST(Lessons, AnotherSeedGivesOtherSequenceNumbersButTheSamePoint) {
  const Lesson* l = find_lesson("fast-retransmit");
  ASSERT_NE(l, nullptr);
  EXPECT_NE(events_text(run_lesson(*l, 1)), events_text(run_lesson(*l, 2)));
}

// Runs `lesson` with `tweak` applied after its own configuration; returns the failure.
std::string failure(const Lesson& lesson, void (*tweak)(LabOptions&)) {
  static void (*own)(LabOptions&) = nullptr;
  static void (*extra)(LabOptions&) = nullptr;
  own = lesson.configure;
  extra = tweak;
  Lesson broken = lesson;
  broken.configure = [](LabOptions& o) {
    if (own) own(o);
    extra(o);
  };
  try {
    run_lesson(broken, 1);
  } catch (const LessonFailure& e) {
    return e.what();
  }
  return "";
}

TEST(Lessons, FastRetransmitFailsWhenRackRepairsTheLoss) {
  EXPECT_EQ(failure(kFastRetransmit, [](LabOptions& o) { o.client_tcp.rack = true; }),
            "the lesson's point does not hold: "
            "the lost segment is resent by fast retransmit, not by rack");
}

TEST(Lessons, RtoBackoffFailsWhenTheTimerCannotDouble) {
  EXPECT_NE(
      failure(kRtoBackoff, [](LabOptions& o) { o.client_tcp.rto_max = Duration::millis(300); })
          .find("the timeout doubles each time"),
      std::string::npos);
}

TEST(Lessons, DelayedAckNagleFailsWithoutADelayedAck) {
  EXPECT_NE(failure(kDelayedAckNagle,
                    [](LabOptions& o) { o.server_tcp.delayed_ack = Duration::millis(1); })
                .find("with Nagle a request stalls for the 40 ms delayed ACK"),
            std::string::npos);
}

TEST(Lessons, ZeroWindowFailsWhenTheWindowNeverCloses) {
  EXPECT_NE(failure(kZeroWindow, [](LabOptions& o) { o.server_tcp.recv_buffer = 256 * 1024; })
                .find("the server advertises a zero window"),
            std::string::npos);
}

TEST(Lessons, HandshakeFailsWithoutTheOptions) {
  EXPECT_NE(failure(kHandshake, [](LabOptions& o) { o.client_tcp.sack = false; })
                .find("the client's SYN carries MSS, window scale, SACK-permitted and timestamps"),
            std::string::npos);
}

}  // namespace
}  // namespace ustack::lessons
