// SlotTable: generation-checked handles, lowest-slot reuse and a tail given back.
#include "stack/socket_table.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/ready_list.h"

namespace ustack {
namespace {

TEST(SlotTable, StaleHandleDoesNotMatchASlotMadeAgainAfterTheTailWasGivenBack) {
  SlotTable<int> t;
  std::vector<SocketHandle> hs;
  for (int i = 0; i < 1000; ++i) hs.push_back(t.insert(std::make_unique<int>(i)));
  for (SocketHandle h : hs) t.erase(h);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_LE(t.slot_capacity(), 64u);  // given back
  for (int i = 0; i < 1000; ++i) {
    SocketHandle h = t.insert(std::make_unique<int>(-i));
    EXPECT_EQ(t.get(hs[h.index]), nullptr) << i;  // the old handle at that index is stale
  }
}

TEST(SlotTable, InsertTakesTheLowestFreeSlot) {
  SlotTable<int> t;
  std::vector<SocketHandle> hs;
  for (int i = 0; i < 10; ++i) hs.push_back(t.insert(std::make_unique<int>(i)));
  t.erase(hs[7]);
  t.erase(hs[2]);
  t.erase(hs[5]);
  EXPECT_EQ(t.insert(std::make_unique<int>(0)).index, 2u);
  EXPECT_EQ(t.insert(std::make_unique<int>(0)).index, 5u);
  EXPECT_EQ(t.insert(std::make_unique<int>(0)).index, 7u);
  EXPECT_EQ(t.insert(std::make_unique<int>(0)).index, 10u);
}

// A long-lived socket at the front does not keep a burst's tail allocated.
TEST(SlotTable, TailIsGivenBackBehindALiveSocket) {
  SlotTable<int> t;
  SocketHandle keep = t.insert(std::make_unique<int>(1));
  std::vector<SocketHandle> burst;
  for (int i = 0; i < 10000; ++i) burst.push_back(t.insert(std::make_unique<int>(i)));
  for (SocketHandle h : burst) t.erase(h);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_LE(t.slot_capacity(), 64u);
  EXPECT_LE(t.free_capacity(), 128u);
  ASSERT_NE(t.get(keep), nullptr);
  EXPECT_EQ(*t.get(keep), 1);
}

// A burst of marks (10 000 sockets ready at once) grows the list; the drains after it give the
// storage back, and no drain costs more than what it lists (clear() on a hash set costs its
// bucket count, which made every drain after a burst pay for the burst).
TEST(ReadyList, StorageOfABurstIsGivenBackByTheDrain) {
  ReadyList l;
  const std::size_t idle = l.capacity();
  for (std::uint32_t i = 0; i < 10000; ++i) l.mark({i, 1});
  l.mark({5, 1});  // listed once
  EXPECT_EQ(l.size(), 10000u);
  EXPECT_GE(l.capacity(), 10000u);
  std::vector<SocketHandle> out;
  l.drain(out);
  EXPECT_EQ(out.size(), 10000u);
  EXPECT_EQ(out.front(), (SocketHandle{0, 1}));
  EXPECT_TRUE(l.empty());
  // The next drain, listing little, gives the burst's storage back.
  l.mark({7, 1});
  l.mark({8, 1});
  l.forget({7, 1});
  out.clear();
  l.drain(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (SocketHandle{8, 1}));
  EXPECT_LE(l.capacity(), idle + 128);
}

}  // namespace
}  // namespace ustack
