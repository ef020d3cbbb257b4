#include "tools/lessons/lesson.h"

#include "tools/events/event_json.h"

namespace ustack::lessons {

LessonRun run_lesson(const Lesson& lesson, std::uint64_t seed, const std::string& pcap) {
  LabOptions o;
  o.seed = seed;
  o.pcap = pcap;
  if (lesson.configure) lesson.configure(o);
  Lab lab(o);
  lesson.run(lab);
  lab.finish();
  return {lab.event_lines(), lab.notes(), lab.summary()};
}

std::string events_text(const LessonRun& run) {
  std::string out = events::header_json("lesson").dump() + "\n";
  for (const std::string& l : run.lines) out += l + "\n";
  return out;
}

std::vector<const Event*> select(const Lab& lab, std::string_view event,
                                 const std::function<bool(const Event&)>& pred) {
  std::vector<const Event*> out;
  for (const Event& e : lab.events()) {
    if (e.value("event", "") == event && (!pred || pred(e))) out.push_back(&e);
  }
  return out;
}

double ms(const Event& e) { return static_cast<double>(e["time"].get<std::int64_t>()) / 1e6; }

}  // namespace ustack::lessons
