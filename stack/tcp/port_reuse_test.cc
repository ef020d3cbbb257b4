// Ephemeral ports over TIME-WAIT for connect() (Linux __inet_hash_connect, tcp_twsk_unique with
// net.ipv4.tcp_tw_reuse = 1): a client that closes first leaves a TIME-WAIT record per port; a
// new connection to the same remote endpoint may take over a record older than 1 s if
// timestamps were in use (same per-4-tuple TSval offset, later clock: the peer's PAWS tells the
// incarnations apart), else the range runs out and connect() fails with EADDRNOTAVAIL.
// Two real layers back to back (layer_pair.h), in virtual time.
#include <gtest/gtest.h>

#include "stack/tcp/layer_pair.h"

namespace ustack {
namespace {

using namespace ustack::literals;

constexpr std::uint16_t kLow = 40000, kHigh = 40099;  // 100 ephemeral ports

TcpLayerConfig client_config(bool timestamps) {
  TcpLayerConfig c;
  c.ephemeral_low = kLow;
  c.ephemeral_high = kHigh;
  c.tcp.timestamps = timestamps;
  return c;
}

struct Harness {
  explicit Harness(bool timestamps) : pair(client_config(timestamps), {}) {
    listener = *pair.server().listen(pair.server_addr(), 80, 1024);
  }
  // One connection from the client to the server's port 80: handshake, the client closes
  // first, the server answers with its FIN, so the client's side ends in TIME-WAIT.
  std::optional<TcpError> connect_and_close() {
    auto c = pair.client().connect(pair.now(), pair.client_ip(), pair.server_addr(), 80);
    if (!c.ok()) return c.error();
    pair.settle();
    EXPECT_TRUE(pair.client().readiness(*c).connected);
    auto a = pair.server().accept(listener);
    EXPECT_TRUE(a.ok());
    if (!a.ok()) return TcpError::kInvalid;
    std::uint16_t port = pair.client().tuple(*c)->local_port;
    EXPECT_GE(port, kLow);
    EXPECT_LE(port, kHigh);
    EXPECT_FALSE(pair.client().close(*c));
    pair.settle();
    std::uint8_t buf[1];
    EXPECT_EQ(*pair.server().recv(*a, buf), 0u);  // the client's FIN
    EXPECT_FALSE(pair.server().close(*a));
    pair.settle();
    return std::nullopt;
  }
  TcpLayerPair pair;
  SocketHandle listener;
};

// Six times the range within 30 s: every connect after the first 100 takes over a TIME-WAIT
// record (older than 1 s by then), so exactly 100 records remain and 500 were reused.
TEST(TcpPortReuse, WithTimestampsAClientOutrunsTheEphemeralRange) {
  Harness h(true);
  for (int i = 0; i < 600; ++i) {
    ASSERT_EQ(h.connect_and_close(), std::nullopt) << "connection " << i;
    h.pair.run_for(50_ms);
  }
  const TcpLayerCounters& c = h.pair.client().counters();
  EXPECT_EQ(c.active_opens, 600u);
  EXPECT_EQ(c.time_wait_reused_connect, 500u);
  EXPECT_EQ(c.ephemeral_ports_exhausted, 0u);
  EXPECT_EQ(h.pair.client().time_wait_count(), 100u);
  EXPECT_EQ(h.pair.server().counters().passive_opens, 600u);
  EXPECT_EQ(h.pair.server().socket_count(), 1u);  // the listener: the server closed passively
}

// tcp_tw_reuse waits until TS.Recent is older than 1 s: 100 connections at once exhaust the
// range for a second, then the oldest record may be taken over.
TEST(TcpPortReuse, TimeWaitYoungerThanOneSecondIsNotReused) {
  Harness h(true);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(h.connect_and_close(), std::nullopt) << "connection " << i;
    h.pair.run_for(1_ms);
  }
  h.pair.run_until(Instant() + 900_ms);
  EXPECT_EQ(h.connect_and_close(), TcpError::kNoPorts);
  EXPECT_EQ(h.pair.client().counters().ephemeral_ports_exhausted, 1u);
  h.pair.run_until(Instant() + 1100_ms);
  EXPECT_EQ(h.connect_and_close(), std::nullopt);
  EXPECT_EQ(h.pair.client().counters().time_wait_reused_connect, 1u);
}

// Without timestamps nothing tells old duplicates from new segments: TIME-WAIT holds its
// port for 2 MSL, and connect() fails with EADDRNOTAVAIL (kNoPorts) once the range is used up,
// until the records expire.
TEST(TcpPortReuse, WithoutTimestampsTheRangeRunsOut) {
  Harness h(false);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(h.connect_and_close(), std::nullopt) << "connection " << i;
    h.pair.run_for(100_ms);
  }
  h.pair.run_until(Instant() + 30_s);
  EXPECT_EQ(h.connect_and_close(), TcpError::kNoPorts);
  EXPECT_EQ(h.connect_and_close(), TcpError::kNoPorts);
  const TcpLayerCounters& c = h.pair.client().counters();
  EXPECT_EQ(c.ephemeral_ports_exhausted, 2u);
  EXPECT_EQ(c.time_wait_reused_connect, 0u);
  EXPECT_EQ(h.pair.client().time_wait_count(), 100u);
  // The first record expires 60 s after its connection closed (at about 0 s).
  h.pair.run_until(Instant() + 60_s + 50_ms);
  EXPECT_EQ(h.connect_and_close(), std::nullopt);
  EXPECT_EQ(h.pair.client().counters().time_wait_reused_connect, 0u);
}

}  // namespace
}  // namespace ustack
