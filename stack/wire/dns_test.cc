// DNS message parse/emit tests: real dnsmasq answers, round trips, compression, and every
// malformed case with the ParseError it must give (RFC 1035 §4, RFC 6891, RFC 2782, RFC 3597).
#include "stack/wire/dns.h"

#include <gtest/gtest.h>

#include <string>

namespace ustack {
namespace {

// ---------------------------------------------------------------------------------------------
// Real messages. Made by stack/wire/testdata/make_dns_captures.sh: dnsmasq 2.90 in a network
// namespace of its own (dnsp<pid>, lo with 198.18.53.1), started with
//   dnsmasq --no-daemon --port 53 --listen-address 198.18.53.1 --bind-interfaces --no-resolv
//     --no-hosts --addn-hosts=FILE --host-record=www.example.test,198.18.0.9,fd00::9
//     --cname=alias.example.test,www.example.test
//     --txt-record=txt.example.test,"v=spf1 -all","second string"
//     --srv-host=_sip._udp.example.test,sip.example.test,5060,10,20
//     --mx-host=example.test,mail.example.test,10
//     --auth-zone=example.test,198.18.0.0/16,fd00::/64
//     --auth-server=ns1.example.test,198.18.53.1 --auth-soa=2026112501,hostmaster.example.test
// (FILE maps host10.example.test to 198.18.0.10 and fd00::10), queried with
// `dig @198.18.53.1` (BIND 9.18) in the same namespace while `tcpdump -i lo udp port 53` ran;
// `tshark -T fields -e udp.payload` printed the UDP payloads below.
// Frame 1: dig www.example.test A (query, with EDNS cookie option).
constexpr const char* kQueryA =
    "89680120000100000000000103777777076578616d706c650474657374000001000100002904d00000000000"
    "0c000a0008d7e0e2c7634e4888";

// Frame 2: dnsmasq's answer to frame 1.
constexpr const char* kAnswerA =
    "89688500000100010001000103777777076578616d706c6504746573740000010001c00c0001000100000258"
    "0004c6120009076578616d706c6504746573740000020001000002580012036e7331076578616d706c650474"
    "6573740000002904d0000000000000";

// Frame 4: dig www.example.test AAAA -> answer.
constexpr const char* kAnswerAaaa =
    "48728500000100010001000103777777076578616d706c65047465737400001c0001c00c001c000100000258"
    "0010fd000000000000000000000000000009076578616d706c6504746573740000020001000002580012036e"
    "7331076578616d706c6504746573740000002904d0000000000000";

// Frame 6: dig alias.example.test A -> answer.
constexpr const char* kAnswerCnameA =
    "503e8500000100020001000105616c696173076578616d706c6504746573740000010001c00c000500010000"
    "0258001203777777076578616d706c65047465737400c03000010001000002580004c6120009076578616d70"
    "6c6504746573740000020001000002580012036e7331076578616d706c6504746573740000002904d0000000"
    "000000";

// Frame 8: dig txt.example.test TXT -> answer.
constexpr const char* kAnswerTxt =
    "52198500000100010001000103747874076578616d706c6504746573740000100001c00c0010000100000258"
    "001a0b763d73706631202d616c6c0d7365636f6e6420737472696e67076578616d706c650474657374000002"
    "0001000002580012036e7331076578616d706c6504746573740000002904d0000000000000";

// Frame 10: dig _sip._udp.example.test SRV -> answer.
constexpr const char* kAnswerSrv =
    "4efd85000001000100010001045f736970045f756470076578616d706c6504746573740000210001c00c0021"
    "0001000002580018000a001413c403736970076578616d706c65047465737400076578616d706c6504746573"
    "740000020001000002580012036e7331076578616d706c6504746573740000002904d0000000000000";

// Frame 12: dig example.test MX -> answer.
constexpr const char* kAnswerMx =
    "14d885000001000100010001076578616d706c65047465737400000f0001c00c000f0001000002580015000a"
    "046d61696c076578616d706c65047465737400076578616d706c650474657374000002000100000258001203"
    "6e7331076578616d706c6504746573740000002904d0000000000000";

// Frame 14: dig -x 198.18.0.9 -> answer.
constexpr const char* kAnswerPtr =
    "5ed785000001000100010001013901300231380331393807696e2d61646472046172706100000c0001c00c00"
    "0c000100000258001203777777076578616d706c650474657374000231380331393807696e2d616464720461"
    "7270610000020001000002580012036e7331076578616d706c6504746573740000002904d0000000000000";

// Frame 16: dig example.test SOA -> answer.
constexpr const char* kAnswerSoa =
    "8bcb85000001000100010001076578616d706c6504746573740000060001076578616d706c65047465737400"
    "0006000100000258003f036e7331076578616d706c650474657374000a686f73746d6173746572076578616d"
    "706c6504746573740078c405f5000004b0000000b40012750000000258c01e00020001000002580012036e73"
    "31076578616d706c6504746573740000002904d0000000000000";

// Frame 18: dig example.test NS -> answer.
constexpr const char* kAnswerNs =
    "bb5185000001000100000001076578616d706c6504746573740000020001076578616d706c65047465737400"
    "00020001000002580012036e7331076578616d706c6504746573740000002904d0000000000000";

// Frame 20: dig nothere.example.test A -> answer.
constexpr const char* kAnswerNxdomain =
    "701285030001000000010001076e6f7468657265076578616d706c6504746573740000010001076578616d70"
    "6c650474657374000006000100000258003f036e7331076578616d706c650474657374000a686f73746d6173"
    "746572076578616d706c6504746573740078c405f5000004b0000000b4001275000000025800002904d00000"
    "00000000";

// Frame 24: dig +noedns www.example.test A -> answer.
constexpr const char* kAnswerANoEdns =
    "6d2d8500000100010001000003777777076578616d706c6504746573740000010001c00c0001000100000258"
    "0004c6120009076578616d706c6504746573740000020001000002580012036e7331076578616d706c650474"
    "65737400";

DnsMessage parse_hex(const char* hex) {
  ByteVec bytes = from_hex(hex);
  auto m = DnsMessage::parse(bytes);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : to_string(m.error())) << " in " << hex;
  return m.ok() ? *m : DnsMessage{};
}

DnsName name(std::string_view text) {
  auto n = DnsName::parse(text);
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? *n : DnsName{};
}

// parse(emit(m)) must give m back.
void expect_round_trip(const DnsMessage& m) {
  ByteVec bytes = m.to_bytes();
  ASSERT_FALSE(bytes.empty()) << m.to_verbose_string();
  auto again = DnsMessage::parse(bytes);
  ASSERT_TRUE(again.ok()) << to_string(again.error()) << " for " << to_hex(bytes);
  EXPECT_EQ(*again, m) << "sent:\n"
                       << m.to_verbose_string() << "got:\n"
                       << again->to_verbose_string();
}

TEST(DnsRealMessages, DigQueryHasQuestionFlagsAndCookieOption) {
  DnsMessage q = parse_hex(kQueryA);
  EXPECT_EQ(q.id, 0x8968);
  EXPECT_FALSE(q.qr);
  EXPECT_TRUE(q.rd);
  EXPECT_TRUE(q.ad);  // dig sets AD in queries (RFC 6840 §5.7)
  ASSERT_EQ(q.questions.size(), 1u);
  EXPECT_EQ(q.questions[0], (DnsQuestion{name("www.example.test."), DnsType::kA, DnsClass::kIn}));
  ASSERT_TRUE(q.edns.has_value());
  EXPECT_EQ(q.edns->udp_payload_size, 1232);
  ASSERT_EQ(q.edns->options.size(), 1u);
  EXPECT_EQ(q.edns->options[0].code, 10);  // COOKIE (RFC 7873), client cookie only
  EXPECT_EQ(q.edns->options[0].data.size(), 8u);
  EXPECT_EQ(q.to_string(), "id 0x8968 rd ad A? www.example.test. edns udp=1232");
}

TEST(DnsRealMessages, AnswerWithCompressedOwnerNameAndAuthorityNs) {
  DnsMessage m = parse_hex(kAnswerA);
  EXPECT_TRUE(m.qr);
  EXPECT_TRUE(m.aa);
  EXPECT_FALSE(m.ra);
  EXPECT_EQ(m.rcode, DnsRcode::kNoError);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].to_string(), "www.example.test. 600 IN A 198.18.0.9");
  ASSERT_EQ(m.authorities.size(), 1u);
  EXPECT_EQ(m.authorities[0].to_string(), "example.test. 600 IN NS ns1.example.test.");
  EXPECT_TRUE(m.additionals.empty());
  ASSERT_TRUE(m.edns.has_value());
  EXPECT_TRUE(m.edns->options.empty());
  EXPECT_EQ(m.to_string(),
            "id 0x8968 qr aa rd A? www.example.test. / A 198.18.0.9 ns 1 edns udp=1232");
}

