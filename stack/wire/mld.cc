#include "stack/wire/mld.h"

#include <algorithm>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

constexpr std::size_t kAddrLen = 16;

bool is_mld_type(Icmpv6Type t) {
  return t == Icmpv6Type::kMldQuery || t == Icmpv6Type::kMldReport || t == Icmpv6Type::kMldDone ||
         t == Icmpv6Type::kMldv2Report;
}

bool same(Bytes a, Bytes b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

const char* record_short_name(MldRecordType t) {
  switch (t) {
    case MldRecordType::kModeIsInclude:
      return "is_in";
    case MldRecordType::kModeIsExclude:
      return "is_ex";
    case MldRecordType::kChangeToInclude:
      return "to_in";
    case MldRecordType::kChangeToExclude:
      return "to_ex";
    case MldRecordType::kAllowNewSources:
      return "allow";
    case MldRecordType::kBlockOldSources:
      return "block";
  }
  return "type";
}

}  // namespace

const char* to_string(MldRecordType t) {
  switch (t) {
    case MldRecordType::kModeIsInclude:
      return "MODE_IS_INCLUDE";
    case MldRecordType::kModeIsExclude:
      return "MODE_IS_EXCLUDE";
    case MldRecordType::kChangeToInclude:
      return "CHANGE_TO_INCLUDE_MODE";
    case MldRecordType::kChangeToExclude:
      return "CHANGE_TO_EXCLUDE_MODE";
    case MldRecordType::kAllowNewSources:
      return "ALLOW_NEW_SOURCES";
    case MldRecordType::kBlockOldSources:
      return "BLOCK_OLD_SOURCES";
  }
  return "unknown record type";
}

// --- Multicast Address Record ---

Result<MldAddressRecord> MldAddressRecord::parse(Bytes at) {
  if (at.size() < kFixedLen) return Err(ParseError::kTruncated);
  MldAddressRecord r;
  r.type = static_cast<MldRecordType>(at[0]);
  std::size_t aux_len = std::size_t{at[1]} * 4;  // Aux Data Len in 32-bit words
  r.num_sources = load_be16(at, 2);
  r.group = Ipv6Addr::from_bytes(at.subspan(4, kAddrLen));
  std::size_t src_len = kAddrLen * r.num_sources;
  if (at.size() < kFixedLen + src_len + aux_len) return Err(ParseError::kTruncated);
  r.sources = at.subspan(kFixedLen, src_len);
  r.aux = at.subspan(kFixedLen + src_len, aux_len);
  return r;
}

void MldAddressRecord::emit(MutBytes out) const {
  out[0] = static_cast<std::uint8_t>(type);
  out[1] = static_cast<std::uint8_t>(aux.size() / 4);
  store_be16(out, 2, num_sources);
  copy_to(out.subspan(4), group.bytes());
  copy_to(out.subspan(kFixedLen), sources);
  copy_to(out.subspan(kFixedLen + sources.size()), aux);
}

bool MldAddressRecord::operator==(const MldAddressRecord& o) const {
  return type == o.type && group == o.group && num_sources == o.num_sources &&
         same(sources, o.sources) && same(aux, o.aux);
}

// --- Messages ---

Result<MldRepr> MldRepr::parse(Bytes m, const Ipv6Addr& src, const Ipv6Addr& dst,
                               ChecksumCheck check) {
  if (m.empty()) return Err(ParseError::kTruncated);
  if (!is_mld_type(static_cast<Icmpv6Type>(m[0]))) return Err(ParseError::kBadType);
  MldRepr r;
  r.type = static_cast<Icmpv6Type>(m[0]);
  std::size_t end = 0;  // where the format's defined bytes end
  if (r.type == Icmpv6Type::kMldv2Report) {
    // RFC 3810 §5.2: type, reserved, checksum, reserved, Nr of Mcast Address Records.
    if (m.size() < kV2ReportHeaderLen) return Err(ParseError::kTruncated);
    r.reserved = load_be16(m, 4);
    r.num_records = load_be16(m, 6);
    end = kV2ReportHeaderLen;
    for (std::size_t i = 0; i < r.num_records; ++i) {
      auto rec = MldAddressRecord::parse(m.subspan(end));
      if (!rec) return Err(rec.error());
      end += rec->len();
    }
    r.records = m.subspan(kV2ReportHeaderLen, end - kV2ReportHeaderLen);
  } else {
    // RFC 2710 §3 / RFC 3810 §5.1: Maximum Response Code/Delay, Reserved, Multicast Address.
    if (m.size() < kV1Len) return Err(ParseError::kTruncated);
    r.max_resp_code = load_be16(m, 4);
    r.reserved = load_be16(m, 6);
    r.group = Ipv6Addr::from_bytes(m.subspan(8, kAddrLen));
    end = kV1Len;
    if (r.type == Icmpv6Type::kMldQuery && m.size() > kV1Len) {
      // RFC 3810 §8.1: 24 bytes is an MLDv1 query, 28 or more MLDv2, the rest is ignored.
      if (m.size() < kV2QueryMinLen) return Err(ParseError::kBadLength);
      r.v2_query_format = true;
      r.resv_bits = m[24] >> 4;
      r.suppress_router_processing = (m[24] & 0x08) != 0;
      r.qrv = m[24] & 0x07;
      r.qqic = m[25];
      r.num_sources = load_be16(m, 26);
      end = kV2QueryMinLen + kAddrLen * r.num_sources;
      if (m.size() < end) return Err(ParseError::kTruncated);
      r.sources = m.subspan(kV2QueryMinLen, end - kV2QueryMinLen);
    }
  }
  // RFC 4443 §2.3: the sum over pseudo header and message, checksum included, is all ones.
  std::uint32_t pseudo = pseudo_header_sum_v6(src, dst, static_cast<std::uint8_t>(IpProto::kIcmpv6),
                                              static_cast<std::uint32_t>(m.size()));
  if (check == ChecksumCheck::kVerify && checksum_finish(checksum_add(pseudo, m)) != 0) {
    return Err(ParseError::kBadChecksum);
  }
  r.code = m[1];
  r.extra = m.subspan(end);
  return r;
}

