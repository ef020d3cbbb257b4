// --enable-seccomp: after setup, the relay runs under a seccomp filter (libseccomp) that allows
// only the system calls its event loop makes; any other kills the process (SIGSYS). Setup
// (namespaces, the TAP device, netlink) happens before, so none of that is allowed after.
#pragma once

#include <string>

namespace ustack::sandbox {

// Installs the allow-list filter on the calling process (all its threads: TSYNC). Returns ""
// or what went wrong.
std::string install_seccomp_filter();

}  // namespace ustack::sandbox
