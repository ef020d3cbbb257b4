#include "stack/wire/igmp.h"

#include <algorithm>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

// tcpdump's short record names (print-igmp.c).
const char* record_short_name(std::uint8_t t) {
  switch (t) {
    case 1:
      return "is_in";
    case 2:
      return "is_ex";
    case 3:
      return "to_in";
    case 4:
      return "to_ex";
    case 5:
      return "allow";
    case 6:
      return "block";
  }
  return "type";
}

std::string hex2(std::uint8_t v) {
  const char* hex = "0123456789abcdef";
  return std::string{'0', 'x', hex[v >> 4], hex[v & 0xf]};
}

std::string seconds_tenths(Duration d) {
  const std::int64_t ms = d.total_millis();  // whole tenths of a second
  std::string s = std::to_string(ms / 1000);
  if (ms % 1000) s += "." + std::to_string(ms % 1000 / 100);
  return s;
}

}  // namespace

const char* igmp_record_type_name(std::uint8_t type) {
  switch (type) {
    case 1:
      return "MODE_IS_INCLUDE";
    case 2:
      return "MODE_IS_EXCLUDE";
    case 3:
      return "CHANGE_TO_INCLUDE_MODE";
    case 4:
      return "CHANGE_TO_EXCLUDE_MODE";
    case 5:
      return "ALLOW_NEW_SOURCES";
    case 6:
      return "BLOCK_OLD_SOURCES";
  }
  return "unknown record type";
}

Result<IgmpGroupRecord> IgmpGroupRecord::parse(Bytes at) {
  if (at.size() < kFixedLen) return Err(ParseError::kTruncated);
  IgmpGroupRecord r;
  r.type = at[0];
  const std::size_t aux_len = std::size_t{at[1]} * 4;  // Aux Data Len in 32-bit words
  r.num_sources = load_be16(at, 2);
  r.group = Ipv4Addr::from_bytes(at.subspan(4, 4));
  const std::size_t src_len = std::size_t{4} * r.num_sources;
  if (at.size() < kFixedLen + src_len + aux_len) return Err(ParseError::kTruncated);
  r.sources = at.subspan(kFixedLen, src_len);
  r.aux = at.subspan(kFixedLen + src_len, aux_len);
  return r;
}

const char* to_string(IgmpType t) {
  switch (t) {
    case IgmpType::kMembershipQuery:
      return "query";
    case IgmpType::kV1MembershipReport:
      return "v1 report";
    case IgmpType::kV2MembershipReport:
      return "v2 report";
    case IgmpType::kLeaveGroup:
      return "leave";
    case IgmpType::kV3MembershipReport:
      return "v3 report";
  }
  return "unknown type";
}

Result<IgmpRepr> IgmpRepr::parse(Bytes m, ChecksumCheck check) {
  if (m.size() < kHeaderLen) return Err(ParseError::kTruncated);
  // RFC 2236 §2.3: the checksum covers the whole IGMP message.
  if (check == ChecksumCheck::kVerify && internet_checksum(m) != 0) {
    return Err(ParseError::kBadChecksum);
  }
  IgmpRepr r;
  r.type = static_cast<IgmpType>(m[0]);
  r.max_resp_code = m[1];
  r.group = Ipv4Addr::from_bytes(m.subspan(4, 4));
  r.extra = m.subspan(kHeaderLen);
  if (r.is_v3_query()) {
    // RFC 3376 §4.1: Resv(4) S(1) QRV(3), QQIC, Number of Sources, then the sources.
    r.suppress_router_processing = (m[8] & 0x08) != 0;
    r.qrv = m[8] & 0x07;
    r.qqic = m[9];
    r.num_sources = load_be16(m, 10);
    if (r.extra.size() < 4 + 4u * r.num_sources) return Err(ParseError::kTruncated);
  }
  if (r.is_v3_report()) {
    // RFC 3376 §4.2: Reserved, Number of Group Records, then the records.
    r.num_records = load_be16(m, 6);
    std::size_t off = 0;
    for (std::size_t i = 0; i < r.num_records; ++i) {
      auto rec = IgmpGroupRecord::parse(r.extra.subspan(off));
      if (!rec) return Err(rec.error());
      off += rec->len();
    }
  }
  return r;
}

IgmpRepr IgmpRepr::v2_report(const Ipv4Addr& group) {
  IgmpRepr r;
  r.type = IgmpType::kV2MembershipReport;
  r.group = group;
  return r;
}

IgmpRepr IgmpRepr::v1_report(const Ipv4Addr& group) {
  IgmpRepr r = v2_report(group);
  r.type = IgmpType::kV1MembershipReport;
  return r;
}

IgmpRepr IgmpRepr::leave(const Ipv4Addr& group) {
  IgmpRepr r = v2_report(group);
  r.type = IgmpType::kLeaveGroup;
  return r;
}

IgmpRepr IgmpRepr::v2_query(const Ipv4Addr& group, std::uint8_t max_resp_tenths) {
  IgmpRepr r = v2_report(group);
  r.type = IgmpType::kMembershipQuery;
  r.max_resp_code = max_resp_tenths;
  return r;
}

IgmpGroupRecord IgmpRepr::record(std::size_t i) const {
  std::size_t off = 0;
  IgmpGroupRecord rec = *IgmpGroupRecord::parse(extra);
  for (std::size_t n = 0; n < i; ++n) {
    off += rec.len();
    rec = *IgmpGroupRecord::parse(extra.subspan(off));
  }
  return rec;
}

