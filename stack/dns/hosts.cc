#include "stack/dns/hosts.h"

#include <algorithm>

#include "stack/dns/text_util.h"

namespace ustack {

std::string normalize_host_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return dns_text::ascii_lower(name);
}

void HostsTable::add_line(const IpAddr& addr, const std::vector<std::string_view>& names) {
  if (names.empty()) return;
  for (std::string_view n : names) {
    std::string key = normalize_host_name(n);
    if (key.empty()) continue;
    auto [it, inserted] = entries_.try_emplace(key);
    HostsMatch& m = it->second;
    if (inserted) m.canonical = std::string(names.front());
    if (std::find(m.addrs.begin(), m.addrs.end(), addr) == m.addrs.end()) m.addrs.push_back(addr);
  }
}

std::optional<HostsMatch> HostsTable::lookup(std::string_view name) const {
  auto it = entries_.find(normalize_host_name(name));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

HostsParse HostsTable::parse(std::string_view text) {
  HostsParse out;
  dns_text::for_each_line(text, "#", [&](std::size_t line_no, const auto& words) {
    std::string where = "line " + std::to_string(line_no) + ": ";
    auto addr = IpAddr::parse(words[0]);
    if (!addr) {
      out.warnings.push_back(where + "bad address '" + std::string(words[0]) + "'");
      return;
    }
    if (words.size() < 2) {
      out.warnings.push_back(where + "address without a name");
      return;
    }
    out.table.add_line(*addr, std::vector<std::string_view>(words.begin() + 1, words.end()));
  });
  return out;
}

}  // namespace ustack
