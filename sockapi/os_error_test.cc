// OSError: errno and getaddrinfo codes, categories, Python-like what().
#include "sockapi/os_error.h"

#include <cerrno>
#include <system_error>

#include "gtest/gtest.h"

namespace usocket {
namespace {

// MicroPython: OSError: [Errno 111] ECONNREFUSED.
TEST(OSError, ErrnoReadsLikeMicroPython) {
  OSError e(ECONNREFUSED);
  EXPECT_EQ(e.errno_value(), 111);
  EXPECT_STREQ(e.what(), "[Errno 111] ECONNREFUSED");
  EXPECT_FALSE(e.is_gai());
}

TEST(OSError, DetailIsAppended) {
  OSError e(EINVAL, "port 70000 out of range");
  EXPECT_STREQ(e.what(), "[Errno 22] EINVAL: port 70000 out of range");
  EXPECT_EQ(e.detail(), "port 70000 out of range");
}

TEST(OSError, IsASystemErrorComparableWithErrc) {
  try {
    throw OSError(ETIMEDOUT);
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::timed_out);
    EXPECT_EQ(e.code().category(), std::generic_category());
    EXPECT_EQ(e.code().value(), 110);
  }
}

// CPython's socket.gaierror: [Errno -2] Name or service not known.
TEST(OSError, GetaddrinfoCodesAreNegativeAndReadLikeGaierror) {
  OSError e(ustack::EaiError::kNoName);
  EXPECT_EQ(e.errno_value(), -2);
  EXPECT_TRUE(e.is_gai());
  EXPECT_STREQ(e.what(), "[Errno -2] Name or service not known");
  EXPECT_STREQ(OSError(-3).what(), "[Errno -3] Temporary failure in name resolution");
  EXPECT_STREQ(OSError(ustack::EaiError::kFail, "CNAME loop").what(),
               "[Errno -4] Non-recoverable failure in name resolution: CNAME loop");
}

// glibc's EAI_* values, which the spec's negative numbers are.
TEST(OSError, GetaddrinfoCodesAreGlibcs) {
  EXPECT_EQ(OSError(ustack::EaiError::kNoName).errno_value(), -2);
  EXPECT_EQ(OSError(ustack::EaiError::kAgain).errno_value(), -3);
  EXPECT_EQ(OSError(ustack::EaiError::kFail).errno_value(), -4);
  EXPECT_EQ(OSError(ustack::EaiError::kFamily).errno_value(), -6);
  EXPECT_EQ(OSError(ustack::EaiError::kService).errno_value(), -8);
  EXPECT_EQ(OSError(ustack::EaiError::kSystem).errno_value(), -11);
}

// The two namespaces never compare equal: EAI_AGAIN (-3) is not ESRCH (3), nor errno -3.
TEST(OSError, CategoriesKeepTheNamespacesApart) {
  EXPECT_NE(OSError(-3).code(), OSError(3).code());
  EXPECT_NE(OSError(-3).code(), std::error_code(-3, std::generic_category()));
  EXPECT_EQ(OSError(-3).code(), std::error_code(-3, gai_category()));
  EXPECT_STREQ(gai_category().name(), "getaddrinfo");
}

TEST(OSError, NamesTheErrnosTheApiRaises) {
  struct {
    int e;
    const char* name;
  } table[] = {
      {EAGAIN, "EAGAIN"},
      {EBADF, "EBADF"},
      {EINVAL, "EINVAL"},
      {EADDRINUSE, "EADDRINUSE"},
      {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
      {ECONNREFUSED, "ECONNREFUSED"},
      {ECONNRESET, "ECONNRESET"},
      {ETIMEDOUT, "ETIMEDOUT"},
      {EINPROGRESS, "EINPROGRESS"},
      {EALREADY, "EALREADY"},
      {EISCONN, "EISCONN"},
      {ENOTCONN, "ENOTCONN"},
      {EHOSTUNREACH, "EHOSTUNREACH"},
      {ENETUNREACH, "ENETUNREACH"},
      {EMSGSIZE, "EMSGSIZE"},
      {EACCES, "EACCES"},
      {EAFNOSUPPORT, "EAFNOSUPPORT"},
      {EDESTADDRREQ, "EDESTADDRREQ"},
      {ENOBUFS, "ENOBUFS"},
      {EOPNOTSUPP, "EOPNOTSUPP"},
      {EPIPE, "EPIPE"},
      {ENOPROTOOPT, "ENOPROTOOPT"},
  };
  for (const auto& row : table) EXPECT_STREQ(errno_name(row.e), row.name) << row.e;
  EXPECT_EQ(errno_name(EWOULDBLOCK), std::string("EAGAIN"));  // the same value on Linux
}

// An errno without a name in the table falls back to strerror's text.
TEST(OSError, UnnamedErrnoUsesStrerror) {
  EXPECT_EQ(errno_name(EDOM), nullptr);
  EXPECT_STREQ(OSError(EDOM).what(), "[Errno 33] Numerical argument out of domain");
}

}  // namespace
}  // namespace usocket
