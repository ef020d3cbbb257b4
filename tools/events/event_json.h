// The ustack events format (docs/events.md): every tracer event (stack/tracer.h) as one JSON
// object on one line, after a first line naming the format and its version. Outside the core:
// the core hands out TraceEvents with numbers; this turns them into JSON.
//
//   {"format":"ustack-events","version":1,"schema":"docs/events.md","tool":"serve"}
//   {"time":1000000,"conn":"198.18.0.2:80>198.18.0.1:40000","category":"tcp","event":"state",
//    "data":{"from":"SYN_RECEIVED","to":"ESTABLISHED","rfc9293":"3.10.7.4"}}
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "stack/tracer.h"

namespace ustack::events {

inline constexpr const char* kFormatName = "ustack-events";
// Bump on any change that could break a reader (a renamed or removed field, a changed
// meaning); adding an event or a field keeps the version.
inline constexpr int kFormatVersion = 1;

// The first line: {"format":"ustack-events","version":1,"schema":"docs/events.md","tool":T}.
nlohmann::ordered_json header_json(std::string_view tool);
// One event (no trailing newline when dumped). Field order is fixed (ordered_json) so lines
// are byte-stable for golden tests and diffs.
nlohmann::ordered_json event_json(const TraceEvent& e);
// "198.18.0.2:80>198.18.0.1:40000" ("[fd00::2]:80>..." for IPv6); "" when not per-flow.
std::string connection_name(const TraceEvent& e);

// A Tracer writing the format to a file: the header at construction, then one line per event,
// each flushed so `tail -f FILE | ustack ladder` follows a running stack.
class JsonLinesTracer : public Tracer {
 public:
  // Opens `path` ("-" for stdout); throws std::runtime_error("cannot write PATH: ...").
  JsonLinesTracer(const std::string& path, std::string_view tool);
  ~JsonLinesTracer() override;
  JsonLinesTracer(const JsonLinesTracer&) = delete;
  JsonLinesTracer& operator=(const JsonLinesTracer&) = delete;
  void on_event(const TraceEvent& e) override;
  std::uint64_t events() const { return events_; }

 private:
  FILE* f_ = nullptr;
  bool owned_ = false;
  std::uint64_t events_ = 0;
};

}  // namespace ustack::events
