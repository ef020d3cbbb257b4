// Port forwards into the sandbox (issue 13 item 2): what `--publish` and the API's add_hostfwd
// describe, and which source address the guest sees for a forwarded client. Pure.
//
// slirp4netns's forwards make every client appear as the gateway (.2): libslirp accepts the
// host connection and opens its own toward the guest. ustack opens the guest's connection
// *from the client's address and port* (source-IP preservation), which works because the
// sandbox routes everything back through ustack (its default route) and the Stack is
// transparent (StackConfig::transparent: replies to an address not its own are still taken).
// A client the guest could not answer that way is shown as the gateway instead:
// forward_source().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sandbox/layout.h"

namespace ustack::sandbox {

struct ForwardSpec {
  Proto proto = Proto::kTcp;
  IpAddr host_addr = Ipv4Addr();  // where the host socket listens: 0.0.0.0 unless given
  std::uint16_t host_port = 0;
  IpAddr guest_addr;  // the sandbox's address the flows go to
  std::uint16_t guest_port = 0;
  auto operator<=>(const ForwardSpec&) const = default;
};

const char* to_string(Proto p);  // "tcp", "udp"

// "--publish [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]": "8080:80", "198.18.1.1:8080:80/udp",
// "[fd00::1]:8080:80" (an IPv6 host address in brackets). The guest address is the layout's
// guest of the host address's family (.100, or ::100 with IPv6 enabled; an IPv6 host address
// without IPv6 in the sandbox forwards to .100). On failure `error` says what is wrong, in
// the form "--publish 'SPEC': what (want ...)".
struct ForwardSpecResult {
  std::optional<ForwardSpec> spec;
  std::string error;
};
ForwardSpecResult parse_publish(std::string_view s, const SandboxLayout& l);

// The guest address of a forward toward `guest_addr` as add_hostfwd names it: an address of
// the sandbox's network (or its IPv6 /64) other than the gateway's and the DNS address.
bool valid_guest_addr(const SandboxLayout& l, const IpAddr& guest_addr);

// The address a client of a forward is shown to the guest as: the client's own (`client`),
// when the guest can answer it through ustack — the guest's family, a unicast address that is
// not loopback, link-local or in the sandbox's own network —, otherwise nullopt: the gateway
// (.2 / ::2), as slirp4netns shows every client.
std::optional<IpAddr> forward_source(const SandboxLayout& l, const IpAddr& client,
                                     const IpAddr& guest_addr);

// The gateway of `guest_addr`'s family.
IpAddr gateway_for(const SandboxLayout& l, const IpAddr& guest_addr);

}  // namespace ustack::sandbox
