#include "sandbox/layout.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace ustack::sandbox {
namespace {

IpAddr host_number(const IpCidr& net, std::uint8_t n) {
  // The address must outlive the span bytes() returns into it: a temporary from v4() did not,
  // and -c opt builds read its dead bytes (gateway 0.0.0.2 whatever --cidr said).
  const Ipv4Addr addr = net.network().v4();
  Bytes b = addr.bytes();
  std::uint32_t v =
      (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
  v += n;
  return Ipv4Addr({static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                   static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

}  // namespace

std::string Endpoint::to_string() const {
  std::string a = addr.to_string();
  if (addr.is_v6()) a = "[" + a + "]";
  return a + ":" + std::to_string(port);
}

LayoutResult layout_for_cidr(std::string_view cidr) {
  std::optional<IpCidr> c = IpCidr::parse(cidr);
  if (!c || !c->addr.is_v4()) {
    return {std::nullopt, "--cidr " + std::string(cidr) + ": not an IPv4 network (198.18.5.0/24)"};
  }
  // slirp4netns: the guest is .100, so the network must hold at least 128 hosts.
  if (c->prefix_len < 8 || c->prefix_len > 25) {
    return {std::nullopt, "--cidr " + std::string(cidr) + ": prefix must be 8..25"};
  }
  SandboxLayout l;
  l.network = IpCidr{c->network(), c->prefix_len};
  l.gateway = host_number(l.network, 2);
  l.dns = host_number(l.network, 3);
  l.guest = host_number(l.network, 100);
  return {l, ""};
}

bool add_ipv6_layout(SandboxLayout& l, std::string_view cidr, std::string& error) {
  std::optional<IpCidr> c = IpCidr::parse(cidr);
  if (!c || !c->addr.is_v6() || c->prefix_len != 64) {
    error = "--ipv6-cidr " + std::string(cidr) + ": not an IPv6 /64 (fd00::/64)";
    return false;
  }
  // Interface identifier `n` (::2, ::3, ::100) in the /64.
  auto host = [&](std::uint16_t n) {
    std::array<std::uint8_t, 16> b = c->network().v6().array();
    b[14] = static_cast<std::uint8_t>(n >> 8);
    b[15] = static_cast<std::uint8_t>(n);
    return IpAddr(Ipv6Addr(b));
  };
  l.v6 = SandboxLayout::V6{IpCidr{c->network(), 64}, host(0x2), host(0x3), host(0x100)};
  return true;
}

std::optional<Endpoint> parse_dns_upstream(std::string_view s) {
  if (std::optional<IpAddr> a = IpAddr::parse(s)) return Endpoint{*a, 53};
  std::string_view host = s, port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return std::nullopt;
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  std::optional<IpAddr> a = IpAddr::parse(host);
  std::optional<std::uint16_t> p = parse_port(port);
  if (!a || !p) return std::nullopt;
  return Endpoint{*a, *p};
}

bool is_host_address(const SandboxLayout& l, const IpAddr& a) {
  if (a.is_v4() ? a.v4().is_loopback() : a.v6().is_loopback()) return true;
  // An IPv4-mapped loopback (::ffff:127.x.y.z) reaches 127/8 through a dual-stack socket.
  if (a.is_v6() && a.v6().is_v4_mapped() && a.bytes()[12] == 127) return true;
  const std::vector<IpAddr>& host = *l.host_addresses;
  return std::find(host.begin(), host.end(), a) != host.end();
}

Route route_flow(const SandboxLayout& l, Proto proto, const Endpoint& dst) {
  (void)proto;  // DNS over UDP and over TCP (RFC 7766) go the same way
  using V = Route::Verdict;
  bool dns = dst.addr == l.dns || (l.v6 && dst.addr == l.v6->dns);
  if (dns) {
    // The upstream is the host's resolver even when it is on the host's loopback
    // (127.0.0.53): the sandbox asks ustack, not the host.
    if (dst.port == 53 && l.dns_upstream) return Route{V::kRelay, *l.dns_upstream};
    return Route{V::kClosed, {}};
  }
  // The gateway is the host's loopback, as in slirp4netns, when that is allowed.
  if (dst.addr == l.gateway) {
    if (!l.allow_host_loopback) return Route{V::kHostBlocked, {}};
    return Route{V::kRelay, Endpoint{IpAddr(Ipv4Addr({127, 0, 0, 1})), dst.port}};
  }
  if (l.v6 && dst.addr == l.v6->gateway) {
    if (!l.allow_host_loopback) return Route{V::kHostBlocked, {}};
    return Route{V::kRelay, Endpoint{*IpAddr::parse("::1"), dst.port}};
  }
  if (dst.addr.is_multicast() || dst.addr.is_unspecified()) return Route{V::kClosed, {}};
  if (!l.allow_host_loopback && is_host_address(l, dst.addr)) return Route{V::kHostBlocked, {}};
  return Route{V::kRelay, dst};
}

}  // namespace ustack::sandbox
