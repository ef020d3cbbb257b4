// usocket::getaddrinfo in virtual time: network `a` resolves through its own ustack Resolver
// against ustack's DnsServer running on network `b` of the same VirtualLab, so NXDOMAIN, CNAME
// chains and a silent server's timeouts are exercised deterministically and take no wall time.
#include "sockapi/getaddrinfo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <memory>

#include "sockapi/os_error.h"
#include "sockapi/test_util.h"
#include "stack/dns/dns_server.h"
#include "stack/dns/zone.h"
#include "stack/fake_runtime.h"
#include "stack/stack.h"
#include "stack/udp/udp_layer.h"

namespace usocket {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A hosts file for `a` (hosts are read when the network is made, so it is written first).
std::string write_hosts() {
  std::string path = ::testing::TempDir() + "/getaddrinfo_test_hosts";
  std::ofstream(path) << "# test hosts\n"
                         "198.18.0.50 files.test filealias\n"
                         "fd00:1::50  files.test\n";
  return path;
}

std::vector<std::string> types(const std::vector<addrinfo>& ai) {
  std::vector<std::string> out;
  for (const addrinfo& i : ai) out.push_back(to_string(i));
  return out;
}

class GetaddrinfoTest : public ::testing::Test {
 protected:
  ~GetaddrinfoTest() override {
    if (server_) b.parts().stack.remove_poller(*server_);
  }

  // ustack's authoritative server on b:53 (both families) for ustack.test.
  void start_dns_server() {
    auto zone = ustack::parse_zone_file(
        "$TTL 300\n"
        "www    A     198.18.0.80\n"
        "www    AAAA  fd00:1::80\n"
        "v4only A     198.18.0.81\n"
        "alias  CNAME www\n",
        "ustack.test.");
    ASSERT_TRUE(zone.warnings.empty());
    ustack::DnsZoneSet zones;
    zones.add(std::move(*zone.zone));
    server_ = std::make_unique<ustack::DnsServer>(ustack::DnsServerConfig{}, std::move(zones),
                                                  b.parts().udp, b.parts().tcp, b.parts().stack);
    ASSERT_EQ(server_->start(lab.runtime().now()), std::nullopt);
    b.parts().stack.add_poller(*server_);
  }

