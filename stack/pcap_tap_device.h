// A Device wrapper that reports every packet crossing it to a PacketTap.
//
// Wraps any device (TUN, TAP, an in-memory Link endpoint) and forwards to it unchanged; the
// tap sees received packets as they come out of receive() and sent packets as the stack wrote
// them. The tap does the I/O (tun/pcap_file.h writes a pcap), so this class stays pure.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/device.h"

namespace ustack {

class PcapTapDevice final : public Device {
 public:
  PcapTapDevice(Device& inner, PacketTap& tap) : inner_(inner), tap_(tap) {}

  DeviceCaps caps() const override { return inner_.caps(); }
  std::optional<Bytes> receive(Instant now) override;
  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override;
  // Offloaded packets are recorded as they cross the device, like tcpdump on a TUN shows them
  // (a super-packet as one large packet), except that a partial checksum (NEEDS_CSUM) is
  // recorded completed: whoever reads the capture (`ustack dump`, tcpdump -v, Wireshark)
  // verifies checksums, and every packet of an offloaded flow would otherwise read as corrupt.
  PacketOffload rx_offload() const override { return inner_.rx_offload(); }
  bool transmit_offload(Instant now, std::size_t len, const PacketOffload& offload,
                        FunctionRef<void(MutBytes)> fill) override;
  // Not recorded: the fragments it was made of were.
  bool take_reassembled(Instant now, Bytes frame) override {
    return inner_.take_reassembled(now, frame);
  }

 private:
  void record(Instant now, PacketDirection dir, Bytes packet, const PacketOffload& offload);

  Device& inner_;
  PacketTap& tap_;
  std::vector<std::uint8_t> completed_;  // scratch: a packet with its checksum completed
};

}  // namespace ustack
