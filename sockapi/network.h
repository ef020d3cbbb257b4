// usocket::Network: one running ustack instance (its Stack, TCP and UDP layers, DNS resolver
// and the Runtime that drives them) as the usocket API sees it.
//
// The model is MicroPython's: no background thread. A blocking socket call runs the network's
// event loop on the calling thread (Runtime::run_until) until the socket is ready or its
// timeout passes; a call that queued work (send, connect, close) wakes the loop so the packets
// go out without waiting for unrelated traffic. A program with threads lets one thread own a
// network and hands it work (see README "usocket").
//
// Three ways to get one:
//   Network::open({"--netns", "demo", "--tun", "ust0", "--addr", "198.18.0.2/24"})
//       the CLI's device options, on a real TUN/TAP device (AsioRuntime, wall-clock time);
//   Network::in_memory(lab, {"--addr", "198.18.0.2/24"})
//       on an in-memory link in virtual time (FakeRuntime): for tests, where a 5 s timeout
//       takes no wall time; two networks on one VirtualLab talk to each other;
//   Network::over(parts)
//       over a Stack and layers the caller built and owns (embedding ustack in an app).
//
// Network is a cheap handle (shared ownership): sockets keep their network alive. The first
// network made is the default for module-level calls (usocket::socket(), getaddrinfo());
// set_default() changes it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stack/base/function_ref.h"
#include "stack/base/time.h"
#include "stack/runtime.h"

namespace ustack {
class Stack;
class TcpLayer;
class UdpLayer;
class Resolver;
class FakeRuntime;
class Pollable;
class Link;
struct LinkConfig;
}  // namespace ustack

namespace usocket {

// What sockets use. References stay valid for the network's lifetime.
struct NetworkParts {
  ustack::Stack& stack;
  ustack::TcpLayer& tcp;
  ustack::UdpLayer& udp;
  ustack::Resolver& resolver;
  ustack::Runtime& runtime;
};

class VirtualLab;
class ReadinessHub;

class Network {
 public:
  // Throws OSError(EINVAL) naming the bad option ("--mtu 70000 out of range (68..65535)"), or
  // OSError(errno) when the device cannot be set up ("device ust0 is busy ...").
  static Network open(const std::vector<std::string>& device_args);
  // Accepts the address options only (--addr, --peer, --gw, --mtu, --seed, --nameserver,
  // --hosts); device options (--tun, --netns ...) are an error.
  static Network in_memory(VirtualLab& lab, const std::vector<std::string>& args);
  // `keep_alive` is held as long as the network (owns what `parts` refers to, or null).
  static Network over(NetworkParts parts, std::shared_ptr<void> keep_alive = nullptr);

  const NetworkParts& parts() const;
  ustack::Runtime& runtime() const { return parts().runtime; }
  ustack::Instant now() const { return runtime().now(); }

  // Runs the loop until ready() or the timeout (nullopt = none) passes.
  ustack::Runtime::RunResult wait(ustack::FunctionRef<bool()> ready,
                                  ustack::Instant deadline) const {
    return runtime().run_until(ready, deadline);
  }

  // The single reader of the transports' pushed readiness, shared by every uselect poller on
  // this network (sockapi/readiness_hub.h).
  ReadinessHub& readiness() const;

  bool operator==(const Network& o) const { return impl_ == o.impl_; }

  struct Impl;

 private:
  friend Network default_network();
  friend void set_default(const Network& n);
  explicit Network(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// The network module-level calls use: the one set_default() chose, else the first one made.
// Throws OSError(ENETDOWN) "no network: call usocket::Network::open() first" when none exists.
Network default_network();
void set_default(const Network& n);

// A virtual-time world for Network::in_memory: one FakeRuntime shared by its networks and one
// point-to-point link between the first two networks made on it (a third is an error). It
// must outlive its networks and their sockets (declare it first).
class VirtualLab {
 public:
  VirtualLab();
  explicit VirtualLab(const ustack::LinkConfig& link);
  ~VirtualLab();
  VirtualLab(const VirtualLab&) = delete;
  VirtualLab& operator=(const VirtualLab&) = delete;

  ustack::FakeRuntime& runtime() { return *runtime_; }
  ustack::Link& link() { return *link_; }
  // Moves virtual time forward, delivering and firing what is due on the way.
  void advance(ustack::Duration d);

 private:
  friend class Network;
  std::unique_ptr<ustack::FakeRuntime> runtime_;
  std::unique_ptr<ustack::Link> link_;
  std::unique_ptr<ustack::Pollable> link_pollable_;  // tells virtual time when a packet lands
  int networks_ = 0;
};

}  // namespace usocket
