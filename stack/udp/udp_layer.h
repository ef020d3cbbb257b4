// The UDP layer: every UDP socket of a Stack, the demultiplexer, and the user API
// (RFC 768, RFC 1122 §4.1, RFC 8085 guidance; Linux udp(7) where the RFCs leave room).
//
// Implements Transport, so the Stack hands it every UDP datagram addressed to us (unicast,
// our broadcasts, and multicast groups some socket joined) and every ICMP error quoting one of
// ours. Sockets live in a generation-checked slot table (SocketHandle). Unicast demux is a hash
// lookup: connected sockets by 4-tuple, then bound sockets by local port; broadcast and
// multicast go to every matching socket. Readiness changes are pushed into a ReadyList.
//
// Sockets exist before they bind or connect (socket(), then bind/connect/sendto), like every
// socket API. Unlike TCP's user calls, send_to() sends at once through the IpSender it is
// given (a datagram has no state to keep), so its errors are synchronous, as in Linux:
// EMSGSIZE, EACCES (broadcast without SO_BROADCAST), ENETUNREACH, EDESTADDRREQ.
// Errors are values (UdpError) that sockapi maps to errno.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/function_ref.h"
#include "stack/base/random.h"
#include "stack/base/result.h"
#include "stack/base/time.h"
#include "stack/port_allocator.h"
#include "stack/ready_list.h"
#include "stack/socket_table.h"
#include "stack/tracer.h"
#include "stack/transport.h"

namespace ustack {

struct UdpRepr;

// Errors of the UDP user API, each with the errno Linux gives for it.
enum class UdpError : std::uint8_t {
  kWouldBlock,           // EAGAIN: nothing to receive
  kBadHandle,            // EBADF: stale or unknown handle
  kInvalid,              // EINVAL: bind twice, wrong family, bad option value
  kAddressInUse,         // EADDRINUSE
  kAddressNotAvailable,  // EADDRNOTAVAIL: bind to an address that is not ours; no free port
  kFamilyMismatch,       // EAFNOSUPPORT: an IPv4 address on an IPv6 socket or back
  kDestinationRequired,  // EDESTADDRREQ: send() on an unconnected socket
  kNotConnected,         // ENOTCONN: getpeername / recv-from-peer on an unconnected socket
  kMessageTooBig,        // EMSGSIZE: over 65507 (v4) / 65527 (v6) bytes, or PMTUDISC_DO
  kAccessDenied,         // EACCES: broadcast without SO_BROADCAST
  kNetUnreachable,       // ENETUNREACH: no route / no source address
  kConnectionRefused,    // ECONNREFUSED: ICMP port unreachable for a connected socket
  kHostUnreachable,      // EHOSTUNREACH: ICMP administratively prohibited (connected)
  kNoBuffers,            // ENOBUFS: the device refused the packet
};
const char* to_string(UdpError e);  // "would block", "address in use", ...

// Socket options (setsockopt); the defaults are Linux's.
struct UdpSocketOptions {
  std::size_t recv_buffer = 212992;  // SO_RCVBUF (net.core.rmem_default), payload bytes
  bool broadcast = false;            // SO_BROADCAST
  bool reuse_addr = false;           // SO_REUSEADDR
  bool reuse_port = false;           // SO_REUSEPORT
  IpSendOptions ip;                  // IP_TTL, IP_TOS, IP_MTU_DISCOVER, IP_MULTICAST_TTL/LOOP
  // IP_RECVERR / IPV6_RECVERR: every ICMP error about a datagram this socket sent becomes its
  // pending error, soft ones (net/host unreachable) and on an unconnected socket too, with the
  // endpoint it concerns (take_error_report, like reading MSG_ERRQUEUE). Without it only hard
  // errors reach only connected sockets (Linux's default).
  bool recv_errors = false;
  // IP_MULTICAST_IF / IPV6_MULTICAST_IF: the source address for datagrams to a group
  // (unspecified: the route's choice).
  IpAddr multicast_source;
};

// Where a datagram came from or goes to.
struct UdpEndpoint {
  IpAddr addr;
  std::uint16_t port = 0;
  bool operator==(const UdpEndpoint&) const = default;
};

// What recv_from() returns about the datagram it read.
struct UdpRecvInfo {
  std::size_t size = 0;       // bytes copied into the caller's buffer
  std::size_t full_size = 0;  // the datagram's length (> size: truncated, MSG_TRUNC)
  UdpEndpoint from;
  IpAddr local;  // the destination address it was sent to (IP_PKTINFO)
  // The destination port it was sent to (IP_RECVORIGDSTADDR): the socket's own port, except
  // on a catch-all socket (set_catch_all).
  std::uint16_t local_port = 0;
};

struct UdpReadiness {
  bool readable = false;  // a datagram (or an error) is waiting
  bool writable = true;   // always: a datagram is sent at once or refused
  bool error = false;     // a pending error (ICMP port unreachable on a connected socket)
};

// Like `netstat -su`: every drop counted with its reason.
struct UdpLayerCounters {
  std::uint64_t in_datagrams = 0;   // delivered to at least one socket
  std::uint64_t out_datagrams = 0;  // sent
  std::uint64_t no_ports = 0;       // no socket: ICMP port unreachable (unicast)
  std::uint64_t drops_bad_checksum = 0;
  std::uint64_t drops_malformed = 0;        // truncated, bad length, zero checksum on IPv6
  std::uint64_t drops_rcvbuf_full = 0;      // drops.udp_rcvbuf_full (SO_RCVBUF)
  std::uint64_t icmp_errors_delivered = 0;  // became a socket error (connected sockets)
  std::uint64_t icmp_errors_ignored = 0;    // no connected socket for the quoted datagram
  std::uint64_t send_errors = 0;            // send_to refused (no route, too big, EACCES)
  // Broadcast/multicast datagrams no socket wanted (Linux UDP_MIB_IGNOREDMULTI): never
  // answered with port unreachable (RFC 1122 §4.1.3.1), so not in no_ports.
  std::uint64_t ignored_multi = 0;

