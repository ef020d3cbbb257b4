#include "tools/port_name.h"

#include <netdb.h>

#include <charconv>

namespace ustack::tools {

std::optional<std::int64_t> port_from_text(const std::string& text, const char* proto) {
  if (text.empty()) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && end == text.data() + text.size()) return n;
  if (text[0] == '-' || (text[0] >= '0' && text[0] <= '9')) return std::nullopt;  // "8o", "-x"
  // getservbyname_r: the tools may look names up from more than one place.
  servent entry{};
  servent* found = nullptr;
  char buf[1024];
  if (getservbyname_r(text.c_str(), proto, &entry, buf, sizeof buf, &found) != 0 || !found) {
    return std::nullopt;
  }
  return ntohs(static_cast<std::uint16_t>(found->s_port));
}

CLI::Validator port_or_service(const char* proto) {
  return CLI::Validator(
      [proto](std::string& text) -> std::string {
        std::optional<std::int64_t> port = port_from_text(text, proto);
        if (!port) {
          return "unknown service '" + text + "'" + (proto ? std::string(" for ") + proto : "") +
                 " (want a port number or a name from /etc/services)";
        }
        text = std::to_string(*port);
        return "";
      },
      "PORT", "port or service name");
}

}  // namespace ustack::tools
