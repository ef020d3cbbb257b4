// SysError: a failed system call, with errno and a message a person can act on.
//
// The shell (tun/) throws it from setup code (opening devices, namespaces, netlink); the CLI
// catches it at the top and prints e.what() as its one-line error. Nothing on the packet path
// throws: read/write failures there are counted, not thrown.
#pragma once

#include <stdexcept>
#include <string>

namespace ustack::tun {

class SysError : public std::runtime_error {
 public:
  SysError(int err, const std::string& message) : std::runtime_error(message), errno_(err) {}
  // The errno of the failed call (0 when the failure was not a system call).
  int error_number() const { return errno_; }

 private:
  int errno_;
};

// "<what>: <strerror(err)><hint>", where hint suggests a fix for the common errnos
// (" (run as root)" for EPERM/EACCES).
std::string describe_errno(const std::string& what, int err);

// Throws SysError(err, describe_errno(what, err)).
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace ustack::tun
