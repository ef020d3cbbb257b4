// A lesson's run as text: its title, the setting, the client's ladder (tools/events/ladder.h,
// drawn from the run's events, so its numbers are the events file's and `ustack explain
// --segment N` takes them) with the lesson's notes between the rows where they were said, and
// what to notice at the end.
#pragma once

#include <cstdint>
#include <string>

#include "tools/lessons/lesson.h"

namespace ustack::lessons {

std::string transcript(const Lesson& lesson, const LessonRun& run, std::uint64_t seed, bool color);

// `text` wrapped at `width` columns, its first line starting with `first`, the others with
// `indent`.
std::string wrap(const std::string& text, const std::string& first, const std::string& indent,
                 std::size_t width);

}  // namespace ustack::lessons
