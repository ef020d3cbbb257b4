// One line of a counters block as `ustack` prints them (netstat -s style, what the integration
// tests' `counter SECTION NAME` reads): "    N name\n".
#pragma once

#include <cstdint>
#include <string>

namespace ustack::sandbox {

inline void append_counter(std::string& s, std::uint64_t v, const char* name) {
  s += "    " + std::to_string(v) + " " + name + "\n";
}

}  // namespace ustack::sandbox
