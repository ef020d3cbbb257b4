// `ustack connect`: a netcat-like TCP client on the stack. Connects to HOST PORT (a name is
// looked up with the session's resolver, the first address in RFC 6724 order), copies stdin
// to the connection and the connection to stdout; at EOF on stdin it shuts down its sending
// side (FIN, like `nc -N`) and keeps reading; it exits 0 when the peer has closed and all
// data is written, 1 with one line on stderr if the connection fails:
//
//   ustack connect --tun ust1 --netns demo --addr 198.18.1.2/24 --peer 198.18.1.1/24
//                  198.18.1.1 8000 <request >response       (one command line)
//   ustack connect: 198.18.1.1:80: connection refused
//
// stdin is read by a helper thread that only reads and hands chunks to the loop thread (it
// never touches the stack); the stack, TCP and stdout are driven from the runtime's thread.
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "tools/device_options.h"
#include "tools/services/tcp_cli.h"
#include "tools/stdin_reader.h"
#include "tools/subcommand.h"
#include "tun/runtime.h"

namespace ustack::tools {
namespace {

struct ConnectOptions {
  DeviceOptions device;
  services::TcpCliOptions tcp;
  std::string host;
  std::int64_t port = 0;
  std::optional<double> wait_s;
  bool verbose = false;
};

int fail(const std::string& what, const std::string& why) {
  std::fprintf(stderr, "ustack connect: %s: %s\n", what.c_str(), why.c_str());
  return 1;
}

// True when no connection is still closing (only TIME_WAIT or nothing is left).
bool all_closed(const TcpLayer& tcp) {
  bool open = false;
  tcp.for_each_socket([&](SocketHandle, bool, const TcpTuple&, TcpState st) {
    if (st != TcpState::kTimeWait && st != TcpState::kClosed) open = true;
  });
  return !open;
}

int connect_and_copy(DeviceSession& s, const ConnectOptions& opts, const IpAddr& remote,
                     const services::TcpSetup& tcp_setup) {
  const std::string target = services::endpoint_text(remote, static_cast<std::uint16_t>(opts.port));
  TcpLayer& tcp = s.tcp();
  Stack& stack = s.stack();
  tun::AsioRuntime& rt = s.runtime();
  std::signal(SIGPIPE, SIG_IGN);

  auto h = tcp.connect(rt.now(), stack, remote, static_cast<std::uint16_t>(opts.port), std::nullopt,
                       0, tcp_setup.socket);
  if (!h.ok()) return fail(target, services::tcp_error_text(h.error()));
  rt.wake();

  // --- Handshake ---
  Instant deadline = opts.wait_s
                         ? rt.now() + Duration::nanos(static_cast<std::int64_t>(*opts.wait_s * 1e9))
                         : Instant::never();
  // An ICMP unreachable during the handshake ends it at once, as it ends nc's on Linux (the
  // kernel aborts a SYN_SENT socket on it); ustack's TCP only notes it (RFC 1122 MUST-56).
  const bool connected = rt.run_until(
                             [&] {
                               return tcp.readiness(*h).connected || tcp.error(*h).has_value() ||
                                      tcp.soft_error(*h).has_value();
                             },
                             deadline) == Runtime::RunResult::kReady;
  if (auto e = tcp.error(*h)) {
    (void)tcp.close(*h);
    return fail(target, services::tcp_error_text(*e));
  }
  if (auto e = tcp.soft_error(*h); e && !tcp.readiness(*h).connected) {
    (void)tcp.abort(*h);
    return fail(target, services::tcp_error_text(*e));
  }
  if (!connected) {
    (void)tcp.abort(*h);
    rt.wake();
    rt.run_until([] { return false; }, rt.now() + Duration::millis(20));  // let the RST go
    if (rt.stopped()) return rt.stopped_exit_code();
    return fail(target, "connection timed out");
  }
  if (opts.verbose) {
    auto t = tcp.tuple(*h);
    std::fprintf(stderr, "ustack connect: connected to %s from %s\n", target.c_str(),
                 t.ok() ? services::endpoint_text(t->local, t->local_port).c_str() : "?");
  }

  // --- Copying ---
  boost::asio::io_context& io = rt.io_context();
  StdinReader in([&io, &rt] { boost::asio::post(io, [&rt] { rt.wake(); }); });
  ByteVec to_send;  // from stdin, not yet accepted by TCP
  std::size_t sent = 0;
  bool stdin_done = false, shut = false, peer_done = false, stdout_broken = false;
  std::optional<TcpError> error;
  ByteVec buf(256 * 1024);
  rt.on_iteration([&](Instant) {
    if (peer_done || error) return;
    for (;;) {
      auto r = tcp.recv(*h, buf);
      if (!r.ok()) {
        if (r.error() != TcpError::kWouldBlock) error = r.error();
        break;
      }
      if (*r == 0) {
        peer_done = true;
        break;
      }
      if (!write_all(STDOUT_FILENO, buf.data(), *r)) {
        stdout_broken = true;
        break;
      }
    }
    if (peer_done || error || stdout_broken) return;
    if (sent == to_send.size()) {
      to_send.clear();
      sent = 0;
    }
    if (!stdin_done) stdin_done = in.take(to_send);
    while (sent < to_send.size()) {
      auto w = tcp.send(*h, Bytes(to_send).subspan(sent));
      if (!w.ok()) {
        if (w.error() != TcpError::kWouldBlock) error = w.error();
        break;
      }
      sent += *w;
    }
    if (stdin_done && sent == to_send.size() && !shut && !error) {
      (void)tcp.shutdown(*h);
      shut = true;
    }
  });
  rt.wake();
  rt.run_until([&] { return peer_done || error.has_value() || stdout_broken; }, Instant::never());
  if (!error) error = tcp.error(*h);
  if (error) {
    (void)tcp.close(*h);
    return fail(target, services::tcp_error_text(*error));
  }
  if (rt.stopped()) {
    (void)tcp.abort(*h);
    return rt.stopped_exit_code();
  }
  // Graceful close; wait (briefly) for the FIN exchange so the peer is not left half-open.
  (void)tcp.close(*h);
  rt.wake();
  rt.run_until([&] { return all_closed(tcp); }, rt.now() + Duration::seconds(2));
  if (stdout_broken) return fail("stdout", std::strerror(errno));
  if (int e = in.error()) return fail("stdin", std::strerror(e));
  return 0;
}

int run_connect(const ConnectOptions& opts) {
  if (opts.port < 1 || opts.port > 65535) {
    std::fprintf(stderr, "ustack connect: port %lld out of range (1..65535)\n",
                 static_cast<long long>(opts.port));
    return 2;
  }
  if (opts.wait_s && !(*opts.wait_s > 0 && *opts.wait_s < 1e6)) {
    std::fprintf(stderr, "ustack connect: -w %g: want seconds > 0\n", *opts.wait_s);
    return 2;
  }
  services::TcpSetupResult tcp = services::parse_tcp_options(opts.tcp);
  if (!tcp.setup) {
    std::fprintf(stderr, "ustack connect: %s\n", tcp.error.c_str());
    return 2;
  }
  TransportConfig transports;
  transports.tcp = services::tcp_layer_config(*tcp.setup);
  return run_with_device(
      "connect", opts.device, transports,
      [&](DeviceSession& s) {
        DeviceSession::HostAddress remote = s.lookup_host(opts.host);
        if (!remote.addr) return fail(opts.host, remote.error);
        return connect_and_copy(s, opts, *remote.addr, *tcp.setup);
      },
      stderr);
}

Subcommand connect_cmd(
    "connect", "netcat-like TCP client on the stack: stdin to HOST PORT, replies to stdout",
    [](CLI::App& app) {
      auto opts = std::make_shared<ConnectOptions>();
      add_device_options(app, opts->device);
      services::add_tcp_options(app, opts->tcp);
      app.add_option("-w,--wait", opts->wait_s, "give up connecting after SECONDS")
          ->type_name("SECONDS");
      app.add_flag("-v,--verbose", opts->verbose, "say when connected, from which address");
      app.add_option("host", opts->host,
                     "IPv4 or IPv6 address, or a name (looked up with ustack's resolver: "
                     "--nameserver, --hosts; the first address in RFC 6724 order)")
          ->required();
      app.add_option("port", opts->port, "TCP port")->required();
      app.footer(
          "Example:\n  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ustack connect --tun ust1 --netns "
          "demo "
          "--addr 198.18.1.2/24 --peer 198.18.1.1/24 198.18.1.1 8000");
      return [opts] { return run_connect(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
