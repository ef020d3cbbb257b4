// Reassembly engine (RFC 791 §3.2, RFC 815, RFC 8200 §4.5, RFC 5722).
#include "stack/ip/reassembler.h"

#include <gtest/gtest.h>

#include <numeric>

namespace ustack {
namespace {

using namespace literals;
using O = Reassembler::Outcome;

const ReassemblyKey kKey{*IpAddr::parse("198.18.0.1"), *IpAddr::parse("198.18.0.2"), 77, 17};

ByteVec pattern(std::size_t n) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return v;
}

Bytes slice(const ByteVec& v, std::size_t off, std::size_t len) {
  return Bytes(v).subspan(off, len);
}

const ByteVec kHeader = {0x45, 0, 0, 0};

TEST(Reassembler, InOrder) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(3000);
  Instant t;
  EXPECT_EQ(r.add(t, kKey, 0, slice(d, 0, 1480), true, kHeader, 17).outcome, O::kIncomplete);
  EXPECT_EQ(r.add(t, kKey, 1480, slice(d, 1480, 1480), true).outcome, O::kIncomplete);
  auto res = r.add(t, kKey, 2960, slice(d, 2960, 40), false);
  ASSERT_EQ(res.outcome, O::kComplete);
  EXPECT_TRUE(std::equal(res.payload.begin(), res.payload.end(), d.begin(), d.end()));
  EXPECT_EQ(ByteVec(res.first_header.begin(), res.first_header.end()), kHeader);
  EXPECT_EQ(res.first_proto, 17);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.memory_used(), 0u);
}

TEST(Reassembler, OutOfOrderLastFirst) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(2000);
  Instant t;
  EXPECT_EQ(r.add(t, kKey, 1600, slice(d, 1600, 400), false).outcome, O::kIncomplete);
  EXPECT_EQ(r.add(t, kKey, 800, slice(d, 800, 800), true).outcome, O::kIncomplete);
  auto res = r.add(t, kKey, 0, slice(d, 0, 800), true, kHeader);
  ASSERT_EQ(res.outcome, O::kComplete);
  EXPECT_TRUE(std::equal(res.payload.begin(), res.payload.end(), d.begin(), d.end()));
}

// RFC 8200 §4.5: exact duplicates may be dropped without discarding the datagram.
TEST(Reassembler, ExactDuplicateIsIgnored) {
  ReassemblyConfig cfg;
  cfg.overlap = OverlapPolicy::kDropDatagram;
  Reassembler r(cfg);
  ByteVec d = pattern(16);
  Instant t;
  r.add(t, kKey, 0, slice(d, 0, 8), true, kHeader);
  EXPECT_EQ(r.add(t, kKey, 0, slice(d, 0, 8), true, kHeader).outcome, O::kDuplicate);
  EXPECT_EQ(r.add(t, kKey, 8, slice(d, 8, 8), false).outcome, O::kComplete);
}

// IPv4 as Linux since the FragmentSmack fixes (CVE-2018-5391): a fragment that overlaps
// received bytes without lying wholly inside them discards the whole datagram, so no byte is
// ever taken from one of two disagreeing copies.
TEST(Reassembler, Ipv4PartialOverlapDropsDatagram) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(64);
  ByteVec evil(32, 0xee);
  Instant t;
  r.add(t, kKey, 0, slice(d, 0, 32), true, kHeader);
  EXPECT_EQ(r.add(t, kKey, 16, evil, true).outcome, O::kOverlap);  // [16,48) overlaps [0,32)
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.memory_used(), 0u);
  // The last fragment starts a new queue that never completes without its first bytes.
  EXPECT_EQ(r.add(t, kKey, 40, slice(d, 40, 24), false).outcome, O::kIncomplete);
}

// Linux (inet_frag_queue_insert → IPFRAG_DUP): a fragment wholly inside received bytes is a
// duplicate; it is ignored whatever it holds and the datagram completes with the first copy.
TEST(Reassembler, Ipv4FragmentInsideReceivedBytesIsIgnored) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(64);
  ByteVec evil(16, 0xee);
  Instant t;
  r.add(t, kKey, 0, slice(d, 0, 32), true, kHeader);
  EXPECT_EQ(r.add(t, kKey, 8, evil, true).outcome, O::kDuplicate);  // [8,24) inside [0,32)
  EXPECT_EQ(r.add(t, kKey, 0, slice(d, 0, 32), true, kHeader).outcome, O::kDuplicate);
  auto res = r.add(t, kKey, 32, slice(d, 32, 32), false);
  ASSERT_EQ(res.outcome, O::kComplete);
  EXPECT_TRUE(std::equal(res.payload.begin(), res.payload.end(), d.begin(), d.end()));
}

