#include "tun/flow_prime.h"

#include <algorithm>
#include <cstdint>

#include "stack/base/addr.h"
#include "stack/base/checksum.h"

namespace ustack::tun {

bool make_flow_prime(Bytes packet, MutBytes out) {
  constexpr std::uint8_t kTcp = 6;
  constexpr std::size_t kTcpMin = 20;
  if (packet.empty() || out.size() < packet.size()) return false;
  const unsigned version = packet[0] >> 4;
  std::size_t ip_len = 0;
  std::uint32_t sum = 0;
  if (version == 4) {
    if (packet.size() < 20) return false;
    ip_len = (std::size_t{packet[0]} & 0x0f) * 4;
    if (ip_len < 20 || packet[9] != kTcp) return false;
    // A fragment has no TCP header of its own to go by.
    if ((load_be16(packet, 6) & 0x3fff) != 0) return false;
    if (packet.size() < ip_len + kTcpMin) return false;
    sum = pseudo_header_sum_v4(Ipv4Addr::from_bytes(packet.subspan(12, 4)),
                               Ipv4Addr::from_bytes(packet.subspan(16, 4)), kTcp,
                               static_cast<std::uint32_t>(packet.size() - ip_len));
  } else if (version == 6) {
    ip_len = 40;
    if (packet.size() < ip_len + kTcpMin || packet[6] != kTcp) {
      return false;
    }
    sum = pseudo_header_sum_v6(Ipv6Addr::from_bytes(packet.subspan(8, 16)),
                               Ipv6Addr::from_bytes(packet.subspan(24, 16)), kTcp,
                               static_cast<std::uint32_t>(packet.size() - ip_len));
  } else {
    return false;
  }
  const std::uint8_t flags = packet[ip_len + 13];
  constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kRst = 0x04;
  if ((flags & (kSyn | kAck | kRst)) != kSyn) return false;
  std::copy(packet.begin(), packet.end(), out.begin());
  MutBytes tcp = out.subspan(ip_len, packet.size() - ip_len);
  store_be16(tcp, 16, 0);
  const std::uint16_t good = checksum_finish(checksum_add(sum, tcp));
  // Not `good`, nor its other one's-complement form (0x0000 vs 0xffff).
  store_be16(tcp, 16, static_cast<std::uint16_t>(good ^ 0x5555));
  return true;
}

}  // namespace ustack::tun
