// TCP sockets that exist before they listen or connect (socket(), setsockopt, bind(), then
// listen() or connect(), with Linux's rules), and readiness pushed into take_ready().
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "stack/tcp/testbed.h"

namespace ustack::testing {
namespace {

using namespace ustack::literals;
using namespace tcp_flags;

const IpAddr kPeer = Ipv4Addr({198, 18, 0, 1});
const IpAddr kLocal = Ipv4Addr({198, 18, 0, 2});
const IpAddr kAny4 = Ipv4Addr();

// A segment from the peer with any ports (the testbed's inject() uses its fixed ones).
void deliver(TcpTestbed& t, std::uint16_t src_port, std::uint16_t dst_port, std::uint8_t flags,
             std::uint32_t seq, std::uint32_t ack, const std::string& data = "") {
  TcpRepr r;
  r.src_port = src_port;
  r.dst_port = dst_port;
  r.flags = flags;
  r.seq = SeqNum(seq);
  r.ack = SeqNum(ack);
  r.window = 64240;
  r.payload = as_bytes(data);
  ByteVec bytes(r.buffer_len());
  r.emit(bytes, kPeer, t.ip().local, ChecksumMode::kCompute);
  t.inject_bytes(bytes);
}

std::vector<SocketHandle> take_ready(TcpLayer& layer) {
  std::vector<SocketHandle> out;
  layer.take_ready(out);
  return out;
}

// socket(), bind(), listen(): a SYN gets a SYN-ACK, the ACK makes a connection to accept().
TEST(TcpSocketLifecycle, OpenBindListenAcceptsSyn) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  EXPECT_EQ(*l.state(h), TcpState::kClosed);
  EXPECT_EQ(l.tuple(h)->local_port, 0);
  EXPECT_FALSE(l.error(h).has_value());
  TcpReadiness r = l.readiness(h);  // Linux tcp_poll in TCP_CLOSE: EPOLLOUT | EPOLLHUP
  EXPECT_TRUE(r.closed);
  EXPECT_TRUE(r.writable);
  EXPECT_FALSE(r.connected);
  EXPECT_EQ(l.bind(h, kLocal, 80), std::nullopt);
  EXPECT_EQ(*l.state(h), TcpState::kClosed);
  EXPECT_EQ(l.tuple(h)->local, kLocal);
  EXPECT_EQ(l.tuple(h)->local_port, 80);
  // Bound but not listening: a SYN finds no socket (RFC 9293 §3.10.7.1).
  t.inject(seg().syn().seq(1000));
  t.expect(seg().rst().ack(1001));
  EXPECT_EQ(l.listen(h, 16), std::nullopt);
  EXPECT_EQ(*l.state(h), TcpState::kListen);
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001).seq(0));
  t.inject(seg().ack(1).seq(1001));
  auto c = l.accept(h);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*l.state(*c), TcpState::kEstablished);
  EXPECT_EQ(l.tuple(*c)->local_port, 80);
}

// Options set on the socket before listen() are what accepted connections get.
TEST(TcpSocketLifecycle, OptionsBeforeListenAndGetsockopt) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  TcpSocketOptions o = *l.options(h);
  EXPECT_EQ(o.nodelay, false);
  EXPECT_EQ(o.recv_buffer, TcpConfig{}.recv_buffer);
  EXPECT_FALSE(o.reuse_addr);
  TcpSocketOptions set;
  set.nodelay = true;
  set.recv_buffer = 4096;
  set.reuse_addr = true;
  EXPECT_EQ(l.set_options(h, set), std::nullopt);
  o = *l.options(h);
  EXPECT_EQ(o.nodelay, true);
  EXPECT_EQ(o.recv_buffer, 4096u);
  EXPECT_TRUE(o.reuse_addr);
  EXPECT_EQ(o.keepalive, false);  // fields not set keep their value
  TcpSocketOptions bad;
  bad.keepalive_count = 0;
  EXPECT_EQ(l.set_options(h, bad), TcpError::kInvalid);
  EXPECT_EQ(l.set_options(SocketHandle{}, set), TcpError::kBadHandle);

  ASSERT_EQ(l.bind(h, kAny4, 80), std::nullopt);
  ASSERT_EQ(l.listen(h, 4), std::nullopt);
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().ack(1).seq(1001));
  auto c = l.accept(h);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(l.options(*c)->nodelay, true);
  EXPECT_EQ(l.options(*c)->recv_buffer, 4096u);
}