// A fragment that covers received bytes and more is an overlap, not a duplicate.
TEST(Reassembler, Ipv4FragmentCoveringReceivedBytesDropsDatagram) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(64);
  Instant t;
  r.add(t, kKey, 8, slice(d, 8, 8), true);
  EXPECT_EQ(r.add(t, kKey, 0, slice(d, 0, 32), true, kHeader).outcome, O::kOverlap);
  EXPECT_EQ(r.datagrams(), 0u);
}

// RFC 5722 §4: under the IPv6 policy even a fragment inside received bytes is an overlap
// unless it is an exact copy.
TEST(Reassembler, Ipv6FragmentInsideReceivedBytesDropsDatagram) {
  ReassemblyConfig cfg;
  cfg.overlap = OverlapPolicy::kDropDatagram;
  Reassembler r(cfg);
  ByteVec d = pattern(64);
  Instant t;
  r.add(t, kKey, 0, slice(d, 0, 32), true, kHeader);
  EXPECT_EQ(r.add(t, kKey, 8, slice(d, 8, 16), true).outcome, O::kOverlap);
  EXPECT_EQ(r.datagrams(), 0u);
}

// RFC 5722 §4: IPv6 overlapping fragments discard the whole datagram, later ones included.
TEST(Reassembler, Ipv6OverlapDropsDatagram) {
  ReassemblyConfig cfg;
  cfg.overlap = OverlapPolicy::kDropDatagram;
  Reassembler r(cfg);
  ByteVec d = pattern(48);
  Instant t;
  r.add(t, kKey, 0, slice(d, 0, 24), true, kHeader);
  EXPECT_EQ(r.add(t, kKey, 16, slice(d, 16, 16), true).outcome, O::kOverlap);
  EXPECT_EQ(r.datagrams(), 0u);
  // The rest of the datagram starts a new, never-completing queue.
  EXPECT_EQ(r.add(t, kKey, 32, slice(d, 32, 16), false).outcome, O::kIncomplete);
}

TEST(Reassembler, TimeoutReportsFirstFragment) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(100);
  Instant t = Instant::from_millis(10);
  r.add(t, kKey, 0, slice(d, 0, 40), true, kHeader);
  EXPECT_EQ(r.next_deadline(), t + 30_s);
  int calls = 0;
  EXPECT_EQ(r.expire(t + 29_s, [&](const ReassemblyKey&, Bytes, Bytes) { ++calls; }), 0u);
  EXPECT_EQ(r.expire(t + 30_s,
                     [&](const ReassemblyKey& k, Bytes header, Bytes data) {
                       ++calls;
                       EXPECT_EQ(k, kKey);
                       EXPECT_EQ(header.size(), kHeader.size());
                       EXPECT_EQ(data.size(), 40u);
                     }),
            1u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.memory_used(), 0u);
}

TEST(Reassembler, TimeoutWithoutFirstFragmentHasNoHeader) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(100);
  r.add(Instant(), kKey, 40, slice(d, 40, 40), true);
  r.expire(Instant() + 30_s, [&](const ReassemblyKey&, Bytes header, Bytes data) {
    EXPECT_TRUE(header.empty());
    EXPECT_TRUE(data.empty());
  });
}

// A datagram larger than the whole cap is dropped; memory never passes the cap.
TEST(Reassembler, MemoryCapEnforced) {
  ReassemblyConfig cfg;
  cfg.memory_cap = 10000;
  Reassembler r(cfg);
  ByteVec d = pattern(12000);
  Instant t;
  EXPECT_EQ(r.add(t, kKey, 0, slice(d, 0, 6000), true, kHeader).outcome, O::kIncomplete);
  auto res = r.add(t, kKey, 6000, slice(d, 6000, 6000), true);
  EXPECT_EQ(res.outcome, O::kMemoryFull);
  EXPECT_EQ(res.evicted, 0u);
  EXPECT_EQ(r.memory_used(), 0u);
  EXPECT_EQ(r.datagrams(), 0u);
}

