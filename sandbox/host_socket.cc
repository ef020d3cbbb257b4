#include "sandbox/host_socket.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

#include "tun/sys_error.h"

namespace ustack::sandbox {

tun::UniqueFd open_host_socket(Proto proto, IpVersion family) {
  int type = (proto == Proto::kTcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  int fd = ::socket(family == IpVersion::kV6 ? AF_INET6 : AF_INET, type, 0);
  if (fd < 0) tun::throw_errno("cannot open a host socket", errno);
  if (proto == Proto::kTcp) set_nodelay(fd);
  return tun::UniqueFd(fd);
}

sockaddr_storage to_sockaddr(const Endpoint& e, socklen_t* len) {
  sockaddr_storage ss{};
  Bytes b = e.addr.bytes();
  if (e.addr.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(e.port);
    std::memcpy(&sin->sin_addr, b.data(), 4);
    *len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(e.port);
    std::memcpy(&sin6->sin6_addr, b.data(), 16);
    *len = sizeof(sockaddr_in6);
  }
  return ss;
}

int start_connect(int fd, const Endpoint& to) {
  socklen_t len = 0;
  sockaddr_storage ss = to_sockaddr(to, &len);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return 0;
  return errno;
}

int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

std::vector<IpAddr> local_addresses() {
  std::vector<IpAddr> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) tun::throw_errno("getifaddrs", errno);
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      out.push_back(
          Ipv4Addr::from_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(&sin->sin_addr), 4)));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      out.push_back(
          Ipv6Addr::from_bytes(Bytes(reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr), 16)));
    }
  }
  ::freeifaddrs(list);
  return out;
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void reset_on_close(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace ustack::sandbox
