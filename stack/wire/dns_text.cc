// Text forms of DNS names and messages: RFC 1035 §5.1 presentation format for names and
// character-strings, master-file lines for records (RFC 3597 §5 for unknown types), the
// one-line and dig-like descriptions of messages. See dns.h.
#include <cstdio>
#include <string>
#include <type_traits>

#include "stack/wire/dns.h"

namespace ustack {

// ---------------------------------------------------------------------------------------------
// Names

Result<DnsName> DnsName::parse(std::string_view text) {
  if (text == ".") return DnsName();
  if (text.empty()) return Err(ParseError::kBadValue);
  std::vector<std::string> labels;
  std::string label;
  bool label_open = false;  // something (even an escape) was read since the last dot
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (!label_open) return Err(ParseError::kBadValue);  // empty label
      labels.push_back(std::move(label));
      label.clear();
      label_open = false;
      continue;
    }
    label_open = true;
    if (c != '\\') {
      label.push_back(c);
      continue;
    }
    // RFC 1035 §5.1: "\X" is X literally, "\DDD" is the octet with decimal value DDD.
    if (i + 1 >= text.size()) return Err(ParseError::kBadValue);
    auto is_digit = [](char d) { return d >= '0' && d <= '9'; };
    if (is_digit(text[i + 1])) {
      if (i + 3 >= text.size()) return Err(ParseError::kBadValue);
      if (!is_digit(text[i + 2]) || !is_digit(text[i + 3])) return Err(ParseError::kBadValue);
      const int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
      if (v > 255) return Err(ParseError::kBadValue);
      label.push_back(static_cast<char>(v));
      i += 3;
    } else {
      label.push_back(text[i + 1]);
      i += 1;
    }
  }
  if (label_open) labels.push_back(std::move(label));
  return from_labels(std::move(labels));
}

namespace {

// RFC 1035 §5.1 presentation of one octet inside a label or character-string.
void append_escaped(std::string& out, std::uint8_t c, bool in_quotes) {
  const bool special = in_quotes ? (c == '"' || c == '\\') : (c == '.' || c == '\\' || c == '"');
  if (special) {
    out.push_back('\\');
    out.push_back(static_cast<char>(c));
  } else if (c > 0x20 && c < 0x7f) {
    out.push_back(static_cast<char>(c));
  } else if (c == ' ' && in_quotes) {
    out.push_back(' ');
  } else {
    char buf[5];
    std::snprintf(buf, sizeof buf, "\\%03u", c);
    out += buf;
  }
}

}  // namespace

