#include "stack/base/checksum.h"

namespace ustack {

std::uint32_t checksum_add(std::uint32_t sum, Bytes data) {
  // Accumulate in 64 bits so that even a 64 KiB payload cannot overflow before folding.
  std::uint64_t acc = sum;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) acc += load_be16(data, i);
  if (i < data.size()) acc += std::uint32_t{data[i]} << 8;
  while (acc >> 32) acc = (acc & 0xffffffff) + (acc >> 32);
  return static_cast<std::uint32_t>(acc);
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
