#include "stack/wire/icmpv6.h"

#include <algorithm>

#include "stack/base/checksum.h"
#include "stack/wire/icmp_common.h"

namespace ustack {
namespace {

constexpr std::size_t kIpv6HeaderLen = 40;
constexpr std::size_t kQuotedTransportMin = 8;
constexpr int kMaxQuotedExtHeaders = 8;

// RFC 4443 §2.4(c): the error must fit in the minimum MTU, so the quote is cut.
Bytes cut_quote(Bytes offending) {
  return offending.first(
      std::min(offending.size(), Icmpv6Repr::kMaxErrorLen - Icmpv6Repr::kHeaderLen));
}

std::uint32_t pseudo_sum(std::size_t len, const Ipv6Addr& src, const Ipv6Addr& dst) {
  return pseudo_header_sum_v6(src, dst, static_cast<std::uint8_t>(IpProto::kIcmpv6),
                              static_cast<std::uint32_t>(len));
}

const char* unreach_name(std::uint8_t code) {
  switch (code) {
    case 0:
      return "no route";
    case 1:
      return "admin prohibited";
    case 2:
      return "beyond scope";
    case 3:
      return "address";
    case 4:
      return "port";
    case 5:
      return "failed policy";
    case 6:
      return "reject route";
  }
  return "code";
}

}  // namespace

const char* to_string(Icmpv6Type t) {
  switch (t) {
    case Icmpv6Type::kDestUnreachable:
      return "destination unreachable";
    case Icmpv6Type::kPacketTooBig:
      return "packet too big";
    case Icmpv6Type::kTimeExceeded:
      return "time exceeded";
    case Icmpv6Type::kParamProblem:
      return "parameter problem";
    case Icmpv6Type::kEchoRequest:
      return "echo request";
    case Icmpv6Type::kEchoReply:
      return "echo reply";
    case Icmpv6Type::kMldQuery:
      return "multicast listener query";
    case Icmpv6Type::kMldReport:
      return "multicast listener report";
    case Icmpv6Type::kMldDone:
      return "multicast listener done";
    case Icmpv6Type::kRouterSolicit:
      return "router solicitation";
    case Icmpv6Type::kRouterAdvert:
      return "router advertisement";
    case Icmpv6Type::kNeighborSolicit:
      return "neighbor solicitation";
    case Icmpv6Type::kNeighborAdvert:
      return "neighbor advertisement";
    case Icmpv6Type::kRedirect:
      return "redirect";
    case Icmpv6Type::kMldv2Report:
      return "multicast listener report v2";
  }
  return "unknown type";
}

std::uint16_t icmpv6_checksum(Bytes message, const Ipv6Addr& src, const Ipv6Addr& dst) {
  std::uint32_t sum = pseudo_sum(message.size(), src, dst);
  sum = checksum_add(sum, message.first(2));
  sum = checksum_add(sum, message.subspan(4));
  return checksum_finish(sum);
}

Result<Icmpv6Quote> Icmpv6Quote::parse(Bytes q) {
  if (q.size() < kIpv6HeaderLen) return Err(ParseError::kTruncated);
  if ((q[0] >> 4) != 6) return Err(ParseError::kBadVersion);
  Icmpv6Quote r;
  r.payload_len = load_be16(q, 4);
  r.hop_limit = q[7];
  r.src = Ipv6Addr::from_bytes(q.subspan(8, 16));
  r.dst = Ipv6Addr::from_bytes(q.subspan(24, 16));
  r.header = q.first(kIpv6HeaderLen);
  std::uint8_t next = q[6];
  std::size_t off = kIpv6HeaderLen;
  // RFC 8200 §4: walk the extension headers to the upper layer.
  for (int n = 0;; ++n) {
    const auto nh = static_cast<IpProto>(next);
    if (nh != IpProto::kHopByHop && nh != IpProto::kIpv6Route && nh != IpProto::kIpv6Opts &&
        nh != IpProto::kIpv6Frag && nh != IpProto::kAh) {
      break;
    }
    if (n == kMaxQuotedExtHeaders) return Err(ParseError::kTooManyHeaders);
    if (q.size() < off + 8) return Err(ParseError::kTruncated);
    std::size_t len;
    if (nh == IpProto::kIpv6Frag) {
      // A non-first fragment carries no upper-layer header to match a socket on.
      if ((load_be16(q, off + 2) >> 3) != 0) return Err(ParseError::kUnsupported);
      len = 8;
    } else if (nh == IpProto::kAh) {
      len = (std::size_t{q[off + 1]} + 2) * 4;  // RFC 4302 §2.2: in 4-octet units, minus 2
    } else {
      len = (std::size_t{q[off + 1]} + 1) * 8;  // RFC 8200 §4.3: in 8-octet units, minus 1
    }
    if (q.size() < off + len) return Err(ParseError::kTruncated);
    next = q[off];
    off += len;
  }
  if (q.size() < off + kQuotedTransportMin) return Err(ParseError::kTruncated);
  r.proto = static_cast<IpProto>(next);
  r.transport = q.subspan(off);
  return r;
}

Result<Icmpv6Repr> Icmpv6Repr::parse(Bytes m, const Ipv6Addr& src, const Ipv6Addr& dst,
                                     ChecksumCheck check) {
  if (m.size() < kHeaderLen) return Err(ParseError::kTruncated);
  // RFC 4443 §2.3: the sum over pseudo header and message, checksum included, is all ones.
  if (check == ChecksumCheck::kVerify &&
      checksum_finish(checksum_add(pseudo_sum(m.size(), src, dst), m)) != 0) {
    return Err(ParseError::kBadChecksum);
  }
  Icmpv6Repr r;
  r.type = static_cast<Icmpv6Type>(m[0]);
  r.code = m[1];
  r.data = m.subspan(kHeaderLen);
  switch (r.type) {
    case Icmpv6Type::kEchoRequest:
    case Icmpv6Type::kEchoReply:
      r.ident = load_be16(m, 4);
      r.seq_no = load_be16(m, 6);
      break;
    case Icmpv6Type::kPacketTooBig:
      r.mtu = load_be32(m, 4);
      break;
    case Icmpv6Type::kParamProblem:
      r.pointer = load_be32(m, 4);
      break;
    case Icmpv6Type::kDestUnreachable:
    case Icmpv6Type::kTimeExceeded:
      break;  // second word unused
    default:
      r.rest_of_header = load_be32(m, 4);
      break;
  }
  return r;
}

Icmpv6Repr Icmpv6Repr::echo_request(std::uint16_t ident, std::uint16_t seq_no, Bytes data) {
  Icmpv6Repr r;
  r.type = Icmpv6Type::kEchoRequest;
  r.ident = ident;
  r.seq_no = seq_no;
  r.data = data;
  return r;
}

Icmpv6Repr Icmpv6Repr::echo_reply_to(const Icmpv6Repr& request) {
  Icmpv6Repr r = echo_request(request.ident, request.seq_no, request.data);
  r.type = Icmpv6Type::kEchoReply;
  return r;
}

Icmpv6Repr Icmpv6Repr::dest_unreachable(Icmpv6Unreach code, Bytes offending) {
  Icmpv6Repr r;
  r.type = Icmpv6Type::kDestUnreachable;
  r.code = static_cast<std::uint8_t>(code);
  r.data = cut_quote(offending);
  return r;
}

Icmpv6Repr Icmpv6Repr::packet_too_big(std::uint32_t mtu, Bytes offending) {
  Icmpv6Repr r;
  r.type = Icmpv6Type::kPacketTooBig;
  r.mtu = mtu;
  r.data = cut_quote(offending);
  return r;
}

Icmpv6Repr Icmpv6Repr::time_exceeded(Icmpv6TimeExceeded code, Bytes offending) {
  Icmpv6Repr r;
  r.type = Icmpv6Type::kTimeExceeded;
  r.code = static_cast<std::uint8_t>(code);
  r.data = cut_quote(offending);
  return r;
}

Icmpv6Repr Icmpv6Repr::param_problem(Icmpv6ParamProblem code, std::uint32_t pointer,
                                     Bytes offending) {
  Icmpv6Repr r;
  r.type = Icmpv6Type::kParamProblem;
  r.code = static_cast<std::uint8_t>(code);
  r.pointer = pointer;
  r.data = cut_quote(offending);
  return r;
}

bool Icmpv6Repr::is_ndp() const {
  const auto t = static_cast<std::uint8_t>(type);
  return t >= static_cast<std::uint8_t>(Icmpv6Type::kRouterSolicit) &&
         t <= static_cast<std::uint8_t>(Icmpv6Type::kRedirect);
}

Result<Icmpv6Quote> Icmpv6Repr::quote() const {
  if (!is_error()) return Err(ParseError::kBadType);
  return Icmpv6Quote::parse(data);
}

void Icmpv6Repr::emit(MutBytes out, const Ipv6Addr& src, const Ipv6Addr& dst,
                      ChecksumMode mode) const {
  out[0] = static_cast<std::uint8_t>(type);
  out[1] = code;
  store_be16(out, 2, 0);
  store_be32(out, 4, 0);
  switch (type) {
    case Icmpv6Type::kEchoRequest:
    case Icmpv6Type::kEchoReply:
      store_be16(out, 4, ident);
      store_be16(out, 6, seq_no);
      break;
    case Icmpv6Type::kPacketTooBig:
      store_be32(out, 4, mtu);
      break;
    case Icmpv6Type::kParamProblem:
      store_be32(out, 4, pointer);
      break;
    case Icmpv6Type::kDestUnreachable:
    case Icmpv6Type::kTimeExceeded:
      break;
    default:
      store_be32(out, 4, rest_of_header);
      break;
  }
  copy_to(out.subspan(kHeaderLen), data);
  const Bytes message = out.first(buffer_len());
  if (mode == ChecksumMode::kCompute) {
    store_be16(out, 2, icmpv6_checksum(message, src, dst));
  } else {
    // CHECKSUM_PARTIAL convention: the folded pseudo-header sum, not complemented.
    store_be16(out, 2,
               static_cast<std::uint16_t>(~checksum_finish(pseudo_sum(message.size(), src, dst))));
  }
}

std::string Icmpv6Repr::to_string() const {
  const std::string len = ", length " + std::to_string(buffer_len());
  std::string s = std::string("ICMP6, ") + ustack::to_string(type);
  switch (type) {
    case Icmpv6Type::kEchoRequest:
    case Icmpv6Type::kEchoReply:
      return s + ", id " + std::to_string(ident) + ", seq " + std::to_string(seq_no) + len;
    case Icmpv6Type::kDestUnreachable: {
      s += std::string(", unreachable ") + unreach_name(code);
      if (code > 6) s += " " + std::to_string(code);
      if (auto q = quote(); q.ok()) {
        // tcpdump's print-icmp6.c: "unreachable port, ADDR udp port N" (a comma before the
        // address for a port), "unreachable route ADDR" for the other codes.
        const bool port = code == static_cast<std::uint8_t>(Icmpv6Unreach::kPort) &&
                          (q->proto == IpProto::kUdp || q->proto == IpProto::kTcp);
        s += (port ? ", " : " ") + q->dst.to_string();
        if (port) {
          s += std::string(" ") + icmp_quoted_proto_name(q->proto) + " port " +
               std::to_string(load_be16(q->transport, 2));
        }
      }
      return s + len;
    }
    case Icmpv6Type::kPacketTooBig:
      return s + ", mtu " + std::to_string(mtu) + len;
    case Icmpv6Type::kTimeExceeded:
      return s +
             (code == 0   ? " in-transit"
              : code == 1 ? " reassembly"
                          : ", code " + std::to_string(code)) +
             len;
    case Icmpv6Type::kParamProblem:
      return s + ", code " + std::to_string(code) + ", pointer " + std::to_string(pointer) + len;
    default:
      return s + " (type " + std::to_string(static_cast<unsigned>(type)) + ", code " +
             std::to_string(code) + ")" + len;
  }
}

std::string Icmpv6Repr::to_verbose_string() const {
  std::string s = "ICMPv6\n  type: " + std::to_string(static_cast<unsigned>(type)) + " (" +
                  ustack::to_string(type) + ")\n  code: " + std::to_string(code) + "\n";
  switch (type) {
    case Icmpv6Type::kEchoRequest:
    case Icmpv6Type::kEchoReply:
      s += icmp_verbose_echo(ident, seq_no);
      break;
    case Icmpv6Type::kPacketTooBig:
      s += "  mtu: " + std::to_string(mtu) + "\n";
      break;
    case Icmpv6Type::kParamProblem:
      s += "  pointer: " + std::to_string(pointer) + "\n";
      break;
    case Icmpv6Type::kDestUnreachable:
    case Icmpv6Type::kTimeExceeded:
      break;
    default:
      s += icmp_verbose_rest_of_header(rest_of_header);
      break;
  }
  s += std::string("  ") + (is_error() ? "quoted packet: " : "data: ") +
       std::to_string(data.size()) + " bytes\n";
  if (is_error()) {
    if (auto q = quote(); q.ok()) {
      s += "  quoted: " + q->src.to_string() + " > " + q->dst.to_string() + " " +
           icmp_quoted_proto_name(q->proto) + " (" +
           std::to_string(static_cast<unsigned>(q->proto)) + "), payload length " +
           std::to_string(q->payload_len) + "\n";
    } else {
      s += icmp_verbose_unparsable_quote(q.error());
    }
  }
  return s;
}

bool Icmpv6Repr::operator==(const Icmpv6Repr& o) const {
  return type == o.type && code == o.code && ident == o.ident && seq_no == o.seq_no &&
         mtu == o.mtu && pointer == o.pointer && rest_of_header == o.rest_of_header &&
         std::equal(data.begin(), data.end(), o.data.begin(), o.data.end());
}

}  // namespace ustack