// Linux inet_frag_evictor (before 4.17): past ipfrag_high_thresh the oldest incomplete
// datagrams are evicted down to ipfrag_low_thresh, so a new datagram is not starved by
// fragments that will never complete.
TEST(Reassembler, MemoryPressureEvictsTheOldestDownToTheLowThreshold) {
  ReassemblyConfig cfg;
  cfg.memory_cap = 10000;
  cfg.memory_low = 8000;
  Reassembler r(cfg);
  ByteVec d = pattern(8000);
  Instant t;
  for (std::uint32_t i = 0; i < 3; ++i) {
    ReassemblyKey k = kKey;
    k.ident = i;
    EXPECT_EQ(r.add(t + Duration::millis(i), k, 0, slice(d, 0, 3000), true, kHeader).outcome,
              O::kIncomplete);
  }
  EXPECT_EQ(r.memory_used(), 3u * 3004u);
  // 4004 more bytes: over the cap, so evict the oldest until they fit under 8000.
  ReassemblyKey k3 = kKey;
  k3.ident = 3;
  auto res = r.add(t + 3_ms, k3, 0, slice(d, 0, 4000), true, kHeader);
  EXPECT_EQ(res.outcome, O::kIncomplete);
  EXPECT_EQ(res.evicted, 2u);
  EXPECT_EQ(r.datagrams(), 2u);
  EXPECT_LE(r.memory_used(), 8000u);
  // Datagram 2 (the newest of the three) survived and still completes.
  ReassemblyKey k2 = kKey;
  k2.ident = 2;
  EXPECT_EQ(r.add(t + 4_ms, k2, 3000, slice(d, 3000, 8), false).outcome, O::kComplete);
  std::size_t timeouts = 0;
  r.expire(t + 60_s, [&](const ReassemblyKey& k, Bytes, Bytes) {
    EXPECT_EQ(k.ident, 3u);
    ++timeouts;
  });
  EXPECT_EQ(timeouts, 1u);
}

// A full table evicts its oldest datagram for a new one instead of refusing it.
TEST(Reassembler, FullTableEvictsTheOldestDatagram) {
  ReassemblyConfig cfg;
  cfg.max_datagrams = 4;
  Reassembler r(cfg);
  ByteVec d = pattern(16);
  for (std::uint32_t i = 0; i < 10; ++i) {
    ReassemblyKey k = kKey;
    k.ident = i;
    auto res = r.add(Instant::from_millis(i), k, 0, slice(d, 0, 8), true, kHeader);
    EXPECT_EQ(res.outcome, O::kIncomplete) << i;
    EXPECT_EQ(res.evicted, i < 4 ? 0u : 1u) << i;
  }
  EXPECT_EQ(r.datagrams(), 4u);
  for (std::uint32_t i = 6; i < 10; ++i) {  // 0..5 were evicted
    ReassemblyKey k = kKey;
    k.ident = i;
    EXPECT_EQ(r.add(Instant::from_millis(20), k, 8, slice(d, 8, 8), false).outcome, O::kComplete);
  }
  EXPECT_EQ(r.datagrams(), 0u);
}

// With no room at all, a new datagram is refused.
TEST(Reassembler, NoDatagramsAllowedRefusesAll) {
  ReassemblyConfig cfg;
  cfg.max_datagrams = 0;
  Reassembler r(cfg);
  EXPECT_EQ(r.add(Instant(), kKey, 0, pattern(8), true, kHeader).outcome, O::kTooManyDatagrams);
}

TEST(Reassembler, TooBigDatagramRejected) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(1000);
  EXPECT_EQ(r.add(Instant(), kKey, 65000, d, false).outcome, O::kTooBig);
  EXPECT_EQ(r.datagrams(), 0u);
}

TEST(Reassembler, DataPastTheLastFragmentIsInconsistent) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(100);
  r.add(Instant(), kKey, 16, slice(d, 16, 32), false);  // the datagram ends at 48
  EXPECT_EQ(r.add(Instant(), kKey, 48, slice(d, 48, 16), true).outcome, O::kInconsistent);
  EXPECT_EQ(r.datagrams(), 0u);
}

TEST(Reassembler, DifferentKeysDoNotMix) {
  Reassembler r(ReassemblyConfig{});
  ByteVec d = pattern(16);
  ReassemblyKey other = kKey;
  other.proto = 6;
  r.add(Instant(), kKey, 0, slice(d, 0, 8), true, kHeader);
  EXPECT_EQ(r.add(Instant(), other, 8, slice(d, 8, 8), false).outcome, O::kIncomplete);
  EXPECT_EQ(r.datagrams(), 2u);
}

}  // namespace
}  // namespace ustack
