// Link and network addresses: MacAddr, Ipv4Addr, Ipv6Addr, IpAddr (either), and CIDR prefixes.
//
// Value types, stored in network byte order, hashable and comparable so they can be map keys.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "stack/base/bytes.h"

namespace ustack {

class MacAddr {
 public:
  constexpr MacAddr() = default;
  constexpr explicit MacAddr(std::array<std::uint8_t, 6> b) : b_(b) {}
  static MacAddr from_bytes(Bytes b);  // b.size() >= 6
  static constexpr MacAddr broadcast() { return MacAddr({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); }
  static std::optional<MacAddr> parse(std::string_view s);  // "02:00:5e:10:00:01"

  Bytes bytes() const { return b_; }
  bool is_broadcast() const { return *this == broadcast(); }
  bool is_multicast() const { return b_[0] & 1; }
  bool is_zero() const { return *this == MacAddr(); }
  std::string to_string() const;
  constexpr auto operator<=>(const MacAddr&) const = default;

 private:
  std::array<std::uint8_t, 6> b_{};
};

class Ipv4Addr {
 public:
  constexpr Ipv4Addr() = default;
  constexpr explicit Ipv4Addr(std::array<std::uint8_t, 4> b) : b_(b) {}
  static constexpr Ipv4Addr from_u32(std::uint32_t v) {
    return Ipv4Addr({static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                     static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
  }
  static Ipv4Addr from_bytes(Bytes b);                       // b.size() >= 4
  static std::optional<Ipv4Addr> parse(std::string_view s);  // dotted quad
  static constexpr Ipv4Addr any() { return Ipv4Addr(); }
  static constexpr Ipv4Addr broadcast() { return from_u32(0xffffffff); }

  constexpr std::uint32_t to_u32() const {
    return std::uint32_t{b_[0]} << 24 | std::uint32_t{b_[1]} << 16 | std::uint32_t{b_[2]} << 8 |
           b_[3];
  }
  Bytes bytes() const { return b_; }
  bool is_unspecified() const { return to_u32() == 0; }
  bool is_broadcast() const { return to_u32() == 0xffffffff; }
  bool is_multicast() const { return (b_[0] & 0xf0) == 0xe0; }
  bool is_loopback() const { return b_[0] == 127; }
  std::string to_string() const;
  constexpr auto operator<=>(const Ipv4Addr&) const = default;

 private:
  std::array<std::uint8_t, 4> b_{};
};

class Ipv6Addr {
 public:
  constexpr Ipv6Addr() = default;
  constexpr explicit Ipv6Addr(std::array<std::uint8_t, 16> b) : b_(b) {}
  static Ipv6Addr from_bytes(Bytes b);                       // b.size() >= 16
  static std::optional<Ipv6Addr> parse(std::string_view s);  // RFC 4291 text forms
  static constexpr Ipv6Addr any() { return Ipv6Addr(); }
  static Ipv6Addr all_nodes();    // ff02::1
  static Ipv6Addr all_routers();  // ff02::2
  // ff02::1:ffXX:XXXX for `a` (RFC 4291 §2.7.1).
  static Ipv6Addr solicited_node(const Ipv6Addr& a);
  // fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 App. A).
  static Ipv6Addr link_local_from_mac(const MacAddr& mac);

  Bytes bytes() const { return b_; }
  const std::array<std::uint8_t, 16>& array() const { return b_; }
  bool is_unspecified() const { return *this == Ipv6Addr(); }
  bool is_multicast() const { return b_[0] == 0xff; }
  bool is_link_local() const { return b_[0] == 0xfe && (b_[1] & 0xc0) == 0x80; }
  bool is_loopback() const;
  // ::ffff:a.b.c.d
  bool is_v4_mapped() const;
  // 33:33:xx:xx:xx:xx for a multicast address (RFC 2464 §7).
  MacAddr multicast_mac() const;
  std::string to_string() const;
  constexpr auto operator<=>(const Ipv6Addr&) const = default;

 private:
  std::array<std::uint8_t, 16> b_{};
};

enum class IpVersion : std::uint8_t { kV4 = 4, kV6 = 6 };

// Either family; the TCP/UDP socket table keys on it.
class IpAddr {
 public:
  IpAddr() = default;
  IpAddr(Ipv4Addr a) : v_(IpVersion::kV4) { std::copy_n(a.bytes().begin(), 4, b_.begin()); }
  IpAddr(const Ipv6Addr& a) : v_(IpVersion::kV6), b_(a.array()) {}
  static std::optional<IpAddr> parse(std::string_view s);

  IpVersion version() const { return v_; }
  bool is_v4() const { return v_ == IpVersion::kV4; }
  bool is_v6() const { return v_ == IpVersion::kV6; }
  Ipv4Addr v4() const { return Ipv4Addr({b_[0], b_[1], b_[2], b_[3]}); }
  Ipv6Addr v6() const { return Ipv6Addr(b_); }
  bool is_unspecified() const;
  bool is_multicast() const;
  Bytes bytes() const { return Bytes(b_).first(is_v4() ? 4 : 16); }
  std::string to_string() const;
  auto operator<=>(const IpAddr&) const = default;

 private:
  IpVersion v_ = IpVersion::kV4;
  std::array<std::uint8_t, 16> b_{};  // v4 uses the first 4 bytes, the rest stay zero
};

// An address with a prefix length: "198.18.0.2/24", "fd00:1::2/64".
struct IpCidr {
  IpAddr addr;
  std::uint8_t prefix_len = 0;

  // Rejects a missing or out-of-range prefix (>32 for v4, >128 for v6).
  static std::optional<IpCidr> parse(std::string_view s);
  bool contains(const IpAddr& a) const;
  IpAddr network() const;                        // host bits cleared
  std::optional<Ipv4Addr> broadcast_v4() const;  // directed broadcast (v4, prefix < 31)
  std::string to_string() const;
  auto operator<=>(const IpCidr&) const = default;
};

struct IpAddrHash {
  std::size_t operator()(const IpAddr& a) const;
};

}  // namespace ustack

template <>
struct std::hash<ustack::IpAddr> : ustack::IpAddrHash {};
