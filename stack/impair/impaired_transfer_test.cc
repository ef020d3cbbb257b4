// Two whole Stacks with TCP exchanging data in virtual time across impairments written as
// `--impair` specs: over a Link whose directions are impaired, and through an ImpairedDevice
// (the TUN/TAP wrapper) added to its Stack as a poller, so its held packets wake the loop via
// Stack::poll_at(). Every byte arrives intact, in order, exactly once.
#include <gtest/gtest.h>

#include <string>

#include "stack/base/random.h"
#include "stack/impair/impaired_device.h"
#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/tcp/sim_app.h"
#include "stack/tcp/tcp_layer.h"

namespace ustack {
namespace {

using namespace ustack::literals;

const IpCidr kA = *IpCidr::parse("198.18.0.1/24");
const IpCidr kB = *IpCidr::parse("198.18.0.2/24");

ImpairSpec spec(std::string_view text) {
  ImpairSpecParse r = ImpairSpec::parse(text);
  EXPECT_TRUE(r.spec) << r.error;
  return r.spec.value_or(ImpairSpec{});
}

struct Result {
  std::string error;  // "" when both directions arrived intact
  Instant finished;
};

// A connection from stack a to b; each side sends `bytes` and closes.
Result transfer(Device& dev_a, Device& dev_b, Link& link, std::size_t bytes,
                Pollable* extra_a = nullptr) {
  StackConfig sa, sb;
  sa.seed = 1;
  sb.seed = 2;
  Stack a(sa, dev_a), b(sb, dev_b);
  a.add_address(kA);
  b.add_address(kB);
  if (extra_a) a.add_poller(*extra_a);
  TcpLayerConfig ca, cb;
  ca.seed = 3;
  cb.seed = 4;
  TcpLayer ta(ca), tb(cb);
  a.register_transport(ta);
  b.register_transport(tb);
  Rng r(5);
  SimApp client, server;
  client.out = random_data(r, bytes);
  server.out = random_data(r, bytes);
  auto listener = tb.listen(kB.addr, 80, 8);
  Instant now;
  auto conn = ta.connect(now, a, kB.addr, 80);
  if (!listener.ok() || !conn.ok()) return {"setup failed", now};
  client.h = *conn;
  Result res;
  for (int iter = 0; iter < 2000000; ++iter) {
    a.poll(now);
    b.poll(now);
    if (!server.h.valid()) {
      if (auto acc = tb.accept(*listener); acc.ok()) server.h = *acc;
    }
    client.step(ta);
    server.step(tb);
    if (client.failed || server.failed) return {"connection failed", now};
    if (client.closed && server.closed) break;
    Instant next = std::min({a.poll_at(), b.poll_at(), link.next_delivery()});
    if (next.is_never() || next > Instant() + 600_s) return {"stalled", now};
    now = std::max(now, next);
  }
  if (extra_a) a.remove_poller(*extra_a);
  if (server.in != client.out) return {"a->b data differs", now};
  if (client.in != server.out) return {"b->a data differs", now};
  return {"", now};
}

TEST(ImpairedTransfer, TcpSurvivesEveryImpairmentOnTheLink) {
  LinkConfig cfg;
  cfg.seed = 7;
  cfg.a_to_b = spec(
      "delay=20ms,jitter=2ms,rate=10mbit,queue=32k,loss=1%,burst=gilbert:p=0.005:r=0.5,"
      "reorder=2%:5ms,dup=1%,corrupt=0.5%");
  cfg.b_to_a = spec("delay=20ms,loss=1%,dup=1%,reorder=2%:3ms");
  Link link(cfg);
  Result r = transfer(link.a(), link.b(), link, 300'000);
  EXPECT_EQ(r.error, "");
  const ImpairCounters& c = link.a().tx_stats().impair;
  EXPECT_GT(c.lost_random + c.lost_burst, 0u);
  EXPECT_GT(c.duplicated, 0u);
  EXPECT_GT(c.reordered, 0u);
}

// 1 MB at 8 Mbit/s cannot take less than one second of virtual time: the rate limit holds.
TEST(ImpairedTransfer, RateLimitBoundsTheTransferTime) {
  LinkConfig cfg;
  cfg.a_to_b = spec("rate=8mbit,queue=64k,delay=5ms");
  cfg.b_to_a = spec("delay=5ms");
  Link link(cfg);
  Result r = transfer(link.a(), link.b(), link, 1'000'000);
  EXPECT_EQ(r.error, "");
  EXPECT_GE(r.finished, Instant() + 1_s);
}

// The TUN/TAP path: the Link itself is perfect, the impairment is the wrapper around a's end.
TEST(ImpairedTransfer, ImpairedDeviceAsPollerDeliversEveryByte) {
  Link link(LinkConfig{});
  ImpairedDevice dev(link.a(), spec("delay=20ms,loss=2%,reorder=2%:5ms"),
                     spec("delay=20ms,rate=20mbit,loss=2%,dup=1%,corrupt=0.5%"), 11);
  Result r = transfer(dev, link.b(), link, 300'000, &dev);
  EXPECT_EQ(r.error, "");
  EXPECT_GT(dev.out().counters().lost_random, 0u);
  EXPECT_GT(dev.in().counters().lost_random, 0u);
  EXPECT_GT(dev.out().counters().delayed, 0u);
}

}  // namespace
}  // namespace ustack
