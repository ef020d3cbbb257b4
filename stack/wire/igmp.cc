#include "stack/wire/igmp.h"

#include <algorithm>

#include "stack/base/checksum.h"

namespace ustack {

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
      std::int64_t ms = max_resp_time().total_millis();  // whole tenths of a second
      std::string resp = std::to_string(ms / 1000);
      if (ms % 1000) resp += "." + std::to_string(ms % 1000 / 100);
      what += " [max resp time " + resp + "]";
      if (is_v3_query() && num_sources) what += " [" + std::to_string(num_sources) + " sources]";
      return what;
    }
    case IgmpType::kV1MembershipReport:
    case IgmpType::kV2MembershipReport:
    case IgmpType::kLeaveGroup:
      return std::string("igmp ") + ustack::to_string(type) + " " + g;
    case IgmpType::kV3MembershipReport:
      return "igmp v3 report, length " + std::to_string(buffer_len());
  }
  return "igmp type 0x" +
         [](std::uint8_t t) {
           const char* hex = "0123456789abcdef";
           return std::string{hex[t >> 4], hex[t & 0xf]};
         }(static_cast<std::uint8_t>(type)) +
         ", length " + std::to_string(buffer_len());
}

bool IgmpRepr::operator==(const IgmpRepr& o) const {
  return type == o.type && max_resp_code == o.max_resp_code && group == o.group &&
         std::equal(extra.begin(), extra.end(), o.extra.begin(), o.extra.end());
}

}  // namespace ustack
