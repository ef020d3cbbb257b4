// Range requests for bytes (RFC 9110 §14.1-§14.2): what a Range header field asks of a
// representation of known size.
#pragma once

#include <cstdint>
#include <string_view>

namespace ustack::services {

struct ByteRangeDecision {
  enum class Kind {
    kWhole,          // serve the whole representation with 200 (the header is ignored)
    kPartial,        // 206 with bytes [first, last]
    kUnsatisfiable,  // 416 with "Content-Range: bytes */size"
  };
  Kind kind = Kind::kWhole;
  std::uint64_t first = 0;  // kPartial: first and last byte, inclusive
  std::uint64_t last = 0;
};

// The answer to `Range: <value>` for a representation of `size` bytes.
ByteRangeDecision decide_byte_range(std::string_view value, std::uint64_t size);

}  // namespace ustack::services
