#include "tools/events/event_reader.h"

#include "tools/events/event_json.h"

namespace ustack::events {

EventsInputError input_error(std::uint64_t line, const std::string& why) {
  return EventsInputError("line " + std::to_string(line) + ": " + why);
}

EventsInputError EventReader::error(const std::string& why) const {
  return input_error(line_, why);
}

std::optional<EventLine> EventReader::feed(std::string_view text) {
  ++line_;
  if (text.find_first_not_of(" \t\r") == std::string_view::npos) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw error("not JSON (a truncated or foreign file?)");
  if (!header_seen_) {
    const nlohmann::json& format = j.value("format", nlohmann::json());
    const nlohmann::json& version = j.value("version", nlohmann::json());
    if (!format.is_string() || format.get<std::string>() != kFormatName) {
      throw error(std::string("not a ustack events file (no {\"format\":\"") + kFormatName +
                  "\"} first line)");
    }
    if (!version.is_number_integer() || version.get<std::int64_t>() != kFormatVersion) {
      throw error("events format version " + version.dump() + ", this ustack reads version " +
                  std::to_string(kFormatVersion));
    }
    header_seen_ = true;
    return std::nullopt;
  }
  EventLine e;
  e.line = line_;
  try {
    e.event = j.at("event").get<std::string>();
    e.time = j.at("time").get<std::int64_t>();
    if (j.contains("conn")) e.conn = j["conn"].get<std::string>();
    e.category = j.value("category", "");
    e.data = std::move(j.at("data"));
  } catch (const nlohmann::json::exception&) {
    throw error("not an event (time, event and data are required)");
  }
  e.number = ++events_;
  return e;
}

void EventReader::finish() const {
  if (line_ == 0) throw EventsInputError("empty input: not a ustack events file");
}

}  // namespace ustack::events
