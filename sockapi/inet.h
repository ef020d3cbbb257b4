// usocket::inet_pton / inet_ntop: the spec's conversions between text and packed addresses.
//
// They accept and reject exactly what Linux's inet_pton/inet_ntop do (strict dotted quad for
// AF_INET, RFC 4291 text forms without a %zone for AF_INET6) and raise as CPython does, with
// errno values since usocket has only OSError:
//   - af other than AF_INET/AF_INET6          → OSError(EAFNOSUPPORT)
//   - text that is not an address of that af  → OSError(EINVAL) "illegal IP address string
//     passed to inet_pton" (CPython: OSError without errno); an embedded NUL is such text
//   - packed bytes of the wrong length         → OSError(EINVAL) "invalid length of packed IP
//     address string" (CPython: ValueError)
#pragma once

#include <sys/socket.h>  // AF_INET, AF_INET6

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace usocket {

using bytes = std::string;  // binary-safe, what MicroPython's bytes is

bytes inet_pton(int af, std::string_view text);  // 4 or 16 bytes, network order
std::string inet_ntop(int af, std::string_view packed);
std::string inet_ntop(int af, std::span<const std::byte> packed);

}  // namespace usocket
