// `ustack connect -u` (nc -u): datagrams between stdin/stdout and one peer.
//
//   ustack connect -u ... 198.18.1.1 9000        each line of stdin is a datagram to the peer;
//                                                the peer's datagrams are written to stdout
//   ustack connect -u -l ... [ADDR] 9000          waits for the first datagram to PORT and then
//                                                talks to its sender only (OpenBSD nc: it
//                                                connect()s the socket to the first peer)
//
// The socket is connected to the peer, so datagrams from anyone else are dropped and an ICMP
// port unreachable for what we sent ends the command with "connection refused" (Linux udp(7)).
// UDP has no end of stream: after EOF on stdin the command goes on printing what the peer
// sends until -q SECONDS have passed (forever without -q, like nc), -w SECONDS pass with no
// datagram either way, or a signal. stdin is cut into datagrams at newlines (as `ustack udp
// send` cuts it, tools/udp_stdio.h), and what a read gave after its last newline is sent at
// once too, as nc sends each read.
#include <boost/asio/post.hpp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "stack/stack.h"
#include "tools/cmd_connect.h"
#include "tools/services/udp_cli.h"
#include "tools/stdin_reader.h"
#include "tools/udp_stdio.h"
#include "tun/runtime.h"

namespace ustack::tools {
namespace {

Duration seconds(double s) { return Duration::nanos(static_cast<std::int64_t>(s * 1e9)); }

// The copy in both directions, one loop iteration at a time (on the runtime's thread).
class DatagramCopy {
 public:
  // `sockets`: the one connected to the peer, or (-l) the bound ones waiting for a first peer.
  DatagramCopy(DeviceSession& s, const ConnectOptions& opts, std::vector<SocketHandle> sockets,
               std::optional<UdpEndpoint> peer)
      : s_(s), opts_(opts), sockets_(std::move(sockets)), peer_(peer), buf_(65536) {}

  void step(Instant now, StdinReader& in) {
    if (error_ || stdout_broken_) return;
    if (!peer_ && !lock_on_first_peer(now)) return;
    UdpLayer& udp = s_.udp();
    const SocketHandle h = sockets_.front();
    DatagramsToStdout got = copy_datagrams_to_stdout(udp, h, buf_, stdout_broken_, peer_);
    if (got.datagrams > 0) last_activity_ = now;
    if (got.error) {
      error_ = got.error;
      return;
    }
    if (!stdin_done_) stdin_done_ = in.take(pending_);
    // nc -u sends what each read() gave at once: lines, and a partial line too.
    send_stdin_datagrams(pending_, /*send_rest=*/true, max_udp_payload(peer_->addr), [&](Bytes d) {
      auto w = udp.send_to(now, h, d, std::nullopt, s_.stack());
      if (!w.ok()) error_ = w.error();
      last_activity_ = now;
      return w.ok();
    });
    // -q SECONDS: quit that long after EOF on stdin (nc -q); negative: never.
    if (stdin_done_ && pending_.empty() && quit_at_.is_never() && opts_.quit_s &&
        *opts_.quit_s >= 0) {
      quit_at_ = now + seconds(*opts_.quit_s);
    }
  }

  // The copy cannot go on: an error, or stdout is gone.
  bool failed() const { return error_.has_value() || stdout_broken_; }
  const std::optional<UdpError>& error() const { return error_; }
  bool stdout_broken() const { return stdout_broken_; }
  const std::optional<UdpEndpoint>& peer() const { return peer_; }
  Instant quit_at() const { return quit_at_; }
  // -w SECONDS: the time at which the copy has been idle that long.
  Instant idle_deadline() const {
    return opts_.wait_s ? last_activity_ + seconds(*opts_.wait_s) : Instant::never();
  }
  void start(Instant now) { last_activity_ = now; }
  void close_all(Instant now) {
    for (SocketHandle h : sockets_) (void)s_.udp().close(now, h, s_.stack());
    sockets_.clear();
  }

 private:
  // -l: the first datagram on any of the sockets picks the peer; that socket is connected to
  // it (so the stack drops the others' datagrams) and the other sockets are closed.
  bool lock_on_first_peer(Instant now) {
    UdpLayer& udp = s_.udp();
    for (SocketHandle h : sockets_) {
      auto r = udp.recv_from(h, buf_);
      if (!r.ok()) continue;  // would block (an unconnected socket gets no ICMP errors)
      if (auto e = udp.connect(h, r->from.addr, r->from.port, s_.stack())) {
        error_ = e;
        return false;
      }
      peer_ = r->from;
      last_activity_ = now;
      if (opts_.verbose) {
        std::fprintf(stderr, "ustack connect: datagrams from %s\n",
                     services::endpoint_text(peer_->addr, peer_->port).c_str());
      }
      if (!write_all(STDOUT_FILENO, buf_.data(), r->size)) stdout_broken_ = true;
      for (SocketHandle other : sockets_) {
        if (other != h) (void)udp.close(now, other, s_.stack());
      }
      sockets_ = {h};
      return true;
    }
    return false;
  }

