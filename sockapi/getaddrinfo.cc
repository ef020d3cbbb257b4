// usocket::getaddrinfo: glibc's argument checks and result shape around ustack's Resolver.
#include "sockapi/getaddrinfo.h"

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <optional>

#include "sockapi/os_error.h"
#include "stack/base/addr.h"
#include "stack/dns/resolver.h"
#include "stack/runtime.h"

namespace usocket {
namespace {

using ustack::AddressFamily;
using ustack::IpAddr;

// The flags glibc takes that mean something here; AI_ADDRCONFIG is accepted and ignored.
constexpr int kKnownFlags =
    AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_NUMERICSERV | AI_ADDRCONFIG;

// (type, proto) pairs an entry is made for, in glibc's order.
struct Kind {
  int type;
  int proto;
};
constexpr Kind kKinds[] = {{SOCK_STREAM, IPPROTO_TCP}, {SOCK_DGRAM, IPPROTO_UDP}};

// What the arguments other than host and port ask for, checked in glibc's order (flags, then
// family, then socket type and protocol) so the first error is the one glibc reports.
struct Request {
  AddressFamily family = AddressFamily::kUnspec;
  std::vector<Kind> kinds;
  int flags = 0;
};

Request check_args(int af, int type, int proto, int flags) {
  Request r;
  r.flags = flags;
  if ((flags & ~kKnownFlags) != 0) {
    // AI_V4MAPPED/AI_ALL are glibc's, but ustack has no IPv4-mapped sockets to give them
    // meaning; saying so beats silently returning what the caller did not ask for.
    const bool mapped = (flags & ~kKnownFlags & ~(AI_V4MAPPED | AI_ALL)) == 0;
    throw OSError(EAI_BADFLAGS, mapped ? "AI_V4MAPPED and AI_ALL are not supported" : "");
  }
  switch (af) {
    case AF_UNSPEC:
      r.family = AddressFamily::kUnspec;
      break;
    case AF_INET:
      r.family = AddressFamily::kV4;
      break;
    case AF_INET6:
      r.family = AddressFamily::kV6;
      break;
    default:
      throw OSError(EAI_FAMILY);
  }
  if (type != 0 && type != SOCK_STREAM && type != SOCK_DGRAM) throw OSError(EAI_SOCKTYPE);
  for (const Kind& k : kKinds) {
    if ((type == 0 || type == k.type) && (proto == 0 || proto == k.proto)) r.kinds.push_back(k);
  }
  // glibc: nothing fits -> EAI_SOCKTYPE if a type was given, else the protocol is the
  // service's problem (EAI_SERVICE).
  if (r.kinds.empty()) throw OSError(type != 0 ? EAI_SOCKTYPE : EAI_SERVICE);
  return r;
}

std::uint16_t check_port(int port) {
  // CPython hands the number to glibc as text, which truncates 70000 to 4464; a silent wrong
  // port helps nobody, so out of range is the error CPython gives for -1.
  if (port < 0 || port > 65535) throw OSError(EAI_SERVICE, "port must be 0-65535");
  return static_cast<std::uint16_t>(port);
}

std::uint16_t parse_port(std::string_view port, int flags) {
  if (port.empty()) return 0;  // C's NULL service: port 0
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec == std::errc() && end == port.data() + port.size()) {
    if (value > 65535) throw OSError(EAI_SERVICE, "port must be 0-65535");
    return static_cast<std::uint16_t>(value);
  }
  // Service names would need /etc/services, which ustack never reads.
  if ((flags & AI_NUMERICSERV) != 0) {
    throw OSError(EAI_NONAME, "'" + std::string(port) + "' is not a number (AI_NUMERICSERV)");
  }
  throw OSError(EAI_SERVICE, "service names are not looked up: '" + std::string(port) + "'");
}

bool family_matches(const IpAddr& a, AddressFamily f) {
  return f == AddressFamily::kUnspec ||
         (a.is_v4() ? f == AddressFamily::kV4 : f == AddressFamily::kV6);
}

std::vector<addrinfo> build(const std::vector<IpAddr>& addrs, std::uint16_t port,
                            const Request& req, std::string canonical) {
  std::vector<addrinfo> out;
  out.reserve(addrs.size() * req.kinds.size());
  for (const IpAddr& a : addrs) {
    for (const Kind& k : req.kinds) {
      out.push_back({a.is_v4() ? AF_INET : AF_INET6, k.type, k.proto, "", sockaddr(a, port)});
    }
  }
  if ((req.flags & AI_CANONNAME) != 0 && !out.empty()) out.front().canonname = std::move(canonical);
  return out;
}

// The answers that need no resolver: the empty host (C's NULL node) and numeric addresses.
std::optional<std::vector<addrinfo>> answer_locally(std::string_view host, std::uint16_t port,
                                                    const Request& req) {
  if (host.empty()) {
    if ((req.flags & AI_CANONNAME) != 0) {
      throw OSError(EAI_BADFLAGS, "AI_CANONNAME needs a host name");
    }
    // glibc's order for a NULL node: the wildcard v4 first, the loopback v6 first.
    const bool passive = (req.flags & AI_PASSIVE) != 0;
    IpAddr v4 = passive ? IpAddr(ustack::Ipv4Addr::any()) : *IpAddr::parse("127.0.0.1");
    IpAddr v6 = passive ? IpAddr(ustack::Ipv6Addr::any()) : *IpAddr::parse("::1");
    std::vector<IpAddr> addrs = passive ? std::vector{v4, v6} : std::vector{v6, v4};
    std::erase_if(addrs, [&](const IpAddr& a) { return !family_matches(a, req.family); });
    return build(addrs, port, req, "");
  }
  if (std::optional<IpAddr> a = IpAddr::parse(host)) {
    // The resolver's word for it (glibc's EAI_ADDRFAMILY is not in ustack's API).
    if (!family_matches(*a, req.family)) throw OSError(EAI_NONAME, "address family mismatch");
    return build({*a}, port, req, std::string(host));
  }
  if ((req.flags & AI_NUMERICHOST) != 0) {
    throw OSError(EAI_NONAME,
                  "'" + std::string(host) + "' is not a numeric address (AI_NUMERICHOST)");
  }
  return std::nullopt;
}

std::vector<addrinfo> resolve(const Network& net, std::string_view host, std::uint16_t port,
                              const Request& req) {
  if (auto local = answer_locally(host, port, req)) return *std::move(local);
  std::optional<ustack::LookupResult> r =
      net.parts().resolver.lookup(net.runtime(), host, req.family);
  // With no deadline the loop only ends early when it is stopped.
  if (!r) throw OSError(EINTR, "the network's loop was stopped");
  if (r->error) throw OSError(*r->error, r->detail);
  std::vector<IpAddr> addrs;
  addrs.reserve(r->addresses.size());
  for (const ustack::ResolvedAddress& a : r->addresses) addrs.push_back(a.addr);
  std::string canonical = r->canonical.is_root() ? std::string(host) : r->canonical.to_string();
  if (canonical.size() > 1 && canonical.back() == '.') canonical.pop_back();  // as glibc
  return build(addrs, port, req, std::move(canonical));
}

// A numeric or empty host needs no network: usocket::getaddrinfo("127.0.0.1", 80) works
// before any Network exists, as on MicroPython.
std::vector<addrinfo> on_default(std::string_view host, std::uint16_t port, const Request& req) {
  if (auto local = answer_locally(host, port, req)) return *std::move(local);
  return resolve(default_network(), host, port, req);
}

}  // namespace

