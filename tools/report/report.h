// `ustack report`: an events file (docs/events.md) as one self-contained HTML page — the
// time-sequence graph of each connection (segments as bars seq..seq+len over time, the ACK
// line, the window edge, SACK blocks, retransmissions and probes in their own colours), its
// congestion window with recovery periods shaded, its RTT samples with SRTT and RTO, a state
// swimlane per connection and counters. The charts are drawn by dygraphs (Debian's
// libjs-dygraphs, inlined at build time), so the page opens with no network; its data are
// embedded as JSON that no string from the events can break out of.
#pragma once

#include <cstdint>
#include <istream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tools/events/event_reader.h"

namespace ustack::report {

struct ReportOptions {
  std::string conn;   // only this connection ("198.18.0.2:80>198.18.0.1:40000"); "" = all
  std::string title;  // shown in the page's title and heading (the events file's name)
};

// The report's data, the JSON the page draws (times in ms from the run's first event,
// sequence numbers relative to the sender's ISN):
//   {"title", "start_ns", "end_ms", "counters": [[name, value]...],
//    "conns": [{"name", "sender": "local"|"remote", "start_ms", "end_ms",
//               "segments": [[ms, seq, end, kind]...]  (kind 0 new data, 1 retransmission,
//                                                        2 probe: TLP, persist, keepalive),
//               "acks": [[ms, ack, ack + window]...], "sacks": [[ms, left, right]...],
//               "cwnd": [[ms, cwnd, ssthresh or null, inflight, pipe, rwnd]...],
//               "recovery": [[from_ms, to_ms, reason]...],
//               "rtt": [[ms, rtt_ms, srtt_ms, rto_ms]...], "states": [[ms, state]...],
//               "counters": [[name, value]...]}...]}
// Throws events::EventsInputError ("line N: ...") on bad input.
nlohmann::ordered_json report_data(std::istream& in, const ReportOptions& o);

// The page: data embedded with script_safe_json, the charting library and the page's script
// inlined. Nothing in it loads anything from the network (a Content-Security-Policy forbids
// it).
std::string render_html(const nlohmann::ordered_json& data);

// JSON that can stand inside <script>...</script>: '<', '>', '&' and U+2028/U+2029 escaped
// as \uXXXX (they only occur inside strings), so no string closes the element.
std::string script_safe_json(const nlohmann::ordered_json& j);

}  // namespace ustack::report