TEST(DnsRealMessages, AaaaAnswer) {
  DnsMessage m = parse_hex(kAnswerAaaa);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].rdata, DnsRdata(DnsAaaa{*Ipv6Addr::parse("fd00::9")}));
  EXPECT_EQ(m.answers[0].to_string(), "www.example.test. 600 IN AAAA fd00::9");
}

TEST(DnsRealMessages, CnameChainAnswer) {
  DnsMessage m = parse_hex(kAnswerCnameA);
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(m.answers[0].to_string(), "alias.example.test. 600 IN CNAME www.example.test.");
  EXPECT_EQ(m.answers[1].to_string(), "www.example.test. 600 IN A 198.18.0.9");
  EXPECT_EQ(m.to_string(),
            "id 0x503e qr aa rd A? alias.example.test. / CNAME www.example.test., A 198.18.0.9 "
            "ns 1 edns udp=1232");
}

TEST(DnsRealMessages, TxtAnswerKeepsBothStrings) {
  DnsMessage m = parse_hex(kAnswerTxt);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].rdata, DnsRdata(DnsTxt{{"v=spf1 -all", "second string"}}));
  EXPECT_EQ(m.answers[0].to_string(),
            "txt.example.test. 600 IN TXT \"v=spf1 -all\" \"second string\"");
}