MldRepr MldRepr::v2_report(Bytes records, std::uint16_t count) {
  MldRepr r;
  r.type = Icmpv6Type::kMldv2Report;
  r.records = records;
  r.num_records = count;
  return r;
}

MldRepr MldRepr::v1_report(const Ipv6Addr& group) {
  MldRepr r;
  r.type = Icmpv6Type::kMldReport;
  r.group = group;
  return r;
}

MldRepr MldRepr::done(const Ipv6Addr& group) {
  MldRepr r = v1_report(group);
  r.type = Icmpv6Type::kMldDone;
  return r;
}

MldRepr MldRepr::v1_query(const Ipv6Addr& group, std::uint16_t max_resp_ms) {
  MldRepr r = v1_report(group);
  r.type = Icmpv6Type::kMldQuery;
  r.max_resp_code = max_resp_ms;
  return r;
}

MldRepr MldRepr::v2_query(const Ipv6Addr& group, Duration max_resp) {
  MldRepr r = v1_query(group, 0);
  r.v2_query_format = true;
  std::int64_t ms = max_resp.total_millis();
  if (ms < 32768) {
    r.max_resp_code = static_cast<std::uint16_t>(ms);
  } else {
    // RFC 3810 §5.1.3: 1 | exp(3) | mant(12) → (mant | 0x1000) << (exp + 3).
    int exp = 0;
    while (exp < 7 && (ms >> (exp + 3)) > 0x1fff) ++exp;
    std::int64_t mant = std::min<std::int64_t>((ms >> (exp + 3)) & 0xfff, 0xfff);
    r.max_resp_code = static_cast<std::uint16_t>(0x8000 | (exp << 12) | mant);
  }
  return r;
}

Duration MldRepr::max_resp_delay() const {
  std::int64_t ms = max_resp_code;
  if (is_v2_query() && max_resp_code >= 0x8000) {
    std::int64_t exp = (max_resp_code >> 12) & 0x7;
    std::int64_t mant = max_resp_code & 0xfff;
    ms = (mant | 0x1000) << (exp + 3);
  }
  return Duration::millis(ms);
}

MldAddressRecord MldRepr::record(std::size_t i) const {
  std::size_t off = 0;
  MldAddressRecord rec = *MldAddressRecord::parse(records);
  for (std::size_t n = 0; n < i; ++n) {
    off += rec.len();
    rec = *MldAddressRecord::parse(records.subspan(off));
  }
  return rec;
}

std::size_t MldRepr::buffer_len() const {
  std::size_t n;
  if (type == Icmpv6Type::kMldv2Report) {
    n = kV2ReportHeaderLen + records.size();
  } else if (is_v2_query()) {
    n = kV2QueryMinLen + sources.size();
  } else {
    n = kV1Len;
  }
  return n + extra.size();
}

void MldRepr::emit(MutBytes out, const Ipv6Addr& src, const Ipv6Addr& dst) const {
  out[0] = static_cast<std::uint8_t>(type);
  out[1] = code;
  store_be16(out, 2, 0);
  std::size_t end;
  if (type == Icmpv6Type::kMldv2Report) {
    store_be16(out, 4, reserved);
    store_be16(out, 6, num_records);
    copy_to(out.subspan(kV2ReportHeaderLen), records);
    end = kV2ReportHeaderLen + records.size();
  } else {
    store_be16(out, 4, max_resp_code);
    store_be16(out, 6, reserved);
    copy_to(out.subspan(8), group.bytes());
    end = kV1Len;
    if (is_v2_query()) {
      out[24] = static_cast<std::uint8_t>((resv_bits << 4) | (suppress_router_processing << 3) |
                                          (qrv & 0x07));
      out[25] = qqic;
      store_be16(out, 26, num_sources);
      copy_to(out.subspan(kV2QueryMinLen), sources);
      end = kV2QueryMinLen + sources.size();
    }
  }
  copy_to(out.subspan(end), extra);
  Bytes message = Bytes(out).first(buffer_len());
  store_be16(out, 2, icmpv6_checksum(message, src, dst));
}

