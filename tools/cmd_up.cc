// `ustack up`: bring a stack up on a TUN or TAP device and run it until SIGINT/SIGTERM.
//
//   ustack up --tun ust0 --netns demo --addr 198.18.0.2/24 --addr fd00:1::2/64
//             --peer 198.18.0.1/24 --peer fd00:1::1/64
//   ip netns exec demo ping 198.18.0.2
//
// Prints one "ready" line once the stack runs, its counters on SIGUSR1 and at exit.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>

#include "stack/stack.h"
#include "tools/device_options.h"
#include "tools/subcommand.h"
#include "tun/runtime.h"

namespace ustack::tools {
namespace {

void print_counters(DeviceSession& s, const char* when) {
  std::printf("ustack up: counters %s:\n%send of counters\n", when, s.counters_text().c_str());
  std::fflush(stdout);
}

int run_up(const DeviceOptions& opts) {
  return run_with_device("up", opts, [](DeviceSession& s) {
    tun::AsioRuntime& rt = s.runtime();
    rt.on_signal(SIGUSR1, [&s] { print_counters(s, "(SIGUSR1)"); });
    std::printf("ustack up: ready: %s\n", s.describe().c_str());
    std::printf("ustack up: SIGUSR1 prints counters, SIGINT/SIGTERM stops (pid %d)\n",
                static_cast<int>(::getpid()));
    std::fflush(stdout);
    int signo = rt.run();
    print_counters(s, signo == SIGTERM ? "at exit (SIGTERM)" : "at exit (SIGINT)");
    return 0;
  });
}

Subcommand up("up", "run the stack on a TUN/TAP device until SIGINT/SIGTERM", [](CLI::App& app) {
  auto opts = std::make_shared<DeviceOptions>();
  add_device_options(app, *opts);
  return [opts] { return run_up(*opts); };
});

}  // namespace
}  // namespace ustack::tools
