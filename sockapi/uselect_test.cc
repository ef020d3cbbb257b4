// uselect::poller in virtual time: two ustack networks on one in-memory link (VirtualLab), as
// usocket_test.cc. Covers each event, the mask rules, timeouts at exact virtual instants,
// one-shot ipoll, the errors, sockets destroyed or moved while registered, a 100-client
// non-blocking echo server driven by two pollers in one thread, and the cost requirement:
// one busy socket among 1000 idle ones is found without looking at the other 999.
#include "sockapi/uselect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <memory>

#include "sockapi/test_util.h"
#include "sockapi/usocket.h"
#include "stack/fake_runtime.h"
#include "stack/link_device.h"

namespace uselect {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using usocket::Network;
using usocket::OSError;
using usocket::sockaddr;
using usocket::socket;
using usocket::VirtualLab;
using ustack::Duration;

using UselectTest = usocket::testing::TwoNetworks;

TEST_F(UselectTest, PollinWhenDataArrives) {
  Conn k = connected_pair();
  poller p = poll();
  p.register_(k.server, POLLIN);
  EXPECT_THAT(p.poll(0), IsEmpty());
  k.client.send("hi");
  EXPECT_THAT(p.poll(), ElementsAre(Pair(&k.server, POLLIN)));
  // Level-triggered: still readable, still reported; reading it empty ends that.
  EXPECT_THAT(p.poll(0), ElementsAre(Pair(&k.server, POLLIN)));
  EXPECT_EQ(k.server.recv(10), "hi");
  EXPECT_THAT(p.poll(0), IsEmpty());
}

TEST_F(UselectTest, PolloutOnAConnectedSocket) {
  Conn k = connected_pair();
  poller p = poll();
  p.register_(k.client);  // POLLIN | POLLOUT by default
  EXPECT_THAT(p.poll(0), ElementsAre(Pair(&k.client, POLLOUT)));
}

TEST_F(UselectTest, PollinOnAListenerWithAPendingConnection) {
  socket l(b, AF_INET, SOCK_STREAM);
  l.bind(kServer);
  l.listen();
  poller p = poll();
  p.register_(l, POLLIN);
  EXPECT_THAT(p.poll(0), IsEmpty());
  socket c(a);
  c.setblocking(false);
  EXPECT_ERRNO(c.connect(kServer), EINPROGRESS);
  const ustack::Instant start = now();
  EXPECT_THAT(p.poll(1000), ElementsAre(Pair(&l, POLLIN)));
  EXPECT_LT(now() - start, Duration::millis(1000));
  l.setblocking(false);
  auto [s, peer] = l.accept();
  EXPECT_EQ(peer, c.getsockname());
  EXPECT_THAT(p.poll(0), IsEmpty());  // accepted: the queue is empty again
}

TEST_F(UselectTest, RefusedNonBlockingConnectReportsErrAndHupWhateverTheMask) {
  socket c(a);
  c.setblocking(false);
  EXPECT_ERRNO(c.connect(sockaddr("198.18.0.1", 7001)), EINPROGRESS);
  poller p = poll();
  p.register_(c, POLLIN);  // neither POLLERR nor POLLHUP asked for: reported anyway
  auto r = p.poll(1000);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].first, &c);
  EXPECT_EQ(r[0].second & (POLLERR | POLLHUP), POLLERR | POLLHUP);
  EXPECT_EQ(c.getsockopt(SOL_SOCKET, SO_ERROR), ECONNREFUSED);
}

TEST_F(UselectTest, ClosedSocketReportsPollnval) {
  Conn k = connected_pair();
  poller p = poll();
  p.register_(k.server, POLLIN);
  EXPECT_THAT(p.poll(0), IsEmpty());
  k.server.close();
  EXPECT_THAT(p.poll(0), ElementsAre(Pair(&k.server, POLLNVAL)));
  p.unregister(k.server);
  EXPECT_THAT(p.poll(0), IsEmpty());
}

TEST_F(UselectTest, EventmaskFiltersWhatIsReported) {
  Conn k = connected_pair();
  poller p = poll();
  p.register_(k.client, POLLIN);  // writable, but only reading was asked for
  EXPECT_THAT(p.poll(0), IsEmpty());
  k.server.send("x");
  EXPECT_THAT(p.poll(), ElementsAre(Pair(&k.client, POLLIN)));
  p.register_(k.client, POLLOUT);  // registering again modifies
  EXPECT_THAT(p.poll(0), ElementsAre(Pair(&k.client, POLLOUT)));
  p.modify(k.client, POLLIN | POLLOUT);
  EXPECT_THAT(p.poll(0), ElementsAre(Pair(&k.client, POLLIN | POLLOUT)));
  EXPECT_EQ(p.size(), 1u);
}

TEST_F(UselectTest, TimeoutZeroReturnsAtOnceAndTimeoutRunsExactly) {
  Conn k = connected_pair();
  poller p = poll();
  p.register_(k.client, POLLIN);
  const ustack::Instant start = now();
  EXPECT_THAT(p.poll(0), IsEmpty());
  EXPECT_EQ(now(), start);
  EXPECT_THAT(p.poll(250), IsEmpty());
  EXPECT_EQ(now() - start, Duration::millis(250));
}