Duration IgmpRepr::max_resp_time() const {
  std::int64_t tenths = max_resp_code;
  if (is_v3_query() && max_resp_code >= 128) {
    // RFC 3376 §4.1.1: 1 | exp(3) | mant(4) → (mant | 0x10) << (exp + 3).
    std::int64_t exp = (max_resp_code >> 4) & 0x7;
    std::int64_t mant = max_resp_code & 0xf;
    tenths = (mant | 0x10) << (exp + 3);
  }
  return Duration::millis(100 * tenths);
}

void IgmpRepr::emit(MutBytes out) const {
  out[0] = static_cast<std::uint8_t>(type);
  out[1] = max_resp_code;
  store_be16(out, 2, 0);
  std::copy_n(group.bytes().begin(), 4, out.begin() + 2 + 2);
  copy_to(out.subspan(kHeaderLen), extra);
  store_be16(out, 2, internet_checksum(Bytes(out).first(buffer_len())));
}

std::string IgmpRepr::to_string() const {
  std::string g = group.to_string();
  switch (type) {
    case IgmpType::kMembershipQuery: {
      if (is_v1_query()) return group.is_unspecified() ? "igmp query v1" : "igmp query v1 " + g;
      std::string v = is_v3_query() ? "v3" : "v2";
      std::string what = group.is_unspecified() ? "igmp query " + v : "igmp query " + v + " " + g;
      what += " [max resp time " + seconds_tenths(max_resp_time()) + "]";
      if (is_v3_query() && num_sources) what += " [" + std::to_string(num_sources) + " sources]";
      return what;
    }
    case IgmpType::kV1MembershipReport:
    case IgmpType::kV2MembershipReport:
    case IgmpType::kLeaveGroup:
      return std::string("igmp ") + ustack::to_string(type) + " " + g;
    case IgmpType::kV3MembershipReport: {
      std::string s = "igmp v3 report, " + std::to_string(num_records) + " group record(s)";
      std::size_t off = 0;
      for (std::size_t i = 0; i < num_records; ++i) {
        auto rec = IgmpGroupRecord::parse(extra.subspan(off));
        if (!rec) break;  // only a Repr built by hand can be short: parse() checks the records
        off += rec->len();
        s += " [gaddr " + rec->group.to_string() + " " + record_short_name(rec->type) + " { ";
        for (std::size_t k = 0; k < rec->num_sources; ++k) {
          s += Ipv4Addr::from_bytes(rec->sources.subspan(4 * k, 4)).to_string() + " ";
        }
        s += "}]";
      }
      return s;
    }
  }
  return "igmp type " + hex2(static_cast<std::uint8_t>(type)) + ", length " +
         std::to_string(buffer_len());
}

std::string IgmpRepr::to_verbose_string() const {
  std::string s = "IGMP\n  type: " + hex2(static_cast<std::uint8_t>(type)) + " (" +
                  ustack::to_string(type) + ")\n";
  if (is_v3_report()) {
    s += "  group records: " + std::to_string(num_records) + "\n";
    std::size_t off = 0;
    for (std::size_t i = 0; i < num_records; ++i) {
      auto rec = IgmpGroupRecord::parse(extra.subspan(off));
      if (!rec) break;
      off += rec->len();
      s += "  record " + std::to_string(i + 1) + ": " + igmp_record_type_name(rec->type) + " (" +
           std::to_string(rec->type) + ") " + rec->group.to_string() + ", " +
           std::to_string(rec->num_sources) + " source(s)";
      for (std::size_t k = 0; k < rec->num_sources; ++k) {
        s += (k == 0 ? ": " : ", ") +
             Ipv4Addr::from_bytes(rec->sources.subspan(4 * k, 4)).to_string();
      }
      if (!rec->aux.empty()) s += ", aux data " + std::to_string(rec->aux.size()) + " bytes";
      s += "\n";
    }
    return s;
  }
  if (is_query()) {
    s += "  version: " + std::string(is_v3_query() ? "3" : is_v1_query() ? "1" : "2") + "\n";
    s += "  max resp code: " + std::to_string(max_resp_code) + " (" +
         seconds_tenths(max_resp_time()) + " s)\n";
  } else {
    s += "  max resp code: " + std::to_string(max_resp_code) + "\n";
  }
  s += "  group: " + group.to_string() + "\n";
  if (is_v3_query()) {
    s += std::string("  suppress router-side processing (S): ") +
         (suppress_router_processing ? "1" : "0") + "\n  qrv: " + std::to_string(qrv) +
         "\n  qqic: " + std::to_string(qqic) + "\n  sources: " + std::to_string(num_sources);
    for (std::size_t k = 0; k < num_sources; ++k) {
      s += (k == 0 ? ": " : ", ") + Ipv4Addr::from_bytes(sources().subspan(4 * k, 4)).to_string();
    }
    s += "\n";
  }
  const std::size_t tail = is_v3_query() ? extra.size() - 4 - 4u * num_sources : extra.size();
  if (tail) s += "  trailing bytes: " + std::to_string(tail) + " (ignored)\n";
  return s;
}

bool IgmpRepr::operator==(const IgmpRepr& o) const {
  return type == o.type && max_resp_code == o.max_resp_code && group == o.group &&
         std::equal(extra.begin(), extra.end(), o.extra.begin(), o.extra.end());
}

}  // namespace ustack
