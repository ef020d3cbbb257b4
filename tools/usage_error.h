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

// The subcommand path being run ("ustack udp send"): set by main once the command line is
// parsed, "ustack" until then. A command's own checks report through usage_error() so their
// lines name the command as the parser's do.
void set_command_path(std::string path);
const std::string& command_path();
// report_usage_error(command_path(), what): one line, exit code 2.
int usage_error(const std::string& what);

// A number as the user would have typed it ("0.5", "-1", "1e+07"): printf's %g.
std::string format_number(double v);

}  // namespace ustack::tools
