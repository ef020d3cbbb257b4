// Parsing and checking of the shared device options (no system calls but reading the
// resolver's files: unit-tested).
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>

#include "tools/device_options.h"

namespace ustack::tools {
namespace {

constexpr std::size_t kIpv6MinMtu = 1280;  // RFC 8200 §5

bool valid_ifname(const std::string& n) {
  if (n.empty() || n.size() > 15 || n == "." || n == "..") return false;
  for (char c : n) {
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

// True for what reads as a host name rather than a mistyped address ("gw.test", "router"):
// letters, digits, dots, dashes and underscores, with a letter among them and no ':'.
bool looks_like_name(std::string_view t) {
  bool letter = false;
  for (char c : t) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '_') return false;
    letter = letter || alpha;
  }
  return letter;
}

// The addresses that set the device and the resolver up (--addr, --peer, --gw, --nameserver)
// are numeric: they are configured before the stack, and its resolver, run. The error for a
// name given there, or "".
std::string name_not_address(const std::string& flag, std::string_view name,
                             std::string_view text) {
  if (!looks_like_name(name)) return "";
  return flag + " takes an address, not a name: '" + std::string(text) + "'";
}

// "198.18.0.2/24" with a message that says which part is wrong.
std::optional<IpCidr> parse_cidr(const std::string& flag, const std::string& text,
                                 std::string& error) {
  const auto example = " (want ADDRESS/PREFIX, e.g. 198.18.0.2/24 or fd00:1::2/64)";
  auto slash = text.find('/');
  if (slash == std::string::npos) {
    if (error = name_not_address(flag, text, text); !error.empty()) return std::nullopt;
    error = flag + " " + text + " has no prefix length" + example;
    return std::nullopt;
  }
  auto addr = IpAddr::parse(std::string_view(text).substr(0, slash));
  if (!addr) {
    if (error = name_not_address(flag, std::string_view(text).substr(0, slash), text);
        !error.empty()) {
      return std::nullopt;
    }
    error = "bad address '" + text.substr(0, slash) + "' in " + flag + " " + text + example;
    return std::nullopt;
  }
  const std::string_view p = std::string_view(text).substr(slash + 1);
  unsigned prefix = 0;
  const unsigned max_prefix = addr->is_v4() ? 32 : 128;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix > max_prefix) {
    error = flag + " " + text + ": prefix length '" + std::string(p) + "' out of range (0.." +
            std::to_string(max_prefix) + " for " + (addr->is_v4() ? "IPv4" : "IPv6") + ")";
    return std::nullopt;
  }
  if (addr->is_unspecified() || addr->is_multicast() ||
      (addr->is_v4() && addr->v4().is_broadcast())) {
    error = flag + " " + text + ": not a unicast address";
    return std::nullopt;
  }
  return IpCidr{*addr, static_cast<std::uint8_t>(prefix)};
}

ValidationResult fail(std::string message) { return {std::nullopt, std::move(message)}; }

// Why an address given as ours or the kernel's is probably a typo, or "" (the kernel itself
// refuses none of these, so they are warnings, not errors): the subnet's own address or its
// IPv4 broadcast address as a host address (RFC 919, RFC 4291 §2.6.1 subnet-router anycast).
std::string suspicious_host(const IpCidr& c) {
  if (c.prefix_len >= (c.addr.is_v4() ? 31 : 127)) return "";
  if (c.addr == c.network()) return "is the subnet's own address, not a host's";
  if (std::optional<Ipv4Addr> b = c.broadcast_v4(); b && IpAddr(*b) == c.addr) {
    return "is the subnet's broadcast address, not a host's";
  }
  return "";
}

// --pcap FILE with its --snaplen and --pcap-size. The empty string, or what is wrong.
std::string pcap_setup(const DeviceOptions& o, DeviceSetup& s) {
  PcapLimits limits;
  std::string e = parse_pcap_limits("--pcap", !o.pcap.empty(), o.snaplen, o.pcap_size, limits);
  s.pcap = o.pcap;
  s.events = o.events;
  s.pcap_snaplen = limits.snaplen;
  s.pcap_rotate_bytes = limits.rotate_bytes;
  return e;
}

// The whole file, or the error ("--hosts /x: cannot read: No such file or directory").
std::optional<std::string> read_file(const std::string& flag, const std::string& path,
                                     std::string& error) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    error = flag + " " + path + ": cannot read: " + (errno ? std::strerror(errno) : "I/O error");
    return std::nullopt;
  }
  return text.str();
}

