#include "tools/services/generated_body.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace ustack::services {
namespace {

constexpr std::size_t kLine = 16;

std::array<std::uint8_t, kLine> line_at(std::uint64_t line_offset) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<std::uint8_t, kLine> line;
  std::uint64_t v = line_offset;
  for (int i = 14; i >= 0; --i) {
    line[i] = static_cast<std::uint8_t>(kHex[v & 0xf]);
    v >>= 4;
  }
  line[15] = '\n';
  return line;
}

}  // namespace

void fill_generated_body(std::uint64_t offset, MutBytes out) {
  std::size_t done = 0;
  // A partial first line.
  if (std::size_t skip = offset % kLine; skip != 0 && !out.empty()) {
    auto line = line_at(offset - skip);
    std::size_t n = std::min(kLine - skip, out.size());
    std::memcpy(out.data(), line.data() + skip, n);
    done = n;
  }
  // Whole lines: consecutive offsets differ only in their low digits, so update the line in
  // place instead of formatting every digit (this runs at the stack's full transmit rate).
  std::uint64_t pos = offset + done;
  if (out.size() - done >= kLine) {
    auto line = line_at(pos);
    while (out.size() - done >= kLine) {
      std::memcpy(out.data() + done, line.data(), kLine);
      done += kLine;
      pos += kLine;
      // Increment the hex number in line[0..14] by 0x10: the last digit stays '0'.
      for (int i = 13; i >= 0; --i) {
        std::uint8_t& c = line[i];
        if (c == '9') {
          c = 'a';
          break;
        }
        if (c != 'f') {
          ++c;
          break;
        }
        c = '0';
      }
    }
  }
  // A partial last line.
  if (done < out.size()) {
    auto line = line_at(pos);
    std::memcpy(out.data() + done, line.data(), out.size() - done);
  }
}

}  // namespace ustack::services
