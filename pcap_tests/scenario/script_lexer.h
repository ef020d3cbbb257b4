// The character-level pieces of the packetdrill parser (script.cc): a cursor over one logical
// line with the number, time and word readers every construct uses, and the table of symbolic
// constants (SOCK_STREAM, O_NONBLOCK, EINPROGRESS ...) with Linux's values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stack/base/time.h"

namespace ustack::scenario {

class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : s_(text) {}

  void skip_ws();
  bool at_end();  // after skipping whitespace
  char peek();    // after skipping whitespace; '\0' at the end
  // Consumes `token` (after whitespace) if the line continues with it.
  bool eat(std::string_view token);
  // A run of [A-Za-z0-9_] (after whitespace); empty if none.
  std::string word();
  // An unsigned decimal or 0x hex integer; nullopt (nothing consumed) if none.
  std::optional<std::uint64_t> number();
  // Seconds with an optional fraction, "0.100", "1", ".5" (nanosecond resolution, no floating
  // point so "0.1" is exactly 100 ms).
  std::optional<Duration> seconds();
  // Everything not yet consumed, whitespace-trimmed.
  std::string_view rest();
  std::size_t pos() const { return i_; }
  void set_pos(std::size_t p) { i_ = p; }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// A name the syscall arguments and results use, with Linux's value: socket constants,
// fcntl commands and flags, shutdown's how, and errno names.
std::optional<long> symbol_value(std::string_view name);
std::optional<int> errno_value(std::string_view name);
// "EINPROGRESS" for EINPROGRESS, the number as text for an errno not in the table.
std::string errno_name(int err);

}  // namespace ustack::scenario
