// hosts(5) parsing and lookup, as glibc's files backend does it for getaddrinfo.
#include "stack/dns/hosts.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

const char kHosts[] =
    "# static table\n"
    "127.0.0.1\tlocalhost\n"
    "198.18.0.9  www.example.test www  web   # the web server\n"
    "fd00:1::9   www.example.test\n"
    "198.18.0.10 Mail.Example.Test\n"
    "198.18.0.9  www.example.test\n"  // duplicate: kept once
    "not-an-address foo\n"
    "198.18.0.11\n";

TEST(Hosts, MultipleNamesPerLineAndAliases) {
  auto p = HostsTable::parse(kHosts);
  auto m = p.table.lookup("web");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->canonical, "www.example.test");
  EXPECT_EQ(m->addrs, std::vector{ip("198.18.0.9")});  // only line 3 lists "web"
}

TEST(Hosts, V4AndV6InFileOrderWithoutDuplicates) {
  auto p = HostsTable::parse(kHosts);
  auto m = p.table.lookup("www.example.test");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->addrs, (std::vector{ip("198.18.0.9"), ip("fd00:1::9")}));
}

// RFC 4343: names compare without ASCII case; a trailing dot means the same name.
TEST(Hosts, CaseInsensitiveAndTrailingDot) {
  auto p = HostsTable::parse(kHosts);
  auto m = p.table.lookup("MAIL.example.TEST.");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->canonical, "Mail.Example.Test");
  EXPECT_EQ(m->addrs, std::vector{ip("198.18.0.10")});
}

TEST(Hosts, UnknownNameIsNotFound) {
  auto p = HostsTable::parse(kHosts);
  EXPECT_FALSE(p.table.lookup("nope.example.test"));
  EXPECT_FALSE(p.table.lookup(""));
}

TEST(Hosts, GarbageLinesWarn) {
  auto p = HostsTable::parse(kHosts);
  ASSERT_EQ(p.warnings.size(), 2u);
  EXPECT_NE(p.warnings[0].find("line 7"), std::string::npos);
  EXPECT_NE(p.warnings[1].find("line 8"), std::string::npos);
}

}  // namespace
}  // namespace ustack