TEST(DnsRealMessages, SrvAnswer) {
  DnsMessage m = parse_hex(kAnswerSrv);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].rdata, DnsRdata(DnsSrv{10, 20, 5060, name("sip.example.test.")}));
  EXPECT_EQ(m.answers[0].name, name("_sip._udp.example.test."));
}

TEST(DnsRealMessages, MxAnswer) {
  DnsMessage m = parse_hex(kAnswerMx);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].to_string(), "example.test. 600 IN MX 10 mail.example.test.");
}

TEST(DnsRealMessages, PtrAnswerForReverseName) {
  DnsMessage m = parse_hex(kAnswerPtr);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, name("9.0.18.198.in-addr.arpa."));
  EXPECT_EQ(m.questions[0].type, DnsType::kPtr);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].rdata, DnsRdata(DnsPtr{name("www.example.test.")}));
  ASSERT_EQ(m.authorities.size(), 1u);
  EXPECT_EQ(m.authorities[0].name, name("18.198.in-addr.arpa."));
}

TEST(DnsRealMessages, SoaAnswer) {
  DnsMessage m = parse_hex(kAnswerSoa);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].to_string(),
            "example.test. 600 IN SOA ns1.example.test. hostmaster.example.test. 2026112501 1200 "
            "180 1209600 600");
}

TEST(DnsRealMessages, NsAnswer) {
  DnsMessage m = parse_hex(kAnswerNs);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].rdata, DnsRdata(DnsNs{name("ns1.example.test.")}));
  EXPECT_TRUE(m.authorities.empty());
}

TEST(DnsRealMessages, NxdomainCarriesSoaInAuthority) {
  DnsMessage m = parse_hex(kAnswerNxdomain);
  EXPECT_EQ(m.rcode, DnsRcode::kNxDomain);
  EXPECT_TRUE(m.answers.empty());
  ASSERT_EQ(m.authorities.size(), 1u);
  EXPECT_EQ(m.authorities[0].type, DnsType::kSoa);
  EXPECT_EQ(m.to_string(),
            "id 0x7012 qr aa rd NXDOMAIN A? nothere.example.test. ns 1 edns udp=1232");
}

TEST(DnsRealMessages, AnswerWithoutEdns) {
  DnsMessage m = parse_hex(kAnswerANoEdns);
  EXPECT_FALSE(m.edns.has_value());
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].rdata, DnsRdata(DnsA{*Ipv4Addr::parse("198.18.0.9")}));
}

