// IGMP messages (RFC 2236, RFC 3376 §4.1 queries): hand-made bytes (checksums worked out by
// hand with RFC 1071), round trips, malformed input. emit_vs_tshark_test (//pcap_tests) has
// Wireshark read what emit() writes.
#include "stack/wire/igmp.h"

#include <gtest/gtest.h>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

using namespace literals;

const Ipv4Addr kGroup = *Ipv4Addr::parse("239.1.2.3");

ByteVec emit(const IgmpRepr& r) {
  ByteVec out(r.buffer_len());
  r.emit(out);
  return out;
}

// RFC 2236 §2: type 0x16, Max Resp 0, checksum over the 8 bytes, the group.
TEST(IgmpEmit, V2ReportBytes) {
  EXPECT_EQ(emit(IgmpRepr::v2_report(kGroup)),
            (ByteVec{0x16, 0x00, 0xf8, 0xfa, 0xef, 0x01, 0x02, 0x03}));
}

TEST(IgmpEmit, LeaveBytes) {
  EXPECT_EQ(emit(IgmpRepr::leave(kGroup)),
            (ByteVec{0x17, 0x00, 0xf7, 0xfa, 0xef, 0x01, 0x02, 0x03}));
}

// RFC 1112 App. I: the version-1 report is type 0x12 (what a v2 host sends while a v1 router
// is present, RFC 2236 §4).
TEST(IgmpEmit, V1ReportBytes) {
  EXPECT_EQ(emit(IgmpRepr::v1_report(kGroup)),
            (ByteVec{0x12, 0x00, 0xfc, 0xfa, 0xef, 0x01, 0x02, 0x03}));
}

// RFC 2236 §2.2: a General Query, Max Resp Time 100 (10 s), group 0.
TEST(IgmpParse, V2GeneralQuery) {
  const ByteVec q{0x11, 0x64, 0xee, 0x9b, 0, 0, 0, 0};
  auto r = IgmpRepr::parse(q);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->is_query());
  EXPECT_FALSE(r->is_v1_query());
  EXPECT_FALSE(r->is_v3_query());
  EXPECT_TRUE(r->group.is_unspecified());
  EXPECT_EQ(r->max_resp_time(), 10_s);
  EXPECT_EQ(emit(*r), q);
  EXPECT_EQ(*r, IgmpRepr::v2_query(Ipv4Addr::any(), 100));
  EXPECT_EQ(r->to_string(), "igmp query v2 [max resp time 10]");
}

// RFC 3376 §7.1: Max Resp Time 0 in an 8-byte query is IGMPv1.
TEST(IgmpParse, V1QueryHasZeroMaxResp) {
  ByteVec q{0x11, 0x00, 0, 0, 0, 0, 0, 0};
  store_be16(q, 2, internet_checksum(q));
  auto r = IgmpRepr::parse(q);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_v1_query());
  EXPECT_EQ(r->max_resp_time(), Duration::zero());
}

// RFC 3376 §4.1: 12 bytes or more is an IGMPv3 query: S/QRV, QQIC, sources.
TEST(IgmpParse, V3GeneralQuery) {
  const ByteVec q{0x11, 0x64, 0xec, 0x1e, 0, 0, 0, 0, 0x02, 0x7d, 0x00, 0x00};
  auto r = IgmpRepr::parse(q);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->is_v3_query());
  EXPECT_EQ(r->qrv, 2);
  EXPECT_EQ(r->qqic, 125);
  EXPECT_EQ(r->num_sources, 0);
  EXPECT_EQ(r->max_resp_time(), 10_s);
  EXPECT_EQ(emit(*r), q);
}

// RFC 3376 §4.1.1: a Max Resp Code from 128 is a floating-point value: 0x8a → (0xa | 0x10)
// << 3 = 208 tenths. A group-and-source-specific query lists its sources.
TEST(IgmpParse, V3QueryExponentialMaxRespAndSources) {
  const ByteVec q{0x11, 0x8a, 0x34, 0xdf, 0xef, 0x01, 0x02, 0x03,
                  0x02, 0x7d, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x01};
  auto r = IgmpRepr::parse(q);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->max_resp_time(), 20800_ms);
  EXPECT_EQ(r->group, kGroup);
  ASSERT_EQ(r->sources().size(), 4u);
  EXPECT_EQ(Ipv4Addr::from_bytes(r->sources()), *Ipv4Addr::parse("198.18.0.1"));
  EXPECT_EQ(r->to_string(), "igmp query v3 239.1.2.3 [max resp time 20.8] [1 sources]");
}

