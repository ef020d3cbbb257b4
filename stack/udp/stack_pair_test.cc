// Two whole Stacks, each with a UdpLayer, back to back over the in-memory Link: datagrams
// larger than the link MTU are fragmented by the sender's IP layer and reassembled by the
// receiver's in both directions and both families, and a datagram to a port nobody listens
// on comes back as ICMP port unreachable that the connected sender sees as ECONNREFUSED.
#include <gtest/gtest.h>

#include <algorithm>

#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/udp/udp_layer.h"

namespace ustack {
namespace {

using namespace literals;

const IpAddr kA4 = *IpAddr::parse("198.18.0.1");
const IpAddr kB4 = *IpAddr::parse("198.18.0.2");
const IpAddr kA6 = *IpAddr::parse("fd00:1::1");
const IpAddr kB6 = *IpAddr::parse("fd00:1::2");

ByteVec pattern(std::size_t n, std::uint8_t seed) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 31 + seed);
  return v;
}

StackConfig stack_config(std::uint64_t seed) {
  StackConfig c;
  c.seed = seed;
  return c;
}

UdpLayerConfig udp_config(std::uint64_t seed) {
  UdpLayerConfig c;
  c.seed = seed;
  return c;
}

// Stack a (198.18.0.1, fd00:1::1) and Stack b (198.18.0.2, fd00:1::2) on one IP link.
struct UdpPair {
  Link link{LinkConfig{}};
  Stack a{stack_config(1), link.a()};
  Stack b{stack_config(2), link.b()};
  UdpLayer udp_a{udp_config(1)};
  UdpLayer udp_b{udp_config(2)};
  Instant now = Instant::from_millis(1000);

  UdpPair() {
    a.add_address(IpCidr{kA4, 24});
    a.add_address(IpCidr{kA6, 64});
    b.add_address(IpCidr{kB4, 24});
    b.add_address(IpCidr{kB6, 64});
    a.register_transport(udp_a);
    b.register_transport(udp_b);
    run_for(10_ms);
  }

  // Runs both stacks until nothing is due before now + d.
  void run_for(Duration d) {
    Instant end = now + d;
    for (int guard = 0; guard < 100000; ++guard) {
      a.poll(now);
      b.poll(now);
      Instant next = std::min({a.poll_at(), b.poll_at(), link.next_delivery()});
      if (next > end) break;
      now = std::max(now, next);
    }
    now = end;
  }
};

// Sends `size` bytes from a to b and back again, each way fragmented and reassembled.
void exchange_fragmented(const IpAddr& a_addr, const IpAddr& b_addr, std::size_t size) {
  UdpPair p;
  IpVersion family = b_addr.version();
  SocketHandle server = p.udp_b.open(family);
  ASSERT_EQ(p.udp_b.bind(server, b_addr, 7, p.b), std::nullopt);
  SocketHandle client = p.udp_a.open(family);
  ByteVec request = pattern(size, 1);
  auto sent = p.udp_a.send_to(p.now, client, request, UdpEndpoint{b_addr, 7}, p.a);
  ASSERT_TRUE(sent.ok()) << to_string(sent.error());
  p.run_for(100_ms);

  ByteVec buf(70000);
  auto got = p.udp_b.recv_from(server, buf);
  ASSERT_TRUE(got.ok()) << "the request did not arrive";
  EXPECT_EQ(got->full_size, size);
  EXPECT_TRUE(std::equal(request.begin(), request.end(), buf.begin()));
  EXPECT_EQ(got->from, (UdpEndpoint{a_addr, p.udp_a.local_endpoint(client)->port}));
  EXPECT_EQ(got->local, b_addr);

  // The echo goes back the other way, fragmented by b.
  ByteVec reply = pattern(size, 2);
  ASSERT_TRUE(p.udp_b.send_to(p.now, server, reply, got->from, p.b).ok());
  p.run_for(100_ms);
  auto back = p.udp_a.recv_from(client, buf);
  ASSERT_TRUE(back.ok()) << "the reply did not arrive";
  EXPECT_EQ(back->full_size, size);
  EXPECT_TRUE(std::equal(reply.begin(), reply.end(), buf.begin()));
  EXPECT_EQ(back->from, (UdpEndpoint{b_addr, 7}));

  const char* reasm = family == IpVersion::kV4 ? "ip.reasm_oks" : "ip6.reasm_oks";
  EXPECT_EQ(p.a.counters().get(reasm), 1u);
  EXPECT_EQ(p.b.counters().get(reasm), 1u);
  EXPECT_EQ(p.a.counters().total_drops(), 0u);
  EXPECT_EQ(p.b.counters().total_drops(), 0u);
  EXPECT_EQ(p.udp_a.counters().in_datagrams, 1u);
  EXPECT_EQ(p.udp_b.counters().in_datagrams, 1u);
}

// RFC 791 §2.3 / RFC 8200 §4.5: a 65000-byte datagram crosses a 1500-byte link in fragments.
TEST(UdpStackPair, FragmentedDatagramBothWaysIpv4) { exchange_fragmented(kA4, kB4, 65000); }

TEST(UdpStackPair, FragmentedDatagramBothWaysIpv6) { exchange_fragmented(kA6, kB6, 65000); }

// RFC 1122 §4.1.3.1 and §4.1.3.3: b has no socket on the port and answers ICMP port
// unreachable; a's Stack hands the error to its UdpLayer, and the connected sender's next
// call fails with ECONNREFUSED (once).
void port_unreachable_round_trip(const IpAddr& b_addr) {
  UdpPair p;
  SocketHandle s = p.udp_a.open(b_addr.version());
  ASSERT_EQ(p.udp_a.connect(s, b_addr, 9999, p.a), std::nullopt);
  ASSERT_TRUE(p.udp_a.send_to(p.now, s, pattern(100, 3), std::nullopt, p.a).ok());
  p.run_for(100_ms);
  EXPECT_EQ(p.udp_b.counters().no_ports, 1u);
  EXPECT_EQ(p.udp_a.counters().icmp_errors_delivered, 1u);
  EXPECT_TRUE(p.udp_a.readiness(s).error);
  std::vector<SocketHandle> ready;
  p.udp_a.take_ready(ready);
  EXPECT_EQ(ready, std::vector<SocketHandle>{s});
  auto again = p.udp_a.send_to(p.now, s, pattern(100, 4), std::nullopt, p.a);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), UdpError::kConnectionRefused);
  EXPECT_TRUE(p.udp_a.send_to(p.now, s, pattern(100, 5), std::nullopt, p.a).ok());
}

TEST(UdpStackPair, PortUnreachableRefusesTheConnectedSenderIpv4) {
  port_unreachable_round_trip(kB4);
}

TEST(UdpStackPair, PortUnreachableRefusesTheConnectedSenderIpv6) {
  port_unreachable_round_trip(kB6);
}

}  // namespace
}  // namespace ustack
