// MLD messages (RFC 2710, RFC 3810 §5): the Linux kernel's MLDv2 report (the one ipv6_test
// walks, captured on a veth at link up: its solicited-node groups, CHANGE_TO_EXCLUDE), hand-made
// queries (checksums over the pseudo header worked out by hand with RFC 1071), round trips,
// malformed input. emit_vs_tshark_test (//pcap_tests) has Wireshark read what emit() writes.
#include "stack/wire/mld.h"

#include <gtest/gtest.h>

#include <vector>

namespace ustack {
namespace {

using namespace literals;

Ipv6Addr addr(const char* s) { return *Ipv6Addr::parse(s); }

// The ICMPv6 part of ipv6_test's kKernelMldReport (after the 40-byte header and the 8-byte
// Hop-by-Hop Router Alert), from fe80::f8ae:87ff:fe6b:b83a to ff02::16.
const ByteVec kKernelReport = from_hex(
    "8f007ef300000002"
    "04000000ff0200000000000000000001ff6bb83a"
    "04000000ff0200000000000000000001ff000001");
const Ipv6Addr kKernelSrc = addr("fe80::f8ae:87ff:fe6b:b83a");
const Ipv6Addr kMldv2Routers = addr("ff02::16");
const Ipv6Addr kRouter = addr("fe80::1");
const Ipv6Addr kGroup = addr("ff05::1:3");

ByteVec emit(const MldRepr& r, const Ipv6Addr& src, const Ipv6Addr& dst) {
  ByteVec out(r.buffer_len());
  r.emit(out, src, dst);
  return out;
}

TEST(MldKernel, ParsesTheKernelsV2Report) {
  auto r = MldRepr::parse(kKernelReport, kKernelSrc, kMldv2Routers);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->type, Icmpv6Type::kMldv2Report);
  ASSERT_EQ(r->num_records, 2);
  EXPECT_EQ(r->record(0).type, MldRecordType::kChangeToExclude);
  EXPECT_EQ(r->record(0).group, addr("ff02::1:ff6b:b83a"));
  EXPECT_EQ(r->record(0).num_sources, 0);
  EXPECT_EQ(r->record(1).group, addr("ff02::1:ff00:1"));
  EXPECT_TRUE(r->extra.empty());
  EXPECT_EQ(emit(*r, kKernelSrc, kMldv2Routers), kKernelReport);
  EXPECT_EQ(r->to_string(),
            "multicast listener report v2, 2 group record(s) [gaddr ff02::1:ff6b:b83a to_ex { }] "
            "[gaddr ff02::1:ff00:1 to_ex { }]");
}

TEST(MldKernel, VerboseListsTheRecords) {
  auto r = MldRepr::parse(kKernelReport, kKernelSrc, kMldv2Routers);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->to_verbose_string(),
            "MLDv2 report (ICMPv6 type 143, code 0)\n  multicast address records: 2\n"
            "  record 1: CHANGE_TO_EXCLUDE_MODE (4) ff02::1:ff6b:b83a, 0 source(s)\n"
            "  record 2: CHANGE_TO_EXCLUDE_MODE (4) ff02::1:ff00:1, 0 source(s)\n");
}

// What the stack sends on a join (RFC 3810 §6.1): CHANGE_TO_EXCLUDE records with no sources,
// laid out by MldAddressRecord::emit; the same bytes as the kernel's.
TEST(MldEmit, V2ReportFromRecordsIsTheKernels) {
  ByteVec records(2 * MldAddressRecord::kFixedLen);
  MldAddressRecord a{MldRecordType::kChangeToExclude, addr("ff02::1:ff6b:b83a")};
  MldAddressRecord b{MldRecordType::kChangeToExclude, addr("ff02::1:ff00:1")};
  a.emit(records);
  b.emit(MutBytes(records).subspan(MldAddressRecord::kFixedLen));
  EXPECT_EQ(emit(MldRepr::v2_report(records, 2), kKernelSrc, kMldv2Routers), kKernelReport);
}

// RFC 3810 §5.1: a 28-byte General Query, Maximum Response Code 10000 ms, QRV 2, QQIC 125.
TEST(MldParse, V2GeneralQuery) {
  const ByteVec q = from_hex("820056962710000000000000000000000000000000000000027d0000");
  auto r = MldRepr::parse(q, kRouter, Ipv6Addr::all_nodes());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->is_v2_query());
  EXPECT_TRUE(r->group.is_unspecified());
  EXPECT_EQ(r->max_resp_delay(), 10_s);
  EXPECT_EQ(r->qrv, 2);
  EXPECT_EQ(r->qqic, 125);
  MldRepr built = MldRepr::v2_query(Ipv6Addr::any(), 10_s);
  built.qrv = 2;
  built.qqic = 125;
  EXPECT_EQ(emit(built, kRouter, Ipv6Addr::all_nodes()), q);
  EXPECT_EQ(r->to_string(), "multicast listener query v2 [max resp delay=10000] [gaddr ::]");
}

