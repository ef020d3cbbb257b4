#include "stack/pcap_tap_device.h"

#include "stack/base/bytes.h"
#include "stack/base/checksum.h"

namespace ustack {

void PcapTapDevice::record(Instant now, PacketDirection dir, Bytes packet,
                           const PacketOffload& offload) {
  std::size_t field = std::size_t{offload.csum_start} + offload.csum_offset;
  if (!offload.needs_csum || field + 2 > packet.size() || offload.csum_start >= packet.size()) {
    tap_.record(now, dir, packet);
    return;
  }
  // The field holds the pseudo-header sum: summing from csum_start over it and the rest gives
  // the full checksum (Linux skb_checksum_help). UDP sends a zero result as 0xffff (RFC 768).
  completed_.assign(packet.begin(), packet.end());
  MutBytes buf(completed_);
  std::uint16_t sum = checksum_finish(checksum_add(0, buf.subspan(offload.csum_start)));
  if (sum == 0 && offload.csum_offset == 6) sum = 0xffff;
  store_be16(buf, field, sum);
  tap_.record(now, dir, buf);
}

std::optional<Bytes> PcapTapDevice::receive(Instant now) {
  std::optional<Bytes> p = inner_.receive(now);
  if (p) record(now, PacketDirection::kReceived, *p, inner_.rx_offload());
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
    record(now, PacketDirection::kSent, buf, offload);
  };
  return inner_.transmit_offload(now, len, offload, wrapped);
}

}  // namespace ustack
