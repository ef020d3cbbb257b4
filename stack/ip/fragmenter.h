// Fragmentation of our own output (RFC 791 §3.2 "Fragmentation", RFC 8200 §4.5).
//
// Pure arithmetic: given the payload length and the room per fragment, where each fragment
// starts and how long it is. Every fragment but the last carries a multiple of 8 bytes, the
// unit of the fragment offset field in both IPv4 and IPv6.
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/base/function_ref.h"

namespace ustack {

struct FragmentPiece {
  std::size_t offset = 0;  // in bytes; a multiple of 8
  std::size_t len = 0;
  bool more = false;  // MF flag / M flag
};

// The largest payload per fragment: `room` (MTU minus headers) rounded down to 8. Returns 0
// when `room` < 8 (nothing can be fragmented into that MTU).
constexpr std::size_t fragment_payload_size(std::size_t room) { return room & ~std::size_t{7}; }

// Calls `piece` for each fragment of a `payload_len`-byte payload, each at most `max_piece`
// bytes (a multiple of 8, > 0). Returns the number of fragments.
std::size_t plan_fragments(std::size_t payload_len, std::size_t max_piece,
                           FunctionRef<void(const FragmentPiece&)> piece);

}  // namespace ustack
