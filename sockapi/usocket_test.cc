// usocket::socket in virtual time: two ustack networks on one in-memory link (VirtualLab), so
// every blocking call, timeout and error of the spec is exercised deterministically and a 2 s
// timeout takes no wall time. The same code against the real kernel over a TUN device is
// tools/integration/usocket_test.sh.
#include "sockapi/usocket.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>

#include "sockapi/test_util.h"
#include "stack/fake_runtime.h"
#include "stack/link_device.h"

namespace usocket {
namespace {

using ::testing::HasSubstr;
using ustack::Duration;

using UsocketTest = usocket::testing::TwoNetworks;

TEST_F(UsocketTest, TcpEchoBothWays) {
  Conn k = connected_pair();
  EXPECT_EQ(k.client.getpeername(), kServer);
  EXPECT_EQ(k.client.send("hello"), 5u);
  EXPECT_EQ(k.server.recv(100), "hello");
  k.server.sendall("world!");
  EXPECT_EQ(k.client.recv(3), "wor");
  EXPECT_EQ(k.client.recv(100), "ld!");
}

TEST_F(UsocketTest, SocketArgumentsAreCheckedLikeLinux) {
  EXPECT_ERRNO(socket(a, 12345, SOCK_STREAM), EAFNOSUPPORT);
  EXPECT_ERRNO(socket(a, AF_INET, SOCK_RAW), EINVAL);
  EXPECT_ERRNO(socket(a, AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
  socket ok(a, AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
  EXPECT_EQ(ok.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
  // Unbound: the wildcard of the socket's own family, port 0 (Linux).
  EXPECT_EQ(ok.getsockname().to_tuple_string(), "('::', 0, 0, 0)");
  EXPECT_EQ(socket(a, AF_INET6, SOCK_STREAM).getsockname().family(), AF_INET6);
}

// --- timeouts: None blocks, 0 -> EAGAIN, > 0 -> ETIMEDOUT at exactly that time -----------------

TEST_F(UsocketTest, RecvTimeoutRaisesEtimedoutAfterExactlyTheTimeout) {
  Conn k = connected_pair();
  k.client.settimeout(2.5);
  const ustack::Instant start = now();
  EXPECT_ERRNO(k.client.recv(10), ETIMEDOUT);
  EXPECT_EQ(now() - start, Duration::millis(2500));
  EXPECT_EQ(k.client.gettimeout(), 2.5);
}

TEST_F(UsocketTest, NonBlockingRecvRaisesEagainWithoutRunningTime) {
  Conn k = connected_pair();
  k.client.setblocking(false);
  const ustack::Instant start = now();
  EXPECT_ERRNO(k.client.recv(10), EAGAIN);
  EXPECT_EQ(now(), start);
  EXPECT_EQ(k.client.gettimeout(), 0.0);
  k.client.setblocking(true);
  EXPECT_EQ(k.client.gettimeout(), std::nullopt);
}

TEST_F(UsocketTest, NegativeTimeoutIsEinval) {
  socket s;
  EXPECT_ERRNO(s.settimeout(-1), EINVAL);
}

// --- connect --------------------------------------------------------------------------------

TEST_F(UsocketTest, NonBlockingConnectIsEinprogressThenPolloutAndSoErrorZero) {
  socket l(b, AF_INET, SOCK_STREAM);
  l.bind(kServer);
  l.listen();
  socket c;
  c.setblocking(false);
  EXPECT_ERRNO(c.connect(kServer), EINPROGRESS);
  EXPECT_EQ(c.poll_events() & POLLOUT, 0);
  EXPECT_ERRNO(c.connect(kServer), EALREADY);
  lab.advance(Duration::millis(20));  // one round trip
  EXPECT_NE(c.poll_events() & POLLOUT, 0);
  EXPECT_EQ(c.getsockopt(SOL_SOCKET, SO_ERROR), 0);
  EXPECT_ERRNO(c.connect(kServer), EISCONN);
}

TEST_F(UsocketTest, ConnectToAClosedPortIsEconnrefused) {
  socket c;
  EXPECT_ERRNO(c.connect(sockaddr("198.18.0.1", 7001)), ECONNREFUSED);
}

TEST_F(UsocketTest, NonBlockingConnectRefusedShowsInSoError) {
  socket c;
  c.setblocking(false);
  EXPECT_ERRNO(c.connect(sockaddr("198.18.0.1", 7001)), EINPROGRESS);
  lab.advance(Duration::millis(20));
  EXPECT_NE(c.poll_events() & POLLERR, 0);
  EXPECT_EQ(c.getsockopt(SOL_SOCKET, SO_ERROR), ECONNREFUSED);
  EXPECT_EQ(c.getsockopt(SOL_SOCKET, SO_ERROR), 0);  // taken
}

TEST_F(UsocketTest, ConnectWithATimeoutToASilentHostIsEtimedout) {
  socket c;
  c.settimeout(1.0);
  const ustack::Instant start = now();
  EXPECT_ERRNO(c.connect(sockaddr("198.18.0.99", 80)), ETIMEDOUT);
  EXPECT_EQ(now() - start, Duration::seconds(1));
}

TEST_F(UsocketTest, WrongFamilyIsEafnosupport) {
  socket c;
  EXPECT_ERRNO(c.connect(sockaddr("fd00:1::1", 80)), EAFNOSUPPORT);
  EXPECT_ERRNO(c.bind(sockaddr("fd00:1::2", 80)), EAFNOSUPPORT);
}

// --- bind / listen / accept -----------------------------------------------------------------

TEST_F(UsocketTest, BindConflictIsEaddrinuseAtBindTime) {
  socket one(b, AF_INET, SOCK_STREAM);
  one.bind(kServer);
  socket two(b, AF_INET, SOCK_STREAM);
  EXPECT_ERRNO(two.bind(kServer), EADDRINUSE);
  EXPECT_ERRNO(one.bind(sockaddr("198.18.0.1", 7001)), EINVAL);  // bound twice
}

TEST_F(UsocketTest, BindPortZeroPicksAnEphemeralPort) {
  socket s;
  s.bind(sockaddr("0.0.0.0", 0));
  EXPECT_GE(s.getsockname().port(), 32768);
}

TEST_F(UsocketTest, AcceptOnASocketThatDoesNotListenIsEinval) {
  socket s;
  EXPECT_ERRNO(s.accept(), EINVAL);
}

TEST_F(UsocketTest, NonBlockingAcceptWithNothingPendingIsEagain) {
  socket l(b, AF_INET, SOCK_STREAM);
  l.bind(kServer);
  l.listen();
  l.setblocking(false);
  EXPECT_ERRNO(l.accept(), EAGAIN);
  EXPECT_EQ(l.poll_events() & POLLIN, 0);
}

TEST_F(UsocketTest, AcceptedSocketInheritsTheListenersTimeout) {
  socket l(b, AF_INET, SOCK_STREAM);
  l.bind(kServer);
  l.listen();
  l.settimeout(3.0);
  socket c;
  c.connect(kServer);
  auto [s, peer] = l.accept();
  EXPECT_EQ(s.gettimeout(), 3.0);
}

TEST_F(UsocketTest, ListenOnUdpIsEopnotsupp) {
  socket u(a, AF_INET, SOCK_DGRAM);
  EXPECT_ERRNO(u.listen(), EOPNOTSUPP);
  EXPECT_ERRNO(u.accept(), EOPNOTSUPP);
}

// --- recv/send errors -----------------------------------------------------------------------

TEST_F(UsocketTest, RecvIsEmptyAtEndOfStream) {
  Conn k = connected_pair();
  k.server.send("bye");
  k.server.close();
  EXPECT_EQ(k.client.recv(10), "bye");
  EXPECT_EQ(k.client.recv(10), "");
  EXPECT_EQ(k.client.recv(10), "");
}

TEST_F(UsocketTest, FirstRecvAfterThePeersResetIsEconnresetThenEmpty) {
  Conn k = connected_pair();
  k.client.send("unread");
  lab.advance(Duration::millis(20));
  k.server.close();  // unread data: RST (RFC 2525 2.17, Linux)
  EXPECT_ERRNO(k.client.recv(10), ECONNRESET);
  EXPECT_EQ(k.client.recv(10), "");
  EXPECT_ERRNO(k.client.send("x"), EPIPE);
}

// Linux tcp_sendmsg_locked -> sk_stream_error: the first send() after the peer's reset
// reports ECONNRESET, later ones EPIPE; recv() then sees the end of the stream.
TEST_F(UsocketTest, FirstSendAfterThePeersResetIsEconnresetThenEpipe) {
  Conn k = connected_pair();
  k.client.send("unread");
  lab.advance(Duration::millis(20));
  k.server.close();  // unread data: RST (RFC 2525 2.17, Linux)
  lab.advance(Duration::millis(20));
  EXPECT_ERRNO(k.client.send("x"), ECONNRESET);
  EXPECT_ERRNO(k.client.send("x"), EPIPE);
  EXPECT_EQ(k.client.recv(10), "");
}

// Linux sock_error: SO_ERROR takes the reset (and POLLERR with it), so send() is EPIPE.
TEST_F(UsocketTest, ResetTakenBySoErrorLeavesSendWithEpipe) {
  Conn k = connected_pair();
  k.client.send("unread");
  lab.advance(Duration::millis(20));
  k.server.close();
  lab.advance(Duration::millis(20));
  EXPECT_TRUE(k.client.poll_events() & POLLERR);
  EXPECT_EQ(k.client.getsockopt(SOL_SOCKET, SO_ERROR), ECONNRESET);
  EXPECT_FALSE(k.client.poll_events() & POLLERR);
  EXPECT_ERRNO(k.client.send("x"), EPIPE);
}

// Linux tcp_reset records EPIPE for a reset in CLOSE-WAIT: recv() still reads the end of the
// stream, every send() is EPIPE.
TEST_F(UsocketTest, SendAfterAResetInCloseWaitIsEpipe) {
  Conn k = connected_pair();
  k.server.shutdown(SHUT_WR);  // the client reaches CLOSE-WAIT
  lab.advance(Duration::millis(20));
  EXPECT_EQ(k.client.recv(10), "");
  k.client.send("unread");
  lab.advance(Duration::millis(20));
  k.server.close();  // unread data: RST, which reaches the client in CLOSE-WAIT
  lab.advance(Duration::millis(20));
  EXPECT_TRUE(k.client.poll_events() & POLLERR);
  EXPECT_ERRNO(k.client.send("z"), EPIPE);
  EXPECT_ERRNO(k.client.send("z"), EPIPE);
  EXPECT_EQ(k.client.recv(10), "");
}

TEST_F(UsocketTest, CallsOnAClosedSocketAreEbadf) {
  Conn k = connected_pair();
  k.client.close();
  k.client.close();  // idempotent
  EXPECT_ERRNO(k.client.recv(10), EBADF);
  EXPECT_ERRNO(k.client.send("x"), EBADF);
  EXPECT_ERRNO(k.client.getsockname(), EBADF);
  EXPECT_EQ(k.client.poll_events(), POLLNVAL);
}

TEST_F(UsocketTest, RecvOnAListenerIsEnotconn) {
  socket l(b, AF_INET, SOCK_STREAM);
  l.bind(kServer);
  l.listen();
  EXPECT_ERRNO(l.recv(10), ENOTCONN);
}

TEST_F(UsocketTest, SendOnAnUnconnectedTcpSocketIsEpipe) {
  socket s;
  EXPECT_ERRNO(s.send("x"), EPIPE);
  EXPECT_ERRNO(s.getpeername(), ENOTCONN);
  EXPECT_ERRNO(s.shutdown(SHUT_WR), ENOTCONN);
}

// --- the stream interface -------------------------------------------------------------------

TEST_F(UsocketTest, MakefileIsTheSocketItselfAndClosingItClosesTheSocket) {
  Conn k = connected_pair();
  socket& f = k.client.makefile("rwb");
  EXPECT_EQ(&f, &k.client);
  f.close();
  EXPECT_TRUE(k.client.closed());
}

TEST_F(UsocketTest, BlockingReadOfSizeNeverReadsShort) {
  Conn k = connected_pair();
  k.server.send("abc");
  EXPECT_EQ(k.client.read(3), "abc");
  // 6 bytes asked, 2 now and 4 later: one call returns all 6.
  k.server.send("de");
  lab.advance(Duration::millis(20));
  k.server.send("fghi");
  EXPECT_EQ(k.client.read(6), "defghi");
}

TEST_F(UsocketTest, ReadWithoutSizeReadsToEndOfStream) {
  Conn k = connected_pair();
  std::string big(100000, 'x');
  k.server.sendall(big);
  k.server.close();
  EXPECT_EQ(k.client.read(), big);
}

TEST_F(UsocketTest, NonBlockingReadReturnsNothingThenWhatCame) {
  Conn k = connected_pair();
  k.client.setblocking(false);
  EXPECT_EQ(k.client.read(10), std::nullopt);
  k.server.send("part");
  lab.advance(Duration::millis(20));
  EXPECT_EQ(k.client.read(10), "part");
}

TEST_F(UsocketTest, ReadintoFillsTheBufferOrUpToNbytes) {
  Conn k = connected_pair();
  k.server.send("0123456789");
  k.server.close();
  char buf[8];
  EXPECT_EQ(k.client.readinto(std::span<char>(buf), 4), 4u);
  EXPECT_EQ(std::string(buf, 4), "0123");
  // Asks for 8; only 6 come before the end of the stream.
  EXPECT_EQ(k.client.readinto(std::span<char>(buf)), 6u);
  EXPECT_EQ(std::string(buf, 6), "456789");
}

TEST_F(UsocketTest, ReadlineReturnsLinesWithTheirNewline) {
  Conn k = connected_pair();
  k.server.send("one\ntwo\nthr");
  k.server.send("ee");
  k.server.close();
  EXPECT_EQ(k.client.readline(), "one\n");
  EXPECT_EQ(k.client.readline(), "two\n");
  EXPECT_EQ(k.client.readline(), "three");  // what came before the end
  EXPECT_EQ(k.client.readline(), "");
}

TEST_F(UsocketTest, BlockingWriteNeverWritesShort) {
  // One thread: nobody reads on b while a writes, so b's receive buffer must hold it all
  // (accepted sockets inherit the listener's SO_RCVBUF). a's send buffer is far smaller, so
  // write() blocks several times on the way.
  socket l(b, AF_INET, SOCK_STREAM);
  l.setsockopt(SOL_SOCKET, SO_RCVBUF, 1 << 21);
  l.bind(kServer);
  l.listen();
  Conn k{std::move(l), socket(), socket()};
  k.client.connect(kServer);
  k.server = k.listener.accept().first;
  std::string big(1 << 20, 'y');
  ASSERT_LT(k.client.getsockopt(SOL_SOCKET, SO_SNDBUF), static_cast<int>(big.size()) / 2);
  EXPECT_EQ(k.client.write(big), big.size());
  k.client.close();
  EXPECT_EQ(k.server.read()->size(), big.size());
}

TEST_F(UsocketTest, NonBlockingWriteReturnsTheCountOrNothing) {
  Conn k = connected_pair();
  k.client.setblocking(false);
  std::string big(1 << 20, 'y');
  std::optional<std::size_t> n = k.client.write(big);
  ASSERT_TRUE(n.has_value());
  EXPECT_LT(*n, big.size());
  EXPECT_EQ(k.client.write(big), std::nullopt);  // the buffer is full
  EXPECT_EQ(k.client.poll_events() & POLLOUT, 0);
}

// --- UDP ------------------------------------------------------------------------------------

TEST_F(UsocketTest, UdpSendtoRecvfrom) {
  socket server(b, AF_INET, SOCK_DGRAM);
  server.bind(sockaddr("0.0.0.0", 5300));
  socket client(a, AF_INET, SOCK_DGRAM);
  EXPECT_EQ(client.sendto("ping", sockaddr("198.18.0.1", 5300)), 4u);
  auto [data, from] = server.recvfrom(100);
  EXPECT_EQ(data, "ping");
  EXPECT_EQ(from.port(), client.getsockname().port());
  EXPECT_EQ(from.host(), "198.18.0.2");
  server.sendto("pong", from);
  EXPECT_EQ(client.recv(100), "pong");
}

TEST_F(UsocketTest, UdpDatagramLongerThanBufsizeIsTruncated) {
  socket server(b, AF_INET, SOCK_DGRAM);
  server.bind(sockaddr("0.0.0.0", 5300));
  socket client(a, AF_INET, SOCK_DGRAM);
  client.connect(sockaddr("198.18.0.1", 5300));
  client.send("0123456789");
  client.send("next");
  EXPECT_EQ(server.recv(4), "0123");  // the rest of that datagram is gone, like Linux
  EXPECT_EQ(server.recv(100), "next");
}

TEST_F(UsocketTest, UdpErrorsAreLinuxs) {
  socket u(a, AF_INET, SOCK_DGRAM);
  u.bind(sockaddr("0.0.0.0", 5301));
  EXPECT_ERRNO(u.send("x"), EDESTADDRREQ);
  EXPECT_ERRNO(u.bind(sockaddr("0.0.0.0", 5302)), EINVAL);
  socket v(a, AF_INET, SOCK_DGRAM);
  EXPECT_ERRNO(v.bind(sockaddr("0.0.0.0", 5301)), EADDRINUSE);
  EXPECT_ERRNO(v.sendto("x", sockaddr("198.18.0.255", 9)), EACCES);  // no SO_BROADCAST
  u.settimeout(0.5);
  EXPECT_ERRNO(u.recv(10), ETIMEDOUT);
}

TEST_F(UsocketTest, UdpConnectedToAClosedPortGetsEconnrefused) {
  socket u(a, AF_INET, SOCK_DGRAM);
  u.connect(sockaddr("198.18.0.1", 5399));
  u.send("anyone?");
  lab.advance(Duration::millis(20));
  EXPECT_ERRNO(u.recv(10), ECONNREFUSED);
}

// --- options --------------------------------------------------------------------------------

TEST_F(UsocketTest, OptionsRoundTripAndUnknownIsEnoprotoopt) {
  socket s;
  s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
  s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  EXPECT_EQ(s.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
  s.setsockopt(SOL_SOCKET, SO_RCVBUF, 65536);
  EXPECT_EQ(s.getsockopt(SOL_SOCKET, SO_RCVBUF), 131072);  // doubled, like Linux
  EXPECT_ERRNO(s.setsockopt(SOL_SOCKET, 9999, 1), ENOPROTOOPT);
}

// Linux do_tcp_getsockopt: before connecting TCP_MAXSEG reads TCP_MSS_DEFAULT (536), then what
// was set.
TEST_F(UsocketTest, MaxsegReadsTheDefaultThenTheValueSet) {
  socket s;
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_MAXSEG), 536);
  s.setsockopt(IPPROTO_TCP, TCP_MAXSEG, 1000);
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_MAXSEG), 1000);
}

// Linux do_tcp_setsockopt: TCP_MAXSEG below TCP_MIN_MSS (88) or above MAX_TCP_WINDOW (32767)
// is EINVAL.
TEST_F(UsocketTest, MaxsegOutOfRangeIsEinval) {
  socket s;
  EXPECT_ERRNO(s.setsockopt(IPPROTO_TCP, TCP_MAXSEG, 87), EINVAL);
  EXPECT_ERRNO(s.setsockopt(IPPROTO_TCP, TCP_MAXSEG, 32768), EINVAL);
  EXPECT_ERRNO(s.setsockopt(IPPROTO_TCP, TCP_MAXSEG, -1), EINVAL);
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_MAXSEG), 536);
}

// Linux: a listener's TCP_MAXSEG caps the MSS of the connections it accepts, on both ends
// (its SYN-ACK announces it); getsockopt on a connection reads the MSS it sends with (the
// 12-octet timestamp option taken off).
TEST_F(UsocketTest, ListenersMaxsegCapsTheMssOfBothEnds) {
  socket l(b, AF_INET, SOCK_STREAM);
  l.setsockopt(IPPROTO_TCP, TCP_MAXSEG, 536);
  l.bind(kServer);
  l.listen();
  socket c(a);
  c.connect(kServer);
  auto [s, peer] = l.accept();
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_MAXSEG), 536 - 12);
  EXPECT_EQ(c.getsockopt(IPPROTO_TCP, TCP_MAXSEG), 536 - 12);
  EXPECT_EQ(l.getsockopt(IPPROTO_TCP, TCP_MAXSEG), 536);
}

