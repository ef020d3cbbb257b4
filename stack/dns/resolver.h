// The DNS stub resolver: getaddrinfo()'s name-to-address part as a pure state machine over the
// stack's own UDP and TCP (never the host's resolver, never a kernel socket).
//
// A Pollable: start() a lookup at `now`, then the Stack (Stack::add_poller) or a test calls
// poll(now) after its transports and folds poll_at() into its own; done()/take_result() give
// the answer. Numeric addresses, localhost, hosts-table names and cache hits complete inside
// start() without a packet.
//
// What a lookup does, in getaddrinfo's order:
//  1. the family must be kUnspec, kV4 or kV6 (else EAI_FAMILY; sockapi maps AF_* to
//     AddressFamily and reports EAI_FAMILY for any other AF_ before it gets here);
//  2. a numeric address (dotted quad, RFC 4291 IPv6 text; no scope ids, no inet_aton short
//     forms) is its own answer; one of the other family is EAI_NONAME (glibc says
//     EAI_ADDRFAMILY, which the API leaves out);
//  3. the hosts table, then `localhost` and `*.localhost` (RFC 6761 §6.3: 127.0.0.1 and ::1,
//     never sent to a server) — the hosts table first so a hosts line can override it; a name
//     the hosts table lists only in the other family goes on to DNS, as with nsswitch
//     `hosts: files dns`;
//  4. the name must be a valid DNS name (labels of 1..63 octets, 255 octets in all), else
//     EAI_NONAME; with no nameserver configured the lookup ends with EAI_AGAIN "no nameserver
//     configured" (glibc would query 127.0.0.1; ustack never asks the host);
//  5. the candidates, as glibc's res_search builds them: a name ending in '.' is tried alone;
//     a name with at least `ndots` dots is tried as-is first, then with each search domain;
//     otherwise with each search domain first and as-is last. NXDOMAIN, NODATA and SERVFAIL
//     move on to the next candidate, a timeout or a hard failure stops the search; when every
//     candidate failed, the error reported is the as-is name's;
//  6. for each candidate, kUnspec sends the A and the AAAA query in parallel (like glibc
//     without `single-request`, but each on its own socket with its own ID; the lookup
//     succeeds if either has addresses); each query first looks in the cache.
//
// Each query (RFC 1035 §7, RFC 5452, RFC 7766):
//  - every try is a fresh UDP socket bound to port 0 (an RFC 6056 ephemeral port from the
//    UdpLayer) with a fresh random 16-bit ID from the seeded Rng; earlier tries' sockets stay
//    open until the query ends, so a slow server's late answer is still taken;
//  - a datagram is accepted only if it comes from the server's address and port, carries the
//    try's ID, has QR set and repeats the question (name without case, type, class); anything
//    else is dropped and counted (drops.dns_wrong_source, _wrong_id, _not_response,
//    _wrong_question) and the query keeps waiting. A datagram from the server with the right
//    ID that does not parse is counted in drops.dns_malformed and ends that try as a failure;
//  - the schedule: tries go to the servers in order (with `rotate`, each query starts one
//    server further than the previous one), `attempts` rounds; the per-try timeout is
//    ResolverConfig::try_timeout(round) (5 s, then (5 s << round) / nservers). SERVFAIL,
//    REFUSED, FORMERR, NOTIMP and malformed answers move to the next try at once; a FORMERR
//    to a query with EDNS is retried once without it (RFC 6891 §7);
//  - a truncated (TC) answer is asked again over TCP of the same server (RFC 7766 §5, 2-byte
//    length framing, one connection per query); a TCP failure (refused, reset, closed early,
//    timeout) moves to the next try; `force_tcp` sends every try over TCP;
//  - CNAMEs are followed inside the answer; if the chain ends without the wanted type and
//    without an SOA (no NODATA proof), the last target is asked again. More than 8 aliases,
//    or an alias seen twice, is EAI_FAIL "CNAME loop";
//  - answers are cached (see cache.h): positive for the smallest TTL along the chain,
//    NXDOMAIN/NODATA per RFC 2308 (not at all without an SOA, unless configured).
// An ICMP error about the server (port or host unreachable) ends the try at once and moves to
// the next server, as glibc's connected socket does; the sockets stay unconnected (they use
// UdpLayer's recv_errors, Linux's IP_RECVERR) so that datagrams from elsewhere still reach the
// resolver and are counted. A server that is silent costs its timeout.
//
// Errors, like glibc's getaddrinfo: NXDOMAIN, and NODATA for every family asked, are
// EAI_NONAME; SERVFAIL/REFUSED or no answer from every server, and the overall deadline
// (ResolverConfig::lookup_deadline), are EAI_AGAIN; FORMERR/NOTIMP/malformed answers from
// every try and CNAME loops are EAI_FAIL. LookupResult::detail says what happened in words.
// Addresses come back in RFC 6724 order (address_order.h) with IpSender::select_source.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/random.h"
#include "stack/base/time.h"
#include "stack/dns/cache.h"
#include "stack/dns/hosts.h"
#include "stack/dns/resolver_config.h"
#include "stack/pollable.h"
#include "stack/runtime.h"
#include "stack/socket_table.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/tracer.h"
#include "stack/transport.h"
#include "stack/udp/udp_layer.h"
#include "stack/wire/dns.h"

