#include "sandbox/publish_spec.h"

#include <charconv>

namespace ustack::sandbox {
namespace {

constexpr const char* kPublishForm =
    "want [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp], e.g. 8080:80, 198.18.1.1:8080:80/udp, "
    "[fd00::1]:8080:80";

// A port 1..65535; on failure the reason, naming `which` ("host port").
std::optional<std::uint16_t> publish_port(std::string_view s, const char* which, std::string& why) {
  unsigned long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec == std::errc::invalid_argument || end != s.data() + s.size()) {
    why = std::string(which) + " '" + std::string(s) + "' is not a number";
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || v == 0 || v > 65535) {
    why = std::string(which) + " " + std::string(s) + " out of range (1..65535)";
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(v);
}

bool in_sandbox_network(const SandboxLayout& l, const IpAddr& a) {
  return l.network.contains(a) || (l.v6 && l.v6->network.contains(a));
}

}  // namespace

const char* to_string(Proto p) { return p == Proto::kUdp ? "udp" : "tcp"; }

ForwardSpecResult parse_publish(std::string_view s, const SandboxLayout& l) {
  std::string why;
  auto fail = [&](const std::string& what) {
    return ForwardSpecResult{
        std::nullopt, "--publish '" + std::string(s) + "': " + what + " (" + kPublishForm + ")"};
  };
  ForwardSpec f;
  std::string_view rest = s;
  if (auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    std::string_view proto = rest.substr(slash + 1);
    if (proto == "tcp") {
      f.proto = Proto::kTcp;
    } else if (proto == "udp") {
      f.proto = Proto::kUdp;
    } else {
      return fail("unknown protocol '" + std::string(proto) + "'");
    }
    rest = rest.substr(0, slash);
  }
  std::string_view addr;
  bool have_addr = false;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return fail("an IPv6 address in brackets must be followed by ':HOSTPORT:GUESTPORT'");
    }
    addr = rest.substr(1, close - 1);
    have_addr = true;
    rest = rest.substr(close + 2);
    std::optional<IpAddr> a = IpAddr::parse(addr);
    if (!a || !a->is_v6()) return fail("'" + std::string(addr) + "' is not an IPv6 address");
    f.host_addr = *a;
  }
  auto last = rest.rfind(':');
  if (last == std::string_view::npos) return fail("no guest port");
  std::string_view guest_port = rest.substr(last + 1);
  std::string_view head = rest.substr(0, last);
  std::string_view host_port = head;
  if (auto colon = head.rfind(':'); colon != std::string_view::npos) {
    if (have_addr || head.find(':') != colon) {
      return fail("too many ':' (an IPv6 host address goes in brackets)");
    }
    addr = head.substr(0, colon);
    host_port = head.substr(colon + 1);
    std::optional<IpAddr> a = IpAddr::parse(addr);
    if (!a || !a->is_v4()) return fail("'" + std::string(addr) + "' is not an IPv4 address");
    f.host_addr = *a;
  }
  std::optional<std::uint16_t> hp = publish_port(host_port, "host port", why);
  if (!hp) return fail(why);
  std::optional<std::uint16_t> gp = publish_port(guest_port, "guest port", why);
  if (!gp) return fail(why);
  if (f.host_addr.is_multicast()) return fail("the host address is a multicast address");
  f.host_port = *hp;
  f.guest_port = *gp;
  f.guest_addr = f.host_addr.is_v6() && l.v6 ? l.v6->guest : l.guest;
  return {f, ""};
}

bool valid_guest_addr(const SandboxLayout& l, const IpAddr& a) {
  if (!in_sandbox_network(l, a)) return false;
  if (a == l.gateway || a == l.dns || a == l.network.network()) return false;
  if (l.v6 && (a == l.v6->gateway || a == l.v6->dns || a == l.v6->network.network())) {
    return false;
  }
  return true;
}

std::optional<IpAddr> forward_source(const SandboxLayout& l, const IpAddr& client,
                                     const IpAddr& guest_addr) {
  if (client.version() != guest_addr.version()) return std::nullopt;
  if (client.is_unspecified() || client.is_multicast() || in_sandbox_network(l, client)) {
    return std::nullopt;
  }
  if (client.is_v4()) {
    Ipv4Addr a = client.v4();
    if (a.is_loopback() || a.is_broadcast()) return std::nullopt;
    if (IpCidr{Ipv4Addr({169, 254, 0, 0}), 16}.contains(client)) return std::nullopt;
  } else {
    Ipv6Addr a = client.v6();
    if (a.is_loopback() || a.is_link_local() || a.is_v4_mapped()) return std::nullopt;
  }
  return client;
}

IpAddr gateway_for(const SandboxLayout& l, const IpAddr& guest_addr) {
  return guest_addr.is_v6() && l.v6 ? l.v6->gateway : l.gateway;
}

}  // namespace ustack::sandbox
