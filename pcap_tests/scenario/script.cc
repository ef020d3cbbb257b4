// The packetdrill subset parser. Shaped after packetdrill's own grammar (parser.y): a line is
// `time event`, a TCP packet is `flags seq:end(len) [ack N] [win N] [<options>]`, a syscall is
// `name(args) = result [ERRNO [(text)]]`. Errors stop the parse at the first bad line: a
// script is either wholly understood or refused.
#include "pcap_tests/scenario/script.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <span>
#include <utility>

#include "pcap_tests/scenario/script_lexer.h"

namespace ustack::scenario {

namespace {

// Thrown inside the parser only; parse_script turns it into ParseOutcome::error.
struct Refusal {
  std::string message;  // without the "FILE:LINE: " prefix
};

[[noreturn]] void unsupported(const std::string& construct) {
  throw Refusal{"unsupported: " + construct};
}
[[noreturn]] void syntax(const std::string& what) { throw Refusal{what}; }

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return std::string(s);
}

struct SourceLine {
  int number = 0;
  std::string text;
};

// --- Comments, flags and logical lines ---

// Blanks out /* */ and // comments, keeping the newlines so line numbers stay right.
std::string strip_comments(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out.compare(i, 2, "/*") == 0) {
      std::size_t end = out.find("*/", i + 2);
      std::size_t stop = end == std::string::npos ? out.size() : end + 2;
      for (std::size_t j = i; j < stop; ++j) {
        if (out[j] != '\n') out[j] = ' ';
      }
      i = stop - 1;
    } else if (out.compare(i, 2, "//") == 0) {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
    }
  }
  return out;
}

int paren_depth(std::string_view s) {
  int depth = 0;
  for (char c : s) depth += c == '(' ? 1 : c == ')' ? -1 : 0;
  return depth;
}

// One entry per event: a syscall whose parentheses stay open continues on the next lines
// (packetdrill's grammar is free-form; scripts break long setsockopt calls this way).
std::vector<SourceLine> logical_lines(const std::string& text) {
  std::vector<SourceLine> out;
  int number = 1;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!out.empty() && paren_depth(out.back().text) > 0) {
      out.back().text += " " + line;
    } else if (!trim(line).empty()) {
      out.push_back({number, line});
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
    ++number;
  }
  return out;
}

// packetdrill's command-line flags, as a script names them: "--ip_version=ipv6",
// "--tolerance_usecs=10000" and "--strict_segments" set the script's; "--local_ip=" and
// "--remote_ip=" are accepted and do not change anything (they only name the two hosts, and a
// scenario uses its own addresses, ScenarioAddresses, in 198.18.0.0/15 and fd00::/8 as our network
// rules require). Any other flag changes what the script means, so it is refused.
void apply_flags(std::string_view flags, Script& script) {
  LineCursor c(flags);
  while (!c.at_end()) {
    if (c.eat("--ip_version=")) {
      std::string v = c.word();
      if (v == "ipv4") {
        script.ip_version = IpVersion::kV4;
      } else if (v == "ipv6") {
        script.ip_version = IpVersion::kV6;
      } else {
        unsupported("--ip_version=" + v + " (ipv4 and ipv6 only)");
      }
    } else if (c.eat("--tolerance_usecs=")) {
      std::optional<std::uint64_t> us = c.number();
      if (!us) syntax("--tolerance_usecs= needs a number of microseconds");
      script.tolerance = Duration::micros(static_cast<std::int64_t>(*us));
    } else if (c.eat("--strict_segments")) {
      script.strict_segments = true;
    } else if (c.eat("--local_ip=") || c.eat("--remote_ip=")) {
      std::string_view r = c.rest();
      std::size_t n = 0;
      while (n < r.size() && std::isspace(static_cast<unsigned char>(r[n])) == 0) ++n;
      if (!IpAddr::parse(r.substr(0, n)))
        syntax("bad address '" + std::string(r.substr(0, n)) + "'");
      c.set_pos(c.pos() + n);
    } else {
      std::string flag(c.rest());
      unsupported("flag " + flag.substr(0, flag.find(' ')));
    }
  }
}

// "// flags: --ip_version=ipv6 --tolerance_usecs=10000" on the first line.
void apply_flags_comment(std::string_view first_line, Script& script) {
  std::string line = trim(first_line);
  if (!line.starts_with("//")) return;
  std::string body = trim(std::string_view(line).substr(2));
  if (!body.starts_with("flags:")) return;
  apply_flags(std::string_view(body).substr(6), script);
}

// --- Integer expressions: 3, 0x2, -1, SOCK_STREAM, O_RDWR|O_NONBLOCK ---