  std::string hosts = write_hosts();
  VirtualLab lab;
  // `a` is made first: the default network for the overloads without one.
  Network a = Network::in_memory(lab, {"--addr", "198.18.0.2/24", "--addr", "fd00:1::2/64",
                                       "--nameserver", "198.18.0.1", "--hosts", hosts});
  Network b = Network::in_memory(lab, {"--addr", "198.18.0.1/24", "--addr", "fd00:1::1/64"});
  std::unique_ptr<ustack::DnsServer> server_;
};

TEST_F(GetaddrinfoTest, NumericV4IsTheSpecsFiveTuplePerType) {
  std::vector<addrinfo> ai = getaddrinfo("127.0.0.1", 80);
  ASSERT_EQ(ai.size(), 2u);
  auto [family, type, proto, canonname, addr] = ai[0];
  EXPECT_EQ(family, AF_INET);
  EXPECT_EQ(type, SOCK_STREAM);
  EXPECT_EQ(proto, IPPROTO_TCP);
  EXPECT_EQ(canonname, "");
  EXPECT_EQ(addr, sockaddr("127.0.0.1", 80));
  EXPECT_EQ(to_string(ai[1]), "(2, 2, 17, '', ('127.0.0.1', 80))");
  // The spec's idiom: the last element of the first tuple.
  EXPECT_EQ(getaddrinfo("198.18.0.1", 7000)[0].addr, sockaddr("198.18.0.1", 7000));
}

TEST_F(GetaddrinfoTest, NumericV6AndNoDnsTraffic) {
  std::vector<addrinfo> ai = getaddrinfo(a, "fd00:1::1", "8080", AF_INET6, SOCK_DGRAM);
  EXPECT_THAT(types(ai), ElementsAre("(10, 2, 17, '', ('fd00:1::1', 8080, 0, 0))"));
  EXPECT_EQ(a.parts().resolver.counters().queries_sent, 0u);
  // A numeric host of the other family is EAI_NONAME (the resolver's choice over glibc's
  // EAI_ADDRFAMILY).
  EXPECT_ERRNO(getaddrinfo("::1", 80, AF_INET), EAI_NONAME);
  EXPECT_ERRNO(getaddrinfo(a, "127.0.0.1", 80, AF_INET6), EAI_NONAME);
}

TEST_F(GetaddrinfoTest, NameThroughDnsInRfc6724OrderWithFilters) {
  start_dns_server();
  const auto t0 = lab.runtime().now();
  std::vector<addrinfo> all = getaddrinfo(a, "www.ustack.test", 80);
  // Both addresses are global scope; 198.18/15 (as ::ffff:0:0/96, precedence 35) beats the
  // ULA fd00::/8 (precedence 3) by RFC 6724 rule 6; each address gives STREAM then DGRAM.
  EXPECT_THAT(types(all), ElementsAre("(2, 1, 6, '', ('198.18.0.80', 80))",
                                      "(2, 2, 17, '', ('198.18.0.80', 80))",
                                      "(10, 1, 6, '', ('fd00:1::80', 80, 0, 0))",
                                      "(10, 2, 17, '', ('fd00:1::80', 80, 0, 0))"));
  EXPECT_LT(lab.runtime().now() - t0, ustack::Duration::seconds(1));
  EXPECT_GE(a.parts().resolver.counters().queries_sent, 2u);  // A and AAAA

  EXPECT_THAT(types(getaddrinfo(a, "www.ustack.test", 80, AF_INET6, SOCK_STREAM)),
              ElementsAre("(10, 1, 6, '', ('fd00:1::80', 80, 0, 0))"));
  EXPECT_THAT(types(getaddrinfo(a, "www.ustack.test", 53, AF_INET, 0, IPPROTO_UDP)),
              ElementsAre("(2, 2, 17, '', ('198.18.0.80', 53))"));
  EXPECT_EQ(getaddrinfo(a, "www.ustack.test", 80, 0, SOCK_DGRAM).size(), 2u);
  EXPECT_EQ(getaddrinfo(a, "v4only.ustack.test", 80).size(), 2u);
  // A name with no address of the asked family (NODATA) is EAI_NONAME.
  EXPECT_ERRNO(getaddrinfo(a, "v4only.ustack.test", 80, AF_INET6), EAI_NONAME);
  // The overloads without a network use the default one, `a`.
  EXPECT_EQ(getaddrinfo("www.ustack.test", "80"), all);
}

TEST_F(GetaddrinfoTest, CanonnameFollowsTheCnameOnTheFirstEntryOnly) {
  start_dns_server();
  std::vector<addrinfo> ai = getaddrinfo(a, "alias.ustack.test", 443, 0, 0, 0, AI_CANONNAME);
  ASSERT_EQ(ai.size(), 4u);
  EXPECT_EQ(ai[0].canonname, "www.ustack.test");
  for (std::size_t i = 1; i < ai.size(); ++i) EXPECT_EQ(ai[i].canonname, "") << i;
  EXPECT_EQ(ai[0].addr, sockaddr("198.18.0.80", 443));
  // Without the flag, no name (glibc).
  EXPECT_EQ(getaddrinfo(a, "alias.ustack.test", 443)[0].canonname, "");
  // A numeric host is its own canonical name, as glibc.
  EXPECT_EQ(getaddrinfo("198.18.0.1", 1, 0, 0, 0, AI_CANONNAME)[0].canonname, "198.18.0.1");
}

TEST_F(GetaddrinfoTest, NxdomainIsEaiNonameWithTheResolversDetail) {
  start_dns_server();
  try {
    getaddrinfo(a, "nope.ustack.test", 80);
    ADD_FAILURE() << "no error";
  } catch (const OSError& e) {
    EXPECT_EQ(e.errno_value(), -2);
    EXPECT_TRUE(e.is_gai());
    EXPECT_THAT(e.what(), HasSubstr("[Errno -2] Name or service not known"));
    EXPECT_THAT(e.what(), HasSubstr("NXDOMAIN from 198.18.0.1"));
  }
}

TEST_F(GetaddrinfoTest, SilentServerTimesOutInVirtualTime) {
  // Something holds b's port 53 but never answers: the resolver's tries time out (5 s, then
  // 10 s) instead of an ICMP port unreachable ending them at once.
  ustack::UdpLayer& udp = b.parts().udp;
  ustack::SocketHandle h = udp.open(ustack::IpVersion::kV4);
  ASSERT_FALSE(udp.bind(h, *ustack::IpAddr::parse("198.18.0.1"), 53, b.parts().stack));
  const auto wall0 = std::chrono::steady_clock::now();
  const auto t0 = lab.runtime().now();
  try {
    getaddrinfo(a, "www.ustack.test", 80);
    ADD_FAILURE() << "no error";
  } catch (const OSError& e) {
    EXPECT_EQ(e.errno_value(), EAI_AGAIN) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("[Errno -3] Temporary failure in name resolution"));
    EXPECT_THAT(e.detail(), ::testing::Not(::testing::IsEmpty()));
  }
  EXPECT_GE(lab.runtime().now() - t0, ustack::Duration::seconds(5));
  EXPECT_GE(a.parts().resolver.counters().timeouts, 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - wall0, std::chrono::seconds(5));
  udp.close(lab.runtime().now(), h, b.parts().stack);
}

TEST_F(GetaddrinfoTest, NoServerAtAllIsEaiAgain) {
  // Nothing on b's port 53: the ICMP port unreachable ends each try at once.
  const auto t0 = lab.runtime().now();
  EXPECT_ERRNO(getaddrinfo(a, "www.ustack.test", 80), EAI_AGAIN);
  EXPECT_LT(lab.runtime().now() - t0, ustack::Duration::seconds(5));
}

