// `ustack ladder [FILE]`: an events file (docs/events.md; `--events` of every command that
// runs a stack) as a ladder diagram, local | remote (tools/events/ladder.h). Reads standard
// input without FILE or with "-", row by row, so `tail -f EVENTS | ustack ladder` follows a
// running stack.
//
// Exit status: 0, or 2 on bad input (not an events file, a newer format version, a line that
// is not an event) with one line saying what.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "tools/events/ladder.h"
#include "tools/subcommand.h"

namespace ustack::tools {
namespace {

struct LadderCliOptions {
  std::string file = "-";
  std::string conn;
  bool timers = false;
  bool no_numbers = false;
  std::string color = "auto";
};

int run_ladder(const LadderCliOptions& o) {
  events::LadderOptions lo;
  lo.conn = o.conn;
  lo.timers = o.timers;
  lo.numbers = !o.no_numbers;
  lo.color = o.color == "always" || (o.color == "auto" && isatty(STDOUT_FILENO));
  const std::string name = o.file == "-" ? "stdin" : o.file;
  try {
    if (o.file == "-") return events::print_ladder(std::cin, lo);
    std::ifstream in(o.file);
    if (!in) {
      std::fprintf(stderr, "ustack ladder: cannot read %s\n", o.file.c_str());
      return 2;
    }
    return events::print_ladder(in, lo);
  } catch (const events::EventsInputError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "ustack ladder: %s: %s\n", name.c_str(), e.what());
    return 2;
  }
}

static Subcommand ladder_cmd(
    "ladder", "draw an events file (--events) as a ladder diagram, local | remote",
    [](CLI::App& app) {
      auto o = std::make_shared<LadderCliOptions>();
      app.add_option("file", o->file, "events file (JSON lines, docs/events.md); - for stdin");
      app.add_option("--conn", o->conn,
                     "only this connection, as the events name it (LOCAL:PORT>REMOTE:PORT)");
      app.add_flag("--timers", o->timers, "also show timers set and cancelled");
      app.add_flag("--no-numbers", o->no_numbers,
                   "leave out the event numbers (what `ustack explain --segment` takes)");
      app.add_option("--color", o->color, "auto, always or never")
          ->check(CLI::IsMember({"auto", "always", "never"}));
      return [o] { return run_ladder(*o); };
    });

}  // namespace
}  // namespace ustack::tools
