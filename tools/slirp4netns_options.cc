#include "tools/slirp4netns_options.h"

#include <charconv>

#include "stack/dns/resolver_config.h"

namespace ustack::tools {
namespace {

std::optional<int> positive_int(const std::string& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

// slirp4netns's MAC syntax: six hex bytes separated by ':' ("02:00:5e:10:00:01", "2:0:5e:...").
std::optional<MacAddr> parse_mac(const std::string& s) {
  std::array<std::uint8_t, 6> b{};
  std::size_t pos = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    std::size_t end = s.find(':', pos);
    if ((i < 5) != (end != std::string::npos)) return std::nullopt;
    std::string part = s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v, 16);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() || v > 255) {
      return std::nullopt;
    }
    b[i] = static_cast<std::uint8_t>(v);
    pos = end + 1;
  }
  return MacAddr(b);
}

}  // namespace

void add_slirp4netns_options(CLI::App& app, Slirp4netnsArgs& a) {
  app.add_flag("-c,--configure", a.configure,
               "configure the namespace's side: lo and TAPNAME up, the address .100, the "
               "default route via .2 (rootlesskit configures it itself)");
  app.add_option("-m,--mtu", a.mtu, "MTU (default 1500; ustack takes 1280..65520)");
  app.add_option("--cidr", a.cidr,
                 "the namespace's network (default 10.0.2.0/24): gateway .2, DNS .3, the "
                 "namespace .100");
  app.add_flag("--disable-host-loopback", a.disable_host_loopback,
               "prohibit connecting to the host's 127.0.0.1:* (always so in ustack)");
  app.add_flag("-6,--enable-ipv6", a.enable_ipv6, "IPv6 too: fd00::/64, gateway ::2, DNS ::3");
  app.add_option("-a,--api-socket", a.api_socket, "PATH of the port forwarding API socket");
  app.add_option("-r,--ready-fd", a.ready_fd,
                 "FD to write \"1\" to (then closed) once the network is configured");
  app.add_option("-e,--exit-fd", a.exit_fd, "FD whose closing (or becoming readable) ends us");
  app.add_option("--netns-type", a.netns_type,
                 "what PID|PATH names: pid (default: the process's /proc/PID/ns/net) or path");
  app.add_option("--userns-path", a.userns_path, "user namespace path (must exist; ignored)");
  app.add_flag("--enable-sandbox", a.enable_sandbox,
               "once set up: an empty read-only root with /etc and /run, in a mount namespace "
               "of its own; capabilities but CAP_NET_BIND_SERVICE dropped");
  app.add_flag("--enable-seccomp", a.enable_seccomp, "limit the relay's syscalls");
  app.add_option("--macaddress", a.macaddress, "MAC of TAPNAME in the namespace (needs -c)");
  app.add_flag("--disable-dns", a.disable_dns,
               "no DNS at .3 (otherwise forwarded to the first nameserver of /etc/resolv.conf)");
  app.add_option("--outbound-addr", a.outbound_addr, "accepted and ignored");
  app.add_option("--outbound-addr6", a.outbound_addr6, "accepted and ignored");
  app.add_option("args", a.args, "PID|PATH TAPNAME");
  app.add_flag("-v,--version", a.version, "show slirp4netns's version lines (ustack's) and exit");
}

std::string slirp4netns_version_text() {
  return "slirp4netns version 1.3.2+ustack\n"
         "libslirp: none (ustack's own TCP/IP stack)\n"
         "SLIRP_CONFIG_VERSION_MAX: 3\n";
}

Slirp4netnsMapping map_slirp4netns(const Slirp4netnsArgs& a, const Slirp4netnsEnv& env) {
  Slirp4netnsMapping m;
  auto fail = [&m](std::string what) {
    m.error = std::move(what);
    return m;
  };
  SandboxOptions o;
  o.configure = a.configure;
  o.mtu = a.mtu;
  if (!a.cidr.empty()) o.cidr = a.cidr;
  o.enable_ipv6 = a.enable_ipv6;
  if (a.ready_fd && *a.ready_fd < 0) return fail("--ready-fd must be a non-negative integer");
  if (a.exit_fd && *a.exit_fd < 0) return fail("--exit-fd must be a non-negative integer");
  o.ready_fd = a.ready_fd ? static_cast<int>(*a.ready_fd) : -1;
  o.exit_fd = a.exit_fd ? static_cast<int>(*a.exit_fd) : -1;
  // slirp4netns's default: the gateway (.2) leads to the host's loopback unless
  // --disable-host-loopback (which rootlesskit passes by default). `ustack sandbox` itself
  // defaults to closed (--allow-host-loopback opens it).
  o.allow_host_loopback = !a.disable_host_loopback;
  o.api_socket = a.api_socket;
  o.enable_seccomp = a.enable_seccomp;
  o.disable_dns = a.disable_dns;
  if (!a.macaddress.empty()) {
    // slirp4netns: "--macaddr cannot be specified when --configure or -c is not specified".
    if (!a.configure) return fail("--macaddress needs --configure (-c)");
    o.guest_mac = parse_mac(a.macaddress);
    if (!o.guest_mac) return fail("--macaddress " + a.macaddress + ": not a MAC address");
  }
  if (!a.userns_path.empty() && !env.path_exists(a.userns_path)) {
    return fail("userns path doesn't exist: " + a.userns_path);
  }
  if (a.netns_type == "tapfd") {
    return fail("--netns-type=tapfd is not supported (ustack opens TAPNAME in the namespace)");
  }
  if (!a.netns_type.empty() && a.netns_type != "pid" && a.netns_type != "path") {
    return fail("--netns-type " + a.netns_type + ": want pid or path");
  }
  // PID|PATH TAPNAME: fewer is an error; more is a warning in slirp4netns ("for preventing
  // potential compatibility issue"), so here too.
  if (a.args.size() < 2) return fail("want PID|PATH TAPNAME");
  if (a.args.size() > 2) m.notes.push_back("WARNING: too many arguments");
  const std::string& target = a.args[0];
  if (a.netns_type == "path") {
    std::string path = target[0] == '/' ? target : env.cwd + "/" + target;
    if (!env.path_exists(path)) {
      return fail("existing path expected when --netns-type=path: " + target);
    }
    o.netns_path = path;
  } else {
    std::optional<int> pid = positive_int(target);
    if (!pid) return fail("PID must be a positive integer");
    o.pid = *pid;
  }
  o.tap = a.args[1];
  if (!a.disable_dns) {
    ResolvConfParse rc = parse_resolv_conf(env.resolv_conf);
    if (!rc.config.nameservers.empty()) {
      o.dns_upstream = rc.config.nameservers.front().to_string();
    } else {
      m.notes.push_back("no nameserver in /etc/resolv.conf: DNS at the DNS address is refused");
    }
  }
  auto ignored = [&m](bool given, const std::string& what) {
    if (given) m.notes.push_back(what + " is accepted and ignored");
  };
  ignored(!a.userns_path.empty(), "--userns-path");
  ignored(!a.outbound_addr.empty(), "--outbound-addr");
  ignored(!a.outbound_addr6.empty(), "--outbound-addr6");
  o.enable_sandbox = a.enable_sandbox;
  // libslirp advertises the IPv6 prefix; the namespace takes its address by SLAAC.
  o.router_advertisements = a.enable_ipv6;
  m.options = o;
  return m;
}

}  // namespace ustack::tools
