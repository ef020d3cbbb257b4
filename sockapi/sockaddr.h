// usocket::sockaddr: the opaque socket address of the usocket spec — what getaddrinfo()
// returns as the 5-tuple's last element and what bind/connect/sendto take.
//
// Also constructible from the spec's tuple forms, numeric addresses only (names go through
// getaddrinfo, as the spec says):
//   usocket::sockaddr{"198.18.0.1", 80}             // (ipv4_address, port)
//   usocket::sockaddr{"fd00::1", 80}                // CPython accepts the pair for AF_INET6
//   usocket::sockaddr{"fe80::1", 80, 0, scope_id}   // (ipv6_address, port, flowinfo, scopeid)
// Errors are OSError(EINVAL) with CPython's words in the detail: a host name, "port must be
// 0-65535" (CPython's OverflowError; 0 is allowed because bind takes it), "flowinfo must be
// 0-1048575", "scope_id must be 0-4294967295", an IPv4 address in the 4-tuple form.
#pragma once

#include <sys/socket.h>  // AF_INET, AF_INET6: the system's names, never redeclared

#include <compare>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "stack/base/addr.h"

namespace usocket {

class sockaddr {
 public:
  sockaddr() = default;  // ('0.0.0.0', 0)
  sockaddr(std::string_view host, std::int64_t port);
  sockaddr(std::string_view host, std::int64_t port, std::int64_t flowinfo, std::int64_t scope_id);
  // From ustack's own types (the sockets and the resolver speak IpAddr + port).
  sockaddr(const ustack::IpAddr& addr, std::uint16_t port, std::uint32_t flowinfo = 0,
           std::uint32_t scope_id = 0);

  int family() const { return addr_.is_v4() ? AF_INET : AF_INET6; }
  const ustack::IpAddr& addr() const { return addr_; }
  std::uint16_t port() const { return port_; }
  std::uint32_t flowinfo() const { return flowinfo_; }  // 0 for AF_INET
  std::uint32_t scope_id() const { return scope_id_; }  // 0 for AF_INET
  std::string host() const { return addr_.to_string(); }

  // "198.18.0.1:80", "[fd00::1]:80", "[fe80::1%2]:80" (a non-zero scope id as a number).
  std::string to_string() const;
  // Python's repr of the tuple form: "('198.18.0.1', 80)", "('fd00::1', 80, 0, 0)".
  std::string to_tuple_string() const;

  friend auto operator<=>(const sockaddr&, const sockaddr&) = default;

 private:
  ustack::IpAddr addr_;
  std::uint16_t port_ = 0;
  std::uint32_t flowinfo_ = 0;
  std::uint32_t scope_id_ = 0;
};

std::ostream& operator<<(std::ostream& os, const sockaddr& a);

}  // namespace usocket
