// The transport-level facts of one IP packet that replay needs: addresses, protocol, ports and
// where the TCP/UDP header starts, for IPv4 and IPv6 (through the extension-header chain).
//
// Checksums are not verified: captures taken on a host with checksum offload hold TCP/UDP
// checksums the NIC would have filled in, and the replay recomputes them anyway. A packet that
// is not TCP or UDP, a non-first fragment, or one that does not parse gives nullopt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/wire/common.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace ustack::replay {

struct PacketView {
  IpAddr src;
  IpAddr dst;
  IpProto proto = IpProto::kTcp;  // kTcp or kUdp
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::size_t l4_offset = 0;  // where the TCP/UDP header starts in the packet
  Bytes l4;                   // the TCP segment or UDP datagram (header and payload)
  std::optional<TcpRepr> tcp;
  std::optional<UdpRepr> udp;
  bool checksum_ok = true;  // the TCP/UDP checksum verified (false: offloaded or damaged)
};

// Parses `ip` (an IPv4 or IPv6 packet). The returned view points into `ip`.
std::optional<PacketView> view_packet(Bytes ip);

// Recomputes the TCP or UDP checksum of `ip` in place after its header was patched.
void refresh_l4_checksum(MutBytes ip, const PacketView& v);

}  // namespace ustack::replay
