#include "tools/services/http_range.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>

namespace ustack::services {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// 1*DIGIT, all of `s`.
std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t n = 0;
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  // A position beyond 2^64 is past the end of anything we serve.
  if (ec == std::errc::result_out_of_range) return UINT64_MAX;
  return n;
}

// One range-spec (RFC 9110 §14.1.1): int-range = first-pos "-" [ last-pos ], or
// suffix-range = "-" suffix-length. nullopt when it is not valid syntax.
struct RangeSpec {
  std::optional<std::uint64_t> first;  // absent: a suffix range
  std::optional<std::uint64_t> last;   // int-range: absent means "to the end"; suffix: length
};

std::optional<RangeSpec> parse_range_spec(std::string_view spec) {
  std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  RangeSpec r;
  if (!a.empty()) {
    if (!(r.first = number(a))) return std::nullopt;
  }
  if (!b.empty()) {
    if (!(r.last = number(b))) return std::nullopt;
  }
  if (!r.first && !r.last) return std::nullopt;  // "-" alone
  // §14.1.1: an int-range is invalid if last-pos is present and less than first-pos.
  if (r.first && r.last && *r.last < *r.first) return std::nullopt;
  return r;
}

}  // namespace

ByteRangeDecision decide_byte_range(std::string_view value, std::uint64_t size) {
  using Kind = ByteRangeDecision::Kind;
  // ranges-specifier = range-unit "=" range-set; range units are case-insensitive (§14.1).
  std::size_t eq = value.find('=');
  std::string_view unit = trim(value.substr(0, eq));
  constexpr std::string_view kBytes = "bytes";
  // §14.2: a Range with a unit we do not understand is ignored; so is one we cannot parse.
  if (eq == std::string_view::npos || unit.size() != kBytes.size() ||
      !std::equal(unit.begin(), unit.end(), kBytes.begin(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == y;
      })) {
    return {};
  }
  // range-set = 1#range-spec; empty list elements are allowed and skipped (§5.6.1.2).
  std::string_view set = value.substr(eq + 1);
  std::optional<RangeSpec> only;
  int count = 0;
  while (true) {
    std::size_t comma = set.find(',');
    std::string_view element = trim(set.substr(0, comma));
    if (!element.empty()) {
      std::optional<RangeSpec> spec = parse_range_spec(element);
      if (!spec) return {};
      only = spec;
      ++count;
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (count == 0) return {};
  // More than one range: RFC 9110 §14.2 lets a server ignore Range ("A server MAY ignore the
  // Range header field"), so we send the whole representation with 200 rather than a
  // multipart/byteranges body; a client that asked for several ranges still gets every byte.
  if (count > 1) return {};
  if (!only->first) {
    // suffix-range: the last `suffix-length` bytes; a length of 0 cannot be satisfied (§14.1.1).
    const std::uint64_t suffix = *only->last;
    if (suffix == 0) return {Kind::kUnsatisfiable};
    // §14.1.1: on an empty representation a non-zero suffix is satisfiable, but there is no
    // byte to name in a Content-Range; the whole (empty) representation is the answer.
    if (size == 0) return {};
    return {Kind::kPartial, size - std::min(suffix, size), size - 1};
  }
  // int-range: satisfiable if it starts before the end; a last-pos past the end means the end.
  if (*only->first >= size) return {Kind::kUnsatisfiable};
  const std::uint64_t last = only->last ? std::min(*only->last, size - 1) : size - 1;
  return {Kind::kPartial, *only->first, last};
}

}  // namespace ustack::services
