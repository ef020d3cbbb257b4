// `ustack lesson NAME`: a scripted lesson about TCP in virtual time (tools/lessons/): the
// client's ladder with explanations between its rows and what to notice; --events, --report
// and --pcap write the run's events, its HTML report and the client's capture (pcapng with a
// comment on each segment). `ustack lesson --list` names the lessons.
//
// Exit status: 0; 1 when the lesson's teaching point did not hold (the stack changed); 2 on a
// usage error (an unknown lesson, a bad flag) or an output that cannot be written.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "tools/lessons/registry.h"
#include "tools/lessons/transcript.h"
#include "tools/report/report.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"
#include "tun/pcap_file.h"

namespace ustack::tools {
namespace {

struct LessonCliOptions {
  std::string name;
  bool list = false;
  std::uint64_t seed = 1;
  std::string events, report, pcap;
  std::string color = "auto";
};

int fail(const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "ustack lesson: %s\n", what.c_str());
  return 2;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

int run_lesson_cli(const LessonCliOptions& o) {
  if (o.list) {
    if (!o.name.empty()) return usage_error("--list takes no lesson name");
    for (const lessons::Lesson* l : lessons::all_lessons()) {
      std::printf("%-18s %s\n", std::string(l->name).c_str(), std::string(l->summary).c_str());
    }
    return 0;
  }
  if (o.name.empty()) return usage_error("want a lesson NAME, or --list to see them");
  const lessons::Lesson* lesson = lessons::find_lesson(o.name);
  if (lesson == nullptr) {
    return usage_error("no lesson '" + o.name + "' (ustack lesson --list names them)");
  }
  for (const auto& [flag, path] :
       {std::pair{"--events", o.events}, {"--report", o.report}, {"--pcap", o.pcap}}) {
    if (path == "-") {
      return usage_error(std::string(flag) + " wants a file: the lesson itself goes to stdout");
    }
  }
  if (!o.pcap.empty() && !o.pcap.ends_with(".pcap") && !o.pcap.ends_with(".pcapng")) {
    return usage_error("--pcap " + o.pcap + ": want FILE.pcap or FILE.pcapng");
  }
  lessons::LessonRun run;
  try {
    run = lessons::run_lesson(*lesson, o.seed, o.pcap);
  } catch (const lessons::LessonFailure& e) {
    std::fprintf(stderr, "ustack lesson %s: %s\n", o.name.c_str(), e.what());
    return 1;
  } catch (const tun::PcapError& e) {
    return fail(e.what());
  }
  const bool color = o.color == "always" || (o.color == "auto" && isatty(STDOUT_FILENO));
  std::fputs(lessons::transcript(*lesson, run, o.seed, color).c_str(), stdout);
  std::fflush(stdout);
  const std::string events = lessons::events_text(run);
  if (!o.events.empty() && !write_file(o.events, events)) return fail("cannot write " + o.events);
  if (!o.report.empty()) {
    std::istringstream in(events);
    report::ReportOptions ro;
    ro.title = "ustack lesson " + o.name;
    const std::string page = report::render_html(report::report_data(in, ro));
    if (!write_file(o.report, page)) return fail("cannot write " + o.report);
  }
  return 0;
}

static Subcommand lesson_cmd(
    "lesson",
    "a scripted TCP lesson in virtual time: the ladder explained step by step (--list names "
    "them)",
    [](CLI::App& app) {
      auto o = std::make_shared<LessonCliOptions>();
      app.add_option("name", o->name, "the lesson (ustack lesson --list)");
      app.add_flag("--list", o->list, "list the lessons, one a line: name, then what it shows");
      app.add_option("--seed", o->seed,
                     "seeds ISNs, ports and IP IDs; the same seed gives the same output");
      app.add_option("--events", o->events, "write the client's events (docs/events.md)");
      app.add_option("--report", o->report, "write the run as an HTML page (ustack report)");
      app.add_option("--pcap", o->pcap,
                     "write the client's packets, FILE.pcap or FILE.pcapng (with comments)");
      app.add_option("--color", o->color, "auto, always or never")
          ->check(CLI::IsMember({"auto", "always", "never"}));
      return [o] { return run_lesson_cli(*o); };
    });

}  // namespace
}  // namespace ustack::tools
