// `ustack udp send|listen|echo`: the options of each, and their runners (tools/cmd_udp*.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/device_options.h"
#include "tools/services/udp_cli.h"

namespace ustack::tools {

struct UdpSendOptions {
  DeviceOptions device;
  services::UdpCliOptions udp;
  std::optional<std::int64_t> size;   // generated datagrams of this many bytes, not stdin
  std::optional<std::int64_t> count;  // how many (with --size; default 1)
  double wait_s = 1.0;                // quiet time after the last datagram before exiting
  std::optional<std::int64_t> local_port;
  std::string host;
  std::int64_t port = 0;
};
int run_udp_send(const UdpSendOptions& opts);

struct UdpListenOptions {
  DeviceOptions device;
  services::UdpCliOptions udp;
  std::vector<std::string> joins;
  std::optional<std::int64_t> count;
  bool hex = false;
  std::int64_t port = 0;
};
int run_udp_listen(const UdpListenOptions& opts);

// Error lines of every `ustack udp` subcommand: "ustack udp: WHAT: WHY", exit code `rc`.
int udp_fail(const std::string& what, const std::string& why, int rc = 1);
// "port 0 out of range (1..65535)" (exit 2) or 0 when 1 <= port <= 65535.
int check_port(const char* what, std::int64_t port);

}  // namespace ustack::tools
