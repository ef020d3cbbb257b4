#include "stack/pcap_tap_device.h"

namespace ustack {

std::optional<Bytes> PcapTapDevice::receive(Instant now) {
  std::optional<Bytes> p = inner_.receive(now);
  if (p) tap_.record(now, PacketDirection::kReceived, *p);
  return p;
}

bool PcapTapDevice::transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) {
  // Recorded from inside the fill callback: the buffer belongs to the inner device and may be
  // gone once transmit() returns. Devices call fill only for a packet they accepted.
  auto wrapped = [&](MutBytes buf) {
    fill(buf);
    tap_.record(now, PacketDirection::kSent, buf);
  };
  return inner_.transmit(now, len, wrapped);
}

bool PcapTapDevice::transmit_offload(Instant now, std::size_t len, const PacketOffload& offload,
                                     FunctionRef<void(MutBytes)> fill) {
  auto wrapped = [&](MutBytes buf) {
    fill(buf);
    tap_.record(now, PacketDirection::kSent, buf);
  };
  return inner_.transmit_offload(now, len, offload, wrapped);
}

}  // namespace ustack
