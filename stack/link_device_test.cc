// The in-memory link: delivery timing and seeded impairments.
#include "stack/link_device.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

using namespace literals;

bool send(LinkEndpoint& e, Instant t, std::uint8_t tag, std::size_t len = 10) {
  return e.transmit(t, len, [&](MutBytes b) {
    std::fill(b.begin(), b.end(), 0);
    b[0] = tag;
  });
}

TEST(Link, DeliversToThePeerInOrder) {
  Link link(LinkConfig{});
  Instant t;
  ASSERT_TRUE(send(link.a(), t, 1));
  ASSERT_TRUE(send(link.a(), t, 2));
  EXPECT_FALSE(link.a().receive(t));
  auto p = link.b().receive(t);
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)[0], 1);
  EXPECT_EQ((*link.b().receive(t))[0], 2);
  EXPECT_FALSE(link.b().receive(t));
}

TEST(Link, DelayHoldsPacketsUntilDue) {
  LinkConfig cfg;
  cfg.a_to_b.delay = 5_ms;
  Link link(cfg);
  Instant t = Instant::from_millis(100);
  send(link.a(), t, 1);
  EXPECT_EQ(link.next_delivery(), t + 5_ms);
  EXPECT_FALSE(link.b().receive(t + 4_ms));
  EXPECT_TRUE(link.b().receive(t + 5_ms));
}

TEST(Link, RejectsPacketsLargerThanMtu) {
  LinkConfig cfg;
  cfg.mtu = 100;
  Link link(cfg);
  EXPECT_FALSE(send(link.a(), Instant(), 1, 101));
  EXPECT_TRUE(send(link.a(), Instant(), 1, 100));
  EXPECT_EQ(link.a().tx_stats().rejected, 1u);
}

TEST(Link, EthernetAllowsHeaderOnTopOfMtu) {
  Link link(LinkConfig{.medium = Medium::kEthernet, .mtu = 1500});
  EXPECT_EQ(link.a().caps().medium, Medium::kEthernet);
  EXPECT_TRUE(send(link.a(), Instant(), 1, 1514));
}

LinkStats run(std::uint64_t seed, const LinkImpairments& imp, std::vector<int>* order) {
  Link link(LinkConfig{.seed = seed, .a_to_b = imp});
  Instant t;
  for (int i = 0; i < 1000; ++i)
    send(link.a(), t + Duration::millis(i), static_cast<std::uint8_t>(i));
  Instant end = t + 10_s;
  while (auto p = link.b().receive(end)) order->push_back((*p)[0]);
  return link.a().tx_stats();
}

TEST(Link, ImpairmentsAreSeededAndReproducible) {
  LinkImpairments imp;
  imp.loss = 0.1;
  imp.duplicate = 0.1;
  imp.reorder = 0.1;
  imp.corrupt = 0.1;
  std::vector<int> o1, o2, o3;
  LinkStats s1 = run(7, imp, &o1);
  LinkStats s2 = run(7, imp, &o2);
  run(8, imp, &o3);
  EXPECT_EQ(o1, o2);
  EXPECT_NE(o1, o3);
  EXPECT_GT(s1.lost, 50u);
  EXPECT_LT(s1.lost, 150u);
  EXPECT_GT(s1.duplicated, 50u);
  EXPECT_GT(s1.reordered, 50u);
  EXPECT_GT(s1.corrupted, 50u);
  EXPECT_EQ(o1.size(), 1000 - s1.lost + s1.duplicated);
  EXPECT_EQ(s1.lost, s2.lost);
}

TEST(Link, ReorderLetsLaterPacketsOvertake) {
  LinkImpairments imp;
  imp.reorder = 0.2;
  std::vector<int> order;
  run(3, imp, &order);
  EXPECT_FALSE(std::is_sorted(order.begin(), order.end(),
                              [](int a, int b) { return (a & 0xff) < (b & 0xff); }));
}

TEST(Link, InjectDeliversToThatEndpoint) {
  Link link(LinkConfig{});
  std::uint8_t data[] = {9, 8, 7};
  link.a().inject(Instant::from_millis(3), data);
  EXPECT_FALSE(link.a().receive(Instant::from_millis(2)));
  auto p = link.a().receive(Instant::from_millis(3));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->size(), 3u);
}

}  // namespace
}  // namespace ustack
