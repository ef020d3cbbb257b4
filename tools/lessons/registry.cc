#include "tools/lessons/registry.h"

namespace ustack::lessons {

const std::vector<const Lesson*>& all_lessons() {
  static const std::vector<const Lesson*> lessons{&kHandshake,  &kSlowStart,       &kFastRetransmit,
                                                  &kRtoBackoff, &kDelayedAckNagle, &kZeroWindow,
                                                  &kClose,      &kSimultaneousOpen};
  return lessons;
}

const Lesson* find_lesson(std::string_view name) {
  for (const Lesson* l : all_lessons()) {
    if (l->name == name) return l;
  }
  return nullptr;
}

}  // namespace ustack::lessons
