// usocket::OSError: the one exception the usocket API throws, as MicroPython's OSError.
//
// code().value() is the errno (positive, Linux values, std::generic_category() so that
// `e.code() == std::errc::connection_refused` holds) or a getaddrinfo code (negative, glibc's
// EAI_* values, gai_category()) — the spec's "separate namespace, negative numbers".
// what() reads like Python: "[Errno 111] ECONNREFUSED" (MicroPython names the errno),
// "[Errno -2] Name or service not known" (CPython's socket.gaierror), with an optional detail
// appended: "[Errno 22] EINVAL: port must be 0-65535".
#pragma once

#include <string>
#include <system_error>

#include "stack/dns/resolver.h"

namespace usocket {

// The category of negative getaddrinfo codes; message() is gai_strerror()'s text.
const std::error_category& gai_category();

// "ECONNREFUSED" for the Linux errno values the API raises (and a few neighbours), else
// nullptr.
const char* errno_name(int errno_value);

class OSError : public std::system_error {
 public:
  // code > 0: an errno; code < 0: a getaddrinfo code (EAI_NONAME is -2, as glibc).
  explicit OSError(int code, std::string detail = {});
  explicit OSError(ustack::EaiError eai, std::string detail = {});

  int errno_value() const { return code().value(); }  // e.args[0]
  bool is_gai() const { return code().category() == gai_category(); }
  const std::string& detail() const { return detail_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string detail_;
  std::string what_;
};

}  // namespace usocket
