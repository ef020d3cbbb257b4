#include "stack/dns/address_order.h"

#include <algorithm>
#include <array>

namespace ustack {
namespace {

// IPv4 addresses take part in the policy table as IPv4-mapped IPv6 (RFC 6724 §2.1).
std::array<std::uint8_t, 16> as_v6_bytes(const IpAddr& a) {
  if (a.is_v6()) return a.v6().array();
  std::array<std::uint8_t, 16> b{};
  b[10] = b[11] = 0xff;
  std::copy_n(a.bytes().begin(), 4, b.begin() + 12);
  return b;
}

std::size_t common_prefix_bits(Bytes a, Bytes b, std::size_t max_bits) {
  std::size_t bits = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size() && bits < max_bits; ++i) {
    std::uint8_t x = a[i] ^ b[i];
    if (x == 0) {
      bits += 8;
      continue;
    }
    while (!(x & 0x80)) {
      ++bits;
      x = static_cast<std::uint8_t>(x << 1);
    }
    break;
  }
  return std::min(bits, max_bits);
}

struct PolicyRow {
  std::array<std::uint8_t, 16> prefix;
  std::size_t len;
  AddressPolicy policy;
};

// RFC 6724 §2.1, most specific first so the first match is the longest.
const PolicyRow kPolicy[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, {50, 0}},  // ::1/128
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, {35, 4}},         // ::ffff:0:0/96
    {{}, 96, {1, 3}},                                                  // ::/96
    {{0x20, 0x01, 0, 0}, 32, {5, 5}},                                  // 2001::/32
    {{0x20, 0x02}, 16, {30, 2}},                                       // 2002::/16
    {{0x3f, 0xfe}, 16, {1, 12}},                                       // 3ffe::/16
    {{0xfe, 0xc0}, 10, {1, 11}},                                       // fec0::/10
    {{0xfc}, 7, {3, 13}},                                              // fc00::/7
    {{}, 0, {40, 1}},                                                  // ::/0
};

struct Candidate {
  IpAddr dst;
  std::optional<IpAddr> src;
  AddressPolicy dst_policy;
  std::uint8_t dst_scope;
};

// True if rules 1-9 prefer `a` over `b` (RFC 6724 §6).
bool prefer(const Candidate& a, const Candidate& b) {
  // Rule 1: avoid unusable destinations.
  if (a.src.has_value() != b.src.has_value()) return a.src.has_value();
  if (!a.src) return false;
  // Rule 2: prefer matching scope.
  bool a_scope = a.dst_scope == address_scope(*a.src);
  bool b_scope = b.dst_scope == address_scope(*b.src);
  if (a_scope != b_scope) return a_scope;
  // Rules 3 and 4 do not apply (see the header).
  // Rule 5: prefer matching label.
  bool a_label = default_policy(*a.src).label == a.dst_policy.label;
  bool b_label = default_policy(*b.src).label == b.dst_policy.label;
  if (a_label != b_label) return a_label;
  // Rule 6: prefer higher precedence.
  if (a.dst_policy.precedence != b.dst_policy.precedence) {
    return a.dst_policy.precedence > b.dst_policy.precedence;
  }
  // Rule 7 does not apply. Rule 8: prefer smaller scope.
  if (a.dst_scope != b.dst_scope) return a.dst_scope < b.dst_scope;
  // Rule 9: longest matching prefix, within one family.
  if (a.dst.version() == b.dst.version()) {
    std::size_t max_bits = a.dst.is_v6() ? 64 : 32;
    std::size_t a_len = common_prefix_bits(a.dst.bytes(), a.src->bytes(), max_bits);
    std::size_t b_len = common_prefix_bits(b.dst.bytes(), b.src->bytes(), max_bits);
    if (a_len != b_len) return a_len > b_len;
  }
  // Rule 10: leave the order unchanged.
  return false;
}

}  // namespace

AddressPolicy default_policy(const IpAddr& a) {
  auto b = as_v6_bytes(a);
  for (const PolicyRow& row : kPolicy) {
    if (common_prefix_bits(b, row.prefix, row.len) == row.len) return row.policy;
  }
  return {40, 1};
}

std::uint8_t address_scope(const IpAddr& a) {
  constexpr std::uint8_t kLinkLocal = 2, kSiteLocal = 5, kGlobal = 14;
  if (a.is_v4()) {
    Ipv4Addr v4 = a.v4();
    bool link_local = v4.is_loopback() || (v4.to_u32() & 0xffff0000) == 0xa9fe0000;
    return link_local ? kLinkLocal : kGlobal;
  }
  Ipv6Addr v6 = a.v6();
  if (v6.is_multicast()) return v6.array()[1] & 0x0f;
  if (v6.is_link_local() || v6.is_loopback()) return kLinkLocal;
  if (v6.array()[0] == 0xfe && (v6.array()[1] & 0xc0) == 0xc0) return kSiteLocal;
  return kGlobal;
}

std::vector<std::size_t> rfc6724_order(std::span<const IpAddr> dsts, SourceFor source_for) {
  std::vector<Candidate> c;
  c.reserve(dsts.size());
  for (const IpAddr& d : dsts) c.push_back({d, source_for(d), default_policy(d), address_scope(d)});
  std::vector<std::size_t> order(dsts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return prefer(c[x], c[y]); });
  return order;
}

void sort_destinations(std::vector<IpAddr>& dsts, SourceFor source_for) {
  std::vector<IpAddr> sorted;
  sorted.reserve(dsts.size());
  for (std::size_t i : rfc6724_order(dsts, source_for)) sorted.push_back(dsts[i]);
  dsts = std::move(sorted);
}

}  // namespace ustack