std::vector<addrinfo> getaddrinfo(std::string_view host, int port, int af, int type, int proto,
                                  int flags) {
  Request req = check_args(af, type, proto, flags);
  return on_default(host, check_port(port), req);
}

std::vector<addrinfo> getaddrinfo(std::string_view host, std::string_view port, int af, int type,
                                  int proto, int flags) {
  Request req = check_args(af, type, proto, flags);
  return on_default(host, parse_port(port, flags), req);
}

std::vector<addrinfo> getaddrinfo(const Network& net, std::string_view host, int port, int af,
                                  int type, int proto, int flags) {
  Request req = check_args(af, type, proto, flags);
  return resolve(net, host, check_port(port), req);
}

std::vector<addrinfo> getaddrinfo(const Network& net, std::string_view host, std::string_view port,
                                  int af, int type, int proto, int flags) {
  Request req = check_args(af, type, proto, flags);
  return resolve(net, host, parse_port(port, flags), req);
}

std::string to_string(const addrinfo& ai) {
  std::string cn;
  for (char c : ai.canonname) {
    if (c == '\'' || c == '\\') cn += '\\';
    cn += c;
  }
  return "(" + std::to_string(ai.family) + ", " + std::to_string(ai.type) + ", " +
         std::to_string(ai.proto) + ", '" + cn + "', " + ai.addr.to_tuple_string() + ")";
}

}  // namespace usocket
