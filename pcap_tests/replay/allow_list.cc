#include "pcap_tests/replay/allow_list.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "pcap_tests/replay/conversation.h"

namespace ustack::replay {
namespace {

constexpr std::array<std::string_view, 21> kFields = {
    "packet",  "stopped", "psh",      "flags",  "seq",     "ack",    "len",
    "payload", "win",     "zero-win", "urg",    "mss",     "wscale", "wscale-shift",
    "sackOK",  "ts",      "sack",     "timing", "missing", "extra",  "*"};

}  // namespace

bool glob_match(std::string_view p, std::string_view t) {
  // Iterative matcher with one backtrack point for the last '*'.
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

AllowList AllowList::parse(std::string_view text, const std::string& origin) {
  AllowList list;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    AllowRule r;
    if (!(words >> r.field)) continue;  // blank or comment
    const std::string where = origin + ":" + std::to_string(n);
    std::getline(words >> r.segments >> std::ws, r.reason);
    while (!r.reason.empty() && std::isspace(static_cast<unsigned char>(r.reason.back()))) {
      r.reason.pop_back();
    }
    if (r.segments.empty() || r.reason.empty()) {
      throw ReplayInputError(where + ": a rule needs FIELD SEGMENTS REASON, got \"" + line + "\"");
    }
    if (std::find(kFields.begin(), kFields.end(), r.field) == kFields.end()) {
      throw ReplayInputError(where + ": unknown field \"" + r.field +
                             "\" (flags psh seq ack len payload win zero-win mss wscale "
                             "wscale-shift sackOK ts sack timing packet missing extra stopped *)");
    }
    r.origin = where;
    list.rules_.push_back(std::move(r));
  }
  return list;
}

AllowList AllowList::load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw ReplayInputError("cannot read allow-list " + path);
  std::stringstream text;
  text << f.rdbuf();
  return parse(text.str(), path);
}

void AllowList::append(const AllowList& o) {
  rules_.insert(rules_.end(), o.rules_.begin(), o.rules_.end());
}

const AllowRule* AllowList::match(std::string_view field, std::string_view flags) const {
  for (const AllowRule& r : rules_) {
    if ((r.field == "*" || r.field == field) && glob_match(r.segments, flags)) return &r;
  }
  return nullptr;
}

}  // namespace ustack::replay
