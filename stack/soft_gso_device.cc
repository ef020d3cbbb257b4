#include "stack/soft_gso_device.h"

#include <algorithm>
#include <cstring>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

constexpr std::uint8_t kFin = 0x01, kPsh = 0x08, kCwr = 0x80;

// Completes the checksum at `l4 + field` over the transport bytes from `l4`, from scratch (the
// pseudo-header from the IP header), as a NIC completes a partial one.
void complete_checksum(MutBytes p, std::size_t l4, std::size_t field, std::uint8_t proto) {
  bool v4 = p[0] >> 4 == 4;
  Bytes addrs = v4 ? Bytes(p).subspan(12, 8) : Bytes(p).subspan(8, 32);
  std::size_t len = p.size() - l4;
  store_be16(p, l4 + field, 0);
  std::uint32_t sum = checksum_add(0, addrs) + proto + static_cast<std::uint32_t>(len);
  std::uint16_t c = checksum_finish(checksum_add(sum, Bytes(p).subspan(l4)));
  if (proto == 17 && c == 0) c = 0xffff;
  store_be16(p, l4 + field, c);
}

// The partial checksum a sender leaves for a device to complete: the folded pseudo-header sum
// (addresses, protocol, the transport length the packet has), uncomplemented.
std::uint16_t partial_checksum(Bytes p, std::size_t l4, std::uint8_t proto) {
  bool v4 = p[0] >> 4 == 4;
  Bytes addrs = v4 ? p.subspan(12, 8) : p.subspan(8, 32);
  std::uint32_t sum = checksum_add(0, addrs) + proto + static_cast<std::uint32_t>(p.size() - l4);
  return static_cast<std::uint16_t>(~checksum_finish(sum));
}

}  // namespace

DeviceCaps SoftGsoDevice::caps() const {
  DeviceCaps c = inner_.caps();
  c.mtu = mtu_;
  c.tx_checksum_offload = true;
  c.tx_tso4 = c.tx_tso6 = true;
  c.gso_max_len = 65535;
  c.tx_uso = uso_;
  return c;
}

bool SoftGsoDevice::send_copy(Instant now, Bytes packet) {
  return inner_.transmit(now, packet.size(),
                         [&](MutBytes out) { std::memcpy(out.data(), packet.data(), out.size()); });
}

bool SoftGsoDevice::transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) {
  if (len > mtu_) ++stats_.violations;
  stats_.largest = std::max(stats_.largest, len);
  return inner_.transmit(now, len, fill);
}

bool SoftGsoDevice::transmit_offload(Instant now, std::size_t len, const PacketOffload& o,
                                     FunctionRef<void(MutBytes)> fill) {
  stats_.largest = std::max(stats_.largest, len);
  packet_.assign(len, 0);
  fill(packet_);
  MutBytes p(packet_);
  const std::size_t l4 = o.csum_start;
  const bool v4 = p[0] >> 4 == 4;
  const std::uint8_t proto = v4 ? p[9] : p[6];
  const std::size_t ip_hlen = v4 ? std::size_t{p[0] & 0x0fu} * 4 : 40;
  bool field_ok =
      l4 == ip_hlen && ((proto == 6 && o.csum_offset == 16) || (proto == 17 && o.csum_offset == 6));
  if (!o.needs_csum || !field_ok) {
    ++stats_.violations;
    return false;
  }
  ++stats_.partial_checksums;
  if (o.gso == PacketOffload::Gso::kNone) {
    if (len > mtu_) ++stats_.violations;
    complete_checksum(p, l4, o.csum_offset, proto);
    return send_copy(now, p);
  }
  ++stats_.super_packets;
  const bool udp = o.gso == PacketOffload::Gso::kUdpL4;
  const std::size_t thlen = udp ? 8 : std::size_t{p[l4 + 12]} >> 4 << 2;
  const std::size_t hdr = l4 + thlen;
  const std::size_t payload = len - hdr;
  const std::size_t mss = o.gso_size;
  // A UDP super-packet must say the whole's UDP length (the kernel subtracts it from the
  // partial checksum) and hold at most 64 datagrams (virtio_net_hdr_to_skb, UDP_MAX_SEGMENTS).
  bool gso_ok = udp ? uso_ && proto == 17 && mss > 0 && payload > mss && hdr + mss <= mtu_ &&
                          load_be16(p, l4 + 4) == len - l4 && payload <= mss * 64 &&
                          o.hdr_len == hdr &&
                          load_be16(p, l4 + o.csum_offset) == partial_checksum(p, l4, proto)
                    : proto == 6 && mss > 0 && payload > mss && hdr + mss <= mtu_ &&
                          o.gso == (v4 ? PacketOffload::Gso::kTcpV4 : PacketOffload::Gso::kTcpV6);
  if (!gso_ok) {
    ++stats_.violations;
    return false;
  }
  if (mode_ == Mode::kPassThrough) {
    stats_.segments += (payload + mss - 1) / mss;
    complete_checksum(p, l4, o.csum_offset, proto);
    return send_copy(now, p);
  }
  const std::uint32_t seq0 = load_be32(p, l4 + 4);
  const std::uint16_t id0 = v4 ? load_be16(p, 4) : 0;
  const std::uint8_t flags0 = p[l4 + 13];
  bool ok = true;
  for (std::size_t off = 0, i = 0; off < payload; off += mss, ++i) {
    const std::size_t n = std::min(mss, payload - off);
    const bool last = off + n == payload;
    segment_.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(hdr));
    segment_.insert(segment_.end(), p.begin() + static_cast<std::ptrdiff_t>(hdr + off),
                    p.begin() + static_cast<std::ptrdiff_t>(hdr + off + n));
    MutBytes s(segment_);
    if (v4) {
      store_be16(s, 2, static_cast<std::uint16_t>(hdr + n));
      store_be16(s, 4, static_cast<std::uint16_t>(id0 + i));
      store_be16(s, 10, 0);
      store_be16(s, 10, internet_checksum(Bytes(s).first(ip_hlen)));
    } else {
      store_be16(s, 4, static_cast<std::uint16_t>(thlen + n));
    }
    if (udp) {
      store_be16(s, l4 + 4, static_cast<std::uint16_t>(thlen + n));
    } else {
      store_be32(s, l4 + 4, seq0 + static_cast<std::uint32_t>(off));
      std::uint8_t flags = flags0;
      if (!last) flags &= static_cast<std::uint8_t>(~(kFin | kPsh));
      if (i > 0) flags &= static_cast<std::uint8_t>(~kCwr);
      s[l4 + 13] = flags;
    }
    complete_checksum(s, l4, o.csum_offset, proto);
    ++stats_.segments;
    ok &= send_copy(now, s);
  }
  return ok;
}

}  // namespace ustack
