// Multicast Listener Discovery messages: MLDv1 (RFC 2710) queries, reports and dones, and
// MLDv2 (RFC 3810 §5) queries and reports with their Multicast Address Records: parse, emit,
// print. They are ICMPv6 messages (types 130, 131, 132, 143): the checksum covers the IPv6
// pseudo header (RFC 8200 §8.1), so parse and emit take the packet's addresses.
//
// A query's version is its length (RFC 3810 §8.1): 24 bytes is MLDv1, 28 or more MLDv2, any
// other length is rejected (kBadLength: "silently ignored"). Bytes after the end of what the
// format defines are kept in `extra` (RFC 2710 §3 / RFC 3810 §5: ignored) so a message re-emits
// byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/base/time.h"
#include "stack/wire/common.h"
#include "stack/wire/icmpv6.h"

namespace ustack {

// RFC 3810 §5.2.12: the record types of an MLDv2 report.
enum class MldRecordType : std::uint8_t {
  kModeIsInclude = 1,  // current-state records
  kModeIsExclude = 2,
  kChangeToInclude = 3,  // filter-mode-change records (what a leave and a join send)
  kChangeToExclude = 4,
  kAllowNewSources = 5,  // source-list-change records
  kBlockOldSources = 6,
};

const char* to_string(MldRecordType t);

// One Multicast Address Record (RFC 3810 §5.2.4 - §5.2.11).
struct MldAddressRecord {
  static constexpr std::size_t kFixedLen = 20;

  MldRecordType type = MldRecordType::kModeIsExclude;
  Ipv6Addr group;
  std::uint16_t num_sources = 0;
  Bytes sources;  // 16 bytes per source
  Bytes aux;      // Auxiliary Data, a multiple of 4 bytes (RFC 3810 §5.2.10: ignored)

  // Rejects: kTruncated (fewer than 20 bytes, or than the sources and aux data say).
  // Unknown record types are accepted (RFC 3810 §5.2.12: the receiver ignores them).
  static Result<MldAddressRecord> parse(Bytes at);
  std::size_t len() const { return kFixedLen + sources.size() + aux.size(); }
  // Writes len() bytes. sources.size() == 16 * num_sources, aux.size() % 4 == 0.
  void emit(MutBytes out) const;
  bool operator==(const MldAddressRecord& o) const;
};

struct MldRepr {
  static constexpr std::size_t kV1Len = 24;  // v1 query, v1 report, done (RFC 2710 §3)
  static constexpr std::size_t kV2QueryMinLen = 28;
  static constexpr std::size_t kV2ReportHeaderLen = 8;

  Icmpv6Type type = Icmpv6Type::kMldv2Report;
  std::uint8_t code = 0;
  // Queries: Maximum Response Code (MLDv2, RFC 3810 §5.1.3) or Delay in ms (MLDv1).
  std::uint16_t max_resp_code = 0;
  // The 16 bits after it in a query / v1 report / done ("Reserved"), the second reserved
  // word of a v2 report (kept so a message round-trips).
  std::uint16_t reserved = 0;
  // Queries, v1 reports and dones: the multicast address (:: in a General Query).
  Ipv6Addr group;

  // MLDv2 query (RFC 3810 §5.1.7 - §5.1.10), when is_v2_query().
  bool v2_query_format = false;  // a query of 28 bytes or more
  std::uint8_t resv_bits = 0;    // the 4 reserved high bits of the flags byte
  bool suppress_router_processing = false;
  std::uint8_t qrv = 0;
  std::uint8_t qqic = 0;
  std::uint16_t num_sources = 0;
  Bytes sources;  // 16 bytes per source

  // MLDv2 report (RFC 3810 §5.2): the records, validated by parse().
  std::uint16_t num_records = 0;
  Bytes records;

  Bytes extra;  // bytes after the end of the format (ignored)

  // `message` is a whole ICMPv6 message of an MLD type from `src` to `dst`. Rejects:
  // kBadType (not 130/131/132/143); kTruncated (v1 message < 24 bytes, v2 report < 8 bytes or
  // records running past the end, v2 query shorter than its sources); kBadLength (a query of
  // 25 to 27 bytes, RFC 3810 §8.1); kBadChecksum (with kVerify).
  static Result<MldRepr> parse(Bytes message, const Ipv6Addr& src, const Ipv6Addr& dst,
                               ChecksumCheck check = ChecksumCheck::kVerify);

  // An MLDv2 report holding `count` records already laid out in `records` (see
  // MldAddressRecord::emit).
  static MldRepr v2_report(Bytes records, std::uint16_t count);
  static MldRepr v1_report(const Ipv6Addr& group);
  static MldRepr done(const Ipv6Addr& group);
  // An MLDv2 query (General when group is ::), max_resp in ms (RFC 3810 §5.1.3 coding).
  static MldRepr v2_query(const Ipv6Addr& group, Duration max_resp);
  static MldRepr v1_query(const Ipv6Addr& group, std::uint16_t max_resp_ms);

  bool is_query() const { return type == Icmpv6Type::kMldQuery; }
  bool is_v2_query() const { return is_query() && v2_query_format; }
  bool is_v1_query() const { return is_query() && !v2_query_format; }
  // The query's Maximum Response Delay (RFC 3810 §5.1.3; RFC 2710 §3.4: milliseconds).
  Duration max_resp_delay() const;
  // The i-th record of a parsed or built v2 report; i < num_records.
  MldAddressRecord record(std::size_t i) const;

  std::size_t buffer_len() const;
  // Writes the message and its checksum (pseudo header from src, dst). out.size() >=
  // buffer_len(). The records and sources are copied unless already in place.
  void emit(MutBytes out, const Ipv6Addr& src, const Ipv6Addr& dst) const;

  // tcpdump's wording: "multicast listener report v2, 1 group record(s) [gaddr ff02::1:ff00:2
  // to_ex { }]", "multicast listener query v2 [max resp delay=10000] [gaddr ::]".
  std::string to_string() const;
  // Every field, one per line (for `ustack dump -v`).
  std::string to_verbose_string() const;

  bool operator==(const MldRepr& o) const;
};

}  // namespace ustack
