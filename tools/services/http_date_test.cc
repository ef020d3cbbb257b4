#include "tools/services/http_date.h"

#include <gtest/gtest.h>

namespace ustack::services {
namespace {

constexpr std::int64_t kRfcExample = 784111777;  // RFC 9110 §5.6.7's example date
constexpr std::int64_t kNow2026 = 1796578994;    // Sun, 06 Dec 2026 17:43:14 GMT

// Expected strings from Python's email.utils.formatdate(t, usegmt=True).
TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(format_http_date(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(format_http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format_http_date(4102444800), "Fri, 01 Jan 2100 00:00:00 GMT");
  EXPECT_EQ(format_http_date(kNow2026), "Sun, 06 Dec 2026 17:43:14 GMT");
}

// RFC 9110 §5.6.7: recipients MUST accept all three formats.
TEST(HttpDate, ParsesTheThreeFormats) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", kNow2026), kRfcExample);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", kNow2026), kRfcExample);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994", kNow2026), kRfcExample);
  EXPECT_EQ(parse_http_date("Tue Feb 29 00:00:00 2000", kNow2026), 951782400);
}

// RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is in the past century.
TEST(HttpDate, Rfc850YearsAreWithinFiftyYearsOfNow) {
  EXPECT_EQ(parse_http_date("Wednesday, 01-Jan-70 00:00:00 GMT", kNow2026), 3155760000);  // 2070
  EXPECT_EQ(parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT", kNow2026), 946684800);
  // 2076 is exactly 50 years ahead: not more, so it stays in this century.
  EXPECT_EQ(parse_http_date("Wednesday, 01-Jan-76 00:00:00 GMT", kNow2026), 3345062400);
  EXPECT_EQ(parse_http_date("Saturday, 01-Jan-77 00:00:00 GMT", kNow2026), 220924800);
}

TEST(HttpDate, RoundTrips) {
  for (std::int64_t t = -86400LL * 800; t < 86400LL * 366 * 140; t += 86400LL * 37 + 4321) {
    EXPECT_EQ(parse_http_date(format_http_date(t), kNow2026), t) << format_http_date(t);
  }
}

TEST(HttpDate, RejectsWhatIsNotAnHttpDate) {
  for (const char* bad : {
           "",
           "yesterday",
           "Sun, 06 Nov 1994 08:49:37 UTC",   // only GMT
           "Sun, 6 Nov 1994 08:49:37 GMT",    // day is 2DIGIT
           "sun, 06 Nov 1994 08:49:37 GMT",   // names are case-sensitive
           "Sun, 06 Nov 1994 08:49:37 GMT ",  // trailing space
           "Sun, 06 Nov 1994 24:00:00 GMT",   // hour
           "Sun, 31 Feb 1994 08:49:37 GMT",   // no 31 February
           "Sun, 06 Nov 94 08:49:37 GMT",     // 4-digit year in IMF-fixdate
           "Sun Nov 06 08:49:37 1994 GMT",    // asctime has no zone
           "1796578994",
       }) {
    EXPECT_EQ(parse_http_date(bad, kNow2026), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace ustack::services
