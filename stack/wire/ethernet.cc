#include "stack/wire/ethernet.h"

#include <cstdio>
#include <cstring>

namespace ustack {
namespace {

// EtherType values below 0x0600 are IEEE 802.3 length fields (IEEE 802.3 §3.2.6).
constexpr std::uint16_t kMinEtherType = 0x0600;

}  // namespace

std::string ethertype_name(EtherType t) {
  switch (t) {
    case EtherType::kIpv4:
      return "IPv4";
    case EtherType::kArp:
      return "ARP";
    case EtherType::kVlan:
      return "802.1Q";
    case EtherType::kIpv6:
      return "IPv6";
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(t));
  return buf;
}

Result<EthernetRepr> EthernetRepr::parse(Bytes frame) {
  if (frame.size() < kHeaderLen) return Err(ParseError::kTruncated);
  EthernetRepr r;
  r.dst = MacAddr::from_bytes(frame.subspan(0, 6));
  r.src = MacAddr::from_bytes(frame.subspan(6, 6));
  std::uint16_t type = load_be16(frame, 12);
  std::size_t off = kHeaderLen;
  if (type == static_cast<std::uint16_t>(EtherType::kVlan)) {
    if (frame.size() < kHeaderLen + kVlanTagLen) return Err(ParseError::kTruncated);
    r.vlan_tci = load_be16(frame, 14);
    type = load_be16(frame, 16);
    off += kVlanTagLen;
    // 802.1ad / Q-in-Q stacking is not something a host stack receives.
    if (type == static_cast<std::uint16_t>(EtherType::kVlan)) return Err(ParseError::kBadValue);
  }
  if (type < kMinEtherType) return Err(ParseError::kBadValue);
  r.ethertype = static_cast<EtherType>(type);
  r.payload = frame.subspan(off);
  return r;
}

void EthernetRepr::emit_header(MutBytes out) const {
  std::memcpy(out.data(), dst.bytes().data(), 6);
  std::memcpy(out.data() + 6, src.bytes().data(), 6);
  std::size_t off = 12;
  if (vlan_tci) {
    store_be16(out, 12, static_cast<std::uint16_t>(EtherType::kVlan));
    store_be16(out, 14, *vlan_tci);
    off = 16;
  }
  store_be16(out, off, static_cast<std::uint16_t>(ethertype));
}

void EthernetRepr::emit(MutBytes out) const {
  emit_header(out);
  copy_to(out.subspan(header_len()), payload);
}

std::string EthernetRepr::to_string() const {
  std::string s = src.to_string() + " > " + dst.to_string();
  if (vlan_tci) {
    s += ", 802.1Q vlan " + std::to_string(vlan_id()) + ", p " + std::to_string(*vlan_tci >> 13);
  }
  char type[16];
  std::snprintf(type, sizeof type, "0x%04x", static_cast<unsigned>(ethertype));
  s += ", ethertype " + ethertype_name(ethertype) + " (" + type + "), length " +
       std::to_string(buffer_len());
  return s;
}

std::string EthernetRepr::to_verbose_string() const {
  std::string s = "Ethernet II\n  dst: " + dst.to_string() + "\n  src: " + src.to_string() + "\n";
  if (vlan_tci) {
    s += "  vlan: id " + std::to_string(vlan_id()) + ", pcp " + std::to_string(*vlan_tci >> 13) +
         ", dei " + std::to_string((*vlan_tci >> 12) & 1) + "\n";
  }
  char type[16];
  std::snprintf(type, sizeof type, "0x%04x", static_cast<unsigned>(ethertype));
  s += "  ethertype: " + ethertype_name(ethertype) + " (" + type +
       ")\n  payload: " + std::to_string(payload.size()) + " bytes\n";
  return s;
}

bool EthernetRepr::operator==(const EthernetRepr& o) const {
  return dst == o.dst && src == o.src && vlan_tci == o.vlan_tci && ethertype == o.ethertype &&
         std::equal(payload.begin(), payload.end(), o.payload.begin(), o.payload.end());
}

}  // namespace ustack
