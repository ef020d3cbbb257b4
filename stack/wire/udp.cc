#include "stack/wire/udp.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "stack/base/checksum.h"

namespace ustack {
namespace {

// Byte offsets (RFC 768).
constexpr std::size_t kSrcPort = 0;
constexpr std::size_t kDstPort = 2;
constexpr std::size_t kLength = 4;
constexpr std::size_t kChecksum = 6;

constexpr std::uint8_t kProtoUdp = static_cast<std::uint8_t>(IpProto::kUdp);

}  // namespace

Result<UdpRepr> UdpRepr::parse(Bytes datagram, const IpAddr& src, const IpAddr& dst,
                               ChecksumCheck check) {
  if (datagram.size() < kHeaderLen) return Err(ParseError::kTruncated);
  const std::size_t length = load_be16(datagram, kLength);
  if (length < kHeaderLen || length > datagram.size()) return Err(ParseError::kBadLength);
  const std::uint16_t checksum = load_be16(datagram, kChecksum);
  const Bytes covered = datagram.first(length);
  if (checksum == 0) {
    // RFC 768: zero means the sender computed no checksum, which IPv4 allows. RFC 8200 §8.1:
    // "IPv6 receivers must discard UDP packets containing a zero checksum".
    if (src.is_v6()) return Err(ParseError::kBadChecksum);
  } else if (check == ChecksumCheck::kVerify) {
    std::uint32_t sum = pseudo_header_sum(src, dst, kProtoUdp, static_cast<std::uint32_t>(length));
    if (checksum_finish(checksum_add(sum, covered)) != 0) return Err(ParseError::kBadChecksum);
  }
  UdpRepr r;
  r.src_port = load_be16(datagram, kSrcPort);
  r.dst_port = load_be16(datagram, kDstPort);
  r.length = static_cast<std::uint16_t>(length);
  r.checksum = checksum;
  r.payload = covered.subspan(kHeaderLen);
  return r;
}

void UdpRepr::emit(MutBytes out, Bytes payload, const IpAddr& src, const IpAddr& dst,
                   ChecksumMode mode) const {
  const std::size_t length = kHeaderLen + payload.size();
  store_be16(out, kSrcPort, src_port);
  store_be16(out, kDstPort, dst_port);
  store_be16(out, kLength, static_cast<std::uint16_t>(length));
  store_be16(out, kChecksum, 0);
  copy_to(out.subspan(kHeaderLen), payload);
  const std::uint32_t pseudo =
      pseudo_header_sum(src, dst, kProtoUdp, static_cast<std::uint32_t>(length));
  if (mode == ChecksumMode::kOffload) {
    // CHECKSUM_PARTIAL: the field holds the folded (uncomplemented) pseudo-header sum; the
    // device adds the header and payload and complements.
    store_be16(out, kChecksum, static_cast<std::uint16_t>(~checksum_finish(pseudo)));
    return;
  }
  std::uint16_t sum = checksum_finish(checksum_add(pseudo, Bytes(out.first(length))));
  // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
  if (sum == 0) sum = 0xffff;
  store_be16(out, kChecksum, sum);
}

std::string UdpRepr::to_string() const {
  return "UDP " + std::to_string(src_port) + " > " + std::to_string(dst_port) + ", length " +
         std::to_string(payload.size());
}

std::string UdpRepr::to_verbose_string() const {
  char buf[48];
  std::string s = "src port: " + std::to_string(src_port) + "\n";
  s += "dst port: " + std::to_string(dst_port) + "\n";
  s += "length: " + std::to_string(length) + " (payload " + std::to_string(payload.size()) +
       " bytes)\n";
  if (checksum == 0) {
    std::snprintf(buf, sizeof buf, "checksum: 0x0000 (none)");
  } else {
    std::snprintf(buf, sizeof buf, "checksum: 0x%04x", checksum);
  }
  s += buf;
  return s;
}

bool UdpRepr::operator==(const UdpRepr& o) const {
  return src_port == o.src_port && dst_port == o.dst_port &&
         std::equal(payload.begin(), payload.end(), o.payload.begin(), o.payload.end());
}

}  // namespace ustack
