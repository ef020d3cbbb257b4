#include "stack/wire/icmp_common.h"

#include <cstdio>
#include <cstring>

namespace ustack {

const char* icmp_quoted_proto_name(IpProto p) {
  switch (p) {
    case IpProto::kTcp:
      return "tcp";
    case IpProto::kUdp:
      return "udp";
    case IpProto::kIcmp:
      return "icmp";
    case IpProto::kIcmpv6:
      return "icmp6";
    default:
      return "proto";
  }
}

std::string icmp_verbose_echo(std::uint16_t ident, std::uint16_t seq_no) {
  return "  identifier: " + std::to_string(ident) + "\n  sequence: " + std::to_string(seq_no) +
         "\n";
}

std::string icmp_verbose_rest_of_header(std::uint32_t word) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(word));
  return std::string("  rest of header: ") + hex + "\n";
}

std::string icmp_verbose_unparsable_quote(ParseError e) {
  return std::string("  quoted: unparsable (") + to_string(e) + ")\n";
}

}  // namespace ustack
