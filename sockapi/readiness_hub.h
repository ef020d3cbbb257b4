// ReadinessHub: the one reader of a network's pushed readiness (TcpLayer::take_ready and
// UdpLayer::take_ready), fanning each changed socket out to the pollers watching it.
//
// Why one reader: a ReadyList is drained destructively, so two pollers draining it directly
// would steal each other's events. The hub drains both lists and tells every watcher of a
// listed handle that its socket may have changed; a handle nobody watches costs one failed
// hash lookup. So a poll costs what changed since the last drain, not what is registered.
//
// The hub also follows usocket::socket objects themselves: a socket that is moved or destroyed
// while registered tells the hub (socket's move operations and destructor), which tells the
// watchers, so no poller ever holds a pointer to a dead socket. Single-threaded, like the
// network's loop.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "stack/socket_table.h"

namespace ustack {
class TcpLayer;
class UdpLayer;
}  // namespace ustack

namespace usocket {

class socket;

class ReadinessHub {
 public:
  // What a poller implements. Callbacks run inside drain() or inside the socket call that
  // moved/destroyed/touched the socket; they must not call back into the hub.
  class Watcher {
   public:
    // `s`'s readiness may have changed (a transport event, or a user call on it).
    virtual void changed(socket* s) = 0;
    // `from` was moved into `to`: the registration follows the object.
    virtual void moved(socket* from, socket* to) = 0;
    // `s` is being destroyed: forget it (never dereference it again).
    virtual void gone(socket* s) = 0;

   protected:
    ~Watcher() = default;
  };

  ReadinessHub(ustack::TcpLayer& tcp, ustack::UdpLayer& udp) : tcp_(tcp), udp_(udp) {}
  ReadinessHub(const ReadinessHub&) = delete;
  ReadinessHub& operator=(const ReadinessHub&) = delete;

  // `w` watches socket `s`, which is the transport socket `h` (TCP or UDP). Idempotent.
  void watch(Watcher& w, socket& s, bool tcp, ustack::SocketHandle h);
  void unwatch(Watcher& w, socket& s);

  // Takes both transports' ready lists and calls changed() on every watcher of a listed socket.
  void drain();

  // Called by usocket::socket (cheap when nobody watches it: one hash lookup).
  void touched(socket& s);  // a user call changed readiness without a transport event (close)
  void moved(socket& from, socket& to);
  void destroyed(socket& s);

  // For tests: how many handles the last drain() took from the transports.
  std::size_t last_drained() const { return last_drained_; }

 private:
  struct Watch {
    Watcher* w;
    socket* s;
  };
  struct Watched {
    bool tcp;
    ustack::SocketHandle h;
    std::vector<Watcher*> watchers;  // usually one
  };
  static std::uint64_t key(ustack::SocketHandle h) {
    return (std::uint64_t{h.generation} << 32) | h.index;
  }
  // TCP and UDP handles come from different tables: the same key may name one of each.
  std::unordered_map<std::uint64_t, std::vector<Watch>>& by_handle(bool tcp) {
    return tcp ? tcp_watches_ : udp_watches_;
  }
  void notify(std::unordered_map<std::uint64_t, std::vector<Watch>>& map, ustack::SocketHandle h);

  ustack::TcpLayer& tcp_;
  ustack::UdpLayer& udp_;
  std::unordered_map<std::uint64_t, std::vector<Watch>> tcp_watches_;
  std::unordered_map<std::uint64_t, std::vector<Watch>> udp_watches_;
  std::unordered_map<socket*, Watched> sockets_;
  std::vector<ustack::SocketHandle> scratch_;  // reused by drain(): no allocation per poll
  std::size_t last_drained_ = 0;
};

}  // namespace usocket