// RFC 2710 §3.4: a 24-byte query is MLDv1 (RFC 3810 §8.1), its delay in milliseconds.
TEST(MldParse, V1Query) {
  const ByteVec q = from_hex("820059172710000000000000000000000000000000000000");
  auto r = MldRepr::parse(q, kRouter, Ipv6Addr::all_nodes());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->is_v1_query());
  EXPECT_EQ(r->max_resp_delay(), 10_s);
  EXPECT_EQ(emit(MldRepr::v1_query(Ipv6Addr::any(), 10000), kRouter, Ipv6Addr::all_nodes()), q);
}

// RFC 3810 §5.1.3: a code from 32768 is exponential: 0x9000 → (0 | 0x1000) << 4 = 65536 ms;
// a multicast-address-and-source-specific query lists its sources.
TEST(MldParse, V2QueryExponentialCodeAndSources) {
  const ByteVec q = from_hex(
      "8200f18190000000ff050000000000000000000000010003027d0001fd000001000000000000000000000001");
  auto r = MldRepr::parse(q, kRouter, kGroup);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->max_resp_delay(), 65536_ms);
  EXPECT_EQ(r->group, kGroup);
  ASSERT_EQ(r->num_sources, 1);
  EXPECT_EQ(Ipv6Addr::from_bytes(r->sources), addr("fd00:1::1"));
  EXPECT_EQ(emit(*r, kRouter, kGroup), q);
  EXPECT_EQ(MldRepr::v2_query(kGroup, 65536_ms).max_resp_code, 0x9000);
  EXPECT_EQ(r->to_verbose_string(),
            "MLDv2 query (ICMPv6 type 130, code 0)\n"
            "  maximum response code: 36864 (65536 ms)\n  multicast address: ff05::1:3\n"
            "  suppress router-side processing (S): 0\n  qrv: 2\n  qqic: 125\n"
            "  sources: 1: fd00:1::1\n");
}

// RFC 2710 §3: the v1 report goes to the group, the done to all-routers (ff02::2).
TEST(MldEmit, V1ReportAndDoneBytes) {
  const Ipv6Addr host = addr("fe80::2");
  EXPECT_EQ(emit(MldRepr::v1_report(kGroup), host, kGroup),
            from_hex("8300801600000000ff050000000000000000000000010003"));
  EXPECT_EQ(emit(MldRepr::done(kGroup), host, Ipv6Addr::all_routers()),
            from_hex("84007f1b00000000ff050000000000000000000000010003"));
}

TEST(MldEmit, MaxRespCodeRoundTripsAcrossTheRange) {
  for (std::int64_t ms : {0, 1, 32767, 32768, 65536, 100000, 1000000, 8387584}) {
    MldRepr q = MldRepr::v2_query(Ipv6Addr::any(), Duration::millis(ms));
    auto back =
        MldRepr::parse(emit(q, kRouter, Ipv6Addr::all_nodes()), kRouter, Ipv6Addr::all_nodes());
    ASSERT_TRUE(back.ok());
    // Exact below 32768 ms; the exponential form keeps 13 significant bits.
    EXPECT_LE(back->max_resp_delay(), Duration::millis(ms));
    EXPECT_GE(back->max_resp_delay() * 1025, Duration::millis(ms) * 1024) << ms;
  }
}

TEST(MldMalformed, QueryOf25To27BytesIsBadLength) {
  ByteVec q = from_hex("820056962710000000000000000000000000000000000000027d0000");
  for (std::size_t n = 25; n < 28; ++n) {
    EXPECT_EQ(
        MldRepr::parse(Bytes(q).first(n), kRouter, Ipv6Addr::all_nodes(), ChecksumCheck::kSkip)
            .error(),
        ParseError::kBadLength);
  }
}

TEST(MldMalformed, CutShortIsTruncated) {
  for (std::size_t n = 1; n < kKernelReport.size(); ++n) {
    EXPECT_EQ(MldRepr::parse(Bytes(kKernelReport).first(n), kKernelSrc, kMldv2Routers,
                             ChecksumCheck::kSkip)
                  .error(),
              ParseError::kTruncated)
        << n;
  }
  const ByteVec done = from_hex("84007f1b00000000ff050000000000000000000000010003");
  EXPECT_EQ(MldRepr::parse(Bytes(done).first(23), kRouter, kGroup, ChecksumCheck::kSkip).error(),
            ParseError::kTruncated);
}

TEST(MldMalformed, RecordSourcesPastTheEndAreTruncated) {
  ByteVec r = kKernelReport;
  r[8 + 3] = 1;  // the first record claims one source
  EXPECT_EQ(MldRepr::parse(r, kKernelSrc, kMldv2Routers, ChecksumCheck::kSkip).error(),
            ParseError::kTruncated);
}

TEST(MldMalformed, BadChecksumAndNonMldType) {
  ByteVec r = kKernelReport;
  r[20] ^= 1;
  EXPECT_EQ(MldRepr::parse(r, kKernelSrc, kMldv2Routers).error(), ParseError::kBadChecksum);
  r[0] = 128;
  EXPECT_EQ(MldRepr::parse(r, kKernelSrc, kMldv2Routers).error(), ParseError::kBadType);
}

}  // namespace
}  // namespace ustack