TEST(DnsRealMessages, EveryCapturedMessageRoundTrips) {
  for (const char* hex :
       {kQueryA, kAnswerA, kAnswerAaaa, kAnswerCnameA, kAnswerTxt, kAnswerSrv, kAnswerMx,
        kAnswerPtr, kAnswerSoa, kAnswerNs, kAnswerNxdomain, kAnswerANoEdns}) {
    SCOPED_TRACE(hex);
    DnsMessage m = parse_hex(hex);
    expect_round_trip(m);
    // dnsmasq compresses only the owner names; we also compress names inside RDATA, so our
    // encoding is never longer than the original.
    EXPECT_LE(m.to_bytes().size(), from_hex(hex).size());
  }
}

TEST(DnsRealMessages, VerboseFormListsEverySection) {
  DnsMessage m = parse_hex(kAnswerCnameA);
  EXPECT_EQ(m.to_verbose_string(),
            ";; id 0x503e, opcode QUERY, rcode NOERROR, flags: qr aa rd\n"
            ";; QUESTION: 1, ANSWER: 2, AUTHORITY: 1, ADDITIONAL: 1\n"
            ";; edns udp=1232\n"
            ";; QUESTION SECTION:\n"
            ";alias.example.test. IN A\n"
            ";; ANSWER SECTION:\n"
            "alias.example.test. 600 IN CNAME www.example.test.\n"
            "www.example.test. 600 IN A 198.18.0.9\n"
            ";; AUTHORITY SECTION:\n"
            "example.test. 600 IN NS ns1.example.test.\n");
}

// ---------------------------------------------------------------------------------------------
// Constructed messages: every record type, compression, case, EDNS.

DnsRecord record(std::string_view owner, DnsType type, DnsRdata rdata, std::uint32_t ttl = 300) {
  return DnsRecord{name(owner), type, DnsClass::kIn, ttl, std::move(rdata)};
}

DnsMessage response_with_every_type() {
  DnsMessage m;
  m.id = 0x1234;
  m.qr = true;
  m.rd = true;
  m.ra = true;
  m.questions.push_back({name("example.test."), DnsType::kAny, DnsClass::kIn});
  m.answers = {
      record("example.test.", DnsType::kA, DnsA{*Ipv4Addr::parse("198.18.0.9")}),
      record("example.test.", DnsType::kAaaa, DnsAaaa{*Ipv6Addr::parse("fd00::9")}),
      record("www.example.test.", DnsType::kCname, DnsCname{name("example.test.")}),
      record("example.test.", DnsType::kNs, DnsNs{name("ns1.example.test.")}),
      record("9.0.18.198.in-addr.arpa.", DnsType::kPtr, DnsPtr{name("example.test.")}),
      record("example.test.", DnsType::kMx, DnsMx{10, name("mail.example.test.")}),
      record("example.test.", DnsType::kTxt, DnsTxt{{"one", "", std::string(255, 'x')}}),
      record("_sip._udp.example.test.", DnsType::kSrv,
             DnsSrv{1, 2, 5060, name("sip.example.test.")}),
      record("example.test.", DnsType::kSoa,
             DnsSoa{name("ns1.example.test."), name("hostmaster.example.test."), 1, 2, 3, 4, 5}),
      // RFC 3597: a type we do not know (HTTPS, 65) is carried as opaque RDATA.
      record("example.test.", static_cast<DnsType>(65),
             DnsRawRdata{{0, 1, 0, 0, 1, 0, 3, 'h', '2'}}),
  };
  m.authorities = {record("example.test.", DnsType::kNs, DnsNs{name("ns2.example.test.")})};
  m.additionals = {record("ns2.example.test.", DnsType::kA, DnsA{*Ipv4Addr::parse("198.18.0.2")})};
  m.edns = DnsEdns{4096, 0, true, 0, {{10, {1, 2, 3, 4, 5, 6, 7, 8}}, {12, {}}}};
  return m;
}

TEST(DnsRoundTrip, EveryRecordTypeSurvivesEmitAndParse) {
  expect_round_trip(response_with_every_type());
}

