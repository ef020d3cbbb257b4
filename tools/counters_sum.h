// Counters texts in Counters::to_string's format ("Title:" lines, each followed by "    N name"
// lines; zero counters usually left out), as `ustack` prints them on SIGUSR1 and at exit.
// With --queues N every shard prints its own; these add them up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ustack::tools {

// One text with every (section, name) counter summed over `texts`: sections in order of first
// appearance, and in each its names in order of first appearance (a counter that is zero in the
// first text but not in a later one still lands in its section). A line that is neither a title
// nor "    N name" is kept once, where it first appeared.
std::string sum_counters_text(const std::vector<std::string>& texts);

// The value of `name` in section `section` of `text` ("Tcp", "passive_opens"); 0 when absent.
std::uint64_t counter_value(std::string_view text, std::string_view section, std::string_view name);

}  // namespace ustack::tools
