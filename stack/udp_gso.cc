#include "stack/udp_gso.h"

#include <algorithm>
#include <cstring>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

constexpr std::uint8_t kProtoUdp = 17;
constexpr std::size_t kUdpHeader = 8;

// The IP header length of a packet USO can carry: IPv4 without options and not a fragment,
// or IPv6 whose next header is UDP (no extension headers); 0 otherwise.
std::size_t ip_header_len(Bytes p) {
  if (p.size() < 20) return 0;
  if (p[0] >> 4 == 4) {
    const bool fragment = (load_be16(p, 6) & 0x3fff) != 0;  // MF or an offset
    return p[0] == 0x45 && p[9] == kProtoUdp && !fragment ? 20 : 0;
  }
  return p[0] >> 4 == 6 && p.size() >= 40 && p[6] == kProtoUdp ? 40 : 0;
}

// One's-complement 16-bit a - b + c (Linux csum16_add(csum16_sub(a, b), c)).
std::uint16_t adjust(std::uint16_t a, std::uint16_t b, std::uint16_t c) {
  std::uint32_t s = std::uint32_t{a} + static_cast<std::uint16_t>(~b) + c;
  while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

}  // namespace

bool UdpGsoBatch::add(Bytes p, const PacketOffload& o) {
  const std::size_t ip = ip_header_len(p);
  const std::size_t hdr = ip + kUdpHeader;
  if (ip == 0 || p.size() <= hdr || !o.needs_csum || o.gso != PacketOffload::Gso::kNone ||
      o.csum_start != ip || o.csum_offset != 6 || load_be16(p, ip + 4) != p.size() - ip) {
    return false;
  }
  const std::size_t payload = p.size() - hdr;
  if (count_ == 0) {
    buf_.assign(p.begin(), p.end());
    hdr_len_ = hdr;
    seg_ = payload;
    count_ = 1;
    closed_ = false;
    offload_ = o;
    return true;
  }
  if (closed_ || hdr != hdr_len_ || payload > seg_ || count_ == kMaxSegments ||
      buf_.size() + payload > kMaxLen + (ip == 40 ? 40 : 0)) {
    return false;
  }
  // The same header but for what differs between datagrams of one flow: IPv4 total length,
  // identification and header checksum (bytes 2-5, 10-11), IPv6 payload length (4-5), UDP
  // length and checksum (ip+4 .. ip+7).
  for (std::size_t i = 0; i < ip + 4; ++i) {
    const bool varies = ip == 20 ? (i >= 2 && i < 6) || i == 10 || i == 11 : i == 4 || i == 5;
    if (!varies && p[i] != buf_[i]) return false;
  }
  buf_.insert(buf_.end(), p.begin() + static_cast<std::ptrdiff_t>(hdr), p.end());
  ++count_;
  if (payload < seg_) closed_ = true;  // the kernel cuts gso_size pieces: only the last is short
  return true;
}

Bytes UdpGsoBatch::packet() {
  if (count_ == 1) return Bytes(buf_);
  MutBytes p(buf_);
  const std::size_t ip = hdr_len_ - kUdpHeader;
  const auto udp_len = static_cast<std::uint16_t>(buf_.size() - ip);
  if (ip == 20) {
    store_be16(p, 2, static_cast<std::uint16_t>(buf_.size()));
    store_be16(p, 10, 0);
    store_be16(p, 10, internet_checksum(Bytes(p).first(20)));
  } else {
    store_be16(p, 4, udp_len);
  }
  // The partial checksum holds the pseudo-header sum, which counts the UDP length: the whole's
  // now. The kernel adjusts it back per datagram (__udp_gso_segment: csum16_sub(check, uh->len)
  // then csum16_add(newlen)).
  store_be16(p, ip + 6, adjust(load_be16(p, ip + 6), load_be16(p, ip + 4), udp_len));
  store_be16(p, ip + 4, udp_len);
  offload_.gso = PacketOffload::Gso::kUdpL4;
  offload_.gso_size = static_cast<std::uint16_t>(seg_);
  offload_.hdr_len = static_cast<std::uint16_t>(hdr_len_);
  return Bytes(buf_);
}

void UdpGsoBatch::clear() {
  count_ = 0;
  buf_.clear();
  offload_ = {};
}

}  // namespace ustack
