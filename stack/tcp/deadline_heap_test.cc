// DeadlineHeap (deadline_heap.h): one entry per armed owner, re-armed in place.
#include "stack/tcp/deadline_heap.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "stack/base/random.h"

namespace ustack {
namespace {

struct Owners {
  std::vector<std::uint32_t> index;
  explicit Owners(std::size_t n) : index(n, DeadlineHeap<int>::kNotArmed) {}
  auto of() {
    return [this](int r) -> std::uint32_t& { return index[static_cast<std::size_t>(r)]; };
  }
};

// Random arm/re-arm/disarm/pop against a reference map: the top is always the earliest
// deadline, the size is exactly the number of armed owners, and every owner's index points at
// its own entry.
TEST(DeadlineHeap, MatchesAReferenceUnderRandomOperations) {
  constexpr int kOwners = 300;
  Owners o(kOwners);
  DeadlineHeap<int> heap;
  std::map<int, Instant> armed;
  Rng rng(7);
  for (int step = 0; step < 200000; ++step) {
    int r = static_cast<int>(rng.uniform(kOwners));
    std::uint64_t op = rng.uniform(10);
    if (op < 6) {
      Instant at = Instant::from_micros(static_cast<std::int64_t>(rng.uniform(1000000)));
      heap.set(r, at, o.of());
      armed[r] = at;
    } else if (op < 8) {
      heap.erase(r, o.of());
      armed.erase(r);
    } else if (!heap.empty()) {
      int top = heap.top();
      Instant at = heap.top_at();
      ASSERT_EQ(armed.at(top), at);
      heap.erase(top, o.of());
      armed.erase(top);
    }
    ASSERT_EQ(heap.size(), armed.size());
    Instant earliest = Instant::never();
    for (const auto& [k, at] : armed) earliest = std::min(earliest, at);
    ASSERT_EQ(heap.top_at(), earliest);
  }
  for (int r = 0; r < kOwners; ++r) {
    EXPECT_EQ(o.index[static_cast<std::size_t>(r)] != DeadlineHeap<int>::kNotArmed,
              armed.count(r) == 1);
  }
}

// The case that made the old lazy heap grow: every ACK re-arms a retransmission timer. A
// million re-arms of 100 timers leave 100 entries, and the storage stays at that size.
TEST(DeadlineHeap, ReArmingDoesNotGrowTheHeap) {
  Owners o(100);
  DeadlineHeap<int> heap;
  for (int i = 0; i < 1000000; ++i) {
    heap.set(i % 100, Instant::from_micros(i + 200000), o.of());
  }
  EXPECT_EQ(heap.size(), 100u);
  EXPECT_LE(heap.capacity(), 128u);
  EXPECT_EQ(heap.top(), 0);
  EXPECT_EQ(heap.top_at(), Instant::from_micros(999900 + 200000));
}

}  // namespace
}  // namespace ustack
