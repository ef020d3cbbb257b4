#include "tools/services/http_date.h"

#include <array>
#include <cstdio>

namespace ustack::services {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b < 0); }

// A cursor over the date text; each take_* consumes exactly what it names or fails.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool done() const { return s_.empty(); }
  bool literal(std::string_view lit) {
    if (s_.substr(0, lit.size()) != lit) return false;
    s_.remove_prefix(lit.size());
    return true;
  }
  // Exactly `n` digits.
  bool digits(int n, int& out) {
    if (s_.size() < static_cast<std::size_t>(n)) return false;
    out = 0;
    for (int i = 0; i < n; ++i) {
      if (s_[i] < '0' || s_[i] > '9') return false;
      out = out * 10 + (s_[i] - '0');
    }
    s_.remove_prefix(n);
    return true;
  }
  // One of `names` (case-sensitive, RFC 9110 §5.6.7); its index or -1.
  template <std::size_t N>
  int name(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) return static_cast<int>(i);
    }
    return -1;
  }
  // time-of-day = hour ":" minute ":" second
  bool time_of_day(int& h, int& m, int& s) {
    return digits(2, h) && literal(":") && digits(2, m) && literal(":") && digits(2, s);
  }

 private:
  std::string_view s_;
};

std::optional<std::int64_t> to_unix(std::int64_t year, int month, int day, int h, int m, int s) {
  // RFC 9110 §5.6.7 allows second 60 (a leap second); Unix time folds it into the next one.
  if (month < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return std::nullopt;
  const auto mon = static_cast<unsigned>(month + 1);
  const std::int64_t days = days_from_civil(year, mon, static_cast<unsigned>(day));
  if (civil_from_days(days).month != mon) return std::nullopt;  // 31 Feb and the like
  return days * 86400 + h * 3600 + m * 60 + s;
}

// IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT ; date1 = day SP month SP year
std::optional<std::int64_t> parse_imf_fixdate(std::string_view text) {
  Reader r(text);
  int d, y, h, m, s;
  if (r.name(kDays) < 0 || !r.literal(", ") || !r.digits(2, d) || !r.literal(" ")) return {};
  int mon = r.name(kMonths);
  if (mon < 0 || !r.literal(" ") || !r.digits(4, y) || !r.literal(" ") || !r.time_of_day(h, m, s) ||
      !r.literal(" GMT") || !r.done()) {
    return std::nullopt;
  }
  return to_unix(y, mon, d, h, m, s);
}

// rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT ; date2 = day "-" month "-" 2DIGIT
std::optional<std::int64_t> parse_rfc850(std::string_view text, std::int64_t now) {
  Reader r(text);
  int d, yy, h, m, s;
  if (r.name(kLongDays) < 0 || !r.literal(", ") || !r.digits(2, d) || !r.literal("-")) return {};
  int mon = r.name(kMonths);
  if (mon < 0 || !r.literal("-") || !r.digits(2, yy) || !r.literal(" ") ||
      !r.time_of_day(h, m, s) || !r.literal(" GMT") || !r.done()) {
    return std::nullopt;
  }
  // The most recent year ending in `yy` that is not more than 50 years ahead of now.
  const std::int64_t this_year = civil_from_days(floor_div(now, 86400)).year;
  std::int64_t year = this_year - ((this_year % 100 + 100) % 100) + yy;
  if (year > this_year + 50) year -= 100;
  return to_unix(year, mon, d, h, m, s);
}

// asctime-date = day-name SP date3 SP time-of-day SP year ; date3 = month SP ( 2DIGIT / SP DIGIT )
std::optional<std::int64_t> parse_asctime(std::string_view text) {
  Reader r(text);
  int d, y, h, m, s;
  if (r.name(kDays) < 0 || !r.literal(" ")) return std::nullopt;
  int mon = r.name(kMonths);
  if (mon < 0 || !r.literal(" ")) return std::nullopt;
  if (!(r.literal(" ") ? r.digits(1, d) : r.digits(2, d))) return std::nullopt;
  if (!r.literal(" ") || !r.time_of_day(h, m, s) || !r.literal(" ") || !r.digits(4, y) ||
      !r.done()) {
    return std::nullopt;
  }
  return to_unix(y, mon, d, h, m, s);
}

}  // namespace

std::string format_http_date(std::int64_t unix_seconds) {
  const std::int64_t days = floor_div(unix_seconds, 86400);
  const std::int64_t secs = unix_seconds - days * 86400;
  const Civil c = civil_from_days(days);
  const auto weekday = static_cast<std::size_t>(((days % 7) + 11) % 7);  // 1970-01-01: Thursday
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02d:%02d:%02d GMT", kDays[weekday].data(),
                c.day, kMonths[c.month - 1].data(), static_cast<long long>(c.year),
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

std::optional<std::int64_t> parse_http_date(std::string_view text, std::int64_t now_unix_seconds) {
  if (auto t = parse_imf_fixdate(text)) return t;
  if (auto t = parse_rfc850(text, now_unix_seconds)) return t;
  return parse_asctime(text);
}

}  // namespace ustack::services
