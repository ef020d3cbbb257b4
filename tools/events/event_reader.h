// Reading an events file (docs/events.md) line by line: the header line checked (format and
// version), then each line parsed into its common fields. Shared by the readers of the format
// (`ustack ladder`, `ustack report`), so they accept and refuse the same files with the same
// words.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ustack::events {

// Bad input: not an events file, a newer version, a line that is not an event.
class EventsInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "line N: why".
EventsInputError input_error(std::uint64_t line, const std::string& why);

// One event line's common fields; `data` is the event's own object.
struct EventLine {
  std::uint64_t line = 0;    // in the file, from 1 (the header)
  std::uint64_t number = 0;  // the events counted from 1 (the header is not one): the number
                             // `ustack ladder` prints and `ustack explain --segment` takes
  std::int64_t time = 0;
  std::string conn;  // "" for events of no flow
  std::string category;
  std::string event;
  nlohmann::json data;
};

class EventReader {
 public:
  // The event on the next line, or nothing for the header and blank lines. Throws
  // EventsInputError("line N: ...") for a line that is not JSON, a first line that is not this
  // format's header or of another version, an event without time, event or data.
  std::optional<EventLine> feed(std::string_view line);
  // Throws EventsInputError when no line at all was fed (an empty file).
  void finish() const;
  // "line N: why", for errors a reader finds in an event's data.
  EventsInputError error(const std::string& why) const;
  std::uint64_t line() const { return line_; }
  std::uint64_t events() const { return events_; }

 private:
  std::uint64_t line_ = 0;
  std::uint64_t events_ = 0;
  bool header_seen_ = false;
};

}  // namespace ustack::events