// Linux inet_csk_bind_conflict: EADDRINUSE at bind() time for an overlapping address.
TEST(TcpSocketLifecycle, BindAddressInUse) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle a = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(a, kAny4, 5000), std::nullopt);
  SocketHandle b = l.open(IpVersion::kV4);
  EXPECT_EQ(l.bind(b, kAny4, 5000), TcpError::kAddressInUse);
  EXPECT_EQ(l.bind(b, kLocal, 5000), TcpError::kAddressInUse);  // any overlaps every address
  EXPECT_EQ(l.tuple(b)->local_port, 0);                         // a failed bind leaves it unbound
  EXPECT_EQ(l.bind(b, kLocal, 5001), std::nullopt);

  // Two specific, different addresses do not overlap.
  SocketHandle c = l.open(IpVersion::kV4);
  SocketHandle d = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(c, kLocal, 5002), std::nullopt);
  EXPECT_EQ(l.bind(d, Ipv4Addr({198, 18, 0, 3}), 5002), std::nullopt);
}

// SO_REUSEADDR as Linux: both sides set it and the holder is not listening.
TEST(TcpSocketLifecycle, BindReuseAddr) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  TcpSocketOptions reuse;
  reuse.reuse_addr = true;
  SocketHandle a = l.open(IpVersion::kV4, reuse);
  SocketHandle b = l.open(IpVersion::kV4, reuse);
  SocketHandle plain = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(a, kAny4, 6000), std::nullopt);
  EXPECT_EQ(l.bind(b, kAny4, 6000), std::nullopt);                 // both set it
  EXPECT_EQ(l.bind(plain, kAny4, 6000), TcpError::kAddressInUse);  // only the holders set it
  SocketHandle only_new = l.open(IpVersion::kV4, reuse);
  SocketHandle holder = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(holder, kAny4, 6001), std::nullopt);
  EXPECT_EQ(l.bind(only_new, kAny4, 6001), TcpError::kAddressInUse);  // the holder did not

  // One of two SO_REUSEADDR sockets may listen; then the listener blocks the other and any
  // new SO_REUSEADDR bind.
  EXPECT_EQ(l.listen(a, 5), std::nullopt);
  EXPECT_EQ(l.listen(b, 5), TcpError::kAddressInUse);
  EXPECT_EQ(*l.state(b), TcpState::kClosed);
  SocketHandle c = l.open(IpVersion::kV4, reuse);
  EXPECT_EQ(l.bind(c, kAny4, 6000), TcpError::kAddressInUse);
  EXPECT_EQ(l.bind(c, kLocal, 6000), TcpError::kAddressInUse);
  // The old one-call listen() sees bound sockets too.
  EXPECT_EQ(l.listen(kAny4, 6001, 5).error(), TcpError::kAddressInUse);
}

// Linux bind(port 0): an ephemeral port chosen at bind time, shown by getsockname().
TEST(TcpSocketLifecycle, BindZeroPicksEphemeralPort) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle a = l.open(IpVersion::kV4);
  SocketHandle b = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(a, kAny4, 0), std::nullopt);
  ASSERT_EQ(l.bind(b, kLocal, 0), std::nullopt);
  std::uint16_t pa = l.tuple(a)->local_port, pb = l.tuple(b)->local_port;
  TcpLayerConfig cfg = TcpTestbed::default_config();
  for (std::uint16_t p : {pa, pb}) {
    EXPECT_GE(p, cfg.ephemeral_low);
    EXPECT_LE(p, cfg.ephemeral_high);
  }
  EXPECT_NE(pa, pb);
  EXPECT_EQ(l.tuple(b)->local, kLocal);
  EXPECT_TRUE(l.tuple(a)->local.is_unspecified());
  SocketHandle c = l.open(IpVersion::kV4);
  EXPECT_EQ(l.bind(c, kAny4, pa), TcpError::kAddressInUse);  // really held
}

