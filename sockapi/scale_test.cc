// Cost must not grow with idle connections (issue 17), and many connections must all work:
// two ustacks on an in-memory link in virtual time, driven through the usocket API.
//
// The work is counted, not timed: TcpLayer counts the connections it services and the timer
// entries it looks at. One echo on one connection must cost the same with 1 and with 10 000
// other connections open, and a quiet second must cost nothing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockapi/usocket.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"

namespace usocket {
namespace {

using ustack::Duration;

// Small buffers: 20 000 connections with Linux's 2 x 128 KiB defaults would be 5 GiB of
// address space in the test; the logic under test does not depend on the size.
void small_buffers(socket& s) {
  s.setsockopt(SOL_SOCKET, SO_RCVBUF, 2048);
  s.setsockopt(SOL_SOCKET, SO_SNDBUF, 2048);
}

struct Work {
  std::uint64_t serviced = 0, timer_entries = 0;
  static Work of(const Network& n) {
    const ustack::TcpLayerCounters& c = n.parts().tcp.counters();
    return {c.sockets_serviced, c.timer_entries_visited};
  }
  Work operator+(const Work& o) const {
    return {serviced + o.serviced, timer_entries + o.timer_entries};
  }
  Work operator-(const Work& o) const {
    return {serviced - o.serviced, timer_entries - o.timer_entries};
  }
  bool operator==(const Work&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Work& w) {
  return os << "{serviced " << w.serviced << ", timer entries " << w.timer_entries << "}";
}

class Scale {
 public:
  explicit Scale(int connections) {
    listener_.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    small_buffers(listener_);
    listener_.bind(kServer);
    listener_.listen(1024);
    for (int i = 0; i < connections; ++i) {
      socket c(a_, AF_INET, SOCK_STREAM);
      small_buffers(c);
      c.connect(kServer);
      clients_.push_back(std::move(c));
      servers_.push_back(listener_.accept().first);
    }
    // Past every handshake's timers (initial RTO, delayed ACKs): stale heap entries are gone.
    lab_.advance(Duration::seconds(5));
  }

  // One message from client i to its server, echoed back; checks the bytes.
  void echo(std::size_t i, const std::string& msg) {
    clients_[i].sendall(msg);
    EXPECT_EQ(servers_[i].read(msg.size()), msg);
    servers_[i].sendall(msg);
    EXPECT_EQ(clients_[i].read(msg.size()), msg);
  }

  Work work() const { return Work::of(a_) + Work::of(b_); }
  VirtualLab& lab() { return lab_; }
  std::size_t size() const { return clients_.size(); }

 private:
  VirtualLab lab_;
  Network a_ = Network::in_memory(lab_, {"--addr", "198.18.0.2/24"});
  Network b_ = Network::in_memory(lab_, {"--addr", "198.18.0.1/24"});
  const sockaddr kServer{"198.18.0.1", 7};
  socket listener_{b_, AF_INET, SOCK_STREAM};
  std::vector<socket> clients_, servers_;
};

// The work of one echo on the last connection, after `idle` quiet connections were opened.
Work echo_work(int idle) {
  Scale s(idle + 1);
  const Work before = s.work();
  s.echo(s.size() - 1, "ping");
  s.lab().advance(Duration::seconds(1));  // its delayed ACKs and whatever else it armed
  return s.work() - before;
}

TEST(Scale, OneEchoCostsTheSameWithTenThousandIdleConnections) {
  const Work alone = echo_work(0);
  const Work crowded = echo_work(10000);
  EXPECT_GT(alone.serviced, 0u);
  EXPECT_EQ(crowded, alone);
}

TEST(Scale, AQuietSecondCostsNothingWithTenThousandConnections) {
  Scale s(10000);
  const Work before = s.work();
  s.lab().advance(Duration::seconds(1));
  EXPECT_EQ(s.work() - before, Work{});
}

TEST(Scale, TenThousandConnectionsEachEchoTheirOwnMessage) {
  Scale s(10000);
  for (std::size_t i = 0; i < s.size(); ++i) s.echo(i, "message " + std::to_string(i) + "!");
}

}  // namespace
}  // namespace usocket
