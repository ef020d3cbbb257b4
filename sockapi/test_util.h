// What the sockapi tests share: an errno expectation, the in-memory link they run on, and a
// fixture with two networks on it.
#pragma once

#include <gtest/gtest.h>

#include "sockapi/network.h"
#include "sockapi/os_error.h"
#include "sockapi/usocket.h"
#include "stack/fake_runtime.h"
#include "stack/link_device.h"

// EXPECT_ERRNO(stmt, err): `stmt` raises usocket::OSError with code().value() == err (a
// positive errno, or a negative getaddrinfo code).
#define EXPECT_ERRNO(stmt, err)                                                          \
  do {                                                                                   \
    try {                                                                                \
      stmt;                                                                              \
      ADD_FAILURE() << #stmt " did not raise " #err;                                     \
    } catch (const ::usocket::OSError& e) {                                              \
      EXPECT_EQ(e.code().value(), err) << #stmt " raised " << e.what() << ", not " #err; \
    }                                                                                    \
  } while (0)

namespace usocket::testing {

// 10 ms each way: round trips take visible virtual time, so timing is checked too.
inline ustack::LinkConfig delayed_link() {
  ustack::LinkConfig c;
  c.a_to_b.delay = ustack::Duration::millis(10);
  c.b_to_a.delay = ustack::Duration::millis(10);
  return c;
}

// Two ustacks on one delayed in-memory link, in virtual time: `a` (198.18.0.2, fd00:1::2; the
// first network made, so the default for socket() without one) and `b` (.1, ::1).
class TwoNetworks : public ::testing::Test {
 protected:
  VirtualLab lab{delayed_link()};
  Network a = Network::in_memory(lab, {"--addr", "198.18.0.2/24", "--addr", "fd00:1::2/64"});
  Network b = Network::in_memory(lab, {"--addr", "198.18.0.1/24", "--addr", "fd00:1::1/64"});
  const sockaddr kServer{"198.18.0.1", 7000};

  ustack::Instant now() { return lab.runtime().now(); }

  // A listener on b, a client on a connected to it, and b's accepted end.
  struct Conn {
    socket listener, client, server;
  };
  Conn connected_pair() {
    socket l(b, AF_INET, SOCK_STREAM);
    l.bind(kServer);
    l.listen();
    socket c(a);
    c.connect(kServer);
    auto [s, peer] = l.accept();
    EXPECT_EQ(peer, c.getsockname());
    return {std::move(l), std::move(c), std::move(s)};
  }
};

}  // namespace usocket::testing
