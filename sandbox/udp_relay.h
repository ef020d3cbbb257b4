// UdpRelay: the datagrams the sandbox sends anywhere are relayed through host UDP sockets.
//
// A catch-all UDP socket (UdpLayer::set_catch_all) receives every datagram of the guest that no
// other socket takes, with the address and port it was sent to. Each (guest endpoint,
// destination) pair is a flow with its own connected host socket, so replies come back to that
// socket only (a full-cone NAT's mapping, as slirp4netns keeps it); they are sent to the guest
// from the destination it wrote to (send_as). DNS to the sandbox's DNS address goes to the
// upstream resolver the same way (host_destination). A flow idle for `idle_timeout` is closed
// (at the next batch after that).
//
// Errors map back as ICMP: a host socket that reports ECONNREFUSED (the far host's ICMP port
// unreachable) sends the guest a port unreachable about its datagram, EHOSTUNREACH /
// ENETUNREACH a host / net unreachable, as a router would. A datagram to a closed address of
// ours, to the host itself (without --allow-host-loopback) or beyond --max-flows is dropped
// and counted; the first two also get a port unreachable, as a closed port does.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <utility>

#include "sandbox/counter_text.h"
#include "sandbox/flow_budget.h"
#include "sandbox/host_watch.h"
#include "sandbox/layout.h"
#include "stack/base/bytes.h"
#include "stack/stack.h"
#include "stack/udp/udp_layer.h"

namespace ustack::sandbox {

struct UdpRelayCounters {
  RefusedCounters refused;  // by route_flow and --max-flows
  std::uint64_t flows_opened = 0, flows_expired = 0;
  std::uint64_t to_host = 0, to_guest = 0;  // datagrams
  std::uint64_t icmp_to_guest = 0;          // host errors passed on as ICMP unreachable
  std::uint64_t host_errors = 0;            // the host socket refused a send or reported an error
};

class UdpRelay {
 public:
  static constexpr Duration kDefaultIdleTimeout = Duration::seconds(60);

  UdpRelay(UdpLayer& udp, Stack& ip, tun::AsioRuntime& runtime, const SandboxLayout& layout,
           FlowBudget& budget, Duration idle_timeout = kDefaultIdleTimeout);
  ~UdpRelay();
  UdpRelay(const UdpRelay&) = delete;
  UdpRelay& operator=(const UdpRelay&) = delete;

  // Closes the flows idle for longer than the idle timeout (flow_budget.h's expire_flows):
  // called before any relay's step().
  void expire_idle();
  void step();
  // Datagrams of the guest that belong to someone else (replies to a port forward's clients,
  // sandbox/port_forward.h): `filter` sees each one first and returns true if it took it.
  using GuestFilter =
      std::function<bool(Instant now, const Endpoint& guest, const Endpoint& dst, Bytes payload)>;
  void set_guest_filter(GuestFilter filter) { filter_ = std::move(filter); }
  // Sends `payload` to the guest at `to` from `from` (any address and port: the catch-all
  // socket's send_as). False if the stack could not send it.
  bool send_to_guest(Instant now, const Endpoint& from, const Endpoint& to, Bytes payload);
  std::size_t flows() const { return flows_.size(); }
  // The flow budget (--max-flows) shared with the other relays: a published port's UDP client
  // (port_forward.h) takes a unit of it too.
  FlowBudget& budget() { return budget_; }
  const UdpRelayCounters& counters() const { return counters_; }
  std::string counters_text() const;

 private:
  struct Flow {
    Endpoint guest;
    Endpoint dst;  // as the guest addressed it: replies come from here
    std::unique_ptr<HostWatch> host;
    Instant last_used;
  };
  using Key = std::pair<Endpoint, Endpoint>;  // guest, dst

  void from_guest(Instant now, SocketHandle sock);
  void from_host(Instant now, Flow& f);
  Flow* flow_for(Instant now, const Endpoint& guest, const Endpoint& dst);
  // ICMP `why` to the guest about a datagram of its from `guest` to `dst`.
  void unreachable(Instant now, Stack::Unreachable why, const Endpoint& guest, const Endpoint& dst);
  // A host socket error (errno) as ICMP to the guest, if it is one that maps.
  void host_error(Instant now, const Flow& f, int err);

  UdpLayer& udp_;
  Stack& ip_;
  tun::AsioRuntime& runtime_;
  FlowBudget& budget_;
  SandboxLayout layout_;
  Duration idle_timeout_;
  SocketHandle socks_[2];  // the catch-all sockets: IPv4, IPv6 (with --enable-ipv6)
  std::map<Key, std::unique_ptr<Flow>> flows_;
  ByteVec buf_;
  GuestFilter filter_;
  UdpRelayCounters counters_;
};

}  // namespace ustack::sandbox
