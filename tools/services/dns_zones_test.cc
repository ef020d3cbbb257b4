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
  // Its $ORIGIN names the zone: nothing outside it is ours (REFUSED).
  ASSERT_EQ(r.zones.zones().size(), 1u);
  EXPECT_EQ(r.zones.zones()[0].origin().to_string(), "zone.test.");
  EXPECT_EQ(r.zones.find(*DnsName::parse("elsewhere.test")), nullptr);
}

DnsMessage query(const char* qname, DnsType type) {
  DnsMessage q;
  q.rd = true;
  q.questions.push_back({*DnsName::parse(qname), type, DnsClass::kIn});
  return q;
}

// `--host-record web.demo.test,... --zone F` with F's $ORIGIN demo.test.: one zone, so the
// file's CNAME www -> web reaches the host record and both names are answered.
TEST(DnsZones, HostRecordJoinsTheZoneFileItIsIn) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/demo.zone";
  std::ofstream(path) << "$ORIGIN demo.test.\n$TTL 600\nwww 60 CNAME web\n";
  DnsZonesResult r = build_dns_zones(
      {"web.demo.test,198.18.9.80,fd00:9::80,120", "x.other.test,198.18.9.81"}, {path});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.records, 4u);
  ASSERT_EQ(r.zones.zones().size(), 2u);
  DnsMessage web = r.zones.answer(query("web.demo.test", DnsType::kA), true);
  EXPECT_EQ(web.rcode, DnsRcode::kNoError);
  ASSERT_EQ(web.answers.size(), 1u);
  EXPECT_EQ(web.answers[0].ttl, 120u);
  DnsMessage www = r.zones.answer(query("www.demo.test", DnsType::kAaaa), true);
  EXPECT_EQ(www.rcode, DnsRcode::kNoError);
  ASSERT_EQ(www.answers.size(), 2u);
  EXPECT_EQ(www.answers[0].type, DnsType::kCname);
  EXPECT_EQ(std::get<DnsAaaa>(www.answers[1].rdata).addr, *Ipv6Addr::parse("fd00:9::80"));
  EXPECT_EQ(r.zones.answer(query("x.other.test", DnsType::kA), true).rcode, DnsRcode::kNoError);
  EXPECT_EQ(r.zones.answer(query("nx.demo.test", DnsType::kA), true).rcode, DnsRcode::kNxDomain);
  EXPECT_EQ(r.zones.answer(query("demo.example", DnsType::kA), true).rcode, DnsRcode::kRefused);
}

}  // namespace
}  // namespace ustack::services
