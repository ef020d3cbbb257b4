// The tap wrapper reports every packet, both ways, and forwards unchanged.
#include "stack/pcap_tap_device.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/base/bytes.h"
#include "stack/base/checksum.h"
#include "stack/link_device.h"

namespace ustack {
namespace {

struct RecordingTap : PacketTap {
  struct Rec {
    Instant at;
    PacketDirection dir;
    ByteVec bytes;
  };
  std::vector<Rec> recs;
  void record(Instant now, PacketDirection dir, Bytes packet) override {
    recs.push_back({now, dir, ByteVec(packet.begin(), packet.end())});
  }
};

TEST(PcapTapDevice, RecordsSentAndReceivedPackets) {
  Link link(LinkConfig{});
  RecordingTap tap;
  PcapTapDevice dev(link.a(), tap);
  EXPECT_EQ(dev.caps().mtu, link.a().caps().mtu);
  Instant t = Instant::from_millis(5);
  ASSERT_TRUE(dev.transmit(t, 3, [](MutBytes b) {
    b[0] = 1;
    b[1] = 2;
    b[2] = 3;
  }));
  std::uint8_t in[] = {4, 5};
  link.a().inject(t, in);
  auto p = dev.receive(t);
  ASSERT_TRUE(p);
  ASSERT_EQ(tap.recs.size(), 2u);
  EXPECT_EQ(tap.recs[0].dir, PacketDirection::kSent);
  EXPECT_EQ(tap.recs[0].bytes, (ByteVec{1, 2, 3}));
  EXPECT_EQ(tap.recs[1].dir, PacketDirection::kReceived);
  EXPECT_EQ(tap.recs[1].bytes, (ByteVec{4, 5}));
  EXPECT_EQ(tap.recs[1].at, t);
  // The peer got the packet unchanged.
  auto q = link.b().receive(t);
  ASSERT_TRUE(q);
  EXPECT_EQ(ByteVec(q->begin(), q->end()), (ByteVec{1, 2, 3}));
}

TEST(PcapTapDevice, RejectedPacketIsNotRecorded) {
  Link link(LinkConfig{.mtu = 10});
  RecordingTap tap;
  PcapTapDevice dev(link.a(), tap);
  EXPECT_FALSE(dev.transmit(Instant(), 11, [](MutBytes) {}));
  EXPECT_TRUE(tap.recs.empty());
  EXPECT_FALSE(dev.receive(Instant()));
  EXPECT_TRUE(tap.recs.empty());
}

// A packet sent with a partial checksum (NEEDS_CSUM: the field holds the pseudo-header sum,
// the kernel completes it) is recorded with the checksum completed, so a capture verifies;
// the device still gets it as written.
TEST(PcapTapDevice, PartialChecksumIsRecordedCompleted) {
  Link link(LinkConfig{});
  RecordingTap tap;
  PcapTapDevice dev(link.a(), tap);
  const Ipv4Addr src({198, 18, 0, 2}), dst({198, 18, 0, 1});
  // IPv4 (20 octets, no options) + UDP 5000 -> 7 + "ping".
  ByteVec pkt = {0x45, 0,  0, 32, 0,    0,    0x40, 0, 64, 17, 0, 0, 198, 18,  0,   2,
                 198,  18, 0, 1,  0x13, 0x88, 0,    7, 0,  12, 0, 0, 'p', 'i', 'n', 'g'};
  store_be16(pkt, 10, internet_checksum(Bytes(pkt).first(20)));
  std::uint32_t pseudo = pseudo_header_sum_v4(src, dst, 17, 12);
  std::uint16_t partial = static_cast<std::uint16_t>(~checksum_finish(pseudo));
  store_be16(pkt, 26, partial);
  ByteVec full = pkt;
  store_be16(full, 26, 0);
  store_be16(full, 26, checksum_finish(checksum_add(pseudo, Bytes(full).subspan(20))));
  PacketOffload off;
  off.needs_csum = true;
  off.csum_start = 20;
  off.csum_offset = 6;
  ASSERT_TRUE(dev.transmit_offload(Instant(), pkt.size(), off, [&](MutBytes b) {
    std::copy(pkt.begin(), pkt.end(), b.begin());
  }));
  ASSERT_EQ(tap.recs.size(), 1u);
  EXPECT_EQ(tap.recs[0].bytes, full);
  auto q = link.b().receive(Instant());
  ASSERT_TRUE(q);
  EXPECT_EQ(load_be16(*q, 26), partial);
}

}  // namespace
}  // namespace ustack
