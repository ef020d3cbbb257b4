// ServiceHost: runs sessions (session.h) on TCP connections of a TcpLayer.
//
// It owns the listeners it opened and one Session per accepted connection. poll(now) is
// called after every batch of stack work (AsioRuntime::on_iteration in `ustack serve`, a test
// loop with virtual time in tests): it accepts new connections, steps sessions, and closes or
// resets connections whose session finished. Connection errors (reset by the peer, timed out)
// end the session and are counted and logged.
//
// Cost follows what changed, not how many connections exist: the host reads the TcpLayer's
// pushed readiness (its own subscribed ReadyList, stack/ready_list.h) and steps only
//   - sessions whose socket had an event (data, ACK, FIN, error) and listeners whose accept
//     queue grew;
//   - sessions that read or wrote something in their last step (they may have stopped at
//     their own limit with more to do, which no segment would announce);
//   - sessions whose wake_at() is due (a min-heap, not a scan).
// 10000 idle keep-alive connections cost nothing per batch.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "stack/pollable.h"
#include "stack/ready_list.h"
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

class ServiceHost final : public Pollable {
 public:
  using Log = std::function<void(const std::string&)>;

  explicit ServiceHost(TcpLayer& tcp, Log log = nullptr);
  ~ServiceHost() override;
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Listens on `local` (an unspecified address: every address of that family) and `port`;
  // `name` labels the service in logs ("echo:5002").
  std::optional<TcpError> listen(const IpAddr& local, std::uint16_t port, std::string name,
                                 SessionFactory factory, const TcpSocketOptions& opts = {},
                                 unsigned backlog = 1024);

  // Accepts, steps the sessions that may progress (see above), closes the finished ones. True
  // if a connection was accepted or a session moved bytes. A Pollable, so the Stack runs it in
  // every poll (Stack::add_poller; tools' ScopedPoller): right after the segments that woke it.
  bool poll(Instant now) override;
  // Now (Instant::zero()) while a session that moved bytes wants another step, else the
  // earliest due wake_at().
  Instant poll_at() const override { return again_.empty() ? wake_at() : Instant::zero(); }
  // The earliest wake_at() of the sessions (Instant::never() if none has a deadline).
  Instant wake_at() const;

  // Totals, and per service (by the `name` given to listen(), e.g. "echo:7"; one entry for a
  // service listening on both families).
  const ServiceHostStats& stats() const { return stats_; }
  const std::map<std::string, ServiceHostStats>& service_stats() const { return by_service_; }
  std::size_t sessions() const { return conns_.size(); }
  // Session steps over the host's life: what the readiness-driven design keeps small.
  std::uint64_t steps() const { return steps_; }

 private:
  struct Listener {
    SocketHandle handle;
    std::string name;
    SessionFactory factory;
    ServiceHostStats* stats;  // this service's entry in by_service_
  };
  struct Conn {
    SocketHandle handle;
    const Listener* listener;
    std::unique_ptr<Session> session;
    std::string peer;         // "198.18.0.1:40000", for logs
    std::uint64_t round = 0;  // the poll() that last stepped it: one step per poll
  };
  using Key = std::uint64_t;
  static Key key(SocketHandle h) { return (Key{h.generation} << 32) | h.index; }
  struct WakeEntry {
    Instant at;
    Key conn;
    bool operator>(const WakeEntry& o) const { return at > o.at; }
  };

  void accept_all(Instant now, const Listener& l);
  // Steps one connection if not yet stepped this round; false once it is finished (and its
  // handle given back, the entry erased).
  void step(Instant now, Key k);
  bool progressed_ = false;  // in this poll()
  bool run(Instant now, Conn& c, bool& progressed);
  void log(const std::string& line) const {
    if (log_) log_(line);
  }

  TcpLayer& tcp_;
  Log log_;
  ReadyList ready_;  // subscribed to tcp_'s marks
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<Key, const Listener*> listener_by_key_;
  std::unordered_map<Key, Conn> conns_;
  std::vector<Key> again_;  // progressed in their last step: step again next poll
  // Sessions' wake_at() deadlines; an entry whose session is gone or re-armed later is stale
  // and skipped when it reaches the top.
  mutable std::priority_queue<WakeEntry, std::vector<WakeEntry>, std::greater<>> wakes_;
  std::vector<SocketHandle> changed_;  // reused by poll()
  std::vector<Key> due_;               // reused by poll()
  std::uint64_t round_ = 0;
  std::uint64_t steps_ = 0;
  ServiceHostStats stats_;
  std::map<std::string, ServiceHostStats> by_service_;  // std::map: stable addresses
};

}  // namespace ustack::services
