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
// Exit code 0 when every run passed, 1 when one failed (or the kernel could not be set up:
// it needs root and /dev/net/tun), 2 when the script cannot be read or uses something the
// runner does not support (one line: "FILE:LINE: unsupported: <construct>").
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "pcap_tests/scenario/kernel_sut.h"
#include "pcap_tests/scenario/runner.h"
#include "pcap_tests/scenario/script.h"
#include "pcap_tests/scenario/ustack_sut.h"
#include "stack/wire/print.h"
#include "tools/subcommand.h"

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
};

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The system under test named `which`, or nullptr after printing why it cannot be had.
std::unique_ptr<SystemUnderTest> make_sut(const std::string& which) {
  if (which == "ustack") return std::make_unique<scenario::UstackSut>();
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
  scenario::RunOptions run_opts;
  run_opts.keep_going = o.keep_going;
  std::vector<std::string> targets = o.against == "both"
                                         ? std::vector<std::string>{"ustack", "kernel"}
                                         : std::vector<std::string>{o.against};
  int rc = 0;
  for (const std::string& which : targets) {
    std::unique_ptr<SystemUnderTest> sut = make_sut(which);
    if (!sut) {
      rc = 1;
      continue;
    }
    RunResult r = scenario::run_script(*parsed.script, *sut, run_opts);
    if (r.passed) {
      std::printf("PASS %s %s (%zu events, %zu packets)\n", which.c_str(), o.file.c_str(),
                  parsed.script->events.size(), r.capture.size());
    } else {
      std::printf("FAIL %s %s\n", which.c_str(), o.file.c_str());
      rc = 1;
    }
    for (const std::string& m : r.messages) std::printf("  %s\n", m.c_str());
    if (o.show_packets) print_capture(r.capture);
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
      return [opts] { return run_scenario(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
