// UdpEchoService end to end with no OS: a server Stack running the service as a poller and a
// client Stack with a UdpLayer socket, back to back over an in-memory link, virtual time.
#include "tools/services/udp_echo.h"

#include <gtest/gtest.h>

#include "stack/link_device.h"
#include "stack/stack.h"

namespace ustack::services {
namespace {

using namespace ustack::literals;

struct Net {
  Net()
      : link(LinkConfig{.seed = 5}),
        server(StackConfig{.seed = 2}, link.b()),
        client(StackConfig{.seed = 1}, link.a()),
        server_udp(UdpLayerConfig{.seed = 22}),
        client_udp(UdpLayerConfig{.seed = 11}),
        echo(server_udp, server) {
    server.add_address(*IpCidr::parse("198.18.0.2/24"));
    server.add_address(*IpCidr::parse("fd00:1::2/64"));
    client.add_address(*IpCidr::parse("198.18.0.1/24"));
    client.add_address(*IpCidr::parse("fd00:1::1/64"));
    server.register_transport(server_udp);
    client.register_transport(client_udp);
    server.add_poller(echo);
  }
  ~Net() { server.remove_poller(echo); }

  // Runs both stacks until the client socket has a datagram or 1 s of virtual time passed.
  bool run_until_readable(SocketHandle h) {
    Instant end = now + 1_s;
    for (int guard = 0; guard < 100000; ++guard) {
      server.poll(now);
      client.poll(now);
      if (client_udp.readiness(h).readable) return true;
      Instant next = std::min({server.poll_at(), client.poll_at(), link.next_delivery()});
      if (next > end) return false;
      now = std::max(now, next);
    }
    return false;
  }

  // Sends `payload` to the echo port from a fresh client socket and returns the answer.
  std::string round_trip(const char* server_addr, const std::string& payload) {
    IpAddr dst = *IpAddr::parse(server_addr);
    SocketHandle h = client_udp.open(dst.version());
    auto sent = client_udp.send_to(now, h, as_bytes(payload), UdpEndpoint{dst, 7}, client);
    EXPECT_TRUE(sent.ok());
    if (!run_until_readable(h)) return "(no answer)";
    ByteVec buf(70000);
    auto got = client_udp.recv_from(h, buf);
    if (!got.ok()) return std::string("(error ") + to_string(got.error()) + ")";
    EXPECT_EQ(got->from, (UdpEndpoint{dst, 7}));
    return std::string(reinterpret_cast<const char*>(buf.data()), got->size);
  }

  static Bytes as_bytes(const std::string& s) {
    return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }

  Link link;
  Stack server, client;
  UdpLayer server_udp, client_udp;
  UdpEchoService echo;
  Instant now;
};

// RFC 862: "When a datagram is received, the data from it is sent back in an answering
// datagram", over both families.
TEST(UdpEchoService, AnswersEachDatagramToItsSender) {
  Net net;
  ASSERT_FALSE(net.echo.listen(IpVersion::kV4, 7));
  ASSERT_FALSE(net.echo.listen(IpVersion::kV6, 7));
  EXPECT_EQ(net.round_trip("198.18.0.2", "hello v4\n"), "hello v4\n");
  EXPECT_EQ(net.round_trip("fd00:1::2", "hello v6\n"), "hello v6\n");
  EXPECT_EQ(net.echo.stats().datagrams, 2u);
  EXPECT_EQ(net.echo.stats().bytes, 18u);
}

TEST(UdpEchoService, EchoesAFragmentedDatagram) {
  Net net;
  ASSERT_FALSE(net.echo.listen(IpVersion::kV4, 7));
  std::string big(65000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  EXPECT_EQ(net.round_trip("198.18.0.2", big), big);
}

TEST(UdpEchoService, ASecondListenerOnThePortIsRefused) {
  Net net;
  ASSERT_FALSE(net.echo.listen(IpVersion::kV4, 7));
  EXPECT_EQ(net.echo.listen(IpVersion::kV4, 7), UdpError::kAddressInUse);
}

}  // namespace
}  // namespace ustack::services
