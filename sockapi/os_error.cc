// OSError's categories and its Python-like text.
#include "sockapi/os_error.h"

#include <netdb.h>

#include <cerrno>
#include <cstring>

namespace usocket {
namespace {

class GaiCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int code) const override {
    switch (code) {
      case static_cast<int>(ustack::EaiError::kNoName):
      case static_cast<int>(ustack::EaiError::kAgain):
      case static_cast<int>(ustack::EaiError::kFail):
      case static_cast<int>(ustack::EaiError::kFamily):
      case static_cast<int>(ustack::EaiError::kService):
      case static_cast<int>(ustack::EaiError::kSystem):
        return ustack::eai_message(static_cast<ustack::EaiError>(code));
      default:
        return ::gai_strerror(code);  // glibc's text for the codes the resolver never gives
    }
  }
};

std::error_code make_code(int code) {
  if (code < 0) return {code, gai_category()};
  return {code, std::generic_category()};
}

std::string make_what(int code, const std::string& detail) {
  std::string s = "[Errno " + std::to_string(code) + "] ";
  if (code < 0) {
    s += gai_category().message(code);  // CPython's gaierror: "[Errno -2] Name or service..."
  } else if (const char* name = errno_name(code)) {
    s += name;  // MicroPython: "[Errno 111] ECONNREFUSED"
  } else {
    s += std::strerror(code);
  }
  if (!detail.empty()) s += ": " + detail;
  return s;
}

}  // namespace

const std::error_category& gai_category() {
  static const GaiCategory category;
  return category;
}

const char* errno_name(int e) {
  switch (e) {
#define USOCKET_ERRNO(n) \
  case n:                \
    return #n;
    USOCKET_ERRNO(EPERM)
    USOCKET_ERRNO(ENOENT)
    USOCKET_ERRNO(EINTR)
    USOCKET_ERRNO(EIO)
    USOCKET_ERRNO(EBADF)
    USOCKET_ERRNO(EAGAIN)  // == EWOULDBLOCK on Linux
    USOCKET_ERRNO(ENOMEM)
    USOCKET_ERRNO(EACCES)
    USOCKET_ERRNO(EFAULT)
    USOCKET_ERRNO(EEXIST)
    USOCKET_ERRNO(EINVAL)
    USOCKET_ERRNO(EMFILE)
    USOCKET_ERRNO(ENOSPC)
    USOCKET_ERRNO(EPIPE)
    USOCKET_ERRNO(ENOSYS)
    USOCKET_ERRNO(ENOTSOCK)
    USOCKET_ERRNO(EDESTADDRREQ)
    USOCKET_ERRNO(EMSGSIZE)
    USOCKET_ERRNO(EPROTOTYPE)
    USOCKET_ERRNO(ENOPROTOOPT)
    USOCKET_ERRNO(EPROTONOSUPPORT)
    USOCKET_ERRNO(ESOCKTNOSUPPORT)
    USOCKET_ERRNO(EOPNOTSUPP)  // == ENOTSUP on Linux
    USOCKET_ERRNO(EAFNOSUPPORT)
    USOCKET_ERRNO(EADDRINUSE)
    USOCKET_ERRNO(EADDRNOTAVAIL)
    USOCKET_ERRNO(ENETDOWN)
    USOCKET_ERRNO(ENETUNREACH)
    USOCKET_ERRNO(ECONNABORTED)
    USOCKET_ERRNO(ECONNRESET)
    USOCKET_ERRNO(ENOBUFS)
    USOCKET_ERRNO(EISCONN)
    USOCKET_ERRNO(ENOTCONN)
    USOCKET_ERRNO(ESHUTDOWN)
    USOCKET_ERRNO(ETIMEDOUT)
    USOCKET_ERRNO(ECONNREFUSED)
    USOCKET_ERRNO(EHOSTDOWN)
    USOCKET_ERRNO(EHOSTUNREACH)
    USOCKET_ERRNO(EALREADY)
    USOCKET_ERRNO(EINPROGRESS)
#undef USOCKET_ERRNO
    default:
      return nullptr;
  }
}

OSError::OSError(int code, std::string detail)
    : std::system_error(make_code(code)),
      detail_(std::move(detail)),
      what_(make_what(code, detail_)) {}

OSError::OSError(ustack::EaiError eai, std::string detail)
    : OSError(static_cast<int>(eai), std::move(detail)) {}

}  // namespace usocket
