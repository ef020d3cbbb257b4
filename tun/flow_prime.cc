#include "tun/flow_prime.h"

#include <algorithm>
#include <cstdint>

#include "stack/base/addr.h"
#include "stack/base/checksum.h"

namespace ustack::tun {

bool make_flow_prime(Bytes packet, MutBytes out) {
  constexpr std::uint8_t kTcp = 6, kIcmp = 1, kIcmpv6 = 58;
  if (packet.empty() || out.size() < packet.size()) return false;
  const unsigned version = packet[0] >> 4;
  std::size_t ip_len = 0;
  std::uint8_t proto = 0;
  if (version == 4) {
    if (packet.size() < 20) return false;
    ip_len = (std::size_t{packet[0]} & 0x0f) * 4;
    proto = packet[9];
    // A fragment has no transport header of its own to go by.
    if (ip_len < 20 || (load_be16(packet, 6) & 0x3fff) != 0) return false;
  } else if (version == 6) {
    if (packet.size() < 40) return false;
    ip_len = 40;
    proto = packet[6];
  } else {
    return false;
  }
  const bool tcp = proto == kTcp;
  const bool icmp = (version == 4 && proto == kIcmp) || (version == 6 && proto == kIcmpv6);
  if (packet.size() < ip_len + (tcp ? 20 : 8)) return false;
  Bytes l4 = packet.subspan(ip_len);
  if (tcp) {
    constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kRst = 0x04;
    if ((l4[13] & (kSyn | kAck | kRst)) != kSyn) return false;
  } else if (icmp) {
    // Echo request (RFC 792 type 8, RFC 4443 §4.1 type 128).
    if (l4[0] != (version == 4 ? 8 : 128)) return false;
  } else {
    return false;
  }
  // The pseudo header (none for ICMPv4), then the checksum field's offset in the header.
  const auto len = static_cast<std::uint32_t>(l4.size());
  std::uint32_t sum = 0;
  if (version == 4 && tcp) {
    sum = pseudo_header_sum_v4(Ipv4Addr::from_bytes(packet.subspan(12, 4)),
                               Ipv4Addr::from_bytes(packet.subspan(16, 4)), proto, len);
  } else if (version == 6) {
    sum = pseudo_header_sum_v6(Ipv6Addr::from_bytes(packet.subspan(8, 16)),
                               Ipv6Addr::from_bytes(packet.subspan(24, 16)), proto, len);
  }
  const std::size_t field = tcp ? 16 : 2;
  std::copy(packet.begin(), packet.end(), out.begin());
  MutBytes body = out.subspan(ip_len, l4.size());
  store_be16(body, field, 0);
  const std::uint16_t good = checksum_finish(checksum_add(sum, body));
  // Not `good`, nor its other one's-complement form (0x0000 vs 0xffff).
  store_be16(body, field, static_cast<std::uint16_t>(good ^ 0x5555));
  return true;
}

}  // namespace ustack::tun