TEST_F(UselectTest, UdpDatagramIsPollin) {
  socket r(b, AF_INET, SOCK_DGRAM);
  r.bind(sockaddr("198.18.0.1", 5353));
  poller p = poll();
  p.register_(r, POLLIN);
  EXPECT_THAT(p.poll(0), IsEmpty());
  socket s(a, AF_INET, SOCK_DGRAM);
  s.sendto("ping", sockaddr("198.18.0.1", 5353));
  EXPECT_THAT(p.poll(1000), ElementsAre(Pair(&r, POLLIN)));
  EXPECT_EQ(r.recv(10), "ping");
  EXPECT_THAT(p.poll(0), IsEmpty());
}

TEST_F(UselectTest, IpollOneShotDisarmsUntilModify) {
  Conn k = connected_pair();
  poller p = poll();
  p.register_(k.server, POLLIN);
  k.client.send("data");
  EXPECT_THAT(p.ipoll(1000, 1), ElementsAre(Pair(&k.server, POLLIN)));
  EXPECT_THAT(p.ipoll(0, 1), IsEmpty());  // still readable, but disarmed
  EXPECT_THAT(p.ipoll(0), IsEmpty());
  p.modify(k.server, POLLIN);
  EXPECT_THAT(p.ipoll(0), ElementsAre(Pair(&k.server, POLLIN)));
  EXPECT_THAT(p.ipoll(0), ElementsAre(Pair(&k.server, POLLIN)));  // without the flag: kept
}

TEST_F(UselectTest, ModifyUnregisterAndNetworkErrors) {
  Conn k = connected_pair();
  poller p = poll();
  EXPECT_ERRNO(p.modify(k.client, POLLIN), ENOENT);
  p.unregister(k.client);  // MicroPython: unregistering twice (or never registered) is fine
  p.register_(k.client, POLLIN);
  p.unregister(k.client);
  p.unregister(k.client);
  EXPECT_ERRNO(p.modify(k.client, POLLIN), ENOENT);
  p.register_(k.client, POLLIN);
  EXPECT_ERRNO(p.register_(k.server, POLLIN), EINVAL);  // k.server is on b
  p.unregister(k.client);
  p.register_(k.server, POLLIN);  // an empty poller may change networks
  EXPECT_EQ(p.size(), 1u);
}

TEST_F(UselectTest, NothingCanHappenRaisesEintrInVirtualTime) {
  socket u(a, AF_INET, SOCK_DGRAM);
  u.bind(sockaddr("198.18.0.2", 9999));
  poller p = poll();
  p.register_(u, POLLIN);
  EXPECT_ERRNO(p.poll(-1), EINTR);
}

TEST_F(UselectTest, DestroyedSocketIsForgottenAndMovedSocketKeepsItsRegistration) {
  Conn k = connected_pair();
  poller p = poll();
  {
    socket doomed(a, AF_INET, SOCK_DGRAM);
    p.register_(doomed, POLLIN);
    EXPECT_EQ(p.size(), 1u);
  }
  EXPECT_EQ(p.size(), 0u);  // no dangling pointer left behind
  EXPECT_THAT(p.poll(0), IsEmpty());

  auto first = std::make_unique<socket>(std::move(k.server));
  p.register_(*first, POLLIN);
  EXPECT_THAT(p.poll(0), IsEmpty());  // now the only reported set is empty
  socket second(std::move(*first));   // the registration follows the object
  first.reset();
  EXPECT_EQ(p.size(), 1u);
  k.client.send("moved");
  EXPECT_THAT(p.poll(1000), ElementsAre(Pair(&second, POLLIN)));

  socket third(b, AF_INET, SOCK_DGRAM);
  p.register_(third, POLLIN);
  third = std::move(second);  // third's own registration ends, second's moves in
  EXPECT_EQ(p.size(), 1u);
  EXPECT_THAT(p.poll(0), ElementsAre(Pair(&third, POLLIN)));
  EXPECT_EQ(third.recv(100), "moved");

  // A poller can be moved too; the hub follows it.
  poller q = std::move(p);
  k.client.send("again");
  EXPECT_THAT(q.poll(1000), ElementsAre(Pair(&third, POLLIN)));
}