// Linux: TCP_CONGESTION reads "cubic" (the default) NUL-padded to the buffer given (at most
// TCP_CA_NAME_MAX = 16 bytes) and takes "reno" or "cubic"; any other name is ENOENT, and the
// algorithm stays.
TEST_F(UsocketTest, TcpCongestionReadsCubicAndTakesRenoOrCubic) {
  socket s;
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 16),
            std::string("cubic\0\0\0\0\0\0\0\0\0\0\0", 16));
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 3), "cub");
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 100).size(), 16u);
  s.setsockopt(IPPROTO_TCP, TCP_CONGESTION, "reno");
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 4), "reno");
  s.setsockopt(IPPROTO_TCP, TCP_CONGESTION, std::string_view("cubic\0", 6));  // C string
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 5), "cubic");
  EXPECT_ERRNO(s.setsockopt(IPPROTO_TCP, TCP_CONGESTION, "bbr"), ENOENT);
  EXPECT_ERRNO(s.setsockopt(IPPROTO_TCP, TCP_CONGESTION, ""), ENOENT);
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 5), "cubic");
  // Python's getsockopt(level, opt, buflen) of an integer option: its bytes.
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_NODELAY, 4), std::string(4, '\0'));
  socket u(AF_INET, SOCK_DGRAM);
  EXPECT_ERRNO(u.setsockopt(IPPROTO_TCP, TCP_CONGESTION, "reno"), ENOPROTOOPT);
  EXPECT_ERRNO(u.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 16), ENOPROTOOPT);
}