  DeviceSession& s_;
  const ConnectOptions& opts_;
  std::vector<SocketHandle> sockets_;
  std::optional<UdpEndpoint> peer_;
  ByteVec buf_;
  ByteVec pending_;  // stdin bytes not sent yet (a partial line)
  bool stdin_done_ = false;
  bool stdout_broken_ = false;
  std::optional<UdpError> error_;
  Instant last_activity_;
  Instant quit_at_ = Instant::never();
};

// The sockets -l waits on: PORT on `local`, or on the any address of every family we have an
// address of (as -4/-6 allow).
std::optional<std::string> bind_listeners(DeviceSession& s, const ConnectOptions& opts,
                                          const std::optional<IpAddr>& local,
                                          std::vector<SocketHandle>& out) {
  UdpLayer& udp = s.udp();
  const auto port = static_cast<std::uint16_t>(opts.port);
  for (IpVersion family : s.families()) {
    if (local && local->version() != family) continue;
    if ((opts.v4_only && family != IpVersion::kV4) || (opts.v6_only && family != IpVersion::kV6)) {
      continue;
    }
    SocketHandle h = udp.open(family);
    out.push_back(h);
    IpAddr any = family == IpVersion::kV4 ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any());
    if (auto e = udp.bind(h, local.value_or(any), port, s.stack())) {
      return services::udp_error_text(*e);
    }
  }
  if (out.empty()) return "no address of the requested family to listen on";
  return std::nullopt;
}

// The socket to `remote` PORT, bound first to -s ADDR / -p PORT if given.
std::optional<std::string> connect_socket(DeviceSession& s, const ConnectOptions& opts,
                                          const IpAddr& remote, const std::optional<IpAddr>& local,
                                          SocketHandle& h) {
  UdpLayer& udp = s.udp();
  h = udp.open(remote.version());
  if (local || opts.source_port != 0) {
    IpAddr any = remote.is_v4() ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any());
    if (auto e = udp.bind(h, local.value_or(any), static_cast<std::uint16_t>(opts.source_port),
                          s.stack())) {
      return std::string("source: ") + services::udp_error_text(*e);
    }
  }
  if (auto e = udp.connect(h, remote, static_cast<std::uint16_t>(opts.port), s.stack())) {
    return services::udp_error_text(*e);
  }
  return std::nullopt;
}

}  // namespace

int udp_connect_and_copy(DeviceSession& s, const ConnectOptions& opts,
                         const std::optional<IpAddr>& remote, const std::optional<IpAddr>& local) {
  tun::AsioRuntime& rt = s.runtime();
  const auto port = static_cast<std::uint16_t>(opts.port);
  const std::string port_text = "udp port " + std::to_string(port);
  std::vector<SocketHandle> sockets;
  std::optional<UdpEndpoint> peer;
  if (remote) {
    SocketHandle h;
    if (auto e = connect_socket(s, opts, *remote, local, h)) {
      return connect_fail(services::endpoint_text(*remote, port), *e);
    }
    sockets.push_back(h);
    peer = UdpEndpoint{*remote, port};
  } else if (auto e = bind_listeners(s, opts, local, sockets)) {
    return connect_fail(port_text, *e);
  } else if (opts.verbose) {
    std::fprintf(stderr, "ustack connect: listening on %s\n", port_text.c_str());
  }

  boost::asio::io_context& io = rt.io_context();
  StdinReader in([&io, &rt] { boost::asio::post(io, [&rt] { rt.wake(); }); });
  DatagramCopy copy(s, opts, std::move(sockets), peer);
  copy.start(rt.now());
  rt.on_iteration([&](Instant now) { copy.step(now, in); });
  rt.wake();
  for (;;) {
    if (copy.failed() || rt.stopped()) break;
    const Instant deadline = std::min(copy.quit_at(), copy.idle_deadline());
    if (rt.now() >= deadline) break;
    const Instant quit_at = copy.quit_at();
    rt.run_until([&] { return copy.failed() || copy.quit_at() != quit_at; }, deadline);
  }
  const std::string target =
      copy.peer() ? services::endpoint_text(copy.peer()->addr, copy.peer()->port) : port_text;
  copy.close_all(rt.now());
  if (rt.stopped()) return rt.stopped_exit_code();
  if (copy.error()) return connect_fail(target, services::udp_error_text(*copy.error()));
  if (copy.stdout_broken()) return connect_fail("stdout", "broken pipe or write error");
  if (!copy.peer()) return connect_fail(port_text, "no datagram within -w");
  if (int e = in.error()) return connect_fail("stdin", std::strerror(e));
  return 0;
}

}  // namespace ustack::tools
