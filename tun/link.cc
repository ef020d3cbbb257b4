#include "tun/link.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "tun/sys_error.h"
#include "tun/unique_fd.h"

namespace ustack::tun {
namespace {

UniqueFd ioctl_socket() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("cannot open a control socket", errno);
  return UniqueFd(fd);
}

ifreq make_ifreq(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    throw SysError(EINVAL, "bad interface name '" + name + "' (1.." + std::to_string(IFNAMSIZ - 1) +
                               " characters)");
  }
  ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  return ifr;
}

void do_ioctl(int fd, unsigned long req, ifreq& ifr, const std::string& what) {
  if (::ioctl(fd, req, &ifr) != 0) throw_errno(what, errno);
}

// One rtnetlink request with an ACK; returns 0 or the (positive) errno the kernel answered.
int netlink_request(void* msg, std::size_t len) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) throw_errno("cannot open a netlink socket", errno);
  UniqueFd sock(fd);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, msg, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    throw_errno("netlink send failed", errno);
  }
  alignas(nlmsghdr) char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("netlink receive failed", errno);
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        return -e->error;
      }
    }
  }
}

void add_attr(nlmsghdr* h, std::size_t cap, unsigned short type, const void* data,
              std::size_t len) {
  std::size_t at = NLMSG_ALIGN(h->nlmsg_len);
  if (at + RTA_SPACE(len) > cap) throw SysError(EMSGSIZE, "netlink message too large");
  auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(h) + at);
  rta->rta_type = type;
  rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
  std::memcpy(RTA_DATA(rta), data, len);
  h->nlmsg_len = static_cast<unsigned>(at + RTA_SPACE(len));
}

}  // namespace

unsigned link_index(const std::string& name) { return ::if_nametoindex(name.c_str()); }

void set_link_up(const std::string& name) {
  UniqueFd fd = ioctl_socket();
  ifreq ifr = make_ifreq(name);
  do_ioctl(fd.get(), SIOCGIFFLAGS, ifr, "cannot read the flags of " + name);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  do_ioctl(fd.get(), SIOCSIFFLAGS, ifr, "cannot bring " + name + " up");
}

unsigned link_flags(const std::string& name) {
  UniqueFd fd = ioctl_socket();
  ifreq ifr = make_ifreq(name);
  do_ioctl(fd.get(), SIOCGIFFLAGS, ifr, "cannot read the flags of " + name);
  return static_cast<unsigned short>(ifr.ifr_flags);
}

