// Fuzzes the resolver's receive path end to end: a Resolver on one Stack looks a name up, and
// the fuzz input is the sequence of datagrams "the server" (a raw UDP socket on a second
// Stack, port 53) sends back, with the real ID and question patched in when asked so the
// parser and the answer logic are reached. Whatever arrives, the lookup must end by its
// deadline with every socket closed, and never crash or read out of bounds.
//
// Input: byte 0 = flags (bits 0-1: family 0/3 unspec, 1 v4, 2 v6; bit 2: EDNS off; bit 3:
// search list "example.test" and the short name "www"; bit 4: look the name up again once
// done, from the cache; bit 5: force TCP — every query then fails to connect).
// Then records [ctl u8][len u16 BE][bytes]. ctl bits 4-7: advance time by n × 250 ms first;
// bit 0: write the query's ID into bytes 0-1; bit 1: insert the query's question section after
// the first 12 bytes (so the record's own sections follow it; a pointer 0xc00c names the
// question); bit 2: answer the query before the latest (A when A and AAAA are both out);
// bit 3: send from port 54 instead of 53 (a wrong source).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "stack/dns/resolver.h"
#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/udp/udp_layer.h"

namespace {

using namespace ustack;

struct Received {
  ByteVec bytes;
  UdpEndpoint from;
};

StackConfig stack_config(std::uint64_t seed) {
  StackConfig c;
  c.seed = seed;
  c.dad_transmits = 0;
  return c;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  Link link(LinkConfig{});
  Stack client(stack_config(1), link.a()), server(stack_config(2), link.b());
  client.add_address(*IpCidr::parse("198.18.0.1/24"));
  server.add_address(*IpCidr::parse("198.18.0.2/24"));
  UdpLayer client_udp(UdpLayerConfig{.seed = 3}), server_udp(UdpLayerConfig{.seed = 4});
  TcpLayer client_tcp(TcpLayerConfig{.seed = 5}), server_tcp(TcpLayerConfig{.seed = 6});
  client.register_transport(client_udp);
  client.register_transport(client_tcp);
  server.register_transport(server_udp);
  server.register_transport(server_tcp);

  const IpAddr server_addr = *IpAddr::parse("198.18.0.2");
  ResolverConfig cfg;
  cfg.nameservers = {NameServer{server_addr, 53}};
  cfg.edns = !(flags & 4);
  cfg.force_tcp = flags & 32;
  const char* name = "www.example.test";
  if (flags & 8) {
    cfg.search = {"example.test"};
    name = "www";
  }
  AddressFamily family = (flags & 3) == 1   ? AddressFamily::kV4
                         : (flags & 3) == 2 ? AddressFamily::kV6
                                            : AddressFamily::kUnspec;
  Resolver resolver(cfg, HostsTable{}, client_udp, client_tcp, client, 7);
  client.add_poller(resolver);

  SocketHandle sock = server_udp.open(IpVersion::kV4);
  SocketHandle wrong_port = server_udp.open(IpVersion::kV4);
  check(!server_udp.bind(sock, server_addr, 53, server));
  check(!server_udp.bind(wrong_port, server_addr, 54, server));

  Instant now = Instant::from_millis(1000);
  std::vector<Received> queries;
  ByteVec buf(65535);
  auto run = [&](Instant until) {
    for (int guard = 0; guard < 100000; ++guard) {
      client.poll(now);
      server.poll(now);
      for (;;) {
        auto got = server_udp.recv_from(sock, buf);
        if (!got.ok()) break;
        queries.push_back({ByteVec(buf.begin(), buf.begin() + got->size), got->from});
      }
      Instant next = std::min({client.poll_at(), server.poll_at(), link.next_delivery()});
      if (next > until) break;
      now = std::max(now, next);
    }
    now = std::max(now, until);
  };

  LookupId id = resolver.start(now, name, family);
  Instant deadline = now + cfg.lookup_deadline();
  run(now);
  std::size_t pos = 1;
  while (pos + 3 <= size) {
    std::uint8_t ctl = data[pos];
    std::size_t len = std::size_t{data[pos + 1]} << 8 | data[pos + 2];
    pos += 3;
    len = std::min(len, size - pos);
    ByteVec msg(data + pos, data + pos + len);
    pos += len;
    run(now + Duration::millis(250) * (ctl >> 4));
    if (queries.empty()) continue;
    std::size_t which = (ctl & 4) && queries.size() >= 2 ? queries.size() - 2 : queries.size() - 1;
    const Received& q = queries[which];
    if (ctl & 3) msg.resize(std::max<std::size_t>(msg.size(), 12));
    if (ctl & 1) std::copy_n(q.bytes.begin(), 2, msg.begin());
    if (ctl & 2) {
      if (auto parsed = DnsMessage::parse(q.bytes); parsed.ok() && !parsed->questions.empty()) {
        DnsMessage only_question;
        only_question.questions = parsed->questions;
        ByteVec qb = only_question.to_bytes();
        msg.insert(msg.begin() + 12, qb.begin() + 12, qb.end());
      }
    }
    server_udp.send_to(now, (ctl & 8) ? wrong_port : sock, msg, q.from, server);
    run(now);
  }
  run(deadline + Duration::seconds(1));
  check(resolver.done(id));
  auto result = resolver.take_result(id);
  check(result.has_value());
  check(result->error.has_value() || !result->addresses.empty());
  check(resolver.open_sockets() == 0);

  if (flags & 16) {  // again: from the cache, or asked again and timing out
    LookupId again = resolver.start(now, name, family);
    run(now + cfg.lookup_deadline() + Duration::seconds(1));
    check(resolver.done(again));
    check(resolver.take_result(again).has_value());
  }
  check(resolver.active_lookups() == 0);
  check(resolver.open_sockets() == 0);
  client.remove_poller(resolver);
  return 0;
}
