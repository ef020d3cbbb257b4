// inet_pton / inet_ntop over stack/base/addr.h's parsers and printers.
#include "sockapi/inet.h"

#include <cerrno>
#include <cstdint>
#include <string>

#include "sockapi/os_error.h"
#include "stack/base/addr.h"

namespace usocket {
namespace {

[[noreturn]] void unsupported_family(int af) {
  throw OSError(EAFNOSUPPORT, "unknown address family " + std::to_string(af));
}

bytes to_bytes(ustack::Bytes b) { return bytes(b.begin(), b.end()); }

}  // namespace

bytes inet_pton(int af, std::string_view text) {
  if (af != AF_INET && af != AF_INET6) unsupported_family(af);
  // The parsers copy to a C string: text with a NUL inside would be read only up to it.
  if (text.find('\0') == std::string_view::npos) {
    if (af == AF_INET) {
      if (auto a = ustack::Ipv4Addr::parse(text)) return to_bytes(a->bytes());
    } else {
      if (auto a = ustack::Ipv6Addr::parse(text)) return to_bytes(a->bytes());
    }
  }
  throw OSError(EINVAL, "illegal IP address string passed to inet_pton");
}

std::string inet_ntop(int af, std::string_view packed) {
  if (af != AF_INET && af != AF_INET6) unsupported_family(af);
  std::size_t want = af == AF_INET ? 4 : 16;
  if (packed.size() != want) throw OSError(EINVAL, "invalid length of packed IP address string");
  ustack::Bytes b(reinterpret_cast<const std::uint8_t*>(packed.data()), packed.size());
  if (af == AF_INET) return ustack::Ipv4Addr::from_bytes(b).to_string();
  return ustack::Ipv6Addr::from_bytes(b).to_string();
}

std::string inet_ntop(int af, std::span<const std::byte> packed) {
  return inet_ntop(af,
                   std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()));
}

}  // namespace usocket
