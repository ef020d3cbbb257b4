// `ustack connect`: a netcat-like TCP client (or, with -l, a one-connection server) on the
// stack. Connects to HOST PORT (a name is looked up with the session's resolver, the first
// address in RFC 6724 order), copies stdin to the connection and the connection to stdout; at
// EOF on stdin it shuts down its sending side (FIN, like `nc -N`) and keeps reading; it exits 0
// when the peer has closed and all data is written, 1 with one line on stderr if the
// connection fails. nc's flags: -l (listen for one connection), -s ADDR / -p PORT (source),
// -z (only connect), -q SECONDS (quit that long after EOF on stdin), -4 / -6, -w, -v, and -u
// (datagrams instead: cmd_connect_udp.cc).
//
//   ustack connect --tun ust1 --netns demo --addr 198.18.1.2/24 --peer 198.18.1.1/24
//                  198.18.1.1 8000 <request >response       (one command line)
//   ustack connect: 198.18.1.1:80: connection refused
//
// stdin is read by a helper thread that only reads and hands chunks to the loop thread (it
// never touches the stack); the stack, TCP and stdout are driven from the runtime's thread.
#include "tools/cmd_connect.h"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "tools/port_name.h"
#include "tools/stdin_reader.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"
#include "tun/runtime.h"

