// The sandbox's addresses, laid out as slirp4netns lays them out, and where its flows go.
//
// slirp4netns (and libslirp before it) gives the namespace a /24 (default 10.0.2.0/24) in
// which .2 is the gateway (us), .3 the DNS server (us, forwarding) and .100 the namespace
// itself; `--cidr` picks another network with the same host numbers. A sandbox must also know
// where each connection goes on the host side: the far address as asked, except the DNS
// address (port 53), which goes to the host's resolver (--dns-upstream or resolv.conf), the
// DNS address's other ports, which are closed, and the gateway, which is the host's loopback
// (as in slirp4netns) when host access is allowed and closed otherwise. Safety by default:
// the host itself (its loopback, its own addresses) is not reachable from the sandbox unless
// --allow-host-loopback.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/addr.h"

namespace ustack::sandbox {

inline constexpr const char* kDefaultCidr = "10.0.2.0/24";  // slirp4netns's default

struct Endpoint {
  IpAddr addr;
  std::uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
  std::string to_string() const;  // "198.18.0.1:80", "[fd00::1]:53"
};

struct SandboxLayout {
  IpCidr network;  // host bits clear: 10.0.2.0/24
  IpAddr gateway;  // .2: ustack, the namespace's default route
  IpAddr dns;      // .3: ustack, forwarding to dns_upstream
  IpAddr guest;    // .100: the namespace's own address
  std::optional<Endpoint> dns_upstream;
  // IPv6 (--enable-ipv6): the same host numbers in a /64 (slirp4netns: fd00::/64, ::2, ::3;
  // the guest there takes a SLAAC address, here ::100 is configured).
  struct V6 {
    IpCidr network;
    IpAddr gateway, dns, guest;
  };
  std::optional<V6> v6;
  // --allow-host-loopback: the gateway leads to the host's 127.0.0.1 / ::1, and the host's own
  // addresses may be reached. Off: both are refused as a closed port is.
  bool allow_host_loopback = false;
  // The host's own addresses, refused unless allowed: shared by every copy of the layout, so
  // that the relays see it change (host_addresses.h re-reads it when the host's change).
  std::shared_ptr<std::vector<IpAddr>> host_addresses = std::make_shared<std::vector<IpAddr>>();

  IpCidr guest_cidr() const { return IpCidr{guest, network.prefix_len}; }
  IpCidr gateway_cidr() const { return IpCidr{gateway, network.prefix_len}; }
  IpCidr dns_cidr() const { return IpCidr{dns, network.prefix_len}; }
};

inline constexpr const char* kDefaultIpv6Cidr = "fd00::/64";  // slirp4netns's

// Adds the IPv6 layout for "--ipv6-cidr" (a /64); false, with `error` set, if it is not one.
bool add_ipv6_layout(SandboxLayout& l, std::string_view cidr, std::string& error);

// From "--cidr" ("198.18.5.0/24"): an IPv4 network of prefix 8..25, as slirp4netns accepts
// (it needs .100 to be a host of it). The error names the problem on failure.
struct LayoutResult {
  std::optional<SandboxLayout> layout;
  std::string error;
};
LayoutResult layout_for_cidr(std::string_view cidr);

// "198.18.0.1", "198.18.0.1:5353", "[fd00::1]:53", "fd00::1": port 53 unless given.
std::optional<Endpoint> parse_dns_upstream(std::string_view s);

enum class Proto : std::uint8_t { kTcp, kUdp };

// Where a flow the guest opened to `dst` goes on the host side.
struct Route {
  enum class Verdict : std::uint8_t {
    kRelay,        // through a host socket to `to`
    kClosed,       // nowhere (an address of ours without that service): refused
    kHostBlocked,  // the host itself, without --allow-host-loopback: refused the same way
  };
  Verdict verdict = Verdict::kClosed;
  Endpoint to;
};
Route route_flow(const SandboxLayout& l, Proto proto, const Endpoint& dst);
// True if `a` is the host itself: loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) or one of
// l.host_addresses.
bool is_host_address(const SandboxLayout& l, const IpAddr& a);

}  // namespace ustack::sandbox
