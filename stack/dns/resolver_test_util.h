// Test rigs for the resolver: two whole Stacks over an in-memory Link in virtual time, the
// resolver on one (198.18.0.1, fd00:1::1) and a DNS server on the other (198.18.0.2,
// fd00:1::2, port 5353): either the real DnsServer, or a ScriptedServer a test drives by hand
// for the hostile cases (spoofed, late, malformed answers).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "stack/dns/dns_server.h"
#include "stack/dns/resolver.h"
#include "stack/dns/zone.h"
#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/udp/udp_layer.h"

namespace ustack::dns_testing {

using namespace literals;

inline IpAddr ip(const char* s) { return *IpAddr::parse(s); }
inline DnsName name(const char* s) { return *DnsName::parse(s); }

inline const IpAddr kClient4 = ip("198.18.0.1");
inline const IpAddr kClient6 = ip("fd00:1::1");
inline const IpAddr kServer4 = ip("198.18.0.2");
inline const IpAddr kServer6 = ip("fd00:1::2");
inline const IpAddr kSpoofer4 = ip("198.18.0.3");  // a second address of the server's stack
inline const IpAddr kSilent4 = ip("198.18.0.9");   // on the link, nobody's: never answers
inline constexpr std::uint16_t kPort = 5353;

inline NameServer server4(std::uint16_t port = kPort) { return {kServer4, port}; }

inline ResolverConfig config_with(std::vector<NameServer> servers) {
  ResolverConfig c;
  c.nameservers = std::move(servers);
  return c;
}

// example.test: www (A, AAAA), an alias chain, a TXT-only name, 100 A records, a CNAME out
// of the zone into elsewhere.test (a second zone on the same server).
inline DnsZoneSet example_zones() {
  auto p = parse_zone_file(
      "$TTL 120\n"
      "www      A     198.18.0.9\n"
      "www      300 AAAA  fd00:1::9\n"
      "alias    60 CNAME www\n"
      "alias2   90 CNAME alias\n"
      "away     CNAME www.elsewhere.test.\n"
      "text     TXT   \"just text\"\n"
      "short    5 A   198.18.0.5\n",
      "example.test.");
  EXPECT_TRUE(p.warnings.empty());
  for (int i = 1; i <= 100; ++i) {
    EXPECT_FALSE(p.zone->add_host_record("many.example.test,10.0.0." + std::to_string(i)));
  }
  DnsZone elsewhere(name("elsewhere.test"));
  EXPECT_FALSE(elsewhere.add_host_record("www.elsewhere.test,198.18.0.77"));
  DnsZoneSet set;
  set.add(std::move(*p.zone));
  set.add(std::move(elsewhere));
  return set;
}

// The peer for hostile cases: every query it receives is recorded; the test answers with
// reply() when and how it likes (from the right socket, or another address or port).
class ScriptedServer final : public Pollable {
 public:
  struct Received {
    Instant at;
    DnsMessage query;
    UdpEndpoint from;
  };
  ScriptedServer(UdpLayer& udp, IpSender& ip, std::uint16_t port) : udp_(udp), ip_(ip) {
    sock_ = udp_.open(IpVersion::kV4);
    EXPECT_FALSE(udp_.bind(sock_, kServer4, port, ip_));
  }
  bool poll(Instant now) override {
    bool any = false;
    ByteVec buf(65535);
    for (;;) {
      auto got = udp_.recv_from(sock_, buf);
      if (!got.ok()) break;
      auto q = DnsMessage::parse(Bytes(buf).first(got->size));
      EXPECT_TRUE(q.ok());
      if (q.ok()) received.push_back({now, *q, got->from});
      if (q.ok() && auto_reply) {
        for (ByteVec& r : auto_reply(*q)) send(now, r, got->from);
      }
      any = true;
    }
    return any;
  }
  Instant poll_at() const override { return Instant::never(); }

  // Sends `bytes` to `to` from the server's socket, or from (addr, port) if given.
  void send(Instant now, Bytes bytes, const UdpEndpoint& to,
            std::optional<UdpEndpoint> from = std::nullopt) {
    SocketHandle h = sock_;
    if (from) {
      h = udp_.open(IpVersion::kV4);
      EXPECT_FALSE(udp_.bind(h, from->addr, from->port, ip_));
    }
    EXPECT_TRUE(udp_.send_to(now, h, bytes, to, ip_).ok());
    if (from) udp_.close(now, h, ip_);
  }

  std::vector<Received> received;
  // If set: the datagrams to send back at once for each query.
  std::function<std::vector<ByteVec>(const DnsMessage&)> auto_reply;

