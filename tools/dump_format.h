// How `ustack dump` prints what is not a protocol decode: the time stamp in front of each line
// (tcpdump's -t … -ttttt) and the hex dumps after it (tcpdump's -x and -X). Pure formatting,
// pinned against tcpdump 4.99's output by dump_format_test and pcap_tests/dump_cli_test.
#pragma once

#include <string>

#include "stack/base/bytes.h"
#include "stack/base/time.h"

namespace ustack::tools {

// tcpdump's -t flags, by how many times -t is given.
enum class TimestampStyle {
  kTimeOfDay = 0,      // default: "13:46:21.955113"
  kNone = 1,           // -t
  kEpoch = 2,          // -tt: "1795614379.611408"
  kSincePrevious = 3,  // -ttt: " 00:00:00.007987" (sign, then a delta; 0 for the first packet)
  kDateTime = 4,       // -tttt: "2026-11-25 13:46:19.611408"
  kSinceFirst = 5,     // -ttttt: " 00:00:00.152202"
};

// Formats packet times in one style, remembering the packets before for the deltas.
// Times of day and dates are UTC, whatever the reader's time zone (tcpdump uses local time:
// `TZ=UTC tcpdump` prints the same). Microseconds, cut like tcpdump's, not rounded.
class TimestampFormatter {
 public:
  explicit TimestampFormatter(TimestampStyle style) : style_(style) {}

  // The time stamp of the next packet, without separators; empty for kNone.
  std::string format(Instant t);

 private:
  TimestampStyle style_;
  bool have_reference_ = false;
  Instant reference_;  // the previous packet (-ttt) or the first (-ttttt)
};

// tcpdump -x: "\t0x0000:  4500 0054 09b9 ..." lines of 16 octets in groups of two, each line
// ending in '\n'. With `ascii` (-X) each line also shows its octets as text, '.' for any that
// is not printable or is a space, in a column aligned after the hex.
std::string hex_dump(Bytes data, bool ascii);

}  // namespace ustack::tools