  // netstat -s style, in the format of Counters::to_string: "Udp:" then "    <n> <name>"
  // lines, the drops (drops.udp_*) last under "Drops:". Zero counters only if asked.
  std::string to_string(bool include_zero = false) const;
};

struct UdpLayerConfig {
  std::uint64_t seed = 1;  // ephemeral ports (RFC 6056) and SO_REUSEPORT's hash key
  std::uint16_t ephemeral_low = 32768;
  std::uint16_t ephemeral_high = 60999;
  // Sockets' defaults (SO_RCVBUF etc.).
  UdpSocketOptions defaults;
};

class UdpLayer final : public Transport {
 public:
  // Largest payload of one datagram: 65535 - 20 (IPv4 header) - 8; IPv6: 65535 - 8.
  static constexpr std::size_t kMaxPayloadV4 = 65507;
  static constexpr std::size_t kMaxPayloadV6 = 65527;

  explicit UdpLayer(const UdpLayerConfig& config, Tracer* tracer = nullptr);
  ~UdpLayer() override;
  UdpLayer(const UdpLayer&) = delete;
  UdpLayer& operator=(const UdpLayer&) = delete;

  // --- Transport ---------------------------------------------------------------------------
  IpProto protocol() const override { return IpProto::kUdp; }
  RxVerdict on_packet(Instant now, const IpRxMeta& meta, Bytes payload, IpSender& out) override;
  bool on_icmp_error(Instant now, const IcmpError& err, IpSender& out) override;
  void poll(Instant now, IpSender& out) override {}
  Instant poll_at() const override { return Instant::never(); }

