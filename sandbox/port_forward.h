// PortForwarder: `--publish` and the API's add_hostfwd (issue 13 item 2). Each forward is a
// host socket in the namespace ustack runs in, listening on HOSTADDR:HOSTPORT, whose clients
// are relayed to the sandbox's GUESTADDR:GUESTPORT with their own address as the source the
// guest sees (publish_spec.h, forward_source()):
//
// TCP: each accepted host connection makes ustack open a connection to the guest *from the
// client's address and port* (TcpLayer::connect with that local endpoint; the transparent
// Stack takes the guest's answers to it). Once the guest accepts, the pair goes to TcpRelay
// (adopt()), which copies both ways and maps half-close and resets; if the guest refuses (RST)
// or never answers, the host connection is reset. A 4-tuple ustack cannot use (held by another
// connection) falls back to the gateway's address and an ephemeral port.
//
// UDP: each client (host address and port) is a flow: its datagrams are sent to the guest
// from the client's endpoint (UdpRelay::send_to_guest), and the guest's datagrams to that
// endpoint from GUESTADDR:GUESTPORT (UdpRelay's guest filter) go back to the client from the
// forward's socket, from the address the client wrote to (IP_PKTINFO / IPV6_PKTINFO: a
// forward on 0.0.0.0 answers from the client's destination, not from the route's choice). A
// flow idle for the UDP timeout is forgotten. Each client is a flow of --max-flows from its
// first datagram until it is forgotten; a new client's datagrams beyond the cap are dropped.
// Clients shown as the gateway (loopback, other family) get a port of the gateway of their own.
//
// Removing a forward closes its host socket: connections already relayed go on (as with
// slirp4netns), its UDP flows end.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/api_server.h"
#include "sandbox/host_watch.h"
#include "sandbox/publish_spec.h"
#include "sandbox/tcp_relay.h"
#include "sandbox/udp_relay.h"
#include "stack/base/bytes.h"
#include "stack/tcp/tcp_layer.h"

namespace ustack::sandbox {

struct PortForwarderCounters {
  std::uint64_t tcp_accepted = 0;           // host connections accepted
  std::uint64_t tcp_connected = 0;          // ... whose guest connection opened (relayed)
  std::uint64_t tcp_refused = 0;            // ... whose guest connection failed: host side reset
  std::uint64_t tcp_refused_max_flows = 0;  // ... reset at once: --max-flows flows open
  std::uint64_t source_preserved = 0;       // clients shown to the guest with their own address
  std::uint64_t source_gateway = 0;         // ... as the gateway
  std::uint64_t udp_flows = 0;              // UDP clients seen
  std::uint64_t udp_to_guest = 0, udp_to_host = 0;  // datagrams
  std::uint64_t udp_expired = 0;
  std::uint64_t udp_refused_max_flows = 0;  // datagrams of new clients dropped: --max-flows
  std::uint64_t errors = 0;  // host socket errors (accept, send) and datagrams not sent
};

class PortForwarder final : public HostfwdTable {
  // A guest connection still in its handshake: the SYN sent, the host connection waiting.
  static constexpr Duration kConnectTimeout = Duration::seconds(75);

 public:
  PortForwarder(TcpLayer& tcp, IpSender& ip, tun::AsioRuntime& runtime, const SandboxLayout& layout,
                TcpRelay& tcp_relay, UdpRelay& udp_relay, Duration udp_idle_timeout);
  ~PortForwarder() override;
  PortForwarder(const PortForwarder&) = delete;
  PortForwarder& operator=(const PortForwarder&) = delete;

  // HostfwdTable: ids count from 1 in the order forwards are added (--publish first).
  std::optional<int> add(const ForwardSpec& spec, std::string& error) override;
  bool remove(int id) override;
  std::vector<Entry> list() const override;

  // Forgets the UDP clients idle for longer than the UDP timeout: before any relay's step().
  void expire_idle();
  void step();
  const PortForwarderCounters& counters() const { return counters_; }
  std::string counters_text() const;

 private:
  struct UdpClient {
    Endpoint source;  // what the guest sees: the client's endpoint, or a gateway port
    IpAddr local;     // the address the client wrote to: replies come from it (IP_PKTINFO)
    Instant last_used;
  };
  struct Forward {
    ForwardSpec spec;
    std::unique_ptr<HostWatch> sock;        // listening (TCP) or bound (UDP)
    std::map<Endpoint, UdpClient> clients;  // UDP, by the client's endpoint
  };
  struct Pending {
    SocketHandle guest;
    std::unique_ptr<HostWatch> host;
    Instant since;
  };
  using UdpKey = std::pair<Endpoint, Endpoint>;  // source shown to the guest, guest endpoint

  void accept_tcp(Instant now, const Forward& f);
  void finish_pending(Instant now);
  void read_udp(Instant now, int id, Forward& f);
  // The guest's datagram `from` -> `to`: a reply to a UDP client of a forward?
  bool reply_from_guest(Instant now, const Endpoint& from, const Endpoint& to, Bytes payload);
  Endpoint udp_source(const Forward& f, const Endpoint& client);
  void forget_udp_client(const Forward& f, const UdpClient& c);

  TcpLayer& tcp_;
  IpSender& ip_;
  tun::AsioRuntime& runtime_;
  SandboxLayout layout_;
  TcpRelay& tcp_relay_;
  UdpRelay& udp_relay_;
  Duration udp_idle_timeout_;
  int next_id_ = 1;
  std::map<int, Forward> forwards_;
  std::vector<Pending> pending_;
  std::map<UdpKey, std::pair<int, Endpoint>> udp_replies_;  // -> forward id, client
  std::uint16_t next_gateway_port_ = 0;
  ByteVec buf_;
  PortForwarderCounters counters_;
};

}  // namespace ustack::sandbox
