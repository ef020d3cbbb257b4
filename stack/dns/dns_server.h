// A small authoritative DNS server over the stack's own UDP and TCP: what
// `ustack serve dns:PORT` runs, and the peer of the resolver's tests.
//
// A Pollable, like the Resolver: add it to the Stack that owns the UdpLayer and TcpLayer
// (Stack::add_poller). Answers come from a DnsZoneSet (zone.h): AA set, NXDOMAIN/NODATA with
// the SOA, REFUSED outside every zone, and over UDP the TC bit when the answer does not fit
// the requester's EDNS payload size (or 512). TCP follows RFC 7766: 2-byte length framing,
// several queries per connection (answered in order), messages split across segments, an
// idle timeout (§6.2.3), and a cap on connections.
//
// Requests that are not queries (QR set) are dropped without an answer (so two servers cannot
// loop); a request that does not parse but has a header gets FORMERR (RFC 1035 §4.1.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/time.h"
#include "stack/dns/zone.h"
#include "stack/pollable.h"
#include "stack/socket_table.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/transport.h"
#include "stack/udp/udp_layer.h"

namespace ustack {

struct DnsServerConfig {
  // Addresses to listen on; empty = 0.0.0.0 and :: (every address of both families).
  std::vector<IpAddr> addresses;
  std::uint16_t port = 53;
  std::size_t max_tcp_connections = 64;
  Duration tcp_idle_timeout = Duration::seconds(10);
};

struct DnsServerCounters {
  std::uint64_t udp_queries = 0;
  std::uint64_t tcp_queries = 0;
  std::uint64_t tcp_connections = 0;
  std::uint64_t truncated = 0;  // UDP answers sent with TC
  std::uint64_t nxdomain = 0;
  std::uint64_t refused = 0;
  std::uint64_t formerr = 0;
  std::uint64_t tcp_idle_closes = 0;
  std::uint64_t tcp_refused = 0;      // over max_tcp_connections
  std::uint64_t drops_malformed = 0;  // not even a header
  std::uint64_t drops_response = 0;   // QR set: never answered
  std::uint64_t send_errors = 0;
};

class DnsServer final : public Pollable {
 public:
  DnsServer(DnsServerConfig config, DnsZoneSet zones, UdpLayer& udp, TcpLayer& tcp, IpSender& ip);
  ~DnsServer() override;
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Opens the UDP sockets and TCP listeners; what went wrong ("UDP 0.0.0.0:53: address in
  // use") on failure, with nothing left open.
  std::optional<std::string> start(Instant now);
  bool poll(Instant now) override;
  Instant poll_at() const override;

  const DnsServerCounters& counters() const { return counters_; }
  const DnsZoneSet& zones() const { return zones_; }

 private:
  struct Conn {
    SocketHandle sock;
    ByteVec in;
    ByteVec out;
    Instant last_activity;
    bool eof = false;
  };
  bool poll_udp(Instant now, SocketHandle h);
  bool accept_connections(Instant now, SocketHandle listener);
  // Reads, answers and writes; false when the connection is finished and closed.
  bool service(Instant now, Conn& c, bool& any);
  // The answer to one request, or nothing (drop).
  std::optional<DnsMessage> respond(Bytes request, bool udp);
  void stop(Instant now);

  DnsServerConfig cfg_;
  DnsZoneSet zones_;
  UdpLayer& udp_;
  TcpLayer& tcp_;
  IpSender& ip_;
  std::vector<SocketHandle> udp_socks_;
  std::vector<SocketHandle> listeners_;
  std::vector<Conn> conns_;
  DnsServerCounters counters_;
  ByteVec rx_buf_;
};

}  // namespace ustack
