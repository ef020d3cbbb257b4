#include "stack/wire/icmpv4.h"

#include <algorithm>
#include <cstring>

#include "stack/base/checksum.h"
#include "stack/wire/icmp_common.h"

namespace ustack {
namespace {

constexpr std::size_t kIpv4MinHeaderLen = 20;
// RFC 792: an error quotes "the internet header plus the first 64 bits of the original data".
constexpr std::size_t kQuotedTransportLen = 8;

const char* unreach_name(std::uint8_t code) {
  switch (code) {
    case 0:
      return "net";
    case 1:
      return "host";
    case 2:
      return "protocol";
    case 3:
      return "port";
    case 4:
      return "need to frag";
    case 5:
      return "source route failed";
    case 6:
      return "net unknown";
    case 7:
      return "host unknown";
    case 8:
      return "source host isolated";
    case 9:
      return "net prohibited";
    case 10:
      return "host prohibited";
    case 11:
      return "net tos";
    case 12:
      return "host tos";
    case 13:
      return "admin prohibited";
    case 14:
      return "host precedence violation";
    case 15:
      return "precedence cutoff";
  }
  return "code";
}

}  // namespace

const char* to_string(Icmpv4Type t) {
  switch (t) {
    case Icmpv4Type::kEchoReply:
      return "echo reply";
    case Icmpv4Type::kDestUnreachable:
      return "destination unreachable";
    case Icmpv4Type::kSourceQuench:
      return "source quench";
    case Icmpv4Type::kRedirect:
      return "redirect";
    case Icmpv4Type::kEchoRequest:
      return "echo request";
    case Icmpv4Type::kRouterAdvert:
      return "router advertisement";
    case Icmpv4Type::kRouterSolicit:
      return "router solicitation";
    case Icmpv4Type::kTimeExceeded:
      return "time exceeded";
    case Icmpv4Type::kParamProblem:
      return "parameter problem";
    case Icmpv4Type::kTimestamp:
      return "timestamp request";
    case Icmpv4Type::kTimestampReply:
      return "timestamp reply";
  }
  return "unknown type";
}

Result<Icmpv4Quote> Icmpv4Quote::parse(Bytes q) {
  if (q.size() < kIpv4MinHeaderLen) return Err(ParseError::kTruncated);
  if ((q[0] >> 4) != 4) return Err(ParseError::kBadVersion);
  std::size_t ihl = std::size_t{q[0] & 0x0fu} * 4;
  if (ihl < kIpv4MinHeaderLen) return Err(ParseError::kBadHeaderLength);
  if (q.size() < ihl + kQuotedTransportLen) return Err(ParseError::kTruncated);
  Icmpv4Quote r;
  r.total_len = load_be16(q, 2);
  r.ident = load_be16(q, 4);
  r.ttl = q[8];
  r.proto = static_cast<IpProto>(q[9]);
  r.src = Ipv4Addr::from_bytes(q.subspan(12, 4));
  r.dst = Ipv4Addr::from_bytes(q.subspan(16, 4));
  r.header = q.first(ihl);
  r.transport = q.subspan(ihl);
  return r;
}

Result<Icmpv4Repr> Icmpv4Repr::parse(Bytes m, ChecksumCheck check) {
  if (m.size() < kHeaderLen) return Err(ParseError::kTruncated);
  // RFC 792: the checksum is over the whole ICMP message; summing it with the checksum field
  // in place gives 0 (folded: 0xffff, finished: 0) when it verifies.
  if (check == ChecksumCheck::kVerify && internet_checksum(m) != 0) {
    return Err(ParseError::kBadChecksum);
  }
  Icmpv4Repr r;
  r.type = static_cast<Icmpv4Type>(m[0]);
  r.code = m[1];
  r.data = m.subspan(kHeaderLen);
  switch (r.type) {
    case Icmpv4Type::kEchoRequest:
    case Icmpv4Type::kEchoReply:
      r.ident = load_be16(m, 4);
      r.seq_no = load_be16(m, 6);
      break;
    case Icmpv4Type::kDestUnreachable:
      // RFC 1191 §4: bytes 6-7 hold the next-hop MTU for code 4, unused (0) otherwise.
      if (r.code == static_cast<std::uint8_t>(Icmpv4Unreach::kFragNeeded)) {
        r.next_hop_mtu = load_be16(m, 6);
      }
      break;
    case Icmpv4Type::kParamProblem:
      r.pointer = m[4];
      break;
    case Icmpv4Type::kRedirect:
      r.gateway = Ipv4Addr::from_bytes(m.subspan(4, 4));
      break;
    case Icmpv4Type::kTimeExceeded:
    case Icmpv4Type::kSourceQuench:
      break;  // second word unused
    default:
      r.rest_of_header = load_be32(m, 4);
      break;
  }
  return r;
}

Icmpv4Repr Icmpv4Repr::echo_request(std::uint16_t ident, std::uint16_t seq_no, Bytes data) {
  Icmpv4Repr r;
  r.type = Icmpv4Type::kEchoRequest;
  r.ident = ident;
  r.seq_no = seq_no;
  r.data = data;
  return r;
}

Icmpv4Repr Icmpv4Repr::echo_reply_to(const Icmpv4Repr& request) {
  Icmpv4Repr r = echo_request(request.ident, request.seq_no, request.data);
  r.type = Icmpv4Type::kEchoReply;
  return r;
}

Icmpv4Repr Icmpv4Repr::dest_unreachable(Icmpv4Unreach code, Bytes quoted,
                                        std::uint16_t next_hop_mtu) {
  Icmpv4Repr r;
  r.type = Icmpv4Type::kDestUnreachable;
  r.code = static_cast<std::uint8_t>(code);
  r.next_hop_mtu = code == Icmpv4Unreach::kFragNeeded ? next_hop_mtu : 0;
  r.data = quoted;
  return r;
}

Icmpv4Repr Icmpv4Repr::time_exceeded(Icmpv4TimeExceeded code, Bytes quoted) {
  Icmpv4Repr r;
  r.type = Icmpv4Type::kTimeExceeded;
  r.code = static_cast<std::uint8_t>(code);
  r.data = quoted;
  return r;
}

Icmpv4Repr Icmpv4Repr::param_problem(std::uint8_t pointer, Bytes quoted) {
  Icmpv4Repr r;
  r.type = Icmpv4Type::kParamProblem;
  r.pointer = pointer;
  r.data = quoted;
  return r;
}

bool Icmpv4Repr::is_error() const {
  switch (type) {
    case Icmpv4Type::kDestUnreachable:
    case Icmpv4Type::kSourceQuench:
    case Icmpv4Type::kRedirect:
    case Icmpv4Type::kTimeExceeded:
    case Icmpv4Type::kParamProblem:
      return true;
    default:
      return false;
  }
}

Result<Icmpv4Quote> Icmpv4Repr::quote() const {
  if (!is_error()) return Err(ParseError::kBadType);
  return Icmpv4Quote::parse(data);
}

void Icmpv4Repr::emit(MutBytes out, ChecksumMode mode) const {
  out[0] = static_cast<std::uint8_t>(type);
  out[1] = code;
  store_be16(out, 2, 0);
  store_be32(out, 4, 0);
  switch (type) {
    case Icmpv4Type::kEchoRequest:
    case Icmpv4Type::kEchoReply:
      store_be16(out, 4, ident);
      store_be16(out, 6, seq_no);
      break;
    case Icmpv4Type::kDestUnreachable:
      if (code == static_cast<std::uint8_t>(Icmpv4Unreach::kFragNeeded)) {
        store_be16(out, 6, next_hop_mtu);
      }
      break;
    case Icmpv4Type::kParamProblem:
      out[4] = pointer;
      break;
    case Icmpv4Type::kRedirect:
      std::memcpy(out.data() + 4, gateway.bytes().data(), 4);
      break;
    case Icmpv4Type::kTimeExceeded:
    case Icmpv4Type::kSourceQuench:
      break;
    default:
      store_be32(out, 4, rest_of_header);
      break;
  }
  copy_to(out.subspan(kHeaderLen), data);
  if (mode == ChecksumMode::kCompute) {
    store_be16(out, 2, internet_checksum(Bytes(out.first(buffer_len()))));
  }
}

std::string Icmpv4Repr::to_string() const {
  std::string len = ", length " + std::to_string(buffer_len());
  switch (type) {
    case Icmpv4Type::kEchoRequest:
    case Icmpv4Type::kEchoReply:
      return std::string("ICMP ") + ustack::to_string(type) + ", id " + std::to_string(ident) +
             ", seq " + std::to_string(seq_no) + len;
    case Icmpv4Type::kDestUnreachable: {
      std::string what;
      auto q = quote();
      std::string code_name = unreach_name(code);
      if (code == static_cast<std::uint8_t>(Icmpv4Unreach::kPort) && q.ok() &&
          (q->proto == IpProto::kUdp || q->proto == IpProto::kTcp)) {
        what = q->dst.to_string() + " " + icmp_quoted_proto_name(q->proto) + " port " +
               std::to_string(load_be16(q->transport, 2));
      } else if (q.ok()) {
        what = q->dst.to_string() + " " + code_name;
      } else {
        what = code_name;
      }
      if (code > 15) what += " " + std::to_string(code);
      std::string mtu;
      if (code == static_cast<std::uint8_t>(Icmpv4Unreach::kFragNeeded)) {
        mtu = " (mtu " + std::to_string(next_hop_mtu) + ")";
      }
      return "ICMP " + what + " unreachable" + mtu + len;
    }
    case Icmpv4Type::kTimeExceeded:
      return std::string("ICMP time exceeded ") +
             (code == 0   ? "in-transit"
              : code == 1 ? "in-reassembly"
                          : "code " + std::to_string(code)) +
             len;
    case Icmpv4Type::kParamProblem:
      return "ICMP parameter problem - octet " + std::to_string(pointer) + len;
    case Icmpv4Type::kRedirect:
      return "ICMP redirect to host " + gateway.to_string() + len;
    default:
      return std::string("ICMP ") + ustack::to_string(type) + " (type " +
             std::to_string(static_cast<unsigned>(type)) + ", code " + std::to_string(code) + ")" +
             len;
  }
}

std::string Icmpv4Repr::to_verbose_string() const {
  std::string s = "ICMPv4\n  type: " + std::to_string(static_cast<unsigned>(type)) + " (" +
                  ustack::to_string(type) + ")\n  code: " + std::to_string(code) + "\n";
  switch (type) {
    case Icmpv4Type::kEchoRequest:
    case Icmpv4Type::kEchoReply:
      s += icmp_verbose_echo(ident, seq_no);
      break;
    case Icmpv4Type::kDestUnreachable:
      if (code == static_cast<std::uint8_t>(Icmpv4Unreach::kFragNeeded)) {
        s += "  next-hop mtu: " + std::to_string(next_hop_mtu) + "\n";
      }
      break;
    case Icmpv4Type::kParamProblem:
      s += "  pointer: " + std::to_string(pointer) + "\n";
      break;
    case Icmpv4Type::kRedirect:
      s += "  gateway: " + gateway.to_string() + "\n";
      break;
    case Icmpv4Type::kTimeExceeded:
    case Icmpv4Type::kSourceQuench:
      break;
    default:
      s += icmp_verbose_rest_of_header(rest_of_header);
      break;
  }
  s += std::string("  ") + (is_error() ? "quoted datagram: " : "data: ") +
       std::to_string(data.size()) + " bytes\n";
  if (is_error()) {
    if (auto q = quote(); q.ok()) {
      s += "  quoted: " + q->src.to_string() + " > " + q->dst.to_string() + " " +
           icmp_quoted_proto_name(q->proto) + " (" +
           std::to_string(static_cast<unsigned>(q->proto)) + "), total length " +
           std::to_string(q->total_len) + ", id " + std::to_string(q->ident) + "\n";
    } else {
      s += icmp_verbose_unparsable_quote(q.error());
    }
  }
  return s;
}

bool Icmpv4Repr::operator==(const Icmpv4Repr& o) const {
  return type == o.type && code == o.code && ident == o.ident && seq_no == o.seq_no &&
         next_hop_mtu == o.next_hop_mtu && pointer == o.pointer && gateway == o.gateway &&
         rest_of_header == o.rest_of_header &&
         std::equal(data.begin(), data.end(), o.data.begin(), o.data.end());
}

}  // namespace ustack
