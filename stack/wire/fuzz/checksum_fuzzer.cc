// Fuzzes the RFC 1071 checksum: summing in two pieces split at any even offset, and the
// RFC 1624 incremental update of any 16-bit word, must equal a full recomputation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "stack/base/checksum.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ustack;
  if (size < 4) return 0;
  std::size_t split = (data[0] % (size / 2)) * 2;
  Bytes all(data + 1, size - 1);
  std::uint16_t whole = internet_checksum(all);
  std::uint32_t parts = checksum_add(checksum_add(0, all.first(split)), all.subspan(split));
  if (checksum_finish(parts) != whole) std::abort();

  // Change one word of a checksummed buffer and update the checksum incrementally.
  std::vector<std::uint8_t> buf(all.begin(), all.end());
  if (buf.size() % 2) buf.push_back(0);
  std::size_t w = (split / 2) % (buf.size() / 2);
  std::uint16_t old_word = load_be16(buf, w * 2);
  std::uint16_t old_sum = internet_checksum(buf);
  std::uint16_t new_word = static_cast<std::uint16_t>(old_word ^ (data[0] << 8 | data[1]));
  store_be16(buf, w * 2, new_word);
  std::uint16_t updated = checksum_update16(old_sum, old_word, new_word);
  std::uint16_t fresh = internet_checksum(buf);
  // 0x0000 and 0xffff are the same value in one's complement (RFC 1624 §3).
  if (updated != fresh && !(updated == 0xffff && fresh == 0) && !(updated == 0 && fresh == 0xffff))
    std::abort();
  return 0;
}
