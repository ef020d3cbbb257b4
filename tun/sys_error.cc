#include "tun/sys_error.h"

#include <cerrno>
#include <cstring>

namespace ustack::tun {

std::string describe_errno(const std::string& what, int err) {
  std::string s = what + ": " + std::strerror(err);
  if (err == EPERM || err == EACCES) s += " (run as root, or with CAP_NET_ADMIN and CAP_SYS_ADMIN)";
  return s;
}

void throw_errno(const std::string& what, int err) {
  throw SysError(err, describe_errno(what, err));
}

}  // namespace ustack::tun
