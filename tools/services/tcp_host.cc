#include "tools/services/tcp_host.h"

#include <algorithm>

namespace ustack::services {
namespace {

// A Session's Stream over one TcpLayer socket. The first connection error is kept so the host
// can end the session after the step.
class TcpStream final : public Stream {
 public:
  TcpStream(TcpLayer& tcp, SocketHandle h, ServiceHostStats& stats)
      : tcp_(tcp), h_(h), stats_(stats) {}

  StreamRead read(MutBytes out) override {
    if (error_ || out.empty()) return {};
    auto r = tcp_.recv(h_, out);
    if (r.ok()) {
      stats_.bytes_in += *r;
      return {*r, *r == 0};
    }
    if (r.error() != TcpError::kWouldBlock) error_ = r.error();
    return {};
  }
  std::size_t write(Bytes data) override {
    if (error_ || data.empty()) return 0;
    auto r = tcp_.send(h_, data);
    if (r.ok()) {
      stats_.bytes_out += *r;
      return *r;
    }
    if (r.error() != TcpError::kWouldBlock) error_ = r.error();
    return 0;
  }
  void shutdown_write() override {
    if (auto e = tcp_.shutdown(h_); e && !error_) error_ = e;
  }
  std::optional<TcpError> error() const { return error_; }

 private:
  TcpLayer& tcp_;
  SocketHandle h_;
  ServiceHostStats& stats_;
  std::optional<TcpError> error_;
};

std::string endpoint(const IpAddr& a, std::uint16_t port) {
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port)
                   : a.to_string() + ":" + std::to_string(port);
}

}  // namespace

ServiceHost::ServiceHost(TcpLayer& tcp, Log log) : tcp_(tcp), log_(std::move(log)) {}

ServiceHost::~ServiceHost() {
  for (Conn& c : conns_) (void)tcp_.abort(c.handle);
  for (auto& l : listeners_) (void)tcp_.close(l->handle);
}

std::optional<TcpError> ServiceHost::listen(const IpAddr& local, std::uint16_t port,
                                            std::string name, SessionFactory factory,
                                            const TcpSocketOptions& opts, unsigned backlog) {
  auto h = tcp_.listen(local, port, backlog, opts);
  if (!h.ok()) return h.error();
  listeners_.push_back(
      std::make_unique<Listener>(Listener{*h, std::move(name), std::move(factory)}));
  return std::nullopt;
}

void ServiceHost::poll(Instant now) {
  for (const auto& l : listeners_) {
    for (;;) {
      auto h = tcp_.accept(l->handle);
      if (!h.ok()) break;
      Conn c{*h, l.get(), l->factory(), {}};
      if (auto t = tcp_.tuple(*h); t.ok()) c.peer = endpoint(t->remote, t->remote_port);
      ++stats_.accepted;
      conns_.push_back(std::move(c));
    }
  }
  // Swap-and-pop removal: order of sessions does not matter.
  for (std::size_t i = 0; i < conns_.size();) {
    if (run(now, conns_[i])) {
      ++i;
    } else {
      if (i + 1 != conns_.size()) conns_[i] = std::move(conns_.back());
      conns_.pop_back();
    }
  }
}

bool ServiceHost::run(Instant now, Conn& c) {
  std::optional<TcpError> err = tcp_.error(c.handle);
  SessionStatus st = SessionStatus::kContinue;
  if (!err) {
    TcpStream stream(tcp_, c.handle, stats_);
    st = c.session->step(now, stream);
    err = stream.error();
  }
  if (err) {
    ++stats_.failed;
    log(c.listener->name + " " + c.peer + ": " + to_string(*err));
    (void)tcp_.close(c.handle);
    return false;
  }
  switch (st) {
    case SessionStatus::kContinue:
      return true;
    case SessionStatus::kClose:
      ++stats_.closed;
      (void)tcp_.close(c.handle);
      return false;
    case SessionStatus::kAbort:
      ++stats_.aborted;
      log(c.listener->name + " " + c.peer + ": protocol error, connection reset");
      (void)tcp_.abort(c.handle);
      return false;
  }
  return true;
}

Instant ServiceHost::wake_at() const {
  Instant at = Instant::never();
  for (const Conn& c : conns_) at = std::min(at, c.session->wake_at());
  return at;
}

}  // namespace ustack::services
