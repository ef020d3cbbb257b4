// `ustack report EVENTS -o report.html [--conn C]`: an events file (docs/events.md) as one
// self-contained HTML page (tools/report/report.h): time-sequence graph, congestion window with
// recovery periods, RTT, state swimlanes and counters, opened from disk with no network.
//
// Exit status: 0, or 2 on bad input (not an events file, a newer format version, a line that
// is not an event, a --conn that names no connection) or an output that cannot be written,
// with one line saying what.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "tools/report/report.h"
#include "tools/subcommand.h"

namespace ustack::tools {
namespace {

struct ReportCliOptions {
  std::string file;
  std::string out;
  std::string conn;
  std::string title;
};

int fail(const std::string& what) {
  std::fprintf(stderr, "ustack report: %s\n", what.c_str());
  return 2;
}

int run_report(const ReportCliOptions& o) {
  report::ReportOptions ro;
  ro.conn = o.conn;
  ro.title = !o.title.empty() ? o.title : o.file == "-" ? "stdin" : o.file;
  const std::string name = o.file == "-" ? "stdin" : o.file;
  nlohmann::ordered_json data;
  try {
    if (o.file == "-") {
      data = report::report_data(std::cin, ro);
    } else {
      std::ifstream in(o.file);
      if (!in) return fail("cannot read " + o.file);
      data = report::report_data(in, ro);
    }
  } catch (const events::EventsInputError& e) {
    return fail(name + ": " + e.what());
  }
  if (!o.conn.empty() && data["conns"].empty()) {
    return fail(name + ": no connection " + o.conn + " (connections are named as in the " +
                "events' conn field, LOCAL:PORT>REMOTE:PORT)");
  }
  const std::string page = report::render_html(data);
  if (o.out == "-") {
    std::cout << page << std::flush;
    return 0;
  }
  std::ofstream out(o.out, std::ios::binary | std::ios::trunc);
  out << page;
  out.close();
  if (!out) return fail("cannot write " + o.out);
  return 0;
}

static Subcommand report_cmd(
    "report",
    "an events file (--events) as one self-contained HTML page: time-sequence graph, cwnd, "
    "RTT, states, counters",
    [](CLI::App& app) {
      auto o = std::make_shared<ReportCliOptions>();
      app.add_option("file", o->file, "events file (JSON lines, docs/events.md); - for stdin")
          ->required();
      app.add_option("-o,--output", o->out, "the HTML page to write; - for stdout")->required();
      app.add_option("--conn", o->conn,
                     "only this connection, as the events name it (LOCAL:PORT>REMOTE:PORT)");
      app.add_option("--title", o->title, "the page's title (default: the events file's name)");
      return [o] { return run_report(*o); };
    });

}  // namespace
}  // namespace ustack::tools
