// `ustack connect`: a netcat-like TCP client on the stack. Connects to HOST PORT, copies stdin
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
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "tools/device_options.h"
#include "tools/services/tcp_cli.h"
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

// stdin, read by a thread into a bounded queue of chunks for the loop thread.
class StdinReader {
 public:
  static constexpr std::size_t kChunk = 64 * 1024;
  static constexpr std::size_t kMaxQueued = 1024 * 1024;

  // `notify` runs on the reader thread (under the lock) when data or EOF arrived; it must
  // only post work to the loop.
  explicit StdinReader(std::function<void()> notify) : state_(std::make_shared<State>()) {
    state_->notify = std::move(notify);
    std::thread([st = state_] { run(*st); }).detach();
  }
  // The thread may still be blocked in read(0); it notices on its next wakeup and exits
  // without touching the loop.
  ~StdinReader() {
    std::lock_guard<std::mutex> g(state_->mu);
    state_->closed = true;
    state_->notify = nullptr;
    state_->cv.notify_all();
  }

  // Moves queued chunks into `out` (appending). True once stdin is at EOF and drained.
  bool take(ByteVec& out) {
    std::lock_guard<std::mutex> g(state_->mu);
    for (auto& c : state_->chunks) out.insert(out.end(), c.begin(), c.end());
    state_->chunks.clear();
    state_->queued = 0;
    state_->cv.notify_all();
    return state_->eof;
  }
  int error() {
    std::lock_guard<std::mutex> g(state_->mu);
    return state_->err;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<ByteVec> chunks;
    std::size_t queued = 0;
    bool eof = false;
    int err = 0;
    bool closed = false;
    std::function<void()> notify;
  };

  static void run(State& st) {
    ByteVec buf(kChunk);
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(st.mu);
        st.cv.wait(lk, [&] { return st.closed || st.queued < kMaxQueued; });
        if (st.closed) return;
      }
      ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard<std::mutex> g(st.mu);
      if (st.closed) return;
      if (n > 0) {
        st.chunks.emplace_back(buf.begin(), buf.begin() + n);
        st.queued += static_cast<std::size_t>(n);
      } else {
        st.eof = true;
        if (n < 0) st.err = errno;
      }
      if (st.notify) st.notify();
      if (st.eof) return;
    }
  }

  std::shared_ptr<State> state_;
};

bool write_all(int fd, const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

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
  TcpLayerConfig cfg;
  cfg.seed = s.setup().seed;
  if (tcp_setup.syn_retries) cfg.tcp.syn_retries = *tcp_setup.syn_retries;
  TcpLayer tcp(cfg);
  Stack& stack = s.stack();
  stack.register_transport(tcp);
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
  bool connected = rt.run_until(
      [&] { return tcp.readiness(*h).connected || tcp.error(*h).has_value(); }, deadline);
  if (auto e = tcp.error(*h)) {
    (void)tcp.close(*h);
    return fail(target, services::tcp_error_text(*e));
  }
  if (!connected) {
    (void)tcp.abort(*h);
    rt.wake();
    rt.run_until([] { return false; }, rt.now() + Duration::millis(20));  // let the RST go
    if (rt.stopped()) return 130;
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
    return 130;
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
  std::optional<IpAddr> remote = IpAddr::parse(opts.host);
  if (!remote) {
    std::fprintf(stderr, "ustack connect: %s: not a numeric IPv4 or IPv6 address\n",
                 opts.host.c_str());
    return 2;
  }
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
  return run_with_device("connect", opts.device, [&](DeviceSession& s) {
    return connect_and_copy(s, opts, *remote, *tcp.setup);
  });
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
      app.add_option("host", opts->host, "numeric IPv4 or IPv6 address")->required();
      app.add_option("port", opts->port, "TCP port")->required();
      app.footer(
          "Example:\n  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ustack connect --tun ust1 --netns "
          "demo "
          "--addr 198.18.1.2/24 --peer 198.18.1.1/24 198.18.1.1 8000");
      return [opts] { return run_connect(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
