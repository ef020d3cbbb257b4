// ServiceHost end to end with no OS: a server Stack running services and a client Stack using
// TcpLayer directly, back to back over an in-memory link (optionally lossy), virtual time.
#include "tools/services/tcp_host.h"

#include <gtest/gtest.h>

#include <functional>

#include "stack/link_device.h"
#include "stack/stack.h"
#include "tools/services/bulk.h"
#include "tools/services/echo_discard.h"
#include "tools/services/generated_body.h"
#include "tools/services/http.h"

namespace ustack::services {
namespace {

using namespace ustack::literals;

const IpAddr kServer = *IpAddr::parse("198.18.0.2");
const IpAddr kClient = *IpAddr::parse("198.18.0.1");

StackConfig stack_config(std::uint64_t seed) {
  StackConfig c;
  c.seed = seed;
  return c;
}

struct Net {
  explicit Net(double loss = 0, Duration delay = 1_ms)
      : link(link_config(loss, delay)),
        server(stack_config(2), link.b()),
        client(stack_config(1), link.a()),
        server_tcp(TcpLayerConfig{.seed = 22}),
        client_tcp(TcpLayerConfig{.seed = 11}),
        host(server_tcp) {
    server.add_address(*IpCidr::parse("198.18.0.2/24"));
    client.add_address(*IpCidr::parse("198.18.0.1/24"));
    server.register_transport(server_tcp);
    client.register_transport(client_tcp);
  }
  static LinkConfig link_config(double loss, Duration delay) {
    LinkConfig lc;
    lc.seed = 5;
    lc.a_to_b.delay = lc.b_to_a.delay = delay;
    lc.a_to_b.loss = lc.b_to_a.loss = loss;
    return lc;
  }

  // Runs both stacks, the host and `client_step` until `done` or `limit` of virtual time.
  bool run_until(
      const std::function<bool()>& done, Duration limit,
      const std::function<void()>& client_step = [] {}) {
    Instant end = now + limit;
    for (int guard = 0; guard < 5000000; ++guard) {
      server.poll(now);
      client.poll(now);
      host.poll(now);
      client_step();
      if (done()) return true;
      Instant next =
          std::min({server.poll_at(), client.poll_at(), link.next_delivery(), host.poll_at()});
      if (next > end) break;
      now = std::max(now, next);
    }
    now = end;
    return done();
  }

  SocketHandle connect(std::uint16_t port) {
    auto h = client_tcp.connect(now, client, kServer, port);
    EXPECT_TRUE(h.ok());
    EXPECT_TRUE(run_until([&] { return client_tcp.readiness(*h).connected; }, 5_s));
    return *h;
  }

  // Sends all of `out` (then FIN if `shut`) and reads until EOF; returns what was read.
  std::string exchange(SocketHandle h, const std::string& out, bool shut, Duration limit) {
    std::size_t sent = 0;
    bool eof = false, shut_done = false;
    std::string in;
    ByteVec buf(65536);
    run_until([&] { return eof || client_tcp.error(h).has_value(); }, limit,
              [&] {
                while (sent < out.size()) {
                  auto w = client_tcp.send(h, as_bytes(out).subspan(sent));
                  if (!w.ok()) break;
                  sent += *w;
                }
                if (shut && sent == out.size() && !shut_done) {
                  (void)client_tcp.shutdown(h);
                  shut_done = true;
                }
                for (;;) {
                  auto r = client_tcp.recv(h, buf);
                  if (!r.ok()) break;
                  if (*r == 0) {
                    eof = true;
                    break;
                  }
                  in.append(reinterpret_cast<const char*>(buf.data()), *r);
                }
              });
    return in;
  }

