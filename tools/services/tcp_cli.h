// TCP socket options shared by `ustack serve` and `ustack connect` (setsockopt on the command
// line), error wording like the C library's strerror, and a `netstat -s`-like TCP section.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "stack/base/addr.h"
#include "stack/tcp/tcp_layer.h"

namespace ustack::services {

struct TcpCliOptions {
  std::string keepalive;  // "IDLE[,INTERVAL[,COUNT]]" in seconds
  bool nodelay = false;
  std::optional<std::int64_t> sndbuf;
  std::optional<std::int64_t> rcvbuf;
  std::optional<std::int64_t> syn_retries;
  bool ecn = false;     // --ecn: ask for ECN (tcp_ecn=1)
  bool no_ecn = false;  // --no-ecn: never use it (tcp_ecn=0)
};

// Adds --keepalive --nodelay --sndbuf --rcvbuf --syn-retries --ecn --no-ecn.
void add_tcp_options(CLI::App& app, TcpCliOptions& o);

struct TcpSetup {
  TcpSocketOptions socket;
  std::optional<unsigned> syn_retries;
  std::optional<TcpEcnMode> ecn;  // unset: the default, accept when asked (tcp_ecn=2)
};
// The checked options, or an error message naming the bad option.
struct TcpSetupResult {
  std::optional<TcpSetup> setup;
  std::string error;
};
TcpSetupResult parse_tcp_options(const TcpCliOptions& o);
// The layer-wide part of the options (--syn-retries, --ecn) as a TcpLayerConfig (seed left
// default).
TcpLayerConfig tcp_layer_config(const TcpSetup& s);

// "connection refused", "connection reset by peer", ... (what strerror says for the errno
// sockapi maps the error to).
const char* tcp_error_text(TcpError e);

// "198.18.0.1:80", "[fd00:1::1]:80".
std::string endpoint_text(const IpAddr& a, std::uint16_t port);

// "Tcp:" and indented "N name" lines, zero counters left out (the format of Counters).
std::string tcp_counters_text(const TcpLayerCounters& c, std::size_t sockets);

}  // namespace ustack::services
