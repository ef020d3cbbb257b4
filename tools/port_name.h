// Port arguments as nc and curl users type them: a number, or a service name from
// /etc/services ("http" -> 80, "domain" -> 53), looked up for the command's protocol.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace ustack::tools {

// The port for `text`: a decimal number as it is (range checks stay with the command), or a
// service name known for `proto` ("tcp" or "udp"; nullptr: either) in /etc/services; nullopt
// for neither.
std::optional<std::int64_t> port_from_text(const std::string& text, const char* proto);

// A CLI11 transform for a port option: rewrites a service name to its number, and refuses a
// name that /etc/services does not know ("unknown service 'htp' for tcp (not in
// /etc/services)").
CLI::Validator port_or_service(const char* proto);

}  // namespace ustack::tools
