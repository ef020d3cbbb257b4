// `ustack slirp4netns`: slirp4netns's command line (slirp4netns.1, main.c of slirp4netns 1.2)
// as rootlesskit and Podman pass it, mapped onto `ustack sandbox`'s options.
//
//   slirp4netns [OPTION]... PID|PATH TAPNAME
//
// PID (the default --netns-type=pid) is the target process: its namespace /proc/PID/ns/net;
// with --netns-type=path the argument is the namespace file itself. Defaults are slirp4netns's:
// 10.0.2.0/24 (gateway .2, DNS .3, the namespace .100), MTU 1500, a TAP device, nothing
// configured in the namespace unless --configure. README "ustack slirp4netns" has the table of
// options honoured and accepted-and-ignored.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/sandbox_options.h"

namespace ustack::tools {

// As typed.
struct Slirp4netnsArgs {
  bool configure = false;                // -c, --configure
  std::int64_t mtu = 1500;               // -m, --mtu
  std::string cidr;                      // --cidr (default 10.0.2.0/24)
  bool disable_host_loopback = false;    // --disable-host-loopback
  bool enable_ipv6 = false;              // -6, --enable-ipv6
  std::string api_socket;                // -a, --api-socket
  std::optional<std::int64_t> ready_fd;  // -r, --ready-fd
  std::optional<std::int64_t> exit_fd;   // -e, --exit-fd
  std::string netns_type;                // --netns-type pid|path (tapfd is refused)
  std::string userns_path;               // --userns-path
  bool enable_sandbox = false;           // --enable-sandbox
  bool enable_seccomp = false;           // --enable-seccomp
  std::string macaddress;                // --macaddress (with -c only)
  bool disable_dns = false;              // --disable-dns
  std::string outbound_addr;             // --outbound-addr
  std::string outbound_addr6;            // --outbound-addr6
  std::vector<std::string> args;         // PID|PATH TAPNAME
  bool version = false;                  // -v, --version
};

// What `slirp4netns --version` prints, in its runc-like, machine-read shape ("slirp4netns version
// X" first; callers such as podman info show it, slirp4netns's own tests read
// SLIRP_CONFIG_VERSION_MAX, 3 being the level that has --disable-dns).
std::string slirp4netns_version_text();

void add_slirp4netns_options(CLI::App& app, Slirp4netnsArgs& a);

// What the mapping needs from the system, so tests can stand in for it.
struct Slirp4netnsEnv {
  std::string resolv_conf;  // text of the host's /etc/resolv.conf: DNS at .3 goes to its first
                            // nameserver (as libslirp forwards to the host's resolver)
  std::string cwd;          // a relative --netns-type=path is taken from here
  std::function<bool(const std::string&)> path_exists;  // access(F_OK)
};

struct Slirp4netnsMapping {
  std::optional<SandboxOptions> options;
  // One line each for stderr: options accepted and ignored, "too many arguments".
  std::vector<std::string> notes;
  std::string error;  // a usage error (one line, without "ustack slirp4netns: ")
};
Slirp4netnsMapping map_slirp4netns(const Slirp4netnsArgs& a, const Slirp4netnsEnv& env);

}  // namespace ustack::tools
