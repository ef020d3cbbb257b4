#include "stack/dns/zone.h"

#include <algorithm>
#include <charconv>

#include "stack/dns/text_util.h"

namespace ustack {
namespace {

constexpr int kMaxCnameChase = 16;

bool rdata_matches(const DnsRecord& r) {
  switch (r.type) {
    case DnsType::kA:
      return std::holds_alternative<DnsA>(r.rdata);
    case DnsType::kAaaa:
      return std::holds_alternative<DnsAaaa>(r.rdata);
    case DnsType::kCname:
      return std::holds_alternative<DnsCname>(r.rdata);
    case DnsType::kTxt:
      return std::holds_alternative<DnsTxt>(r.rdata);
    default:
      return true;
  }
}

std::optional<std::uint32_t> parse_ttl(std::string_view s) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

DnsRecord address_record(const DnsName& name, const IpAddr& a, std::uint32_t ttl) {
  DnsRecord r{.name = name, .ttl = ttl};
  if (a.is_v4()) {
    r.type = DnsType::kA;
    r.rdata = DnsA{a.v4()};
  } else {
    r.type = DnsType::kAaaa;
    r.rdata = DnsAaaa{a.v6()};
  }
  return r;
}

// A zone-file name: "@" is the origin, a name without a trailing dot is relative to it.
std::optional<DnsName> zone_name(std::string_view text, const DnsName& origin) {
  if (text == "@") return origin;
  if (text.ends_with('.')) {
    auto n = DnsName::parse(text);
    return n ? std::optional(*n) : std::nullopt;
  }
  std::string full(text);
  if (!origin.is_root()) full += "." + origin.to_string();
  auto n = DnsName::parse(full);
  return n ? std::optional(*n) : std::nullopt;
}

// TXT strings: "quoted strings" (with \" and \\ escapes) or bare words.
std::optional<DnsTxt> parse_txt(std::string_view rest) {
  DnsTxt txt;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
    if (i >= rest.size()) break;
    std::string s;
    if (rest[i] == '"') {
      ++i;
      while (i < rest.size() && rest[i] != '"') {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        s.push_back(rest[i++]);
      }
      if (i >= rest.size()) return std::nullopt;  // unterminated
      ++i;
    } else {
      while (i < rest.size() && rest[i] != ' ' && rest[i] != '\t') s.push_back(rest[i++]);
    }
    if (s.size() > 255) return std::nullopt;
    txt.strings.push_back(std::move(s));
  }
  if (txt.strings.empty()) return std::nullopt;
  return txt;
}

}  // namespace

DnsMessage response_to(const DnsMessage& query, DnsRcode rcode) {
  DnsMessage r;
  r.id = query.id;
  r.qr = true;
  r.opcode = query.opcode;
  r.rd = query.rd;
  r.cd = query.cd;
  r.rcode = rcode;
  r.questions = query.questions;
  if (query.edns) r.edns = DnsEdns{};  // RFC 6891 §7: answer EDNS with EDNS
  return r;
}

DnsZone::DnsZone(DnsName origin, std::uint32_t negative_ttl)
    : origin_(std::move(origin)), negative_ttl_(negative_ttl) {}

DnsRecord DnsZone::soa() const {
  auto below = [&](const char* label) {
    std::vector<std::string> labels = origin_.labels();
    labels.insert(labels.begin(), label);
    auto n = DnsName::from_labels(std::move(labels));
    return n ? *n : origin_;
  };
  DnsSoa soa{.mname = below("ns"),
             .rname = below("hostmaster"),
             .serial = 1,
             .refresh = 3600,
             .retry = 600,
             .expire = 86400,
             .minimum = negative_ttl_};
  return DnsRecord{origin_, DnsType::kSoa, DnsClass::kIn, negative_ttl_, soa};
}

bool DnsZone::add(DnsRecord r) {
  if (!contains(r.name) || !rdata_matches(r)) return false;
  records_.push_back(std::move(r));
  return true;
}

