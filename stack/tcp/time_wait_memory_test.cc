// Memory given back after TIME_WAIT: once thousands of connections have gone through TIME_WAIT
// and expired (RFC 9293 §3.10.7.4, 2*MSL; Linux TCP_TIMEWAIT_LEN = 60 s), the layer's tables
// shrink back near their idle size. Counted in entries and capacities, not wall time.
#include <gtest/gtest.h>

#include <iostream>

#include "stack/tcp/heap_counter.h"
#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;

const IpAddr kPeer = Ipv4Addr({198, 18, 0, 1});

void inject(TcpTestbed& t, std::uint16_t src_port, std::uint16_t dst_port, std::uint32_t seq,
            std::uint32_t ack, std::uint8_t flags) {
  TcpRepr r;
  r.src_port = src_port;
  r.dst_port = dst_port;
  r.seq = SeqNum(seq);
  r.ack = SeqNum(ack);
  r.flags = flags;
  r.window = 64240;
  if (flags & tcp_flags::kSyn) r.options.mss = 1460;
  ByteVec b(r.buffer_len());
  r.emit(b, kPeer, t.ip().local, ChecksumMode::kCompute);
  t.inject_bytes(b);
}

// Connects to the peer's port 80, completes the handshake, closes first and answers with the
// peer's FIN: the connection ends in TIME_WAIT, its handle given back.
void connect_and_close_first(TcpTestbed& t) {
  using namespace tcp_flags;
  auto h = t.layer().connect(t.instant(), t.ip(), kPeer, 80);
  ASSERT_TRUE(h.ok());
  t.at(t.now());
  ASSERT_FALSE(t.ip().sent.empty());
  auto syn = TcpRepr::parse(t.ip().sent.back().bytes, t.ip().local, kPeer);
  ASSERT_TRUE(syn.ok());
  std::uint32_t iss = syn->seq.raw();
  std::uint16_t port = syn->src_port;
  inject(t, 80, port, 5000, iss + 1, kSyn | kAck);
  ASSERT_FALSE(t.layer().close(*h));
  t.at(t.now());  // our FIN goes out
  inject(t, 80, port, 5001, iss + 2, kFin | kAck);
  t.ip().sent.clear();
}

// After 5000 connections pass through TIME_WAIT and expire, the socket table's slots, the
// 4-tuple map's buckets, the timer heap and the port lists are back near their idle size: a
// burst of connections does not pin its peak memory for the life of the process.
TEST(TcpTimeWait, ExpiredTimeWaitSocketsGiveTheirMemoryBack) {
  TcpTestbed t;
  TcpLayer::Memory idle = t.layer().memory();
  constexpr std::size_t kConns = 5000;
  for (std::size_t i = 0; i < kConns; ++i) {
    connect_and_close_first(t);
    if (::testing::Test::HasFatalFailure()) return;
  }
  TcpLayer::Memory peak = t.layer().memory();
  EXPECT_EQ(t.layer().socket_count(), kConns);
  t.layer().for_each_socket([&](SocketHandle, bool, const TcpTuple&, TcpState st) {
    EXPECT_EQ(st, TcpState::kTimeWait);
  });
  // Every one of them is a compact record: no socket slot, no 4-tuple entry, one timer each.
  EXPECT_EQ(peak.time_wait_entries, kConns);
  EXPECT_GE(peak.time_wait_buckets, kConns);
  EXPECT_EQ(peak.timers, kConns);
  EXPECT_LE(peak.slots, idle.slots + 64);
  t.at(t.now() + 61_s);
  EXPECT_EQ(t.layer().socket_count(), 0u);
  EXPECT_EQ(t.layer().poll_at(), Instant::never());
  TcpLayer::Memory after = t.layer().memory();
  EXPECT_LE(after.slots, idle.slots + 64);
  EXPECT_LE(after.free_slots, idle.free_slots + 64);
  EXPECT_LE(after.tuple_buckets, idle.tuple_buckets + 128);
  EXPECT_LE(after.timer_capacity, idle.timer_capacity + 64);
  EXPECT_LE(after.port_entries, idle.port_entries + 64);
  EXPECT_LE(after.time_wait_buckets, idle.time_wait_buckets + 128);
  EXPECT_EQ(after.timers, 0u);
  EXPECT_EQ(t.layer().counters().time_wait_expired, kConns);
}

// Connects to the peer's port 80 with timestamps, completes the handshake, shuts down and
// answers with the peer's FIN: the connection is in TIME_WAIT while the user still holds it,
// as every TIME_WAIT connection was before the compact records (a whole TcpConnection).
SocketHandle connect_and_shutdown_first(TcpTestbed& t) {
  using namespace tcp_flags;
  auto h = t.layer().connect(t.instant(), t.ip(), kPeer, 80);
  EXPECT_TRUE(h.ok());
  t.at(t.now());
  auto syn = TcpRepr::parse(t.ip().sent.back().bytes, t.ip().local, kPeer);
  std::uint32_t iss = syn->seq.raw();
  std::uint16_t port = syn->src_port;
  inject(t, 80, port, 5000, iss + 1, kSyn | kAck);
  EXPECT_FALSE(t.layer().shutdown(*h));
  t.at(t.now());
  inject(t, 80, port, 5001, iss + 2, kFin | kAck);
  t.ip().sent.clear();
  return *h;
}

// Bytes per TIME_WAIT entry, measured on the heap: the same connections in TIME_WAIT as whole
// connections (the user still holds them) and, once their handles are closed, as compact
// records. The record must be what memory() says plus the map's bucket pointers, and a small
// fraction of the connection.
TEST(TcpTimeWait, CompactRecordCostsAFractionOfTheConnection) {
  TcpTestbed t;
  constexpr std::size_t kConns = 2000;
  t.at(t.now());
  const std::size_t base = heap_live_bytes();
  std::vector<SocketHandle> hs;
  for (std::size_t i = 0; i < kConns; ++i) hs.push_back(connect_and_shutdown_first(t));
  t.at(t.now() + 1_ms);
  for (SocketHandle h : hs) ASSERT_EQ(*t.layer().state(h), TcpState::kTimeWait);
  EXPECT_EQ(t.layer().time_wait_count(), 0u);
  const std::size_t full = (heap_live_bytes() - base) / kConns;
  for (SocketHandle h : hs) ASSERT_FALSE(t.layer().close(h));
  t.at(t.now() + 1_ms);  // polled: the tables trim what the connections left
  EXPECT_EQ(t.layer().time_wait_count(), kConns);
  const std::size_t compact = (heap_live_bytes() - base) / kConns;
  const std::size_t reported = t.layer().memory().time_wait_entry_bytes;
  std::cout << "bytes per TIME_WAIT entry: full connection " << full << ", compact record "
            << compact << " (memory() reports " << reported << " + buckets; record "
            << sizeof(TimeWaitRecord) << ", 4-tuple " << sizeof(TcpTuple) << ")\n";
  ::testing::Test::RecordProperty("tw_bytes_full", static_cast<int>(full));
  ::testing::Test::RecordProperty("tw_bytes_compact", static_cast<int>(compact));
  // + bucket pointers of two maps, malloc's rounding, the heap's and the maps' growth slack.
  EXPECT_LE(compact, reported + 80);
  EXPECT_LE(compact * 8, full);
}

}  // namespace
}  // namespace ustack::testing