// RFC 1035 §4.1.4: a repeated name becomes a pointer to its first occurrence.
TEST(DnsCompression, RepeatedOwnerNameBecomesPointerToQuestion) {
  DnsMessage m;
  m.qr = true;
  m.questions.push_back({name("www.example.test."), DnsType::kA, DnsClass::kIn});
  m.answers = {record("www.example.test.", DnsType::kA, DnsA{*Ipv4Addr::parse("198.18.0.9")})};
  ByteVec b = m.to_bytes();
  // Header (12) + question name (18) + type/class (4), then the answer's owner: c0 0c.
  ASSERT_EQ(b.size(), 12u + 18 + 4 + 2 + 10 + 4);
  EXPECT_EQ(b[34], 0xc0);
  EXPECT_EQ(b[35], 0x0c);
}

TEST(DnsCompression, SharedSuffixPointsIntoEarlierName) {
  DnsMessage m;
  m.qr = true;
  m.questions.push_back({name("www.example.test."), DnsType::kMx, DnsClass::kIn});
  m.answers = {record("www.example.test.", DnsType::kMx, DnsMx{10, name("mail.example.test.")})};
  ByteVec b = m.to_bytes();
  // The exchange is "mail" + pointer to "example.test." at offset 16 (12 + "\3www").
  const ByteVec tail = from_hex("046d61696c c010");
  ASSERT_GE(b.size(), tail.size());
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), b.end() - tail.size())) << to_hex(b);
  expect_round_trip(m);
}

// RFC 2782: "name compression is not to be used for this field".
TEST(DnsCompression, SrvTargetIsNeverCompressed) {
  DnsMessage m;
  m.qr = true;
  m.questions.push_back({name("sip.example.test."), DnsType::kSrv, DnsClass::kIn});
  m.answers = {
      record("sip.example.test.", DnsType::kSrv, DnsSrv{0, 0, 5060, name("sip.example.test.")})};
  ByteVec b = m.to_bytes();
  ByteVec target = from_hex("03736970076578616d706c650474657374 00");
  EXPECT_TRUE(std::equal(target.begin(), target.end(), b.end() - target.size())) << to_hex(b);
}

TEST(DnsCompression, NamesDifferingOnlyInCaseKeepTheirCase) {
  DnsMessage m;
  m.qr = true;
  m.questions.push_back({name("WWW.Example.TEST."), DnsType::kA, DnsClass::kIn});
  m.answers = {record("www.example.test.", DnsType::kA, DnsA{*Ipv4Addr::parse("198.18.0.9")})};
  expect_round_trip(m);
  EXPECT_TRUE(m.questions[0].name.equals_ignore_case(m.answers[0].name));
  EXPECT_NE(m.questions[0].name, m.answers[0].name);
}

// RFC 3597 §4: A/AAAA/SRV RDATA formats are class-specific; outside IN they stay opaque.
TEST(DnsRoundTrip, ARecordOutsideClassInIsKeptRaw) {
  DnsMessage m;
  m.qr = true;
  m.answers = {DnsRecord{name("x.test."), DnsType::kA, DnsClass::kCh, 0, DnsRawRdata{{1, 2}}}};
  auto again = DnsMessage::parse(m.to_bytes());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->answers[0].rdata, DnsRdata(DnsRawRdata{{1, 2}}));
}

// RFC 6891 §6.1.3: the upper 8 bits of a 12-bit RCODE travel in the OPT record's TTL.
TEST(DnsEdnsTest, ExtendedRcodeSplitsBetweenHeaderAndOpt) {
  DnsMessage m;
  m.qr = true;
  m.rcode = DnsRcode::kBadVers;  // 16: header 0, OPT extended RCODE 1
  m.edns = DnsEdns{1232, 0, false, 0, {}};
  ByteVec b = m.to_bytes();
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b[3] & 0x0f, 0);
  EXPECT_EQ(b[12 + 5], 1);  // root(1) type(2) class(2), then the TTL's first octet
  expect_round_trip(m);
}

TEST(DnsEdnsTest, ExtendedRcodeWithoutEdnsCannotBeEmitted) {
  DnsMessage m;
  m.rcode = DnsRcode::kBadCookie;
  EXPECT_TRUE(m.to_bytes().empty());
}

TEST(DnsEdnsTest, DoBitVersionAndZRoundTrip) {
  DnsMessage m;
  m.questions.push_back({name("example.test."), DnsType::kA, DnsClass::kIn});
  m.edns = DnsEdns{512, 1, true, 0x1234, {{65001, {0xff}}}};
  expect_round_trip(m);
  EXPECT_EQ(m.to_string(), "id 0x0000 A? example.test. edns udp=512 version=1 do z=4660");
}

