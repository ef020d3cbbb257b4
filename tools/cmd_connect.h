// `ustack connect` (nc on the stack): its options, shared by the TCP mode (cmd_connect.cc) and
// the UDP mode, -u (cmd_connect_udp.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tools/device_options.h"
#include "tools/services/tcp_cli.h"

namespace ustack::tools {

struct ConnectOptions {
  DeviceOptions device;
  services::TcpCliOptions tcp;
  std::string host;
  std::int64_t port = -1;  // -1: not given
  std::optional<double> wait_s;
  bool verbose = false;
  bool listen = false;                    // -l: accept one connection on PORT instead
  bool udp = false;                       // -u: datagrams (nc -u) instead of a TCP connection
  std::string source;                     // -s ADDR
  std::int64_t source_port = 0;           // -p PORT
  bool zero_io = false;                   // -z: connect (or accept), then close
  std::optional<double> quit_s;           // -q SECONDS after EOF on stdin
  bool nc_shutdown = false;               // -N: accepted; shutting down at EOF is the default
  bool v4_only = false, v6_only = false;  // -4, -6
};

// "ustack connect: WHAT: WHY" on stderr; returns 1.
int connect_fail(const std::string& what, const std::string& why);

// -u: datagrams between stdin/stdout and `remote` PORT (from `local`/-p if given), or with -l
// (`remote` nullopt) between them and the first peer that sends to PORT (on `local` if given).
int udp_connect_and_copy(DeviceSession& s, const ConnectOptions& opts,
                         const std::optional<IpAddr>& remote, const std::optional<IpAddr>& local);

}  // namespace ustack::tools
