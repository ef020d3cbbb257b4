#include "stack/wire/arp.h"

#include <cstring>

#include "stack/wire/common.h"

namespace ustack {
namespace {

constexpr std::uint8_t kHlenEthernet = 6;
constexpr std::uint8_t kPlenIpv4 = 4;

}  // namespace

Result<ArpRepr> ArpRepr::parse(Bytes p) {
  // RFC 826 "Packet Reception": check hardware and protocol type first, then the lengths.
  if (p.size() < 8) return Err(ParseError::kTruncated);
  if (load_be16(p, 0) != kHtypeEthernet) return Err(ParseError::kBadVersion);
  if (load_be16(p, 2) != static_cast<std::uint16_t>(EtherType::kIpv4)) {
    return Err(ParseError::kBadVersion);
  }
  if (p[4] != kHlenEthernet || p[5] != kPlenIpv4) return Err(ParseError::kBadLength);
  if (p.size() < kLen) return Err(ParseError::kTruncated);
  std::uint16_t op = load_be16(p, 6);
  if (op != static_cast<std::uint16_t>(ArpOp::kRequest) &&
      op != static_cast<std::uint16_t>(ArpOp::kReply)) {
    return Err(ParseError::kBadType);
  }
  ArpRepr r;
  r.op = static_cast<ArpOp>(op);
  r.sha = MacAddr::from_bytes(p.subspan(8, 6));
  r.spa = Ipv4Addr::from_bytes(p.subspan(14, 4));
  r.tha = MacAddr::from_bytes(p.subspan(18, 6));
  r.tpa = Ipv4Addr::from_bytes(p.subspan(24, 4));
  return r;
}

ArpRepr ArpRepr::request(const MacAddr& sha, Ipv4Addr spa, Ipv4Addr tpa) {
  ArpRepr r;
  r.op = ArpOp::kRequest;
  r.sha = sha;
  r.spa = spa;
  r.tha = MacAddr();
  r.tpa = tpa;
  return r;
}

ArpRepr ArpRepr::reply_to(const ArpRepr& req, const MacAddr& our_mac) {
  // RFC 826: swap sender and target, fill in our hardware address, set the opcode to reply.
  ArpRepr r;
  r.op = ArpOp::kReply;
  r.sha = our_mac;
  r.spa = req.tpa;
  r.tha = req.sha;
  r.tpa = req.spa;
  return r;
}

void ArpRepr::emit(MutBytes out) const {
  store_be16(out, 0, kHtypeEthernet);
  store_be16(out, 2, static_cast<std::uint16_t>(EtherType::kIpv4));
  out[4] = kHlenEthernet;
  out[5] = kPlenIpv4;
  store_be16(out, 6, static_cast<std::uint16_t>(op));
  std::memcpy(out.data() + 8, sha.bytes().data(), 6);
  std::memcpy(out.data() + 14, spa.bytes().data(), 4);
  std::memcpy(out.data() + 18, tha.bytes().data(), 6);
  std::memcpy(out.data() + 24, tpa.bytes().data(), 4);
}

std::string ArpRepr::to_string(std::size_t length) const {
  const std::string len = ", length " + std::to_string(length);
  if (op == ArpOp::kRequest) {
    return "ARP, Request who-has " + tpa.to_string() + " tell " + spa.to_string() +
           (is_gratuitous() ? " (gratuitous)" : "") + len;
  }
  return "ARP, Reply " + spa.to_string() + " is-at " + sha.to_string() + len;
}

std::string ArpRepr::to_verbose_string() const {
  return std::string("ARP (Ethernet/IPv4)\n  op: ") +
         (op == ArpOp::kRequest ? "request (1)" : "reply (2)") +
         "\n  sender hardware address: " + sha.to_string() +
         "\n  sender protocol address: " + spa.to_string() +
         "\n  target hardware address: " + tha.to_string() +
         "\n  target protocol address: " + tpa.to_string() + "\n";
}

}  // namespace ustack
