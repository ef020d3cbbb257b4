// `ustack sandbox`: ustack as the network of a namespace (issue 13; README "Sandbox").
//
// Creates a TAP device in the target namespace, gives the namespace slirp4netns's layout
// (guest .100, default route via .2, DNS .3; --cidr picks the network) and runs ustack on the
// device as its gateway: a transparent Stack (StackConfig::transparent) whose catch-all TCP
// listener and UDP socket hand every flow to the relays (sandbox/), which carry it through
// host sockets in the namespace this program runs in. Port forwards into it (--publish, and
// slirp4netns's JSON API on --api-socket) reach the guest with the client's own address as
// the source (sandbox/port_forward.h).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "sandbox/api_server.h"
#include "sandbox/host_addresses.h"
#include "sandbox/host_socket.h"
#include "sandbox/host_watch.h"
#include "sandbox/icmp_relay.h"
#include "sandbox/layout.h"
#include "sandbox/port_forward.h"
#include "sandbox/privileges.h"
#include "sandbox/publish_spec.h"
#include "sandbox/router_advert.h"
#include "sandbox/seccomp.h"
#include "sandbox/tcp_relay.h"
#include "sandbox/udp_relay.h"
#include "stack/dns/resolver_config.h"
#include "stack/stack.h"
#include "tools/device_options.h"
#include "tools/sandbox_options.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"
#include "tun/link.h"
#include "tun/netns.h"
#include "tun/runtime.h"
#include "tun/sys_error.h"
#include "tun/unique_fd.h"

