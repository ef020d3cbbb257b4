// 10 000 concurrent connections between two layers in memory (layer_pair.h): opened at once,
// held idle for ten minutes of virtual time (nothing sent, no timer armed), then all active at
// once, each request and response checked by content. The timer heap holds exactly the armed
// timers throughout (deadline_heap.h), never one per past re-arm.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "stack/tcp/layer_pair.h"

namespace ustack {
namespace {

using namespace ustack::literals;

constexpr int kConns = 10000;

std::string message(const char* what, int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s %05d", what, i);
  return buf;
}

std::string read_all(TcpLayer& l, SocketHandle h) {
  std::string s;
  std::uint8_t buf[64];
  for (;;) {
    auto n = l.recv(h, buf);
    if (!n.ok() || *n == 0) return s;
    s.append(reinterpret_cast<const char*>(buf), *n);
  }
}

TEST(TcpManyConnections, TenThousandIdleThenAllActive) {
  TcpLayerConfig cfg;
  cfg.tcp.send_buffer = cfg.tcp.recv_buffer = 16 * 1024;
  TcpLayerPair p(cfg, cfg);
  SocketHandle listener = *p.server().listen(p.server_addr(), 80, kConns);

  std::vector<SocketHandle> clients;
  for (int i = 0; i < kConns; ++i) {
    auto c = p.client().connect(p.now(), p.client_ip(), p.server_addr(), 80);
    ASSERT_TRUE(c.ok()) << i;
    clients.push_back(*c);
  }
  p.settle();
  // Three segments per handshake, nothing else.
  EXPECT_EQ(p.segments(), 3u * kConns);
  std::unordered_map<std::uint16_t, int> by_port;  // client port -> index
  for (int i = 0; i < kConns; ++i) {
    ASSERT_TRUE(p.client().readiness(clients[i]).connected) << i;
    by_port[p.client().tuple(clients[i])->local_port] = i;
  }
  ASSERT_EQ(by_port.size(), static_cast<std::size_t>(kConns));
  std::vector<SocketHandle> servers(kConns);
  for (int i = 0; i < kConns; ++i) {
    auto a = p.server().accept(listener);
    ASSERT_TRUE(a.ok()) << i;
    servers[by_port.at(p.server().tuple(*a)->remote_port)] = *a;
  }
  EXPECT_EQ(p.server().accept(listener).error(), TcpError::kWouldBlock);
  EXPECT_EQ(p.client().socket_count(), static_cast<std::size_t>(kConns));
  EXPECT_EQ(p.server().socket_count(), static_cast<std::size_t>(kConns) + 1);

  // Idle: ten minutes without a segment or a timer (no keepalive): no per-connection cost.
  const std::uint64_t fired =
      p.client().counters().timer_entries_visited + p.server().counters().timer_entries_visited;
  p.run_for(Duration::seconds(600));
  EXPECT_EQ(p.segments(), 3u * kConns);
  EXPECT_EQ(p.client().memory().timers, 0u);
  EXPECT_EQ(p.server().memory().timers, 0u);
  EXPECT_EQ(p.client().poll_at(), Instant::never());
  EXPECT_EQ(
      p.client().counters().timer_entries_visited + p.server().counters().timer_entries_visited,
      fired);

  // All active at once: every client sends its request before any is delivered, so every
  // connection has a retransmission timer armed - one heap entry each, no more.
  for (int i = 0; i < kConns; ++i) {
    std::string req = message("req", i);
    ASSERT_EQ(*p.client().send(clients[i], as_bytes(req)), req.size()) << i;
  }
  EXPECT_EQ(p.client().memory().timers, static_cast<std::size_t>(kConns));
  p.settle();
  for (int i = 0; i < kConns; ++i) {
    ASSERT_EQ(read_all(p.server(), servers[i]), message("req", i)) << i;
    std::string rsp = message("rsp", i);
    ASSERT_EQ(*p.server().send(servers[i], as_bytes(rsp)), rsp.size()) << i;
  }
  EXPECT_LE(p.server().memory().timers, static_cast<std::size_t>(kConns));
  p.settle();
  for (int i = 0; i < kConns; ++i) {
    ASSERT_EQ(read_all(p.client(), clients[i]), message("rsp", i)) << i;
  }
  // The delayed ACKs of the responses go out, then nothing is armed again.
  p.run_for(1_s);
  EXPECT_EQ(p.client().memory().timers, 0u);
  EXPECT_EQ(p.server().memory().timers, 0u);
  EXPECT_LE(p.client().memory().timer_capacity, 2u * kConns);
  for (int i = 0; i < kConns; ++i) {
    EXPECT_EQ(*p.client().state(clients[i]), TcpState::kEstablished);
    EXPECT_EQ(p.client().stats(clients[i])->unacked, 0u);
    EXPECT_EQ(p.server().stats(servers[i])->unacked, 0u);
  }
}

// Every ACK re-arms the sender's retransmission timer. A heap that pushed an entry per re-arm
// grew with ACK rate x RTO; this one holds at most one entry per socket while 20 connections
// move 20 MB with a 10 ms round trip.
TEST(TcpManyConnections, TimerHeapHoldsOnlyArmedTimersUnderAckTraffic) {
  constexpr int kBulk = 20;
  TcpLayerPair p({}, {}, 5_ms);
  SocketHandle listener = *p.server().listen(p.server_addr(), 80, kBulk);
  std::vector<SocketHandle> clients, servers;
  for (int i = 0; i < kBulk; ++i) {
    clients.push_back(*p.client().connect(p.now(), p.client_ip(), p.server_addr(), 80));
  }
  p.run_for(20_ms);
  for (int i = 0; i < kBulk; ++i) servers.push_back(*p.server().accept(listener));
  const std::string chunk(16384, 'b');
  std::vector<std::size_t> sent(kBulk), received(kBulk);
  constexpr std::size_t kBytes = 1 << 20;
  std::size_t max_timers = 0, max_capacity = 0;
  std::vector<std::uint8_t> buf(65536);
  for (int step = 0; step < 100000; ++step) {
    bool done = true;
    for (int i = 0; i < kBulk; ++i) {
      while (sent[i] < kBytes) {
        auto n = p.client().send(clients[i],
                                 as_bytes(chunk).first(std::min(chunk.size(), kBytes - sent[i])));
        if (!n.ok()) break;
        sent[i] += *n;
      }
      for (;;) {
        auto n = p.server().recv(servers[i], buf);
        if (!n.ok() || *n == 0) break;
        received[i] += *n;
      }
      done = done && received[i] == kBytes;
    }
    if (done) break;
    p.run_for(1_ms);
    for (TcpLayer* l : {&p.client(), &p.server()}) {
      max_timers = std::max(max_timers, l->memory().timers);
      max_capacity = std::max(max_capacity, l->memory().timer_capacity);
    }
  }
  for (int i = 0; i < kBulk; ++i) ASSERT_EQ(received[i], kBytes) << i;
  EXPECT_LE(max_timers, static_cast<std::size_t>(kBulk));
  EXPECT_LE(max_capacity, 32u);
  EXPECT_GT(p.client().counters().segs_in, 10u * kBulk);  // many ACKs, each a re-arm
}

}  // namespace
}  // namespace ustack