std::string MldRepr::to_string() const {
  switch (type) {
    case Icmpv6Type::kMldQuery:
      return std::string("multicast listener query ") + (is_v2_query() ? "v2" : "v1") +
             " [max resp delay=" + std::to_string(max_resp_delay().total_millis()) + "] [gaddr " +
             group.to_string() + "]" +
             (num_sources ? " [" + std::to_string(num_sources) + " sources]" : "");
    case Icmpv6Type::kMldReport:
      return "multicast listener report, " + group.to_string();
    case Icmpv6Type::kMldDone:
      return "multicast listener done, " + group.to_string();
    default:
      break;
  }
  std::string s =
      "multicast listener report v2, " + std::to_string(num_records) + " group record(s)";
  std::size_t off = 0;
  for (std::size_t i = 0; i < num_records; ++i) {
    MldAddressRecord rec = *MldAddressRecord::parse(records.subspan(off));
    off += rec.len();
    s +=
        std::string(" [gaddr ") + rec.group.to_string() + " " + record_short_name(rec.type) + " { ";
    for (std::size_t k = 0; k < rec.num_sources; ++k) {
      s += Ipv6Addr::from_bytes(rec.sources.subspan(16 * k, 16)).to_string() + " ";
    }
    s += "}]";
  }
  return s;
}

std::string MldRepr::to_verbose_string() const {
  const char* what = "MLDv2 report";
  if (type == Icmpv6Type::kMldQuery) what = is_v2_query() ? "MLDv2 query" : "MLDv1 query";
  if (type == Icmpv6Type::kMldReport) what = "MLDv1 report";
  if (type == Icmpv6Type::kMldDone) what = "MLDv1 done";
  std::string s = std::string(what) + " (ICMPv6 type " +
                  std::to_string(static_cast<unsigned>(type)) + ", code " + std::to_string(code) +
                  ")\n";
  auto addr_list = [](Bytes addrs, std::size_t n) {
    std::string list;
    for (std::size_t k = 0; k < n; ++k) {
      list += (k == 0 ? ": " : ", ") +
              Ipv6Addr::from_bytes(addrs.subspan(kAddrLen * k, kAddrLen)).to_string();
    }
    return list;
  };
  if (type == Icmpv6Type::kMldv2Report) {
    s += "  multicast address records: " + std::to_string(num_records) + "\n";
    std::size_t off = 0;
    for (std::size_t i = 0; i < num_records; ++i) {
      auto rec = MldAddressRecord::parse(records.subspan(off));
      if (!rec) break;  // only a Repr built by hand can be short: parse() checks the records
      off += rec->len();
      s += "  record " + std::to_string(i + 1) + ": " + ustack::to_string(rec->type) + " (" +
           std::to_string(static_cast<unsigned>(rec->type)) + ") " + rec->group.to_string() + ", " +
           std::to_string(rec->num_sources) + " source(s)" +
           addr_list(rec->sources, rec->num_sources);
      if (!rec->aux.empty()) s += ", aux data " + std::to_string(rec->aux.size()) + " bytes";
      s += "\n";
    }
  } else {
    if (is_query()) {
      s += "  maximum response code: " + std::to_string(max_resp_code) + " (" +
           std::to_string(max_resp_delay().total_millis()) + " ms)\n";
    }
    s += "  multicast address: " + group.to_string() + "\n";
    if (is_v2_query()) {
      s += std::string("  suppress router-side processing (S): ") +
           (suppress_router_processing ? "1" : "0") + "\n  qrv: " + std::to_string(qrv) +
           "\n  qqic: " + std::to_string(qqic) + "\n  sources: " + std::to_string(num_sources) +
           addr_list(sources, num_sources) + "\n";
    }
  }
  if (!extra.empty()) s += "  trailing bytes: " + std::to_string(extra.size()) + " (ignored)\n";
  return s;
}

bool MldRepr::operator==(const MldRepr& o) const {
  return type == o.type && code == o.code && max_resp_code == o.max_resp_code &&
         reserved == o.reserved && group == o.group && v2_query_format == o.v2_query_format &&
         resv_bits == o.resv_bits && suppress_router_processing == o.suppress_router_processing &&
         qrv == o.qrv && qqic == o.qqic && num_sources == o.num_sources &&
         same(sources, o.sources) && num_records == o.num_records && same(records, o.records) &&
         same(extra, o.extra);
}

}  // namespace ustack
