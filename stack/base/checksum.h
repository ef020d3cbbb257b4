// The Internet checksum (RFC 1071), pseudo headers and incremental update (RFC 1624).
//
// Sums are kept as 32-bit one's-complement accumulators and folded at the end, so a caller
// can sum a pseudo header, a header and a payload in separate calls without copying.
#pragma once

#include <cstdint>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"

namespace ustack {

// Adds the 16-bit big-endian words of `data` to `sum` (an odd trailing byte is padded with 0).
// `data` must start at an even offset of the checksummed region.
std::uint32_t checksum_add(std::uint32_t sum, Bytes data);
// Folds carries and returns the one's complement: the value to put in a checksum field.
std::uint16_t checksum_finish(std::uint32_t sum);
// checksum_finish(checksum_add(0, data)).
std::uint16_t internet_checksum(Bytes data);

// Pseudo-header sums for UDP/TCP/ICMPv6 (RFC 768, RFC 9293 §3.1, RFC 8200 §8.1).
std::uint32_t pseudo_header_sum_v4(Ipv4Addr src, Ipv4Addr dst, std::uint8_t proto,
                                   std::uint32_t length);
std::uint32_t pseudo_header_sum_v6(const Ipv6Addr& src, const Ipv6Addr& dst,
                                   std::uint8_t next_header, std::uint32_t length);
std::uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, std::uint8_t proto,
                                std::uint32_t length);

// RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changes from
// `old_word` to `new_word` (used to decrement TTL and rewrite addresses without re-summing).
std::uint16_t checksum_update16(std::uint16_t old_checksum, std::uint16_t old_word,
                                std::uint16_t new_word);

}  // namespace ustack
