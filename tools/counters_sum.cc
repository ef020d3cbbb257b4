#include "tools/counters_sum.h"

#include <charconv>
#include <map>
#include <utility>

#include "stack/counters.h"

namespace ustack::tools {
namespace {

// "Tcp:" (a section title; counters are indented).
bool is_title(std::string_view line) {
  return !line.empty() && line.back() == ':' && line.front() != ' ';
}

// "    12 passive_opens" -> (12, "passive_opens").
bool parse_counter(std::string_view line, std::uint64_t& value, std::string_view& name) {
  std::size_t i = line.find_first_not_of(' ');
  if (i == 0 || i == std::string_view::npos) return false;
  const char* begin = line.data() + i;
  const char* end = line.data() + line.size();
  auto [p, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || p == begin || p == end || *p != ' ') return false;
  name = std::string_view(p + 1, static_cast<std::size_t>(end - p - 1));
  return !name.empty();
}

template <typename F>
void for_each_line(std::string_view text, F f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

struct Entry {
  std::string name;  // the counter's name, or the whole line for one that is not a counter
  std::uint64_t value = 0;
  bool counter = false;
};

struct Section {
  std::string title;  // with its colon; empty for lines before any title
  std::vector<Entry> entries;
  std::map<std::string, std::size_t, std::less<>> index;
};

}  // namespace

std::string sum_counters_text(const std::vector<std::string>& texts) {
  std::vector<Section> sections;
  std::map<std::string, std::size_t, std::less<>> by_title;
  auto section = [&](std::string_view title) -> Section& {
    auto it = by_title.find(title);
    if (it != by_title.end()) return sections[it->second];
    by_title.emplace(std::string(title), sections.size());
    sections.push_back(Section{std::string(title), {}, {}});
    return sections.back();
  };
  for (const std::string& text : texts) {
    Section* cur = &section("");
    for_each_line(text, [&](std::string_view line) {
      if (line.empty()) return;
      if (is_title(line)) {
        cur = &section(line);
        return;
      }
      std::uint64_t value = 0;
      std::string_view name;
      const bool counter = parse_counter(line, value, name);
      // A counter is keyed by its name; any other line by the line itself.
      std::string key = counter ? std::string("#") + std::string(name) : std::string(line);
      auto it = cur->index.find(key);
      if (it == cur->index.end()) {
        cur->index.emplace(key, cur->entries.size());
        cur->entries.push_back(Entry{std::string(counter ? name : line), value, counter});
      } else if (counter) {
        cur->entries[it->second].value += value;
      }
    });
  }
  std::string out;
  for (const Section& s : sections) {
    if (s.entries.empty() && s.title.empty()) continue;
    if (!s.title.empty()) out += s.title + "\n";
    for (const Entry& e : s.entries) {
      if (e.counter) {
        append_counter(out, e.value, e.name);
      } else {
        out += e.name + "\n";
      }
    }
  }
  return out;
}

std::uint64_t counter_value(std::string_view text, std::string_view section,
                            std::string_view name) {
  std::uint64_t found = 0;
  bool in_section = false;
  for_each_line(text, [&](std::string_view line) {
    if (is_title(line)) {
      in_section = line.substr(0, line.size() - 1) == section;
      return;
    }
    std::uint64_t value = 0;
    std::string_view n;
    if (in_section && parse_counter(line, value, n) && n == name) found = value;
  });
  return found;
}

}  // namespace ustack::tools