bool wait_link_running(const std::string& name, std::chrono::milliseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  for (bool waited = false;; waited = true) {
    UniqueFd fd = ioctl_socket();
    ifreq ifr = make_ifreq(name);
    do_ioctl(fd.get(), SIOCGIFFLAGS, ifr, "cannot read the flags of " + name);
    if ((ifr.ifr_flags & IFF_RUNNING) != 0) {
      // The kernel marks the link running just before it activates the queue, both under the
      // RTNL lock. Setting the same flags again takes that lock, so it returns only after the
      // activation finished: a barrier, not a change.
      if (waited) do_ioctl(fd.get(), SIOCSIFFLAGS, ifr, "cannot set the flags of " + name);
      return true;
    }
    if ((ifr.ifr_flags & IFF_UP) == 0 || std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void set_link_mtu(const std::string& name, std::size_t mtu) {
  UniqueFd fd = ioctl_socket();
  ifreq ifr = make_ifreq(name);
  ifr.ifr_mtu = static_cast<int>(mtu);
  do_ioctl(fd.get(), SIOCSIFMTU, ifr,
           "cannot set the MTU of " + name + " to " + std::to_string(mtu));
}

std::size_t link_mtu(const std::string& name) {
  UniqueFd fd = ioctl_socket();
  ifreq ifr = make_ifreq(name);
  do_ioctl(fd.get(), SIOCGIFMTU, ifr, "cannot read the MTU of " + name);
  return static_cast<std::size_t>(ifr.ifr_mtu);
}

void set_link_txqueuelen(const std::string& name, std::size_t qlen) {
  UniqueFd fd = ioctl_socket();
  ifreq ifr = make_ifreq(name);
  ifr.ifr_qlen = static_cast<int>(qlen);
  do_ioctl(fd.get(), SIOCSIFTXQLEN, ifr,
           "cannot set the transmit queue length of " + name + " to " + std::to_string(qlen));
}

std::size_t link_txqueuelen(const std::string& name) {
  UniqueFd fd = ioctl_socket();
  ifreq ifr = make_ifreq(name);
  do_ioctl(fd.get(), SIOCGIFTXQLEN, ifr, "cannot read the transmit queue length of " + name);
  return static_cast<std::size_t>(ifr.ifr_qlen);
}

MacAddr link_mac(const std::string& name) {
  UniqueFd fd = ioctl_socket();
  ifreq ifr = make_ifreq(name);
  do_ioctl(fd.get(), SIOCGIFHWADDR, ifr, "cannot read the MAC address of " + name);
  return MacAddr::from_bytes(
      Bytes(reinterpret_cast<const std::uint8_t*>(ifr.ifr_hwaddr.sa_data), 6));
}

void set_link_mac(const std::string& name, const MacAddr& mac) {
  UniqueFd fd = ioctl_socket();
  ifreq ifr = make_ifreq(name);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  Bytes b = mac.bytes();
  std::memcpy(ifr.ifr_hwaddr.sa_data, b.data(), 6);
  do_ioctl(fd.get(), SIOCSIFHWADDR, ifr,
           "cannot set the MAC address of " + name + " to " + mac.to_string());
}

namespace {

struct AddressRequest {
  nlmsghdr h;
  ifaddrmsg ifa;
  char attrs[128];
};

// An RTM_NEWADDR/RTM_DELADDR request for `cidr` on interface `index`.
AddressRequest address_request(std::uint16_t type, std::uint16_t flags, unsigned index,
                               const IpCidr& cidr) {
  AddressRequest req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
  req.h.nlmsg_type = type;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  req.ifa.ifa_family = cidr.addr.is_v4() ? AF_INET : AF_INET6;
  req.ifa.ifa_prefixlen = cidr.prefix_len;
  req.ifa.ifa_index = index;
  Bytes a = cidr.addr.bytes();
  add_attr(&req.h, sizeof req, IFA_LOCAL, a.data(), a.size());
  add_attr(&req.h, sizeof req, IFA_ADDRESS, a.data(), a.size());
  return req;
}

}  // namespace

bool add_link_address(const std::string& name, const IpCidr& cidr, bool nodad) {
  unsigned index = link_index(name);
  if (index == 0) throw SysError(ENODEV, "no interface " + name + " to add " + cidr.to_string());
  AddressRequest req = address_request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, cidr);
  if (cidr.addr.is_v6() && nodad) {
    std::uint32_t flags = IFA_F_NODAD;
    add_attr(&req.h, sizeof req, IFA_FLAGS, &flags, sizeof flags);
  }
  int err = netlink_request(&req, req.h.nlmsg_len);
  if (err != 0 && err != EEXIST) {
    throw_errno("cannot add address " + cidr.to_string() + " to " + name, err);
  }
  return err == 0;
}

bool delete_link_address(const std::string& name, const IpCidr& cidr) {
  unsigned index = link_index(name);
  if (index == 0) return false;
  AddressRequest req = address_request(RTM_DELADDR, 0, index, cidr);
  return netlink_request(&req, req.h.nlmsg_len) == 0;
}

bool add_route(const std::string& name, const IpCidr& dest, const IpAddr& gateway) {
  unsigned index = link_index(name);
  if (index == 0) throw SysError(ENODEV, "no interface " + name + " to route through");
  struct {
    nlmsghdr h;
    rtmsg rt;
    char attrs[128];
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.h.nlmsg_type = RTM_NEWROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  req.rt.rtm_family = dest.addr.is_v4() ? AF_INET : AF_INET6;
  req.rt.rtm_dst_len = dest.prefix_len;
  req.rt.rtm_table = RT_TABLE_MAIN;
  req.rt.rtm_protocol = RTPROT_BOOT;
  req.rt.rtm_scope = RT_SCOPE_UNIVERSE;
  req.rt.rtm_type = RTN_UNICAST;
  if (dest.prefix_len > 0) {
    Bytes d = dest.addr.bytes();
    add_attr(&req.h, sizeof req, RTA_DST, d.data(), d.size());
  }
  Bytes g = gateway.bytes();
  add_attr(&req.h, sizeof req, RTA_GATEWAY, g.data(), g.size());
  std::uint32_t oif = index;
  add_attr(&req.h, sizeof req, RTA_OIF, &oif, sizeof oif);
  int err = netlink_request(&req, req.h.nlmsg_len);
  if (err != 0 && err != EEXIST) {
    throw_errno("cannot add route " + dest.to_string() + " via " + gateway.to_string(), err);
  }
  return err == 0;
}

bool delete_link(const std::string& name) {
  unsigned index = link_index(name);
  if (index == 0) return false;
  struct {
    nlmsghdr h;
    ifinfomsg ifi;
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  req.h.nlmsg_type = RTM_DELLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = static_cast<int>(index);
  return netlink_request(&req, req.h.nlmsg_len) == 0;
}

}  // namespace ustack::tun
