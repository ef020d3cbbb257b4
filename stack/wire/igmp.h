// IGMP messages (RFC 2236 IGMPv2; the IGMPv1 report of RFC 1112 App. I and the IGMPv3 query
// of RFC 3376 §4.1, which a v2 host must understand): parse, emit, print.
//
// Every message starts with the 8 bytes of RFC 2236 §2: type, Max Resp Time (or Code), a
// checksum over the whole IGMP message (RFC 2236 §2.3) and a group address. What follows (an
// IGMPv3 query's QRV/QQIC/sources, an IGMPv3 report's records) is kept as raw bytes so a
// message re-emits byte for byte; a query of 12 bytes or more is an IGMPv3 query (RFC 3376
// §7.1) and its fixed fields and source list are decoded too. An IGMPv3 report (RFC 3376
// §4.2: what Linux sends by default) is only read, for `ustack dump`: its Group Records are
// checked to fit and can be listed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/base/time.h"
#include "stack/wire/common.h"

namespace ustack {

enum class IgmpType : std::uint8_t {
  kMembershipQuery = 0x11,  // v1, v2 and v3 (told apart by Max Resp Time and length)
  kV1MembershipReport = 0x12,
  kV2MembershipReport = 0x16,
  kLeaveGroup = 0x17,
  kV3MembershipReport = 0x22,
};

// One Group Record of an IGMPv3 report (RFC 3376 §4.2.4). Its record types are those of an
// MLDv2 Multicast Address Record (RFC 3376 §4.2.12: 1 MODE_IS_INCLUDE ... 6
// BLOCK_OLD_SOURCES), kept as the raw byte: unknown types are ignored, not rejected.
struct IgmpGroupRecord {
  static constexpr std::size_t kFixedLen = 8;

  std::uint8_t type = 0;
  Ipv4Addr group;
  std::uint16_t num_sources = 0;
  Bytes sources;  // 4 bytes per source
  Bytes aux;      // Auxiliary Data, Aux Data Len 32-bit words (RFC 3376 §4.2.6: ignored)

  // Rejects: kTruncated (fewer than 8 bytes, or than the sources and aux data say).
  static Result<IgmpGroupRecord> parse(Bytes at);
  std::size_t len() const { return kFixedLen + sources.size() + aux.size(); }
};

// "MODE_IS_INCLUDE" ... "BLOCK_OLD_SOURCES", "unknown record type".
const char* igmp_record_type_name(std::uint8_t type);

struct IgmpRepr {
  static constexpr std::size_t kHeaderLen = 8;
  static constexpr std::size_t kV3QueryMinLen = 12;

  IgmpType type = IgmpType::kV2MembershipReport;
  // Max Resp Time in 1/10 s (v2); Max Resp Code (v3, RFC 3376 §4.1.1); 0 in a v1 query.
  std::uint8_t max_resp_code = 0;
  Ipv4Addr group;  // 0.0.0.0 in a General Query
  // Bytes after the first 8 (the IGMPv3 part of a query, a v3 report's records, anything
  // else a newer version appends: RFC 2236 §2.5 says to ignore it).
  Bytes extra;

  // An IGMPv3 query's fixed fields (RFC 3376 §4.1.6 - §4.1.9), valid when is_v3_query().
  bool suppress_router_processing = false;  // S flag
  std::uint8_t qrv = 0;                     // Querier's Robustness Variable
  std::uint8_t qqic = 0;                    // Querier's Query Interval Code
  std::uint16_t num_sources = 0;

  // An IGMPv3 report's Number of Group Records (RFC 3376 §4.2.7), valid when is_v3_report();
  // the records are `extra`. (`group` then holds the reserved word and this count.)
  std::uint16_t num_records = 0;

  // Rejects: kTruncated (< 8 bytes, an IGMPv3 query shorter than its source list, an IGMPv3
  // report shorter than its Group Records); kBadChecksum (with kVerify). Unknown types are
  // accepted (RFC 2236 §2.1: ignored).
  static Result<IgmpRepr> parse(Bytes message, ChecksumCheck check = ChecksumCheck::kVerify);

  static IgmpRepr v2_report(const Ipv4Addr& group);
  static IgmpRepr v1_report(const Ipv4Addr& group);
  static IgmpRepr leave(const Ipv4Addr& group);
  // A v2 query: General (group 0.0.0.0) or Group-Specific; max_resp in 1/10 s.
  static IgmpRepr v2_query(const Ipv4Addr& group, std::uint8_t max_resp_tenths);

  bool is_query() const { return type == IgmpType::kMembershipQuery; }
  // RFC 3376 §7.1: a query of 12 bytes or more is IGMPv3; 8 bytes with Max Resp 0 is IGMPv1.
  bool is_v3_query() const { return is_query() && extra.size() >= 4; }
  bool is_v1_query() const { return is_query() && !is_v3_query() && max_resp_code == 0; }
  bool is_v3_report() const { return type == IgmpType::kV3MembershipReport; }
  // The query's maximum response time: v2 1/10 s units (RFC 2236 §2.2), v3 Max Resp Code
  // (RFC 3376 §4.1.1: exponential form from 128). Zero for a v1 query (the caller applies
  // RFC 2236 §4's 10 s).
  Duration max_resp_time() const;
  // The sources of an IGMPv3 query, 4 bytes each.
  Bytes sources() const { return is_v3_query() ? extra.subspan(4, 4u * num_sources) : Bytes(); }
  // The i-th Group Record of a parsed IGMPv3 report; i < num_records.
  IgmpGroupRecord record(std::size_t i) const;

  std::size_t buffer_len() const { return kHeaderLen + extra.size(); }
  // Writes the message (extra copied unless already in place) with its checksum.
  // out.size() >= buffer_len().
  void emit(MutBytes out) const;

  // tcpdump's wording: "igmp v2 report 239.1.2.3", "igmp query v2 [max resp time 10]",
  // "igmp v3 report, 1 group record(s) [gaddr 239.1.2.3 to_ex { }]".
  std::string to_string() const;
  // Every field, one per line (for `ustack dump -v`).
  std::string to_verbose_string() const;

  bool operator==(const IgmpRepr& o) const;
};

const char* to_string(IgmpType t);

}  // namespace ustack
