// Kernel-side configuration of a network interface in the calling thread's namespace: index,
// MTU, up, MAC (ioctl on an AF_INET socket) and addresses (rtnetlink RTM_NEWADDR, which can
// mark an IPv6 address "nodad" so it is usable at once, as `ip addr add ... nodad` does).
//
// Everything throws SysError with the interface named in the message.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "stack/base/addr.h"

namespace ustack::tun {

// The interface's index, or 0 if there is no interface of that name.
unsigned link_index(const std::string& name);

void set_link_up(const std::string& name);
// IFF_* flags as SIOCGIFFLAGS reports them (IFF_UP, IFF_RUNNING, ...).
unsigned link_flags(const std::string& name);
// Waits (sleeping 1 ms between looks, at most `timeout`) until a link that is up is also
// running; returns whether it is. Why: attaching to a TUN device that is already up turns its
// carrier on, but the kernel only activates the device's queueing discipline later, from its
// link-watch work queue (milliseconds, more on a busy machine). Until then every packet the
// kernel sends to the device goes to the "noop" qdisc and is dropped without a trace, not even
// in tcpdump, so e.g. the first DNS answer to a query sent at once is lost.
bool wait_link_running(const std::string& name, std::chrono::milliseconds timeout);
void set_link_mtu(const std::string& name, std::size_t mtu);
std::size_t link_mtu(const std::string& name);
// SIOCSIFTXQLEN / SIOCGIFTXQLEN, as `ip link set NAME txqueuelen N`.
void set_link_txqueuelen(const std::string& name, std::size_t qlen);
std::size_t link_txqueuelen(const std::string& name);
MacAddr link_mac(const std::string& name);
// SIOCSIFHWADDR, as `ip link set NAME address MAC` (a TAP takes it while up).
void set_link_mac(const std::string& name, const MacAddr& mac);

// `ip addr add CIDR dev NAME [nodad]`. An address that is already there is not an error
// (attaching to a device someone else configured): false then, true if this call added it.
bool add_link_address(const std::string& name, const IpCidr& cidr, bool nodad = true);

// `ip addr del CIDR dev NAME`; false if it (or the device) was not there.
bool delete_link_address(const std::string& name, const IpCidr& cidr);

// `ip route add DEST via GATEWAY dev NAME` (DEST 0.0.0.0/0 or ::/0: the default route). A route
// that is already there is not an error: false then, true if this call added it.
bool add_route(const std::string& name, const IpCidr& dest, const IpAddr& gateway);

// `ip link delete NAME`; false if it was not there.
bool delete_link(const std::string& name);

}  // namespace ustack::tun
