// sockaddr: the spec's tuple forms, their checks, text forms, comparison, IpAddr round trip.
#include "sockapi/sockaddr.h"

#include <cerrno>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "sockapi/os_error.h"

namespace usocket {
namespace {

// Runs f, expects OSError(EINVAL) whose what() is `what`.
template <typename F>
void expect_einval(F f, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << "no OSError, wanted: " << what;
  } catch (const OSError& e) {
    EXPECT_EQ(e.errno_value(), EINVAL);
    EXPECT_EQ(std::string(e.what()), what);
  }
}

// Spec: IPv4: (ipv4_address, port).
TEST(Sockaddr, Ipv4Pair) {
  sockaddr a{"198.18.0.1", 80};
  EXPECT_EQ(a.family(), AF_INET);
  EXPECT_EQ(a.addr(), ustack::IpAddr(*ustack::Ipv4Addr::parse("198.18.0.1")));
  EXPECT_EQ(a.port(), 80);
  EXPECT_EQ(a.flowinfo(), 0u);
  EXPECT_EQ(a.scope_id(), 0u);
  EXPECT_EQ(a.host(), "198.18.0.1");
  EXPECT_EQ(a.to_string(), "198.18.0.1:80");
  EXPECT_EQ(a.to_tuple_string(), "('198.18.0.1', 80)");
}

// Spec: IPv6: (ipv6_address, port, flowinfo, scopeid).
TEST(Sockaddr, Ipv6FourTuple) {
  sockaddr a{"fe80::1", 8080, 5, 2};
  EXPECT_EQ(a.family(), AF_INET6);
  EXPECT_EQ(a.port(), 8080);
  EXPECT_EQ(a.flowinfo(), 5u);
  EXPECT_EQ(a.scope_id(), 2u);
  EXPECT_EQ(a.to_string(), "[fe80::1%2]:8080");
  EXPECT_EQ(a.to_tuple_string(), "('fe80::1', 8080, 5, 2)");
}

// CPython takes a pair for AF_INET6 too (flowinfo and scope id 0).
TEST(Sockaddr, Ipv6PairAndCanonicalText) {
  sockaddr a{"FD00:0:0::1", 80};
  EXPECT_EQ(a.family(), AF_INET6);
  EXPECT_EQ(a.to_string(), "[fd00::1]:80");
  EXPECT_EQ(a.to_tuple_string(), "('fd00::1', 80, 0, 0)");
  EXPECT_EQ(a, (sockaddr{"fd00::1", 80, 0, 0}));
}

// Spec: "domain names are not accepted", resolve with getaddrinfo first.
TEST(Sockaddr, HostNameIsEinval) {
  expect_einval([] { sockaddr("example.com", 80); },
                "[Errno 22] EINVAL: 'example.com' is not a numeric IP address (resolve names "
                "with getaddrinfo)");
  expect_einval([] { sockaddr("", 80); },
                "[Errno 22] EINVAL: '' is not a numeric IP address (resolve names with "
                "getaddrinfo)");
  expect_einval([] { sockaddr("1.2.3", 80); },
                "[Errno 22] EINVAL: '1.2.3' is not a numeric IP address (resolve names with "
                "getaddrinfo)");
  EXPECT_THROW(sockaddr(std::string_view("1.2.3.4\0x", 9), 80), OSError);
}

// CPython: OverflowError "port must be 0-65535."; 0 is what bind takes for "any port".
TEST(Sockaddr, PortRange) {
  EXPECT_EQ((sockaddr{"0.0.0.0", 0}).port(), 0);
  EXPECT_EQ((sockaddr{"::", 65535}).port(), 65535);
  expect_einval([] { sockaddr("198.18.0.1", 70000); }, "[Errno 22] EINVAL: port must be 0-65535");
  expect_einval([] { sockaddr("198.18.0.1", -1); }, "[Errno 22] EINVAL: port must be 0-65535");
  expect_einval([] { sockaddr("fd00::1", 65536, 0, 0); },
                "[Errno 22] EINVAL: port must be 0-65535");
}

// CPython: "flowinfo must be 0-1048575." (the 20-bit flow label, RFC 8200 §6).
TEST(Sockaddr, FlowinfoAndScopeIdRange) {
  EXPECT_EQ((sockaddr{"fd00::1", 80, 0xfffff, 0xffffffff}).flowinfo(), 0xfffffu);
  expect_einval([] { sockaddr("fd00::1", 80, 0x100000, 0); },
                "[Errno 22] EINVAL: flowinfo must be 0-1048575");
  expect_einval([] { sockaddr("fd00::1", 80, -1, 0); },
                "[Errno 22] EINVAL: flowinfo must be 0-1048575");
  expect_einval([] { sockaddr("fd00::1", 80, 0, 0x100000000); },
                "[Errno 22] EINVAL: scope_id must be 0-4294967295");
}

// CPython: "AF_INET address must be a pair (host, port)".
TEST(Sockaddr, Ipv4FourTupleIsEinval) {
  expect_einval([] { sockaddr("198.18.0.1", 80, 0, 0); },
                "[Errno 22] EINVAL: AF_INET address must be a pair (host, port)");
}

// No %zone in the text: the scope id is the tuple's fourth element.
TEST(Sockaddr, ZoneInTextIsEinval) { EXPECT_THROW(sockaddr("fe80::1%eth0", 80), OSError); }

TEST(Sockaddr, ComparesByEveryField) {
  EXPECT_EQ((sockaddr{"198.18.0.1", 80}), (sockaddr{"198.18.0.1", 80}));
  EXPECT_NE((sockaddr{"198.18.0.1", 80}), (sockaddr{"198.18.0.1", 81}));
  EXPECT_NE((sockaddr{"198.18.0.1", 80}), (sockaddr{"198.18.0.2", 80}));
  EXPECT_NE((sockaddr{"fe80::1", 80, 0, 1}), (sockaddr{"fe80::1", 80, 0, 2}));
  EXPECT_NE((sockaddr{"fe80::1", 80, 1, 0}), (sockaddr{"fe80::1", 80, 0, 0}));
  EXPECT_LT((sockaddr{"198.18.0.1", 80}), (sockaddr{"198.18.0.1", 81}));
  std::set<sockaddr> s{{"198.18.0.1", 80}, {"198.18.0.1", 80}, {"::1", 80}};
  EXPECT_EQ(s.size(), 2u);
}

TEST(Sockaddr, DefaultIsIpv4AnyPortZero) {
  sockaddr a;
  EXPECT_EQ(a.family(), AF_INET);
  EXPECT_EQ(a.to_tuple_string(), "('0.0.0.0', 0)");
}

TEST(Sockaddr, RoundTripsWithUstackTypes) {
  ustack::IpAddr v6 = *ustack::IpAddr::parse("fd00::1");
  sockaddr a(v6, 443, 0, 3);
  EXPECT_EQ(a.addr(), v6);
  EXPECT_EQ(a.port(), 443);
  EXPECT_EQ(a, (sockaddr{"fd00::1", 443, 0, 3}));
  // An IPv4 address has no flowinfo or scope id.
  sockaddr b(*ustack::IpAddr::parse("10.0.0.1"), 53, 7, 7);
  EXPECT_EQ(b, (sockaddr{"10.0.0.1", 53}));
}

TEST(Sockaddr, Streams) {
  std::ostringstream os;
  os << sockaddr{"198.18.0.1", 80};
  EXPECT_EQ(os.str(), "198.18.0.1:80");
}

}  // namespace
}  // namespace usocket
