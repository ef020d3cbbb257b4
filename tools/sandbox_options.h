// `ustack sandbox`'s options in one struct, for every entry point that runs a sandbox (the
// `sandbox` command; `ustack slirp4netns`, tools/cmd_slirp4netns.cc, which maps slirp4netns's
// command line onto it) to fill and hand to run_sandbox().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/layout.h"
#include "sandbox/tcp_relay.h"
#include "stack/base/addr.h"

namespace ustack::tools {

struct SandboxOptions {
  // The target namespace: exactly one of these.
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
  // Router advertisements on the TAP (sandbox/router_advert.h), for a namespace that takes its
  // IPv6 address by SLAAC: --router-advertisements; always with `ustack slirp4netns -6`.
  bool router_advertisements = false;
  double udp_timeout_s = 60;
  // Safety (issue 13 item 3).
  bool allow_host_loopback = false;  // the gateway address leads to the host's loopback
  std::uint64_t max_flows = 0;       // TCP + UDP + ping flows; 0: no limit
  std::uint64_t flow_buffer = sandbox::TcpRelay::kDefaultFlowBuffer;
  bool enable_seccomp = false;  // the relay under a syscall allow-list
  // Privileges dropped once set up (sandbox/privileges.h): --user USER[:GROUP] becomes that
  // user with no capabilities; --drop-capabilities keeps the uid and drops every capability;
  // --enable-sandbox is slirp4netns's: an empty read-only root (/etc and /run read-only) in a
  // mount namespace of its own and every capability dropped but CAP_NET_BIND_SERVICE (unless
  // one of the other two drops that too).
  std::string user;
  bool drop_capabilities = false;
  bool enable_sandbox = false;
  // --no-offload: the TAP without IFF_VNET_HDR (checksums and TCP segmentation by ustack).
  bool no_offload = false;
  // --ack-coalescing: TcpLayerConfig::coalesce_acks on (one ACK toward the guest per batch of
  // packets read from the TAP), as the device commands have it by default. Off here by
  // default: in A/B runs through the sandbox it slowed RR and host -> ns bulk (README).
  bool ack_coalescing = false;
  // --busy-poll USEC: AsioRuntime::set_busy_poll (0: off).
  std::int64_t busy_poll_us = 0;
  std::string pcap;
  std::uint64_t seed = 1;
  // Configure the namespace's side (lo and the TAP up, guest address, default routes, MAC):
  // always for `ustack sandbox`; for `ustack slirp4netns` only with --configure, as there the
  // caller (rootlesskit) configures the device itself.
  bool configure = true;
  std::optional<MacAddr> guest_mac;  // the TAP's MAC in the namespace (configure only)
  // slirp4netns's readiness protocol: "1" is written to ready_fd (then closed) once the device
  // is configured and the relay runs; the sandbox stops when exit_fd becomes readable or is
  // closed by its writer. -1: not used.
  int ready_fd = -1;
  int exit_fd = -1;
  // Port forwards into the sandbox (sandbox/port_forward.h): --publish
  // [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp] and slirp4netns's JSON API on a UNIX socket.
  std::vector<std::string> publish;
  std::string api_socket;  // "" = none
};

// Brings the sandbox up and runs it until stopped (SIGINT/SIGTERM, or exit_fd); the exit code.
// Checks the options first: a bad one is a usage error (one line, exit 2).
int run_sandbox(const SandboxOptions& o);

}  // namespace ustack::tools
