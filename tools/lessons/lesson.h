// `ustack lesson NAME`: a scripted lesson about TCP, run in virtual time on two in-memory
// stacks (lab.h). A lesson sets up the lab, runs its script — user calls, time passing, a
// scripted impairment — says between the steps what happens and why (with the RFC section),
// checks that its teaching point really holds (so a stack change that breaks the lesson fails
// with the reason, not only a golden diff), and ends with what to notice.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tools/lessons/lab.h"

namespace ustack::lessons {

struct Lesson {
  std::string_view name;     // "fast-retransmit"
  std::string_view summary;  // one line, for --list and the transcript's first line
  // Adjusts the lab before it is built (the sockets' defaults of each side); may be null.
  void (*configure)(LabOptions&) = nullptr;
  void (*run)(Lab&) = nullptr;
};

struct LessonRun {
  std::vector<std::string> lines;  // the client's events (docs/events.md), no header
  std::vector<Note> notes;
  std::vector<std::string> summary;
};

// Runs `lesson` with `seed`, writing the client's packets to `pcap` when not empty. Throws
// LessonFailure when the lesson's point does not hold, tun::PcapError when the capture cannot
// be written.
LessonRun run_lesson(const Lesson& lesson, std::uint64_t seed, const std::string& pcap = "");

// The events file of a run: the format's header (tool "lesson") and one line per event.
std::string events_text(const LessonRun& run);

// --- For the lessons' checks: the client's events -------------------------------------------
using Event = nlohmann::ordered_json;
// The events named `event` ("segment_sent", "retransmit", ...) for which `pred` holds.
std::vector<const Event*> select(const Lab& lab, std::string_view event,
                                 const std::function<bool(const Event&)>& pred = {});
// An event's time in ms (virtual time from 0).
double ms(const Event& e);

}  // namespace ustack::lessons