namespace ustack::tools {

int connect_fail(const std::string& what, const std::string& why) {
  std::fprintf(stderr, "ustack connect: %s: %s\n", what.c_str(), why.c_str());
  return 1;
}

namespace {

// True when no connection is still closing (only TIME_WAIT or nothing is left).
bool all_closed(const TcpLayer& tcp) {
  bool open = false;
  tcp.for_each_socket([&](SocketHandle, bool, const TcpTuple&, TcpState st) {
    if (st != TcpState::kTimeWait && st != TcpState::kClosed) open = true;
  });
  return !open;
}

Instant deadline_after(tun::AsioRuntime& rt, std::optional<double> seconds) {
  return seconds ? rt.now() + Duration::nanos(static_cast<std::int64_t>(*seconds * 1e9))
                 : Instant::never();
}

int copy_stream(DeviceSession& s, const ConnectOptions& opts, SocketHandle h,
                const std::string& target);

// -l: listens on PORT (on every family we have an address of, or on -s ADDR) and takes the
// first connection; the others are refused, as nc -l does.
int accept_and_copy(DeviceSession& s, const ConnectOptions& opts,
                    const services::TcpSetup& tcp_setup, const std::optional<IpAddr>& local) {
  TcpLayer& tcp = s.tcp();
  tun::AsioRuntime& rt = s.runtime();
  const auto port = static_cast<std::uint16_t>(opts.port);
  std::vector<SocketHandle> listeners;
  for (IpVersion family : s.families()) {
    if (local && local->version() != family) continue;
    if ((opts.v4_only && family != IpVersion::kV4) || (opts.v6_only && family != IpVersion::kV6)) {
      continue;
    }
    IpAddr any = family == IpVersion::kV4 ? IpAddr(Ipv4Addr()) : IpAddr(Ipv6Addr());
    auto l = tcp.listen(local.value_or(any), port, 1, tcp_setup.socket);
    if (!l.ok())
      return connect_fail("port " + std::to_string(port), services::tcp_error_text(l.error()));
    listeners.push_back(*l);
  }
  if (listeners.empty())
    return connect_fail("-l", "no address of the requested family to listen on");
  if (opts.verbose) std::fprintf(stderr, "ustack connect: listening on port %u\n", port);
  std::optional<SocketHandle> conn;
  rt.run_until(
      [&] {
        for (SocketHandle l : listeners) {
          if (auto a = tcp.accept(l); a.ok()) conn = *a;
          if (conn) return true;
        }
        return false;
      },
      deadline_after(rt, opts.wait_s));
  for (SocketHandle l : listeners) (void)tcp.close(rt.now(), l);
  if (rt.stopped()) return rt.stopped_exit_code();
  if (!conn) return connect_fail("port " + std::to_string(port), "nobody connected within -w");
  auto t = tcp.tuple(*conn);
  std::string peer = t.ok() ? services::endpoint_text(t->remote, t->remote_port) : "?";
  if (opts.verbose) std::fprintf(stderr, "ustack connect: connection from %s\n", peer.c_str());
  return copy_stream(s, opts, *conn, peer);
}

int connect_and_copy(DeviceSession& s, const ConnectOptions& opts, const IpAddr& remote,
                     const services::TcpSetup& tcp_setup, const std::optional<IpAddr>& local) {
  const std::string target = services::endpoint_text(remote, static_cast<std::uint16_t>(opts.port));
  TcpLayer& tcp = s.tcp();
  Stack& stack = s.stack();
  tun::AsioRuntime& rt = s.runtime();

  auto h = tcp.connect(rt.now(), stack, remote, static_cast<std::uint16_t>(opts.port), local,
                       static_cast<std::uint16_t>(opts.source_port), tcp_setup.socket);
  if (!h.ok()) return connect_fail(target, services::tcp_error_text(h.error()));
  rt.wake();

  // --- Handshake ---
  Instant deadline = deadline_after(rt, opts.wait_s);
  // An ICMP unreachable during the handshake ends it at once, as it ends nc's on Linux (the
  // kernel aborts a SYN_SENT socket on it); ustack's TCP only notes it (RFC 1122 MUST-56).
  const bool connected = rt.run_until(
                             [&] {
                               return tcp.readiness(*h).connected || tcp.error(*h).has_value() ||
                                      tcp.soft_error(*h).has_value();
                             },
                             deadline) == Runtime::RunResult::kReady;
  if (auto e = tcp.error(*h)) {
    (void)tcp.close(rt.now(), *h);
    return connect_fail(target, services::tcp_error_text(*e));
  }
  if (auto e = tcp.soft_error(*h); e && !tcp.readiness(*h).connected) {
    (void)tcp.abort(rt.now(), *h);
    return connect_fail(target, services::tcp_error_text(*e));
  }
  if (!connected) {
    (void)tcp.abort(rt.now(), *h);
    rt.wake();
    rt.run_until([] { return false; }, rt.now() + Duration::millis(20));  // let the RST go
    if (rt.stopped()) return rt.stopped_exit_code();
    return connect_fail(target, "connection timed out");
  }
  if (opts.verbose) {
    auto t = tcp.tuple(*h);
    std::fprintf(stderr, "ustack connect: connected to %s from %s\n", target.c_str(),
                 t.ok() ? services::endpoint_text(t->local, t->local_port).c_str() : "?");
  }
  int rc = copy_stream(s, opts, *h, target);
  if (opts.verbose && s.shard_count() > 1) {
    // --queues: how many of the connection's packets the kernel put on another shard's queue.
    std::fprintf(stderr, "ustack connect: %llu packets handed to the connection's shard\n",
                 static_cast<unsigned long long>(s.shard_handoffs()));
  }
  return rc;
}

// Copies stdin to the connection and the connection to stdout until the peer is done (or -q
// after EOF on stdin), then closes gracefully.
int copy_stream(DeviceSession& s, const ConnectOptions& opts, SocketHandle conn,
                const std::string& target) {
  TcpLayer& tcp = s.tcp();
  tun::AsioRuntime& rt = s.runtime();
  if (opts.zero_io) {  // -z: the connection is the answer
    (void)tcp.close(rt.now(), conn);
    rt.wake();
    rt.run_until([&] { return all_closed(tcp); }, rt.now() + Duration::seconds(2));
    return 0;
  }
  boost::asio::io_context& io = rt.io_context();
  StdinReader in([&io, &rt] { boost::asio::post(io, [&rt] { rt.wake(); }); });
  ByteVec to_send;  // from stdin, not yet accepted by TCP
  std::size_t sent = 0;
  bool stdin_done = false, shut = false, peer_done = false, stdout_broken = false;
  Instant quit_at = Instant::never();
  std::optional<TcpError> error;
  ByteVec buf(256 * 1024);
  rt.on_iteration([&](Instant) {
    if (peer_done || error) return;
    for (;;) {
      auto r = tcp.recv(rt.now(), conn, buf);
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
      auto w = tcp.send(rt.now(), conn, Bytes(to_send).subspan(sent));
      if (!w.ok()) {
        if (w.error() != TcpError::kWouldBlock) error = w.error();
        break;
      }
      sent += *w;
    }
    if (stdin_done && sent == to_send.size() && !shut && !error) {
      (void)tcp.shutdown(rt.now(), conn);
      shut = true;
      // -q SECONDS: quit that long after EOF on stdin even if the peer goes on (nc -q).
      if (opts.quit_s && *opts.quit_s >= 0) quit_at = deadline_after(rt, opts.quit_s);
    }
  });
  rt.wake();
  auto done = [&] { return peer_done || error.has_value() || stdout_broken; };
  rt.run_until([&] { return done() || !quit_at.is_never(); }, Instant::never());
  if (!done() && !quit_at.is_never()) rt.run_until(done, quit_at);  // -q: until it expires
  if (!error) error = tcp.error(conn);
  if (error) {
    (void)tcp.close(rt.now(), conn);
    return connect_fail(target, services::tcp_error_text(*error));
  }
  if (rt.stopped()) {
    (void)tcp.abort(rt.now(), conn);
    return rt.stopped_exit_code();
  }
  // Graceful close; wait (briefly) for the FIN exchange so the peer is not left half-open.
  (void)tcp.close(rt.now(), conn);
  rt.wake();
  rt.run_until([&] { return all_closed(tcp); }, rt.now() + Duration::seconds(2));
  if (stdout_broken) return connect_fail("stdout", std::strerror(errno));
  if (int e = in.error()) return connect_fail("stdin", std::strerror(e));
  return 0;
}

int run_connect(ConnectOptions opts) {
  if (opts.listen && opts.port == -1 && !opts.host.empty()) {  // `-l PORT`
    std::optional<std::int64_t> p = port_from_text(opts.host, opts.udp ? "udp" : "tcp");
    if (!p) return usage_error("-l: want [ADDR] PORT, got '" + opts.host + "'");
    opts.port = *p;
    opts.host.clear();
  }
  if (!opts.listen && opts.host.empty()) return usage_error("missing argument: host");
  if (opts.port == -1) return usage_error("missing argument: port");
  if (opts.v4_only && opts.v6_only) return usage_error("-4 and -6 exclude each other");
  if (opts.udp && opts.zero_io) return usage_error("-z with -u: UDP has no connection to probe");
  if (opts.source_port < 0 || opts.source_port > 65535) {
    return usage_error("-p " + std::to_string(opts.source_port) + " out of range (0..65535)");
  }
  if (opts.quit_s && !(*opts.quit_s < 1e6))
    return usage_error("-q: want seconds (negative: forever)");
  if (opts.listen && !opts.host.empty() && !opts.source.empty()) {
    return usage_error("-l ADDR and -s ADDR: give the address to listen on once");
  }
  if (opts.port < 1 || opts.port > 65535) {
    return usage_error("port " + std::to_string(opts.port) + " out of range (1..65535)");
  }
  if (opts.wait_s && !(*opts.wait_s > 0 && *opts.wait_s < 1e6)) {
    return usage_error("-w " + format_number(*opts.wait_s) + ": want seconds > 0");
  }
  services::TcpSetupResult tcp = services::parse_tcp_options(opts.tcp);
  if (!tcp.setup) return usage_error(tcp.error);
  TransportConfig transports;
  transports.tcp = services::tcp_layer_config(*tcp.setup);
  return run_with_device(
      "connect", opts.device, transports,
      [&](DeviceSession& s) {
        std::signal(SIGPIPE, SIG_IGN);
        if (opts.verbose) std::fprintf(stderr, "ustack connect: %s\n", s.describe().c_str());
        AddressFamily family = opts.v4_only   ? AddressFamily::kV4
                               : opts.v6_only ? AddressFamily::kV6
                                              : AddressFamily::kUnspec;
        // -l's ADDR or -s ADDR: an address or a name, looked up for the remote's family when
        // there is one (as nc looks its source up with the destination's family).
        const bool listen_addr = opts.listen && !opts.host.empty();
        const std::string& local_text = listen_addr ? opts.host : opts.source;
        std::optional<IpAddr> local;
        auto look_up_local = [&](AddressFamily f) {
          if (local_text.empty()) return true;
          DeviceSession::HostAddress l = s.lookup_host(local_text, f);
          local = l.addr;
          if (!local) connect_fail((listen_addr ? "-l " : "-s ") + local_text, l.error);
          return local.has_value();
        };
        if (opts.listen) {
          if (!look_up_local(family)) return 1;
          return opts.udp ? udp_connect_and_copy(s, opts, std::nullopt, local)
                          : accept_and_copy(s, opts, *tcp.setup, local);
        }
        DeviceSession::HostAddress remote = s.lookup_host(opts.host, family);
        if (!remote.addr) return connect_fail(opts.host, remote.error);
        if (!look_up_local(remote.addr->is_v4() ? AddressFamily::kV4 : AddressFamily::kV6)) {
          return 1;
        }
        if (opts.udp) return udp_connect_and_copy(s, opts, remote.addr, local);
        return connect_and_copy(s, opts, *remote.addr, *tcp.setup, local);
      },
      stderr);
}

Subcommand connect_cmd(
    "connect",
    "netcat-like TCP (-u: UDP) client on the stack: stdin to HOST PORT, replies to stdout",
    [](CLI::App& app) {
      auto opts = std::make_shared<ConnectOptions>();
      add_device_options(app, opts->device);
      add_resolver_options(app, opts->device);
      services::add_tcp_options(app, opts->tcp);
      app.add_option("-w,--wait", opts->wait_s,
                     "give up connecting after SECONDS (-u: quit after SECONDS without a "
                     "datagram either way)")
          ->type_name("SECONDS");
      app.add_flag("-u,--udp", opts->udp,
                   "UDP: each line of stdin is a datagram to HOST PORT, datagrams from it go to "
                   "stdout (with -l: from the first peer that sends to PORT)");
      app.add_flag("-v,--verbose", opts->verbose,
                   "say how the stack runs (device, addresses, seed) and when connected");
      app.add_flag("-l,--listen", opts->listen,
                   "listen on PORT (on [ADDR]) and take one connection instead of connecting");
      app.add_option("-s,--source", opts->source,
                     "source address, or a name (looked up like HOST, for HOST's family)")
          ->type_name("ADDR");
      app.add_option("-p,--source-port", opts->source_port, "source port")
          ->type_name("PORT")
          ->transform(port_or_service(nullptr));
      app.add_flag("-z", opts->zero_io, "only connect (or accept), send nothing, then close");
      app.add_option("-q,--quit", opts->quit_s,
                     "after EOF on stdin, quit after SECONDS even if the peer goes on")
          ->type_name("SECONDS");
      app.add_flag("-N", opts->nc_shutdown,
                   "shut the connection down at EOF on stdin (always done; for nc habits)");
      app.add_flag("-4", opts->v4_only, "IPv4 only");
      app.add_flag("-6", opts->v6_only, "IPv6 only");
      app.add_option("host", opts->host,
                     "IPv4 or IPv6 address, or a name (looked up with ustack's resolver: "
                     "--nameserver, --hosts; the first address in RFC 6724 order); with -l, "
                     "the address (or name) to listen on (optional)");
      app.add_option("port", opts->port, "TCP (or with -u, UDP) port: a number or a service name")
          ->transform(port_or_service(nullptr));
      app.footer(
          "Example:\n  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ustack connect --tun ust1 --netns "
          "demo "
          "--addr 198.18.1.2/24 --peer 198.18.1.1/24 198.18.1.1 8000");
      return [opts] { return run_connect(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
