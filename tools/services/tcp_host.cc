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

ServiceHost::ServiceHost(TcpLayer& tcp, Log log) : tcp_(tcp), log_(std::move(log)) {
  tcp_.subscribe_ready(ready_);
}

ServiceHost::~ServiceHost() {
  tcp_.unsubscribe_ready(ready_);
  for (auto& [k, c] : conns_) (void)tcp_.abort(c.handle);
  for (auto& l : listeners_) (void)tcp_.close(l->handle);
}

std::optional<TcpError> ServiceHost::listen(const IpAddr& local, std::uint16_t port,
                                            std::string name, SessionFactory factory,
                                            const TcpSocketOptions& opts, unsigned backlog) {
  auto h = tcp_.listen(local, port, backlog, opts);
  if (!h.ok()) return h.error();
  ServiceHostStats* stats = &by_service_[name];
  listeners_.push_back(
      std::make_unique<Listener>(Listener{*h, std::move(name), std::move(factory), stats}));
  listener_by_key_[key(*h)] = listeners_.back().get();
  return std::nullopt;
}

bool ServiceHost::poll(Instant now) {
  ++round_;
  progressed_ = false;
  changed_.clear();
  ready_.drain(changed_);
  due_.clear();
  // Sessions that made progress last time first (they were already running), then the
  // sockets with events, then deadlines.
  std::swap(due_, again_);
  for (SocketHandle h : changed_) {
    const Key k = key(h);
    if (auto l = listener_by_key_.find(k); l != listener_by_key_.end()) {
      accept_all(now, *l->second);
    } else {
      due_.push_back(k);
    }
  }
  while (!wakes_.empty() && wakes_.top().at <= now) {
    due_.push_back(wakes_.top().conn);
    wakes_.pop();
  }
  for (Key k : due_) step(now, k);
  return progressed_;
}

void ServiceHost::accept_all(Instant now, const Listener& l) {
  for (;;) {
    auto h = tcp_.accept(l.handle);
    if (!h.ok()) break;
    Conn c{*h, &l, l.factory(), {}};
    if (auto t = tcp_.tuple(*h); t.ok()) c.peer = endpoint(t->remote, t->remote_port);
    ++stats_.accepted;
    ++l.stats->accepted;
    progressed_ = true;
    const Key k = key(*h);
    conns_.emplace(k, std::move(c));
    step(now, k);  // data may have come with the handshake
  }
}

void ServiceHost::step(Instant now, Key k) {
  auto it = conns_.find(k);
  if (it == conns_.end() || it->second.round == round_) return;  // gone, or stepped already
  Conn& c = it->second;
  c.round = round_;
  ++steps_;
  bool progressed = false;
  if (!run(now, c, progressed)) {
    conns_.erase(it);
    return;
  }
  if (progressed) {
    progressed_ = true;
    again_.push_back(k);
  }
  if (Instant at = c.session->wake_at(); !at.is_never()) wakes_.push({at, k});
}

bool ServiceHost::run(Instant now, Conn& c, bool& progressed) {
  std::optional<TcpError> err = tcp_.error(c.handle);
  SessionStatus st = SessionStatus::kContinue;
  if (!err) {
    const std::uint64_t in = stats_.bytes_in, out = stats_.bytes_out;
    TcpStream stream(tcp_, c.handle, stats_);
    st = c.session->step(now, stream);
    err = stream.error();
    progressed = stats_.bytes_in != in || stats_.bytes_out != out;
    c.listener->stats->bytes_in += stats_.bytes_in - in;
    c.listener->stats->bytes_out += stats_.bytes_out - out;
  }
  if (err) {
    ++stats_.failed;
    ++c.listener->stats->failed;
    log(c.listener->name + " " + c.peer + ": " + to_string(*err));
    (void)tcp_.close(c.handle);
    return false;
  }
  switch (st) {
    case SessionStatus::kContinue:
      return true;
    case SessionStatus::kClose:
      ++stats_.closed;
      ++c.listener->stats->closed;
      (void)tcp_.close(c.handle);
      return false;
    case SessionStatus::kAbort:
      ++stats_.aborted;
      ++c.listener->stats->aborted;
      log(c.listener->name + " " + c.peer + ": protocol error, connection reset");
      (void)tcp_.abort(c.handle);
      return false;
  }
  return true;
}

Instant ServiceHost::wake_at() const {
  // Stale entries (the session is gone, or now wants a later instant) are dropped here so the
  // caller's timer is not armed for nothing.
  while (!wakes_.empty()) {
    const WakeEntry& e = wakes_.top();
    auto it = conns_.find(e.conn);
    if (it != conns_.end() && it->second.session->wake_at() <= e.at) return e.at;
    wakes_.pop();
  }
  return Instant::never();
}

}  // namespace ustack::services
