// DNS message parse/emit (RFC 1035 §4; EDNS0 RFC 6891; AAAA RFC 3596; SRV RFC 2782; unknown
// types RFC 3597). See dns.h for the representation.
#include "stack/wire/dns.h"

#include <algorithm>
#include <array>
#include <type_traits>

namespace ustack {
namespace {

// ---------------------------------------------------------------------------------------------
// Parsing

// Reads a possibly compressed name (RFC 1035 §4.1.4) that starts at `pos`. On success `*end` is
// the offset just past the octets the name occupies in place (after its first pointer, or
// after its root octet if it has no pointer).
//
// Pointers may point anywhere inside the message, forwards too, but a pointer to an offset
// already jumped to is a loop, and more than kMaxPointerJumps jumps are refused outright; both
// are kPointerLoop. Length octets with the top bits 01 or 10 (RFC 6891 §5 retired the extended
// label types) read as a length above 63 and are kLabelTooLong.
Result<DnsName> read_name(Bytes msg, std::size_t pos, std::size_t* end) {
  std::vector<std::string> labels;
  std::size_t wire_len = 1;  // the root octet
  std::size_t cursor = pos;
  std::optional<std::size_t> in_place_end;
  std::array<std::uint16_t, DnsMessage::kMaxPointerJumps> jumped_to{};
  int jumps = 0;
  for (;;) {
    if (cursor >= msg.size()) return Err(ParseError::kTruncated);
    const std::uint8_t len = msg[cursor];
    if ((len & 0xc0) == 0xc0) {
      if (cursor + 1 >= msg.size()) return Err(ParseError::kTruncated);
      const std::size_t target = (std::size_t{len & 0x3fu} << 8) | msg[cursor + 1];
      if (!in_place_end) in_place_end = cursor + 2;
      if (target >= msg.size()) return Err(ParseError::kPointerLoop);
      for (int i = 0; i < jumps; ++i) {
        if (jumped_to[i] == target) return Err(ParseError::kPointerLoop);
      }
      if (jumps == DnsMessage::kMaxPointerJumps) return Err(ParseError::kPointerLoop);
      jumped_to[jumps++] = static_cast<std::uint16_t>(target);
      cursor = target;
      continue;
    }
    if (len > DnsName::kMaxLabelLen) return Err(ParseError::kLabelTooLong);
    if (len == 0) {
      if (!in_place_end) in_place_end = cursor + 1;
      break;
    }
    if (cursor + 1 + len > msg.size()) return Err(ParseError::kTruncated);
    wire_len += 1 + len;
    if (wire_len > DnsName::kMaxWireLen) return Err(ParseError::kNameTooLong);
    labels.emplace_back(reinterpret_cast<const char*>(msg.data() + cursor + 1), len);
    cursor += 1 + len;
  }
  *end = *in_place_end;
  return DnsName::from_labels(std::move(labels));
}

// A name that must fill RDATA exactly up to `rd_end` (CNAME, NS, PTR, the tail of MX/SRV).
Result<DnsName> read_rdata_name(Bytes msg, std::size_t pos, std::size_t rd_end, std::size_t* end) {
  auto name = read_name(msg, pos, end);
  if (!name) return name;
  if (*end > rd_end) return Err(ParseError::kBadLength);
  return name;
}

Result<DnsName> read_final_rdata_name(Bytes msg, std::size_t pos, std::size_t rd_end) {
  std::size_t end = 0;
  auto name = read_rdata_name(msg, pos, rd_end, &end);
  if (name && end != rd_end) return Err(ParseError::kBadLength);
  return name;
}

// RDATA at msg[pos, pos + rdlength) of a record of `type` and `klass`.
Result<DnsRdata> parse_rdata(Bytes msg, DnsType type, DnsClass klass, std::size_t pos,
                             std::size_t rdlength) {
  const std::size_t rd_end = pos + rdlength;
  const bool in = klass == DnsClass::kIn;
  Bytes rd = msg.subspan(pos, rdlength);
  switch (type) {
    case DnsType::kA:
      if (!in) break;
      if (rdlength != 4) return Err(ParseError::kBadLength);
      return DnsRdata(DnsA{Ipv4Addr::from_bytes(rd)});
    case DnsType::kAaaa:
      if (!in) break;
      if (rdlength != 16) return Err(ParseError::kBadLength);
      return DnsRdata(DnsAaaa{Ipv6Addr::from_bytes(rd)});
    case DnsType::kCname:
    case DnsType::kNs:
    case DnsType::kPtr: {
      auto name = read_final_rdata_name(msg, pos, rd_end);
      if (!name) return Err(name.error());
      if (type == DnsType::kCname) return DnsRdata(DnsCname{std::move(*name)});
      if (type == DnsType::kNs) return DnsRdata(DnsNs{std::move(*name)});
      return DnsRdata(DnsPtr{std::move(*name)});
    }
    case DnsType::kMx: {
      if (rdlength < 3) return Err(ParseError::kBadLength);
      auto name = read_final_rdata_name(msg, pos + 2, rd_end);
      if (!name) return Err(name.error());
      return DnsRdata(DnsMx{load_be16(msg, pos), std::move(*name)});
    }
    case DnsType::kSrv: {
      if (!in) break;
      if (rdlength < 7) return Err(ParseError::kBadLength);
      auto name = read_final_rdata_name(msg, pos + 6, rd_end);
      if (!name) return Err(name.error());
      return DnsRdata(DnsSrv{load_be16(msg, pos), load_be16(msg, pos + 2), load_be16(msg, pos + 4),
                             std::move(*name)});
    }
    case DnsType::kTxt: {
      // RFC 1035 §3.3.14: one or more <character-string>s filling RDATA exactly.
      DnsTxt txt;
      std::size_t p = 0;
      while (p < rd.size()) {
        const std::size_t len = rd[p];
        if (p + 1 + len > rd.size()) return Err(ParseError::kBadLength);
        txt.strings.emplace_back(reinterpret_cast<const char*>(rd.data() + p + 1), len);
        p += 1 + len;
      }
      return DnsRdata(std::move(txt));
    }
    case DnsType::kSoa: {
      DnsSoa soa;
      std::size_t end = 0;
      auto mname = read_rdata_name(msg, pos, rd_end, &end);
      if (!mname) return Err(mname.error());
      auto rname = read_rdata_name(msg, end, rd_end, &end);
      if (!rname) return Err(rname.error());
      if (rd_end - end != 20) return Err(ParseError::kBadLength);
      soa.mname = std::move(*mname);
      soa.rname = std::move(*rname);
      soa.serial = load_be32(msg, end);
      soa.refresh = load_be32(msg, end + 4);
      soa.retry = load_be32(msg, end + 8);
      soa.expire = load_be32(msg, end + 12);
      soa.minimum = load_be32(msg, end + 16);
      return DnsRdata(std::move(soa));
    }
    default:
      break;
  }
  return DnsRdata(DnsRawRdata{ByteVec(rd.begin(), rd.end())});
}

// RFC 6891 §6.1.2-§6.1.3: the OPT record's CLASS is the requestor's UDP payload size, its TTL
// holds the extended RCODE (upper 8 bits), the version and the flags (DO first).
Result<DnsEdns> parse_opt(Bytes rd, std::uint16_t klass, std::uint32_t ttl,
                          std::uint8_t* extended_rcode) {
  DnsEdns edns;
  edns.udp_payload_size = klass;
  *extended_rcode = static_cast<std::uint8_t>(ttl >> 24);
  edns.version = static_cast<std::uint8_t>(ttl >> 16);
  edns.dnssec_ok = (ttl & 0x8000) != 0;
  edns.z = static_cast<std::uint16_t>(ttl & 0x7fff);
  std::size_t p = 0;
  while (p < rd.size()) {
    if (p + 4 > rd.size()) return Err(ParseError::kBadOption);
    const std::uint16_t code = load_be16(rd, p);
    const std::size_t len = load_be16(rd, p + 2);
    if (p + 4 + len > rd.size()) return Err(ParseError::kBadOption);
    edns.options.push_back({code, ByteVec(rd.begin() + p + 4, rd.begin() + p + 4 + len)});
    p += 4 + len;
  }
  return edns;
}

enum class Section { kAnswer, kAuthority, kAdditional };

}  // namespace

Result<DnsMessage> DnsMessage::parse(Bytes msg) {
  if (msg.size() < kHeaderLen) return Err(ParseError::kTruncated);
  DnsMessage m;
  m.id = load_be16(msg, 0);
  const std::uint8_t f1 = msg[2];
  const std::uint8_t f2 = msg[3];
  m.qr = f1 & 0x80;
  m.opcode = static_cast<DnsOpcode>((f1 >> 3) & 0x0f);
  m.aa = f1 & 0x04;
  m.tc = f1 & 0x02;
  m.rd = f1 & 0x01;
  m.ra = f2 & 0x80;
  m.z = f2 & 0x40;
  m.ad = f2 & 0x20;
  m.cd = f2 & 0x10;
  std::uint16_t rcode = f2 & 0x0f;
  const std::size_t qdcount = load_be16(msg, 4);
  const std::size_t ancount = load_be16(msg, 6);
  const std::size_t nscount = load_be16(msg, 8);
  const std::size_t arcount = load_be16(msg, 10);

  // Every question and record takes at least a few octets, so counts that cannot fit in what
  // is left are rejected before anything is allocated for them.
  const std::size_t min_len =
      qdcount * kMinQuestionLen + (ancount + nscount + arcount) * kMinRecordLen;
  if (min_len > msg.size() - kHeaderLen) return Err(ParseError::kTooManyRecords);

  std::size_t pos = kHeaderLen;
  m.questions.reserve(qdcount);
  for (std::size_t i = 0; i < qdcount; ++i) {
    auto name = read_name(msg, pos, &pos);
    if (!name) return Err(name.error());
    if (pos + 4 > msg.size()) return Err(ParseError::kTruncated);
    m.questions.push_back({std::move(*name), static_cast<DnsType>(load_be16(msg, pos)),
                           static_cast<DnsClass>(load_be16(msg, pos + 2))});
    pos += 4;
  }

  const std::pair<Section, std::size_t> sections[] = {
      {Section::kAnswer, ancount}, {Section::kAuthority, nscount}, {Section::kAdditional, arcount}};
  for (const auto& [section, count] : sections) {
    std::vector<DnsRecord>& out = section == Section::kAnswer      ? m.answers
                                  : section == Section::kAuthority ? m.authorities
                                                                   : m.additionals;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      auto name = read_name(msg, pos, &pos);
      if (!name) return Err(name.error());
      if (pos + 10 > msg.size()) return Err(ParseError::kTruncated);
      const auto type = static_cast<DnsType>(load_be16(msg, pos));
      const std::uint16_t klass = load_be16(msg, pos + 2);
      const std::uint32_t ttl = load_be32(msg, pos + 4);
      const std::size_t rdlength = load_be16(msg, pos + 8);
      pos += 10;
      if (pos + rdlength > msg.size()) return Err(ParseError::kTruncated);

      if (type == DnsType::kOpt) {
        // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
        if (section != Section::kAdditional || m.edns || !name->is_root()) {
          return Err(ParseError::kBadValue);
        }
        std::uint8_t extended_rcode = 0;
        auto edns = parse_opt(msg.subspan(pos, rdlength), klass, ttl, &extended_rcode);
        if (!edns) return Err(edns.error());
        m.edns = std::move(*edns);
        rcode = static_cast<std::uint16_t>(rcode | (extended_rcode << 4));
      } else {
        auto rdata = parse_rdata(msg, type, static_cast<DnsClass>(klass), pos, rdlength);
        if (!rdata) return Err(rdata.error());
        out.push_back(
            {std::move(*name), type, static_cast<DnsClass>(klass), ttl, std::move(*rdata)});
      }
      pos += rdlength;
    }
  }
  m.rcode = static_cast<DnsRcode>(rcode);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Emitting

namespace {

// Writes into a fixed span; the first write that does not fit marks the writer failed and
// every later write is ignored, so callers check ok() once at the end.
class DnsWriter {
 public:
  explicit DnsWriter(MutBytes out) : out_(out) {}

