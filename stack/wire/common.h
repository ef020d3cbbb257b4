// Constants and options shared by every wire format.
#pragma once

#include <cstdint>

namespace ustack {

// IP protocol / IPv6 next-header numbers (IANA "Assigned Internet Protocol Numbers").
enum class IpProto : std::uint8_t {
  kHopByHop = 0,
  kIcmp = 1,
  kIgmp = 2,
  kTcp = 6,
  kUdp = 17,
  kIpv6Route = 43,
  kIpv6Frag = 44,
  kEsp = 50,
  kAh = 51,
  kIcmpv6 = 58,
  kIpv6NoNext = 59,
  kIpv6Opts = 60,
};

// EtherType values (IEEE 802 numbers).
enum class EtherType : std::uint16_t {
  kIpv4 = 0x0800,
  kArp = 0x0806,
  kVlan = 0x8100,
  kIpv6 = 0x86dd,
};

// How emitters treat checksums. kCompute fills them in; kOffload leaves the field for the
// device (IFF_VNET_HDR / TUNSETOFFLOAD) and writes only what the device needs (for TCP/UDP,
// the pseudo-header sum, like Linux's CHECKSUM_PARTIAL).
enum class ChecksumMode : std::uint8_t { kCompute, kOffload };

// How parsers treat checksums: kVerify rejects a bad one with ParseError::kBadChecksum;
// kSkip trusts the device (rx checksum offload) or lets tools show the packet anyway.
enum class ChecksumCheck : std::uint8_t { kVerify, kSkip };

// The ECN field (RFC 3168 §5: the low 2 bits of the IPv4 TOS / IPv6 traffic class) by
// tcpdump's names: "Not-ECT", "ECT(1)", "ECT(0)", "CE".
inline const char* ecn_codepoint_name(std::uint8_t ecn) {
  static constexpr const char* kNames[] = {"Not-ECT", "ECT(1)", "ECT(0)", "CE"};
  return kNames[ecn & 0x3];
}

}  // namespace ustack