// Linux inet_bind: EINVAL when bound already (or listening/connected), or another family.
TEST(TcpSocketLifecycle, BindInvalidCases) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle a = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(a, kAny4, 7000), std::nullopt);
  EXPECT_EQ(l.bind(a, kAny4, 7001), TcpError::kInvalid);
  EXPECT_EQ(l.bind(a, kAny4, 7000), TcpError::kInvalid);
  SocketHandle v4 = l.open(IpVersion::kV4);
  EXPECT_EQ(l.bind(v4, IpAddr(Ipv6Addr::any()), 7002), TcpError::kInvalid);
  SocketHandle v6 = l.open(IpVersion::kV6);
  EXPECT_EQ(l.bind(v6, kAny4, 7002), TcpError::kInvalid);
  EXPECT_EQ(l.bind(v6, IpAddr(Ipv6Addr::any()), 7002), std::nullopt);
  EXPECT_TRUE(l.tuple(v6)->local.is_v6());
  SocketHandle lst = l.open(IpVersion::kV4);
  ASSERT_EQ(l.listen(lst, 1), std::nullopt);
  EXPECT_EQ(l.bind(lst, kAny4, 7003), TcpError::kInvalid);
  SocketHandle conn = l.open(IpVersion::kV4);
  ASSERT_EQ(l.connect(t.instant(), t.ip(), conn, kPeer, 80), std::nullopt);
  EXPECT_EQ(l.bind(conn, kAny4, 7004), TcpError::kInvalid);
  EXPECT_EQ(l.bind(SocketHandle{}, kAny4, 7005), TcpError::kBadHandle);
}

// Linux inet_autobind: listen() on an unbound socket takes an ephemeral port; listen() on a
// listener changes the backlog; backlog 0 means 1.
TEST(TcpSocketLifecycle, ListenWithoutBindAutobinds) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.listen(h, 0), std::nullopt);
  EXPECT_EQ(*l.state(h), TcpState::kListen);
  TcpTuple tu = *l.tuple(h);
  EXPECT_TRUE(tu.local.is_unspecified());
  EXPECT_GE(tu.local_port, TcpTestbed::default_config().ephemeral_low);
  EXPECT_LE(tu.local_port, TcpTestbed::default_config().ephemeral_high);
  EXPECT_EQ(l.listen(h, 8), std::nullopt);  // backlog update
  EXPECT_EQ(*l.state(h), TcpState::kListen);
  bool seen = false;
  l.for_each_socket([&](SocketHandle s, bool listener, const TcpTuple& st, TcpState state) {
    if (s == h) {
      seen = listener && st.local_port == tu.local_port && state == TcpState::kListen;
    }
  });
  EXPECT_TRUE(seen);
}

// backlog 0 is clamped to 1 (Linux): one embryonic connection, the next SYN is dropped
// (without SYN cookies; with them it would get a cookie SYN-ACK, see syn_flood_test).
TEST(TcpSocketLifecycle, ListenBacklogZeroMeansOne) {
  TcpLayerConfig cfg = TcpTestbed::default_config();
  cfg.syn_cookies = SynCookieMode::kNever;
  TcpTestbed t(cfg);
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(h, kLocal, 80), std::nullopt);
  ASSERT_EQ(l.listen(h, 0), std::nullopt);
  deliver(t, 40000, 80, kSyn, 1000, 0);
  t.expect(seg().syn().ack(1001));
  deliver(t, 40001, 80, kSyn, 2000, 0);
  t.expect_nothing();
  EXPECT_EQ(l.counters().drops_listen_overflow, 1u);
  // The old one-call listen() keeps refusing backlog 0 and port 0.
  EXPECT_EQ(l.listen(kAny4, 81, 0).error(), TcpError::kInvalid);
  EXPECT_EQ(l.listen(kAny4, 0, 5).error(), TcpError::kInvalid);
}