  bool ok() const { return ok_; }
  void fail() { ok_ = false; }
  std::size_t pos() const { return pos_; }

  void u8(std::uint8_t v) {
    if (!room(1)) return;
    out_[pos_++] = v;
  }
  void u16(std::uint16_t v) {
    if (!room(2)) return;
    store_be16(out_, pos_, v);
    pos_ += 2;
  }
  void u32(std::uint32_t v) {
    if (!room(4)) return;
    store_be32(out_, pos_, v);
    pos_ += 4;
  }
  void bytes(Bytes b) {
    if (!room(b.size())) return;
    std::copy(b.begin(), b.end(), out_.begin() + pos_);
    pos_ += b.size();
  }
  void bytes(std::string_view s) {
    bytes(Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  }
  void patch16(std::size_t at, std::uint16_t v) {
    if (ok_) store_be16(out_, at, v);
  }

  // RFC 1035 §4.1.4: a name is a sequence of labels ending in the root or in a pointer to an
  // earlier occurrence of its remaining labels. Only exact (case-sensitive) matches are reused
  // so that the receiver sees every name exactly as it was given.
  void name(const DnsName& n, bool compress) {
    const auto& labels = n.labels();
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (compress) {
        if (auto offset = find_suffix(labels, i)) {
          u16(static_cast<std::uint16_t>(0xc000 | *offset));
          return;
        }
        // Pointers have 14 bits of offset.
        if (pos_ < 0x4000) suffixes_.push_back({&labels, i, static_cast<std::uint16_t>(pos_)});
      }
      u8(static_cast<std::uint8_t>(labels[i].size()));
      bytes(labels[i]);
    }
    u8(0);
  }

