// UDP socket options on the command line (`ustack udp send|listen`), checked, and UDP error
// wording like the C library's strerror (what sockapi's errno for the error would print).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "stack/udp/udp_layer.h"

namespace ustack::services {

struct UdpCliOptions {
  bool broadcast = false;              // SO_BROADCAST
  std::optional<std::int64_t> ttl;     // IP_TTL / IPV6_UNICAST_HOPS and the multicast TTL
  std::optional<std::int64_t> tos;     // IP_TOS / IPV6_TCLASS
  bool df = false;                     // IP_MTU_DISCOVER = IP_PMTUDISC_DO
  std::optional<std::int64_t> rcvbuf;  // SO_RCVBUF
};

// Adds --broadcast --ttl --tos --df (the sender's options).
void add_udp_send_options(CLI::App& app, UdpCliOptions& o);
// Adds --rcvbuf (the receiver's option).
void add_udp_receive_options(CLI::App& app, UdpCliOptions& o);

// The socket options, or an error message naming the bad option.
struct UdpSetupResult {
  std::optional<UdpSocketOptions> options;
  std::string error;
};
UdpSetupResult parse_udp_options(const UdpCliOptions& o);

// "connection refused", "message too long", "permission denied", ...
const char* udp_error_text(UdpError e);

}  // namespace ustack::services
