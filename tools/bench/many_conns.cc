// Many-connections benchmark: two TcpLayers back to back in memory (stack/tcp/layer_pair.h), in
// virtual time, with 100, 1 000 and 10 000 concurrent connections. Prints, per connection, the
// heap bytes (counted by this binary's operator new) and TcpLayer::memory() idle and while
// every connection holds data, then what a poll costs with nothing due and what one event
// (a request on a random connection, its delayed ACK timer, the ACK) costs in wall time: the
// point is that neither grows with the number of connections. Not a test: numbers to read.
//
//   bazel run -c opt //tools/bench:many_conns [-- ROUNDS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "stack/base/random.h"
#include "stack/tcp/heap_counter.h"
#include "stack/tcp/layer_pair.h"

namespace ustack {
namespace {

using namespace ustack::literals;
using Clock = std::chrono::steady_clock;

double ns_since(Clock::time_point t0, std::uint64_t ops) {
  return static_cast<double>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()) /
         static_cast<double>(ops);
}

std::size_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * 4096;
}

void run(int n, int rounds) {
  const std::size_t heap0 = heap_live_bytes();
  const std::size_t rss0 = rss_bytes();
  TcpLayerConfig cfg;  // default buffers: 256 KiB rings, lent only while they hold data
  auto p = std::make_unique<TcpLayerPair>(cfg, cfg);
  SocketHandle listener = *p->server().listen(p->server_addr(), 80, static_cast<unsigned>(n));
  std::vector<SocketHandle> clients, servers;
  for (int i = 0; i < n; ++i) {
    clients.push_back(*p->client().connect(p->now(), p->client_ip(), p->server_addr(), 80));
  }
  p->settle();
  for (int i = 0; i < n; ++i) servers.push_back(*p->server().accept(listener));
  p->run_for(1_s);
  const std::size_t idle_heap = heap_live_bytes() - heap0;
  const std::size_t idle_rss = rss_bytes() - rss0;
  TcpLayer::Memory m = p->server().memory();

  // Active: every connection has 1 KiB in flight to the server, unread there.
  std::string req(1024, 'q');
  for (SocketHandle c : clients) p->client().send(c, as_bytes(req));
  p->settle();
  const std::size_t active_heap = heap_live_bytes() - heap0;
  const std::size_t active_rss = rss_bytes() - rss0;
  std::vector<std::uint8_t> buf(4096);
  for (SocketHandle s : servers) p->server().recv(s, buf);
  p->run_for(1_s);
  const std::size_t drained_heap = heap_live_bytes() - heap0;

  // An idle poll: the question an event loop asks every iteration.
  constexpr int kPolls = 1000000;
  auto t0 = Clock::now();
  Instant now = p->now();
  std::uint64_t sink = 0;
  for (int i = 0; i < kPolls; ++i) {
    sink += static_cast<std::uint64_t>(p->server().poll_at().total_nanos() & 1);
    p->server().poll(now, p->server_ip());
  }
  const double idle_poll_ns = ns_since(t0, kPolls);

  // Events: a 64-byte request on a random connection, delivered; 50 ms later the server's
  // delayed-ACK timer has fired and the client's retransmission timer is disarmed.
  Rng rng(42);
  std::string small(64, 'r');
  const std::uint64_t seg0 = p->segments();
  const std::uint64_t timers0 =
      p->client().counters().timer_entries_visited + p->server().counters().timer_entries_visited;
  t0 = Clock::now();
  std::vector<SocketHandle> ready;
  // What an event loop does after each wakeup: take the readiness lists.
  auto drain = [&] {
    ready.clear();
    p->client().take_ready(ready);
    p->server().take_ready(ready);
  };
  drain();
  for (int r = 0; r < rounds; ++r) {
    int i = static_cast<int>(rng.uniform(static_cast<std::uint64_t>(n)));
    p->client().send(clients[static_cast<std::size_t>(i)], as_bytes(small));
    p->run_for(50_ms);
    p->server().recv(servers[static_cast<std::size_t>(i)], buf);
    drain();
  }
  const double round_ns = ns_since(t0, static_cast<std::uint64_t>(rounds));
  const std::uint64_t segs = p->segments() - seg0;
  const std::uint64_t fired = p->client().counters().timer_entries_visited +
                              p->server().counters().timer_entries_visited - timers0;
  // The same rounds on one connection: the same work with its state in cache, so what is left
  // of any growth with the connection count is the data structures (hash maps, timer heap).
  t0 = Clock::now();
  for (int r = 0; r < rounds; ++r) {
    p->client().send(clients[0], as_bytes(small));
    p->run_for(50_ms);
    p->server().recv(servers[0], buf);
    drain();
  }
  const double hot_round_ns = ns_since(t0, static_cast<std::uint64_t>(rounds));

  std::printf(
      "%6d conns | idle: %5zu B heap/conn (both ends), %5zu B RSS/conn; server slots %zu, "
      "timers %zu | active (1 KiB unread each): %7zu B heap/conn, %6zu B RSS/conn | drained: "
      "%5zu B heap/conn\n",
      n, idle_heap / static_cast<std::size_t>(n), idle_rss / static_cast<std::size_t>(n), m.slots,
      m.timers, active_heap / static_cast<std::size_t>(n), active_rss / static_cast<std::size_t>(n),
      drained_heap / static_cast<std::size_t>(n));
  std::printf(
      "%6d conns | idle poll_at()+poll(): %4.1f ns | event round (send, deliver, timers, ACK) on "
      "a random connection: %5.0f ns = %4.0f ns per segment-or-timer (%.2f segs + %.2f timers "
      "per round); on one hot connection: %5.0f ns per round%s\n",
      n, idle_poll_ns, round_ns, round_ns * rounds / static_cast<double>(segs + fired),
      static_cast<double>(segs) / rounds, static_cast<double>(fired) / rounds, hot_round_ns,
      sink == 12345 ? " " : "");
}

}  // namespace
}  // namespace ustack

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 20000;
  for (int n : {100, 1000, 10000}) ustack::run(n, rounds);
  return 0;
}
