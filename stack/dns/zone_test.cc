// The authoritative answer logic (RFC 1034 §4.3.2, RFC 2308 negative answers, RFC 6891 and
// RFC 1035 §4.2.1 size limits) and the zone-file subset.
#include "stack/dns/zone.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

DnsName name(const char* s) { return *DnsName::parse(s); }

DnsMessage query(const char* qname, DnsType type, bool edns = true) {
  DnsMessage q;
  q.id = 0x1234;
  q.rd = true;
  q.questions.push_back({name(qname), type, DnsClass::kIn});
  if (edns) q.edns = DnsEdns{};
  return q;
}

DnsZoneSet example_zone() {
  auto p = parse_zone_file(
      "$TTL 120\n"
      "www      IN A     198.18.0.9\n"
      "www      300 AAAA fd00:1::9\n"
      "alias    CNAME    www\n"
      "alias2   CNAME    alias.example.test.\n"
      "away     CNAME    www.elsewhere.test.\n"
      "text     TXT      \"hello world\" bare\n"
      "a.b.deep A        198.18.0.10\n",
      "example.test.");
  EXPECT_TRUE(p.warnings.empty()) << p.warnings[0];
  DnsZoneSet set;
  set.add(std::move(*p.zone));
  return set;
}

TEST(Zone, AnswersAWithAa) {
  auto r = example_zone().answer(query("WWW.example.test", DnsType::kA), true);
  EXPECT_TRUE(r.qr);
  EXPECT_TRUE(r.aa);
  EXPECT_EQ(r.id, 0x1234);
  EXPECT_EQ(r.rcode, DnsRcode::kNoError);
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(r.answers[0].ttl, 120u);
  EXPECT_EQ(std::get<DnsA>(r.answers[0].rdata).addr, *Ipv4Addr::parse("198.18.0.9"));
  EXPECT_TRUE(r.edns);
}

// RFC 1034 §4.3.2 step 3a: CNAMEs inside the zone are followed in the same answer.
TEST(Zone, ChasesCnameChainInsideZone) {
  auto r = example_zone().answer(query("alias2.example.test", DnsType::kAaaa), true);
  ASSERT_EQ(r.answers.size(), 3u);
  EXPECT_EQ(r.answers[0].type, DnsType::kCname);
  EXPECT_EQ(r.answers[1].type, DnsType::kCname);
  EXPECT_EQ(r.answers[2].type, DnsType::kAaaa);
  EXPECT_EQ(r.answers[2].ttl, 300u);
}

TEST(Zone, CnameOutOfZoneAnsweredAlone) {
  auto r = example_zone().answer(query("away.example.test", DnsType::kA), true);
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(r.answers[0].type, DnsType::kCname);
  EXPECT_TRUE(r.authorities.empty());
}

// RFC 2308 §2.1: NXDOMAIN with the SOA in the authority section.
TEST(Zone, UnknownNameIsNxdomainWithSoa) {
  auto r = example_zone().answer(query("nope.example.test", DnsType::kA), true);
  EXPECT_EQ(r.rcode, DnsRcode::kNxDomain);
  EXPECT_TRUE(r.answers.empty());
  ASSERT_EQ(r.authorities.size(), 1u);
  EXPECT_EQ(r.authorities[0].type, DnsType::kSoa);
}

// RFC 2308 §2.2: NODATA for a name without that type, and for an empty non-terminal.
TEST(Zone, KnownNameWithoutTypeIsNodata) {
  auto r = example_zone().answer(query("text.example.test", DnsType::kA), true);
  EXPECT_EQ(r.rcode, DnsRcode::kNoError);
  EXPECT_TRUE(r.answers.empty());
  ASSERT_EQ(r.authorities.size(), 1u);
  r = example_zone().answer(query("b.deep.example.test", DnsType::kA), true);
  EXPECT_EQ(r.rcode, DnsRcode::kNoError);
  EXPECT_EQ(r.authorities.size(), 1u);
}

TEST(Zone, OutsideEveryZoneIsRefused) {
  auto r = example_zone().answer(query("www.other.test", DnsType::kA), true);
  EXPECT_EQ(r.rcode, DnsRcode::kRefused);
  EXPECT_FALSE(r.aa);
}