// The subnet's first address (198.18.0.1 for 198.18.0.2/24); none for a /31, /32, /127, /128.
std::optional<IpAddr> first_host(const IpCidr& c) {
  if (c.prefix_len >= (c.addr.is_v4() ? 31 : 127)) return std::nullopt;
  IpAddr net = c.network();
  std::array<std::uint8_t, 16> b{};
  std::copy(net.bytes().begin(), net.bytes().end(), b.begin());
  ++b[net.bytes().size() - 1];  // the host bits are zero: no carry
  return net.is_v4() ? IpAddr(Ipv4Addr::from_bytes(b)) : IpAddr(Ipv6Addr::from_bytes(b));
}

// With no nameserver given: the gateways, else the kernel side's addresses, else the first
// address of each of our subnets (not one of ours) — where the usual setup has the kernel.
std::vector<NameServer> default_nameservers(const DeviceSetup& s) {
  std::vector<NameServer> out;
  auto add = [&out](const IpAddr& a) {
    if (out.size() < ResolverConfig::kMaxNameServers) out.push_back(NameServer{a, 53});
  };
  if (!s.gateways.empty()) {
    for (const IpAddr& gw : s.gateways) add(gw);
  } else if (!s.peers.empty()) {
    for (const IpCidr& p : s.peers) add(p.addr);
  } else {
    for (const IpCidr& a : s.addrs) {
      std::optional<IpAddr> first = first_host(a);
      if (!first) continue;
      bool ours = false;
      for (const IpCidr& b : s.addrs) ours = ours || b.addr == *first;
      if (!ours) add(*first);
    }
  }
  return out;
}

// --resolv-conf, --hosts and --nameserver into s.resolver and s.hosts; an error message or "".
std::string resolver_setup(const DeviceOptions& o, DeviceSetup& s) {
  std::string error;
  if (!o.resolv_conf.empty()) {
    auto text = read_file("--resolv-conf", o.resolv_conf, error);
    if (!text) return error;
    ResolvConfParse p = parse_resolv_conf(*text);
    s.resolver = p.config;
    for (const auto& w : p.warnings)
      s.warnings.push_back("--resolv-conf " + o.resolv_conf + ": " + w);
  }
  if (!o.hosts.empty()) {
    auto text = read_file("--hosts", o.hosts, error);
    if (!text) return error;
    HostsParse p = HostsTable::parse(*text);
    s.hosts = std::move(p.table);
    for (const auto& w : p.warnings) s.warnings.push_back("--hosts " + o.hosts + ": " + w);
  }
  if (!o.nameservers.empty()) {
    s.resolver.nameservers.clear();
    for (const auto& text : o.nameservers) {
      std::optional<NameServer> ns = NameServer::parse(text);
      if (std::string e = name_not_address("--nameserver", text, text); !ns && !e.empty()) {
        return e;
      }
      if (!ns || ns->addr.is_unspecified() || ns->addr.is_multicast() || ns->port == 0) {
        return "bad --nameserver '" + text +
               "' (want ADDR or ADDR:PORT, e.g. 198.18.0.1, 198.18.0.1:5353, fd00:1::1, "
               "[fd00:1::1]:5353)";
      }
      if (s.resolver.nameservers.size() == ResolverConfig::kMaxNameServers) {
        return "more than 3 --nameserver (glibc's MAXNS)";
      }
      s.resolver.nameservers.push_back(*ns);
    }
  }
  if (s.resolver.nameservers.empty()) s.resolver.nameservers = default_nameservers(s);
  return "";
}