namespace ustack::tools {
namespace {

// The --publish specs, checked before anything is set up; "" or the usage error.
std::string parse_publish_specs(const std::vector<std::string>& specs,
                                const sandbox::SandboxLayout& layout,
                                std::vector<sandbox::ForwardSpec>& out) {
  for (const std::string& spec : specs) {
    sandbox::ForwardSpecResult r = sandbox::parse_publish(spec, layout);
    if (!r.spec) return r.error;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const sandbox::ForwardSpec& f = out[i];
      if (f.proto == r.spec->proto && f.host_addr == r.spec->host_addr &&
          f.host_port == r.spec->host_port) {
        return "--publish '" + specs[i] + "' and '" + spec + "': the same host port twice";
      }
    }
    out.push_back(*r.spec);
  }
  return "";
}

// The namespace as a path NetnsScope takes: /run/netns/NAME, the path given, /proc/PID/ns/net.
std::string target_namespace(const SandboxOptions& o, std::string& error) {
  int given = !o.netns.empty() + !o.netns_path.empty() + (o.pid != 0);
  if (given != 1) {
    error = "name the namespace once: --netns NAME, --netns-path PATH or --pid PID";
    return "";
  }
  if (!o.netns.empty()) return tun::netns_path(o.netns);
  if (!o.netns_path.empty()) {
    if (o.netns_path[0] != '/') error = "--netns-path " + o.netns_path + ": not an absolute path";
    return o.netns_path;
  }
  return "/proc/" + std::to_string(o.pid) + "/ns/net";
}

// --ready-fd / --exit-fd checked before anything is set up: open, and open for writing (ready)
// or reading (exit). "" or the usage error. (slirp4netns does not check: a closed exit fd polls
// as POLLNVAL and ends it at once, a bad ready fd is written to in vain.)
std::string check_pipe_fd(int fd, const char* option, bool for_writing) {
  if (fd < 0) return "";
  std::string what = std::string(option) + " " + std::to_string(fd);
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return what + ": not an open file descriptor";
  int mode = flags & O_ACCMODE;
  if (for_writing && mode == O_RDONLY) return what + ": open for reading only, not writing";
  if (!for_writing && mode == O_WRONLY) return what + ": open for writing only, not reading";
  return "";
}

// slirp4netns's readiness: "1" to the fd, then closed (a failed write is not an error there).
void signal_ready(int fd) {
  if (fd < 0) return;
  ssize_t rc;
  do rc = ::write(fd, "1", 1);
  while (rc < 0 && errno == EINTR);
  ::close(fd);
}

// The DNS upstream without --dns-upstream: the first nameserver of the resolv.conf, as
// slirp4netns takes the host's. Empty (DNS refused) if there is none; `note` says why.
std::optional<sandbox::Endpoint> resolv_conf_upstream(const std::string& path, std::string& note) {
  std::ifstream in(path);
  if (!in) {
    note = "cannot read " + path + ": DNS to the sandbox's DNS address is refused";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  ResolvConfParse p = parse_resolv_conf(text.str());
  for (const NameServer& ns : p.config.nameservers) {
    if (!ns.addr.is_unspecified()) return sandbox::Endpoint{ns.addr, ns.port};
  }
  note = path + " names no nameserver: DNS to the sandbox's DNS address is refused";
  return std::nullopt;
}

}  // namespace

int run_sandbox(const SandboxOptions& o) {
  // Usage errors: "ustack sandbox: what (ustack sandbox --help)", exit 2.
  auto fail = [](const std::string& what) { return usage_error(what); };
  std::string error;
  std::string ns = target_namespace(o, error);
  if (!error.empty()) return fail(error);
  sandbox::LayoutResult lr = sandbox::layout_for_cidr(o.cidr);
  if (!lr.layout) return fail(lr.error);
  sandbox::SandboxLayout layout = *lr.layout;
  if (o.enable_ipv6 && !sandbox::add_ipv6_layout(layout, o.ipv6_cidr, error)) return fail(error);
  if (o.router_advertisements && !o.enable_ipv6)
    return fail("--router-advertisements needs --enable-ipv6");
  std::string dns_note;
  if (o.disable_dns) {
    if (!o.dns_upstream.empty()) return fail("--disable-dns and --dns-upstream contradict");
  } else if (!o.dns_upstream.empty()) {
    layout.dns_upstream = sandbox::parse_dns_upstream(o.dns_upstream);
    if (!layout.dns_upstream) return fail("--dns-upstream " + o.dns_upstream + ": not ADDR[:PORT]");
  } else {
    layout.dns_upstream = resolv_conf_upstream(o.resolv_conf, dns_note);
  }
  layout.allow_host_loopback = o.allow_host_loopback;
  if (o.flow_buffer < 4096 || o.flow_buffer > (64u << 20)) {
    return fail("--flow-buffer " + std::to_string(o.flow_buffer) + " out of range (4096..64M)");
  }
  if (std::string e = check_busy_poll(o.busy_poll_us); !e.empty()) return fail(e);
  if (o.mtu < 1280 || o.mtu > 65520)
    return fail("--mtu " + std::to_string(o.mtu) + " out of range (1280..65520)");
  std::vector<sandbox::ForwardSpec> publish;
  if (error = parse_publish_specs(o.publish, layout, publish); !error.empty()) return fail(error);
  if (error = check_pipe_fd(o.ready_fd, "--ready-fd", true); !error.empty()) return fail(error);
  if (error = check_pipe_fd(o.exit_fd, "--exit-fd", false); !error.empty()) return fail(error);
  std::optional<sandbox::UserSpec> user;
  if (!o.user.empty() && !(user = sandbox::parse_user(o.user, error))) return fail(error);

  DeviceSetup setup;
  setup.device.name = o.tap;
  setup.device.mode = tun::TunMode::kTap;
  setup.device.netns = ns;
  setup.device.mtu = static_cast<std::size_t>(o.mtu);
  // The TAP's queue toward ustack: 4096 packets when ustack creates it, as the device commands
  // (the kernel's 500 drops the windows of a few guest streams); rootlesskit's TAP keeps its own.
  setup.device.created_txqueuelen = kCreatedTxQueueLen;
  // IFF_VNET_HDR offloads on the TAP, as `ustack up` has them (README "Offloads").
  setup.device.offload = !o.no_offload;
  // One ACK per batch of segments read from the TAP only when asked (README "Sandbox").
  setup.coalesce_acks = o.ack_coalescing;
  setup.busy_poll = Duration::micros(o.busy_poll_us);
  setup.create_netns = false;
  setup.addrs = {layout.gateway_cidr(), layout.dns_cidr()};
  if (o.configure) setup.peers = {layout.guest_cidr()};
  if (layout.v6) {
    setup.addrs.push_back(IpCidr{layout.v6->gateway, 64});
    setup.addrs.push_back(IpCidr{layout.v6->dns, 64});
    if (o.configure) setup.peers.push_back(IpCidr{layout.v6->guest, 64});
  }
  setup.pcap = o.pcap;
  setup.seed = o.seed;
  setup.transparent = true;
  setup.router_solicits = o.router_advertisements;
  return run_with_setup("sandbox", setup, TransportConfig{}, [&](DeviceSession& s) {
    if (o.configure) {
      // The namespace's side: loopback up, default route via us (the address is a --peer).
      tun::NetnsScope in(ns);
      tun::set_link_up("lo");
      if (o.guest_mac) tun::set_link_mac(o.tap, *o.guest_mac);
      tun::add_route(o.tap, IpCidr{Ipv4Addr(), 0}, layout.gateway);
      if (layout.v6) tun::add_route(o.tap, IpCidr{Ipv6Addr::any(), 0}, layout.v6->gateway);
    }
    // The host's own addresses (refused unless --allow-host-loopback), kept current.
    sandbox::HostAddresses host_addresses(s.runtime(), layout.host_addresses);
    Duration idle = Duration::millis(static_cast<std::int64_t>(o.udp_timeout_s * 1000));
    sandbox::FlowBudget budget(o.max_flows);
    sandbox::TcpRelay tcp(s.tcp(), s.stack(), s.runtime(), layout, budget, o.flow_buffer);
    sandbox::UdpRelay udp(s.udp(), s.stack(), s.runtime(), layout, budget, idle);
    sandbox::IcmpRelay ping(s.stack(), s.runtime(), layout, budget, idle);
    sandbox::PortForwarder forwards(s.tcp(), s.stack(), s.runtime(), layout, tcp, udp, idle);
    for (const sandbox::ForwardSpec& f : publish) {
      if (!forwards.add(f, error)) throw std::runtime_error("--publish: " + error);
    }
    std::unique_ptr<sandbox::RouterAdvertiser> ra;
    if (o.router_advertisements) {
      ra = std::make_unique<sandbox::RouterAdvertiser>(s.stack(), *layout.v6, s.runtime(), o.seed);
    }
    std::unique_ptr<sandbox::ApiServer> api;
    if (!o.api_socket.empty()) {
      api = std::make_unique<sandbox::ApiServer>(s.runtime(), o.api_socket, forwards, layout);
    }
    // --exit-fd: readable (data, or its writer closed it) ends the run, with exit code 0.
    std::unique_ptr<sandbox::HostWatch> exit_watch;
    if (o.exit_fd >= 0) {
      tun::UniqueFd dup(::fcntl(o.exit_fd, F_DUPFD_CLOEXEC, 3));
      if (!dup.valid()) throw tun::SysError(errno, "--exit-fd " + std::to_string(o.exit_fd));
      exit_watch = std::make_unique<sandbox::HostWatch>(s.runtime(), std::move(dup));
      exit_watch->want_read();
    }
    s.runtime().on_iteration([&](Instant) {
      host_addresses.step();
      // Flows that timed out give their --max-flows units back before new flows take them.
      udp.expire_idle();
      ping.expire_idle();
      forwards.expire_idle();
      tcp.step();
      udp.step();
      ping.step();
      forwards.step();
      if (api) api->step();
      if (ra) ra->step();
      if (exit_watch && exit_watch->readable()) s.runtime().stop();
    });
    std::string side = layout.guest_cidr().to_string() + " gateway " + layout.gateway.to_string() +
                       " dns " + layout.dns.to_string();
    if (layout.v6) {
      side += ", " + IpCidr{layout.v6->guest, 64}.to_string() + " gateway " +
              layout.v6->gateway.to_string() + " dns " + layout.v6->dns.to_string();
    }
    if (layout.dns_upstream) side += ", dns forwarded to " + layout.dns_upstream->to_string();
    for (const sandbox::HostfwdTable::Entry& e : forwards.list()) {
      side += ", " + sandbox::Endpoint{e.spec.host_addr, e.spec.host_port}.to_string() + "/" +
              sandbox::to_string(e.spec.proto) + " -> " +
              sandbox::Endpoint{e.spec.guest_addr, e.spec.guest_port}.to_string();
    }
    if (api) side += ", api socket " + o.api_socket;
    if (!dns_note.empty()) std::printf("ustack sandbox: %s\n", dns_note.c_str());
    std::printf("ustack sandbox: %s\nustack sandbox: namespace %s: %s\n", s.describe().c_str(),
                ns.c_str(), side.c_str());
    // Privileges go once everything that needs them (namespaces, the TAP, routes, the
    // forwards' and the API's sockets) is done; then the filter (which forbids the calls).
    if (o.enable_sandbox) {
      if (std::string err = sandbox::enter_empty_root(); !err.empty()) {
        std::fprintf(stderr, "ustack sandbox: --enable-sandbox: %s\n", err.c_str());
        return 1;
      }
    }
    if (user || o.drop_capabilities || o.enable_sandbox) {
      bool keep_bind = o.enable_sandbox && !user && !o.drop_capabilities;
      if (std::string err = sandbox::drop_privileges(user, keep_bind); !err.empty()) {
        std::fprintf(stderr, "ustack sandbox: dropping privileges: %s\n", err.c_str());
        return 1;
      }
      std::printf("ustack sandbox: privileges dropped (uid %u gid %u, capabilities: %s)%s\n",
                  ::getuid(), ::getgid(), keep_bind ? "CAP_NET_BIND_SERVICE" : "none",
                  o.enable_sandbox ? ", root an empty tmpfs" : "");
    }
    if (o.enable_seccomp) {
      // Everything that needs more than the relay loop (namespaces, the TAP, routes,
      // getifaddrs, resolv.conf) is done by now.
      if (std::string err = sandbox::install_seccomp_filter(); !err.empty()) {
        std::fprintf(stderr, "ustack sandbox: --enable-seccomp: %s\n", err.c_str());
        return 1;
      }
      std::printf("ustack sandbox: seccomp filter installed\n");
    }
    std::printf("ustack sandbox: ready\n");
    std::fflush(stdout);
    signal_ready(o.ready_fd);
    int rc = s.run_until_stopped("sandbox", [&] {
      return tcp.counters_text() + udp.counters_text() + ping.counters_text() +
             forwards.counters_text() + (api ? api->counters_text() : "") +
             host_addresses.counters_text() + (ra ? ra->counters_text() : "");
    });
    // Connections still waiting for their host connect are refused, not left to time out.
    tcp.close_listeners();
    s.stack().poll(s.runtime().now());
    return rc;
  });
}

namespace {

Subcommand sandbox_cmd(
    "sandbox", "be the network of a namespace: its TCP and UDP relayed through host sockets",
    [](CLI::App& app) {
      auto o = std::make_shared<SandboxOptions>();
      app.add_option("--netns", o->netns, "the namespace by name (ip netns)");
      app.add_option("--netns-path", o->netns_path, "the namespace by file (/proc/PID/ns/net)");
      app.add_option("--pid", o->pid, "the namespace of process PID");
      app.add_option("--tap", o->tap, "name of the TAP device made in the namespace")
          ->capture_default_str();
      app.add_option("--cidr", o->cidr,
                     "the namespace's network: gateway .2 (ustack), DNS .3, the namespace .100")
          ->capture_default_str();
      app.add_option("--mtu", o->mtu, "MTU of the TAP device (1280..65520)")->capture_default_str();
      app.add_flag("--enable-ipv6", o->enable_ipv6, "IPv6 too, in --ipv6-cidr");
      app.add_option("--ipv6-cidr", o->ipv6_cidr,
                     "the namespace's IPv6 /64: gateway ::2, DNS ::3, the namespace ::100")
          ->capture_default_str();
      app.add_flag("--router-advertisements", o->router_advertisements,
                   "send router advertisements (the /64, DNS ::3) for a namespace that takes "
                   "its IPv6 address by SLAAC");
      app.add_option("--dns-upstream", o->dns_upstream,
                     "ADDR[:PORT] that DNS to the .3 address is forwarded to (default: the "
                     "first nameserver of --resolv-conf)");
      app.add_option("--resolv-conf", o->resolv_conf,
                     "the file whose first nameserver is the DNS upstream")
          ->capture_default_str();
      app.add_flag("--disable-dns", o->disable_dns, "no DNS forwarder: DNS to .3 is refused");
      app.add_flag("--allow-host-loopback", o->allow_host_loopback,
                   "let the sandbox reach the host: the gateway address leads to its loopback, "
                   "its own addresses are reachable");
      app.add_option("--max-flows", o->max_flows,
                     "at most N TCP, UDP and ping flows at once (0: no limit); new ones refused")
          ->capture_default_str();
      app.add_option("--flow-buffer", o->flow_buffer,
                     "bytes a TCP flow holds per direction between its two sockets")
          ->capture_default_str();
      app.add_option("--udp-timeout", o->udp_timeout_s, "seconds an idle UDP flow is kept")
          ->capture_default_str();
      app.add_option("--publish", o->publish,
                     "[HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]: forward a host port to the "
                     "namespace's .100, clients seen with their own address; repeatable")
          ->type_name("SPEC")
          ->allow_extra_args(false);
      app.add_option("--api-socket", o->api_socket,
                     "slirp4netns's JSON API on this UNIX socket (add_hostfwd, list_hostfwd, "
                     "remove_hostfwd)")
          ->type_name("PATH");
      app.add_flag("--enable-seccomp", o->enable_seccomp,
                   "after setup, allow only the system calls the relay loop needs (libseccomp)");
      app.add_option("--user", o->user,
                     "after setup, become USER[:GROUP] with no capabilities (forwards to ports "
                     "below 1024 added at run time then fail)")
          ->type_name("USER[:GROUP]");
      app.add_flag("--drop-capabilities", o->drop_capabilities,
                   "after setup, drop every capability (the uid stays)");
      app.add_flag("--enable-sandbox", o->enable_sandbox,
                   "after setup, as slirp4netns: a mount namespace whose root is an empty "
                   "tmpfs with /etc and /run read-only; capabilities but "
                   "CAP_NET_BIND_SERVICE dropped");
      app.add_flag("--no-offload", o->no_offload,
                   "no IFF_VNET_HDR offloads (checksums, TCP segmentation) on the TAP");
      app.add_flag("--ack-coalescing", o->ack_coalescing,
                   "answer the namespace's TCP segments once per batch of packets read from the "
                   "TAP, as `ustack up` does (off by default here: slower RR in A/B runs)");
      app.add_option("--busy-poll", o->busy_poll_us,
                     "after work, poll the TAP and the host sockets without sleeping for up to "
                     "USEC microseconds before waiting (like net.core.busy_poll: lower latency "
                     "for request/response, a core busy while traffic flows; 0: off)")
          ->type_name("USEC")
          ->capture_default_str();
      app.add_option("--pcap", o->pcap, "record the TAP's packets (ustack's side) to FILE");
      app.add_option("--seed", o->seed, "seed of every random choice")->capture_default_str();
      return [o] { return run_sandbox(*o); };
    });

}  // namespace
}  // namespace ustack::tools