  // --- User API ------------------------------------------------------------------------------
  // socket(AF_INET or AF_INET6, SOCK_DGRAM). IPv6 sockets are IPV6_V6ONLY (no v4-mapped).
  SocketHandle open(IpVersion family);
  // bind(): `local` unspecified = every address of the family; port 0 = an ephemeral port.
  // kAddressNotAvailable if `local` is not ours (nor a multicast address), kAddressInUse per
  // Linux's rules (SO_REUSEADDR on both, or SO_REUSEPORT on both), kInvalid if already bound.
  std::optional<UdpError> bind(SocketHandle h, const IpAddr& local, std::uint16_t port,
                               const IpSender& ip);
  // connect(): sets the default destination and receives only from it; binds first if needed
  // (the route's source address, an ephemeral port), like Linux's autobind.
  std::optional<UdpError> connect(SocketHandle h, const IpAddr& remote, std::uint16_t port,
                                  const IpSender& ip);
  // connect(AF_UNSPEC): dissolves the association; a local address chosen by connect() is
  // forgotten (an explicit bind() address stays), the port stays.
  std::optional<UdpError> disconnect(SocketHandle h);
  // sendto() (`to` given) or send() (connected). Binds an unbound socket to an ephemeral
  // port first. Returns the payload size sent.
  Result<std::size_t, UdpError> send_to(Instant now, SocketHandle h, Bytes data,
                                        std::optional<UdpEndpoint> to, IpSender& out);
  // Catch-all (transparent) socket, for a gateway relaying the datagrams its clients send
  // anywhere (Linux IP_TRANSPARENT with TPROXY): bound socket `h` also receives every unicast
  // datagram of its family, to any address and port, that no other socket takes (the Stack
  // must deliver them: StackConfig::transparent); recv_from() tells where each was sent
  // (local, local_port), and send_as() answers from there. One per family.
  std::optional<UdpError> set_catch_all(SocketHandle h);
  // sendto() from `from` (any address and port, as IP_TRANSPARENT allows): catch-all sockets
  // only (kInvalid otherwise).
  Result<std::size_t, UdpError> send_as(Instant now, SocketHandle h, Bytes data,
                                        const UdpEndpoint& from, const UdpEndpoint& to,
                                        IpSender& out);
  // recvfrom(): the oldest datagram, truncated to `out` (the rest is discarded, as with
  // MSG_TRUNC semantics). A pending error is returned (once) before any datagram.
  Result<UdpRecvInfo, UdpError> recv_from(SocketHandle h, MutBytes out);
  // MSG_PEEK: the size and sender of the oldest datagram without taking it. A pending error
  // is reported but left for the next recv_from/send_to/take_error (the call is const).
  Result<UdpRecvInfo, UdpError> peek(SocketHandle h) const;
  // Leaves every group and frees the socket; the handle becomes stale.
  std::optional<UdpError> close(Instant now, SocketHandle h, IpSender& ip);

  // IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP and their drops. A socket receives a group's
  // datagrams only if it joined the group (and is bound to its port on the any address or the
  // group address). kInvalid if `group` is not multicast or of the other family;
  // kAddressInUse for a second join of the same group.
  std::optional<UdpError> join_group(Instant now, SocketHandle h, const IpAddr& group,
                                     IpSender& ip);
  std::optional<UdpError> leave_group(Instant now, SocketHandle h, const IpAddr& group,
                                      IpSender& ip);

  Result<UdpSocketOptions, UdpError> options(SocketHandle h) const;
  // setsockopt(): replaces the options; reuse flags only before bind (kInvalid after).
  std::optional<UdpError> set_options(SocketHandle h, const UdpSocketOptions& opts);

  // SO_ERROR: takes the pending error, if any.
  std::optional<UdpError> take_error(SocketHandle h);
  // The pending error and the remote endpoint of the datagram it is about (IP_RECVERR's
  // sock_extended_err + offender); takes it like take_error().
  struct ErrorReport {
    UdpError error;
    UdpEndpoint remote;
  };
  std::optional<ErrorReport> take_error_report(SocketHandle h);
  UdpReadiness readiness(SocketHandle h) const;
  // getsockname(): unspecified address / port 0 while unbound.
  Result<UdpEndpoint, UdpError> local_endpoint(SocketHandle h) const;
  // getpeername(): kNotConnected unless connected.
  Result<UdpEndpoint, UdpError> remote_endpoint(SocketHandle h) const;
  // Payload bytes (of every datagram) and datagrams waiting. Linux's SIOCINQ gives the first
  // datagram's size only: that is peek()'s full_size.
  std::size_t queued_bytes(SocketHandle h) const;
  std::size_t queued_datagrams(SocketHandle h) const;

  // Sockets whose readiness changed since the last drain (datagram or error arrived).
  void take_ready(std::vector<SocketHandle>& out) { ready_.own().drain(out); }
  bool any_ready() const { return !ready_.own().empty(); }
  // Another reader of the same marks (stack/ready_list.h): `l` gets every mark until
  // unsubscribed. Each reader drains its own list; take_ready() is the layer's own.
  void subscribe_ready(ReadyList& l) { ready_.subscribe(l); }
  void unsubscribe_ready(ReadyList& l) { ready_.unsubscribe(l); }

  const UdpLayerCounters& counters() const { return counters_; }
  // Whether a socket is bound to local `port` (on any address).
  bool holds_port(std::uint16_t port) const { return by_port_.contains(port); }
  // `o` (may be null) is told when a local port gets its first bound socket and loses its
  // last (FlowKey with proto kUdp and only local_port set).
  void set_flow_observer(FlowObserver* o) { flow_observer_ = o; }
  std::size_t socket_count() const { return table_.size(); }

