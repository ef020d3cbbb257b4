// The relay's host sockets: the options they are opened with.
#include "sandbox/host_socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

namespace ustack::sandbox {
namespace {

int nodelay(int fd) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
  return v;
}

// Nagle is the guest's (or the forwarded client's) business: the relay's TCP sockets send
// what they are given at once, both families.
TEST(HostSocket, TcpSocketsHaveNodelay) {
  tun::UniqueFd v4 = open_host_socket(Proto::kTcp, IpVersion::kV4);
  EXPECT_EQ(nodelay(v4.get()), 1);
  tun::UniqueFd v6 = open_host_socket(Proto::kTcp, IpVersion::kV6);
  EXPECT_EQ(nodelay(v6.get()), 1);
}

}  // namespace
}  // namespace ustack::sandbox
