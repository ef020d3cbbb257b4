// Packet builders for tests: each emits one layer with our own emitter (checksums computed)
// and returns its bytes, so a test says what a packet holds, not how to lay it out. Shared by
// the wire, Stack and pcap_tests tests (testonly: never linked into the stack).
#pragma once

#include <algorithm>
#include <cstdint>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/ndp.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace ustack {

// Two hosts A and B for packet-building tests (198.18.0.0/15 and fd00::/8 only).
inline const Ipv4Addr kV4A = *Ipv4Addr::parse("198.18.0.1");
inline const Ipv4Addr kV4B = *Ipv4Addr::parse("198.18.0.2");
inline const Ipv6Addr kV6A = *Ipv6Addr::parse("fd00:1::1");
inline const Ipv6Addr kV6B = *Ipv6Addr::parse("fd00:1::2");
inline const MacAddr kMacA = *MacAddr::parse("02:00:c6:12:00:01");
inline const MacAddr kMacB = *MacAddr::parse("02:00:c6:12:00:02");

inline ByteVec emit_ethernet(const MacAddr& dst, const MacAddr& src, EtherType type,
                             Bytes payload) {
  EthernetRepr eth;
  eth.dst = dst;
  eth.src = src;
  eth.ethertype = type;
  eth.payload = payload;
  ByteVec out(eth.buffer_len());
  eth.emit(out);
  return out;
}

inline ByteVec emit_arp(const ArpRepr& arp) {
  ByteVec out(arp.buffer_len());
  arp.emit(out);
  return out;
}

// `ip` followed by `payload`; the header's payload length is that of `payload`.
inline ByteVec emit_ipv4(Ipv4Repr ip, Bytes payload) {
  ip.payload_len = payload.size();
  ByteVec out(ip.total_len());
  ip.emit(out, ChecksumMode::kCompute);
  std::copy(payload.begin(), payload.end(), out.begin() + ip.header_len());
  return out;
}

// `ip` followed by `payload`, which starts with whatever `ip.next_header` names (an extension
// header or the upper layer); the header's payload length is that of `payload`.
inline ByteVec emit_ipv6(Ipv6Repr ip, Bytes payload) {
  ip.payload_len = static_cast<std::uint16_t>(payload.size());
  ByteVec out(ip.total_len());
  ip.emit(out);
  std::copy(payload.begin(), payload.end(), out.begin() + Ipv6Repr::kHeaderLen);
  return out;
}

inline ByteVec emit_udp(std::uint16_t src_port, std::uint16_t dst_port, Bytes payload,
                        const IpAddr& src, const IpAddr& dst) {
  UdpRepr udp;
  udp.src_port = src_port;
  udp.dst_port = dst_port;
  ByteVec out(udp.buffer_len(payload.size()));
  udp.emit(out, payload, src, dst, ChecksumMode::kCompute);
  return out;
}

inline ByteVec emit_tcp(const TcpRepr& seg, const IpAddr& src, const IpAddr& dst) {
  ByteVec out(seg.buffer_len());
  seg.emit(out, src, dst, ChecksumMode::kCompute);
  return out;
}

inline ByteVec emit_icmpv4(const Icmpv4Repr& m) {
  ByteVec out(m.buffer_len());
  m.emit(out, ChecksumMode::kCompute);
  return out;
}

inline ByteVec emit_icmpv6(const Icmpv6Repr& m, const Ipv6Addr& src, const Ipv6Addr& dst) {
  ByteVec out(m.buffer_len());
  m.emit(out, src, dst, ChecksumMode::kCompute);
  return out;
}

inline ByteVec emit_ndp(const NdpRepr& m, const Ipv6Addr& src, const Ipv6Addr& dst) {
  ByteVec out(m.buffer_len());
  m.emit(out, src, dst, ChecksumMode::kCompute);
  return out;
}

}  // namespace ustack
