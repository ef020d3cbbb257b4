// Pieces the ICMPv4 and ICMPv6 reprs share (internal to stack/wire: icmpv4.cc, icmpv6.cc).
//
// The two messages differ in their types, second words and quotes, but copy their body and
// print the common parts (quoted protocol names, echo fields, an unparsed second word, an
// unparsable quote) the same way, so that text stays alike across the two families.
#pragma once

#include <cstdint>
#include <string>

#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/wire/common.h"

namespace ustack {

// Lower-case name of a protocol in a quoted header ("tcp", "udp", "icmp", "icmp6"), "proto"
// for any other.
const char* icmp_quoted_proto_name(IpProto p);

// Lines of the verbose (-v) form, each ending in '\n'.
std::string icmp_verbose_echo(std::uint16_t ident, std::uint16_t seq_no);
std::string icmp_verbose_rest_of_header(std::uint32_t word);
std::string icmp_verbose_unparsable_quote(ParseError e);

}  // namespace ustack