 private:
  // A connected socket's association, the key of connected_ (local is a specific address
  // once connected: the one bind() named, else the route's source).
  struct Tuple {
    IpAddr local, remote;
    std::uint16_t local_port = 0, remote_port = 0;
    bool operator==(const Tuple&) const = default;
  };
  // Keyed (SipHash) so a peer cannot choose tuples that collide in connected_.
  struct TupleHash {
    SipKey key;
    std::size_t operator()(const Tuple& t) const;
  };
  struct Datagram {
    UdpEndpoint from;
    IpAddr local;
    std::uint16_t local_port = 0;
    ByteVec payload;
  };
  struct Socket {
    IpVersion family = IpVersion::kV4;
    UdpSocketOptions opts;
    IpAddr local;                       // unspecified: any address of the family
    std::uint16_t port = 0;             // 0: unbound
    bool bound_explicitly = false;      // bind() named the local address (kept on disconnect)
    std::optional<UdpEndpoint> remote;  // connected
    std::vector<IpAddr> groups;
    std::deque<Datagram> queue;
    std::size_t queued_bytes = 0;
    std::optional<UdpError> pending_error;
    UdpEndpoint error_remote;      // whom pending_error is about
    std::uint64_t bind_order = 0;  // later binds win unicast ties under SO_REUSEADDR
  };

  // udp_bind.cc: Linux's bind rules (udp_lib_lport_inuse), ephemeral ports, the hash tables.
  bool bind_conflict(SocketHandle self, const Socket& s, const IpAddr& local,
                     std::uint16_t port) const;
  std::optional<UdpError> bind_to(SocketHandle h, Socket& s, const IpAddr& local,
                                  std::uint16_t port);
  std::optional<UdpError> autobind(SocketHandle h, Socket& s);
  void set_remote(SocketHandle h, Socket& s, std::optional<UdpEndpoint> remote);
  void unhash(SocketHandle h, Socket& s);

  // udp_demux.cc: the receive path.
  // The socket of `list` with the highest score(socket) > 0: among ties, one picked by the
  // SO_REUSEPORT hash of `t` if they all set it, else the most recently bound (Linux).
  SocketHandle select(const std::vector<SocketHandle>& list, const Tuple& t,
                      FunctionRef<int(const Socket&)> score) const;
  SocketHandle lookup_unicast(const Tuple& t) const;
  bool deliver_to_group(Instant now, const IpRxMeta& meta, const UdpRepr& dgram);
  bool enqueue(Instant now, SocketHandle h, Socket& s, const IpRxMeta& meta, const UdpRepr& dgram);
  void trace_drop(Instant now, const char* what, const Tuple& t, std::size_t len) const;
  ByteVec take_buffer();
  void recycle(ByteVec&& buffer);

  // udp_layer.cc: the send path.
  Result<IpAddr, UdpError> source_for(const Socket& s, const IpAddr& dst, const IpSender& ip) const;
  // The datagram out: `src`:`src_port` to `dst`, counted.
  bool emit(Instant now, const Socket& s, const IpAddr& src, std::uint16_t src_port,
            const UdpEndpoint& dst, Bytes data, IpSender& out);
  std::optional<UdpError> check_destination(const Socket& s, const UdpEndpoint& to, std::size_t len,
                                            const IpSender& ip) const;

  UdpLayerConfig cfg_;
  Tracer* tracer_;
  PortAllocator ports_{SipKey{}, 0, 0, 0};  // set in the constructor
  Rng port_rng_{0};                         // ephemeral port choice (seeded)
  SipKey reuseport_key_;
  SlotTable<Socket> table_;
  // Sockets by local port (every bound socket), for demux and bind rules.
  std::unordered_map<std::uint16_t, std::vector<SocketHandle>> by_port_;
  FlowObserver* flow_observer_ = nullptr;
  // Connected sockets by 4-tuple (several only with SO_REUSEADDR/SO_REUSEPORT).
  std::unordered_map<Tuple, std::vector<SocketHandle>, TupleHash> connected_;
  ReadyFeed ready_;
  UdpLayerCounters counters_;
  std::uint64_t next_bind_order_ = 0;
  // Payload buffers of datagrams already read, reused by the next ones (no allocation per
  // datagram in steady state).
  std::vector<ByteVec> spare_buffers_;
  // The catch-all socket of each family (IPv4, IPv6), set_catch_all.
  SocketHandle catch_all_[2];
};

}  // namespace ustack
