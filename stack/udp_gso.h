// UdpGsoBatch: consecutive UDP datagrams of one flow joined into one USO super-packet
// (VIRTIO_NET_HDR_GSO_UDP_L4, Linux 6.2's TUN_F_USO4/USO6), which the kernel cuts back into
// the same datagrams (net/ipv4/udp_offload.c __udp_gso_segment).
//
// The Stack adds every UDP packet with a partial checksum it is about to hand a device that
// offers USO; add() takes a packet that continues the batch (same IP and UDP header but for
// lengths, IPv4 identification and checksums; the same payload size as the first, or a smaller
// last one) and refuses any other, so the caller sends the batch first. take() gives the batch
// as one packet: a single datagram as it was added, two or more as a super-packet with the
// first datagram's headers, the IP and UDP lengths of the whole, the partial checksum adjusted
// to that length, and gso_size = the first datagram's payload. Pure: no device, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/base/bytes.h"
#include "stack/base/function_ref.h"
#include "stack/device.h"

namespace ustack {

class UdpGsoBatch {
 public:
  // Linux UDP_MAX_SEGMENTS (include/linux/udp.h): virtio_net_hdr_to_skb refuses a super-packet
  // of more than gso_size * 64 payload bytes (newer kernels take 128).
  static constexpr std::size_t kMaxSegments = 64;
  // The largest super-packet: an IPv4 total length (IPv6: payload length plus its header).
  static constexpr std::size_t kMaxLen = 65535;

  // True when `packet` (a whole IPv4 or IPv6 packet, `o` its offload: a partial UDP checksum,
  // no GSO) joined the batch. False when it cannot (not such a packet, another flow or size,
  // the batch full or closed by a short datagram): send take() and add it again, or send it
  // alone if add() refuses it into an empty batch.
  bool add(Bytes packet, const PacketOffload& o);
  bool empty() const { return count_ == 0; }
  std::size_t count() const { return count_; }
  // The batch as one packet (see above) and its offload; valid until the next add() or
  // clear(). Needs !empty().
  Bytes packet();
  const PacketOffload& offload() const { return offload_; }
  void clear();

 private:
  ByteVec buf_;              // the first datagram's headers, then every payload
  std::size_t hdr_len_ = 0;  // IP + UDP header bytes
  std::size_t seg_ = 0;      // the first datagram's payload bytes (gso_size)
  std::size_t count_ = 0;
  bool closed_ = false;  // a shorter datagram ended the batch
  PacketOffload offload_;
};

// USO on receive: a UDP super-packet the kernel handed over (VIRTIO_NET_HDR_GSO_UDP_L4 with
// TUN_F_USO4/USO6 set) cut into its datagrams the way Linux's __udp_gso_segment would before
// the UDP layer: gso_size payload bytes each but a shorter last one, the super-packet's IP and
// UDP headers with each datagram's own IPv4 total length, identification (counting up from the
// first's) and header checksum, IPv6 payload length and UDP length. The UDP checksum: under
// NEEDS_CSUM the field holds the pseudo-header sum, adjusted to each datagram's length (the
// datagram stays partial); under DATA_VALID it is left as it was (the kernel verified the data,
// nobody reads the field again). `each` gets every datagram (in `scratch`, valid during the
// call) and its offload: the super-packet's without the GSO type.
enum class UdpGsoSplitError {
  kNotUdp,           // not IPv4 or IPv6-without-extension-headers carrying UDP, or truncated
  kBadSegmentSize,   // gso_size 0, or more than 128 datagrams (Linux UDP_MAX_SEGMENTS)
  kChecksumUnknown,  // neither NEEDS_CSUM nor DATA_VALID: nothing vouches for the datagrams
};
std::optional<UdpGsoSplitError> split_udp_gso(
    Bytes packet, const PacketOffload& o, ByteVec& scratch,
    FunctionRef<void(Bytes datagram, const PacketOffload& offload)> each);

}  // namespace ustack
