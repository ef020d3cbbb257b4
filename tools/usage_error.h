// Command line errors in ustack's own words: CLI11's parse errors ("Could not convert: --mtu =
// abc", "The following argument was not expected: x", exit codes 104..114) become one line
// naming the option and the value, for "ustack SUBCOMMAND: <text>" and exit code 2.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace ustack::tools {

// "--mtu: 'abc' is not a valid value", "missing argument: port", "unexpected argument '2'",
// "unknown option --bogus", "--tun needs a value", "--ttl: 0 is not in range 1..255".
std::string usage_error_text(const CLI::ParseError& e);

// Prints "COMMAND: what (COMMAND --help)" on stderr, COMMAND being the subcommand path
// ("ustack connect"), and returns 2: the one form every usage error takes, whether CLI11 or
// the command's own checks found it.
int report_usage_error(const std::string& command, const std::string& what);

}  // namespace ustack::tools
