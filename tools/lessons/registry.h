// Every lesson `ustack lesson` knows, in teaching order.
#pragma once

#include <string_view>
#include <vector>

#include "tools/lessons/lesson.h"

namespace ustack::lessons {

const std::vector<const Lesson*>& all_lessons();
// The lesson named `name`, or null.
const Lesson* find_lesson(std::string_view name);

// Defined next to their scripts (one file per lesson or a small group).
extern const Lesson kHandshake;
extern const Lesson kSlowStart;
extern const Lesson kFastRetransmit;
extern const Lesson kRtoBackoff;
extern const Lesson kDelayedAckNagle;
extern const Lesson kZeroWindow;
extern const Lesson kClose;
extern const Lesson kSimultaneousOpen;

}  // namespace ustack::lessons
