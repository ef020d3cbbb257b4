#include "stack/base/checksum.h"

#include <bit>
#include <cstring>

namespace ustack {

static_assert(std::endian::native == std::endian::little, "checksum_add assumes little-endian");

std::uint32_t checksum_add(std::uint32_t sum, Bytes data) {
  // RFC 1071 §2(B): the one's-complement sum is byte-order independent, so add the data as
  // native little-endian 32-bit words into a 64-bit accumulator (2^32 additions cannot
  // overflow it), fold to 16 bits and swap the two bytes once at the end. This is the hot
  // loop of bulk transfer: several times faster than adding big-endian 16-bit words.
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  std::uint64_t acc = 0;
  while (n >= 16) {
    std::uint32_t w[4];
    std::memcpy(w, p, sizeof w);
    acc += std::uint64_t{w[0]} + w[1] + w[2] + w[3];
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, sizeof w);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, sizeof w);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) acc += *p;  // the high byte of a big-endian word padded with zero
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  std::uint64_t be = ((acc & 0xff) << 8) | (acc >> 8);  // little-endian sum -> big-endian
  std::uint64_t total = std::uint64_t{sum} + be;
  while (total >> 32) total = (total & 0xffffffff) + (total >> 32);
  return static_cast<std::uint32_t>(total);
}

std::uint16_t checksum_finish(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint16_t internet_checksum(Bytes data) { return checksum_finish(checksum_add(0, data)); }

std::uint32_t pseudo_header_sum_v4(Ipv4Addr src, Ipv4Addr dst, std::uint8_t proto,
                                   std::uint32_t length) {
  std::uint32_t sum = checksum_add(0, src.bytes());
  sum = checksum_add(sum, dst.bytes());
  return sum + proto + (length >> 16) + (length & 0xffff);
}

std::uint32_t pseudo_header_sum_v6(const Ipv6Addr& src, const Ipv6Addr& dst,
                                   std::uint8_t next_header, std::uint32_t length) {
  std::uint32_t sum = checksum_add(0, src.bytes());
  sum = checksum_add(sum, dst.bytes());
  return sum + next_header + (length >> 16) + (length & 0xffff);
}

std::uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, std::uint8_t proto,
                                std::uint32_t length) {
  if (src.is_v4()) return pseudo_header_sum_v4(src.v4(), dst.v4(), proto, length);
  return pseudo_header_sum_v6(src.v6(), dst.v6(), proto, length);
}

std::uint16_t checksum_update16(std::uint16_t old_checksum, std::uint16_t old_word,
                                std::uint16_t new_word) {
  // HC' = ~(~HC + ~m + m')
  std::uint32_t sum = static_cast<std::uint16_t>(~old_checksum);
  sum += static_cast<std::uint16_t>(~old_word);
  sum += new_word;
  return checksum_finish(sum);
}

}  // namespace ustack
