// `ustack udp send`: datagrams from stdin's lines (or generated ones) to HOST PORT, replies to
// stdout; exits once the input is sent and no reply came for -w seconds.
//
//   ustack udp send: 198.18.0.255:9: permission denied (broadcast needs --broadcast)
//   ustack udp: 198.18.1.1:9: connection refused
//
// A unicast destination is connect()ed, so the socket receives only the peer's replies and an
// ICMP port unreachable for what we sent becomes ECONNREFUSED (Linux udp(7)); a broadcast or
// group destination is not (replies may come from anyone). stdin is read by a helper thread
// (tools/stdin_reader.h); the stack, the socket and stdout are driven from the loop's thread.
#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "stack/stack.h"
#include "tools/cmd_udp.h"
#include "tools/services/generated_body.h"
#include "tools/services/tcp_cli.h"
#include "tools/stdin_reader.h"
#include "tools/udp_stdio.h"
#include "tools/usage_error.h"
#include "tun/runtime.h"

namespace ustack::tools {
namespace {

// Linux ip4_datagram_connect refuses to connect() to a broadcast address without
// SO_BROADCAST, and a connected socket would drop the replies of the hosts that answer.
bool is_one_to_many(const IpAddr& a, const Stack& stack) {
  return a.is_multicast() ||
         (a.is_v4() && (a.v4().is_broadcast() || stack.is_broadcast_address(a)));
}

std::string send_error_text(UdpError e) {
  std::string text = services::udp_error_text(e);
  if (e == UdpError::kAccessDenied) text += " (broadcast needs --broadcast)";
  return text;
}

class Sender {
 public:
  Sender(DeviceSession& s, const UdpSendOptions& opts, SocketHandle h,
         std::optional<UdpEndpoint> to, std::size_t max_datagram)
      : s_(s), opts_(opts), h_(h), to_(to), max_datagram_(max_datagram), buf_(65536) {}

  // One loop iteration: print replies, then send what input there is.
  void step(Instant now, StdinReader* in) {
    read_replies(now);
    if (error_ || input_done_) return;
    if (opts_.size) {
      send_generated(now);
    } else {
      bool eof = in->take(pending_);
      send_lines(now, eof);
      if (eof) input_done_ = true;
    }
    if (input_done_) quiet_until_ = now + wait();
  }

  bool input_done() const { return input_done_; }
  Instant quiet_until() const { return quiet_until_; }
  const std::optional<std::string>& error() const { return error_; }
  bool stdout_broken() const { return stdout_broken_; }

 private:
  Duration wait() const { return Duration::nanos(static_cast<std::int64_t>(opts_.wait_s * 1e9)); }

  // Replies first: the socket may carry the error (ECONNREFUSED) of what we sent.
  void read_replies(Instant now) {
    DatagramsToStdout r = copy_datagrams_to_stdout(s_.udp(), h_, buf_, stdout_broken_);
    if (r.datagrams > 0) quiet_until_ = now + wait();
    if (r.error) error_ = services::udp_error_text(*r.error);
  }

  bool send(Instant now, Bytes data) {
    auto r = s_.udp().send_to(now, h_, data, to_, s_.stack());
    if (!r.ok()) error_ = send_error_text(r.error());
    return r.ok();
  }

  // Datagram k carries bytes [k*N, (k+1)*N) of the generated body.
  void send_generated(Instant now) {
    const auto n = static_cast<std::size_t>(*opts_.size);
    const std::int64_t count = opts_.count.value_or(1);
    ByteVec data(n);
    for (std::int64_t k = 0; k < count; ++k) {
      services::fill_generated_body(static_cast<std::uint64_t>(k) * n, data);
      if (!send(now, data)) return;
    }
    input_done_ = true;
  }

  // Every complete line (newline included, like nc) is one datagram; at EOF the rest too.
  void send_lines(Instant now, bool eof) {
    send_stdin_datagrams(pending_, eof, max_datagram_, [&](Bytes d) { return send(now, d); });
    if (eof) pending_.clear();  // what a failed send left: the error ends the command
  }

