// `ustack sandbox`'s options in one struct, for every entry point that runs a sandbox (the
// `sandbox` command, the slirp4netns-compatible one) to fill and hand to run_sandbox().
#pragma once

#include <cstdint>
#include <string>

#include "sandbox/layout.h"
#include "sandbox/tcp_relay.h"

namespace ustack::tools {

struct SandboxOptions {
  std::string netns;
  std::string netns_path;
  int pid = 0;
  std::string tap = "tap0";
  std::string cidr = sandbox::kDefaultCidr;
  std::int64_t mtu = 1500;
  // DNS to the .3 address: --dns-upstream, else the first nameserver of resolv_conf, unless
  // disable_dns.
  std::string dns_upstream;
  std::string resolv_conf = "/etc/resolv.conf";
  bool disable_dns = false;
  bool enable_ipv6 = false;
  std::string ipv6_cidr = sandbox::kDefaultIpv6Cidr;
  double udp_timeout_s = 60;
  // Safety (issue 13 item 3).
  bool allow_host_loopback = false;
  std::uint64_t max_flows = 0;  // TCP + UDP + ping flows; 0: no limit
  std::uint64_t flow_buffer = sandbox::TcpRelay::kDefaultFlowBuffer;
  bool enable_seccomp = false;
  std::string pcap;
  std::uint64_t seed = 1;
};

// Runs the sandbox until SIGINT/SIGTERM; usage errors print and return 2.
int run_sandbox(const SandboxOptions& o);

}  // namespace ustack::tools
