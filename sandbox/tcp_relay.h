// TcpRelay: every TCP connection the sandbox opens is terminated in ustack and relayed through
// a host socket.
//
// A catch-all listener (TcpLayer::set_catch_all with held SYNs) takes the guest's SYN to any
// address and port; the relay then connects a non-blocking host socket to where the flow goes
// (host_destination) and only once that connect succeeds has the SYN answered (SYN-ACK). A
// refused host connect refuses the SYN (RST: the guest's connect() says "Connection refused",
// as if it had reached the server itself); a host connect that fails otherwise answers the SYN
// with the ICMP error a Linux router sends (ENETUNREACH: net unreachable, EHOSTUNREACH,
// ETIMEDOUT and the rest: host unreachable; ICMPv6 no route / address unreachable), so the
// guest's connect() says "Network is unreachable" / "No route to host" at once, as with
// libslirp. Answering first and resetting later would tell the guest "connection reset" after
// a successful connect, which no client treats as "refused".
//
// Then bytes are copied both ways through one buffer per direction, and the ends map onto each
// other: the guest's FIN becomes shutdown(SHUT_WR) on the host socket, the host's EOF a FIN to
// the guest (half-close both ways); a guest RST closes the host socket with a RST (SO_LINGER
// 0), a host reset (ECONNRESET) aborts the guest's connection with a RST.
//
// Flow control: a direction reads its source only once what it read before has been taken by
// the other side (the host socket's send buffer, ustack's send buffer), so a flow holds at most
// `flow_buffer` bytes per direction here, and a slow reader stops its writer (TCP's window on
// the guest side, the kernel's on the host side). New flows beyond the FlowBudget
// (--max-flows) and flows to the host itself (route_flow's kHostBlocked) are refused (RST)
// and counted.
//
// step() runs after every batch of the runtime (AsioRuntime::on_iteration). It visits every
// flow.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

#include "sandbox/counter_text.h"
#include "sandbox/flow_budget.h"
#include "sandbox/host_watch.h"
#include "sandbox/layout.h"
#include "stack/base/bytes.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"

namespace ustack::sandbox {

struct TcpRelayCounters {
  RefusedCounters refused;            // by route_flow and --max-flows
  std::uint64_t syns = 0;             // held SYNs taken
  std::uint64_t refused_host = 0;     // the host connect was refused (RST)
  std::uint64_t unreachable = 0;      // ... or failed otherwise (ICMP unreachable)
  std::uint64_t connected = 0;        // host connect succeeded, SYN answered
  std::uint64_t opened = 0;           // handshake with the guest done
  std::uint64_t accept_timeouts = 0;  // ... or not within kAcceptTimeout
  std::uint64_t closed = 0;           // both directions ended
  std::uint64_t reset_by_guest = 0, reset_by_host = 0;
  std::uint64_t bytes_to_host = 0, bytes_to_guest = 0;
};

class TcpRelay {
 public:
  static constexpr unsigned kBacklog = 1024;  // held SYNs and accept queue
  static constexpr std::size_t kDefaultFlowBuffer = 256 * 1024;
  // A guest that never completes the handshake we answered: ustack gives its SYN-ACK up after
  // tcp_synack_retries (about 63 s); the flow and its host socket go a little later.
  static constexpr Duration kAcceptTimeout = Duration::seconds(75);

  TcpRelay(TcpLayer& tcp, Stack& ip, tun::AsioRuntime& runtime, const SandboxLayout& layout,
           FlowBudget& budget, std::size_t flow_buffer = kDefaultFlowBuffer);
  ~TcpRelay();
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  void step();
  // Takes over an established connection ustack opened toward the guest (a port forward,
  // sandbox/port_forward.h) and the host socket it serves: relayed from now on like the
  // connections the guest opens (copy, half-close and resets both ways). The caller took the
  // flow's budget unit; the relay gives it back when the flow ends.
  void adopt(SocketHandle guest, std::unique_ptr<HostWatch> host);
  // Closes the catch-all listeners: the SYNs still held unanswered get a RST at the Stack's
  // next poll (TcpLayer::close); SYNs arriving later are not taken.
  void close_listeners();
  std::size_t flows() const { return flows_.size(); }
  // The flow budget (--max-flows) shared with the other relays; a connection given to adopt()
  // must hold a unit of it, which the relay gives back when the flow ends.
  FlowBudget& budget() { return budget_; }
  const TcpRelayCounters& counters() const { return counters_; }
  std::string counters_text() const;

 private:
  enum class Phase : std::uint8_t { kConnecting, kAccepting, kOpen, kDone };
  struct Flow {
    TcpTuple tuple;  // local: where the guest wants to go; remote: the guest
    Phase phase = Phase::kConnecting;
    Instant answered_at;  // when the SYN was accepted (kAccepting)
    std::unique_ptr<HostWatch> host;
    SocketHandle sock;  // the guest's connection, once accepted
    ByteVec to_host;    // read from the guest, not yet written to the host
    std::size_t to_host_off = 0;
    ByteVec to_guest;  // read from the host, not yet taken by ustack
    std::size_t to_guest_off = 0;
    bool guest_eof = false, host_shut = false;  // guest's FIN seen / passed on
    bool host_eof = false, guest_shut = false;  // host's EOF seen / passed on as a FIN
  };

  void take_syns();
  void take_connections();
  void take_connections(SocketHandle listener);
  void finish_connect(Instant now, Flow& f);
  void pump(Flow& f);
  // Each returns false when the flow ended in a reset.
  bool guest_to_host(Flow& f);
  bool host_to_guest(Flow& f);
  // Writes as much of `data` as the host socket (ustack's send buffer) takes now: the count,
  // or nullopt when the flow ended in a reset.
  std::optional<std::size_t> send_host(Flow& f, Bytes data);
  std::optional<std::size_t> send_guest(Flow& f, Bytes data);
  void reset(Flow& f, bool by_guest);
  // The host connect for `t` failed with `err`: a RST for ECONNREFUSED, else ICMP.
  void connect_failed(const TcpTuple& t, int err);

  TcpLayer& tcp_;
  Stack& ip_;
  tun::AsioRuntime& runtime_;
  FlowBudget& budget_;
  SandboxLayout layout_;
  SocketHandle listeners_[2];  // IPv4, IPv6 (with --enable-ipv6)
  std::unordered_map<TcpTuple, std::unique_ptr<Flow>, TcpTupleHash> flows_;
  ByteVec scratch_;
  TcpRelayCounters counters_;
};

}  // namespace ustack::sandbox
