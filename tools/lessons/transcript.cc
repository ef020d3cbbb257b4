#include "tools/lessons/transcript.h"

#include "tools/events/event_json.h"
#include "tools/events/ladder.h"

namespace ustack::lessons {

namespace {

constexpr std::size_t kWidth = 100;

const char* paint(bool color, const char* code) { return color ? code : ""; }

}  // namespace

std::string wrap(const std::string& text, const std::string& first, const std::string& indent,
                 std::size_t width) {
  std::string out, line = first;
  std::size_t start = 0;
  bool at_start = true;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!at_start && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = indent;
      at_start = true;
    }
    if (!at_start) line += ' ';
    at_start = false;
    line += word;
    start = end + 1;
  }
  if (!at_start) out += line + "\n";
  return out;
}

std::string transcript(const Lesson& lesson, const LessonRun& run, std::uint64_t seed, bool color) {
  const char* bold = paint(color, "\033[1m");
  const char* note = paint(color, "\033[36m");
  const char* reset = paint(color, "\033[0m");
  std::string out = std::string(bold) + "ustack lesson " + std::string(lesson.name) + " (seed " +
                    std::to_string(seed) + "): " + std::string(lesson.summary) + reset + "\n";
  out += wrap(
      "The client 198.18.0.1 and the server 198.18.0.2 are two ustack stacks joined by an "
      "in-memory link, 10 ms each way, in virtual time from 0. The ladder is the client's: "
      "local (the client) on the left, remote (the server) on the right, sequence numbers "
      "relative to each side's ISN, cwnd/ssthresh beside each segment the client sends. "
      "The numbers on the left are event numbers: `ustack explain EVENTS --segment N` on the "
      "file --events writes tells why that segment was sent. A state change an application call "
      "causes (close() entering FIN_WAIT_1) shows the time the connection last saw, as in "
      "every events file.",
      "", "", kWidth);
  events::LadderOptions lo;
  lo.color = color;
  events::Ladder ladder(lo);
  ladder.feed(events::header_json("lesson").dump());
  out += "\n" + ladder.heading();
  std::size_t next_note = 0;
  auto notes_before = [&](std::uint64_t number) {
    while (next_note < run.notes.size() && run.notes[next_note].before <= number) {
      out += std::string("\n") + note + wrap(run.notes[next_note].text, "  | ", "  | ", kWidth) +
             reset + "\n";
      ++next_note;
    }
  };
  for (std::size_t i = 0; i < run.lines.size(); ++i) {
    std::string rows = ladder.feed(run.lines[i]);
    if (rows.empty()) continue;
    notes_before(i + 1);
    out += rows;
  }
  notes_before(run.lines.size() + 1);
  out += std::string("\n") + bold + "What to notice" + reset + "\n";
  for (const std::string& s : run.summary) out += wrap(s, "  - ", "    ", kWidth);
  return out;
}

}  // namespace ustack::lessons
