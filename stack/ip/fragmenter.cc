#include "stack/ip/fragmenter.h"

#include <algorithm>

namespace ustack {

std::size_t plan_fragments(std::size_t payload_len, std::size_t max_piece,
                           FunctionRef<void(const FragmentPiece&)> piece) {
  if (max_piece == 0 || max_piece % 8 != 0) return 0;
  std::size_t n = 0, off = 0;
  do {
    std::size_t len = std::min(max_piece, payload_len - off);
    bool more = off + len < payload_len;
    piece(FragmentPiece{off, len, more});
    off += len;
    ++n;
  } while (off < payload_len);
  return n;
}

}  // namespace ustack