TEST(DnsEmit, TooSmallBufferReturnsZero) {
  DnsMessage m = response_with_every_type();
  ByteVec full = m.to_bytes();
  ASSERT_FALSE(full.empty());
  ByteVec small(full.size() - 1);
  EXPECT_EQ(m.emit(small), 0u);
  ByteVec exact(full.size());
  EXPECT_EQ(m.emit(exact), full.size());
  EXPECT_EQ(exact, full);
}

TEST(DnsEmit, TxtStringOver255OctetsIsRefused) {
  DnsMessage m;
  m.answers = {record("t.test.", DnsType::kTxt, DnsTxt{{std::string(256, 'x')}})};
  EXPECT_TRUE(m.to_bytes().empty());
}

TEST(DnsEmit, RdataThatDoesNotMatchTypeIsRefused) {
  DnsMessage m;
  m.answers = {record("t.test.", DnsType::kA, DnsMx{1, name("m.test.")})};
  EXPECT_TRUE(m.to_bytes().empty());
}

// ---------------------------------------------------------------------------------------------
// Names.

TEST(DnsNameTest, TextFormRoundTripsWithEscapes) {
  auto n = DnsName::from_labels({"a.b", "c\\d", std::string("\x01 z", 3), "test"});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->to_string(), "a\\.b.c\\\\d.\\001\\032z.test.");
  auto back = DnsName::parse(n->to_string());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *n);
}

TEST(DnsNameTest, RootAndRelativeText) {
  EXPECT_TRUE(name(".").is_root());
  EXPECT_EQ(name(".").to_string(), ".");
  EXPECT_EQ(name("example.test"), name("example.test."));
  EXPECT_EQ(name("example.test").labels().size(), 2u);
}

TEST(DnsNameTest, BadTextIsRejectedWithReason) {
  EXPECT_EQ(DnsName::parse("").error(), ParseError::kBadValue);
  EXPECT_EQ(DnsName::parse("a..b").error(), ParseError::kBadValue);
  EXPECT_EQ(DnsName::parse("a\\25").error(), ParseError::kBadValue);
  EXPECT_EQ(DnsName::parse("a\\256").error(), ParseError::kBadValue);
  EXPECT_EQ(DnsName::parse(std::string(64, 'a') + ".test").error(), ParseError::kLabelTooLong);
  EXPECT_TRUE(DnsName::parse(std::string(63, 'a') + ".test").ok());
}

// RFC 1035 §2.3.4: 255 octets on the wire, length octets and root included.
TEST(DnsNameTest, NameOf255OctetsIsTheLongestAllowed) {
  std::string l63(63, 'a');
  auto max = DnsName::from_labels({l63, l63, l63, std::string(61, 'b')});
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->wire_len(), 255u);
  EXPECT_EQ(DnsName::from_labels({l63, l63, l63, std::string(62, 'b')}).error(),
            ParseError::kNameTooLong);
}

TEST(DnsNameTest, EqualsIgnoreCaseOnlyFoldsAsciiLetters) {
  EXPECT_TRUE(name("WwW.Example.TEST.").equals_ignore_case(name("www.example.test.")));
  EXPECT_FALSE(name("www.example.test.").equals_ignore_case(name("www.example.tes.")));
  EXPECT_FALSE(name("a\\091.").equals_ignore_case(name("a\\123.")));  // '[' vs '{'
}

// ---------------------------------------------------------------------------------------------
// Malformed messages: each is rejected with the reason named.

