// uselect: MicroPython's uselect.poll over usocket::socket.
//
//   uselect::poller p = uselect::poll();
//   p.register_(listener, POLLIN);
//   for (;;) {
//     for (auto [s, ev] : p.poll(1000)) { ... }   // milliseconds; -1 waits forever
//   }
//
// Cost: poll() costs what changed since the last call, not how many sockets are registered.
// The network's ReadinessHub (sockapi/readiness_hub.h) is the only reader of the transports'
// pushed readiness and marks the sockets that may have changed "dirty" in the pollers watching
// them; poll() re-checks the dirty sockets plus those it reported last time (level-triggered:
// a socket stays reported while it is ready, and a user call such as recv() that drains it
// is seen the next time). Idle sockets are never looked at; stats().rechecked counts.
//
// Semantics (MicroPython's, which are POSIX poll's):
//   - register_() again modifies the mask; modify() of an unregistered socket raises
//     OSError(ENOENT); unregister() of an unregistered socket is ignored (MicroPython's
//     idempotent unregister, unlike CPython's KeyError).
//   - POLLERR and POLLHUP are always reported, whatever the mask; a closed socket reports
//     POLLNVAL and stays registered until unregistered.
//   - ipoll(timeout, 1): one-shot. A reported socket is disarmed (its mask becomes 0 and it is
//     not reported at all, not even POLLHUP/POLLERR) until modify() or register_() re-arms it,
//     as MicroPython's uasyncio relies on.
//   - All sockets of a poller are on one Network: another raises OSError(EINVAL).
//   - Blocking runs the network's loop on the calling thread (see sockapi/network.h). A wait
//     that can never end (no deadline and nothing scheduled, in virtual time) or a stopped
//     loop raises OSError(EINTR), as a signal ends a real poll(2).
//
// Difference from MicroPython: a C++ socket cannot be kept alive by the poller. Destroying a
// registered socket unregisters it; moving it moves the registration to the new object.
#pragma once

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sockapi/network.h"
#include "sockapi/readiness_hub.h"
#include "sockapi/usocket.h"

namespace uselect {

// POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL are the system's (<poll.h>), as in usocket.h.

class poller final : private usocket::ReadinessHub::Watcher {
 public:
  using result = std::vector<std::pair<usocket::socket*, int>>;

  struct Stats {
    std::uint64_t polls = 0;      // poll()/ipoll() calls
    std::uint64_t rechecked = 0;  // socket readiness checks, all polls together
  };

  poller() = default;
  ~poller();
  poller(poller&& o) noexcept;
  poller& operator=(poller&& o) noexcept;
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;

  // eventmask: POLLIN and/or POLLOUT (POLLERR/POLLHUP are always reported anyway); POLLPRI
  // (an extension, as in CPython's select.poll) for urgent data on a TCP socket.
  void register_(usocket::socket& s, int eventmask = POLLIN | POLLOUT);
  void modify(usocket::socket& s, int eventmask);
  void unregister(usocket::socket& s);

  // timeout_ms < 0: wait until something is ready; 0: look now (after one step of the loop,
  // so a poll(0) busy loop still makes progress); > 0: at most that long. Empty on timeout.
  result poll(int timeout_ms = -1);
  // The same into a vector reused by each call: valid until the next ipoll(). flags & 1:
  // one-shot (see above).
  const result& ipoll(int timeout_ms = -1, int flags = 0);

  std::size_t size() const { return entries_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    int mask = 0;
    bool armed = true;          // false after a one-shot report, until modify()
    bool dirty = false;         // listed in dirty_
    std::uint64_t checked = 0;  // the poll round that last checked it (dedup)
  };

  void changed(usocket::socket* s) override;
  void moved(usocket::socket* from, usocket::socket* to) override;
  void gone(usocket::socket* s) override;

  void mark_dirty(usocket::socket* s, Entry& e);
  // Re-checks dirty_ and the sockets reported last round into out; true if any is ready.
  bool collect(result& out, bool oneshot);
  void run(result& out, int timeout_ms, bool oneshot);
  void detach_all();

  std::optional<usocket::Network> net_;  // the network of the registered sockets
  // Keyed by address: the hub's moved()/gone() keep it current, so a key never names a dead
  // socket. dirty_ and reported_ may hold addresses no longer registered: they are looked up
  // here before use, never dereferenced blindly.
  std::unordered_map<usocket::socket*, Entry> entries_;
  std::vector<usocket::socket*> dirty_;
  std::vector<usocket::socket*> reported_;  // ready at the last check: re-checked every time
  std::vector<usocket::socket*> scratch_;
  std::uint64_t round_ = 0;
  result iresult_;
  Stats stats_;
};

// MicroPython's uselect.poll(): makes a poller.
poller poll();

}  // namespace uselect
