#include "stack/udp_gso.h"

#include <algorithm>
#include <cstring>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

constexpr std::uint8_t kProtoUdp = 17;
constexpr std::size_t kUdpHeader = 8;
// The most datagrams a received super-packet may hold: Linux's UDP_MAX_SEGMENTS, 128 since 6.9
// (include/linux/udp.h; 64 before), which the kernel sending to us enforces itself.
constexpr std::size_t kMaxRxSegments = 128;

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

std::optional<UdpGsoSplitError> split_udp_gso(
    Bytes p, const PacketOffload& o, ByteVec& scratch,
    FunctionRef<void(Bytes datagram, const PacketOffload& offload)> each) {
  if (!o.needs_csum && !o.data_valid) return UdpGsoSplitError::kChecksumUnknown;
  // The IP header (IPv4 options allowed), and the packet's length as its header says.
  std::size_t ip = 0, len = 0;
  if (p.size() >= 20 && p[0] >> 4 == 4 && p[9] == kProtoUdp) {
    ip = std::size_t{p[0] & 0x0fu} * 4;
    len = load_be16(p, 2);
    if (ip < 20 || (load_be16(p, 6) & 0x3fff) != 0) return UdpGsoSplitError::kNotUdp;
  } else if (p.size() >= 40 && p[0] >> 4 == 6 && p[6] == kProtoUdp) {
    ip = 40;
    len = 40 + std::size_t{load_be16(p, 4)};
  } else {
    return UdpGsoSplitError::kNotUdp;
  }
  const std::size_t hdr = ip + kUdpHeader;
  if (len > p.size() || len <= hdr) return UdpGsoSplitError::kNotUdp;
  p = p.first(len);
  const std::size_t payload = len - hdr, seg = o.gso_size;
  if (seg == 0 || (payload + seg - 1) / seg > kMaxRxSegments) {
    return UdpGsoSplitError::kBadSegmentSize;
  }
  PacketOffload one = o;
  one.gso = PacketOffload::Gso::kNone;
  one.gso_size = 0;
  one.hdr_len = 0;
  const std::uint16_t id0 = ip == 40 ? 0 : load_be16(p, 4);
  const std::uint16_t whole_udp_len = load_be16(p, ip + 4);
  for (std::size_t off = 0, i = 0; off < payload; off += seg, ++i) {
    const std::size_t n = std::min(seg, payload - off);
    scratch.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(hdr));
    scratch.insert(scratch.end(), p.begin() + static_cast<std::ptrdiff_t>(hdr + off),
                   p.begin() + static_cast<std::ptrdiff_t>(hdr + off + n));
    MutBytes d(scratch);
    const auto udp_len = static_cast<std::uint16_t>(kUdpHeader + n);
    if (ip == 40) {
      store_be16(d, 4, udp_len);
    } else {
      store_be16(d, 2, static_cast<std::uint16_t>(hdr + n));
      store_be16(d, 4, static_cast<std::uint16_t>(id0 + i));
      store_be16(d, 10, 0);
      store_be16(d, 10, internet_checksum(Bytes(d).first(ip)));
    }
    store_be16(d, ip + 4, udp_len);
    // __udp_gso_segment: csum16_add(csum16_sub(check, uh->len), newlen) on a partial sum.
    if (o.needs_csum) store_be16(d, ip + 6, adjust(load_be16(d, ip + 6), whole_udp_len, udp_len));
    each(Bytes(scratch), one);
  }
  return std::nullopt;
}

void UdpGsoBatch::clear() {
  count_ = 0;
  buf_.clear();
  offload_ = {};
}

}  // namespace ustack
