// Byte spans and big-endian (network order) loads and stores.
//
// Every wire parser works on `Bytes` (a read-only view into a caller's buffer) and every
// emitter writes into `MutBytes`. The load/store helpers take a span and an offset and are
// only called after the caller has checked the length, so they never bounds-check twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace ustack {

using Bytes = std::span<const std::uint8_t>;
using MutBytes = std::span<std::uint8_t>;
using ByteVec = std::vector<std::uint8_t>;

inline std::uint16_t load_be16(Bytes b, std::size_t off) {
  return static_cast<std::uint16_t>((b[off] << 8) | b[off + 1]);
}
inline std::uint32_t load_be32(Bytes b, std::size_t off) {
  return (std::uint32_t{b[off]} << 24) | (std::uint32_t{b[off + 1]} << 16) |
         (std::uint32_t{b[off + 2]} << 8) | std::uint32_t{b[off + 3]};
}
inline std::uint64_t load_be64(Bytes b, std::size_t off) {
  return (std::uint64_t{load_be32(b, off)} << 32) | load_be32(b, off + 4);
}
inline void store_be16(MutBytes b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(MutBytes b, std::size_t off, std::uint32_t v) {
  store_be16(b, off, static_cast<std::uint16_t>(v >> 16));
  store_be16(b, off + 2, static_cast<std::uint16_t>(v));
}
inline void store_be64(MutBytes b, std::size_t off, std::uint64_t v) {
  store_be32(b, off, static_cast<std::uint32_t>(v >> 32));
  store_be32(b, off + 4, static_cast<std::uint32_t>(v));
}

// Copies `src` to the start of `dst` (dst.size() >= src.size()). The two may overlap, and an
// emitter whose payload was already written in place (src at dst) copies nothing.
inline void copy_to(MutBytes dst, Bytes src) {
  if (src.empty() || dst.data() == src.data()) return;
  std::memmove(dst.data(), src.data(), src.size());
}

// A view of `s` as bytes (for tests and string payloads).
inline Bytes as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// "0a1b..." for logs and test failure messages.
std::string to_hex(Bytes b);
// Parses hex digits, ignoring whitespace and ':'; returns an empty vector on a bad digit.
ByteVec from_hex(std::string_view hex);

}  // namespace ustack
