// `ustack scenario run FILE`: a packetdrill script (pcap_tests/scenario/script.h says which
// subset) played against ustack in virtual time, the Linux kernel on a TUN in a fresh network
// namespace, or both:
//
//   ustack scenario run pcap_tests/scenarios/tcp_passive_open.pkt --against both
//   PASS ustack pcap_tests/scenarios/tcp_passive_open.pkt (19 events, 12 packets)
//   FAIL kernel pcap_tests/scenarios/tcp_passive_open.pkt
//     pcap_tests/scenarios/tcp_passive_open.pkt:9: expected S. 0:0(0) ack 1 win 65535 <...>,
//     got S. 0:0(0) ack 1 win 64240 <...> (differs: win) at 0.100 s
//
// Comparing with Linux: with `--against both`, or `--kernel-capture K.pcap` (a kernel run
// recorded before with `--pcap-dir`), the two captures are compared segment by segment
// (pcap_tests/replay/compare.h) and printed as a ladder; the allow lists are ustack's
// built-in one, FILE's neighbour FILE.allow when it exists, and --allow files. ustack's run
// then plays the whole script (--keep-going): its failed expectations are the differences.
//
// Exit code 0 when every run passed (when comparing: no unexplained difference from Linux),
// 1 when one failed (or the kernel could not be set up: it needs root and /dev/net/tun), 2
// when the script cannot be read or uses something the runner does not support (one line:
// "FILE:LINE: unsupported: <construct>").
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "pcap_tests/replay/builtin_allow_list.h"
#include "pcap_tests/replay/compare.h"
#include "pcap_tests/replay/conversation.h"
#include "pcap_tests/scenario/kernel_sut.h"
#include "pcap_tests/scenario/runner.h"
#include "pcap_tests/scenario/script.h"
#include "pcap_tests/scenario/ustack_sut.h"
#include "stack/wire/print.h"
#include "tools/events/event_json.h"
#include "tools/pcap_options.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"
#include "tun/pcap_comments.h"
#include "tun/pcap_file.h"