// connect() from a bound socket uses its port (and the route's source for an any bind).
TEST(TcpSocketLifecycle, ConnectFromBoundSocketUsesItsPort) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(h, kAny4, 5555), std::nullopt);
  ASSERT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, 8080), std::nullopt);
  t.at(t.now());
  auto syn = t.pop();
  ASSERT_TRUE(syn.has_value());
  EXPECT_EQ(syn->repr.flags, kSyn);
  EXPECT_EQ(syn->repr.src_port, 5555);
  EXPECT_EQ(syn->repr.dst_port, 8080);
  TcpTuple tu = *l.tuple(h);
  EXPECT_EQ(tu.local, kLocal);
  EXPECT_EQ(tu.local_port, 5555);
  EXPECT_EQ(tu.remote, kPeer);
  EXPECT_EQ(*l.state(h), TcpState::kSynSent);
  // The port is still held: nobody else may bind it.
  SocketHandle other = l.open(IpVersion::kV4);
  EXPECT_EQ(l.bind(other, kAny4, 5555), TcpError::kAddressInUse);
}

// connect() without bind(): the route's source and an ephemeral port.
TEST(TcpSocketLifecycle, ConnectUnboundPicksEphemeralPort) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, 8080), std::nullopt);
  TcpTuple tu = *l.tuple(h);
  EXPECT_EQ(tu.local, kLocal);
  EXPECT_GE(tu.local_port, TcpTestbed::default_config().ephemeral_low);
  SocketHandle v6 = l.open(IpVersion::kV6);
  EXPECT_EQ(l.connect(t.instant(), t.ip(), v6, kPeer, 8080), TcpError::kInvalid);  // family
  SocketHandle b = l.open(IpVersion::kV4);
  EXPECT_EQ(l.connect(t.instant(), t.ip(), b, Ipv4Addr::broadcast(), 80), TcpError::kInvalid);
  EXPECT_EQ(l.connect(t.instant(), t.ip(), b, kPeer, 0), TcpError::kInvalid);
  t.ip().reachable = false;
  EXPECT_EQ(l.connect(t.instant(), t.ip(), b, kPeer, 80), TcpError::kNoRoute);
  EXPECT_EQ(*l.state(b), TcpState::kClosed);
}

// Linux __inet_stream_connect: EALREADY while connecting, EISCONN once connected; EINVAL on a
// listener.
TEST(TcpSocketLifecycle, ConnectStateErrors) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(h, kLocal, 80), std::nullopt);  // the testbed's port: inject() reaches it
  ASSERT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, TcpTestbed::kPeerPort), std::nullopt);
  t.expect(seg().syn().seq(0));
  EXPECT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, TcpTestbed::kPeerPort), TcpError::kInProgress);
  t.at(5_ms).inject(seg().syn().ack(1).seq(5000));
  t.expect(seg().ack(5001).seq(1));
  EXPECT_EQ(*l.state(h), TcpState::kEstablished);
  EXPECT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, TcpTestbed::kPeerPort),
            TcpError::kIsConnected);
  EXPECT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, 9999), TcpError::kIsConnected);
  EXPECT_EQ(l.listen(h, 5), TcpError::kInvalid);
  EXPECT_STREQ(to_string(TcpError::kIsConnected), "is_connected");

  SocketHandle lst = l.open(IpVersion::kV4);
  ASSERT_EQ(l.listen(lst, 5), std::nullopt);
  EXPECT_EQ(l.connect(t.instant(), t.ip(), lst, kPeer, 80), TcpError::kInvalid);
  EXPECT_EQ(l.connect(t.instant(), t.ip(), SocketHandle{}, kPeer, 80), TcpError::kBadHandle);
}

