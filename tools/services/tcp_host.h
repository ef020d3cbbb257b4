// ServiceHost: runs sessions (session.h) on TCP connections of a TcpLayer.
//
// It owns the listeners it opened and one Session per accepted connection. poll(now) is
// called after every batch of stack work (AsioRuntime::on_iteration in `ustack serve`, a test
// loop with virtual time in tests): it accepts new connections, steps every session, and
// closes or resets connections whose session finished. Connection errors (reset by the peer,
// timed out) end the session and are counted and logged.
//
// Every session is stepped on every poll: cheap for the handful of connections a `serve`
// process holds (a step on an idle connection is one recv() that says "would block").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stack/tcp/tcp_layer.h"
#include "tools/services/session.h"

namespace ustack::services {

using SessionFactory = std::function<std::unique_ptr<Session>()>;

struct ServiceHostStats {
  std::uint64_t accepted = 0;
  std::uint64_t closed = 0;     // session finished, connection closed gracefully
  std::uint64_t aborted = 0;    // session reset the connection (protocol violation)
  std::uint64_t failed = 0;     // the connection failed (reset by the peer, timed out, ...)
  std::uint64_t bytes_in = 0;   // read by sessions
  std::uint64_t bytes_out = 0;  // accepted from sessions into send buffers
  std::uint64_t active() const { return accepted - closed - aborted - failed; }
};

class ServiceHost {
 public:
  using Log = std::function<void(const std::string&)>;

  explicit ServiceHost(TcpLayer& tcp, Log log = nullptr);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Listens on `local` (an unspecified address: every address of that family) and `port`;
  // `name` labels the service in logs ("echo:5002").
  std::optional<TcpError> listen(const IpAddr& local, std::uint16_t port, std::string name,
                                 SessionFactory factory, const TcpSocketOptions& opts = {},
                                 unsigned backlog = 1024);

  // Accepts, steps every session, closes the finished ones.
  void poll(Instant now);
  // The earliest wake_at() of the sessions (Instant::never() if none has a deadline).
  Instant wake_at() const;

  const ServiceHostStats& stats() const { return stats_; }
  std::size_t sessions() const { return conns_.size(); }

 private:
  struct Listener {
    SocketHandle handle;
    std::string name;
    SessionFactory factory;
  };
  struct Conn {
    SocketHandle handle;
    const Listener* listener;
    std::unique_ptr<Session> session;
    std::string peer;  // "198.18.0.1:40000", for logs
  };

  // Steps one connection; false once it is finished (and its handle given back).
  bool run(Instant now, Conn& c);
  void log(const std::string& line) const {
    if (log_) log_(line);
  }

  TcpLayer& tcp_;
  Log log_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<Conn> conns_;
  ServiceHostStats stats_;
};

}  // namespace ustack::services
