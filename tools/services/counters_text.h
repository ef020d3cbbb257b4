// One section of counters in the format of Counters::to_string ("Title:" then "    N name"
// lines), for the tools' own counters (services, the DNS server).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace ustack::services {

inline std::string counters_section(
    const char* title, std::initializer_list<std::pair<const char*, std::uint64_t>> counters) {
  std::string s = std::string(title) + ":\n";
  for (const auto& [name, value] : counters)
    s += "    " + std::to_string(value) + " " + name + "\n";
  return s;
}

}  // namespace ustack::services
