// `ustack replay FILE`: plays one side of a captured TCP or UDP conversation to ustack and
// shows, segment by segment, where ustack answers differently from the kernel that was
// recorded (pcap_tests/replay/: engine, comparison, allow list).
//
// Exit status: 0 when ustack's answers match the recording (or differ only as the allow list
// explains), 1 on an unexplained difference, 2 on bad input (not a capture, no such flow,
// nothing to replay) with one line saying what.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pcap_tests/replay/builtin_allow_list.h"
#include "pcap_tests/replay/compare.h"
#include "pcap_tests/replay/conversation.h"
#include "pcap_tests/replay/engine.h"
#include "tools/events/event_json.h"
#include "tools/pcap_options.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"
#include "tun/pcap_comments.h"
#include "tun/pcap_file.h"

namespace ustack::tools {
namespace {

using namespace replay;

struct ReplayCliOptions {
  std::string file;
  std::string side;  // "", "client", "server"
  int flow = 0;      // 0: the only one
  bool list = false;
  std::string pcap_out;
  std::optional<std::int64_t> snaplen, pcap_size;  // of --pcap
  std::string json_out;
  std::vector<std::string> allow_files;
  bool strict = false;  // ignore the built-in allow list
  std::uint64_t seed = 1;
  std::string color = "auto";
  std::string events;  // --events FILE
};

int fail_input(const std::string& msg) {
  std::fprintf(stderr, "ustack replay: %s\n", msg.c_str());
  return 2;
}

int run_replay(const ReplayCliOptions& o) {
  PcapLimits pcap_limits;
  if (std::string e =
          parse_pcap_limits("--pcap", !o.pcap_out.empty(), o.snaplen, o.pcap_size, pcap_limits);
      !e.empty()) {
    return usage_error(e);
  }
  Conversation conv;
  AllowList allow;
  try {
    PacketList packets = read_capture(o.file);
    if (o.list) {
      std::vector<Flow> flows = list_flows(packets);
      if (flows.empty()) return fail_input(o.file + ": no TCP or UDP flow in the capture");
      for (const Flow& f : flows) std::printf("%s\n", f.to_string().c_str());
      return 0;
    }
    std::optional<Side> side;
    if (o.side == "client") side = Side::kClient;
    if (o.side == "server") side = Side::kServer;
    conv = select_conversation(packets, o.flow ? std::optional(o.flow) : std::nullopt, side);
    if (!o.strict) allow.append(builtin_allow_list());
    for (const std::string& f : o.allow_files) allow.append(AllowList::load(f));
  } catch (const ReplayInputError& e) {
    return fail_input(e.what());
  }

  ReplayOptions ropts;
  ropts.seed = o.seed;
  std::unique_ptr<events::JsonLinesTracer> tracer;
  if (!o.events.empty()) {
    try {
      tracer = std::make_unique<events::JsonLinesTracer>(o.events, "replay");
    } catch (const std::exception& e) {
      return fail_input(e.what());
    }
    ropts.tracer = tracer.get();
  }
  // --pcap OUT.pcapng: each segment ustack sent or received explained from the events
  // (tun/pcap_comments.h).
  tun::TcpSegmentComments comments(Medium::kIp, tracer.get());
  if (tun::capture_format_for(o.pcap_out) == tun::CaptureFormat::kPcapng) {
    ropts.tracer = &comments;
    ropts.comment = [&](Instant now, PacketDirection dir, Bytes packet) {
      return comments.comment(now, dir, packet);
    };
    ropts.arrived = [&](Instant now, Bytes packet) { comments.arrived(now, packet); };
  }
  ReplayRun run = replay::replay(conv, ropts);
  Comparison cmp = compare(conv.packets, run.ustack, allow, run.stop);

  const bool color = o.color == "always" || (o.color == "auto" && isatty(STDOUT_FILENO));
  std::printf("flow %d: %s, ustack plays the %s (%s), the recording's peer is %s\n",
              conv.flow.number, conv.flow.proto == IpProto::kTcp ? "tcp" : "udp",
              to_string(conv.side), conv.host.to_string().c_str(), conv.peer.to_string().c_str());
  for (const std::string& n : run.notes) std::printf("note: %s\n", n.c_str());
  std::fputs(cmp.ladder(color).c_str(), stdout);
  if (cmp.allowed()) {
    std::printf("allowed differences:\n");
    std::vector<const AllowRule*> seen;
    for (const Divergence& d : cmp.divergences) {
      if (!d.allowed || std::find(seen.begin(), seen.end(), d.allowed) != seen.end()) continue;
      seen.push_back(d.allowed);
      std::printf("  %s %s: %s (%s)\n", d.allowed->field.c_str(), d.allowed->segments.c_str(),
                  d.allowed->reason.c_str(), d.allowed->origin.c_str());
    }
  }
  try {
    if (!o.pcap_out.empty()) {
      write_ip_packets(o.pcap_out, run.ustack, pcap_limits, Duration::zero(),
                       "ustack replay of " + o.file);
    }
  } catch (const tun::PcapError& e) {
    return fail_input(e.what());
  }
  if (!o.json_out.empty()) {
    nlohmann::json j = cmp.summary();
    j["capture"] = o.file;
    j["flow"] = conv.flow.number;
    j["side"] = to_string(conv.side);
    j["host"] = conv.host.to_string();
    j["peer"] = conv.peer.to_string();
    j["notes"] = run.notes;
    const std::string text = j.dump(2) + "\n";
    if (o.json_out == "-") {
      std::fputs(text.c_str(), stdout);
    } else {
      std::ofstream f(o.json_out);
      if (!(f << text)) return fail_input("cannot write " + o.json_out);
    }
  }
  return cmp.unexplained() ? 1 : 0;
}

static Subcommand replay_cmd(
    "replay", "play one side of a captured TCP/UDP conversation to ustack and compare",
    [](CLI::App& app) {
      auto o = std::make_shared<ReplayCliOptions>();
      app.add_option("file", o->file, "pcap or pcapng capture")->required();
      app.add_option("--side", o->side, "the side ustack plays (default: server)")
          ->check(CLI::IsMember({"client", "server"}));
      app.add_option("--flow", o->flow, "which flow (see --list); needed when there are several")
          ->check(CLI::PositiveNumber);
      app.add_flag("--list", o->list, "list the capture's TCP and UDP flows and exit");
      app.add_option("--pcap", o->pcap_out, "write what crossed ustack's device (raw IP)")
          ->type_name("FILE");
      add_pcap_limit_options(app, o->snaplen, o->pcap_size, "--pcap");
      app.add_option("--json", o->json_out, "write the machine-readable summary (- for stdout)");
      app.add_option("--events", o->events,
                     "write ustack's events as JSON lines (docs/events.md; - for stdout)")
          ->type_name("FILE");
      app.add_option("--allow", o->allow_files, "an allow-list file of intended differences")
          ->check(CLI::ExistingFile);
      app.add_flag("--strict", o->strict, "do not apply ustack's built-in allow list");
      app.add_option("--seed", o->seed, "ustack's random seed (ISN, ports)");
      app.add_option("--color", o->color, "auto, always or never")
          ->check(CLI::IsMember({"auto", "always", "never"}));
      return [o] { return run_replay(*o); };
    });

}  // namespace
}  // namespace ustack::tools
