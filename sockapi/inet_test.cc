// inet_pton / inet_ntop: the spec's examples, CPython's errors, and agreement with libc.
#include "sockapi/inet.h"

#include <arpa/inet.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "sockapi/os_error.h"

namespace usocket {
namespace {

// libc's answer: the bytes, or nullopt when it rejects the text.
std::optional<bytes> libc_pton(int af, const std::string& text) {
  std::array<char, 16> buf{};
  if (::inet_pton(af, text.c_str(), buf.data()) != 1) return std::nullopt;
  return bytes(buf.data(), af == AF_INET ? 4 : 16);
}

std::optional<bytes> our_pton(int af, const std::string& text) {
  try {
    return inet_pton(af, text);
  } catch (const OSError& e) {
    EXPECT_EQ(e.errno_value(), EINVAL) << text;
    EXPECT_STREQ(e.what(), "[Errno 22] EINVAL: illegal IP address string passed to inet_pton");
    return std::nullopt;
  }
}

// Spec: inet_pton(AF_INET, "1.2.3.4") == b'\x01\x02\x03\x04'.
TEST(InetPton, SpecExample) {
  EXPECT_EQ(inet_pton(AF_INET, "1.2.3.4"), bytes("\x01\x02\x03\x04"));
  EXPECT_EQ(inet_pton(AF_INET6, "::1"), bytes(15, '\0') + "\x01");
}

// Whatever Linux's inet_pton accepts we accept, with the same bytes; whatever it rejects,
// we reject with CPython's message.
TEST(InetPton, AgreesWithLibcOnTrickyText) {
  const char* cases[] = {
      "1.2.3.4",
      "0.0.0.0",
      "255.255.255.255",
      "256.1.1.1",
      "1.2.3",
      "1.2.3.4.5",
      "01.2.3.4",
      "1.2.3.04",
      "0x1.2.3.4",
      "1.2.3.4 ",
      " 1.2.3.4",
      "1.2.3.4\n",
      "",
      "1..2.3",
      "1.2.3.",
      "::",
      "::1",
      "fd00::1",
      "FD00::1",
      "::ffff:1.2.3.4",
      "::1.2.3.4",
      "1::2::3",
      "fd00::1%eth0",
      "fe80::1%1",
      "[::1]",
      "1:2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::",
      "::2:3:4:5:6:7:8",
      "12345::1",
      ":1::2",
      "1::2:",
      "::ffff:1.2.3",
      "::ffff:01.2.3.4",
      " ::1",
      "::1 ",
      "g::1",
      "1.2.3.4::",
      "0:0:0:0:0:0:0:0",
      "example.com",
      "localhost",
  };
  for (int af : {AF_INET, AF_INET6}) {
    for (const char* text : cases) {
      EXPECT_EQ(our_pton(af, text), libc_pton(af, text)) << "af=" << af << " text='" << text << "'";
    }
  }
}

// libc would stop at the NUL and accept "1.2.3.4"; Python rejects the embedded NUL.
TEST(InetPton, EmbeddedNulIsRejected) {
  EXPECT_EQ(our_pton(AF_INET, std::string("1.2.3.4\0junk", 12)), std::nullopt);
  EXPECT_EQ(our_pton(AF_INET6, std::string("::1\0", 4)), std::nullopt);
}

// CPython: inet_pton(12345, ...) → OSError [Errno 97] Address family not supported.
TEST(InetPton, UnknownFamilyIsEafnosupport) {
  try {
    inet_pton(AF_UNIX, "1.2.3.4");
    ADD_FAILURE();
  } catch (const OSError& e) {
    EXPECT_EQ(e.errno_value(), EAFNOSUPPORT);
    EXPECT_STREQ(e.what(), "[Errno 97] EAFNOSUPPORT: unknown address family 1");
  }
}

// Spec: inet_ntop(AF_INET, b"\x7f\0\0\1") == '127.0.0.1'.
TEST(InetNtop, SpecExample) {
  EXPECT_EQ(inet_ntop(AF_INET, std::string_view("\x7f\0\0\1", 4)), "127.0.0.1");
  std::array<std::byte, 4> b{std::byte{10}, std::byte{0}, std::byte{0}, std::byte{1}};
  EXPECT_EQ(inet_ntop(AF_INET, std::span<const std::byte>(b)), "10.0.0.1");
}

// The canonical text (RFC 5952), as libc's inet_ntop prints it.
TEST(InetNtop, AgreesWithLibc) {
  const char* cases[] = {"::",
                         "::1",
                         "fd00::1",
                         "::ffff:1.2.3.4",
                         "1:0:0:1::1",
                         "1:2:3:4:5:6:7:8",
                         "fe80::1:0:0:0",
                         "::1.2.3.4",
                         "2001:db8:0:0:1:0:0:1"};
  for (const char* text : cases) {
    bytes packed = inet_pton(AF_INET6, text);
    char buf[INET6_ADDRSTRLEN];
    ASSERT_NE(::inet_ntop(AF_INET6, packed.data(), buf, sizeof buf), nullptr);
    EXPECT_EQ(inet_ntop(AF_INET6, packed), buf) << text;
  }
}

TEST(InetNtop, RoundTrips) {
  EXPECT_EQ(inet_ntop(AF_INET, inet_pton(AF_INET, "198.18.0.1")), "198.18.0.1");
  EXPECT_EQ(inet_ntop(AF_INET6, inet_pton(AF_INET6, "FD00:0::1")), "fd00::1");
}

// CPython: ValueError "invalid length of packed IP address string".
TEST(InetNtop, WrongLengthIsEinval) {
  for (auto [af, len] : {std::pair{AF_INET, 3},
                         {AF_INET, 5},
                         {AF_INET, 16},
                         {AF_INET6, 4},
                         {AF_INET6, 15},
                         {AF_INET6, 0}}) {
    try {
      inet_ntop(af, bytes(len, '\0'));
      ADD_FAILURE() << af << " " << len;
    } catch (const OSError& e) {
      EXPECT_EQ(e.errno_value(), EINVAL);
      EXPECT_STREQ(e.what(), "[Errno 22] EINVAL: invalid length of packed IP address string");
    }
  }
}

TEST(InetNtop, UnknownFamilyIsEafnosupport) {
  try {
    inet_ntop(AF_PACKET, bytes(4, '\0'));
    ADD_FAILURE();
  } catch (const OSError& e) {
    EXPECT_EQ(e.errno_value(), EAFNOSUPPORT);
  }
}

}  // namespace
}  // namespace usocket
