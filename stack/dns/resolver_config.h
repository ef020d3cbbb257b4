// Stub resolver configuration: resolv.conf(5) semantics, plus ustack's own knobs.
//
// parse_resolv_conf() reads the text of a resolv.conf the way glibc's res_init does:
//   nameserver ADDR     up to 3 (glibc MAXNS); further ones are ignored with a warning.
//                       ustack extension: an optional port, "198.18.0.1:5353" or
//                       "[fd00::1]:5353", so tests and `ustack serve dns:PORT` can use a high
//                       port. A scoped address ("fe80::1%eth0") is refused with a warning:
//                       ustack has no scope ids.
//   search D1 D2 ...    the search list; `domain D` is a search list of one. As in glibc, the
//                       last search/domain line wins. Every domain is kept (glibc >= 2.26 has
//                       no 6-domain limit).
//   options ndots:N timeout:N attempts:N rotate edns0 use-vc
//                       clamped like glibc: ndots <= 15, timeout <= 30 s, attempts <= 5 (and
//                       timeout, attempts >= 1). `use-vc` is force_tcp. Other glibc options
//                       (single-request, inet6, trust-ad, ...) are accepted and ignored with a
//                       warning; unknown keywords and garbled lines are warnings too.
// Comments start with '#' or ';' (anywhere on the line, as glibc). Never throws.
//
// EDNS0 (RFC 6891) is on by default with a 1232-byte payload (DNS flag day 2020): unlike
// glibc, which sends EDNS only with `options edns0`. The `edns0` option is accepted (it is the
// default); `edns = false` in the struct turns it off.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/time.h"

namespace ustack {

struct NameServer {
  IpAddr addr;
  std::uint16_t port = 53;

  // "198.18.0.1", "198.18.0.1:5353", "fd00::1", "[fd00::1]:5353" (port shown when not 53).
  std::string to_string() const;
  // The forms to_string() writes; nullopt for anything else (a scope id, a bad port).
  static std::optional<NameServer> parse(std::string_view text);
  bool operator==(const NameServer&) const = default;
};

struct ResolverConfig {
  static constexpr std::size_t kMaxNameServers = 3;               // glibc MAXNS
  static constexpr unsigned kMaxNdots = 15;                       // glibc RES_MAXNDOTS
  static constexpr unsigned kMaxAttempts = 5;                     // glibc RES_MAXRETRY
  static constexpr Duration kMaxTimeout = Duration::seconds(30);  // glibc RES_MAXRETRANS
  // The automatic overall deadline never exceeds this (see lookup_deadline()).
  static constexpr Duration kMaxAutoDeadline = Duration::seconds(120);

  std::vector<NameServer> nameservers;
  // Search domains, in order, as text without the trailing dot ("example.test").
  std::vector<std::string> search;
  unsigned ndots = 1;
  Duration timeout = Duration::seconds(5);  // the first round's per-try timeout
  unsigned attempts = 2;                    // rounds over the server list
  bool rotate = false;                      // each query starts at the next server
  bool edns = true;                         // RFC 6891 OPT record in every query
  std::uint16_t edns_payload = 1232;        // advertised UDP payload size
  bool force_tcp = false;                   // `options use-vc`, the CLI's --tcp
  // Overall limit for one lookup (all candidates, CNAME re-queries, TCP fallbacks); it ends
  // with EAI_AGAIN. Zero = automatic, see lookup_deadline().
  Duration deadline = Duration::zero();

  // Cache size in entries (one per name and type); 0 disables caching.
  std::size_t cache_entries = 1024;
  // RFC 2308 §5: a negative answer without an SOA "SHOULD NOT be cached": 0 (the default)
  // follows that; a positive value caches it for this many seconds instead.
  std::uint32_t negative_ttl_without_soa = 0;
  // Upper bound on cached TTLs (RFC 2308 §5 suggests 1-3 hours for negative answers; we apply
  // one day to every entry, like Unbound's cache-max-ttl).
  std::uint32_t max_cache_ttl = 86400;

  // The per-try timeout of `round` (0-based), BIND 4.9's res_send schedule that glibc
  // inherits: round 0 waits `timeout` for each server; later rounds wait
  // (timeout << round) / nservers, at least 1 s. With one server and the defaults: 5 s, 10 s.
  Duration try_timeout(unsigned round) const;
  // The overall deadline: `deadline` if set, else the sum of every try's timeout over
  // `attempts` rounds and every server (15 s with the defaults and one server, 20 s with
  // two), at most kMaxAutoDeadline.
  Duration lookup_deadline() const;
  // Applies glibc's clamps (ndots, timeout, attempts, 3 servers).
  void clamp();
};

struct ResolvConfParse {
  ResolverConfig config;
  std::vector<std::string> warnings;  // "line 4: unknown keyword 'nameservr'"
};

ResolvConfParse parse_resolv_conf(std::string_view text);

}  // namespace ustack