TEST(Zone, TxtWithQuotedStrings) {
  auto r = example_zone().answer(query("text.example.test", DnsType::kTxt), true);
  ASSERT_EQ(r.answers.size(), 1u);
  EXPECT_EQ(std::get<DnsTxt>(r.answers[0].rdata).strings,
            (std::vector<std::string>{"hello world", "bare"}));
}

// RFC 1035 §4.2.1 / RFC 6891 §6.2.5: too big for the requester's size → TC, sections emptied;
// over TCP the whole answer.
TEST(Zone, TruncatedToRequesterSize) {
  DnsZone zone(name("example.test"));
  for (int i = 1; i <= 100; ++i) {
    ASSERT_FALSE(zone.add_host_record("many.example.test,10.0.0." + std::to_string(i)));
  }
  DnsZoneSet set;
  set.add(std::move(zone));
  auto udp = set.answer(query("many.example.test", DnsType::kA, false), true);
  EXPECT_TRUE(udp.tc);
  EXPECT_TRUE(udp.answers.empty());
  EXPECT_LE(udp.to_bytes().size(), 512u);
  auto tcp = set.answer(query("many.example.test", DnsType::kA, false), false);
  EXPECT_FALSE(tcp.tc);
  EXPECT_EQ(tcp.answers.size(), 100u);
}

TEST(Zone, HostRecordSpec) {
  DnsZone zone(name("example.test"));
  EXPECT_FALSE(zone.add_host_record("h.example.test,198.18.0.5,fd00::5,30"));
  EXPECT_EQ(zone.size(), 2u);
  EXPECT_TRUE(zone.add_host_record("h.example.test"));
  EXPECT_TRUE(zone.add_host_record("h.example.test,bogus"));
  EXPECT_TRUE(zone.add_host_record("h.other.test,198.18.0.5"));
  EXPECT_EQ(zone.size(), 2u);
}

TEST(Zone, ZoneFileWarnings) {
  auto p = parse_zone_file("www A 300.1.1.1\nx MX 10 mail\n$INCLUDE f\nout.test. A 1.2.3.4\n",
                           "example.test");
  EXPECT_EQ(p.warnings.size(), 4u);
  EXPECT_EQ(p.zone->size(), 0u);
}

// Given the root, the file's $ORIGIN (before any record) names the zone: outside it, REFUSED.
TEST(Zone, ZoneFileNamesItsZoneWhenOriginIsRoot) {
  auto p = parse_zone_file("$ORIGIN demo.test.\n$TTL 60\nwww CNAME web\nweb A 198.18.9.80\n", ".");
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.zone->origin().to_string(), "demo.test.");
  DnsZoneSet set;
  set.add(std::move(*p.zone));
  EXPECT_EQ(set.answer(query("www.demo.test", DnsType::kA), true).answers.size(), 2u);
  EXPECT_EQ(set.answer(query("nx.demo.test", DnsType::kA), true).rcode, DnsRcode::kNxDomain);
  EXPECT_EQ(set.answer(query("other.test", DnsType::kA), true).rcode, DnsRcode::kRefused);

  // Relative to the root, like the names after it.
  EXPECT_EQ(parse_zone_file("$ORIGIN demo.test\nweb A 1.2.3.4\n", ".").zone->origin().to_string(),
            "demo.test.");
  // After the first record, $ORIGIN only changes how names are completed.
  auto late = parse_zone_file("a.test. A 1.2.3.4\n$ORIGIN demo.test.\nweb A 1.2.3.5\n", ".");
  EXPECT_TRUE(late.zone->origin().is_root());
  EXPECT_EQ(late.zone->size(), 2u);
  // A zone given by the caller keeps its origin.
  auto given = parse_zone_file("$ORIGIN sub.example.test.\nweb A 1.2.3.4\n", "example.test.");
  EXPECT_EQ(given.zone->origin().to_string(), "example.test.");
  EXPECT_EQ(given.zone->size(), 1u);
}

TEST(Zone, NonQueryOpcodeNotImp) {
  auto q = query("www.example.test", DnsType::kA);
  q.opcode = DnsOpcode::kUpdate;
  EXPECT_EQ(example_zone().answer(q, true).rcode, DnsRcode::kNotImp);
}

}  // namespace
}  // namespace ustack