  DeviceSession& s_;
  const UdpSendOptions& opts_;
  SocketHandle h_;
  std::optional<UdpEndpoint> to_;  // nullopt: connected
  std::size_t max_datagram_;
  ByteVec buf_;
  ByteVec pending_;  // stdin bytes not sent yet (a partial line)
  bool input_done_ = false;
  Instant quiet_until_ = Instant::never();
  std::optional<std::string> error_;
  bool stdout_broken_ = false;
};

int send_and_wait(DeviceSession& s, const UdpSendOptions& opts, const IpAddr& remote,
                  const UdpSocketOptions& sockopts) {
  const auto port = static_cast<std::uint16_t>(opts.port);
  const std::string target = services::endpoint_text(remote, port);
  UdpLayer& udp = s.udp();
  Stack& stack = s.stack();
  tun::AsioRuntime& rt = s.runtime();
  std::signal(SIGPIPE, SIG_IGN);

  SocketHandle h = udp.open(remote.version());
  UdpSocketOptions so = sockopts;
  // IP_MULTICAST_IF: a group's datagrams leave from our first --addr of its family (the one
  // interface), whatever the routes say about multicast destinations.
  if (remote.is_multicast()) {
    for (const IpCidr& a : s.setup().addrs) {
      if (a.addr.version() == remote.version() && so.multicast_source.is_unspecified()) {
        so.multicast_source = a.addr;
      }
    }
  }
  if (auto e = udp.set_options(h, so)) return udp_fail(target, services::udp_error_text(*e));
  if (opts.local_port) {
    IpAddr any = remote.is_v4() ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any());
    if (auto e = udp.bind(h, any, static_cast<std::uint16_t>(*opts.local_port), stack)) {
      return udp_fail("local port " + std::to_string(*opts.local_port),
                      services::udp_error_text(*e));
    }
  }
  std::optional<UdpEndpoint> to = UdpEndpoint{remote, port};
  if (!is_one_to_many(remote, stack)) {
    if (auto e = udp.connect(h, remote, port, stack)) return udp_fail(target, send_error_text(*e));
    to.reset();
  }

  std::unique_ptr<StdinReader> in;
  if (!opts.size) {
    boost::asio::io_context& io = rt.io_context();
    in = std::make_unique<StdinReader>([&io, &rt] { boost::asio::post(io, [&rt] { rt.wake(); }); });
  }
  Sender sender(s, opts, h, to, max_udp_payload(remote));
  rt.on_iteration([&](Instant now) { sender.step(now, in.get()); });
  rt.wake();
  bool waited_for_done = false;
  for (;;) {
    if (sender.error()) return udp_fail(target, *sender.error());
    if (rt.stopped()) return rt.stopped_exit_code();
    if (sender.input_done() && rt.now() >= sender.quiet_until()) break;
    waited_for_done = sender.input_done();
    rt.run_until(
        [&] { return sender.error().has_value() || sender.input_done() != waited_for_done; },
        sender.input_done() ? sender.quiet_until() : Instant::never());
  }
  if (sender.stdout_broken()) return udp_fail("stdout", "broken pipe or write error");
  if (in && in->error()) return udp_fail("stdin", std::strerror(in->error()));
  return 0;
}

}  // namespace

int run_udp_send(const UdpSendOptions& opts) {
  if (int rc = check_port("port", opts.port)) return rc;
  if (opts.local_port) {
    if (int rc = check_port("--local-port", *opts.local_port)) return rc;
  }
  if (opts.size &&
      (*opts.size < 0 || *opts.size > static_cast<std::int64_t>(UdpLayer::kMaxPayloadV6))) {
    return usage_error("--size " + std::to_string(*opts.size) + " out of range (0..65527)");
  }
  if (opts.count && !opts.size) return usage_error("--count needs --size");
  if (opts.count && (*opts.count < 1 || *opts.count > 1000000)) {
    return usage_error("--count " + std::to_string(*opts.count) + " out of range (1..1000000)");
  }
  if (!(opts.wait_s >= 0 && opts.wait_s < 1e6)) {
    return usage_error("-w " + format_number(opts.wait_s) + ": want seconds >= 0");
  }
  services::UdpSetupResult sock = services::parse_udp_options(opts.udp);
  if (!sock.options) return usage_error(sock.error);
  return run_with_device(
      "udp", opts.device,
      [&](DeviceSession& s) {
        DeviceSession::HostAddress remote = s.lookup_host(opts.host);
        if (!remote.addr) return udp_fail(opts.host, remote.error);
        return send_and_wait(s, opts, *remote.addr, *sock.options);
      },
      stderr);
}

}  // namespace ustack::tools