// A 12-octet header with id 0x1234, no flags and the given counts, followed by `body_hex`.
ByteVec message(std::uint16_t qd, std::uint16_t an, std::uint16_t ns, std::uint16_t ar,
                std::string_view body_hex) {
  ByteVec b(12);
  store_be16(b, 0, 0x1234);
  store_be16(b, 4, qd);
  store_be16(b, 6, an);
  store_be16(b, 8, ns);
  store_be16(b, 10, ar);
  ByteVec body = from_hex(body_hex);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

ParseError parse_error(const ByteVec& b) {
  auto m = DnsMessage::parse(b);
  EXPECT_FALSE(m.ok()) << m->to_verbose_string();
  return m.ok() ? ParseError::kUnsupported : m.error();
}

TEST(DnsMalformed, TruncatedHeader) {
  ByteVec b = message(0, 0, 0, 0, "");
  b.pop_back();
  EXPECT_EQ(parse_error(b), ParseError::kTruncated);
  EXPECT_EQ(parse_error({}), ParseError::kTruncated);
}

TEST(DnsMalformed, EmptyMessageWithHeaderOnlyIsValid) {
  EXPECT_TRUE(DnsMessage::parse(message(0, 0, 0, 0, "")).ok());
}

TEST(DnsMalformed, TruncatedName) {
  // Label length 7, only 5 octets follow.
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, "07 6578616d70")), ParseError::kTruncated);
  // Name ends without its root octet.
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, "04 74657374")), ParseError::kTruncated);
  // Only the first octet of a pointer.
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, "01 61 01 62 c0")), ParseError::kTruncated);
}

TEST(DnsMalformed, TruncatedQuestionTypeAndClass) {
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, "01 61 00 0001 00")), ParseError::kTruncated);
}

TEST(DnsMalformed, PointerToItself) {
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, "c00c 0001 0001")), ParseError::kPointerLoop);
}

TEST(DnsMalformed, PointerLoopThroughLabels) {
  // Offset 12: "a" then a pointer to 16; offset 16: a pointer back to 12.
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, "01 61 c010 c00c 0001")), ParseError::kPointerLoop);
}

TEST(DnsMalformed, PointerPastTheEndOfTheMessage) {
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, "c0ff 0001 0001")), ParseError::kPointerLoop);
}

TEST(DnsMalformed, TooManyPointerJumps) {
  // The question name is a pointer to a chain of 70 pointers, each to the next; the last one
  // points at a root octet. There is no loop, but more than kMaxPointerJumps jumps.
  std::string body = "c012 0001 0001";  // name at 12 points to 18
  constexpr int kChain = 70;
  for (int i = 0; i < kChain; ++i) {
    const int next = 18 + 2 * (i + 1);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04x", 0xc000 | next);
    body += buf;
  }
  body += "00";
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, body)), ParseError::kPointerLoop);
}

TEST(DnsMalformed, ForwardPointerInsideMessageIsAccepted) {
  // The question name points forward to "foo." stored after the question (trailing octets).
  auto m = DnsMessage::parse(message(1, 0, 0, 0, "c012 0001 0001 03666f6f 00"));
  ASSERT_TRUE(m.ok()) << to_string(m.error());
  EXPECT_EQ(m->questions[0].name, name("foo."));
}

TEST(DnsMalformed, LabelOf64Octets) {
  std::string body = "40" + std::string(128, '6') + "00 0001 0001";
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, body)), ParseError::kLabelTooLong);
}

TEST(DnsMalformed, ObsoleteExtendedLabelTypeReadsAsTooLong) {
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, "8001 00 0001 0001")), ParseError::kLabelTooLong);
}

TEST(DnsMalformed, NameLongerThan255Octets) {
  std::string label63 = "3f" + std::string(126, '6');
  std::string body = label63 + label63 + label63 + label63 + "00 0001 0001";
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, body)), ParseError::kNameTooLong);
}

TEST(DnsMalformed, NameLongerThan255OctetsThroughPointers) {
  // Offsets 12 and 76: two 63-octet labels; 140: a pointer to 146; 142: type and class;
  // 146 and 210: two more 63-octet labels and the root. 4 * 64 + 1 = 257 octets.
  std::string label63 = "3f" + std::string(126, '6');
  std::string body = label63 + label63 + "c092 0001 0001" + label63 + label63 + "00";
  EXPECT_EQ(parse_error(message(1, 0, 0, 0, body)), ParseError::kNameTooLong);
}

TEST(DnsMalformed, RdlengthRunsPastTheEnd) {
  // Answer "a." A IN ttl 0, RDLENGTH 10 but only 4 octets of RDATA.
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "0161 00 0001 0001 00000000 000a c6120009")),
            ParseError::kTruncated);
}

TEST(DnsMalformed, TruncatedRecordFixedFields) {
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "0161 00 0001 0001 00000000 00")),
            ParseError::kTruncated);
}

TEST(DnsMalformed, ARecordWithFiveOctets) {
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "0161 00 0001 0001 00000000 0005 c612000901")),
            ParseError::kBadLength);
}