  Link link;
  Stack server;
  Stack client;
  TcpLayer server_tcp;
  TcpLayer client_tcp;
  ServiceHost host;
  Instant now = Instant::from_millis(1000);
};

std::string generated(std::size_t n) {
  std::string s(n, '\0');
  fill_generated_body(0, MutBytes(reinterpret_cast<std::uint8_t*>(s.data()), n));
  return s;
}

TEST(ServiceHost, HttpBodyArrivesIntactOverALossyLink) {
  Net net(/*loss=*/0.02);
  GeneratedContent content;
  ASSERT_FALSE(net.host.listen(Ipv4Addr(), 80, "http:80", [&] {
    return std::make_unique<HttpSession>(content, Duration::zero());
  }));
  SocketHandle h = net.connect(80);
  std::string reply =
      net.exchange(h, "GET /bytes/2000000 HTTP/1.1\r\nConnection: close\r\n\r\n", false, 120_s);
  std::size_t body = reply.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(reply.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_TRUE(reply.substr(body + 4) == generated(2000000)) << "body differs";
  EXPECT_EQ(net.host.stats().closed, 1u);
  EXPECT_EQ(net.host.sessions(), 0u);
}

TEST(ServiceHost, EchoEchoesAndClosesAfterTheClientsFin) {
  Net net;
  ASSERT_FALSE(
      net.host.listen(Ipv4Addr(), 7, "echo:7", [] { return std::make_unique<EchoSession>(); }));
  SocketHandle h = net.connect(7);
  std::string msg(300000, 'e');
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<char>('a' + i % 26);
  EXPECT_EQ(net.exchange(h, msg, true, 30_s), msg);
  EXPECT_EQ(net.host.stats().bytes_in, msg.size());
  EXPECT_EQ(net.host.stats().bytes_out, msg.size());
}

// SIGUSR1's per-service sections: each service counts its own connections and bytes (one entry
// for both families), the totals count all.
TEST(ServiceHost, CountsPerService) {
  Net net;
  auto echo = [] { return std::make_unique<EchoSession>(); };
  ASSERT_FALSE(net.host.listen(Ipv4Addr(), 7, "echo:7", echo));
  ASSERT_FALSE(net.host.listen(Ipv6Addr(), 7, "echo:7", echo));
  ASSERT_FALSE(net.host.listen(Ipv4Addr(), 9, "discard:9",
                               [] { return std::make_unique<DiscardSession>(); }));
  EXPECT_EQ(net.exchange(net.connect(7), "hello", true, 5_s), "hello");
  EXPECT_EQ(net.exchange(net.connect(9), std::string(1000, 'd'), true, 5_s), "");
  EXPECT_EQ(net.exchange(net.connect(9), std::string(500, 'd'), true, 5_s), "");
  const auto& per = net.host.service_stats();
  ASSERT_EQ(per.size(), 2u);
  EXPECT_EQ(per.at("echo:7").accepted, 1u);
  EXPECT_EQ(per.at("echo:7").bytes_in, 5u);
  EXPECT_EQ(per.at("echo:7").bytes_out, 5u);
  EXPECT_EQ(per.at("discard:9").accepted, 2u);
  EXPECT_EQ(per.at("discard:9").closed, 2u);
  EXPECT_EQ(per.at("discard:9").bytes_in, 1500u);
  EXPECT_EQ(per.at("discard:9").bytes_out, 0u);
  EXPECT_EQ(net.host.stats().accepted, 3u);
  EXPECT_EQ(net.host.stats().bytes_in, 1505u);
}

// The bulk 'R' deadline comes from the host's wake_at(): it ends on time with no packets due.
TEST(ServiceHost, BulkReceiveModeEndsAtTheVirtualDeadline) {
  Net net(/*loss=*/0, /*delay=*/20_ms);  // 40 ms RTT keeps the volume small
  ASSERT_FALSE(
      net.host.listen(Ipv4Addr(), 5001, "bulk", [] { return std::make_unique<BulkSession>(); }));
  SocketHandle h = net.connect(5001);
  Instant start = net.now;
  std::string got = net.exchange(h, std::string("R\x01\x00\x00\x00", 5), false, 30_s);
  EXPECT_GT(got.size(), 1000000u);
  EXPECT_EQ(got.find_first_not_of('x'), std::string::npos);
  // The request takes 20 ms to arrive, the FIN 20 ms to come back.
  EXPECT_GE(net.now - start, 1_s + 40_ms);
  EXPECT_LT(net.now - start, 1_s + 100_ms);
}

TEST(ServiceHost, PeerResetEndsTheSessionAndIsCounted) {
  Net net;
  ASSERT_FALSE(
      net.host.listen(Ipv4Addr(), 5001, "bulk", [] { return std::make_unique<BulkSession>(); }));
  SocketHandle h = net.connect(5001);
  ASSERT_TRUE(net.client_tcp.send(h, as_bytes(std::string("R\x10\x00\x00\x00", 5))).ok());
  net.run_until([] { return false; }, 200_ms);
  EXPECT_EQ(net.host.sessions(), 1u);
  (void)net.client_tcp.abort(h);
  net.run_until([&] { return net.host.sessions() == 0; }, 1_s);
  EXPECT_EQ(net.host.sessions(), 0u);
  EXPECT_EQ(net.host.stats().failed, 1u);
}

TEST(ServiceHost, UnknownBulkModeResetsTheClient) {
  Net net;
  ASSERT_FALSE(
      net.host.listen(Ipv4Addr(), 5001, "bulk", [] { return std::make_unique<BulkSession>(); }));
  SocketHandle h = net.connect(5001);
  (void)net.exchange(h, "Z", false, 2_s);
  EXPECT_EQ(net.client_tcp.error(h), TcpError::kReset);
  EXPECT_EQ(net.host.stats().aborted, 1u);
}

TEST(ServiceHost, SecondListenerOnAPortIsRefused) {
  Net net;
  auto echo = [] { return std::make_unique<EchoSession>(); };
  ASSERT_FALSE(net.host.listen(Ipv4Addr(), 7, "echo:7", echo));
  EXPECT_EQ(net.host.listen(Ipv4Addr(), 7, "echo:7", echo), TcpError::kAddressInUse);
  EXPECT_FALSE(net.host.listen(Ipv6Addr(), 7, "echo:7", echo));  // other family: fine
}

// Readiness is pushed: with 300 idle connections open, a second of quiet steps (almost) no
// session, and an echo on one connection steps that one only (a few times), not all 300.
TEST(ServiceHost, IdleConnectionsCostNothing) {
  Net net;
  ASSERT_FALSE(
      net.host.listen(Ipv4Addr(), 7, "echo:7", [] { return std::make_unique<EchoSession>(); }));
  std::vector<SocketHandle> conns;
  for (int i = 0; i < 300; ++i) conns.push_back(net.connect(7));
  net.run_until([] { return false; }, 1_s);  // handshakes' last ACKs, delayed ACKs
  ASSERT_EQ(net.host.sessions(), 300u);
  const std::uint64_t before = net.host.steps();
  net.run_until([] { return false; }, 1_s);
  // A transport timer that fires for one connection (marks are coarse: a serviced timer lists
  // its socket) may step that one; the other 299 are never looked at.
  EXPECT_LT(net.host.steps() - before, 5u) << "idle sessions were stepped";
  const std::uint64_t before_echo = net.host.steps();
  SocketHandle h = conns[123];
  ASSERT_TRUE(net.client_tcp.send(h, as_bytes(std::string("ping"))).ok());
  std::string got;
  ByteVec buf(64);
  net.run_until([&] { return got == "ping"; }, 1_s,
                [&] {
                  auto r = net.client_tcp.recv(h, buf);
                  if (r.ok()) got.append(reinterpret_cast<const char*>(buf.data()), *r);
                });
  EXPECT_EQ(got, "ping");
  EXPECT_LT(net.host.steps() - before_echo, 10u);
}

}  // namespace
}  // namespace ustack::services
