// usocket::getaddrinfo: the spec's usocket.getaddrinfo(host, port, af=0, type=0, proto=0,
// flags=0), answered by ustack's own DNS resolver (stack/dns/resolver.h) over the network's
// UDP and TCP; never the host's resolver.
//
//   auto [family, type, proto, canonname, addr] = usocket::getaddrinfo("www.ustack.test", 80)[0];
//   usocket::socket s(family, type, proto);
//   s.connect(addr);
//
// Semantics are glibc's (what CPython's socket.getaddrinfo shows on Linux):
//  - af 0 (AF_UNSPEC) asks for both families, AF_INET / AF_INET6 for one; any other af is
//    OSError(EAI_FAMILY, -6);
//  - type 0 gives one entry per address per type, SOCK_STREAM then SOCK_DGRAM, with proto
//    filled in (IPPROTO_TCP, IPPROTO_UDP); a type restricts to it. glibc's third entry,
//    SOCK_RAW, is left out (ustack has no raw sockets): SOCK_RAW and any other type are
//    OSError(EAI_SOCKTYPE, -7). proto 0 goes with any type; a proto that disagrees with the
//    type is EAI_SOCKTYPE, a proto other than TCP/UDP with type 0 is EAI_SERVICE (-8), as glibc;
//  - flags: AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV and AI_ADDRCONFIG (taken
//    and ignored: every ustack network is configured by its own --addr). AI_V4MAPPED, AI_ALL
//    and unknown bits are OSError(EAI_BADFLAGS, -1);
//  - a numeric host (dotted quad, RFC 4291 text) is its own answer, without a network;
//    one of the other family than af asks for is EAI_NONAME (the resolver's choice; glibc
//    says EAI_ADDRFAMILY);
//  - the empty host stands for C's NULL node (usocket has no None): the wildcard 0.0.0.0 and
//    :: with AI_PASSIVE, else the loopback ::1 and 127.0.0.1, in glibc's order. CPython
//    passes "" on to glibc, which says EAI_NONAME; AI_CANONNAME with "" is EAI_BADFLAGS;
//  - names go to the resolver (hosts table, localhost, cache, DNS); the call blocks, running
//    the network's loop until the resolver answers (it has its own overall deadline, so no
//    timeout here). The addresses come in the resolver's RFC 6724 order;
//  - with AI_CANONNAME, the first entry's canonname is the canonical name (CNAMEs followed,
//    no trailing dot; the numeric text for a numeric host), the others' "" (as glibc);
//  - lookup failures are OSError with the negative EAI code and the resolver's detail:
//    "[Errno -2] Name or service not known: NXDOMAIN from 198.18.0.1"; a stopped runtime is
//    OSError(EINTR) (the lookup is cancelled).
// Ports: the int form must be 0-65535 (CPython hands 70000 to glibc, which truncates it to
// 4464, and -1 is EAI_SERVICE): outside is OSError(EAI_SERVICE) "port must be 0-65535". The
// string form takes decimal digits ("" is port 0, as a NULL service); service names ("http")
// are not looked up: EAI_SERVICE, or EAI_NONAME with AI_NUMERICSERV, as glibc.
#pragma once

#include <netdb.h>       // AI_*, EAI_*: the system's names, never redeclared
#include <netinet/in.h>  // IPPROTO_TCP, IPPROTO_UDP
#include <sys/socket.h>  // AF_*, SOCK_*

#include <string>
#include <string_view>
#include <vector>

#include "sockapi/network.h"
#include "sockapi/sockaddr.h"

namespace usocket {

// The spec's 5-tuple (family, type, proto, canonname, sockaddr); an aggregate so that
// `auto [f, t, p, cn, sa] = ai[0];` works.
struct addrinfo {
  int family;             // AF_INET / AF_INET6, always addr's family
  int type;               // SOCK_STREAM / SOCK_DGRAM
  int proto;              // IPPROTO_TCP / IPPROTO_UDP
  std::string canonname;  // "" unless AI_CANONNAME (and then on the first entry only)
  sockaddr addr;

  bool operator==(const addrinfo&) const = default;
};

// On the default network (default_network(); a numeric or empty host needs none).
std::vector<addrinfo> getaddrinfo(std::string_view host, int port, int af = 0, int type = 0,
                                  int proto = 0, int flags = 0);
std::vector<addrinfo> getaddrinfo(std::string_view host, std::string_view port, int af = 0,
                                  int type = 0, int proto = 0, int flags = 0);

std::vector<addrinfo> getaddrinfo(const Network& net, std::string_view host, int port, int af = 0,
                                  int type = 0, int proto = 0, int flags = 0);
std::vector<addrinfo> getaddrinfo(const Network& net, std::string_view host, std::string_view port,
                                  int af = 0, int type = 0, int proto = 0, int flags = 0);

// Python's repr of one 5-tuple: "(2, 1, 6, '', ('198.18.0.1', 80))".
std::string to_string(const addrinfo& ai);

}  // namespace usocket
