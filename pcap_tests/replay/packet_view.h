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

// An ICMP or ICMPv6 error (destination unreachable, fragmentation needed / packet too big,
// time exceeded, parameter problem) and the TCP/UDP packet it quotes.
struct IcmpErrorView {
  IpAddr src;  // of the ICMP message (a router, or the peer)
  IpAddr dst;
  std::size_t icmp_offset = 0;  // where the ICMP message starts in the packet
  std::size_t icmp_len = 0;
  IpAddr quoted_src;
  IpAddr quoted_dst;
  IpProto quoted_proto = IpProto::kTcp;  // kTcp or kUdp
  std::uint16_t quoted_src_port = 0;
  std::uint16_t quoted_dst_port = 0;
  std::size_t quoted_transport_offset = 0;  // the quoted TCP/UDP header, in the packet
};

std::optional<IcmpErrorView> view_icmp_error(Bytes ip);

// Recomputes the ICMP / ICMPv6 checksum of `ip` in place after the quote was patched.
void refresh_icmp_checksum(MutBytes ip, const IcmpErrorView& v);

}  // namespace ustack::replay