// Linux: a refused connect leaves the socket in TCP_CLOSE with SO_ERROR; connect() again
// starts a new attempt from the port bind() named.
TEST(TcpSocketLifecycle, ConnectAgainAfterRefused) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(h, kLocal, 80), std::nullopt);
  ASSERT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, TcpTestbed::kPeerPort), std::nullopt);
  t.expect(seg().syn().seq(0));
  t.inject(seg().rst().ack(1).seq(0));
  EXPECT_EQ(*l.state(h), TcpState::kClosed);
  EXPECT_EQ(l.error(h), TcpError::kRefused);
  // The explicitly bound port stays held after the failure (SOCK_BINDPORT_LOCK).
  SocketHandle other = l.open(IpVersion::kV4);
  EXPECT_EQ(l.bind(other, kAny4, 80), TcpError::kAddressInUse);
  std::vector<SocketHandle> ready;
  l.take_ready(ready);
  EXPECT_NE(std::find(ready.begin(), ready.end(), h), ready.end());  // the failure is listed

  t.at(1_s);
  ASSERT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, TcpTestbed::kPeerPort), std::nullopt);
  EXPECT_FALSE(l.error(h).has_value());
  EXPECT_EQ(*l.state(h), TcpState::kSynSent);
  t.at(t.now());
  auto syn = t.pop();
  ASSERT_TRUE(syn.has_value());
  EXPECT_EQ(syn->repr.flags, kSyn);
  EXPECT_EQ(syn->repr.src_port, 80);
}

// An automatically chosen port is given back when the connection fails; connect() again
// works (a new port may be chosen).
TEST(TcpSocketLifecycle, ConnectAgainAfterRefusedUnbound) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, 8080), std::nullopt);
  t.at(t.now());
  auto syn = t.pop();
  ASSERT_TRUE(syn.has_value());
  deliver(t, 8080, syn->repr.src_port, kRst | kAck, 0, syn->repr.seq.raw() + 1);
  EXPECT_EQ(l.error(h), TcpError::kRefused);
  ASSERT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, 8080), std::nullopt);
  EXPECT_EQ(*l.state(h), TcpState::kSynSent);
}

// close() of an open or bound-only socket frees it and its port at once.
TEST(TcpSocketLifecycle, CloseBoundSocketFreesPort) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle a = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(a, kAny4, 7100), std::nullopt);
  EXPECT_EQ(l.socket_count(), 1u);
  EXPECT_EQ(l.close(a), std::nullopt);
  EXPECT_EQ(l.socket_count(), 0u);
  EXPECT_EQ(l.state(a).error(), TcpError::kBadHandle);
  SocketHandle b = l.open(IpVersion::kV4);
  EXPECT_EQ(l.bind(b, kAny4, 7100), std::nullopt);
  EXPECT_EQ(l.abort(b), std::nullopt);
  SocketHandle c = l.open(IpVersion::kV4);
  EXPECT_EQ(l.bind(c, kAny4, 7100), std::nullopt);
  SocketHandle d = l.open(IpVersion::kV4);
  EXPECT_EQ(l.close(d), std::nullopt);  // never bound
  EXPECT_EQ(l.socket_count(), 1u);
  t.expect_nothing();
  EXPECT_EQ(l.poll_at(), Instant::never());
}

// Calls that need a connection refuse an open socket; for_each_socket lists it as CLOSED.
TEST(TcpSocketLifecycle, OpenSocketRefusesConnectionCalls) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(h, kLocal, 7200), std::nullopt);
  std::uint8_t buf[8];
  EXPECT_EQ(l.send(h, as_bytes(std::string("x"))).error(), TcpError::kNotConnected);
  EXPECT_EQ(l.recv(h, MutBytes(buf, sizeof buf)).error(), TcpError::kNotConnected);
  EXPECT_EQ(l.shutdown(h), TcpError::kNotConnected);
  EXPECT_EQ(l.accept(h).error(), TcpError::kInvalid);
  EXPECT_EQ(l.stats(h).error(), TcpError::kInvalid);
  EXPECT_EQ(l.set_nodelay(h, true), std::nullopt);
  EXPECT_EQ(l.options(h)->nodelay, true);
  int n = 0;
  l.for_each_socket([&](SocketHandle s, bool listener, const TcpTuple& tu, TcpState st) {
    ++n;
    EXPECT_EQ(s, h);
    EXPECT_FALSE(listener);
    EXPECT_EQ(tu.local, kLocal);
    EXPECT_EQ(tu.local_port, 7200);
    EXPECT_EQ(st, TcpState::kClosed);
  });
  EXPECT_EQ(n, 1);
}

