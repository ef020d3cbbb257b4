// Instant and Duration: the core's only notion of time.
//
// The core never reads a clock. The shell (tun/) converts its steady clock to an Instant and
// passes it into every call; tests and pcap replay pass virtual time. Nanosecond resolution
// covers pcap's nanosecond timestamps; int64 nanoseconds last 292 years.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace ustack {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration nanos(std::int64_t n) { return Duration(n); }
  static constexpr Duration micros(std::int64_t n) { return Duration(n * 1000); }
  static constexpr Duration millis(std::int64_t n) { return Duration(n * 1000'000); }
  static constexpr Duration seconds(std::int64_t n) { return Duration(n * 1000'000'000); }
  static constexpr Duration zero() { return Duration(0); }
  static constexpr Duration infinite() {
    return Duration(std::numeric_limits<std::int64_t>::max());
  }

  constexpr std::int64_t total_nanos() const { return ns_; }
  constexpr std::int64_t total_micros() const { return ns_ / 1000; }
  constexpr std::int64_t total_millis() const { return ns_ / 1000'000; }
  constexpr double total_seconds() const { return static_cast<double>(ns_) / 1e9; }

  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator*(std::int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(std::int64_t k) const { return Duration(ns_ / k); }
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr Duration& operator-=(Duration o) {
    ns_ -= o.ns_;
    return *this;
  }
  constexpr auto operator<=>(const Duration&) const = default;

  std::string to_string() const;  // "1.500s", "40ms", "250us"

 private:
  constexpr explicit Duration(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

// A point on a monotonic timeline whose origin the caller chooses (the shell's steady clock,
// a pcap's first packet, or zero in tests).
class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant from_nanos(std::int64_t n) {
    Instant i;
    i.ns_ = n;
    return i;
  }
  static constexpr Instant from_micros(std::int64_t n) { return from_nanos(n * 1000); }
  static constexpr Instant from_millis(std::int64_t n) { return from_nanos(n * 1000'000); }
  static constexpr Instant zero() { return Instant(); }
  // Later than every real instant: "no deadline".
  static constexpr Instant never() { return from_nanos(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t total_nanos() const { return ns_; }
  constexpr std::int64_t total_micros() const { return ns_ / 1000; }
  constexpr std::int64_t total_millis() const { return ns_ / 1000'000; }
  constexpr bool is_never() const { return *this == never(); }

  constexpr Instant operator+(Duration d) const {
    if (is_never() || d == Duration::infinite()) return never();
    return from_nanos(ns_ + d.total_nanos());
  }
  constexpr Instant operator-(Duration d) const { return from_nanos(ns_ - d.total_nanos()); }
  constexpr Duration operator-(Instant o) const { return Duration::nanos(ns_ - o.ns_); }
  constexpr Instant& operator+=(Duration d) {
    *this = *this + d;
    return *this;
  }
  constexpr auto operator<=>(const Instant&) const = default;

  std::string to_string() const;  // seconds since origin, "12.345678s"

 private:
  std::int64_t ns_ = 0;
};

namespace literals {
constexpr Duration operator""_ns(unsigned long long n) {
  return Duration::nanos(static_cast<std::int64_t>(n));
}
constexpr Duration operator""_us(unsigned long long n) {
  return Duration::micros(static_cast<std::int64_t>(n));
}
constexpr Duration operator""_ms(unsigned long long n) {
  return Duration::millis(static_cast<std::int64_t>(n));
}
constexpr Duration operator""_s(unsigned long long n) {
  return Duration::seconds(static_cast<std::int64_t>(n));
}
}  // namespace literals

}  // namespace ustack
