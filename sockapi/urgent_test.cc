// Urgent data through usocket (extensions to the spec, as CPython's socket module has them):
// send(data, MSG_OOB), recv(n, MSG_OOB), SO_OOBINLINE, sockatmark() and POLLPRI, between two
// ustacks in virtual time, with the errnos Linux gives (tcp_recv_urg).
#include <gtest/gtest.h>

#include <cerrno>

#include "sockapi/test_util.h"
#include "sockapi/uselect.h"
#include "sockapi/usocket.h"

namespace usocket {
namespace {

using UrgentTest = usocket::testing::TwoNetworks;

// Settles the link so what was sent has arrived and been acknowledged.
void settle(socket& s) {
  uselect::poller p = uselect::poll();
  p.register_(s, 0);
  p.poll(200);
}

// The last byte of an urgent send is read out of band; the stream holds the rest, and a read
// stops at the mark so the reader can tell before from after.
TEST_F(UrgentTest, OutOfBandByteAndTheStreamAroundIt) {
  Conn k = connected_pair();
  k.client.send("abc");
  EXPECT_EQ(k.client.send("!", MSG_OOB), 1u);
  k.client.send("def");
  settle(k.server);
  uselect::poller p = uselect::poll();
  p.register_(k.server, POLLIN | POLLPRI);
  auto ready = p.poll(0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].second, POLLIN | POLLPRI);
  EXPECT_EQ(k.server.recv(100), "abc");
  EXPECT_TRUE(k.server.sockatmark());
  EXPECT_EQ(k.server.recv(1, MSG_OOB), "!");
  EXPECT_EQ(k.server.poll_events() & POLLPRI, 0);
  EXPECT_ERRNO(k.server.recv(1, MSG_OOB), EINVAL);  // read once (Linux TCP_URG_READ)
  EXPECT_EQ(k.server.recv(100), "def");
  EXPECT_FALSE(k.server.sockatmark());
}

// recv(MSG_OOB) never blocks and says EINVAL when there is no urgent data, even on a
// blocking socket (Linux tcp_recv_urg).
TEST_F(UrgentTest, NoUrgentDataIsEinvalAtOnce) {
  Conn k = connected_pair();
  const ustack::Instant start = now();
  EXPECT_ERRNO(k.server.recv(1, MSG_OOB), EINVAL);
  EXPECT_EQ(now(), start);
}

// SO_OOBINLINE: the byte stays in the stream, MSG_OOB is EINVAL, the mark still stops a read.
TEST_F(UrgentTest, OobInlineKeepsTheByteInTheStream) {
  Conn k = connected_pair();
  k.server.setsockopt(SOL_SOCKET, SO_OOBINLINE, 1);
  EXPECT_EQ(k.server.getsockopt(SOL_SOCKET, SO_OOBINLINE), 1);
  k.client.send("ab");
  k.client.send("!", MSG_OOB);
  settle(k.server);
  EXPECT_NE(k.server.poll_events() & POLLPRI, 0);
  EXPECT_ERRNO(k.server.recv(1, MSG_OOB), EINVAL);
  EXPECT_EQ(k.server.recv(100), "ab");
  EXPECT_TRUE(k.server.sockatmark());
  EXPECT_EQ(k.server.recv(100), "!");
}

// Flags ustack does not implement are refused rather than ignored. UDP as Linux 6.18: sending
// MSG_OOB is EOPNOTSUPP (udp_sendmsg), receiving ignores it (a plain recv: EAGAIN when
// non-blocking with nothing there), SIOCATMARK is not a UDP ioctl (ENOTTY).
TEST_F(UrgentTest, UnsupportedFlagsAndUdp) {
  Conn k = connected_pair();
  EXPECT_ERRNO(k.client.send("x", MSG_PEEK), EOPNOTSUPP);
  EXPECT_ERRNO(k.client.recv(1, MSG_PEEK), EOPNOTSUPP);
  socket u(a, AF_INET, SOCK_DGRAM);
  u.connect(kServer);
  EXPECT_ERRNO(u.send("x", MSG_OOB), EOPNOTSUPP);
  u.setblocking(false);
  EXPECT_ERRNO(u.recv(1, MSG_OOB), EAGAIN);
  EXPECT_ERRNO(u.sockatmark(), ENOTTY);
}

}  // namespace
}  // namespace usocket