// The invariant behind take_ready(): a held socket whose readiness() changed since the last
// drain is in the list (a freed one is not). Checked after every step of a connection's whole life.
class ReadyChecker {
 public:
  ReadyChecker(TcpLayer& l, std::vector<SocketHandle> hs) : l_(l), hs_(std::move(hs)) {
    check("start");
  }
  void check(const std::string& step) {
    std::vector<SocketHandle> ready;
    l_.take_ready(ready);
    for (SocketHandle h : hs_) {
      // A socket its user closed and the layer freed is not listed: nobody is left to tell.
      if (!l_.state(h).ok()) continue;
      TcpReadiness now = l_.readiness(h);
      auto it = last_.find(h.index);
      if (it != last_.end() && !(it->second == now)) {
        EXPECT_NE(std::find(ready.begin(), ready.end(), h), ready.end())
            << "readiness of " << h.to_string() << " changed but not listed after: " << step;
      }
      last_[h.index] = now;
    }
  }

 private:
  TcpLayer& l_;
  std::vector<SocketHandle> hs_;
  std::map<std::uint32_t, TcpReadiness> last_;
};

TEST(TcpReadyList, EveryReadinessChangeIsListed) {
  TcpSocketOptions o;
  o.send_buffer = 4096;
  TcpTestbed t = TcpTestbed::established(TcpTestbed::default_config(), o);
  TcpLayer& l = t.layer();
  ReadyChecker rc(l, {t.listener(), t.conn()});
  t.inject(seg().ack(1).seq(1001).data("hello").ts(102, _));
  rc.check("data arrived");
  EXPECT_EQ(t.recv(), "hello");
  rc.check("recv");
  std::size_t n = t.send(std::string(10000, 'x'));
  EXPECT_EQ(n, 4096u);
  rc.check("send buffer filled");
  while (t.pop()) {
  }
  t.at(10_ms).inject(seg().ack(1 + static_cast<std::uint32_t>(n)).seq(1006).ts(103, _));
  rc.check("all acked");
  EXPECT_TRUE(l.readiness(t.conn()).writable);
  t.inject(seg().fin().ack(1 + static_cast<std::uint32_t>(n)).seq(1006).ts(104, _));
  rc.check("peer FIN");
  EXPECT_TRUE(l.readiness(t.conn()).readable);
  EXPECT_EQ(t.recv(), "");
  rc.check("EOF read");
  EXPECT_EQ(l.shutdown(t.conn()), std::nullopt);
  rc.check("shutdown");
  t.expect(seg().fin().ack(1007));  // our FIN carries the (delayed) ACK of the peer's FIN
  t.inject(seg().ack(2 + static_cast<std::uint32_t>(n)).seq(1007).ts(105, _));
  EXPECT_EQ(*l.state(t.conn()), TcpState::kClosed);
  rc.check("last ACK");
  EXPECT_TRUE(l.readiness(t.conn()).closed);
  EXPECT_EQ(l.close(t.conn()), std::nullopt);
  rc.check("close");
  EXPECT_EQ(l.close(t.listener()), std::nullopt);
  rc.check("listener close");
}

