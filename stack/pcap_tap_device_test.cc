// The tap wrapper reports every packet, both ways, and forwards unchanged.
#include "stack/pcap_tap_device.h"

#include <gtest/gtest.h>

#include <vector>

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

}  // namespace
}  // namespace ustack
