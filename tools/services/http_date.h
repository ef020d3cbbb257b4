// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate out ("Sun, 06 Nov 1994 08:49:37 GMT"), all three
// formats in (IMF-fixdate, the obsolete RFC 850 and asctime forms, as recipients MUST accept).
//
// Pure: times are Unix seconds (UTC, no leap seconds) handed in by the caller; nothing here
// reads a clock or the time zone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ustack::services {

std::string format_http_date(std::int64_t unix_seconds);

// The time `text` names, or nullopt if it is not an HTTP-date. `now_unix_seconds` resolves the
// two-digit years of RFC 850 dates (RFC 9110 §5.6.7: a year more than 50 years ahead is the
// most recent past year with the same last two digits).
std::optional<std::int64_t> parse_http_date(std::string_view text, std::int64_t now_unix_seconds);

}  // namespace ustack::services
