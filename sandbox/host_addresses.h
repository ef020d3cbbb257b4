// HostAddresses: the host's own addresses (which the sandbox may not reach without
// --allow-host-loopback, layout.h), kept current. They are read when the sandbox starts and
// again whenever the kernel announces an address added or removed: a NETLINK_ROUTE socket
// subscribed to RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR (rtnetlink(7)) in the event loop.
// The socket is opened at construction, so the relay can re-read the addresses after it has
// dropped its privileges and under its seccomp filter (getifaddrs is a netlink dump too).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/host_watch.h"
#include "stack/base/addr.h"
#include "tun/runtime.h"

namespace ustack::sandbox {

class HostAddresses {
 public:
  // Fills `addrs` now and keeps it current. Throws tun::SysError.
  HostAddresses(tun::AsioRuntime& runtime, std::shared_ptr<std::vector<IpAddr>> addrs);

  // Drains the notifications; re-reads the addresses if there were any.
  void step();
  std::string counters_text() const;

 private:
  std::shared_ptr<std::vector<IpAddr>> addrs_;
  std::unique_ptr<HostWatch> events_;
  std::uint64_t notifications_ = 0, refreshes_ = 0, errors_ = 0;
};

}  // namespace ustack::sandbox