// --impair, --impair-in, --impair-out into s.impair_in / s.impair_out; an error message or "".
std::string impair_setup(const DeviceOptions& o, DeviceSetup& s) {
  auto parse = [](const char* flag, const std::string& text, ImpairSpec& out) -> std::string {
    if (text.empty()) return "";
    ImpairSpecParse p = ImpairSpec::parse(text);
    if (!p.spec) return std::string(flag) + ": " + p.error;
    out = *p.spec;
    return "";
  };
  ImpairSpec both;
  if (std::string e = parse("--impair", o.impair, both); !e.empty()) return e;
  s.impair_in = s.impair_out = both;
  if (std::string e = parse("--impair-in", o.impair_in, s.impair_in); !e.empty()) return e;
  return parse("--impair-out", o.impair_out, s.impair_out);
}

// --tcp-rmem / --tcp-wmem "MIN,DEF,MAX" (commas or spaces, as sysctl prints them), in bytes:
// 2048 (the SO_RCVBUF floor) up to 1 GiB (the largest window scale 14 advertises), in order.
std::string buffer_sysctl_setup(const char* flag, const std::string& text,
                                std::optional<TcpBufferSysctl>& out, TcpBufferSysctl def) {
  out = def;
  if (text.empty()) return "";
  std::string what = std::string(flag) + " " + text;
  std::vector<std::size_t> v;
  bool numbers = true;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t cut = std::min(rest.find(','), rest.find(' '));
    std::string_view token = rest.substr(0, cut);
    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
    if (token.empty()) continue;
    std::size_t n = 0;
    auto [next, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
    numbers = numbers && ec == std::errc() && next == token.data() + token.size();
    v.push_back(n);
  }
  if (!numbers || v.size() != 3) {
    return what + ": give three sizes in bytes, MIN,DEF,MAX (default: " + std::to_string(def.min) +
           "," + std::to_string(def.def) + "," + std::to_string(def.max) + ")";
  }
  constexpr std::size_t kMin = 2048, kMax = std::size_t{1} << 30;
  if (v[0] < kMin || v[2] > kMax) {
    return what + ": sizes out of range (" + std::to_string(kMin) + ".." + std::to_string(kMax) +
           " bytes)";
  }
  if (v[0] > v[1] || v[1] > v[2]) return what + ": needs MIN <= DEF <= MAX";
  out = TcpBufferSysctl{v[0], v[1], v[2]};
  return "";
}

}  // namespace

