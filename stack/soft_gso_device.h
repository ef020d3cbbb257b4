// SoftGsoDevice: a Device wrapper (IP medium) that offers checksum and TCP segmentation
// offload (and, with offer_uso, UDP segmentation offload) to the stack, as a TUN with
// IFF_VNET_HDR does, and does the kernel's side of it in
// software, so that core tests can drive the offloaded send path without a kernel.
//
// kSegment cuts every super-packet the way Linux's tcp_gso_segment does (each segment gets a
// copy of the IP and TCP headers; sequence numbers advance by gso_size; IPv4 total length and
// identification, IPv6 payload length; FIN and PSH only on the last segment, CWR only on the
// first; the checksums completed) and hands the inner device MTU-sized packets. kPassThrough
// completes the checksum and hands the super-packet over whole (the inner link must carry it),
// so the peer stack receives super-packets as the kernel's TSO gives them to ustack.
//
// While doing so it checks what the stack asked of it (stats().violations): a partial checksum
// whose offsets do not point at the TCP/UDP checksum field, a super-packet of one segment or
// less, a segment larger than the MTU.
#pragma once

#include <cstdint>

#include "stack/device.h"

namespace ustack {

class SoftGsoDevice final : public Device {
 public:
  enum class Mode { kSegment, kPassThrough };
  struct Stats {
    std::uint64_t super_packets = 0;  // transmit_offload() with a GSO type
    std::uint64_t segments = 0;       // the wire segments they made
    std::uint64_t partial_checksums = 0;
    std::uint64_t violations = 0;
    std::size_t largest = 0;  // largest packet the stack handed over
  };

  // `mtu`: what the stack sees as the device MTU (segments are cut to fit it).
  SoftGsoDevice(Device& inner, Mode mode, std::size_t mtu)
      : inner_(inner), mode_(mode), mtu_(mtu) {}

  DeviceCaps caps() const override;
  std::optional<Bytes> receive(Instant now) override { return inner_.receive(now); }
  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override;
  bool transmit_offload(Instant now, std::size_t len, const PacketOffload& offload,
                        FunctionRef<void(MutBytes)> fill) override;

  const Stats& stats() const { return stats_; }
  // Offer USO too (caps().tx_uso): UDP super-packets are cut into datagrams the way Linux's
  // __udp_gso_segment does (every datagram gets the headers, gso_size bytes of payload but the
  // last, its own UDP and IP lengths, IPv4 identifications counting up from the first's, the
  // checksums completed).
  void offer_uso(bool on) { uso_ = on; }

 private:
  bool send_copy(Instant now, Bytes packet);

  Device& inner_;
  Mode mode_;
  std::size_t mtu_;
  bool uso_ = false;
  Stats stats_;
  ByteVec packet_;
  ByteVec segment_;
};

}  // namespace ustack
