// Ethernet II frames (IEEE 802.3 / DIX) with an optional IEEE 802.1Q VLAN tag.
//
// Frames arrive without preamble and FCS (TAP devices and pcap give them that way). A frame
// shorter than 60 bytes is legal on our side of the wire: padding is the sender's business and
// the payload span simply includes any padding; the layer above trims with its own length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/result.h"
#include "stack/wire/common.h"

namespace ustack {

struct EthernetRepr {
  static constexpr std::size_t kHeaderLen = 14;    // dst, src, ethertype
  static constexpr std::size_t kVlanTagLen = 4;    // TPID 0x8100 + TCI
  static constexpr std::size_t kMinFrameLen = 60;  // without FCS (IEEE 802.3 §4.4.2)

  MacAddr dst;
  MacAddr src;
  // 802.1Q tag control information (PCP:3 DEI:1 VID:12) when the frame is tagged.
  std::optional<std::uint16_t> vlan_tci;
  // The (inner) EtherType; any value, not only the ones named in EtherType.
  EtherType ethertype = EtherType::kIpv4;
  // Everything after the header (including any padding), a view into the parsed frame.
  Bytes payload;

  // Rejects: kTruncated (shorter than the header); kBadValue (EtherType < 0x0600, i.e. an
  // 802.3 length field / LLC frame, which we do not speak; also for a doubly tagged frame).
  static Result<EthernetRepr> parse(Bytes frame);

  std::uint16_t vlan_id() const { return vlan_tci ? (*vlan_tci & 0x0fff) : 0; }
  std::size_t header_len() const { return kHeaderLen + (vlan_tci ? kVlanTagLen : 0); }
  std::size_t buffer_len() const { return header_len() + payload.size(); }

  // Writes the header into out[0, header_len()). out.size() >= header_len().
  void emit_header(MutBytes out) const;
  // Writes the header and copies `payload` after it (a no-op copy if the payload already sits
  // there). out.size() >= buffer_len().
  void emit(MutBytes out) const;

  // "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42"
  std::string to_string() const;
  // Every field, one per line ("dst: ...", "src: ...", "vlan: ...", "ethertype: ...").
  std::string to_verbose_string() const;

  bool operator==(const EthernetRepr& o) const;
};

// "IPv4", "ARP", "IPv6", "802.1Q" or "0x88cc".
std::string ethertype_name(EtherType t);

}  // namespace ustack