namespace ustack {

// getaddrinfo's error codes (glibc's values).
enum class EaiError : int {
  kNoName = -2,   // EAI_NONAME
  kAgain = -3,    // EAI_AGAIN
  kFail = -4,     // EAI_FAIL
  kFamily = -6,   // EAI_FAMILY
  kService = -8,  // EAI_SERVICE (the service part of getaddrinfo, in sockapi)
  kSystem = -11,  // EAI_SYSTEM
};
const char* eai_name(EaiError e);     // "EAI_NONAME"
const char* eai_message(EaiError e);  // gai_strerror(): "Name or service not known"

enum class AddressFamily : std::uint8_t { kUnspec, kV4, kV6 };
// How a lookup was answered.
enum class AnswerSource : std::uint8_t { kNumeric, kHosts, kCache, kUdp, kTcp };
const char* to_string(AnswerSource s);  // "numeric", "hosts", "cache", "udp", "tcp"

struct ResolvedAddress {
  IpAddr addr;
  std::uint32_t ttl = 0;  // seconds left (0 for numeric and hosts answers)
  bool operator==(const ResolvedAddress&) const = default;
};

struct LookupResult {
  std::optional<EaiError> error;  // nullopt on success
  // In words: "NXDOMAIN from 198.18.0.1", "no answer from any server",
  // "malformed response: pointer_loop", "CNAME loop", "no nameserver configured".
  std::string detail;
  std::string query_name;                  // the name as asked
  DnsName canonical;                       // after following CNAMEs (and the search list)
  std::vector<DnsName> cname_chain;        // each alias, in order
  std::vector<ResolvedAddress> addresses;  // RFC 6724 order
  AnswerSource source = AnswerSource::kUdp;
  std::optional<NameServer> server;  // which server answered (none for numeric/hosts/cache)
};

using LookupId = std::uint64_t;

#define USTACK_RESOLVER_COUNTERS(X)                                                             \
  X(lookups, "dns.lookups") /* start() calls */                                                 \
  X(lookups_ok, "dns.lookups_ok")                                                               \
  X(lookups_failed, "dns.lookups_failed")                                                       \
  X(lookups_timed_out, "dns.lookups_timed_out") /* the overall deadline */                      \
  X(numeric_answers, "dns.numeric_answers")                                                     \
  X(hosts_answers, "dns.hosts_answers") /* hosts table and localhost */                         \
  X(cache_hits, "dns.cache_hits")       /* per query (name, type) */                            \
  X(cache_misses, "dns.cache_misses")                                                           \
  X(queries_sent, "dns.queries_sent")   /* UDP datagrams */                                     \
  X(tcp_queries, "dns.tcp_queries")     /* TCP connections opened */                            \
  X(tcp_fallbacks, "dns.tcp_fallbacks") /* TC answers retried over TCP */                       \
  X(retransmits, "dns.retransmits")     /* tries after a query's first */                       \
  X(timeouts, "dns.timeouts")           /* tries that got no answer in time */                  \
  X(responses, "dns.responses")         /* accepted answers */                                  \
  X(nxdomain, "dns.nxdomain")                                                                   \
  X(nodata, "dns.nodata")                                                                       \
  X(servfail, "dns.servfail")                   /* SERVFAIL and REFUSED */                      \
  X(rcode_errors, "dns.rcode_errors")           /* FORMERR, NOTIMP, other rcodes */             \
  X(edns_fallbacks, "dns.edns_fallbacks")       /* FORMERR to EDNS: asked again without */      \
  X(cname_requeries, "dns.cname_requeries")     /* chain ended without the type: asked again */ \
  X(search_candidates, "dns.search_candidates") /* candidates after the first */                \
  X(send_errors, "dns.send_errors")             /* no route, bind failure, connect refused */   \
  X(tcp_errors, "dns.tcp_errors")               /* reset, refused, closed before the answer */  \
  X(icmp_errors, "dns.icmp_errors")             /* port/host unreachable from a server */       \
  X(drops_wrong_source, "drops.dns_wrong_source")                                               \
  X(drops_wrong_id, "drops.dns_wrong_id")                                                       \
  X(drops_not_response, "drops.dns_not_response")                                               \
  X(drops_wrong_question, "drops.dns_wrong_question")                                           \
  X(drops_malformed, "drops.dns_malformed")

struct ResolverCounters {
#define USTACK_X(field, name) std::uint64_t field = 0;
  USTACK_RESOLVER_COUNTERS(USTACK_X)
#undef USTACK_X
  // f(name, value) for every counter, in declaration order.
  template <typename F>
  void for_each(F&& f) const {
#define USTACK_X(field, name) f(std::string_view(name), field);
    USTACK_RESOLVER_COUNTERS(USTACK_X)
#undef USTACK_X
  }
  std::uint64_t get(std::string_view name) const;  // 0 for an unknown name
  // netstat -s style, like Counters::to_string: "Dns:" then "    <n> <name>" lines, the drops
  // (drops.dns_*) last under "Drops:". Zero counters only if asked.
  std::string to_string(bool include_zero = false) const;
};

class Resolver final : public Pollable {
 public:
  Resolver(ResolverConfig config, HostsTable hosts, UdpLayer& udp, TcpLayer& tcp, IpSender& ip,
           std::uint64_t seed, Tracer* tracer = nullptr);
  ~Resolver() override;  // closes every socket still open
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Starts a lookup of `name` (getaddrinfo-like); may be done() at once.
  LookupId start(Instant now, std::string_view name, AddressFamily family);
  bool done(LookupId id) const;
  // The result, once done (and the lookup is forgotten); nullopt if not done or unknown.
  std::optional<LookupResult> take_result(LookupId id);
  // Forgets a lookup and closes its sockets.
  void cancel(LookupId id);
  // The blocking form (getaddrinfo, the tools): start(), then run `rt` until the lookup is
  // done. nullopt if `rt` stopped first; the lookup is then cancelled, so a later run does not
  // finish it for nobody. Time comes from `rt`, as everywhere in the core.
  std::optional<LookupResult> lookup(Runtime& rt, std::string_view name, AddressFamily family);

