// sockaddr's checks and text forms.
#include "sockapi/sockaddr.h"

#include <cerrno>

#include "sockapi/os_error.h"

namespace usocket {
namespace {

ustack::IpAddr parse_numeric(std::string_view host) {
  if (host.find('\0') == std::string_view::npos) {
    if (auto a = ustack::IpAddr::parse(host)) return *a;
  }
  throw OSError(EINVAL, "'" + std::string(host) +
                            "' is not a numeric IP address (resolve names with getaddrinfo)");
}

std::uint16_t checked_port(std::int64_t port) {
  // CPython: OverflowError "port must be 0-65535."; usocket has only OSError.
  if (port < 0 || port > 65535) throw OSError(EINVAL, "port must be 0-65535");
  return static_cast<std::uint16_t>(port);
}

}  // namespace

sockaddr::sockaddr(std::string_view host, std::int64_t port)
    : addr_(parse_numeric(host)), port_(checked_port(port)) {}

sockaddr::sockaddr(std::string_view host, std::int64_t port, std::int64_t flowinfo,
                   std::int64_t scope_id)
    : addr_(parse_numeric(host)), port_(checked_port(port)) {
  // CPython: "AF_INET address must be a pair (host, port)" (a TypeError there).
  if (addr_.is_v4()) throw OSError(EINVAL, "AF_INET address must be a pair (host, port)");
  // CPython: "flowinfo must be 0-1048575." — the 20-bit flow label (RFC 8200 §6).
  if (flowinfo < 0 || flowinfo > 0xfffff) throw OSError(EINVAL, "flowinfo must be 0-1048575");
  if (scope_id < 0 || scope_id > 0xffffffff) {
    throw OSError(EINVAL, "scope_id must be 0-4294967295");
  }
  flowinfo_ = static_cast<std::uint32_t>(flowinfo);
  scope_id_ = static_cast<std::uint32_t>(scope_id);
}

sockaddr::sockaddr(const ustack::IpAddr& addr, std::uint16_t port, std::uint32_t flowinfo,
                   std::uint32_t scope_id)
    : addr_(addr),
      port_(port),
      flowinfo_(addr.is_v6() ? flowinfo : 0),
      scope_id_(addr.is_v6() ? scope_id : 0) {}

std::string sockaddr::to_string() const {
  if (addr_.is_v4()) return host() + ":" + std::to_string(port_);
  std::string s = "[" + host();
  if (scope_id_ != 0) s += "%" + std::to_string(scope_id_);
  return s + "]:" + std::to_string(port_);
}

std::string sockaddr::to_tuple_string() const {
  std::string s = "('" + host() + "', " + std::to_string(port_);
  if (addr_.is_v6()) s += ", " + std::to_string(flowinfo_) + ", " + std::to_string(scope_id_);
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const sockaddr& a) { return os << a.to_string(); }

}  // namespace usocket
