// `ustack explain EVENTS --segment N` / `--conn C --seq S`: the cause chain of one segment of an
// events file (docs/events.md; `--events` of every command that runs a stack): why it was sent
// or what it did when it arrived, with the events and RFC sections behind each step
// (tools/events/explain.h). N is the event number `ustack ladder` prints at the start of each
// row; S a relative sequence number as the ladder shows it.
//
// Exit status: 0; 2 on a usage error, on bad input (not an events file, a newer format version,
// a line that is not an event) or a query the file cannot answer, with one line saying what.
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "tools/events/explain.h"
#include "tools/events/ladder.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"

namespace ustack::tools {
namespace {

struct ExplainCliOptions {
  std::string file;
  std::optional<std::uint64_t> segment;
  std::string conn;
  std::optional<std::uint32_t> seq;
};

int run_explain(const ExplainCliOptions& o) {
  if (o.segment && (o.seq || !o.conn.empty())) {
    return usage_error("--segment excludes --conn and --seq");
  }
  if (!o.segment && !o.seq) return usage_error("want --segment N, or --seq S (with --conn C)");
  events::ExplainQuery q;
  q.segment = o.segment;
  q.conn = o.conn;
  q.seq = o.seq;
  const std::string name = o.file == "-" ? "stdin" : o.file;
  try {
    std::string text;
    if (o.file == "-") {
      text = events::explain(std::cin, q);
    } else {
      std::ifstream in(o.file);
      if (!in) {
        std::fprintf(stderr, "ustack explain: cannot read %s\n", o.file.c_str());
        return 2;
      }
      text = events::explain(in, q);
    }
    std::fputs(text.c_str(), stdout);
    return 0;
  } catch (const events::EventsInputError& e) {
    std::fprintf(stderr, "ustack explain: %s: %s\n", name.c_str(), e.what());
  } catch (const events::ExplainQueryError& e) {
    std::fprintf(stderr, "ustack explain: %s: %s\n", name.c_str(), e.what());
  }
  return 2;
}

static Subcommand explain_cmd(
    "explain", "why one segment of an events file (--events) was sent, or what it did",
    [](CLI::App& app) {
      auto o = std::make_shared<ExplainCliOptions>();
      app.add_option("file", o->file, "events file (JSON lines, docs/events.md); - for stdin")
          ->required();
      app.add_option("--segment", o->segment,
                     "the event number of a segment (or drop), as `ustack ladder` prints it");
      app.add_option("--conn", o->conn,
                     "with --seq: the connection, as the events name it (LOCAL:PORT>REMOTE:PORT)");
      app.add_option("--seq", o->seq,
                     "every segment of the connection at this relative sequence number");
      return [o] { return run_explain(*o); };
    });

}  // namespace
}  // namespace ustack::tools
