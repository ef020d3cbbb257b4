// DNS messages (RFC 1035 §4, EDNS0 RFC 6891, SRV RFC 2782, AAAA RFC 3596, unknown types
// RFC 3597): parse, emit with name compression, and one-line / verbose descriptions.
//
// Unlike the fixed-header formats, a DNS message is parsed into an owning value (DnsMessage):
// names reached through compression pointers cannot be views into one contiguous span, and the
// resolver keeps answers in its cache anyway. The parser never reads outside the span it was
// given and rejects every malformed message with a named ParseError.
//
// Names are stored as a list of labels (DnsName), exactly as they were on the wire: case is
// preserved, and a label may hold any octet (including '.'); the text form escapes such octets
// as RFC 1035 §5.1 does ("\." and "\DDD"). Comparison for lookups is case-insensitive
// (RFC 4343), see DnsName::equals_ignore_case().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"

namespace ustack {

// RR TYPE / QTYPE values (IANA "DNS Parameters"). Any 16-bit value may be stored; the names
// below are the ones this code interprets or prints by name.
enum class DnsType : std::uint16_t {
  kA = 1,
  kNs = 2,
  kCname = 5,
  kSoa = 6,
  kPtr = 12,
  kMx = 15,
  kTxt = 16,
  kAaaa = 28,
  kSrv = 33,
  kOpt = 41,
  kAny = 255,
};

enum class DnsClass : std::uint16_t {
  kIn = 1,
  kCh = 3,
  kHs = 4,
  kAny = 255,
};

enum class DnsOpcode : std::uint8_t {
  kQuery = 0,
  kIquery = 1,
  kStatus = 2,
  kNotify = 4,
  kUpdate = 5,
};

// RCODE values. Values above 15 only exist with EDNS (RFC 6891 §6.1.3: the OPT record carries
// the upper 8 bits of the 12-bit extended RCODE).
enum class DnsRcode : std::uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kYxDomain = 6,
  kYxRrset = 7,
  kNxRrset = 8,
  kNotAuth = 9,
  kNotZone = 10,
  kBadVers = 16,
  kBadCookie = 23,
};

std::string to_string(DnsType t);    // "A", "AAAA", "TYPE1234" (RFC 3597 §5)
std::string to_string(DnsClass c);   // "IN", "CLASS7"
std::string to_string(DnsOpcode o);  // "QUERY", "OPCODE9"
std::string to_string(DnsRcode r);   // "NOERROR", "NXDOMAIN", "RCODE12"

// A domain name as its list of labels; the root is the empty list. Always valid: every label
// is 1..63 octets and the wire form is at most 255 octets (RFC 1035 §2.3.4), which the
// factories check, so emitting a DnsName never fails.
class DnsName {
 public:
  static constexpr std::size_t kMaxLabelLen = 63;
  static constexpr std::size_t kMaxWireLen = 255;  // length octets + labels + root octet

  DnsName() = default;  // the root "."
  static DnsName root() { return DnsName(); }
  // "www.example.test." or "www.example.test" (always taken as absolute). Understands the
  // RFC 1035 §5.1 escapes "\." "\\" and "\DDD". Rejects empty labels ("a..b"), labels over
  // 63 octets (kLabelTooLong) and names over 255 octets (kNameTooLong).
  static Result<DnsName> parse(std::string_view text);
  static Result<DnsName> from_labels(std::vector<std::string> labels);

  const std::vector<std::string>& labels() const { return labels_; }
  bool is_root() const { return labels_.empty(); }
  // Octets this name takes on the wire without compression (root = 1).
  std::size_t wire_len() const;
  // "www.example.test." ("." for the root), with RFC 1035 §5.1 escapes.
  std::string to_string() const;
  // RFC 4343: ASCII letters compare without case; every other octet exactly.
  bool equals_ignore_case(const DnsName& o) const;
  // Exact, case-sensitive equality (round trips preserve case).
  bool operator==(const DnsName&) const = default;

 private:
  std::vector<std::string> labels_;
};

// RDATA of the types this code understands. Anything else (and A/AAAA/SRV outside class IN,
// whose format is class-specific) is kept as DnsRawRdata and re-emitted byte for byte.
struct DnsA {
  Ipv4Addr addr;
  bool operator==(const DnsA&) const = default;
};
struct DnsAaaa {
  Ipv6Addr addr;
  bool operator==(const DnsAaaa&) const = default;
};
struct DnsCname {
  DnsName target;
  bool operator==(const DnsCname&) const = default;
};
struct DnsNs {
  DnsName host;
  bool operator==(const DnsNs&) const = default;
};
struct DnsPtr {
  DnsName target;
  bool operator==(const DnsPtr&) const = default;
};
struct DnsMx {
  std::uint16_t preference = 0;
  DnsName exchange;
  bool operator==(const DnsMx&) const = default;
};
// One or more <character-string>s of at most 255 octets each (RFC 1035 §3.3.14).
struct DnsTxt {
  std::vector<std::string> strings;
  bool operator==(const DnsTxt&) const = default;
};
// RFC 2782. The target is never compressed on emit (the RFC forbids it), but a compressed
// target is accepted on parse, as BIND and Unbound do.
struct DnsSrv {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  DnsName target;
  bool operator==(const DnsSrv&) const = default;
};
struct DnsSoa {
  DnsName mname;
  DnsName rname;
  std::uint32_t serial = 0;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;
  bool operator==(const DnsSoa&) const = default;
};
struct DnsRawRdata {
  ByteVec bytes;
  bool operator==(const DnsRawRdata&) const = default;
};

