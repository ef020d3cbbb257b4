// virtio_net_hdr encode/decode against the byte layout of Linux's struct virtio_net_hdr.
#include "tun/vnet_hdr.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace ustack::tun {
namespace {

ByteVec bytes(std::initializer_list<int> v) {
  ByteVec out;
  for (int b : v) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

// What the kernel writes before a TSO4 super-packet with a partial checksum: NEEDS_CSUM,
// GSO_TCPV4, hdr_len 66, gso_size 1448, csum_start 20, csum_offset 16 (little-endian).
TEST(VnetHdr, DecodesKernelTso4SuperPacket) {
  auto h = bytes({0x01, 0x01, 66, 0, 0xa8, 0x05, 20, 0, 16, 0});
  VnetHdrDecoded d = decode_vnet_hdr(h, 65000);
  ASSERT_FALSE(d.error);
  EXPECT_TRUE(d.offload.needs_csum);
  EXPECT_FALSE(d.offload.data_valid);
  EXPECT_EQ(d.offload.gso, PacketOffload::Gso::kTcpV4);
  EXPECT_EQ(d.offload.gso_size, 1448);
  EXPECT_EQ(d.offload.hdr_len, 66);
  EXPECT_EQ(d.offload.csum_start, 20);
  EXPECT_EQ(d.offload.csum_offset, 16);
  EXPECT_TRUE(d.offload.checksum_trusted());
}

TEST(VnetHdr, DecodesDataValidAndPlain) {
  VnetHdrDecoded valid = decode_vnet_hdr(bytes({0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 60);
  ASSERT_FALSE(valid.error);
  EXPECT_TRUE(valid.offload.data_valid);
  EXPECT_TRUE(valid.offload.checksum_trusted());
  EXPECT_EQ(valid.offload.gso, PacketOffload::Gso::kNone);

  VnetHdrDecoded plain = decode_vnet_hdr(bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 60);
  ASSERT_FALSE(plain.error);
  EXPECT_TRUE(plain.offload.is_plain());
  EXPECT_FALSE(plain.offload.checksum_trusted());
}

TEST(VnetHdr, Tcpv6WithEcnBitIsTcpv6) {
  VnetHdrDecoded d = decode_vnet_hdr(bytes({0x01, 0x84, 86, 0, 0xa0, 0x05, 40, 0, 16, 0}), 9000);
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.offload.gso, PacketOffload::Gso::kTcpV6);
  EXPECT_EQ(d.offload.gso_size, 1440);
}

TEST(VnetHdr, RejectsUfoAndTruncatedAndChecksumOutsidePacket) {
  EXPECT_EQ(decode_vnet_hdr(bytes({0, 3, 0, 0, 0, 0, 0, 0, 0, 0}), 60).error,
            VnetHdrError::kUnknownGsoType);
  EXPECT_EQ(decode_vnet_hdr(bytes({0, 0, 0}), 60).error, VnetHdrError::kTruncated);
  // csum field at 20 + 16 .. 38 in a 37-byte packet.
  EXPECT_EQ(decode_vnet_hdr(bytes({1, 0, 0, 0, 0, 0, 20, 0, 16, 0}), 37).error,
            VnetHdrError::kBadChecksumOffsets);
  EXPECT_FALSE(decode_vnet_hdr(bytes({1, 0, 0, 0, 0, 0, 20, 0, 16, 0}), 38).error);
}

TEST(VnetHdr, EncodesTso6SuperSegment) {
  PacketOffload o;
  o.needs_csum = true;
  o.csum_start = 40;
  o.csum_offset = 16;
  o.gso = PacketOffload::Gso::kTcpV6;
  o.gso_size = 1428;  // 0x0594
  o.hdr_len = 72;
  std::array<std::uint8_t, kVnetHdrLen> out{};
  encode_vnet_hdr(o, out);
  EXPECT_EQ(ByteVec(out.begin(), out.end()), bytes({0x01, 0x04, 72, 0, 0x94, 0x05, 40, 0, 16, 0}));
  VnetHdrDecoded back = decode_vnet_hdr(out, 65000);
  ASSERT_FALSE(back.error);
  EXPECT_EQ(back.offload.gso, PacketOffload::Gso::kTcpV6);
  EXPECT_EQ(back.offload.gso_size, 1428);
  EXPECT_EQ(back.offload.hdr_len, 72);
}

// A plain packet's header is all zeros whatever stale fields the offload value holds (the
// kernel rejects a gso_size without a GSO type on some paths).
TEST(VnetHdr, EncodesPlainAndChecksumOnly) {
  PacketOffload o;
  o.gso_size = 1000;
  o.csum_start = 20;
  std::array<std::uint8_t, kVnetHdrLen> out{};
  encode_vnet_hdr(o, out);
  EXPECT_EQ(ByteVec(out.begin(), out.end()), bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  o.needs_csum = true;
  o.csum_offset = 6;  // UDP
  encode_vnet_hdr(o, out);
  EXPECT_EQ(ByteVec(out.begin(), out.end()), bytes({1, 0, 0, 0, 0, 0, 20, 0, 6, 0}));
}

}  // namespace
}  // namespace ustack::tun
