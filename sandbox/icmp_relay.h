// IcmpRelay: ping from the sandbox, relayed through the host's unprivileged ICMP sockets.
//
// The Stack queues the guest's echo requests to far addresses (StackConfig::relay_echo). Each
// (guest address, destination, identifier) is a flow with its own ICMP socket
// (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) / AF_INET6 + IPPROTO_ICMPV6, allowed when the
// process's group is in net.ipv4.ping_group_range) connected to the destination: the kernel
// sends the request with an identifier of its own and gives back only the replies to it, from
// which the guest gets an echo reply from the destination with its own identifier and the
// reply's sequence number and data. If the host refuses ICMP sockets, requests are counted and
// dropped (ping in the sandbox sees no reply, as behind a firewall). Flows idle for
// `idle_timeout` are closed; --max-flows and the host-itself rule apply as to UDP.
#pragma once

#include <map>
#include <memory>
#include <tuple>

#include "sandbox/counter_text.h"
#include "sandbox/flow_budget.h"
#include "sandbox/host_watch.h"
#include "sandbox/layout.h"
#include "stack/base/bytes.h"
#include "stack/stack.h"

namespace ustack::sandbox {

struct IcmpRelayCounters {
  RefusedCounters refused;                  // by route_flow and --max-flows
  std::uint64_t requests = 0, replies = 0;  // echo requests taken, replies passed back
  std::uint64_t flows_opened = 0, flows_expired = 0;
  std::uint64_t no_icmp_sockets = 0;  // the host does not allow ICMP sockets: dropped
  std::uint64_t host_errors = 0;      // send or receive failed (dropped)
};

class IcmpRelay {
 public:
  IcmpRelay(Stack& ip, tun::AsioRuntime& runtime, const SandboxLayout& layout, FlowBudget& budget,
            Duration idle_timeout);
  ~IcmpRelay();
  IcmpRelay(const IcmpRelay&) = delete;
  IcmpRelay& operator=(const IcmpRelay&) = delete;

  // Closes the flows idle for longer than the idle timeout (flow_budget.h's expire_flows):
  // called before any relay's step().
  void expire_idle();
  void step();
  std::size_t flows() const { return flows_.size(); }
  const IcmpRelayCounters& counters() const { return counters_; }
  std::string counters_text() const;

 private:
  struct Flow {
    IpAddr guest, dst;
    std::uint16_t ident = 0;  // the guest's
    std::unique_ptr<HostWatch> host;
    Instant last_used;
  };
  using Key = std::tuple<IpAddr, IpAddr, std::uint16_t>;  // guest, dst, ident

  void from_guest(Instant now, const RelayedEcho& e);
  void from_host(Instant now, Flow& f);
  Flow* flow_for(Instant now, const RelayedEcho& e);

  Stack& ip_;
  tun::AsioRuntime& runtime_;
  SandboxLayout layout_;
  FlowBudget& budget_;
  Duration idle_timeout_;
  std::map<Key, std::unique_ptr<Flow>> flows_;
  ByteVec buf_;
  IcmpRelayCounters counters_;
};

}  // namespace ustack::sandbox
