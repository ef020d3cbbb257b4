// `ustack ladder`: an events file (docs/events.md) as a two-column ladder diagram, local on
// the left and remote on the right, one row per segment, with relative sequence numbers,
// state changes (the connection's, and the sender's congestion-avoidance state "~~ Open ->
// Recovery (rack)"), timer firings, retransmissions, congestion-window reductions and drops
// inline, and cwnd/ssthresh beside each segment sent. Segments are rendered as `ustack
// replay`'s ladder renders them (pcap_tests/replay/segment.h: "S. 0:0(0) ack 1 win 65160
// <mss 1460,sackOK,TS,wscale 7>").
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tools/events/event_reader.h"

namespace ustack::events {

struct LadderOptions {
  std::string conn;     // only this connection ("198.18.0.2:80>198.18.0.1:40000"); "" = all
  bool color = false;   // ANSI colours
  bool timers = false;  // also timers set and cancelled (fired ones are always shown)
  bool numbers = true;  // each row starts with its event's number (what `ustack explain` takes)
};

// Turns an events stream into ladder rows, one line at a time (so it can follow a growing
// file). Throws EventsInputError with "line N: ..." on bad input.
class Ladder {
 public:
  explicit Ladder(LadderOptions o) : o_(std::move(o)) {}
  // The rows for one input line ("" for events the ladder does not show).
  std::string feed(std::string_view line);
  // At the end of the input: throws EventsInputError for an empty one.
  void finish() const { reader_.finish(); }
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
  EventReader reader_;
  std::uint64_t number_ = 0;  // of the event being drawn
  std::optional<std::int64_t> start_;
  std::string last_conn_;
  std::map<std::string, Conn> conns_;
};

// Reads `in` to the end, writing rows to stdout as they come. Returns 0, or throws.
int print_ladder(std::istream& in, const LadderOptions& o);

}  // namespace ustack::events