std::string DnsName::to_string() const {
  if (labels_.empty()) return ".";
  std::string out;
  for (const std::string& l : labels_) {
    for (char c : l) append_escaped(out, static_cast<std::uint8_t>(c), false);
    out.push_back('.');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text

std::string to_string(DnsType t) {
  switch (t) {
    case DnsType::kA:
      return "A";
    case DnsType::kNs:
      return "NS";
    case DnsType::kCname:
      return "CNAME";
    case DnsType::kSoa:
      return "SOA";
    case DnsType::kPtr:
      return "PTR";
    case DnsType::kMx:
      return "MX";
    case DnsType::kTxt:
      return "TXT";
    case DnsType::kAaaa:
      return "AAAA";
    case DnsType::kSrv:
      return "SRV";
    case DnsType::kOpt:
      return "OPT";
    case DnsType::kAny:
      return "ANY";
  }
  return "TYPE" + std::to_string(static_cast<unsigned>(t));
}

std::string to_string(DnsClass c) {
  switch (c) {
    case DnsClass::kIn:
      return "IN";
    case DnsClass::kCh:
      return "CH";
    case DnsClass::kHs:
      return "HS";
    case DnsClass::kAny:
      return "ANY";
  }
  return "CLASS" + std::to_string(static_cast<unsigned>(c));
}

std::string to_string(DnsOpcode o) {
  switch (o) {
    case DnsOpcode::kQuery:
      return "QUERY";
    case DnsOpcode::kIquery:
      return "IQUERY";
    case DnsOpcode::kStatus:
      return "STATUS";
    case DnsOpcode::kNotify:
      return "NOTIFY";
    case DnsOpcode::kUpdate:
      return "UPDATE";
  }
  return "OPCODE" + std::to_string(static_cast<unsigned>(o));
}

std::string to_string(DnsRcode r) {
  switch (r) {
    case DnsRcode::kNoError:
      return "NOERROR";
    case DnsRcode::kFormErr:
      return "FORMERR";
    case DnsRcode::kServFail:
      return "SERVFAIL";
    case DnsRcode::kNxDomain:
      return "NXDOMAIN";
    case DnsRcode::kNotImp:
      return "NOTIMP";
    case DnsRcode::kRefused:
      return "REFUSED";
    case DnsRcode::kYxDomain:
      return "YXDOMAIN";
    case DnsRcode::kYxRrset:
      return "YXRRSET";
    case DnsRcode::kNxRrset:
      return "NXRRSET";
    case DnsRcode::kNotAuth:
      return "NOTAUTH";
    case DnsRcode::kNotZone:
      return "NOTZONE";
    case DnsRcode::kBadVers:
      return "BADVERS";
    case DnsRcode::kBadCookie:
      return "BADCOOKIE";
  }
  return "RCODE" + std::to_string(static_cast<unsigned>(r));
}

std::string DnsRecord::rdata_to_string() const {
  std::string out = ustack::to_string(type) + " ";
  std::visit(
      [&](const auto& rd) {
        using T = std::decay_t<decltype(rd)>;
        if constexpr (std::is_same_v<T, DnsRawRdata>) {
          // RFC 3597 §5: "\# <length> <hex>".
          out += "\\# " + std::to_string(rd.bytes.size());
          if (!rd.bytes.empty()) out += " " + to_hex(rd.bytes);
        } else if constexpr (std::is_same_v<T, DnsA> || std::is_same_v<T, DnsAaaa>) {
          out += rd.addr.to_string();
        } else if constexpr (std::is_same_v<T, DnsCname> || std::is_same_v<T, DnsPtr>) {
          out += rd.target.to_string();
        } else if constexpr (std::is_same_v<T, DnsNs>) {
          out += rd.host.to_string();
        } else if constexpr (std::is_same_v<T, DnsMx>) {
          out += std::to_string(rd.preference) + " " + rd.exchange.to_string();
        } else if constexpr (std::is_same_v<T, DnsTxt>) {
          for (std::size_t i = 0; i < rd.strings.size(); ++i) {
            if (i > 0) out.push_back(' ');
            out.push_back('"');
            for (char c : rd.strings[i]) append_escaped(out, static_cast<std::uint8_t>(c), true);
            out.push_back('"');
          }
        } else if constexpr (std::is_same_v<T, DnsSrv>) {
          out += std::to_string(rd.priority) + " " + std::to_string(rd.weight) + " " +
                 std::to_string(rd.port) + " " + rd.target.to_string();
        } else if constexpr (std::is_same_v<T, DnsSoa>) {
          out += rd.mname.to_string() + " " + rd.rname.to_string() + " " +
                 std::to_string(rd.serial) + " " + std::to_string(rd.refresh) + " " +
                 std::to_string(rd.retry) + " " + std::to_string(rd.expire) + " " +
                 std::to_string(rd.minimum);
        }
      },
      rdata);
  return out;
}

std::string DnsRecord::to_string() const {
  return name.to_string() + " " + std::to_string(ttl) + " " + ustack::to_string(klass) + " " +
         rdata_to_string();
}

namespace {

std::string flags_string(const DnsMessage& m) {
  std::string out;
  auto flag = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out.push_back(' ');
    out += name;
  };
  flag(m.qr, "qr");
  flag(m.aa, "aa");
  flag(m.tc, "tc");
  flag(m.rd, "rd");
  flag(m.ra, "ra");
  flag(m.z, "z");
  flag(m.ad, "ad");
  flag(m.cd, "cd");
  return out;
}

std::string edns_string(const DnsEdns& e) {
  std::string out = "edns udp=" + std::to_string(e.udp_payload_size);
  if (e.version != 0) out += " version=" + std::to_string(e.version);
  if (e.dnssec_ok) out += " do";
  if (e.z != 0) out += " z=" + std::to_string(e.z);
  return out;
}

}  // namespace

std::string DnsMessage::to_string() const {
  char id_buf[16];
  std::snprintf(id_buf, sizeof id_buf, "id 0x%04x", id);
  std::string out = id_buf;
  if (opcode != DnsOpcode::kQuery) out += " " + ustack::to_string(opcode);
  if (std::string flags = flags_string(*this); !flags.empty()) out += " " + flags;
  if (rcode != DnsRcode::kNoError) out += " " + ustack::to_string(rcode);
  for (std::size_t i = 0; i < questions.size(); ++i) {
    out += i == 0 ? " " : ", ";
    const DnsQuestion& q = questions[i];
    out += ustack::to_string(q.type) + "? " + q.name.to_string();
    if (q.klass != DnsClass::kIn) out += " " + ustack::to_string(q.klass);
  }
  for (std::size_t i = 0; i < answers.size(); ++i) {
    out += i == 0 ? " / " : ", ";
    out += answers[i].rdata_to_string();
  }
  if (!authorities.empty()) out += " ns " + std::to_string(authorities.size());
  if (!additionals.empty()) out += " ar " + std::to_string(additionals.size());
  if (edns) out += " " + edns_string(*edns);
  return out;
}

std::string DnsMessage::to_verbose_string() const {
  char id_buf[16];
  std::snprintf(id_buf, sizeof id_buf, "0x%04x", id);
  std::string out = ";; id " + std::string(id_buf) + ", opcode " + ustack::to_string(opcode) +
                    ", rcode " + ustack::to_string(rcode) + ", flags: " + flags_string(*this) +
                    "\n";
  out += ";; QUESTION: " + std::to_string(questions.size()) +
         ", ANSWER: " + std::to_string(answers.size()) +
         ", AUTHORITY: " + std::to_string(authorities.size()) +
         ", ADDITIONAL: " + std::to_string(additionals.size() + (edns ? 1 : 0)) + "\n";
  if (edns) {
    out += ";; " + edns_string(*edns) + "\n";
    for (const DnsEdnsOption& o : edns->options) {
      out += ";;   option " + std::to_string(o.code) + " (" + std::to_string(o.data.size()) +
             " octets)";
      if (!o.data.empty()) out += " " + to_hex(o.data);
      out += "\n";
    }
  }
  if (!questions.empty()) out += ";; QUESTION SECTION:\n";
  for (const DnsQuestion& q : questions) {
    out += ";" + q.name.to_string() + " " + ustack::to_string(q.klass) + " " +
           ustack::to_string(q.type) + "\n";
  }
  const std::pair<const char*, const std::vector<DnsRecord>*> sections[] = {
      {";; ANSWER SECTION:\n", &answers},
      {";; AUTHORITY SECTION:\n", &authorities},
      {";; ADDITIONAL SECTION:\n", &additionals}};
  for (const auto& [title, records] : sections) {
    if (records->empty()) continue;
    out += title;
    for (const DnsRecord& r : *records) out += r.to_string() + "\n";
  }
  return out;
}

}  // namespace ustack
