#include "sandbox/seccomp.h"

#include <seccomp.h>

#include <cstring>

namespace ustack::sandbox {

namespace {

// What the relay loop calls once set up, as `strace -f` shows it over the sandbox test (curl,
// nc, dig, ping, UDP, resets, refusals, SIGUSR1 counters, SIGTERM): Asio's epoll loop and
// timerfd; reads and writes on the TAP fd, the host sockets (TCP, UDP, ICMP), stdout and the
// --pcap file; host sockets opened, connected (SO_ERROR, SO_LINGER), shut down and closed;
// Asio's FIONBIO ioctl; memory; signal delivery; exit. A few neighbours of these (epoll_pwait,
// ppoll, clock_* when the vDSO is not used, futex, madvise) are allowed so that a libc or
// Boost update that picks the sibling call does not kill the relay.
constexpr const char* kAllowed[] = {
    // the event loop
    "epoll_wait",
    "epoll_pwait",
    "epoll_ctl",
    "timerfd_settime",
    "timerfd_gettime",
    "poll",
    "ppoll",
    "clock_gettime",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "sched_yield",
    // I/O: the TAP fd, host sockets, stdout/stderr, the capture file
    "read",
    "write",
    "readv",
    "writev",
    "lseek",
    "recvfrom",
    "sendto",
    "recvmsg",
    "sendmsg",
    "recvmmsg",
    "sendmmsg",
    // host sockets
    "socket",
    "connect",
    "getsockopt",
    "setsockopt",
    "shutdown",
    "close",
    "fcntl",
    "ioctl",
    "getsockname",
    "getpeername",
    // port forwards (--publish) and the JSON API (--api-socket): listeners added at run time,
    // clients accepted; a removed API socket file
    "bind",
    "listen",
    "accept",
    "accept4",
    "unlink",
    "fstat",
    "newfstatat",
    // memory and locks
    "brk",
    "mmap",
    "munmap",
    "mremap",
    "madvise",
    "mprotect",
    "futex",
    // signals (SIGTERM/SIGINT stop, SIGUSR1 prints the counters)
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "restart_syscall",
    "getpid",
    "gettid",
    "tgkill",
    // the end
    "exit",
    "exit_group",
};

}  // namespace

std::string install_seccomp_filter() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (ctx == nullptr) return "seccomp_init failed";
  for (const char* name : kAllowed) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0); rc < 0) {
      seccomp_release(ctx);
      return std::string("seccomp_rule_add ") + name + ": " + std::strerror(-rc);
    }
  }
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  int rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc < 0) return std::string("seccomp_load: ") + std::strerror(-rc);
  return "";
}

}  // namespace ustack::sandbox
