#include "tun/vnet_hdr.h"

#include <cstdint>

namespace ustack::tun {
namespace {

// include/uapi/linux/virtio_net.h (not included: it declares a member named `class`, which C++
// cannot parse). UDP_L4 is Linux 6.2's USO, newer than Debian 12's headers.
constexpr std::uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
constexpr std::uint8_t VIRTIO_NET_HDR_F_DATA_VALID = 2;
constexpr std::uint8_t VIRTIO_NET_HDR_GSO_NONE = 0;
constexpr std::uint8_t VIRTIO_NET_HDR_GSO_TCPV4 = 1;
constexpr std::uint8_t VIRTIO_NET_HDR_GSO_TCPV6 = 4;
constexpr std::uint8_t VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
constexpr std::uint8_t VIRTIO_NET_HDR_GSO_ECN = 0x80;

std::uint16_t load_le16(Bytes b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | b[at + 1] << 8);
}

void store_le16(MutBytes b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v & 0xff);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}

}  // namespace

VnetHdrDecoded decode_vnet_hdr(Bytes hdr, std::size_t packet_len) {
  VnetHdrDecoded d;
  if (hdr.size() < kVnetHdrLen) {
    d.error = VnetHdrError::kTruncated;
    return d;
  }
  std::uint8_t flags = hdr[0];
  std::uint8_t gso_type = hdr[1];
  PacketOffload& o = d.offload;
  o.needs_csum = (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
  o.data_valid = (flags & VIRTIO_NET_HDR_F_DATA_VALID) != 0;
  o.hdr_len = load_le16(hdr, 2);
  o.gso_size = load_le16(hdr, 4);
  o.csum_start = load_le16(hdr, 6);
  o.csum_offset = load_le16(hdr, 8);
  switch (gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
    case VIRTIO_NET_HDR_GSO_NONE:
      o.gso = PacketOffload::Gso::kNone;
      break;
    case VIRTIO_NET_HDR_GSO_TCPV4:
      o.gso = PacketOffload::Gso::kTcpV4;
      break;
    case VIRTIO_NET_HDR_GSO_TCPV6:
      o.gso = PacketOffload::Gso::kTcpV6;
      break;
    case VIRTIO_NET_HDR_GSO_UDP_L4:
      o.gso = PacketOffload::Gso::kUdpL4;
      break;
    default:  // UFO (VIRTIO_NET_HDR_GSO_UDP) and anything newer: we never offered them
      d.error = VnetHdrError::kUnknownGsoType;
      return d;
  }
  if (o.gso == PacketOffload::Gso::kNone) o.gso_size = 0;
  // The checksum field must lie inside the packet (Linux virtio_net_hdr_to_skb checks the same).
  if (o.needs_csum && std::size_t{o.csum_start} + o.csum_offset + 2 > packet_len) {
    d.error = VnetHdrError::kBadChecksumOffsets;
  }
  return d;
}

void encode_vnet_hdr(const PacketOffload& o, MutBytes out) {
  std::uint8_t flags = 0;
  if (o.needs_csum) flags |= VIRTIO_NET_HDR_F_NEEDS_CSUM;
  if (o.data_valid) flags |= VIRTIO_NET_HDR_F_DATA_VALID;
  std::uint8_t gso_type = VIRTIO_NET_HDR_GSO_NONE;
  switch (o.gso) {
    case PacketOffload::Gso::kNone:
      break;
    case PacketOffload::Gso::kTcpV4:
      gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
      break;
    case PacketOffload::Gso::kTcpV6:
      gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
      break;
    case PacketOffload::Gso::kUdpL4:
      gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
      break;
  }
  out[0] = flags;
  out[1] = gso_type;
  bool gso = o.gso != PacketOffload::Gso::kNone;
  store_le16(out, 2, gso ? o.hdr_len : 0);
  store_le16(out, 4, gso ? o.gso_size : 0);
  store_le16(out, 6, o.needs_csum ? o.csum_start : 0);
  store_le16(out, 8, o.needs_csum ? o.csum_offset : 0);
}

}  // namespace ustack::tun