 private:
  UdpLayer& udp_;
  IpSender& ip_;
  SocketHandle sock_;
};

// A response to `q` answering with one A record (or anything the caller edits).
inline DnsMessage a_answer(const DnsMessage& q, const char* addr = "198.18.0.9",
                           std::uint32_t ttl = 60) {
  DnsMessage r = response_to(q, DnsRcode::kNoError);
  r.aa = true;
  r.answers.push_back(
      {q.questions[0].name, DnsType::kA, DnsClass::kIn, ttl, DnsA{*Ipv4Addr::parse(addr)}});
  return r;
}

struct DnsRig {
  Link link;
  Stack client;
  Stack server;
  UdpLayer client_udp{UdpLayerConfig{.seed = 11}};
  TcpLayer client_tcp{TcpLayerConfig{.seed = 12}};
  UdpLayer server_udp{UdpLayerConfig{.seed = 21}};
  TcpLayer server_tcp{TcpLayerConfig{.seed = 22}};
  std::unique_ptr<Resolver> resolver;
  std::unique_ptr<DnsServer> dns;
  std::unique_ptr<ScriptedServer> scripted;
  Instant now = Instant::from_millis(1000);

  static StackConfig stack_config(std::uint64_t seed) {
    StackConfig c;
    c.seed = seed;
    c.dad_transmits = 0;
    return c;
  }
  static LinkConfig link_config(std::size_t mtu) {
    LinkConfig c;
    c.mtu = mtu;
    return c;
  }

  explicit DnsRig(ResolverConfig cfg, HostsTable hosts = {}, std::size_t mtu = 1500)
      : link(link_config(mtu)),
        client(stack_config(1), link.a()),
        server(stack_config(2), link.b()) {
    client.add_address(*IpCidr::parse("198.18.0.1/24"));
    client.add_address(*IpCidr::parse("fd00:1::1/64"));
    server.add_address(*IpCidr::parse("198.18.0.2/24"));
    server.add_address(*IpCidr::parse("fd00:1::2/64"));
    server.add_address(*IpCidr::parse("198.18.0.3/24"));
    client.register_transport(client_udp);
    client.register_transport(client_tcp);
    server.register_transport(server_udp);
    server.register_transport(server_tcp);
    resolver = std::make_unique<Resolver>(std::move(cfg), std::move(hosts), client_udp, client_tcp,
                                          client, 7);
    client.add_poller(*resolver);
  }
  ~DnsRig() {
    client.remove_poller(*resolver);
    if (dns) server.remove_poller(*dns);
    if (scripted) server.remove_poller(*scripted);
  }

  // The real authoritative server on `port`.
  DnsServer& serve(std::uint16_t port = kPort, DnsZoneSet zones = example_zones()) {
    DnsServerConfig c;
    c.port = port;
    dns = std::make_unique<DnsServer>(c, std::move(zones), server_udp, server_tcp, server);
    EXPECT_FALSE(dns->start(now));
    server.add_poller(*dns);
    return *dns;
  }
  ScriptedServer& script(std::uint16_t port = kPort) {
    scripted = std::make_unique<ScriptedServer>(server_udp, server, port);
    server.add_poller(*scripted);
    return *scripted;
  }

  Instant next_event() const {
    return std::min({client.poll_at(), server.poll_at(), link.next_delivery()});
  }
  void run_for(Duration d) {
    Instant end = now + d;
    for (int guard = 0; guard < 1000000; ++guard) {
      client.poll(now);
      server.poll(now);
      Instant next = next_event();
      if (next > end) break;
      now = std::max(now, next);
    }
    now = end;
    client.poll(now);
    server.poll(now);
  }
  // Runs until the lookup is done (at most `limit`), leaving `now` at the instant it finished.
  LookupResult run_until_done(LookupId id, Duration limit = 60_s) {
    Instant end = now + limit;
    for (int guard = 0; guard < 1000000 && !resolver->done(id); ++guard) {
      client.poll(now);
      server.poll(now);
      if (resolver->done(id)) break;
      Instant next = next_event();
      if (next > end) break;
      now = std::max(now, next);
    }
    auto r = resolver->take_result(id);
    EXPECT_TRUE(r) << "lookup not done by " << now.to_string();
    return r ? *r : LookupResult{};
  }
  LookupResult lookup(const char* n, AddressFamily f = AddressFamily::kV4) {
    return run_until_done(resolver->start(now, n, f));
  }
  // Packets the resolver's stack has put on the link so far.
  std::uint64_t client_packets() { return link.a().tx_stats().sent; }
  std::uint64_t counter(std::string_view n) const { return resolver->counters().get(n); }
};

inline std::vector<IpAddr> addrs_of(const LookupResult& r) {
  std::vector<IpAddr> out;
  for (const ResolvedAddress& a : r.addresses) out.push_back(a.addr);
  return out;
}

}  // namespace ustack::dns_testing
