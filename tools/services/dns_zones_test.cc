// The zones of `serve dns:PORT`: host records grouped by parent, zone files, errors named.
#include "tools/services/dns_zones.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace ustack::services {
namespace {

TEST(DnsZones, HostRecordsShareTheirParentsZone) {
  DnsZonesResult r = build_dns_zones({"web.ustack.test,198.18.0.80,fd00:1::80",
                                      "db.ustack.test,198.18.0.81,600", "x.other.test,198.18.0.9"},
                                     {});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.records, 4u);
  ASSERT_EQ(r.zones.zones().size(), 2u);
  const DnsZone* z = r.zones.find(*DnsName::parse("nope.ustack.test"));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->origin().to_string(), "ustack.test.");
  EXPECT_EQ(r.zones.find(*DnsName::parse("elsewhere.test")), nullptr);
}

TEST(DnsZones, BadHostRecordsAreNamed) {
  EXPECT_EQ(build_dns_zones({"web.ustack.test"}, {}).error,
            "--host-record web.ustack.test: expected NAME,ADDR[,ADDR...][,TTL]");
  EXPECT_EQ(build_dns_zones({"web.ustack.test,198.18.0.300"}, {}).error,
            "--host-record web.ustack.test,198.18.0.300: bad address '198.18.0.300'");
  EXPECT_EQ(build_dns_zones({"a..b,198.18.0.1"}, {}).error,
            "--host-record a..b,198.18.0.1: bad name (want NAME,ADDR[,ADDR...][,TTL])");
}

TEST(DnsZones, ZoneFileIsRead) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/zone";
  std::ofstream(path) << "$ORIGIN zone.test.\n$TTL 60\nwww A 198.18.0.5\nalias CNAME www\n";
  DnsZonesResult r = build_dns_zones({}, {path});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.records, 2u);
  EXPECT_NE(r.zones.find(*DnsName::parse("www.zone.test")), nullptr);
  EXPECT_EQ(build_dns_zones({}, {"/no/such/zone"}).error, "--zone /no/such/zone: cannot read");
}

}  // namespace
}  // namespace ustack::services
