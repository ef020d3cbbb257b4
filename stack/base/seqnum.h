// TCP sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4).
//
// a < b means "b is ahead of a by less than 2^31". The comparison operators are therefore
// not a total order over all values and SeqNum must never be a key of an ordered container;
// they are exactly the before()/after() tests of RFC 9293 and Linux.
#pragma once

#include <cstdint>
#include <string>

namespace ustack {

class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(std::uint32_t v) : v_(v) {}
  constexpr std::uint32_t raw() const { return v_; }

  constexpr SeqNum operator+(std::uint32_t n) const { return SeqNum(v_ + n); }
  constexpr SeqNum operator-(std::uint32_t n) const { return SeqNum(v_ - n); }
  constexpr SeqNum& operator+=(std::uint32_t n) {
    v_ += n;
    return *this;
  }
  // Signed distance from `o` to this (positive when this is ahead of `o`).
  constexpr std::int32_t operator-(SeqNum o) const { return static_cast<std::int32_t>(v_ - o.v_); }

  constexpr bool operator==(const SeqNum&) const = default;
  constexpr bool operator<(SeqNum o) const { return (*this - o) < 0; }
  constexpr bool operator<=(SeqNum o) const { return (*this - o) <= 0; }
  constexpr bool operator>(SeqNum o) const { return (*this - o) > 0; }
  constexpr bool operator>=(SeqNum o) const { return (*this - o) >= 0; }

  // lo <= this < hi, modulo 2^32 (the RFC's "window" tests).
  constexpr bool in_range(SeqNum lo, SeqNum hi) const { return lo <= *this && *this < hi; }

  std::string to_string() const { return std::to_string(v_); }

 private:
  std::uint32_t v_ = 0;
};

constexpr SeqNum seq_max(SeqNum a, SeqNum b) { return a < b ? b : a; }
constexpr SeqNum seq_min(SeqNum a, SeqNum b) { return a < b ? a : b; }

}  // namespace ustack