// A reset and a keepalive failure (timers) are listed too.
TEST(TcpReadyList, ResetAndKeepaliveFailureAreListed) {
  TcpTestbed t = TcpTestbed::established();
  TcpLayer& l = t.layer();
  ReadyChecker rc(l, {t.conn()});
  t.inject(seg().rst().seq(1001));
  EXPECT_EQ(l.error(t.conn()), TcpError::kReset);
  rc.check("RST");

  TcpTestbed k = TcpTestbed::established();
  TcpLayer& kl = k.layer();
  ASSERT_EQ(kl.set_keepalive(k.conn(), true, 10_s, 1_s, 2), std::nullopt);
  ReadyChecker krc(kl, {k.conn()});
  k.at(60_s);
  EXPECT_EQ(kl.error(k.conn()), TcpError::kTimedOut);
  krc.check("keepalive gave up");
}

// Readiness pushed: data arriving lists the connection; reading it all changes readiness,
// so the socket is listed again (the reader re-checks and finds nothing to read).
TEST(TcpReadyList, DataArrivalListsConnection) {
  TcpTestbed t = TcpTestbed::established();
  TcpLayer& l = t.layer();
  take_ready(l);
  EXPECT_FALSE(l.any_ready());
  t.inject(seg().ack(1).seq(1001).data("hello").ts(102, _));
  EXPECT_TRUE(l.any_ready());
  EXPECT_EQ(take_ready(l), std::vector<SocketHandle>{t.conn()});
  EXPECT_TRUE(l.readiness(t.conn()).readable);
  EXPECT_EQ(t.recv(), "hello");
  EXPECT_EQ(take_ready(l), std::vector<SocketHandle>{t.conn()});
  // Nothing happened since: nothing listed.
  EXPECT_TRUE(take_ready(l).empty());
}

// A listener is listed when its accept queue grows (not for the SYN alone); accept() lists
// the new socket once, for what arrived before it was accepted.
TEST(TcpReadyList, ListenerListedWhenConnectionQueued) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(h, kLocal, 80), std::nullopt);
  ASSERT_EQ(l.listen(h, 4), std::nullopt);
  take_ready(l);
  t.inject(seg().syn().seq(1000).mss(1460));
  t.expect(seg().syn().ack(1001));
  EXPECT_TRUE(take_ready(l).empty());
  EXPECT_FALSE(l.readiness(h).accept_ready);
  t.inject(seg().ack(1).seq(1001).data("early"));
  EXPECT_TRUE(l.readiness(h).accept_ready);
  EXPECT_EQ(take_ready(l), std::vector<SocketHandle>{h});
  auto c = l.accept(h);
  ASSERT_TRUE(c.ok());
  // The listener's accept_ready went away, and the accepted socket is listed.
  std::vector<SocketHandle> ready = take_ready(l);
  EXPECT_EQ(ready.size(), 2u);
  EXPECT_NE(std::find(ready.begin(), ready.end(), h), ready.end());
  EXPECT_NE(std::find(ready.begin(), ready.end(), *c), ready.end());
  EXPECT_TRUE(l.readiness(*c).readable);
}

// The handshake completing lists the connecting socket (it becomes connected and writable);
// so does a timer firing (the SYN retransmission) and a failure.
TEST(TcpReadyList, HandshakeAndTimersListConnectingSocket) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  SocketHandle h = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(h, kLocal, 80), std::nullopt);
  take_ready(l);
  ASSERT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, TcpTestbed::kPeerPort), std::nullopt);
  EXPECT_EQ(take_ready(l), std::vector<SocketHandle>{h});  // readiness changed (no longer closed)
  t.expect(seg().syn());
  take_ready(l);
  EXPECT_EQ(t.expect_next(seg().syn()), 1_s);  // RTO: the timer was serviced
  EXPECT_EQ(take_ready(l), std::vector<SocketHandle>{h});
  EXPECT_FALSE(l.readiness(h).connected);
  t.inject(seg().syn().ack(1).seq(5000));
  t.expect(seg().ack(5001));
  EXPECT_TRUE(l.readiness(h).connected);
  EXPECT_EQ(take_ready(l), std::vector<SocketHandle>{h});
}

