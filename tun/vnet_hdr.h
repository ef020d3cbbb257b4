// The virtio-net header that precedes every packet on a TUN/TAP opened with IFF_VNET_HDR
// (struct virtio_net_hdr, virtio 1.x §5.1.6; Linux include/uapi/linux/virtio_net.h): 10 bytes,
// little-endian fields (TUNSETVNETLE, or the native order of the little-endian hosts we run on).
//
//   0 flags        NEEDS_CSUM (1), DATA_VALID (2)
//   1 gso_type     NONE (0), TCPV4 (1), UDP (3, UFO: refused here), TCPV6 (4), UDP_L4 (5),
//                  ECN bit (0x80)
//   2 hdr_len      link + IP + transport header bytes
//   4 gso_size     payload bytes per segment
//   6 csum_start   where the partial checksum's coverage starts
//   8 csum_offset  where the checksum field is, from csum_start
//
// Pure: decode and encode between those bytes and a PacketOffload; no ioctl here.
#pragma once

#include <cstddef>
#include <optional>

#include "stack/base/bytes.h"
#include "stack/device.h"

namespace ustack::tun {

inline constexpr std::size_t kVnetHdrLen = 10;

enum class VnetHdrError { kTruncated, kUnknownGsoType, kBadChecksumOffsets };

struct VnetHdrDecoded {
  PacketOffload offload;
  std::optional<VnetHdrError> error;  // set: the packet cannot be trusted or used as it says
};

// Decodes the header at the start of `hdr` (at least kVnetHdrLen bytes) for a packet of
// `packet_len` bytes that follows it.
VnetHdrDecoded decode_vnet_hdr(Bytes hdr, std::size_t packet_len);

// Writes `o` as a header into the first kVnetHdrLen bytes of `out`.
void encode_vnet_hdr(const PacketOffload& o, MutBytes out);

}  // namespace ustack::tun
