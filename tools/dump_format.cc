#include "tools/dump_format.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace ustack::tools {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// "13:46:21.955113", with "2026-11-25 " in front when `with_date`, in UTC. Seconds and
// fraction split towards minus infinity, as struct timeval holds them.
std::string utc_clock(std::int64_t ns, bool with_date) {
  std::int64_t secs = ns / kNanosPerSecond;
  std::int64_t frac = ns % kNanosPerSecond;
  if (frac < 0) {
    frac += kNanosPerSecond;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const int n = with_date ? std::snprintf(buf, sizeof buf, "%04d-%02d-%02d ", tm.tm_year + 1900,
                                          tm.tm_mon + 1, tm.tm_mday)
                          : 0;
  std::snprintf(buf + n, sizeof buf - n, "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac / 1000));
  return buf;
}

// tcpdump's ts_print for -ttt/-ttttt: the sign (' ' or '-') and the distance as a UTC time of
// day (so a delta of a day or more wraps, as there).
std::string delta(Instant t, Instant reference) {
  // Both ends are cut to microseconds before subtracting, as struct timevals are.
  const std::int64_t us = t.total_nanos() / 1000 - reference.total_nanos() / 1000;
  return (us < 0 ? "-" : " ") + utc_clock((us < 0 ? -us : us) * 1000, /*with_date=*/false);
}

}  // namespace

std::string TimestampFormatter::format(Instant t) {
  switch (style_) {
    case TimestampStyle::kTimeOfDay:
      return utc_clock(t.total_nanos(), /*with_date=*/false);
    case TimestampStyle::kNone:
      return "";
    case TimestampStyle::kEpoch: {
      char buf[48];
      const std::int64_t us = t.total_nanos() / 1000;
      std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(us / 1'000'000),
                    static_cast<long long>(us % 1'000'000));
      return buf;
    }
    case TimestampStyle::kDateTime:
      return utc_clock(t.total_nanos(), /*with_date=*/true);
    case TimestampStyle::kSincePrevious:
    case TimestampStyle::kSinceFirst:
      break;
  }
  if (!have_reference_) {
    reference_ = t;
    have_reference_ = true;
  }
  std::string out = delta(t, reference_);
  if (style_ == TimestampStyle::kSincePrevious) reference_ = t;
  return out;
}

std::string hex_dump(Bytes data, bool ascii) {
  // tcpdump's hex_and_ascii_print_with_offset: 8 groups of " %02x%02x" (40 columns), padded
  // when the last line is short, two spaces, then the text column.
  constexpr std::size_t kPerLine = 16;
  std::string out;
  char buf[32];
  for (std::size_t offset = 0; offset < data.size(); offset += kPerLine) {
    const std::size_t n = std::min(kPerLine, data.size() - offset);
    std::snprintf(buf, sizeof buf, "\t0x%04zx: ", offset);
    out += buf;
    std::string hex;
    std::string text;
    for (std::size_t i = 0; i < n; ++i) {
      const auto b = static_cast<unsigned>(data[offset + i]);
      std::snprintf(buf, sizeof buf, i % 2 == 0 ? " %02x" : "%02x", b);
      hex += buf;
      text += (b > 0x20 && b < 0x7f) ? static_cast<char>(b) : '.';  // ND_ASCII_ISGRAPH
    }
    if (ascii) {
      hex.resize(40, ' ');
      out += hex + "  " + text;
    } else {
      out += hex;
    }
    out += '\n';
  }
  return out;
}

}  // namespace ustack::tools
