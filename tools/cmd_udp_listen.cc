// `ustack udp listen`: binds PORT on every address (a socket per family), joins the --join
// groups, and prints one line per datagram:
//
//   from 198.18.0.1:40000, 6 bytes: hello
//   from [fd00:1::1]:40001, 3 bytes: 00ff10            (--hex, or not printable: no payload)
//
// Datagrams are read once per loop iteration, so a burst larger than --rcvbuf overflows the
// socket's queue as it would in the kernel (counted as drops.udp_rcvbuf_full).
#include <cstdio>

#include "stack/stack.h"
#include "tools/cmd_udp.h"
#include "tools/services/tcp_cli.h"
#include "tools/usage_error.h"
#include "tun/runtime.h"

namespace ustack::tools {
namespace {

constexpr std::size_t kShownBytes = 1024;

bool printable(Bytes b) {
  for (std::uint8_t c : b) {
    if ((c < 0x20 || c > 0x7e) && c != '\t') return false;
  }
  return true;
}

// ": hello" (a final "\n" or "\r\n" dropped), ": 68656c6c6f" with --hex, "" if not printable.
std::string payload_text(Bytes p, bool hex) {
  std::string out;
  if (!hex) {
    if (!p.empty() && p.back() == '\n') p = p.first(p.size() - 1);
    if (!p.empty() && p.back() == '\r') p = p.first(p.size() - 1);
    if (p.empty() || !printable(p)) return out;
  }
  Bytes shown = p.first(std::min(p.size(), kShownBytes));
  out = ": ";
  for (std::uint8_t c : shown) {
    if (hex) {
      static constexpr char kDigits[] = "0123456789abcdef";
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown.size() < p.size()) out += "...";
  return out;
}

struct Listener {
  std::vector<SocketHandle> sockets;
  std::uint64_t received = 0;
};

// A socket bound to the any address of `family` on `port`, in the groups of its family.
std::optional<std::string> open_socket(DeviceSession& s, Listener& l, IpVersion family,
                                       std::uint16_t port, const UdpSocketOptions& sockopts,
                                       const std::vector<IpAddr>& groups) {
  UdpLayer& udp = s.udp();
  SocketHandle h = udp.open(family);
  l.sockets.push_back(h);
  if (auto e = udp.set_options(h, sockopts)) return services::udp_error_text(*e);
  IpAddr any = family == IpVersion::kV4 ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any());
  if (auto e = udp.bind(h, any, port, s.stack())) {
    return "port " + std::to_string(port) + ": " + services::udp_error_text(*e);
  }
  for (const IpAddr& g : groups) {
    if (g.version() != family) continue;
    if (auto e = udp.join_group(s.runtime().now(), h, g, s.stack())) {
      return "--join " + g.to_string() + ": " + services::udp_error_text(*e);
    }
  }
  return std::nullopt;
}

int listen(DeviceSession& s, const UdpListenOptions& opts, const UdpSocketOptions& sockopts,
           const std::vector<IpAddr>& groups) {
  const auto port = static_cast<std::uint16_t>(opts.port);
  std::vector<IpVersion> families = s.families();
  for (const IpAddr& g : groups) {
    if (std::find(families.begin(), families.end(), g.version()) == families.end()) {
      return udp_fail(
          "--join " + g.to_string(),
          std::string("no ") + (g.is_v4() ? "IPv4" : "IPv6") + " --addr to receive the group on",
          2);
    }
  }
  Listener l;
  for (IpVersion family : families) {
    if (auto e = open_socket(s, l, family, port, sockopts, groups)) return udp_fail("listen", *e);
  }
  tun::AsioRuntime& rt = s.runtime();
  ByteVec buf(65536);
  rt.on_iteration([&](Instant) {
    for (SocketHandle h : l.sockets) {
      for (;;) {
        if (opts.count && l.received >= static_cast<std::uint64_t>(*opts.count)) {
          rt.stop();
          return;
        }
        auto r = s.udp().recv_from(h, buf);
        if (!r.ok()) break;  // would block (an unconnected socket gets no ICMP errors)
        ++l.received;
        std::printf("from %s, %zu bytes%s\n",
                    services::endpoint_text(r->from.addr, r->from.port).c_str(), r->full_size,
                    payload_text(Bytes(buf).first(r->size), opts.hex).c_str());
      }
    }
    std::fflush(stdout);
    if (opts.count && l.received >= static_cast<std::uint64_t>(*opts.count)) rt.stop();
  });
  rt.wake();
  std::string joined;
  for (const IpAddr& g : groups) joined += " " + g.to_string();
  std::printf("ustack udp listen: ready: %s; listening on udp port %u%s%s\n", s.describe().c_str(),
              unsigned{port}, joined.empty() ? "" : ", joined", joined.c_str());
  return s.run_until_stopped("udp listen");
}

}  // namespace

int run_udp_listen(const UdpListenOptions& opts) {
  if (int rc = check_port("port", opts.port)) return rc;
  if (opts.count && *opts.count < 1) {
    return usage_error("--count " + std::to_string(*opts.count) + ": want at least 1");
  }
  std::vector<IpAddr> groups;
  for (const std::string& text : opts.joins) {
    std::optional<IpAddr> g = IpAddr::parse(text);
    if (!g || !g->is_multicast()) {
      return usage_error("--join " + text +
                         ": not a multicast group address (224.0.0.0/4, ff00::/8)");
    }
    groups.push_back(*g);
  }
  services::UdpSetupResult sock = services::parse_udp_options(opts.udp);
  if (!sock.options) return usage_error(sock.error);
  // With --queues N its socket lives on shard 0 alone: a datagram the kernel steers to another
  // queue is handed to shard 0 (tun/shard_router.h, the port is held there).
  return run_with_device("udp", opts.device,
                         [&](DeviceSession& s) { return listen(s, opts, *sock.options, groups); });
}

}  // namespace ustack::tools
