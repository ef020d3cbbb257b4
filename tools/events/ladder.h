// `ustack ladder`: an events file (docs/events.md) as a two-column ladder diagram, local on
// the left and remote on the right, one row per segment, with relative sequence numbers,
// state changes, timer firings, retransmissions, congestion-window reductions and drops
// inline, and cwnd/ssthresh beside each segment sent. Segments are rendered as `ustack
// replay`'s ladder renders them (pcap_tests/replay/segment.h: "S. 0:0(0) ack 1 win 65160
// <mss 1460,sackOK,TS,wscale 7>").
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ustack::events {

struct LadderOptions {
  std::string conn;     // only this connection ("198.18.0.2:80>198.18.0.1:40000"); "" = all
  bool color = false;   // ANSI colours
  bool timers = false;  // also timers set and cancelled (fired ones are always shown)
  bool numbers = true;  // each row starts with its event's number (what `ustack explain` takes)
};

// Bad input: not an events file, a newer version, a line that is not an event.
class EventsInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One event of an events file. `number` counts the events from 1 (the header line is not
// one): the number the ladder prints and `ustack explain --segment` takes.
struct EventLine {
  std::uint64_t number = 0;
  std::int64_t time = 0;
  std::string conn;  // "" for events of no flow
  std::string event;
  nlohmann::json data;
};

// Checks an events stream line by line: the header first (format and version), then events.
// Throws EventsInputError with "line N: ..." on bad input.
class EventsReader {
 public:
  // The event on this line; nullopt for the header and blank lines.
  std::optional<EventLine> feed(std::string_view line);
  std::uint64_t line() const { return line_; }
  std::uint64_t events() const { return events_; }
  EventsInputError error(const std::string& why) const;

 private:
  std::uint64_t line_ = 0;
  std::uint64_t events_ = 0;
  bool header_seen_ = false;
};

// Turns an events stream into ladder rows, one line at a time (so it can follow a growing
// file). Throws EventsInputError with "line N: ..." on bad input.
class Ladder {
 public:
  explicit Ladder(LadderOptions o) : o_(std::move(o)) {}
  // The rows for one input line ("" for events the ladder does not show).
  std::string feed(std::string_view line);
  // The column heading, printed before the first row.
  std::string heading() const;
  // Relative sequence numbers as the rows show them: `seq` of the connection's local side
  // (or remote) minus its initial sequence number; `seq` itself while that is unknown.
  std::uint32_t relative(const std::string& conn, bool local, std::uint32_t seq) const;

 private:
  struct Side {
    std::optional<std::uint32_t> isn;
    std::optional<std::uint8_t> wscale;
    bool syn_seen = false;
  };
  struct Conn {
    Side local, remote;
    std::int64_t cwnd = -1, ssthresh = -1;
    std::string pending_rtx;  // a retransmit event's reason, for the next segment sent
  };
  std::string row(std::int64_t time, const std::string& conn, const std::string& text);

  LadderOptions o_;
  EventsReader reader_;
  std::uint64_t number_ = 0;  // of the event being drawn
  std::optional<std::int64_t> start_;
  std::string last_conn_;
  std::map<std::string, Conn> conns_;
};

// Reads `in` to the end, writing rows to stdout as they come. Returns 0, or throws.
int print_ladder(std::istream& in, const LadderOptions& o);

}  // namespace ustack::events