// Cost follows activity: with 1000 idle connections, one segment lists exactly its socket.
TEST(TcpReadyList, OnlyTheSocketWithAnEventIsListed) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  std::vector<SocketHandle> hs;
  for (int i = 0; i < 1000; ++i) {
    SocketHandle h = l.open(IpVersion::kV4);
    ASSERT_EQ(l.connect(t.instant(), t.ip(), h, kPeer, 8080), std::nullopt);
    hs.push_back(h);
  }
  t.at(t.now());
  std::map<std::uint16_t, std::uint32_t> iss;  // local port -> ISS
  while (auto s = t.pop()) iss[s->repr.src_port] = s->repr.seq.raw();
  ASSERT_EQ(iss.size(), 1000u);
  take_ready(l);
  for (auto [port, seq] : iss) deliver(t, 8080, port, kSyn | kAck, 5000, seq + 1);
  // Every handshake completed: each socket is listed once.
  EXPECT_EQ(take_ready(l).size(), 1000u);
  while (t.pop()) {
  }
  for (SocketHandle h : hs) ASSERT_TRUE(l.readiness(h).connected);
  t.at(1_s);  // delayed work done, nothing pending
  take_ready(l);
  EXPECT_FALSE(l.any_ready());

  SocketHandle target = hs[617];
  std::uint16_t port = l.tuple(target)->local_port;
  deliver(t, 8080, port, kAck | kPsh, 5001, iss[port] + 1, "ping");
  EXPECT_EQ(take_ready(l), std::vector<SocketHandle>{target});
  EXPECT_TRUE(l.readiness(target).readable);
}

// 1000 bound-only sockets are never listed; a connection queued on a listener lists it only.
TEST(TcpReadyList, BoundSocketsAreNotListed) {
  TcpTestbed t;
  TcpLayer& l = t.layer();
  for (int i = 0; i < 1000; ++i) {
    SocketHandle h = l.open(IpVersion::kV4);
    ASSERT_EQ(l.bind(h, kAny4, static_cast<std::uint16_t>(10000 + i)), std::nullopt);
  }
  SocketHandle lst = l.open(IpVersion::kV4);
  ASSERT_EQ(l.bind(lst, kLocal, 80), std::nullopt);
  ASSERT_EQ(l.listen(lst, 16), std::nullopt);
  take_ready(l);
  EXPECT_FALSE(l.any_ready());
  t.inject(seg().syn().seq(1000));
  t.expect(seg().syn().ack(1001));
  t.inject(seg().ack(1).seq(1001));
  EXPECT_EQ(take_ready(l), std::vector<SocketHandle>{lst});
  // A segment to a bound-only port gets a RST and lists nobody.
  deliver(t, 40000, 10500, kSyn, 1, 0);
  t.expect(seg().rst().ack(2));
  EXPECT_FALSE(l.any_ready());
}

// A second reader (ServiceHost next to usocket's hub) gets the same marks in its own list;
// draining one does not steal from the other.
TEST(TcpReadyList, SubscribedReadersEachGetEveryMark) {
  TcpTestbed t = TcpTestbed::established();
  TcpLayer& l = t.layer();
  ReadyList mine;
  l.subscribe_ready(mine);
  take_ready(l);
  t.inject(seg().ack(1).seq(1001).data("hi"));
  EXPECT_EQ(take_ready(l), std::vector<SocketHandle>{t.conn()});
  std::vector<SocketHandle> got;
  mine.drain(got);
  EXPECT_EQ(got, std::vector<SocketHandle>{t.conn()});
  l.unsubscribe_ready(mine);
  t.inject(seg().ack(1).seq(1003).data("again"));
  EXPECT_TRUE(mine.empty());
}

// A list nobody drains holds at most the live sockets: 10000 connections that come and go
// leave nothing behind in it.
TEST(TcpReadyList, FreedSocketsLeaveNoTraceInUndrainedLists) {
  ReadyList list;
  for (std::uint32_t i = 0; i < 10000; ++i) {
    SocketHandle h{i % 7, i};
    list.mark(h);
    list.forget(h);
  }
  EXPECT_TRUE(list.empty());
  std::vector<SocketHandle> out;
  list.drain(out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace ustack::testing