// A non-blocking poll-loop echo server on b and 100 non-blocking clients on a, each side driven
// by its own poller, all in this one thread.
TEST_F(UselectTest, PollLoopEchoServerServesAHundredConcurrentClients) {
  constexpr int kClients = 100;
  socket listener(b, AF_INET, SOCK_STREAM);
  listener.setblocking(false);
  listener.bind(kServer);
  listener.listen(kClients);
  poller server = poll();
  server.register_(listener, POLLIN);
  struct Echo {
    socket s;
    std::string out;
  };
  std::map<socket*, std::unique_ptr<Echo>> conns;

  struct Client {
    socket s;
    std::string msg, got;
    std::size_t sent = 0;
    bool done = false;
  };
  std::vector<std::unique_ptr<Client>> clients;
  std::map<socket*, Client*> by_socket;
  poller cp = poll();
  for (int i = 0; i < kClients; ++i) {
    auto c = std::make_unique<Client>(Client{socket(a), {}, {}, 0, false});
    for (int j = 0; j < 500 + 97 * i; ++j) c->msg += static_cast<char>('a' + (i * 7 + j) % 26);
    c->s.setblocking(false);
    EXPECT_ERRNO(c->s.connect(kServer), EINPROGRESS);
    cp.register_(c->s, POLLOUT | POLLIN);
    by_socket[&c->s] = c.get();
    clients.push_back(std::move(c));
  }

  auto flush = [&](Echo& e) {
    try {
      e.out.erase(0, e.s.send(e.out));
    } catch (const OSError& err) {
      if (err.code().value() != EAGAIN) throw;
    }
    server.modify(e.s, e.out.empty() ? POLLIN : POLLIN | POLLOUT);
  };
  int done = 0;
  for (int round = 0; done < kClients && round < 10000; ++round) {
    for (auto [s, ev] : server.poll(0)) {
      if (s == &listener) {
        for (;;) {
          try {
            auto [conn, peer] = listener.accept();
            auto e = std::make_unique<Echo>(Echo{std::move(conn), {}});
            e->s.setblocking(false);
            server.register_(e->s, POLLIN);
            conns[&e->s] = std::move(e);
          } catch (const OSError& err) {
            ASSERT_EQ(err.code().value(), EAGAIN);
            break;
          }
        }
        continue;
      }
      Echo& e = *conns.at(s);
      if (ev & POLLIN) {
        usocket::bytes data = e.s.recv(65536);
        if (data.empty()) {
          conns.erase(s);  // the client is done; destroying unregisters
          continue;
        }
        e.out += data;
        flush(e);
      } else if (ev & POLLOUT) {
        flush(e);
      }
      ASSERT_EQ(ev & (POLLERR | POLLNVAL), 0);
    }
    for (auto [s, ev] : cp.poll(5)) {
      Client& c = *by_socket.at(s);
      ASSERT_EQ(ev & (POLLERR | POLLHUP | POLLNVAL), 0) << "client " << ev;
      if ((ev & POLLOUT) && c.sent < c.msg.size()) {
        try {
          c.sent += c.s.send(std::string_view(c.msg).substr(c.sent));
        } catch (const OSError& err) {
          ASSERT_EQ(err.code().value(), EAGAIN);
        }
        if (c.sent == c.msg.size()) cp.modify(c.s, POLLIN);
      }
      if (ev & POLLIN) {
        c.got += c.s.recv(65536);
        if (c.got.size() >= c.msg.size()) {
          cp.unregister(c.s);
          c.s.close();
          c.done = true;
          ++done;
        }
      }
    }
  }
  ASSERT_EQ(done, kClients);
  for (const auto& c : clients) EXPECT_EQ(c->got, c->msg);
  // The servers see the clients' FINs and close their ends too.
  for (int round = 0; !conns.empty() && round < 100; ++round) {
    for (auto [s, ev] : server.poll(100)) {
      if (s != &listener && conns.at(s)->s.recv(100).empty()) conns.erase(s);
    }
  }
  EXPECT_TRUE(conns.empty());
}

// The point of the design: with 1000 idle connections registered, a poll that finds the one
// busy socket looks at O(1) sockets, not 1000.
TEST_F(UselectTest, PollCostsWhatChangedNotWhatIsRegistered) {
  constexpr int kIdle = 1000;
  socket listener(b, AF_INET, SOCK_STREAM);
  listener.bind(kServer);
  listener.listen(kIdle);
  std::vector<socket> clients, servers;
  clients.reserve(kIdle);
  servers.reserve(kIdle);
  for (int i = 0; i < kIdle; ++i) {
    clients.emplace_back(a);
    clients.back().setblocking(false);
    EXPECT_ERRNO(clients.back().connect(kServer), EINPROGRESS);
  }
  for (int i = 0; i < kIdle; ++i) servers.push_back(listener.accept().first);
  poller p = poll();
  for (socket& s : servers) p.register_(s, POLLIN);
  EXPECT_THAT(p.poll(0), IsEmpty());  // the first look checks each once (they are new)
  EXPECT_THAT(p.poll(0), IsEmpty());
  const std::uint64_t before = p.stats().rechecked;
  EXPECT_GE(before, static_cast<std::uint64_t>(kIdle));  // the counter does count
  EXPECT_THAT(p.poll(0), IsEmpty());
  EXPECT_EQ(p.stats().rechecked, before);  // nothing changed, nothing looked at

  clients[417].send("wake");
  EXPECT_THAT(p.poll(1000), ElementsAre(Pair(&servers[417], POLLIN)));
  EXPECT_LT(p.stats().rechecked - before, 10u);
  EXPECT_EQ(servers[417].recv(10), "wake");
  EXPECT_THAT(p.poll(0), IsEmpty());
  EXPECT_LT(p.stats().rechecked - before, 10u);
}

}  // namespace
}  // namespace uselect
