// What the sockapi tests share: an errno expectation and the in-memory link they run on.
#pragma once

#include <gtest/gtest.h>

#include "sockapi/os_error.h"
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

}  // namespace usocket::testing