void add_device_options(CLI::App& app, DeviceOptions& o) {
  app.add_option("--tun", o.tun, "TUN device (IP packets): attach to it, or create it if missing")
      ->type_name("DEV");
  app.add_option("--tap", o.tap, "TAP device (Ethernet frames): attach, or create if missing")
      ->type_name("DEV");
  app.add_option("--netns", o.netns,
                 "run the device inside this network namespace (created if missing, and then "
                 "deleted at exit)")
      ->type_name("NAME");
  app.add_flag("--no-create", o.no_create,
               "the namespace and the device must already exist (create neither)");
  // Repeatable flags take one value each (--addr A --addr B), so that a subcommand's
  // positional arguments after them (serve's SERVICE:PORT, connect's HOST PORT) stay positional.
  app.add_option("--addr", o.addrs, "our address with prefix, repeatable (198.18.0.2/24)")
      ->type_name("CIDR")
      ->allow_extra_args(false);
  app.add_option("--peer", o.peers,
                 "the kernel side's address to put on the device, repeatable (198.18.0.1/24)")
      ->type_name("CIDR")
      ->allow_extra_args(false);
  app.add_option("--gw", o.gateways, "default gateway, one per address family")
      ->type_name("ADDR")
      ->allow_extra_args(false);
  app.add_option("--mtu", o.mtu, "device MTU (68..65535; default: the device's)")->type_name("N");
  app.add_option("--txqueuelen", o.txqueuelen,
                 "packets the kernel may queue on the device for ustack to read before it drops "
                 "(1..1000000; default: 4096 on a device ustack creates, the kernel's 500 being "
                 "fewer than the windows of a few TCP streams; an existing device keeps its own)")
      ->type_name("N");
  auto* offload = app.add_flag(
      "--offload", o.offload,
      "IFF_VNET_HDR offloads with the kernel: checksums and TCP segmentation (64 KiB "
      "super-packets) both ways, as far as the kernel accepts them (the default, except with "
      "--impair)");
  app.add_flag("--no-offload", o.no_offload,
               "plain TUN/TAP: one MTU-sized packet per read and write, every checksum computed")
      ->excludes(offload);
  app.add_flag("--no-uso", o.no_uso,
               "with offloads, send every UDP datagram alone even where the kernel takes UDP "
               "super-packets (USO)");
  app.add_flag("--no-ack-coalescing", o.no_ack_coalescing,
               "answer every TCP segment at once instead of once per batch of received "
               "packets (for comparison)");
  app.add_option("--tcp-rmem", o.tcp_rmem,
                 "TCP receive buffers like net.ipv4.tcp_rmem: each starts at DEF bytes and grows "
                 "with what the application reads per round trip up to MAX (default "
                 "4096,131072,2097152: Linux's with a 2 MiB ceiling; DEF = MAX: fixed; "
                 "SO_RCVBUF fixes a socket's)")
      ->type_name("MIN,DEF,MAX");
  app.add_option("--tcp-wmem", o.tcp_wmem,
                 "TCP send buffers like net.ipv4.tcp_wmem: each starts at DEF bytes and grows "
                 "with the congestion window up to MAX (default 4096,16384,524288: Linux's with a "
                 "512 KiB ceiling; DEF = MAX: fixed; SO_SNDBUF fixes a socket's)")
      ->type_name("MIN,DEF,MAX");
  app.add_option("--busy-poll", o.busy_poll_us,
                 "after work, poll the device and sockets without sleeping for up to USEC "
                 "microseconds before waiting (like net.core.busy_poll: lower latency for "
                 "request/response, a core busy while traffic flows; 0: off, the default)")
      ->type_name("USEC");
  app.add_option("--queues", o.queues,
                 "open the device N times with IFF_MULTI_QUEUE and run N stack shards, one per "
                 "thread and core, each with the same addresses and listeners; the kernel "
                 "steers each flow to one queue (1..64, default 1)")
      ->type_name("N");
  app.add_option("--pcap", o.pcap, "record every packet the stack sends and receives")
      ->type_name("FILE");
  add_pcap_limit_options(app, o.snaplen, o.pcap_size, "--pcap");
  app.add_option("--events", o.events,
                 "write the stack's events as JSON lines (docs/events.md; - for stdout)")
      ->type_name("FILE");
  app.add_option("--impair", o.impair,
                 "impair both directions, netem-style: delay=20ms,jitter=2ms,rate=100mbit,"
                 "queue=64k,loss=1%,burst=gilbert:p=0.01:r=0.3,reorder=2%:5ms,dup=0.1%,"
                 "corrupt=0.01%,seed=7 (any subset)")
      ->type_name("SPEC");
  app.add_option("--impair-in", o.impair_in,
                 "impair only packets the stack receives (replaces --impair for them)")
      ->type_name("SPEC");
  app.add_option("--impair-out", o.impair_out,
                 "impair only packets the stack sends (replaces --impair for them)")
      ->type_name("SPEC");
  app.add_option("--seed", o.seed, "seed for all randomness (default: random, printed)")
      ->type_name("N")
      ->each([&o](const std::string& text) { o.seed_text = text; });
}

void add_resolver_options(CLI::App& app, DeviceOptions& o) {
  // ustack never reads the host's /etc/resolv.conf or /etc/hosts unless they are passed here.
  app.add_option("--nameserver", o.nameservers,
                 "DNS server for names, repeatable, up to 3: ADDR or ADDR:PORT (198.18.0.1, "
                 "198.18.0.1:5353, [fd00:1::1]:5353); replaces --resolv-conf's. Default: the "
                 "--gw, else the --peer addresses, else the first address of each --addr subnet")
      ->type_name("ADDR[:PORT]")
      ->allow_extra_args(false);
  app.add_option("--resolv-conf", o.resolv_conf,
                 "resolver settings in resolv.conf(5) format (nameserver, search, options). "
                 "The host's /etc/resolv.conf is never read unless given here")
      ->type_name("FILE");
  app.add_option("--hosts", o.hosts,
                 "static names in hosts(5) format, asked before DNS. /etc/hosts is never read "
                 "unless given here")
      ->type_name("FILE");
}