  bool poll(Instant now) override;
  Instant poll_at() const override;

  const ResolverCounters& counters() const { return counters_; }
  const ResolverConfig& config() const { return cfg_; }
  DnsCache& cache() { return cache_; }
  std::size_t active_lookups() const;
  std::size_t open_sockets() const;  // UDP and TCP sockets held now

 private:
  struct Query;
  struct Lookup;
  struct Outcome;

  // resolver.cc: lookups, candidates, results.
  std::optional<LookupResult> answer_locally(std::string_view name, AddressFamily family);
  bool advance(Instant now, Lookup& l);
  void start_candidate(Instant now, Lookup& l);
  void finish_candidate(Lookup& l);
  void finish_lookup(Lookup& l, LookupResult r);
  LookupResult success_result(const Lookup& l) const;
  std::vector<ResolvedAddress> ordered(std::vector<ResolvedAddress> addrs) const;
  void close_query(Query& q);

  // resolver_query.cc: one question asked of the servers.
  bool answer_from_cache(Instant now, Query& q);
  void start_try(Instant now, Query& q);
  void start_udp_try(Instant now, Query& q, std::size_t server);
  void start_tcp_try(Instant now, Query& q, std::size_t server);
  void next_try(Instant now, Query& q);
  bool poll_query(Instant now, Query& q);
  bool poll_udp(Instant now, Query& q);
  bool poll_tcp(Instant now, Query& q);
  // Checks an incoming message against the try; the parsed response if it is one to act on.
  std::optional<DnsMessage> accept(Instant now, Query& q, Bytes msg, std::uint16_t id,
                                   std::size_t server, bool current);
  void on_response(Instant now, Query& q, const DnsMessage& m, std::size_t server, bool edns,
                   bool via_tcp, bool current);
  void on_answer(Instant now, Query& q, const DnsMessage& m, std::size_t server, bool via_tcp);
  // The current try ended with an error (hard: FORMERR/NOTIMP/malformed); on to the next.
  void fail_try(Instant now, Query& q, bool hard, std::string detail);
  // Asks the current try's server again (TC -> TCP, FORMERR -> without EDNS).
  void resend(Instant now, Query& q, std::size_t server, bool tcp);
  void finish_query(Query& q, Outcome o);
  void cache_outcome(Instant now, const Query& q, const Outcome& o, std::uint32_t ttl);
  ByteVec build_query(const Query& q, std::uint16_t id, bool edns) const;
  std::uint16_t new_id() { return static_cast<std::uint16_t>(rng_.next_u32() >> 16); }
  void drop(std::uint64_t& counter, const char* what);

  ResolverConfig cfg_;
  HostsTable hosts_;
  UdpLayer& udp_;
  TcpLayer& tcp_;
  IpSender& ip_;
  Tracer* tracer_;
  Rng rng_;
  DnsCache cache_;
  ResolverCounters counters_;
  std::map<LookupId, std::unique_ptr<Lookup>> lookups_;
  LookupId next_id_ = 1;
  std::size_t next_rotate_ = 0;
  Instant last_now_;
  ByteVec rx_buf_;
};

}  // namespace ustack