std::optional<std::string> DnsZone::add_host_record(std::string_view spec, std::uint32_t ttl) {
  std::vector<std::string_view> items;
  for (std::size_t start = 0;;) {
    std::size_t comma = spec.find(',', start);
    items.push_back(spec.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (items.size() < 2) return "expected NAME,ADDR[,ADDR...][,TTL]";
  auto name = DnsName::parse(items[0]);
  if (!name) return "bad name '" + std::string(items[0]) + "'";
  if (!contains(*name)) return "'" + name->to_string() + "' is outside " + origin_.to_string();
  if (auto t = parse_ttl(items.back()); t && items.size() > 2) {
    ttl = *t;
    items.pop_back();
  }
  std::vector<DnsRecord> add;
  for (std::size_t i = 1; i < items.size(); ++i) {
    auto a = IpAddr::parse(items[i]);
    if (!a) return "bad address '" + std::string(items[i]) + "'";
    add.push_back(address_record(*name, *a, ttl));
  }
  for (DnsRecord& r : add) records_.push_back(std::move(r));
  return std::nullopt;
}

bool DnsZone::contains(const DnsName& name) const {
  return dns_text::is_at_or_below(name, origin_);
}

std::vector<const DnsRecord*> DnsZone::at(const DnsName& name) const {
  std::vector<const DnsRecord*> out;
  for (const DnsRecord& r : records_) {
    if (r.name.equals_ignore_case(name)) out.push_back(&r);
  }
  return out;
}

bool DnsZone::has_descendants(const DnsName& name) const {
  return std::any_of(records_.begin(), records_.end(), [&](const DnsRecord& r) {
    return r.name.labels().size() > name.labels().size() && dns_text::is_at_or_below(r.name, name);
  });
}

DnsMessage DnsZone::answer(const DnsMessage& query) const {
  DnsMessage resp = response_to(query, DnsRcode::kNoError);
  resp.aa = true;
  const DnsQuestion& q = query.questions.front();
  DnsName name = q.name;
  // RFC 1034 §4.3.2 step 3: follow CNAMEs while they stay inside the zone; the RCODE is the
  // last name's (RFC 6604 §2.1).
  for (int hop = 0; hop < kMaxCnameChase; ++hop) {
    auto rrs = at(name);
    bool apex = name.equals_ignore_case(origin_);
    if (rrs.empty() && !apex) {
      if (!has_descendants(name)) resp.rcode = DnsRcode::kNxDomain;
      resp.authorities.push_back(soa());
      return resp;
    }
    auto cname = std::find_if(rrs.begin(), rrs.end(),
                              [](const DnsRecord* r) { return r->type == DnsType::kCname; });
    if (cname != rrs.end() && q.type != DnsType::kCname) {
      resp.answers.push_back(**cname);
      name = std::get<DnsCname>((*cname)->rdata).target;
      if (!contains(name)) return resp;  // the resolver asks again elsewhere
      continue;
    }
    std::size_t chain_len = resp.answers.size();
    for (const DnsRecord* r : rrs) {
      if (r->type == q.type || q.type == DnsType::kAny) resp.answers.push_back(*r);
    }
    if (apex && q.type == DnsType::kSoa) resp.answers.push_back(soa());
    if (resp.answers.size() == chain_len)
      resp.authorities.push_back(soa());  // NODATA, RFC 2308 §2.2
    return resp;
  }
  return resp;  // a CNAME loop inside the zone: what we have so far
}

const DnsZone* DnsZoneSet::find(const DnsName& name) const {
  const DnsZone* best = nullptr;
  for (const DnsZone& z : zones_) {
    if (z.contains(name) &&
        (!best || z.origin().labels().size() > best->origin().labels().size())) {
      best = &z;
    }
  }
  return best;
}

std::size_t DnsZoneSet::udp_limit(const DnsMessage& query) {
  if (!query.edns) return 512;
  return std::max<std::size_t>(512, query.edns->udp_payload_size);
}

DnsMessage DnsZoneSet::answer(const DnsMessage& query, bool udp) const {
  if (query.opcode != DnsOpcode::kQuery) return response_to(query, DnsRcode::kNotImp);
  if (query.qr || query.questions.size() != 1) return response_to(query, DnsRcode::kFormErr);
  const DnsQuestion& q = query.questions.front();
  if (q.klass != DnsClass::kIn || q.type == DnsType::kOpt) {
    return response_to(query, DnsRcode::kRefused);
  }
  const DnsZone* zone = find(q.name);
  if (!zone) return response_to(query, DnsRcode::kRefused);
  DnsMessage resp = zone->answer(query);
  if (udp && resp.to_bytes().size() > udp_limit(query)) {
    resp.tc = true;
    resp.answers.clear();
    resp.authorities.clear();
    resp.additionals.clear();
  }
  return resp;
}

DnsZoneParse parse_zone_file(std::string_view text, std::string_view origin_text,
                             std::uint32_t default_ttl) {
  DnsZoneParse out;
  auto origin = DnsName::parse(origin_text);
  if (!origin) {
    out.warnings.push_back("bad origin '" + std::string(origin_text) + "'");
    return out;
  }
  out.zone.emplace(*origin);
  DnsName current_origin = *origin;
  std::uint32_t ttl = default_ttl;
  bool file_names_zone = origin->is_root();  // until the first record
  dns_text::for_each_line(text, ";", [&](std::size_t line_no, const auto& w) {
    auto warn = [&](const std::string& what) {
      out.warnings.push_back("line " + std::to_string(line_no) + ": " + what);
    };
    if (w[0] == "$TTL" || w[0] == "$ORIGIN") {
      if (w.size() != 2) return warn(std::string(w[0]) + " takes one value");
      if (w[0] == "$TTL") {
        auto t = parse_ttl(w[1]);
        if (!t) return warn("bad $TTL '" + std::string(w[1]) + "'");
        ttl = *t;
      } else {
        auto o = zone_name(w[1], current_origin);
        if (!o) return warn("bad $ORIGIN '" + std::string(w[1]) + "'");
        current_origin = *o;
        if (file_names_zone) out.zone.emplace(*o);
      }
      return;
    }
    if (w[0].starts_with('$')) return warn("unsupported directive '" + std::string(w[0]) + "'");
    file_names_zone = false;
    auto name = zone_name(w[0], current_origin);
    if (!name) return warn("bad name '" + std::string(w[0]) + "'");
    std::size_t i = 1;
    std::uint32_t rttl = ttl;
    if (i < w.size()) {
      if (auto t = parse_ttl(w[i])) rttl = *t, ++i;
    }
    if (i < w.size() && dns_text::ascii_lower(w[i]) == "in") ++i;
    if (i + 1 >= w.size()) return warn("expected TYPE VALUE");
    std::string type = dns_text::ascii_lower(w[i]);
    std::string_view value = w[i + 1];
    DnsRecord r{.name = *name, .ttl = rttl};
    if (type == "a" || type == "aaaa") {
      auto a = IpAddr::parse(value);
      if (!a || a->is_v4() != (type == "a"))
        return warn("bad address '" + std::string(value) + "'");
      r = address_record(*name, *a, rttl);
    } else if (type == "cname") {
      auto target = zone_name(value, current_origin);
      if (!target) return warn("bad CNAME target '" + std::string(value) + "'");
      r.type = DnsType::kCname;
      r.rdata = DnsCname{*target};
    } else if (type == "txt") {
      // The raw rest of the line: quoted strings may contain blanks.
      std::string_view rest(
          value.data(), static_cast<std::size_t>(w.back().data() + w.back().size() - value.data()));
      auto txt = parse_txt(rest);
      if (!txt) return warn("bad TXT value");
      r.type = DnsType::kTxt;
      r.rdata = std::move(*txt);
    } else {
      return warn("unsupported type '" + std::string(w[i]) + "'");
    }
    if (!out.zone->add(std::move(r))) warn("'" + name->to_string() + "' is outside the zone");
  });
  return out;
}

}  // namespace ustack
