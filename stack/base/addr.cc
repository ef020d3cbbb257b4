#include "stack/base/addr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace ustack {

MacAddr MacAddr::from_bytes(Bytes b) {
  std::array<std::uint8_t, 6> a;
  std::copy_n(b.begin(), 6, a.begin());
  return MacAddr(a);
}

std::optional<MacAddr> MacAddr::parse(std::string_view s) {
  std::array<std::uint8_t, 6> a;
  if (s.size() != 17) return std::nullopt;
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && s[i * 3 - 1] != ':') return std::nullopt;
    auto [p, ec] = std::from_chars(s.data() + i * 3, s.data() + i * 3 + 2, a[i], 16);
    if (ec != std::errc() || p != s.data() + i * 3 + 2) return std::nullopt;
  }
  return MacAddr(a);
}

std::string MacAddr::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b_[0], b_[1], b_[2], b_[3], b_[4],
                b_[5]);
  return buf;
}

Ipv4Addr Ipv4Addr::from_bytes(Bytes b) { return Ipv4Addr({b[0], b[1], b[2], b[3]}); }

std::optional<Ipv4Addr> Ipv4Addr::parse(std::string_view s) {
  // inet_pton(AF_INET) accepts only the strict dotted-quad form, which is what we want.
  std::string z(s);
  std::array<std::uint8_t, 4> a;
  if (inet_pton(AF_INET, z.c_str(), a.data()) != 1) return std::nullopt;
  return Ipv4Addr(a);
}

std::string Ipv4Addr::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b_[0], b_[1], b_[2], b_[3]);
  return buf;
}

Ipv6Addr Ipv6Addr::from_bytes(Bytes b) {
  std::array<std::uint8_t, 16> a;
  std::copy_n(b.begin(), 16, a.begin());
  return Ipv6Addr(a);
}

std::optional<Ipv6Addr> Ipv6Addr::parse(std::string_view s) {
  std::string z(s);
  std::array<std::uint8_t, 16> a;
  if (inet_pton(AF_INET6, z.c_str(), a.data()) != 1) return std::nullopt;
  return Ipv6Addr(a);
}

Ipv6Addr Ipv6Addr::all_nodes() {
  return Ipv6Addr({0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
}
Ipv6Addr Ipv6Addr::all_routers() {
  return Ipv6Addr({0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
}

Ipv6Addr Ipv6Addr::solicited_node(const Ipv6Addr& a) {
  return Ipv6Addr({0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, a.b_[13], a.b_[14], a.b_[15]});
}

Ipv6Addr Ipv6Addr::link_local_from_mac(const MacAddr& mac) {
  Bytes m = mac.bytes();
  return Ipv6Addr({0xfe, 0x80, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(m[0] ^ 0x02), m[1], m[2],
                   0xff, 0xfe, m[3], m[4], m[5]});
}

bool Ipv6Addr::is_loopback() const {
  return std::all_of(b_.begin(), b_.begin() + 15, [](auto v) { return v == 0; }) && b_[15] == 1;
}

bool Ipv6Addr::is_v4_mapped() const {
  return std::all_of(b_.begin(), b_.begin() + 10, [](auto v) { return v == 0; }) &&
         b_[10] == 0xff && b_[11] == 0xff;
}

MacAddr Ipv6Addr::multicast_mac() const {
  return MacAddr({0x33, 0x33, b_[12], b_[13], b_[14], b_[15]});
}

std::string Ipv6Addr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, b_.data(), buf, sizeof buf);  // RFC 5952 canonical form
  return buf;
}

std::optional<IpAddr> IpAddr::parse(std::string_view s) {
  if (auto v4 = Ipv4Addr::parse(s)) return IpAddr(*v4);
  if (auto v6 = Ipv6Addr::parse(s)) return IpAddr(*v6);
  return std::nullopt;
}

bool IpAddr::is_unspecified() const {
  return is_v4() ? v4().is_unspecified() : v6().is_unspecified();
}
bool IpAddr::is_multicast() const { return is_v4() ? v4().is_multicast() : v6().is_multicast(); }
std::string IpAddr::to_string() const { return is_v4() ? v4().to_string() : v6().to_string(); }

std::optional<IpCidr> IpCidr::parse(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = IpAddr::parse(s.substr(0, slash));
  if (!addr) return std::nullopt;
  std::string_view len = s.substr(slash + 1);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), v);
  if (len.empty() || ec != std::errc() || p != len.data() + len.size()) return std::nullopt;
  if (v > (addr->is_v4() ? 32u : 128u)) return std::nullopt;
  return IpCidr{*addr, static_cast<std::uint8_t>(v)};
}

namespace {
// Compares the first `bits` bits of two byte strings.
bool prefix_equal(Bytes a, Bytes b, unsigned bits) {
  unsigned full = bits / 8;
  if (!std::equal(a.begin(), a.begin() + full, b.begin())) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}
}  // namespace

bool IpCidr::contains(const IpAddr& a) const {
  return a.version() == addr.version() && prefix_equal(a.bytes(), addr.bytes(), prefix_len);
}

IpAddr IpCidr::network() const {
  if (addr.is_v4()) {
    std::uint32_t mask = prefix_len == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_len);
    return Ipv4Addr::from_u32(addr.v4().to_u32() & mask);
  }
  std::array<std::uint8_t, 16> b = addr.v6().array();
  for (unsigned i = 0; i < 16; ++i) {
    int keep = static_cast<int>(prefix_len) - static_cast<int>(i * 8);
    if (keep <= 0) {
      b[i] = 0;
    } else if (keep < 8) {
      b[i] &= static_cast<std::uint8_t>(0xff << (8 - keep));
    }
  }
  return Ipv6Addr(b);
}

std::optional<Ipv4Addr> IpCidr::broadcast_v4() const {
  if (!addr.is_v4() || prefix_len >= 31) return std::nullopt;
  std::uint32_t host = ~std::uint32_t{0} >> prefix_len;
  return Ipv4Addr::from_u32(addr.v4().to_u32() | host);
}

std::string IpCidr::to_string() const {
  return addr.to_string() + "/" + std::to_string(prefix_len);
}

std::size_t IpAddrHash::operator()(const IpAddr& a) const {
  // FNV-1a over the address bytes; cheap and good enough for hash-map buckets.
  std::uint64_t h = 1469598103934665603ull ^ static_cast<std::uint8_t>(a.version());
  for (std::uint8_t v : a.bytes()) h = (h ^ v) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

}  // namespace ustack