TEST(IgmpParse, ReportRoundTrip) {
  auto r = IgmpRepr::parse(emit(IgmpRepr::v2_report(kGroup)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, IgmpType::kV2MembershipReport);
  EXPECT_EQ(r->group, kGroup);
  EXPECT_EQ(r->to_string(), "igmp v2 report 239.1.2.3");
}

// The IGMP part of ipv4_test's kKernelIgmpRouterAlert: Linux's IGMPv3 report for a join of
// 239.1.2.3 (RFC 3376 §4.2: one CHANGE_TO_EXCLUDE_MODE record, no sources).
const ByteVec kKernelV3Report = from_hex("2200e8f90000000104000000ef010203");

TEST(IgmpKernel, ParsesTheKernelsV3Report) {
  auto r = IgmpRepr::parse(kKernelV3Report);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->is_v3_report());
  ASSERT_EQ(r->num_records, 1);
  EXPECT_EQ(r->record(0).type, 4);
  EXPECT_EQ(r->record(0).group, kGroup);
  EXPECT_EQ(r->record(0).num_sources, 0);
  EXPECT_EQ(r->record(0).len(), IgmpGroupRecord::kFixedLen);
  EXPECT_EQ(emit(*r), kKernelV3Report);
  EXPECT_EQ(r->to_string(), "igmp v3 report, 1 group record(s) [gaddr 239.1.2.3 to_ex { }]");
  EXPECT_EQ(r->to_verbose_string(),
            "IGMP\n  type: 0x22 (v3 report)\n  group records: 1\n"
            "  record 1: CHANGE_TO_EXCLUDE_MODE (4) 239.1.2.3, 0 source(s)\n");
}

// RFC 3376 §4.2.4: a record lists its sources (4 bytes each) after the group.
TEST(IgmpParse, V3ReportRecordsWithSources) {
  ByteVec m = from_hex(
      "22000000"
      "00000002"
      "01000002ef010203c6120001c6120002"  // MODE_IS_INCLUDE, 2 sources
      "06010000ef010204aabbccdd");        // BLOCK_OLD_SOURCES, no source, 4 bytes aux data
  store_be16(m, 2, internet_checksum(m));
  auto r = IgmpRepr::parse(m);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->num_records, 2);
  EXPECT_EQ(r->record(1).type, 6);
  EXPECT_EQ(r->record(1).aux.size(), 4u);
  EXPECT_EQ(r->to_string(),
            "igmp v3 report, 2 group record(s) [gaddr 239.1.2.3 is_in { 198.18.0.1 198.18.0.2 }] "
            "[gaddr 239.1.2.4 block { }]");
  EXPECT_NE(r->to_verbose_string().find(
                "  record 1: MODE_IS_INCLUDE (1) 239.1.2.3, 2 source(s): 198.18.0.1, 198.18.0.2\n"),
            std::string::npos)
      << r->to_verbose_string();
  EXPECT_EQ(emit(*r), m);
}

TEST(IgmpParse, VerboseQueryListsItsFields) {
  const ByteVec q{0x11, 0x8a, 0x34, 0xdf, 0xef, 0x01, 0x02, 0x03,
                  0x02, 0x7d, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x01};
  auto r = IgmpRepr::parse(q);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->to_verbose_string(),
            "IGMP\n  type: 0x11 (query)\n  version: 3\n  max resp code: 138 (20.8 s)\n"
            "  group: 239.1.2.3\n  suppress router-side processing (S): 0\n  qrv: 2\n"
            "  qqic: 125\n  sources: 1: 198.18.0.1\n");
}

// RFC 2236 §2.1: unknown types are accepted here and ignored by the host.
TEST(IgmpParse, UnknownTypeParses) {
  ByteVec m{0x13, 0, 0, 0, 1, 2, 3, 4, 5, 6};
  store_be16(m, 2, internet_checksum(m));
  auto r = IgmpRepr::parse(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(static_cast<int>(r->type), 0x13);
  EXPECT_EQ(r->extra.size(), 2u);
  EXPECT_EQ(emit(*r), m);
}

TEST(IgmpMalformed, ShorterThanEightBytesIsTruncated) {
  const ByteVec full = emit(IgmpRepr::v2_report(kGroup));
  for (std::size_t n = 0; n < 8; ++n) {
    EXPECT_EQ(IgmpRepr::parse(Bytes(full).first(n), ChecksumCheck::kSkip).error(),
              ParseError::kTruncated);
  }
}

TEST(IgmpMalformed, BadChecksumIsRejected) {
  ByteVec m = emit(IgmpRepr::v2_report(kGroup));
  m[7] ^= 1;
  EXPECT_EQ(IgmpRepr::parse(m).error(), ParseError::kBadChecksum);
  EXPECT_TRUE(IgmpRepr::parse(m, ChecksumCheck::kSkip).ok());
}

TEST(IgmpMalformed, V3ReportShorterThanItsRecordsIsTruncated) {
  for (std::size_t n = IgmpRepr::kHeaderLen; n < kKernelV3Report.size(); ++n) {
    EXPECT_EQ(IgmpRepr::parse(Bytes(kKernelV3Report).first(n), ChecksumCheck::kSkip).error(),
              ParseError::kTruncated)
        << n;
  }
  ByteVec m = kKernelV3Report;
  m[8 + 3] = 1;  // the record claims a source it does not have
  EXPECT_EQ(IgmpRepr::parse(m, ChecksumCheck::kSkip).error(), ParseError::kTruncated);
  m = kKernelV3Report;
  m[7] = 2;  // two records, one there
  EXPECT_EQ(IgmpRepr::parse(m, ChecksumCheck::kSkip).error(), ParseError::kTruncated);
}

TEST(IgmpMalformed, V3QueryShorterThanItsSourcesIsTruncated) {
  ByteVec q{0x11, 0x64, 0, 0, 0, 0, 0, 0, 0x02, 0x7d, 0x00, 0x02, 1, 2, 3, 4};
  EXPECT_EQ(IgmpRepr::parse(q, ChecksumCheck::kSkip).error(), ParseError::kTruncated);
}

}  // namespace
}  // namespace ustack
