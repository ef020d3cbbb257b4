// `ustack up`: bring a stack up on a TUN or TAP device and run it until SIGINT/SIGTERM.
//
//   ustack up --tun ust0 --netns demo --addr 198.18.0.2/24 --addr fd00:1::2/64
//             --peer 198.18.0.1/24 --peer fd00:1::1/64
//   ip netns exec demo ping 198.18.0.2
//
// Prints one "ready" line once the stack runs, its counters on SIGUSR1 and at exit.
#include <cstdio>
#include <memory>

#include "stack/stack.h"
#include "tools/device_options.h"
#include "tools/subcommand.h"

namespace ustack::tools {
namespace {

int run_up(const DeviceOptions& opts) {
  return run_with_device("up", opts, [](DeviceSession& s) {
    std::printf("ustack up: ready: %s\n", s.describe().c_str());
    return s.run_until_stopped("up");
  });
}

Subcommand up("up", "run the stack on a TUN/TAP device until SIGINT/SIGTERM", [](CLI::App& app) {
  auto opts = std::make_shared<DeviceOptions>();
  add_device_options(app, *opts);
  return [opts] { return run_up(*opts); };
});

}  // namespace
}  // namespace ustack::tools
