// `ustack udp send|listen|echo`: netcat-like datagrams on the stack (`nc -u`).
//
//   ustack udp listen --tun ust0 --netns demo --addr 198.18.0.2/24 --peer 198.18.0.1/24 9000
//   ustack udp send --tun ust1 ... 198.18.1.1 9000 <lines      (each line one datagram)
//   ustack udp echo --tun ust0 ... 7                          (RFC 862 over UDP)
//
// send is in cmd_udp_send.cc, listen in cmd_udp_listen.cc; echo and the command line here.
#include "tools/cmd_udp.h"

#include <cstdio>
#include <memory>

#include "stack/stack.h"
#include "tools/port_name.h"
#include "tools/services/tcp_cli.h"
#include "tools/services/udp_echo.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"

namespace ustack::tools {

int udp_fail(const std::string& what, const std::string& why, int rc) {
  std::fprintf(stderr, "ustack udp: %s: %s\n", what.c_str(), why.c_str());
  return rc;
}

int check_port(const char* what, std::int64_t port) {
  if (port >= 1 && port <= 65535) return 0;
  return usage_error(std::string(what) + " " + std::to_string(port) + " out of range (1..65535)");
}

namespace {

struct UdpEchoOptions {
  DeviceOptions device;
  std::int64_t port = 0;
};

int run_udp_echo(const UdpEchoOptions& opts) {
  if (int rc = check_port("port", opts.port)) return rc;
  const auto port = static_cast<std::uint16_t>(opts.port);
  // With --queues N its socket lives on shard 0 alone: a datagram the kernel steers to another
  // queue is handed to shard 0 (tun/shard_router.h, the port is held there).
  return run_with_device("udp", opts.device, [&](DeviceSession& s) {
    services::UdpEchoService echo(s.udp(), s.stack());
    for (IpVersion family : s.families()) {
      if (auto e = echo.listen(family, port)) {
        return udp_fail("port " + std::to_string(port), services::udp_error_text(*e));
      }
    }
    ScopedPoller poller(s.stack(), echo);
    std::printf("ustack udp echo: ready: %s; echoing udp port %u\n", s.describe().c_str(),
                unsigned{port});
    return s.run_until_stopped("udp echo", [&echo] { return echo.counters_text(); });
  });
}

void add_send(CLI::App& app, UdpSendOptions& o) {
  add_device_options(app, o.device);
  add_resolver_options(app, o.device);
  services::add_udp_send_options(app, o.udp);
  app.add_option("--size", o.size,
                 "send generated datagrams of N bytes instead of stdin's lines (the body of "
                 "`serve http` /bytes/N, datagram k carrying bytes [k*N, (k+1)*N))")
      ->type_name("N");
  app.add_option("--count", o.count, "with --size: how many datagrams (default 1)")->type_name("K");
  app.add_option("-w,--wait", o.wait_s,
                 "after the last datagram, wait this long for replies, from the last one "
                 "(default 1)")
      ->type_name("SECONDS");
  app.add_option("-p,--local-port", o.local_port, "send from this port (default: ephemeral)")
      ->transform(port_or_service("udp"))
      ->type_name("PORT");
  app.add_option("host", o.host,
                 "IPv4 or IPv6 address (unicast, broadcast or group), or a name (looked up "
                 "with ustack's resolver, the first address in RFC 6724 order)")
      ->required();
  app.add_option("port", o.port, "UDP port")->required()->transform(port_or_service("udp"));
  app.footer(
      "Each line of stdin (newline included) is one datagram; replies are written to stdout.\n"
      "A unicast destination is connected, so an ICMP port unreachable ends the command with\n"
      "'connection refused'. Errors are one line on stderr and exit code 1.\n\nExample:\n"
      "  echo hello | ustack udp send --tun ust1 --netns demo --addr 198.18.1.2/24 "
      "--peer 198.18.1.1/24 198.18.1.1 9000");
}

void add_listen(CLI::App& app, UdpListenOptions& o) {
  add_device_options(app, o.device);
  services::add_udp_receive_options(app, o.udp);
  app.add_option("--join", o.joins,
                 "join this multicast group (IGMP/MLD report), repeatable: 239.1.2.3, ff15::1:2")
      ->type_name("GROUP")
      ->allow_extra_args(false);
  app.add_option("--count", o.count, "exit after N datagrams")->type_name("N");
  app.add_flag("--hex", o.hex, "print every payload in hex (default: text if printable)");
  app.add_option("port", o.port, "UDP port, on every address (both families)")
      ->required()
      ->transform(port_or_service("udp"));
  app.footer(
      "Prints a 'ready' line once bound, then per datagram\n"
      "  from 198.18.0.1:40000, 6 bytes: hello\n"
      "(the payload as text if printable, a final newline dropped; in hex with --hex; the first\n"
      "1024 bytes). Counters on SIGUSR1 and at exit (SIGINT/SIGTERM, or --count reached).");
}

Subcommand udp_cmd("udp", "netcat-like UDP on the stack: send, listen, echo", [](CLI::App& app) {
  app.require_subcommand(1);
  auto send = std::make_shared<UdpSendOptions>();
  auto listen = std::make_shared<UdpListenOptions>();
  auto echo = std::make_shared<UdpEchoOptions>();
  CLI::App* send_app =
      app.add_subcommand("send", "send stdin's lines (or generated datagrams) to HOST PORT");
  add_send(*send_app, *send);
  CLI::App* listen_app =
      app.add_subcommand("listen", "print the datagrams received on PORT (and groups)");
  add_listen(*listen_app, *listen);
  CLI::App* echo_app = app.add_subcommand("echo", "echo every datagram on PORT (RFC 862)");
  add_device_options(*echo_app, echo->device);
  echo_app->add_option("port", echo->port, "UDP port")
      ->required()
      ->transform(port_or_service("udp"));
  return [=] {
    if (send_app->parsed()) return run_udp_send(*send);
    if (listen_app->parsed()) return run_udp_listen(*listen);
    return run_udp_echo(*echo);
  };
});

}  // namespace
}  // namespace ustack::tools