 private:
  struct Suffix {
    const std::vector<std::string>* labels;
    std::size_t first;
    std::uint16_t offset;
  };

  bool room(std::size_t n) {
    if (!ok_ || out_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::optional<std::uint16_t> find_suffix(const std::vector<std::string>& labels,
                                           std::size_t first) const {
    const std::size_t count = labels.size() - first;
    for (const Suffix& s : suffixes_) {
      if (s.labels->size() - s.first != count) continue;
      if (std::equal(labels.begin() + first, labels.end(), s.labels->begin() + s.first)) {
        return s.offset;
      }
    }
    return std::nullopt;
  }

  MutBytes out_;
  std::size_t pos_ = 0;
  bool ok_ = true;
  std::vector<Suffix> suffixes_;
};

// True when `rdata` is the alternative the parser would produce for `type`/`klass`, so that
// what is emitted parses back to the same record. Raw RDATA goes with any type but OPT.
bool rdata_matches_type(const DnsRecord& r) {
  const bool in = r.klass == DnsClass::kIn;
  return std::visit(
      [&](const auto& rd) {
        using T = std::decay_t<decltype(rd)>;
        if constexpr (std::is_same_v<T, DnsRawRdata>) return r.type != DnsType::kOpt;
        if constexpr (std::is_same_v<T, DnsA>) return r.type == DnsType::kA && in;
        if constexpr (std::is_same_v<T, DnsAaaa>) return r.type == DnsType::kAaaa && in;
        if constexpr (std::is_same_v<T, DnsCname>) return r.type == DnsType::kCname;
        if constexpr (std::is_same_v<T, DnsNs>) return r.type == DnsType::kNs;
        if constexpr (std::is_same_v<T, DnsPtr>) return r.type == DnsType::kPtr;
        if constexpr (std::is_same_v<T, DnsMx>) return r.type == DnsType::kMx;
        if constexpr (std::is_same_v<T, DnsTxt>) return r.type == DnsType::kTxt;
        if constexpr (std::is_same_v<T, DnsSrv>) return r.type == DnsType::kSrv && in;
        if constexpr (std::is_same_v<T, DnsSoa>) return r.type == DnsType::kSoa;
        return false;
      },
      r.rdata);
}

void emit_rdata(DnsWriter& w, const DnsRdata& rdata) {
  std::visit(
      [&](const auto& rd) {
        using T = std::decay_t<decltype(rd)>;
        if constexpr (std::is_same_v<T, DnsRawRdata>) {
          w.bytes(Bytes(rd.bytes));
        } else if constexpr (std::is_same_v<T, DnsA> || std::is_same_v<T, DnsAaaa>) {
          w.bytes(rd.addr.bytes());
        } else if constexpr (std::is_same_v<T, DnsCname> || std::is_same_v<T, DnsPtr>) {
          w.name(rd.target, true);
        } else if constexpr (std::is_same_v<T, DnsNs>) {
          w.name(rd.host, true);
        } else if constexpr (std::is_same_v<T, DnsMx>) {
          w.u16(rd.preference);
          w.name(rd.exchange, true);
        } else if constexpr (std::is_same_v<T, DnsTxt>) {
          for (const std::string& s : rd.strings) {
            if (s.size() > 255) return w.fail();
            w.u8(static_cast<std::uint8_t>(s.size()));
            w.bytes(s);
          }
        } else if constexpr (std::is_same_v<T, DnsSrv>) {
          w.u16(rd.priority);
          w.u16(rd.weight);
          w.u16(rd.port);
          w.name(rd.target, false);  // RFC 2782: "name compression is not to be used"
        } else if constexpr (std::is_same_v<T, DnsSoa>) {
          w.name(rd.mname, true);
          w.name(rd.rname, true);
          w.u32(rd.serial);
          w.u32(rd.refresh);
          w.u32(rd.retry);
          w.u32(rd.expire);
          w.u32(rd.minimum);
        }
      },
      rdata);
}

// Writes RDLENGTH as a placeholder, the RDATA, then patches RDLENGTH in.
template <typename Fn>
void emit_with_rdlength(DnsWriter& w, Fn&& write_rdata) {
  const std::size_t rdlength_at = w.pos();
  w.u16(0);
  write_rdata();
  const std::size_t rdlength = w.pos() - rdlength_at - 2;
  if (rdlength > 0xffff) return w.fail();
  w.patch16(rdlength_at, static_cast<std::uint16_t>(rdlength));
}

void emit_record(DnsWriter& w, const DnsRecord& r) {
  if (!rdata_matches_type(r)) return w.fail();
  w.name(r.name, true);
  w.u16(static_cast<std::uint16_t>(r.type));
  w.u16(static_cast<std::uint16_t>(r.klass));
  w.u32(r.ttl);
  emit_with_rdlength(w, [&] { emit_rdata(w, r.rdata); });
}

void emit_opt(DnsWriter& w, const DnsEdns& edns, std::uint16_t full_rcode) {
  w.u8(0);  // root owner name
  w.u16(static_cast<std::uint16_t>(DnsType::kOpt));
  w.u16(edns.udp_payload_size);
  w.u32(std::uint32_t{static_cast<std::uint8_t>(full_rcode >> 4)} << 24 |
        std::uint32_t{edns.version} << 16 | (edns.dnssec_ok ? 0x8000u : 0u) | (edns.z & 0x7fffu));
  emit_with_rdlength(w, [&] {
    for (const DnsEdnsOption& o : edns.options) {
      if (o.data.size() > 0xffff) return w.fail();
      w.u16(o.code);
      w.u16(static_cast<std::uint16_t>(o.data.size()));
      w.bytes(Bytes(o.data));
    }
  });
}

}  // namespace

std::size_t DnsMessage::emit(MutBytes out) const {
  const auto full_rcode = static_cast<std::uint16_t>(rcode);
  if (full_rcode > 0xfff || (full_rcode > 0xf && !edns)) return 0;
  const std::size_t arcount = additionals.size() + (edns ? 1 : 0);
  for (std::size_t count : {questions.size(), answers.size(), authorities.size(), arcount}) {
    if (count > 0xffff) return 0;
  }

  DnsWriter w(out);
  w.u16(id);
  w.u8(static_cast<std::uint8_t>((qr ? 0x80 : 0) |
                                 ((static_cast<std::uint8_t>(opcode) & 0xf) << 3) |
                                 (aa ? 0x04 : 0) | (tc ? 0x02 : 0) | (rd ? 0x01 : 0)));
  w.u8(static_cast<std::uint8_t>((ra ? 0x80 : 0) | (z ? 0x40 : 0) | (ad ? 0x20 : 0) |
                                 (cd ? 0x10 : 0) | (full_rcode & 0xf)));
  w.u16(static_cast<std::uint16_t>(questions.size()));
  w.u16(static_cast<std::uint16_t>(answers.size()));
  w.u16(static_cast<std::uint16_t>(authorities.size()));
  w.u16(static_cast<std::uint16_t>(arcount));
  for (const DnsQuestion& q : questions) {
    w.name(q.name, true);
    w.u16(static_cast<std::uint16_t>(q.type));
    w.u16(static_cast<std::uint16_t>(q.klass));
  }
  for (const auto* section : {&answers, &authorities, &additionals}) {
    for (const DnsRecord& r : *section) emit_record(w, r);
  }
  if (edns) emit_opt(w, *edns, full_rcode);
  return w.ok() ? w.pos() : 0;
}

ByteVec DnsMessage::to_bytes() const {
  ByteVec buf(0xffff);
  buf.resize(emit(buf));
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Names

Result<DnsName> DnsName::from_labels(std::vector<std::string> labels) {
  std::size_t wire_len = 1;
  for (const std::string& l : labels) {
    if (l.empty()) return Err(ParseError::kBadValue);
    if (l.size() > kMaxLabelLen) return Err(ParseError::kLabelTooLong);
    wire_len += 1 + l.size();
  }
  if (wire_len > kMaxWireLen) return Err(ParseError::kNameTooLong);
  DnsName n;
  n.labels_ = std::move(labels);
  return n;
}

std::size_t DnsName::wire_len() const {
  std::size_t n = 1;
  for (const std::string& l : labels_) n += 1 + l.size();
  return n;
}

bool DnsName::equals_ignore_case(const DnsName& o) const {
  if (labels_.size() != o.labels_.size()) return false;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    const std::string& a = labels_[i];
    const std::string& b = o.labels_[i];
    if (a.size() != b.size()) return false;
    for (std::size_t j = 0; j < a.size(); ++j) {
      if (lower(a[j]) != lower(b[j])) return false;
    }
  }
  return true;
}

}  // namespace ustack