namespace ustack::tools {
namespace {

using scenario::RunResult;
using scenario::SystemUnderTest;

struct ScenarioOptions {
  std::string file;
  std::string against = "ustack";
  std::string ip_version;  // "" = the script's (its flags comment), else ipv4/ipv6
  std::optional<std::int64_t> tolerance_usecs;
  bool keep_going = false;
  bool strict_segments = false;
  bool show_packets = false;
  std::string pcap_dir;                            // write DIR/<script>.<sut>.pcap
  bool pcapng = false;                             // ... .pcapng instead
  std::optional<std::int64_t> snaplen, pcap_size;  // of --pcap-dir's files
  std::string kernel_capture;  // compare ustack's run with this recorded kernel run
  std::vector<std::string> allow_files;
  std::string json_out;
  std::string events;  // ustack's run's events (docs/events.md)
};

std::string base_name(const std::string& path) {
  std::string b = path.substr(path.find_last_of('/') + 1);
  if (b.size() > 4 && b.ends_with(".pkt")) b.resize(b.size() - 4);
  return b;
}

void write_capture(const std::string& path, const replay::PacketList& capture,
                   const PcapLimits& limits, const std::string& description) {
  // Scenario time starts at zero; a capture file wants wall-clock-like times, so the runs
  // are placed at the Unix epoch's second 1 (readers show 00:00:01.000000 for the start).
  write_ip_packets(path, capture, limits, Duration::seconds(1), description);
}

replay::PacketList read_kernel_capture(const std::string& path) {
  replay::PacketList packets = replay::read_capture(path);
  if (packets.empty()) return packets;
  // Every packet whose source is the scenario's local address is the kernel's (outbound);
  // times back to scenario time.
  const scenario::ScenarioAddresses a;
  for (replay::TimedPacket& p : packets) {
    p.at = p.at - Duration::seconds(1);
    const bool v6 = p.ip.size() >= 40 && (p.ip[0] >> 4) == 6;
    if (!v6 && p.ip.size() < 20) continue;
    const IpAddr src = v6 ? IpAddr(Ipv6Addr::from_bytes(Bytes(p.ip).subspan(8, 16)))
                          : IpAddr(Ipv4Addr::from_bytes(Bytes(p.ip).subspan(12, 4)));
    p.outbound = src == a.local4 || src == a.local6;
  }
  return packets;
}

// Compares the kernel's run with ustack's; prints the ladder; true when nothing unexplained.
bool compare_runs(const ScenarioOptions& o, const replay::PacketList& kernel,
                  const replay::PacketList& ours, const std::string& right_label) {
  // Two kernel runs must agree with no allowance; ustack gets the allow lists.
  replay::AllowList allow;
  if (right_label == "ustack") allow = replay::builtin_allow_list();
  const std::string neighbour = o.file.substr(0, o.file.size() - 4) + ".allow";
  if (right_label == "ustack" && o.file.ends_with(".pkt") && std::ifstream(neighbour)) {
    allow.append(replay::AllowList::load(neighbour));
  }
  for (const std::string& f : o.allow_files) allow.append(replay::AllowList::load(f));
  replay::Comparison cmp = replay::compare(kernel, ours, allow);
  if (o.against == "both") cmp.left_label = "kernel";
  cmp.right_label = right_label;
  std::printf("%s | %s, %s:\n%s", cmp.left_label.c_str(), right_label.c_str(), o.file.c_str(),
              cmp.ladder(false).c_str());
  if (!o.json_out.empty()) {
    nlohmann::json j = cmp.summary();
    j["scenario"] = o.file;
    std::ofstream(o.json_out) << j.dump(2) << "\n";
  }
  return cmp.unexplained() == 0;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The system under test named `which`, or nullptr after printing why it cannot be had.
// With `comments`, ustack's run traces into it (it forwards to `tracer`) and the capture's sent
// segments are explained (`--pcapng`).
std::unique_ptr<SystemUnderTest> make_sut(const std::string& which, Tracer* tracer,
                                          tun::TcpSegmentComments* comments) {
  if (which == "ustack") {
    scenario::UstackSutOptions o;
    o.tracer = tracer;
    if (comments != nullptr) {
      o.tracer = comments;
      o.comment = [comments](Instant now, PacketDirection dir, Bytes packet) {
        return comments->comment(now, dir, packet);
      };
      o.arrived = [comments](Instant now, Bytes packet) { comments->arrived(now, packet); };
    }
    return std::make_unique<scenario::UstackSut>(o);
  }
  try {
    return scenario::make_kernel_sut(scenario::KernelSutOptions{});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ustack scenario: cannot set up the kernel side: %s\n", e.what());
    return nullptr;
  }
}

void print_capture(const replay::PacketList& capture) {
  for (const replay::TimedPacket& p : capture) {
    std::string line = describe_packet(p.ip, LinkLayer::kRawIp).line;
    std::printf("  %8.3f %s %s\n", (p.at - Instant::zero()).total_seconds(), p.outbound ? ">" : "<",
                line.c_str());
  }
}

int run_scenario(const ScenarioOptions& o) {
  PcapLimits pcap_limits;
  if (std::string e =
          parse_pcap_limits("--pcap-dir", !o.pcap_dir.empty(), o.snaplen, o.pcap_size, pcap_limits);
      !e.empty()) {
    return usage_error(e);
  }
  std::optional<std::string> text = read_file(o.file);
  if (!text) {
    std::fprintf(stderr, "ustack scenario: cannot read %s\n", o.file.c_str());
    return 2;
  }
  scenario::ScriptOptions script_opts;
  if (o.ip_version == "ipv6") script_opts.ip_version = IpVersion::kV6;
  if (o.ip_version == "ipv4") script_opts.ip_version = IpVersion::kV4;
  scenario::ParseOutcome parsed = scenario::parse_script(*text, o.file, script_opts);
  if (!parsed.script) {
    std::fprintf(stderr, "ustack scenario: %s\n", parsed.error.c_str());
    return 2;
  }
  // The command line wins over the script's flags comment, as a flag given twice would.
  if (o.tolerance_usecs) parsed.script->tolerance = Duration::micros(*o.tolerance_usecs);
  if (o.strict_segments) parsed.script->strict_segments = true;
  const bool comparing = o.against == "both" || !o.kernel_capture.empty();
  std::optional<replay::PacketList> recorded, kernel_run, ustack_run;
  if (!o.kernel_capture.empty()) {
    try {
      recorded = read_kernel_capture(o.kernel_capture);
    } catch (const replay::ReplayInputError& e) {
      std::fprintf(stderr, "ustack scenario: %s\n", e.what());
      return 2;
    }
  }
  scenario::RunOptions run_opts;
  run_opts.keep_going = o.keep_going;
  std::vector<std::string> targets = o.against == "both"
                                         ? std::vector<std::string>{"ustack", "kernel"}
                                         : std::vector<std::string>{o.against};
  std::unique_ptr<events::JsonLinesTracer> tracer;
  if (!o.events.empty()) {
    try {
      tracer = std::make_unique<events::JsonLinesTracer>(o.events, "scenario");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ustack scenario: %s\n", e.what());
      return 2;
    }
  }
  int rc = 0;
  for (const std::string& which : targets) {
    tun::TcpSegmentComments comments(Medium::kIp, tracer.get());
    std::unique_ptr<SystemUnderTest> sut =
        make_sut(which, tracer.get(), o.pcapng && !o.pcap_dir.empty() ? &comments : nullptr);
    if (!sut) {
      rc = 1;
      continue;
    }
    // Compared with Linux, ustack plays the whole script: where it fails an expectation
    // written from Linux's behaviour, the comparison shows the difference.
    scenario::RunOptions opts = run_opts;
    if (comparing && which == "ustack") opts.keep_going = true;
    RunResult r = scenario::run_script(*parsed.script, *sut, opts);
    (which == "kernel" ? kernel_run : ustack_run) = r.capture;
    if (!o.pcap_dir.empty()) {
      const std::string path =
          o.pcap_dir + "/" + base_name(o.file) + "." + which + (o.pcapng ? ".pcapng" : ".pcap");
      try {
        // pcapng: the interface described as "ustack scenario SCRIPT (kernel|ustack)".
        write_capture(path, r.capture, pcap_limits,
                      "ustack scenario " + o.file + " (" + std::string(which) + ")");
      } catch (const tun::PcapError& e) {
        std::fprintf(stderr, "ustack scenario: %s\n", e.what());
        return 2;
      }
    }
    if (r.passed) {
      std::printf("PASS %s %s (%zu events, %zu packets)\n", which.c_str(), o.file.c_str(),
                  parsed.script->events.size(), r.capture.size());
    } else {
      std::printf("FAIL %s %s\n", which.c_str(), o.file.c_str());
      // Compared with Linux, ustack's failed expectations are reported by the comparison.
      if (!(comparing && which == "ustack")) rc = 1;
    }
    for (const std::string& m : r.messages) std::printf("  %s\n", m.c_str());
    if (o.show_packets) print_capture(r.capture);
  }
  // Live kernel and ustack: those two. A recorded kernel run and ustack: those. A recorded
  // kernel run and the live kernel: whether the kernel (or the recorder) changed.
  const replay::PacketList* left = kernel_run && ustack_run ? &*kernel_run
                                   : recorded               ? &*recorded
                                                            : nullptr;
  const replay::PacketList* right = ustack_run ? &*ustack_run : kernel_run ? &*kernel_run : nullptr;
  if (comparing && left && right && left != right) {
    try {
      const bool kernels = right == &*kernel_run && !ustack_run;
      if (!compare_runs(o, *left, *right, kernels ? "kernel (now)" : "ustack")) rc = 1;
    } catch (const replay::ReplayInputError& e) {
      std::fprintf(stderr, "ustack scenario: %s\n", e.what());
      return 2;
    }
  }
  std::fflush(stdout);
  return rc;
}

Subcommand scenario_cmd(
    "scenario", "run a packetdrill script against ustack and/or the Linux kernel",
    [](CLI::App& app) {
      app.require_subcommand(1);
      auto opts = std::make_shared<ScenarioOptions>();
      CLI::App* run = app.add_subcommand("run", "play FILE, print PASS/FAIL and what differed");
      run->add_option("file", opts->file, "packetdrill script (.pkt)")->required();
      run->add_option("--against", opts->against,
                      "ustack (virtual time), kernel (TUN in a fresh namespace; root) or both")
          ->check(CLI::IsMember({"ustack", "kernel", "both"}));
      run->add_option("--ip_version", opts->ip_version,
                      "ipv4 or ipv6 (packetdrill's flag; default: the script's, else ipv4)")
          ->check(CLI::IsMember({"ipv4", "ipv6"}));
      run->add_option("--tolerance_usecs", opts->tolerance_usecs,
                      "how far a packet may be from its time (packetdrill's flag; default 4000)")
          ->check(CLI::Range(std::int64_t{0}, std::int64_t{10'000'000}));
      run->add_flag("--strict_segments", opts->strict_segments,
                    "an expected segment must come as one packet (packetdrill's flag; default: "
                    "consecutive MSS-sized pieces of it match too)");
      run->add_flag("--keep-going", opts->keep_going,
                    "report every failing line instead of stopping at the first");
      run->add_flag("--show-packets", opts->show_packets,
                    "print the capture (both directions, times since the start)");
      run->add_option("--pcap-dir", opts->pcap_dir,
                      "write each run's capture to DIR/<script>.<ustack|kernel>.pcap")
          ->type_name("DIR");
      add_pcap_limit_options(*run, opts->snaplen, opts->pcap_size, "--pcap-dir");
      run->add_flag("--pcapng", opts->pcapng,
                    "--pcap-dir writes DIR/<script>.<ustack|kernel>.pcapng (pcapng, the "
                    "interface described, each packet's direction, ustack's segments "
                    "explained)");
      run->add_option("--kernel-capture", opts->kernel_capture,
                      "compare ustack's run with this kernel run (recorded with --pcap-dir)")
          ->check(CLI::ExistingFile);
      run->add_option("--allow", opts->allow_files,
                      "an allow-list file of intended differences from Linux (besides "
                      "the built-in one and FILE.allow)")
          ->check(CLI::ExistingFile);
      run->add_option("--json", opts->json_out, "write the comparison's summary as JSON");
      run->add_option("--events", opts->events,
                      "write ustack's events as JSON lines (docs/events.md; - for stdout)")
          ->type_name("FILE");
      return [opts] { return run_scenario(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
