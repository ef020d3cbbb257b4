// The out-of-order range set (RFC 9293 §3.10.7.4 seventh, RFC 2018 §4) and the byte ring.
#include "stack/tcp/assembler.h"

#include <gtest/gtest.h>

#include "stack/tcp/ring_buffer.h"

namespace ustack {
namespace {

TEST(Assembler, AdjacentAndOverlappingRangesMerge) {
  Assembler a;
  EXPECT_EQ(a.add(SeqNum(100), SeqNum(200)), Assembler::AddResult::kAdded);
  EXPECT_EQ(a.add(SeqNum(300), SeqNum(400)), Assembler::AddResult::kAdded);
  EXPECT_EQ(a.range_count(), 2u);
  EXPECT_EQ(a.add(SeqNum(200), SeqNum(300)), Assembler::AddResult::kAdded);  // fills the gap
  EXPECT_EQ(a.range_count(), 1u);
  EXPECT_EQ(a.add(SeqNum(50), SeqNum(150)), Assembler::AddResult::kAdded);  // overlaps the front
  EXPECT_EQ(a.range_count(), 1u);
  EXPECT_EQ(a.highest(), SeqNum(400));
  EXPECT_FALSE(a.pop_contiguous(SeqNum(49)).has_value());
  EXPECT_EQ(a.pop_contiguous(SeqNum(50)), SeqNum(400));
  EXPECT_TRUE(a.empty());
}

// RFC 2883: a range wholly held already is a duplicate (reported as D-SACK).
TEST(Assembler, DuplicateRangeIsReported) {
  Assembler a;
  a.add(SeqNum(100), SeqNum(200));
  EXPECT_EQ(a.add(SeqNum(120), SeqNum(180)), Assembler::AddResult::kDuplicate);
  EXPECT_EQ(a.add(SeqNum(100), SeqNum(200)), Assembler::AddResult::kDuplicate);
}

// RFC 2018 §4: blocks are reported most recently changed first.
TEST(Assembler, SackBlocksMostRecentFirst) {
  Assembler a;
  a.add(SeqNum(100), SeqNum(200));
  a.add(SeqNum(300), SeqNum(400));
  a.add(SeqNum(500), SeqNum(600));
  a.add(SeqNum(150), SeqNum(250));  // touches the first range again
  TcpSackBlock b[4];
  ASSERT_EQ(a.sack_blocks(b, 4), 3u);
  EXPECT_EQ(b[0], (TcpSackBlock{SeqNum(100), SeqNum(250)}));
  EXPECT_EQ(b[1], (TcpSackBlock{SeqNum(500), SeqNum(600)}));
  EXPECT_EQ(b[2], (TcpSackBlock{SeqNum(300), SeqNum(400)}));
  EXPECT_EQ(a.sack_blocks(b, 1), 1u);
}

// Memory stays bounded however many holes the peer makes.
TEST(Assembler, FullTableRejectsNewHoles) {
  Assembler a;
  for (std::uint32_t i = 0; i < Assembler::kMaxRanges; ++i) {
    EXPECT_EQ(a.add(SeqNum(1000 + i * 10), SeqNum(1005 + i * 10)), Assembler::AddResult::kAdded);
  }
  EXPECT_EQ(a.add(SeqNum(5000), SeqNum(5010)), Assembler::AddResult::kFull);
  // Extending an existing range still works.
  EXPECT_EQ(a.add(SeqNum(1005), SeqNum(1010)), Assembler::AddResult::kAdded);
}

TEST(Assembler, RangesAcrossSequenceWrap) {
  Assembler a;
  a.add(SeqNum(0xfffffff0u), SeqNum(0x10));
  a.add(SeqNum(0x10), SeqNum(0x20));
  EXPECT_EQ(a.range_count(), 1u);
  EXPECT_EQ(a.pop_contiguous(SeqNum(0xfffffff0u)), SeqNum(0x20));
}

// Idle connections cost no buffer memory: the storage comes with the first byte.
TEST(RingBuffer, StorageIsAllocatedAtTheFirstWrite) {
  RingBuffer r(1 << 20);
  EXPECT_FALSE(r.allocated());
  EXPECT_EQ(r.free(), 1u << 20);
  EXPECT_EQ(r.peek(0, 10).first.size(), 0u);
  ByteVec none;
  EXPECT_EQ(r.write(none), 0u);
  EXPECT_FALSE(r.allocated());
  ByteVec one{42};
  EXPECT_EQ(r.write(one), 1u);
  EXPECT_TRUE(r.allocated());
  EXPECT_EQ(r.peek(0, 1).first[0], 42);
}

// Drained, the storage goes back to the pool; the next write takes the same buffer again.
TEST(RingBuffer, EmptyRingGivesItsStorageBackToThePool) {
  BufferPool pool;
  RingBuffer r(4096, &pool);
  ByteVec data{1, 2, 3};
  r.write(data);
  ASSERT_TRUE(r.allocated());
  const std::uint8_t* first = r.peek(0, 1).first.data();
  r.release_if_empty();
  EXPECT_TRUE(r.allocated()) << "not empty yet";
  r.consume(3);
  r.release_if_empty();
  EXPECT_FALSE(r.allocated());
  EXPECT_EQ(pool.spares(), 1u);
  r.write(data);
  EXPECT_EQ(r.peek(0, 1).first.data(), first);
  EXPECT_EQ(pool.spares(), 0u);
  EXPECT_EQ(r.peek(0, 3).first[2], 3);
}

TEST(RingBuffer, PoolKeepsABoundedNumberOfSpares) {
  BufferPool pool;
  std::vector<RingBuffer> rings;
  for (int i = 0; i < 40; ++i) rings.emplace_back(1024, &pool);
  ByteVec one{7};
  for (RingBuffer& r : rings) r.write(one);
  for (RingBuffer& r : rings) {
    r.consume(1);
    r.release_if_empty();
  }
  EXPECT_EQ(pool.spares(), BufferPool::kMaxSpares);
}

TEST(RingBuffer, WrapsAroundAndPeeksInTwoPieces) {
  RingBuffer r(8);
  std::uint8_t in[6] = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(r.write(in), 6u);
  r.consume(4);
  EXPECT_EQ(r.write(in), 6u);  // 2 old + 6 new = 8, wraps
  EXPECT_EQ(r.free(), 0u);
  auto [a, b] = r.peek(0, 8);
  EXPECT_EQ(a.size() + b.size(), 8u);
  EXPECT_FALSE(b.empty());
  std::uint8_t out[8];
  EXPECT_EQ(r.read(out), 8u);
  EXPECT_EQ(out[0], 5);
  EXPECT_EQ(out[2], 1);
  EXPECT_EQ(out[7], 6);
}

TEST(RingBuffer, OutOfOrderWriteThenCommit) {
  RingBuffer r(8);
  std::uint8_t late[2] = {7, 8};
  std::uint8_t early[3] = {1, 2, 3};
  r.write_at(3, late);
  EXPECT_EQ(r.size(), 0u);
  r.write_at(0, early);
  r.commit(5);
  std::uint8_t out[5];
  ASSERT_EQ(r.read(out), 5u);
  EXPECT_EQ(out[3], 7);
  EXPECT_EQ(out[4], 8);
}

}  // namespace
}  // namespace ustack