TEST(DnsMalformed, AaaaRecordWithFourOctets) {
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "0161 00 001c 0001 00000000 0004 c6120009")),
            ParseError::kBadLength);
}

TEST(DnsMalformed, CnameNameShorterThanRdlength) {
  // RDLENGTH 4 but the name "b." takes 3.
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "0161 00 0005 0001 00000000 0004 016200 ff")),
            ParseError::kBadLength);
}

TEST(DnsMalformed, CnameNameLongerThanRdlength) {
  // RDLENGTH 2 but the name "b." takes 3 (the message goes on, so it is not truncated).
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "0161 00 0005 0001 00000000 0002 016200 ff")),
            ParseError::kBadLength);
}

TEST(DnsMalformed, TxtStringRunsPastRdlength) {
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "0161 00 0010 0001 00000000 0003 05616263")),
            ParseError::kBadLength);
}

TEST(DnsMalformed, SoaWithoutAllFixedFields) {
  // mname "a.", rname "b.", then 19 octets instead of 20.
  std::string body = "0161 00 0006 0001 00000000 0019 016100 016200" + std::string(38, '0');
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, body)), ParseError::kBadLength);
}

TEST(DnsMalformed, MxWithoutExchange) {
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "0161 00 000f 0001 00000000 0002 000a 00")),
            ParseError::kBadLength);
}

// RFC 2782: priority, weight and port (6 octets) come before the target name.
TEST(DnsMalformed, SrvWithoutTarget) {
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "0161 00 0021 0001 00000000 0006 000a 0005 0050")),
            ParseError::kBadLength);
}

TEST(DnsMalformed, CountsLargerThanTheDataCouldHold) {
  // 1000 answers cannot fit in 20 octets (each takes at least 11).
  EXPECT_EQ(parse_error(message(0, 1000, 0, 0, "0161 00 0001 0001 00000000 0000")),
            ParseError::kTooManyRecords);
  EXPECT_EQ(parse_error(message(0xffff, 0xffff, 0xffff, 0xffff, "")), ParseError::kTooManyRecords);
}

TEST(DnsMalformed, CountOneMoreThanTheRecordsPresent) {
  // Two answers announced, one present, the rest of the message is too short for the second.
  EXPECT_EQ(parse_error(message(0, 2, 0, 0,
                                "0161 00 0001 0001 00000000 0004 c6120009"
                                "0161 00 0001 0001 0000")),
            ParseError::kTruncated);
}

// RFC 6891 §6.1.1: at most one OPT, only in the additional section, owned by the root.
TEST(DnsMalformed, SecondOptRecord) {
  EXPECT_EQ(
      parse_error(message(0, 0, 0, 2, "00 0029 04d0 00000000 0000 00 0029 04d0 00000000 0000")),
      ParseError::kBadValue);
}

TEST(DnsMalformed, OptInAnswerSection) {
  EXPECT_EQ(parse_error(message(0, 1, 0, 0, "00 0029 04d0 00000000 0000")), ParseError::kBadValue);
}

TEST(DnsMalformed, OptNotOwnedByRoot) {
  EXPECT_EQ(parse_error(message(0, 0, 0, 1, "0161 00 0029 04d0 00000000 0000")),
            ParseError::kBadValue);
}

TEST(DnsMalformed, EdnsOptionRunsPastRdata) {
  EXPECT_EQ(parse_error(message(0, 0, 0, 1, "00 0029 04d0 00000000 0006 000a 0008 0102")),
            ParseError::kBadOption);
}

// RFC 6891 §6.1.2: each option starts with a 4-octet code and length; 2 octets cannot hold one.
TEST(DnsMalformed, EdnsOptionHeaderCutShort) {
  EXPECT_EQ(parse_error(message(0, 0, 0, 1, "00 0029 04d0 00000000 0002 000a")),
            ParseError::kBadOption);
}

TEST(DnsMalformed, EveryPrefixOfARealAnswerIsRejectedCleanly) {
  ByteVec full = from_hex(kAnswerSoa);
  for (std::size_t len = 0; len < full.size(); ++len) {
    auto m = DnsMessage::parse(Bytes(full).first(len));
    EXPECT_FALSE(m.ok()) << "prefix of " << len << " octets parsed";
  }
}

}  // namespace
}  // namespace ustack
