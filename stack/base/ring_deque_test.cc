#include "stack/base/ring_deque.h"

#include <gtest/gtest.h>

#include <deque>

namespace ustack {
namespace {

// The same operations on a RingDeque and a std::deque, across wraps and growth, agree.
TEST(RingDeque, BehavesAsADequeAcrossWrapsAndGrowth) {
  RingDeque<int> r;
  std::deque<int> d;
  std::uint64_t x = 12345;
  for (int step = 0; step < 20000; ++step) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    unsigned op = static_cast<unsigned>(x >> 60) % 4;
    if (op <= 1) {
      r.push_back(step);
      d.push_back(step);
    } else if (op == 2 && !d.empty()) {
      r.pop_front();
      d.pop_front();
    } else {
      std::size_t at = d.empty() ? 0 : static_cast<std::size_t>(x >> 20) % (d.size() + 1);
      r.insert(at, -step);
      d.insert(d.begin() + static_cast<std::ptrdiff_t>(at), -step);
    }
    ASSERT_EQ(r.size(), d.size());
    if (!d.empty()) {
      ASSERT_EQ(r.front(), d.front());
      ASSERT_EQ(r.back(), d.back());
    }
  }
  for (std::size_t i = 0; i < d.size(); ++i) ASSERT_EQ(r[i], d[i]) << i;
}

// Moving along without growing reuses the ring: the capacity stays that of the largest size.
TEST(RingDeque, ReusesItsRingAndGivesALargeOneBackWhenEmpty) {
  RingDeque<int> r;
  for (int i = 0; i < 100; ++i) r.push_back(i);
  const std::size_t cap = r.capacity();
  EXPECT_EQ(cap, 128u);
  for (int i = 0; i < 100000; ++i) {
    r.pop_front();
    r.push_back(i);
  }
  EXPECT_EQ(r.capacity(), cap);
  EXPECT_EQ(r.front(), 100000 - 100);
  while (!r.empty()) r.pop_front();
  EXPECT_EQ(r.capacity(), 0u);  // larger than kKeepWhenEmpty: released
  for (int i = 0; i < 10; ++i) r.push_back(i);
  r.clear();
  EXPECT_EQ(r.capacity(), 16u);  // small rings are kept
}

}  // namespace
}  // namespace ustack