long int_expression(std::string_view text) {
  long value = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t bar = text.find('|', start);
    std::string term = trim(text.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (term.empty()) syntax("expected a number in '" + std::string(text) + "'");
    bool negative = term.front() == '-';
    LineCursor c(std::string_view(term).substr(negative ? 1 : 0));
    if (std::optional<std::uint64_t> n = c.number(); n && c.at_end()) {
      value |= negative ? -static_cast<long>(*n) : static_cast<long>(*n);
    } else if (std::optional<long> sym = symbol_value(term); sym && !negative) {
      value |= *sym;
    } else if (!term.empty() && (std::isalpha(static_cast<unsigned char>(term.front())) != 0)) {
      unsupported("constant " + term);
    } else {
      syntax("expected a number or a constant, got '" + term + "'");
    }
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return value;
}

// --- Time ---

EventTime event_time(LineCursor& c, Duration previous_start) {
  if (c.eat("*")) unsupported("'*' (any time) event times");
  EventTime t;
  t.relative = c.eat("+");
  std::optional<Duration> at = c.seconds();
  if (!at) syntax("expected an event time (0.100, +0.1, 0.1~0.2)");
  t.start = t.relative ? previous_start + *at : *at;
  t.end = t.start;
  if (c.eat("...")) unsupported("blocking syscall time range 'A...B'");
  if (c.eat("~")) {
    bool relative_end = c.eat("+");
    std::optional<Duration> end = c.seconds();
    if (!end) syntax("expected the end of the time range after '~'");
    t.end = relative_end ? previous_start + *end : *end;
    if (t.end < t.start) syntax("time range ends before it starts");
  }
  return t;
}

// --- Packets ---

std::uint8_t parse_flags(LineCursor& c) {
  std::string_view r = c.rest();
  std::size_t n = 0;
  while (n < r.size() && std::isspace(static_cast<unsigned char>(r[n])) == 0) ++n;
  if (n == 0) syntax("expected TCP flags");
  std::uint8_t flags = 0;
  if (r.substr(0, n) == "-") {  // packetdrill's "no flags at all"
    c.set_pos(c.pos() + n);
    return flags;
  }
  for (char ch : r.substr(0, n)) {
    switch (ch) {
      case 'F':
        flags |= tcp_flags::kFin;
        break;
      case 'S':
        flags |= tcp_flags::kSyn;
        break;
      case 'R':
        flags |= tcp_flags::kRst;
        break;
      case 'P':
        flags |= tcp_flags::kPsh;
        break;
      case '.':
        flags |= tcp_flags::kAck;
        break;
      case 'E':
        flags |= tcp_flags::kEce;
        break;
      case 'W':
        flags |= tcp_flags::kCwr;
        break;
      case 'U':
        flags |= tcp_flags::kUrg;
        break;
      default:
        syntax(std::string("unknown TCP flag '") + ch + "' in '" + std::string(r.substr(0, n)) +
               "'");
    }
  }
  c.set_pos(c.pos() + n);
  return flags;
}

std::uint32_t u32(LineCursor& c, const char* what) {
  std::optional<std::uint64_t> n = c.number();
  if (!n || *n > 0xffffffffu) syntax(std::string("expected ") + what);
  return static_cast<std::uint32_t>(*n);
}

void add_option_kind(TcpOptions& o, TcpOptionKind kind) {
  if (o.order_len >= o.order.size()) syntax("too many TCP options");
  o.order[o.order_len++] = static_cast<std::uint8_t>(kind);
}

// One item of "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7,sack 1:2 3:4,eol>".
void parse_option(std::string_view item, TcpOptions& o) {
  LineCursor c(item);
  std::string name = c.word();
  if (name == "nop") {
    add_option_kind(o, TcpOptionKind::kNop);
  } else if (name == "eol") {
    add_option_kind(o, TcpOptionKind::kEol);
  } else if (name == "sackOK") {
    o.sack_permitted = true;
    add_option_kind(o, TcpOptionKind::kSackPermitted);
  } else if (name == "mss") {
    std::uint32_t v = u32(c, "an MSS value");
    if (v > 0xffff) syntax("mss " + std::to_string(v) + " does not fit 16 bits");
    o.mss = static_cast<std::uint16_t>(v);
    add_option_kind(o, TcpOptionKind::kMss);
  } else if (name == "wscale") {
    std::uint32_t v = u32(c, "a window scale");
    if (v > 0xff) syntax("wscale " + std::to_string(v) + " does not fit 8 bits");
    o.window_scale = static_cast<std::uint8_t>(v);
    add_option_kind(o, TcpOptionKind::kWindowScale);
  } else if (name == "TS") {
    TcpTimestamps ts;
    if (c.word() != "val") syntax("expected 'TS val N ecr N'");
    ts.val = u32(c, "a TS val");
    if (c.word() != "ecr") syntax("expected 'TS val N ecr N'");
    ts.ecr = u32(c, "a TS ecr");
    o.timestamps = ts;
    add_option_kind(o, TcpOptionKind::kTimestamps);
  } else if (name == "sack") {
    while (!c.at_end()) {
      if (o.sack_count >= TcpOptions::kMaxSackBlocks) syntax("more than 4 SACK blocks");
      std::uint32_t left = u32(c, "a SACK block 'A:B'");
      if (!c.eat(":")) syntax("expected a SACK block 'A:B'");
      std::uint32_t right = u32(c, "a SACK block 'A:B'");
      o.add_sack({SeqNum(left), SeqNum(right)});
    }
    if (o.sack_count == 0) syntax("'sack' needs at least one block");
    add_option_kind(o, TcpOptionKind::kSack);
  } else {
    unsupported("TCP option '" + trim(item) + "'");
  }
  if (!c.at_end()) syntax("unexpected '" + std::string(c.rest()) + "' in TCP option");
}

void parse_options(LineCursor& c, TcpSegmentSpec& seg) {
  c.eat("<");
  std::string_view rest = c.rest();
  std::size_t close = rest.find('>');
  if (close == std::string_view::npos) syntax("TCP option list without its closing '>'");
  std::string body = trim(rest.substr(0, close));
  c.set_pos(c.pos() + close + 1);
  if (body == "...") {
    seg.options_kind = TcpSegmentSpec::Options::kAny;
    return;
  }
  seg.options_kind = TcpSegmentSpec::Options::kListed;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t comma = body.find(',', start);
    parse_option(
        std::string_view(body).substr(start, comma == std::string::npos ? comma : comma - start),
        seg.options);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (seg.options.wire_len() > TcpOptions::kMaxLen) syntax("TCP options longer than 40 bytes");
}

// `frag N [reverse] [overlap K]` (our extension, FragSpec) once its keyword is read.
FragSpec parse_frag(LineCursor& c, bool inbound) {
  if (!inbound) {
    syntax("'frag' is for injected ('<') packets; an expected one may come in fragments anyway");
  }
  FragSpec f;
  f.size = u32(c, "a fragment size after 'frag'");
  // RFC 791 §3.1 / RFC 8200 §4.5: offsets count 8-octet units, so every fragment but the last
  // carries a multiple of 8 octets.
  if (f.size == 0 || f.size % 8 != 0) syntax("'frag N' needs a positive multiple of 8");
  while (!c.at_end()) {
    std::string w = c.word();
    if (w == "reverse" && !f.reverse) {
      f.reverse = true;
    } else if (w == "overlap" && f.overlap == 0) {
      f.overlap = u32(c, "a number of octets after 'overlap'");
      if (f.overlap == 0 || f.overlap % 8 != 0 || f.overlap >= f.size) {
        syntax("'overlap K' needs a positive multiple of 8 below the fragment size");
      }
    } else {
      syntax("unexpected '" + (w.empty() ? std::string(c.rest()) : w) +
             "' after 'frag N' (reverse, overlap K)");
    }
  }
  return f;
}

TcpSegmentSpec parse_tcp(LineCursor& c, bool inbound, std::optional<FragSpec>& frag) {
  TcpSegmentSpec seg;
  seg.flags = parse_flags(c);
  seg.seq = u32(c, "'seq:end(len)'");
  if (!c.eat(":")) syntax("expected 'seq:end(len)'");
  seg.end_seq = u32(c, "'seq:end(len)'");
  if (!c.eat("(")) syntax("expected 'seq:end(len)'");
  seg.len = u32(c, "'seq:end(len)'");
  if (!c.eat(")")) syntax("expected 'seq:end(len)'");
  // packetdrill: "inconsistent TCP sequence numbers and payload length".
  if (seg.end_seq - seg.seq != seg.len) {
    syntax("inconsistent sequence numbers and length: " + std::to_string(seg.seq) + ":" +
           std::to_string(seg.end_seq) + "(" + std::to_string(seg.len) + ")");
  }
  std::set<std::string> seen;
  while (!c.at_end()) {
    if (c.peek() == '<') {
      if (!seen.insert("<").second) syntax("two option lists");
      parse_options(c, seg);
      continue;
    }
    std::string w = c.word();
    if (w.empty()) syntax("unexpected '" + std::string(c.rest()) + "'");
    if (!seen.insert(w).second) syntax("'" + w + "' given twice");
    if (w == "frag") {
      frag = parse_frag(c, inbound);  // takes the rest of the line
    } else if (w == "ack") {
      seg.ack = u32(c, "an ack number");
    } else if (w == "win") {
      std::uint32_t win = u32(c, "a window");
      if (win > 0xffff) syntax("win " + std::to_string(win) + " does not fit 16 bits");
      seg.win = win;
    } else if (w == "urg") {
      std::uint32_t urg = u32(c, "an urgent pointer");
      if (urg > 0xffff) syntax("urg " + std::to_string(urg) + " does not fit 16 bits");
      seg.urg = urg;
    } else {
      unsupported("'" + w + "' in a TCP packet line");
    }
  }
  if (inbound && !seg.win) syntax("an inbound packet needs 'win N' (packetdrill)");
  if (inbound && seg.options_kind == TcpSegmentSpec::Options::kAny) {
    syntax("'<...>' (any options) is only for expected ('>') packets");
  }
  return seg;
}

// "icmp unreachable frag_needed mtu 1200 [1:1461(1460)]" after its keyword (packetdrill's
// icmp_packet_spec: a type word, an optional code word, optional `mtu N`, an optional quote).
IcmpErrorSpec parse_icmp(LineCursor& c, bool v6_keyword) {
  IcmpErrorSpec icmp;
  icmp.v6_keyword = v6_keyword;
  icmp.type_name = c.word();
  if (icmp.type_name.empty()) syntax("expected an ICMP type ('unreachable', 'packet_too_big')");
  if (c.peek() != '[' && !c.at_end()) {
    std::string w = c.word();
    if (w.empty()) syntax("unexpected '" + std::string(c.rest()) + "' in an ICMP packet line");
    if (w != "mtu") {
      icmp.code_name = w;
      if (c.peek() != '[' && !c.at_end()) w = c.word();
    }
    if (w == "mtu") {
      icmp.mtu = u32(c, "an MTU after 'mtu'");
    } else if (w != icmp.code_name) {
      // packetdrill's `id N` belongs to echo messages, which this subset does not send.
      unsupported("'" + w + "' in an ICMP packet line");
    }
  }
  if (c.eat("[")) {
    if (c.peek() == 'u') {
      if (c.word() != "udp" || !c.eat("(")) syntax("expected a quoted '[udp (LEN)]'");
      icmp.quoted = IcmpErrorSpec::Quoted::kUdp;
      icmp.len = u32(c, "a quoted UDP payload length");
      if (!c.eat(")")) syntax("expected a quoted '[udp (LEN)]'");
    } else if (std::isdigit(static_cast<unsigned char>(c.peek())) != 0) {
      icmp.seq = u32(c, "a quoted '[seq:end(len)]'");
      if (!c.eat(":")) syntax("expected a quoted '[seq:end(len)]'");
      std::uint32_t end = u32(c, "a quoted '[seq:end(len)]'");
      if (!c.eat("(")) syntax("expected a quoted '[seq:end(len)]'");
      icmp.len = u32(c, "a quoted '[seq:end(len)]'");
      if (!c.eat(")")) syntax("expected a quoted '[seq:end(len)]'");
      if (end - icmp.seq != icmp.len) {
        syntax(
            "inconsistent sequence numbers and length in the quote: " + std::to_string(icmp.seq) +
            ":" + std::to_string(end) + "(" + std::to_string(icmp.len) + ")");
      }
    } else {
      unsupported("quoted packet '[" + std::string(c.rest()) +
                  "' (only '[seq:end(len)]' and '[udp (LEN)]')");
    }
    if (!c.eat("]")) syntax("expected ']' after the quoted packet");
  }
  if (!c.at_end()) unsupported("'" + std::string(c.rest()) + "' after an ICMP packet");
  return icmp;
}

// packetdrill's names (icmp_packet.c, after RFC 792 / RFC 4443) for the error types and codes
// this subset sends, or a refusal. Fills type, code and v6; checks `mtu` goes with the one
// type that carries it, as packetdrill does.
void resolve_icmp(IcmpErrorSpec& icmp, IpVersion version, bool inbound) {
  if (icmp.v6_keyword && version != IpVersion::kV6) syntax("'icmp6' in an IPv4 script");
  icmp.v6 = version == IpVersion::kV6;
  struct Name {
    const char* name;
    std::uint8_t value;
  };
  // RFC 792 destination unreachable codes; RFC 4443 §3.1's (packetdrill spells code 0
  // "net_unreachable" for IPv6 too, and names the others after Linux's constants).
  static constexpr Name kV4Codes[] = {
      {"net_unreachable", 0},
      {"host_unreachable", 1},
      {"protocol_unreachable", 2},
      {"port_unreachable", 3},
      {"frag_needed", 4},
      {"source_route_failed", 5},
      {"net_unknown", 6},
      {"host_unknown", 7},
      {"source_host_isolated", 8},
      {"net_prohibited", 9},
      {"host_prohibited", 10},
      {"net_unreachable_for_tos", 11},
      {"host_unreachable_for_tos", 12},
      {"packet_filtered", 13},
      {"precedence_violation", 14},
      {"precedence_cutoff", 15},
  };
  static constexpr Name kV6Codes[] = {
      {"net_unreachable", 0},     {"no_route", 0},
      {"admin_prohibited", 1},    {"not_neighbour", 2},
      {"address_unreachable", 3}, {"port_unreachable", 4},
  };
  // RFC 4443 §3.4 Parameter Problem codes (our names; packetdrill has none). RFC 792's
  // Parameter Problem has code 0 (the pointer says where) and 1 (a required option missing).
  static constexpr Name kV6ParamCodes[] = {
      {"erroneous_header", 0},
      {"unknown_header", 1},
      {"unknown_option", 2},
  };
  static constexpr Name kV4ParamCodes[] = {{"pointer", 0}, {"missing_option", 1}};
  std::span<const Name> codes;
  if (icmp.type_name == "unreachable") {
    icmp.type = icmp.v6 ? 1 : 3;
    codes = icmp.v6 ? std::span<const Name>(kV6Codes) : std::span<const Name>(kV4Codes);
  } else if (icmp.v6 && icmp.type_name == "packet_too_big") {
    icmp.type = 2;
  } else if (icmp.type_name == "time_exceeded") {
    icmp.type = icmp.v6 ? 3 : 11;
  } else if (!inbound && icmp.type_name == "parameter_problem") {
    // Expected only: an injected one would need its pointer, which the syntax lacks.
    icmp.type = icmp.v6 ? 4 : 12;
    codes = icmp.v6 ? std::span<const Name>(kV6ParamCodes) : std::span<const Name>(kV4ParamCodes);
  } else {
    unsupported(std::string(icmp.v6 ? "ICMPv6" : "ICMP") + " type '" + icmp.type_name +
                "' (unreachable, " + (icmp.v6 ? "packet_too_big, " : "") + "time_exceeded)");
  }
  icmp.code = 0;
  if (!icmp.code_name.empty()) {
    const Name* found = nullptr;
    for (const Name& n : codes) {
      if (icmp.code_name == n.name) found = &n;
    }
    if (found == nullptr) {
      syntax(std::string("unknown ") + (icmp.v6 ? "ICMPv6" : "ICMP") + " code '" + icmp.code_name +
             "' for type '" + icmp.type_name + "'");
    }
    icmp.code = found->value;
  }
  if (icmp.mtu) {
    bool carries_mtu = icmp.v6 ? icmp.type == 2 : icmp.type == 3 && icmp.code == 4;
    if (!carries_mtu) {
      syntax(icmp.v6 ? "an ICMPv6 MTU is only for packet_too_big"
                     : "an ICMP MTU is only for unreachable frag_needed");
    }
    if (!icmp.v6 && *icmp.mtu > 0xffff) syntax("ICMP MTU does not fit 16 bits");
  }
}

std::vector<std::string> split_args(std::string_view s);

// "[hbh,dstopt unknown=0x80]" (our extension, ExtHeaderSpec): the headers in wire order.
std::vector<ExtHeaderSpec> parse_ext_headers(LineCursor& c) {
  c.eat("[");
  std::string_view rest = c.rest();
  std::size_t close = rest.find(']');
  if (close == std::string_view::npos) syntax("extension header list without its closing ']'");
  std::string body(rest.substr(0, close));
  c.set_pos(c.pos() + close + 1);
  std::vector<ExtHeaderSpec> out;
  for (const std::string& item : split_args(body)) {
    LineCursor h(item);
    std::string name = h.word();
    ExtHeaderSpec e;
    if (name == "hbh") {
      // RFC 8200 §4.1: Hop-by-Hop Options only immediately after the IPv6 header.
      if (!out.empty()) syntax("'hbh' must come first (RFC 8200 §4.1)");
      e.kind = ExtHeaderSpec::Kind::kHopByHop;
    } else if (name == "dstopt") {
      e.kind = ExtHeaderSpec::Kind::kDestOpts;
    } else {
      unsupported("extension header '" + item + "' (hbh, dstopt)");
    }
    if (h.eat("unknown=")) {
      std::optional<std::uint64_t> t = h.number();
      // Types 0 (Pad1) and 1 (PadN) are the padding we write; anything above 8 bits is no type.
      if (!t || *t > 0xff || *t < 2) syntax("'unknown=' needs an option type 0x02..0xff");
      e.unknown_option = static_cast<std::uint8_t>(*t);
    }
    if (!h.at_end()) syntax("unexpected '" + std::string(h.rest()) + "' in an extension header");
    out.push_back(e);
  }
  if (out.empty()) syntax("empty extension header list");
  return out;
}

PacketEvent parse_packet(LineCursor& c, bool inbound) {
  PacketEvent ev;
  ev.inbound = inbound;
  char first = c.peek();
  if (first == '[') {
    std::size_t at = c.pos();
    c.eat("[");
    std::string w = c.word();
    c.set_pos(at);
    if (w != "hbh" && w != "dstopt") unsupported("IP-level packet fields (ECN, flow label, ...)");
    if (!inbound) unsupported("extension headers on an expected ('>') packet");
    ev.ext_headers = parse_ext_headers(c);
    first = c.peek();
  }
  if (first == '[' || first == '(') unsupported("IP-level packet fields (ECN, flow label, ...)");
  if (std::islower(static_cast<unsigned char>(first)) != 0) {
    std::string w = c.word();
    if (w == "icmp" || w == "icmp6") {
      if (!ev.ext_headers.empty()) unsupported("extension headers before an ICMP error");
      ev.packet = parse_icmp(c, w == "icmp6");
      if (!inbound) {
        // An expected error is matched on type and code; the quote is the SUT's to choose.
        auto& icmp = std::get<IcmpErrorSpec>(ev.packet);
        if (icmp.mtu) unsupported("'mtu' on an expected ('>') ICMP line");
        if (icmp.quoted != IcmpErrorSpec::Quoted::kTcp || icmp.len != 0 || icmp.seq != 0) {
          unsupported("a quote on an expected ('>') ICMP line");
        }
        icmp.any_code = icmp.code_name.empty();
      }
      return ev;
    }
    if (w != "udp") unsupported(w + " packet lines");
    if (!c.eat("(")) syntax("expected 'udp (LEN)'");
    UdpDatagramSpec udp;
    udp.len = u32(c, "a UDP payload length");
    if (!c.eat(")")) syntax("expected 'udp (LEN)'");
    if (!c.at_end()) {
      std::string after(c.rest());
      if (c.word() != "frag") unsupported("'" + after + "' after a UDP packet");
      ev.frag = parse_frag(c, inbound);
    }
    ev.packet = udp;
    return ev;
  }
  ev.packet = parse_tcp(c, inbound, ev.frag);
  return ev;
}

// --- Syscalls ---

// Splits "3, ..., [1], 4" at its top-level commas.
std::vector<std::string> split_args(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    char ch = i < s.size() ? s[i] : ',';
    if (ch == '(' || ch == '[' || ch == '{') ++depth;
    if (ch == ')' || ch == ']' || ch == '}') --depth;
    if (ch == ',' && depth == 0) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (out.size() == 1 && out[0].empty()) out.clear();
  return out;
}

SyscallArg parse_arg(const std::string& text) {
  SyscallArg a;
  a.text = text;
  if (text == "...") return a;
  if (text.empty()) syntax("empty syscall argument");
  if (text.front() == '{') unsupported("struct argument " + text);
  if (text.front() == '"') unsupported("string buffer argument (write buffers as '...')");
  if (text.front() == '[') {
    if (text.back() != ']') syntax("unclosed '[' in " + text);
    std::string inner = trim(std::string_view(text).substr(1, text.size() - 2));
    if (!inner.empty() && inner.front() == '{') unsupported("struct argument " + text);
    a.kind = SyscallArg::Kind::kList;
    a.value = int_expression(inner);
    return a;
  }
  a.kind = SyscallArg::Kind::kInt;
  a.value = int_expression(text);
  return a;
}

// How many arguments each supported call takes, and which must be "..." (addresses and
// buffers the runner supplies).
struct CallShape {
  std::string_view name;
  std::size_t args;
  std::vector<std::size_t> ellipsis;  // positions that must be "..."
  std::vector<std::size_t> zero;      // flags we only support as 0
  bool must_elide(std::size_t i) const {
    return std::find(ellipsis.begin(), ellipsis.end(), i) != ellipsis.end();
  }
};

const std::vector<CallShape>& call_shapes() {
  // One table, three calls a row.
  // clang-format off
  static const std::vector<CallShape> shapes = {
      {"socket", 3, {}, {}},         {"bind", 3, {1, 2}, {}},         {"listen", 2, {}, {}},
      {"accept", 3, {1, 2}, {}},     {"connect", 3, {1, 2}, {}},      {"write", 3, {1}, {}},
      {"read", 3, {1}, {}},          {"send", 4, {1}, {}},            {"recv", 4, {1}, {}},
      {"sendto", 6, {1, 4, 5}, {3}}, {"recvfrom", 6, {1, 4, 5}, {3}}, {"shutdown", 2, {}, {}},
      {"close", 1, {}, {}},          {"setsockopt", 5, {}, {}},       {"getsockopt", 5, {}, {}},
      {"fcntl", 0, {}, {}},  // 2 or 3, checked below
  };
  // clang-format on
  return shapes;
}

const CallShape* find_shape(std::string_view name) {
  for (const CallShape& s : call_shapes()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

void check_shape(const SyscallEvent& call) {
  const CallShape* shape = find_shape(call.name);
  const auto& args = call.args;
  auto fail = [&](const std::string& what) { syntax(call.name + "(): " + what); };
  if (call.name == "fcntl") {
    if (args.size() < 2 || args[1].kind != SyscallArg::Kind::kInt)
      fail("expected fcntl(fd, cmd, ...)");
    if (args[1].value == F_GETFL && args.size() == 2) return;
    if (args[1].value == F_SETFL && args.size() == 3) return;
    if (args[1].value != F_GETFL && args[1].value != F_SETFL) {
      unsupported("fcntl command " + args[1].text + " (F_GETFL and F_SETFL only)");
    }
    fail("F_GETFL takes no argument, F_SETFL one");
  }
  if (args.size() != shape->args) {
    fail("expected " + std::to_string(shape->args) + " arguments, got " +
         std::to_string(args.size()));
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    bool must_elide = shape->must_elide(i);
    if (!must_elide && args[i].kind == SyscallArg::Kind::kEllipsis &&
        !(call.name == "socket" && i == 0)) {
      fail("argument " + std::to_string(i + 1) + " cannot be '...'");
    }
    bool must_be_zero = std::find(shape->zero.begin(), shape->zero.end(), i) != shape->zero.end();
    if (must_be_zero && args[i].value != 0) unsupported(call.name + "() flags " + args[i].text);
  }
  // Urgent data (RFC 9293 §3.8.5) is the one flag send and recv take.
  if ((call.name == "send" || call.name == "recv") && args[3].value != 0 &&
      args[3].value != MSG_OOB) {
    unsupported(call.name + "() flags " + args[3].text + " (0 or MSG_OOB)");
  }
  if (call.name == "getsockopt" && (args[3].kind != SyscallArg::Kind::kList)) {
    fail("the expected value is written [N]");
  }
}

// "= 3", "= -1 EINPROGRESS (Operation now in progress)", "= 0x2 (flags O_RDWR)": the value,
// an errno with -1, and a parenthesized comment packetdrill ignores too.
void parse_result(std::string_view text, SyscallEvent& call) {
  std::size_t paren = text.find('(');
  if (paren != std::string_view::npos) {
    if (text.back() != ')') syntax("unexpected text after the result");
    text = text.substr(0, paren);
  }
  std::vector<std::string> words;
  LineCursor c(text);
  while (!c.at_end()) {
    std::string_view r = c.rest();
    std::size_t n = 0;
    while (n < r.size() && std::isspace(static_cast<unsigned char>(r[n])) == 0) ++n;
    words.emplace_back(r.substr(0, n));
    c.set_pos(c.pos() + n);
  }
  if (words.empty()) syntax(call.name + "() needs its expected result: '= N'");
  if (words.size() >= 2 && words.back().front() == 'E') {
    std::optional<int> err = errno_value(words.back());
    if (!err) unsupported("errno " + words.back());
    words.pop_back();
    call.expected_errno = *err;
  }
  std::string value;
  for (const std::string& w : words) value += w;
  call.expected = int_expression(value);
  if (call.expected_errno && call.expected != -1) syntax("an errno goes with '= -1'");
}

SyscallEvent parse_syscall(LineCursor& c, const std::string& name) {
  SyscallEvent call;
  call.name = name;
  c.eat("(");
  std::string_view rest = c.rest();
  int depth = 1;
  std::size_t close = 0;
  for (; close < rest.size() && depth > 0; ++close) {
    depth += rest[close] == '(' ? 1 : rest[close] == ')' ? -1 : 0;
  }
  if (depth != 0) syntax("unbalanced parentheses in " + name + "()");
  const CallShape* shape = find_shape(name);
  if (shape == nullptr) unsupported("syscall " + name);
  std::vector<std::string> texts = split_args(rest.substr(0, close - 1));
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (shape->must_elide(i) && texts[i] != "...") {
      unsupported("literal argument " + texts[i] + " of " + name +
                  "() (addresses and buffers are written '...')");
    }
    call.args.push_back(parse_arg(texts[i]));
  }
  c.set_pos(c.pos() + close);
  check_shape(call);
  if (!c.eat("=")) syntax(name + "() needs its expected result: '= N'");
  parse_result(c.rest(), call);
  return call;
}

Event parse_line(const SourceLine& line, Duration previous_start) {
  std::string_view text = line.text;
  std::string t = trim(text);
  if (t.starts_with("`")) unsupported("shell command " + t);
  if (t.find("%{") != std::string::npos) unsupported("python block %{ }%");
  LineCursor c(text);
  Event ev;
  ev.line = line.number;
  ev.time = event_time(c, previous_start);
  if (c.peek() == '`') unsupported("shell command " + std::string(c.rest()));
  std::size_t what_start = c.pos();
  if (c.eat("<")) {
    ev.what = parse_packet(c, true);
  } else if (c.eat(">")) {
    ev.what = parse_packet(c, false);
  } else {
    std::string name = c.word();
    if (name.empty() || c.peek() != '(') {
      syntax("expected '<', '>' or a syscall after the time, got '" + std::string(c.rest()) + "'");
    }
    SyscallEvent call = parse_syscall(c, name);
    LineCursor whole(text);
    whole.set_pos(what_start);
    call.text = trim(whole.rest());
    ev.what = std::move(call);
  }
  return ev;
}

}  // namespace

ParseOutcome parse_script(std::string_view text, const std::string& file,
                          const ScriptOptions& opts) {
  ParseOutcome out;
  Script script;
  script.file = file;
  int line_number = 1;
  try {
    apply_flags_comment(text.substr(0, text.find('\n')), script);
    Duration previous = Duration::zero();
    for (const SourceLine& line : logical_lines(strip_comments(text))) {
      line_number = line.number;
      // packetdrill takes its flags as lines of their own before the first event, too.
      if (trim(line.text).starts_with("--")) {
        if (!script.events.empty()) syntax("flags go before the first event");
        apply_flags(line.text, script);
        continue;
      }
      Event ev = parse_line(line, previous);
      if (ev.time.start < previous) {
        syntax("event time goes backwards (" + std::to_string(ev.time.start.total_seconds()) +
               " s after " + std::to_string(previous.total_seconds()) + " s)");
      }
      previous = ev.time.start;
      script.events.push_back(std::move(ev));
    }
    if (opts.ip_version) script.ip_version = *opts.ip_version;
    for (Event& ev : script.events) {
      auto* packet = std::get_if<PacketEvent>(&ev.what);
      auto* icmp = packet == nullptr ? nullptr : std::get_if<IcmpErrorSpec>(&packet->packet);
      if (icmp == nullptr) continue;
      line_number = ev.line;
      resolve_icmp(*icmp, script.ip_version, packet->inbound);
    }
    for (const Event& ev : script.events) {
      const auto* packet = std::get_if<PacketEvent>(&ev.what);
      if (packet == nullptr || packet->ext_headers.empty()) continue;
      line_number = ev.line;
      if (script.ip_version != IpVersion::kV6) syntax("IPv6 extension headers in an IPv4 script");
    }
  } catch (const Refusal& r) {
    out.error = file + ":" + std::to_string(line_number) + ": " + r.message;
    return out;
  }
  out.script = std::move(script);
  return out;
}

std::string script_flags_string(std::uint8_t flags) {
  std::string s;
  if ((flags & tcp_flags::kFin) != 0) s += 'F';
  if ((flags & tcp_flags::kSyn) != 0) s += 'S';
  if ((flags & tcp_flags::kRst) != 0) s += 'R';
  if ((flags & tcp_flags::kPsh) != 0) s += 'P';
  if ((flags & tcp_flags::kAck) != 0) s += '.';
  if ((flags & tcp_flags::kEce) != 0) s += 'E';
  if ((flags & tcp_flags::kCwr) != 0) s += 'W';
  if ((flags & tcp_flags::kUrg) != 0) s += 'U';
  return s.empty() ? "-" : s;
}

}  // namespace ustack::scenario