ValidationResult validate_device_options(const DeviceOptions& o) {
  DeviceSetup s;
  if (o.tun.empty() == o.tap.empty()) {
    return fail(o.tun.empty() ? "give a device: --tun DEV or --tap DEV"
                              : "--tun and --tap cannot be used together");
  }
  s.device.mode = o.tun.empty() ? tun::TunMode::kTap : tun::TunMode::kTun;
  s.device.name = o.tun.empty() ? o.tap : o.tun;
  if (!valid_ifname(s.device.name)) {
    return fail("bad device name '" + s.device.name +
                "' (1..15 characters, no '/', ':' or spaces)");
  }
  s.device.netns = o.netns;
  if (!o.netns.empty() && (o.netns.find('/') != std::string::npos || o.netns == "." ||
                           o.netns == ".." || o.netns.size() > 200)) {
    return fail("bad network namespace name '" + o.netns + "'");
  }
  s.device.must_exist = o.no_create;
  s.create_netns = !o.no_create;

  std::string error;
  for (const auto& text : o.addrs) {
    auto c = parse_cidr("--addr", text, error);
    if (!c) return fail(error);
    bool repeated = false;
    for (const auto& a : s.addrs) repeated = repeated || a.addr == c->addr;
    if (repeated) {
      s.warnings.push_back("--addr " + text + " given twice; the repeat is ignored");
      continue;
    }
    if (std::string why = suspicious_host(*c); !why.empty()) {
      s.warnings.push_back("--addr " + text + " " + why);
    }
    s.addrs.push_back(*c);
  }
  if (s.addrs.empty()) return fail("give at least one --addr (e.g. --addr 198.18.0.2/24)");
  for (const auto& text : o.peers) {
    auto c = parse_cidr("--peer", text, error);
    if (!c) return fail(error);
    for (const auto& a : s.addrs) {
      if (a.addr == c->addr) return fail("--peer " + text + " is our own --addr; pick another");
    }
    bool on_link = false;
    for (const auto& a : s.addrs) on_link = on_link || a.contains(c->addr);
    if (!on_link) {
      s.warnings.push_back("--peer " + text +
                           " is outside every --addr subnet: ustack has no route to it");
    }
    if (std::string why = suspicious_host(*c); !why.empty()) {
      s.warnings.push_back("--peer " + text + " " + why);
    }
    s.peers.push_back(*c);
  }
  for (const auto& text : o.gateways) {
    auto gw = IpAddr::parse(text);
    if (std::string e = name_not_address("--gw", text, text); !gw && !e.empty()) return fail(e);
    if (!gw || gw->is_unspecified() || gw->is_multicast()) {
      return fail("bad gateway address '" + text + "' for --gw");
    }
    for (const auto& g : s.gateways) {
      if (g.version() == gw->version()) return fail("more than one --gw for the same family");
    }
    bool on_link = gw->is_v6() && gw->v6().is_link_local();
    for (const auto& a : s.addrs) on_link = on_link || a.contains(*gw);
    if (!on_link) return fail("--gw " + text + " is not inside any --addr subnet");
    s.gateways.push_back(*gw);
  }

  if (o.mtu) {
    if (*o.mtu < static_cast<std::int64_t>(tun::kMinMtu) ||
        *o.mtu > static_cast<std::int64_t>(tun::kMaxMtu)) {
      return fail("--mtu " + std::to_string(*o.mtu) + " out of range (" +
                  std::to_string(tun::kMinMtu) + ".." + std::to_string(tun::kMaxMtu) + ")");
    }
    bool has_v6 = false;
    for (const auto& a : s.addrs) has_v6 = has_v6 || a.addr.is_v6();
    if (has_v6 && static_cast<std::size_t>(*o.mtu) < kIpv6MinMtu) {
      return fail("--mtu " + std::to_string(*o.mtu) + " is below IPv6's minimum of 1280 " +
                  "(RFC 8200 §5): raise it or drop the IPv6 --addr");
    }
    s.device.mtu = static_cast<std::size_t>(*o.mtu);
  }
  // The kernel's 500 packets for a TUN hold less than the windows of a few TCP streams at MTU
  // 1500 (each may grow to 2 MiB, kUstackTcpRmem): the kernel drops the rest at the device
  // instead of waiting for us. 4 streams in without offloads moved 0.6-0.8 Gbit/s at 500
  // (40 000 drops in 4 s) and 2.7-3.7 at 4096 (none); tools/bench, 2026-12-07.
  s.device.created_txqueuelen = kCreatedTxQueueLen;
  if (o.txqueuelen) {
    if (*o.txqueuelen < 1 || *o.txqueuelen > kMaxTxQueueLen) {
      return fail("--txqueuelen " + std::to_string(*o.txqueuelen) + " out of range (1.." +
                  std::to_string(kMaxTxQueueLen) + ")");
    }
    s.device.txqueuelen = static_cast<std::size_t>(*o.txqueuelen);
  }
  if (o.queues) {
    if (*o.queues < 1 || *o.queues > static_cast<std::int64_t>(kMaxQueues)) {
      return fail("--queues " + std::to_string(*o.queues) + " out of range (1.." +
                  std::to_string(kMaxQueues) + ")");
    }
    s.queues = static_cast<std::size_t>(*o.queues);
    s.device.multi_queue = s.queues > 1;
    // One events file per shard (FILE.K): N writers would interleave on stdout.
    if (s.queues > 1 && o.events == "-") {
      return fail("--events - cannot be used with --queues " + std::to_string(s.queues) +
                  " (each shard writes FILE.K: give a FILE)");
    }
  }
  if (std::string e = pcap_setup(o, s); !e.empty()) return fail(e);
  if (std::string e = impair_setup(o, s); !e.empty()) return fail(e);
  // The impairment holds packets without their per-packet offload metadata (ImpairedDevice).
  if (o.offload && s.impaired()) return fail("--offload cannot be used with --impair");
  s.device.offload = !o.no_offload && !s.impaired();
  s.device.uso = !o.no_uso;
  s.coalesce_acks = !o.no_ack_coalescing;
  if (std::string e = buffer_sysctl_setup("--tcp-rmem", o.tcp_rmem, s.tcp_rmem, kUstackTcpRmem);
      !e.empty()) {
    return fail(e);
  }
  if (std::string e = buffer_sysctl_setup("--tcp-wmem", o.tcp_wmem, s.tcp_wmem, kUstackTcpWmem);
      !e.empty()) {
    return fail(e);
  }
  if (o.busy_poll_us) {
    if (std::string e = check_busy_poll(*o.busy_poll_us); !e.empty()) return fail(e);
    s.busy_poll = Duration::micros(*o.busy_poll_us);
  }
  if (std::string e = resolver_setup(o, s); !e.empty()) return fail(e);
  if (o.seed) {
    if (!o.seed_text.empty() && o.seed_text[0] == '-') {
      s.warnings.push_back("--seed " + o.seed_text + " is negative: it wraps to " +
                           std::to_string(*o.seed) + " (seeds are 0.." +
                           std::to_string(UINT64_MAX) + ")");
    }
    s.seed = *o.seed;
    s.seed_given = true;
  } else {
    std::random_device rd;
    s.seed = (std::uint64_t{rd()} << 32) | rd();
  }
  return {s, ""};
}

std::string check_busy_poll(std::int64_t us) {
  if (us < 0 || us > kMaxBusyPollUs) {
    return "--busy-poll " + std::to_string(us) + " out of range (0.." +
           std::to_string(kMaxBusyPollUs) + " microseconds)";
  }
  return "";
}

}  // namespace ustack::tools
