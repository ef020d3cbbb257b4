// `ustack resolve`: names to addresses with ustack's own stub resolver (stack/dns), over the
// stack's UDP and TCP on a TUN/TAP device, like `getent ahosts` with dig's detail:
//
//   ustack resolve --tun ust1 --netns demo --addr 198.18.1.2/24 --nameserver 198.18.1.1 \
//                  www.ustack.test                              (one command line)
//   www.ustack.test. CNAME web.ustack.test.
//   web.ustack.test. 300 A 198.18.0.80
//   web.ustack.test. 300 AAAA fd00:1::80
//   ;; www.ustack.test: 2 addresses from 198.18.1.1 over udp
//
// Per name: one line per CNAME link, one line per address in RFC 6724 order
// (CANONICAL TTL TYPE ADDR; TTL is how long the answer may be cached: the smallest TTL along
// the CNAME chain and the address RRset, which is what the cache keeps; dig shows each record's
// own), then a summary: "from SERVER over udp" (SERVER
// written as --nameserver takes it: 198.18.1.1, 198.18.1.1:5353, [fd00:1::1]:5353), "... over tcp",
// "... over tcp after truncation", "from cache", "from hosts file" or "numeric". A failure is
// one line on stderr, "ustack resolve: NAME: EAI_NONAME (-2): Name or service not known
// (NXDOMAIN from ...)", and exit code 1. Every name is looked up at once; a name given twice
// is looked up once. The host's /etc/resolv.conf and /etc/hosts are never read unless passed
// with --resolv-conf / --hosts.
#include <cstdio>
#include <map>
#include <memory>

#include "stack/dns/resolver.h"
#include "tools/device_options.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"
#include "tun/runtime.h"

namespace ustack::tools {
namespace {

struct ResolveOptions {
  DeviceOptions device;
  std::string type = "ANY";
  bool tcp = false;
  bool stats = false;
  std::vector<std::string> names;
};

std::string summary(const LookupResult& r, bool force_tcp) {
  const std::size_t n = r.addresses.size();
  std::string s =
      ";; " + r.query_name + ": " + std::to_string(n) + (n == 1 ? " address " : " addresses ");
  switch (r.source) {
    case AnswerSource::kNumeric:
      return s + "numeric";
    case AnswerSource::kHosts:
      return s + "from hosts file";
    case AnswerSource::kCache:
      return s + "from cache";
    case AnswerSource::kUdp:
    case AnswerSource::kTcp:
      break;
  }
  s += "from ";
  // The --nameserver syntax (port only when not 53), as in the failure details.
  if (r.server) s += r.server->to_string();
  if (r.source == AnswerSource::kUdp) return s + " over udp";
  return s + (force_tcp ? " over tcp" : " over tcp after truncation");
}

void print_result(const LookupResult& r, bool force_tcp) {
  // cname_chain holds each alias in order; each points at the next, the last at the canonical.
  for (std::size_t i = 0; i < r.cname_chain.size(); ++i) {
    const DnsName& target = i + 1 < r.cname_chain.size() ? r.cname_chain[i + 1] : r.canonical;
    std::printf("%s CNAME %s\n", r.cname_chain[i].to_string().c_str(), target.to_string().c_str());
  }
  // A numeric answer has no DNS name: it stands for itself.
  const std::string owner = r.canonical.is_root() ? r.query_name : r.canonical.to_string();
  for (const ResolvedAddress& a : r.addresses) {
    std::printf("%s %u %s %s\n", owner.c_str(), unsigned{a.ttl}, a.addr.is_v4() ? "A" : "AAAA",
                a.addr.to_string().c_str());
  }
  std::printf("%s\n", summary(r, force_tcp).c_str());
}

int resolve(DeviceSession& s, const ResolveOptions& opts, AddressFamily family) {
  Resolver& resolver = s.resolver();
  tun::AsioRuntime& rt = s.runtime();
  // Every distinct name at once; the results are printed in the order given.
  std::map<std::string, LookupId> ids;
  std::map<std::string, std::optional<LookupResult>> results;
  for (const std::string& name : opts.names) {
    if (!ids.contains(name)) ids[name] = resolver.start(rt.now(), name, family);
  }
  rt.wake();
  rt.run_until(
      [&] {
        for (const auto& [name, id] : ids) {
          if (!resolver.done(id)) return false;
        }
        return true;
      },
      Instant::never());
  if (rt.stopped()) return rt.stopped_exit_code();
  for (const auto& [name, id] : ids) results[name] = resolver.take_result(id);
  int rc = 0;
  const bool force_tcp = resolver.config().force_tcp;
  for (const std::string& name : opts.names) {
    const std::optional<LookupResult>& r = results[name];
    if (!r || r->error) {
      std::fprintf(stderr, "ustack resolve: %s: %s\n", name.c_str(),
                   r ? lookup_error_text(*r).c_str() : "no result");
      rc = 1;
      continue;
    }
    print_result(*r, force_tcp);
  }
  std::fflush(stdout);
  if (opts.stats) s.print_counters("resolve", "at exit");
  return rc;
}

int run_resolve(const ResolveOptions& opts) {
  AddressFamily family;
  if (opts.type == "A" || opts.type == "a") {
    family = AddressFamily::kV4;
  } else if (opts.type == "AAAA" || opts.type == "aaaa") {
    family = AddressFamily::kV6;
  } else if (opts.type == "ANY" || opts.type == "any") {
    family = AddressFamily::kUnspec;
  } else {
    return usage_error("--type " + opts.type + ": want A, AAAA or ANY");
  }
  TransportConfig transports;
  transports.dns_force_tcp = opts.tcp;
  return run_with_device(
      "resolve", opts.device, transports,
      [&](DeviceSession& s) { return resolve(s, opts, family); }, stderr);
}

Subcommand resolve_cmd(
    "resolve", "look names up with ustack's own DNS resolver (A/AAAA, CNAMEs, TCP fallback)",
    [](CLI::App& app) {
      auto opts = std::make_shared<ResolveOptions>();
      add_device_options(app, opts->device);
      add_resolver_options(app, opts->device);
      app.add_option("--type", opts->type,
                     "A (IPv4), AAAA (IPv6) or ANY (both, like getaddrinfo AF_UNSPEC; default)")
          ->type_name("A|AAAA|ANY");
      app.add_flag("--tcp", opts->tcp, "ask over TCP only (resolv.conf options use-vc)");
      app.add_flag("--stats", opts->stats, "print the counters (resolver, UDP, ...) at the end");
      app.add_option("names", opts->names, "names (or numeric addresses) to look up")
          ->required()
          ->type_name("NAME");
      app.footer(
          "Output per name: CNAME links, then 'CANONICAL TTL TYPE ADDR' in RFC 6724 order, then\n"
          "';; NAME: N addresses from SERVER[:PORT] over udp|tcp|tcp after truncation' (or from\n"
          "cache, from hosts file, numeric). A failure is one line on stderr naming the EAI\n"
          "code; exit 1 if any name failed. ustack never reads /etc/resolv.conf or /etc/hosts\n"
          "unless given with --resolv-conf / --hosts.\n\nExample:\n"
          "  ustack resolve --tun ust1 --netns demo --addr 198.18.1.2/24 --nameserver "
          "198.18.1.1 www.ustack.test");
      return [opts] { return run_resolve(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