TEST_F(GetaddrinfoTest, HostsFileEntriesNeedNoServer) {
  // Every line that lists the name, in file order (RFC 6724 keeps v4 first here too).
  EXPECT_THAT(types(getaddrinfo(a, "files.test", 22, 0, SOCK_STREAM)),
              ElementsAre("(2, 1, 6, '', ('198.18.0.50', 22))",
                          "(10, 1, 6, '', ('fd00:1::50', 22, 0, 0))"));
  // An alias's canonical name is the first name of its line.
  EXPECT_THAT(types(getaddrinfo(a, "filealias", 22, 0, SOCK_STREAM, 0, AI_CANONNAME)),
              ElementsAre("(2, 1, 6, 'files.test', ('198.18.0.50', 22))"));
  EXPECT_EQ(a.parts().resolver.counters().queries_sent, 0u);
  // localhost never leaves the stack either (RFC 6761).
  EXPECT_EQ(getaddrinfo(a, "localhost", 80, AF_INET, SOCK_STREAM)[0].addr,
            sockaddr("127.0.0.1", 80));
}

TEST_F(GetaddrinfoTest, EmptyHostIsCsNullNode) {
  EXPECT_THAT(types(getaddrinfo("", 80, 0, SOCK_STREAM, 0, AI_PASSIVE)),
              ElementsAre("(2, 1, 6, '', ('0.0.0.0', 80))", "(10, 1, 6, '', ('::', 80, 0, 0))"));
  EXPECT_THAT(types(getaddrinfo(a, "", 80, 0, SOCK_STREAM)),
              ElementsAre("(10, 1, 6, '', ('::1', 80, 0, 0))", "(2, 1, 6, '', ('127.0.0.1', 80))"));
  EXPECT_EQ(getaddrinfo("", 0, AF_INET, SOCK_DGRAM, 0, AI_PASSIVE).size(), 1u);
  EXPECT_ERRNO(getaddrinfo("", 80, 0, 0, 0, AI_CANONNAME), EAI_BADFLAGS);
}

TEST_F(GetaddrinfoTest, BadArgumentsGiveGlibcsCodes) {
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", 80, 99), EAI_FAMILY);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", 80, 0, 99), EAI_SOCKTYPE);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", 80, 0, SOCK_RAW), EAI_SOCKTYPE);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", 80, 0, SOCK_STREAM, IPPROTO_UDP), EAI_SOCKTYPE);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", 80, 0, 0, 99), EAI_SERVICE);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", 80, 0, 0, 0, 0x8000), EAI_BADFLAGS);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", 80, AF_INET6, 0, 0, AI_V4MAPPED), EAI_BADFLAGS);
  // Flags are checked first, as glibc.
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", 80, 99, 0, 0, 0x8000), EAI_BADFLAGS);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", 70000), EAI_SERVICE);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", -1), EAI_SERVICE);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", "70000"), EAI_SERVICE);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", "http"), EAI_SERVICE);
  EXPECT_ERRNO(getaddrinfo("127.0.0.1", "http", 0, 0, 0, AI_NUMERICSERV), EAI_NONAME);
  EXPECT_ERRNO(getaddrinfo(a, "www.ustack.test", 80, 0, 0, 0, AI_NUMERICHOST), EAI_NONAME);
  EXPECT_EQ(getaddrinfo("127.0.0.1", "", AF_INET, SOCK_STREAM)[0].addr.port(), 0);
  EXPECT_EQ(getaddrinfo("127.0.0.1", 65535, 0, 0, IPPROTO_TCP).size(), 1u);
  try {
    getaddrinfo("127.0.0.1", 70000);
  } catch (const OSError& e) {
    EXPECT_STREQ(e.what(),
                 "[Errno -8] Servname not supported for ai_socktype: port must be 0-65535");
  }
  // No network was needed for any of these, and none asked DNS.
  EXPECT_EQ(a.parts().resolver.counters().lookups, 0u);
}

TEST_F(GetaddrinfoTest, StoppedLoopIsEintrAndCancelsTheLookup) {
  start_dns_server();
  lab.runtime().stop();
  EXPECT_ERRNO(getaddrinfo(a, "www.ustack.test", 80), EINTR);
  EXPECT_EQ(a.parts().resolver.active_lookups(), 0u);
  EXPECT_EQ(a.parts().resolver.open_sockets(), 0u);
  lab.runtime().reset_stop();
  EXPECT_EQ(getaddrinfo(a, "www.ustack.test", 80).size(), 4u);
}

// Outside the fixture no Network exists: numeric and empty hosts still answer, a name needs one.
TEST(GetaddrinfoWithoutNetwork, NumericHostsNeedNoNetwork) {
  EXPECT_EQ(getaddrinfo("198.18.0.1", 80).size(), 2u);
  EXPECT_EQ(getaddrinfo("", 80, 0, 0, 0, AI_PASSIVE).size(), 4u);
  EXPECT_ERRNO(getaddrinfo("www.ustack.test", 80), ENETDOWN);
}

}  // namespace
}  // namespace usocket