// The algorithm set on a listener is the accepted connection's; set on a connected socket it
// takes over the connection (Linux tcp_set_congestion_control), and the data still flows.
TEST_F(UsocketTest, TcpCongestionPerSocketOnListenerAndConnection) {
  socket l(b, AF_INET, SOCK_STREAM);
  l.setsockopt(IPPROTO_TCP, TCP_CONGESTION, "reno");
  l.bind(kServer);
  l.listen();
  socket c(a);
  c.connect(kServer);
  auto [s, peer] = l.accept();
  EXPECT_EQ(s.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 4), "reno");
  EXPECT_EQ(c.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 5), "cubic");
  c.setsockopt(IPPROTO_TCP, TCP_CONGESTION, "reno");
  EXPECT_EQ(c.getsockopt(IPPROTO_TCP, TCP_CONGESTION, 4), "reno");
  c.sendall(std::string(100000, 'z'));
  std::string got;
  while (got.size() < 100000) got += s.recv(65536);
  EXPECT_EQ(got, std::string(100000, 'z'));
}

TEST_F(UsocketTest, SocketsUseTheDefaultNetworkOrSayThereIsNone) {
  socket s;
  EXPECT_TRUE(s.network() == a);
}

TEST(UsocketNetwork, InMemoryRejectsDeviceOptions) {
  VirtualLab lab;
  try {
    Network::in_memory(lab, {"--tun", "x0", "--addr", "198.18.0.2/24"});
    ADD_FAILURE() << "no error";
  } catch (const OSError& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
    EXPECT_THAT(e.what(), HasSubstr("--addr"));
  }
  try {
    Network::in_memory(lab, {"--addr", "300.1.1.1/24"});
    ADD_FAILURE() << "no error";
  } catch (const OSError& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
    EXPECT_THAT(e.what(), HasSubstr("300.1.1.1"));
  }
}

}  // namespace
}  // namespace usocket