using DnsRdata = std::variant<DnsRawRdata, DnsA, DnsAaaa, DnsCname, DnsNs, DnsPtr, DnsMx, DnsTxt,
                              DnsSrv, DnsSoa>;

// A resource record (RFC 1035 §4.1.3). `type` must match the RDATA alternative (DnsA for kA
// in class IN, ...); DnsRawRdata goes with any type. OPT is not a DnsRecord: see DnsEdns.
struct DnsRecord {
  DnsName name;
  DnsType type = DnsType::kA;
  DnsClass klass = DnsClass::kIn;
  std::uint32_t ttl = 0;
  DnsRdata rdata;

  // "www.example.test. 300 IN A 198.18.0.9" (master file format; RFC 3597 "\# 4 0a000001" for
  // raw RDATA).
  std::string to_string() const;
  // "A 198.18.0.9": type and RDATA only, for the one-line message form.
  std::string rdata_to_string() const;
  bool operator==(const DnsRecord&) const = default;
};

struct DnsQuestion {
  DnsName name;
  DnsType type = DnsType::kA;
  DnsClass klass = DnsClass::kIn;
  bool operator==(const DnsQuestion&) const = default;
};

// One EDNS option (RFC 6891 §6.1.2), kept raw: code and data.
struct DnsEdnsOption {
  std::uint16_t code = 0;
  ByteVec data;
  bool operator==(const DnsEdnsOption&) const = default;
};

// The OPT pseudo-RR (RFC 6891 §6.1). At most one per message, in the additional section, with
// the root as owner name; the parser enforces all three (kBadValue). The extended RCODE bits
// are merged into DnsMessage::rcode instead of being kept here.
struct DnsEdns {
  std::uint16_t udp_payload_size = 1232;
  std::uint8_t version = 0;
  bool dnssec_ok = false;  // DO bit (RFC 3225)
  std::uint16_t z = 0;     // the other 15 flag bits, kept so they round-trip
  std::vector<DnsEdnsOption> options;
  bool operator==(const DnsEdns&) const = default;
};

struct DnsMessage {
  static constexpr std::size_t kHeaderLen = 12;
  // The smallest a question / record can be on the wire. parse() rejects counts that could not
  // fit in the message (kTooManyRecords) before allocating anything for them.
  static constexpr std::size_t kMinQuestionLen = 5;  // root name + type + class
  static constexpr std::size_t kMinRecordLen = 11;   // root name + type/class/ttl/rdlength

  // Header (RFC 1035 §4.1.1, AD/CD from RFC 4035 §3.2).
  std::uint16_t id = 0;
  bool qr = false;  // response
  DnsOpcode opcode = DnsOpcode::kQuery;
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool z = false;  // the reserved bit; kept so it round-trips
  bool ad = false;
  bool cd = false;
  // The full RCODE: the header's 4 bits plus, with EDNS, the OPT record's upper 8 bits.
  // Values above 15 need `edns` to be emitted.
  DnsRcode rcode = DnsRcode::kNoError;

  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers;
  std::vector<DnsRecord> authorities;
  std::vector<DnsRecord> additionals;  // without the OPT record
  std::optional<DnsEdns> edns;         // the OPT record, emitted last in the additional section

  // Parses a whole message. Octets after the last record are ignored (some middleboxes pad).
  // Errors: kTruncated (header, name, fixed fields or RDATA run past the end), kTooManyRecords
  // (counts cannot fit in the remaining octets), kLabelTooLong (a label length octet above 63,
  // including the obsolete 0x40/0x80 label types), kNameTooLong (> 255 octets), kPointerLoop
  // (a pointer loop, a pointer outside the message, or more than kMaxPointerJumps jumps),
  // kBadLength (RDLENGTH disagrees with the RDATA's own structure), kBadOption (malformed EDNS
  // option), kBadValue (second OPT, OPT outside the additional section or not at the root).
  static Result<DnsMessage> parse(Bytes msg);
  static constexpr int kMaxPointerJumps = 64;

  // Writes the message into `out` with name compression (RFC 1035 §4.1.4) for the owner
  // names, question names and the names inside NS, CNAME, PTR, MX and SOA RDATA (RFC 3597 §4
  // allows compression only for those well-known types). Compression only reuses an earlier
  // name whose labels are identical, case included, so parse(emit(m)) == m.
  // Returns the number of octets written, or 0 if the message does not fit in `out` or cannot
  // be encoded (a TXT string over 255 octets, RDATA over 65535, rcode > 15 without edns, more
  // than 65535 records in a section).
  std::size_t emit(MutBytes out) const;
  // emit() into a new buffer of the right size (empty on failure).
  ByteVec to_bytes() const;

  // One line in the spirit of tcpdump: "id 0x1234 rd A? example.test." for a query,
  // "id 0x1234 qr aa rd ra A? example.test. / A 198.18.0.9" for a response; NXDOMAIN and other
  // errors, authority/additional counts and EDNS are shown when present.
  std::string to_string() const;
  // Multi-line, dig-like: header, EDNS, then every section in master file format.
  std::string to_verbose_string() const;

  bool operator==(const DnsMessage&) const = default;
};

}  // namespace ustack
