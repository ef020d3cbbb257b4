#include "sandbox/host_addresses.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <exception>

#include "sandbox/counter_text.h"
#include "sandbox/host_socket.h"
#include "tun/sys_error.h"

namespace ustack::sandbox {

HostAddresses::HostAddresses(tun::AsioRuntime& runtime, std::shared_ptr<std::vector<IpAddr>> addrs)
    : addrs_(std::move(addrs)) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) tun::throw_errno("netlink socket for the host's addresses", errno);
  tun::UniqueFd owned(fd);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    tun::throw_errno("netlink bind to the address groups", errno);
  }
  events_ = std::make_unique<HostWatch>(runtime, std::move(owned));
  // Subscribed first, read second: a change in between is announced, not lost.
  *addrs_ = local_addresses();
}

void HostAddresses::step() {
  bool changed = false;
  char buf[8192];
  while (events_->readable()) {
    ssize_t n = ::recv(events_->fd(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        events_->want_read();
        break;
      }
      // ENOBUFS: notifications were lost; the re-read below covers them.
      ++errors_;
      changed = true;
      continue;
    }
    ++notifications_;
    changed = true;
  }
  if (!changed) return;
  try {
    *addrs_ = local_addresses();
    ++refreshes_;
  } catch (const std::exception&) {
    ++errors_;  // the old list stays
  }
}

std::string HostAddresses::counters_text() const {
  std::string s = "HostAddresses:\n";
  append_counter(s, addrs_->size(), "addresses");
  append_counter(s, notifications_, "notifications");
  append_counter(s, refreshes_, "refreshes");
  append_counter(s, errors_, "errors");
  return s;
}

}  // namespace ustack::sandbox
