// `ustack explain`: the cause chain of one segment in an events file (docs/events.md) — why it
// was sent (the timer, the duplicate ACKs, the RACK comparison, the ACK policy behind a pure
// ACK, the reason of a reset …) and what became of it, or for a received segment what it did
// (advanced SND.UNA, SACKed, a duplicate ACK, dropped by PAWS …), each step with its event
// numbers and the RFC section behind it. Events are numbered as `ustack ladder` numbers its
// rows, so a row of the ladder can be explained by its number.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>

namespace ustack::events {

struct ExplainQuery {
  std::optional<std::uint64_t> segment;  // an event number (segment_sent/received or drop)
  std::string conn;                      // with seq: the connection ("" = the only one)
  std::optional<std::uint32_t> seq;      // relative sequence number, as the ladder shows it
};

// A query the file cannot answer: no such event, connection or sequence number.
class ExplainQueryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads the whole events file and explains what `q` names. Throws EventsInputError (ladder.h)
// on a file that is not in the format, ExplainQueryError on a query that matches nothing.
std::string explain(std::istream& in, const ExplainQuery& q);

}  // namespace ustack::events
