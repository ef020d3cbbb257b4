// Resolver lookups: local answers, the search list, combining the A and AAAA queries, and the
// result. One question asked of the servers is resolver_query.cc.
#include "stack/dns/resolver.h"

#include <algorithm>

#include "stack/counters.h"
#include "stack/dns/address_order.h"
#include "stack/dns/resolver_internal.h"
#include "stack/dns/text_util.h"

namespace ustack {
namespace {

std::vector<DnsType> types_for(AddressFamily f) {
  switch (f) {
    case AddressFamily::kV4:
      return {DnsType::kA};
    case AddressFamily::kV6:
      return {DnsType::kAaaa};
    default:
      return {DnsType::kA, DnsType::kAaaa};
  }
}

bool family_matches(const IpAddr& a, AddressFamily f) {
  return f == AddressFamily::kUnspec ||
         (a.is_v4() ? f == AddressFamily::kV4 : f == AddressFamily::kV6);
}

LookupResult error_result(EaiError e, std::string detail) {
  LookupResult r;
  r.error = e;
  r.detail = std::move(detail);
  return r;
}

// glibc res_search: which names to ask, in order; *as_is is the index of the name itself.
std::vector<DnsName> candidates_for(std::string_view text, const DnsName& name,
                                    const ResolverConfig& cfg, std::size_t* as_is) {
  *as_is = 0;
  if (text.ends_with('.') || cfg.search.empty()) return {name};
  std::vector<DnsName> searched;
  for (const std::string& domain : cfg.search) {
    if (auto n = DnsName::parse(std::string(text) + "." + domain)) searched.push_back(*n);
  }
  auto dots = static_cast<unsigned>(std::count(text.begin(), text.end(), '.'));
  if (dots >= cfg.ndots) {
    searched.insert(searched.begin(), name);
    return searched;
  }
  *as_is = searched.size();
  searched.push_back(name);
  return searched;
}

}  // namespace

const char* eai_name(EaiError e) {
  switch (e) {
    case EaiError::kNoName:
      return "EAI_NONAME";
    case EaiError::kAgain:
      return "EAI_AGAIN";
    case EaiError::kFail:
      return "EAI_FAIL";
    case EaiError::kFamily:
      return "EAI_FAMILY";
    case EaiError::kService:
      return "EAI_SERVICE";
    case EaiError::kSystem:
      return "EAI_SYSTEM";
  }
  return "EAI_UNKNOWN";
}

// glibc's gai_strerror texts.
const char* eai_message(EaiError e) {
  switch (e) {
    case EaiError::kNoName:
      return "Name or service not known";
    case EaiError::kAgain:
      return "Temporary failure in name resolution";
    case EaiError::kFail:
      return "Non-recoverable failure in name resolution";
    case EaiError::kFamily:
      return "ai_family not supported";
    case EaiError::kService:
      return "Servname not supported for ai_socktype";
    case EaiError::kSystem:
      return "System error";
  }
  return "Unknown error";
}

const char* to_string(AnswerSource s) {
  switch (s) {
    case AnswerSource::kNumeric:
      return "numeric";
    case AnswerSource::kHosts:
      return "hosts";
    case AnswerSource::kCache:
      return "cache";
    case AnswerSource::kUdp:
      return "udp";
    case AnswerSource::kTcp:
      return "tcp";
  }
  return "?";
}

std::uint64_t ResolverCounters::get(std::string_view name) const {
  std::uint64_t out = 0;
  for_each([&](std::string_view n, std::uint64_t v) {
    if (n == name) out = v;
  });
  return out;
}

std::string ResolverCounters::to_string(bool include_zero) const {
  std::string dns, drops;
  for_each([&](std::string_view name, std::uint64_t value) {
    if (value == 0 && !include_zero) return;
    append_counter(name.starts_with("drops.") ? drops : dns, value,
                   name.substr(name.find('.') + 1));
  });
  std::string out;
  if (!dns.empty()) out = "Dns:\n" + dns;
  if (!drops.empty()) out += "Drops:\n" + drops;
  return out;
}

Resolver::Resolver(ResolverConfig config, HostsTable hosts, UdpLayer& udp, TcpLayer& tcp,
                   IpSender& ip, std::uint64_t seed, Tracer* tracer)
    : cfg_(std::move(config)),
      hosts_(std::move(hosts)),
      udp_(udp),
      tcp_(tcp),
      ip_(ip),
      tracer_(tracer),
      rng_(seed ^ 0x646e732d69647321ull),  // "dns-ids!"
      cache_(cfg_.cache_entries, cfg_.max_cache_ttl),
      rx_buf_(65535) {
  cfg_.clamp();
}

Resolver::~Resolver() {
  for (auto& [id, l] : lookups_) {
    for (Query& q : l->queries) close_query(q);
  }
}

LookupId Resolver::start(Instant now, std::string_view name, AddressFamily family) {
  last_now_ = now;
  ++counters_.lookups;
  auto owned = std::make_unique<Lookup>();
  Lookup& l = *owned;
  l.id = next_id_++;
  l.name = std::string(name);
  l.family = family;
  l.deadline = now + cfg_.lookup_deadline();
  lookups_.emplace(l.id, std::move(owned));

  if (auto local = answer_locally(name, family)) {
    finish_lookup(l, std::move(*local));
    return l.id;
  }
  auto dns_name = DnsName::parse(name);
  if (!dns_name || dns_name->is_root()) {
    const char* why =
        name.empty()                                                 ? "empty name"
        : !dns_name && dns_name.error() == ParseError::kNameTooLong  ? "name longer than 255 octets"
        : !dns_name && dns_name.error() == ParseError::kLabelTooLong ? "label longer than 63 octets"
                                                                     : "not a valid DNS name";
    finish_lookup(l, error_result(EaiError::kNoName, std::string("invalid name: ") + why));
    return l.id;
  }
  if (cfg_.nameservers.empty()) {
    finish_lookup(l, error_result(EaiError::kAgain, "no nameserver configured"));
    return l.id;
  }
  l.candidates = candidates_for(name, *dns_name, cfg_, &l.as_is);
  advance(now, l);
  return l.id;
}

// Steps 1-3 of the header: family, numeric address, hosts table, localhost.
std::optional<LookupResult> Resolver::answer_locally(std::string_view name, AddressFamily family) {
  if (static_cast<std::uint8_t>(family) > static_cast<std::uint8_t>(AddressFamily::kV6)) {
    return error_result(EaiError::kFamily, "unsupported address family");
  }
  LookupResult r;
  if (auto a = IpAddr::parse(name)) {
    if (!family_matches(*a, family))
      return error_result(EaiError::kNoName, "address family mismatch");
    ++counters_.numeric_answers;
    r.source = AnswerSource::kNumeric;
    r.addresses = {{*a, 0}};
    return r;
  }
  if (std::size_t pct = name.find('%');
      pct != std::string_view::npos && Ipv6Addr::parse(name.substr(0, pct))) {
    return error_result(EaiError::kNoName, "IPv6 scope ids are not supported");
  }
  std::vector<ResolvedAddress> addrs;
  std::string canonical;
  if (auto m = hosts_.lookup(name)) {
    canonical = m->canonical;
    for (const IpAddr& a : m->addrs) {
      if (family_matches(a, family)) addrs.push_back({a, 0});
    }
  }
  // RFC 6761 §6.3: localhost names resolve to loopback without asking anyone.
  std::string norm = normalize_host_name(name);
  if (addrs.empty() && (norm == "localhost" || norm.ends_with(".localhost"))) {
    canonical = std::string(name);
    if (family != AddressFamily::kV6) addrs.push_back({Ipv4Addr::from_u32(0x7f000001), 0});
    if (family != AddressFamily::kV4) addrs.push_back({*Ipv6Addr::parse("::1"), 0});
  }
  if (addrs.empty()) return std::nullopt;
  ++counters_.hosts_answers;
  r.source = AnswerSource::kHosts;
  if (auto c = DnsName::parse(canonical)) r.canonical = *c;
  r.addresses = ordered(std::move(addrs));
  return r;
}

// Runs the lookup as far as it goes without waiting; true if anything changed.
bool Resolver::advance(Instant now, Lookup& l) {
  bool changed = false;
  while (!l.result) {
    if (l.queries.empty()) {
      start_candidate(now, l);
      changed = true;
      continue;
    }
    bool all_done = std::all_of(l.queries.begin(), l.queries.end(),
                                [](const Query& q) { return q.outcome.has_value(); });
    if (!all_done) break;
    finish_candidate(l);
    changed = true;
  }
  return changed;
}

void Resolver::start_candidate(Instant now, Lookup& l) {
  if (l.next_candidate > 0) ++counters_.search_candidates;
  const DnsName& name = l.candidates[l.next_candidate++];
  for (DnsType t : types_for(l.family)) {
    Query q;
    q.type = t;
    q.asked = q.qname = name;
    q.use_edns = cfg_.edns;
    q.first_server = cfg_.rotate ? next_rotate_++ % cfg_.nameservers.size() : 0;
    l.queries.push_back(std::move(q));
  }
  for (Query& q : l.queries) {
    if (!answer_from_cache(now, q)) start_try(now, q);
  }
}

// Every query of the candidate has ended: success, next candidate, or the final error.
void Resolver::finish_candidate(Lookup& l) {
  using OK = Outcome::Kind;
  auto any = [&](OK k) {
    return std::any_of(l.queries.begin(), l.queries.end(),
                       [&](const Query& q) { return q.outcome->kind == k; });
  };
  auto first = [&](OK k) -> const Outcome& {
    return *std::find_if(l.queries.begin(), l.queries.end(), [&](const Query& q) {
              return q.outcome->kind == k;
            })->outcome;
  };
  if (any(OK::kAddresses)) {
    finish_lookup(l, success_result(l));
    return;
  }
  // The candidate failed. Which error, and does the search go on (glibc res_search: on after
  // NXDOMAIN, NODATA and SERVFAIL; stop after anything else)?
  const Outcome* o = nullptr;
  EaiError e = EaiError::kNoName;
  bool go_on = true;
  if (any(OK::kFail)) {
    o = &first(OK::kFail), e = EaiError::kFail, go_on = false;
  } else if (any(OK::kTimeout)) {
    o = &first(OK::kTimeout), e = EaiError::kAgain, go_on = false;
  } else if (any(OK::kServFail)) {
    o = &first(OK::kServFail), e = EaiError::kAgain;
  } else {
    o = any(OK::kNxDomain) ? &first(OK::kNxDomain) : &first(OK::kNoData);
  }
  LookupResult err = error_result(e, o->detail);
  err.source = o->source;
  err.server = o->server;
  bool as_is = l.next_candidate - 1 == l.as_is;
  if (as_is) l.as_is_error = err;
  for (Query& q : l.queries) close_query(q);
  l.queries.clear();
  if (go_on && l.next_candidate < l.candidates.size()) return;  // the next candidate
  finish_lookup(l, go_on && l.as_is_error ? *l.as_is_error : err);
}

LookupResult Resolver::success_result(const Lookup& l) const {
  LookupResult r;
  bool all_cached = true, any_tcp = false;
  std::vector<ResolvedAddress> addrs;
  for (const Query& q : l.queries) {
    const Outcome& o = *q.outcome;
    if (o.kind != Outcome::Kind::kAddresses) continue;
    if (addrs.empty()) {
      r.canonical = o.canonical;
      r.cname_chain = o.chain;
    }
    addrs.insert(addrs.end(), o.addrs.begin(), o.addrs.end());
    all_cached &= o.source == AnswerSource::kCache;
    any_tcp |= o.source == AnswerSource::kTcp;
    if (!r.server && o.server) r.server = o.server;
  }
  r.source = all_cached ? AnswerSource::kCache : any_tcp ? AnswerSource::kTcp : AnswerSource::kUdp;
  r.addresses = ordered(std::move(addrs));
  return r;
}

std::vector<ResolvedAddress> Resolver::ordered(std::vector<ResolvedAddress> addrs) const {
  std::vector<IpAddr> dsts;
  for (const ResolvedAddress& a : addrs) dsts.push_back(a.addr);
  // A loopback destination is its own source, as on Linux's lo (the Stack has no loopback
  // interface to ask): ::1 then sorts before 127.0.0.1 (rule 6), as `getent ahosts` shows.
  auto source_for = [this](const IpAddr& d) -> std::optional<IpAddr> {
    if (d.is_v4() ? d.v4().is_loopback() : d.v6().is_loopback()) return d;
    return ip_.select_source(d);
  };
  std::vector<ResolvedAddress> out;
  for (std::size_t i : rfc6724_order(dsts, source_for)) out.push_back(addrs[i]);
  return out;
}

void Resolver::finish_lookup(Lookup& l, LookupResult r) {
  for (Query& q : l.queries) close_query(q);
  l.queries.clear();
  r.query_name = l.name;
  ++(r.error ? counters_.lookups_failed : counters_.lookups_ok);
  l.result = std::move(r);
}

bool Resolver::done(LookupId id) const {
  auto it = lookups_.find(id);
  return it != lookups_.end() && it->second->result.has_value();
}

std::optional<LookupResult> Resolver::lookup(Runtime& rt, std::string_view name,
                                             AddressFamily family) {
  LookupId id = start(rt.now(), name, family);
  // start() opened sockets and queued queries outside a poll: the loop must poll now.
  rt.wake();
  rt.run_until([&] { return done(id); }, Instant::never());
  std::optional<LookupResult> r = take_result(id);
  if (!r) cancel(id);
  return r;
}

std::optional<LookupResult> Resolver::take_result(LookupId id) {
  auto it = lookups_.find(id);
  if (it == lookups_.end() || !it->second->result) return std::nullopt;
  LookupResult r = std::move(*it->second->result);
  lookups_.erase(it);
  return r;
}

void Resolver::cancel(LookupId id) {
  auto it = lookups_.find(id);
  if (it == lookups_.end()) return;
  for (Query& q : it->second->queries) close_query(q);
  lookups_.erase(it);
}

bool Resolver::poll(Instant now) {
  last_now_ = now;
  bool any = false;
  for (auto& [id, owned] : lookups_) {
    Lookup& l = *owned;
    if (l.result) continue;
    for (Query& q : l.queries) {
      if (!q.outcome) any |= poll_query(now, q);
    }
    any |= advance(now, l);
    if (!l.result && now >= l.deadline) {
      ++counters_.lookups_timed_out;
      // Without a configured deadline the cap is the retry schedule itself, which the last
      // try's own timer (started a little later in real time) would end a moment after: say
      // what that would say, so the words do not depend on which timer fired first.
      finish_lookup(l, error_result(EaiError::kAgain,
                                    cfg_.deadline > Duration::zero()
                                        ? "no answer within " + cfg_.lookup_deadline().to_string()
                                        : std::string("no answer from any server")));
      any = true;
    }
  }
  return any;
}

Instant Resolver::poll_at() const {
  Instant at = Instant::never();
  for (const auto& [id, l] : lookups_) {
    if (l->result) continue;
    at = std::min(at, l->deadline);
    for (const Query& q : l->queries) {
      if (!q.outcome) at = std::min(at, q.try_deadline);
    }
  }
  return at;
}

std::size_t Resolver::active_lookups() const {
  return static_cast<std::size_t>(std::count_if(lookups_.begin(), lookups_.end(),
                                                [](const auto& e) { return !e.second->result; }));
}

std::size_t Resolver::open_sockets() const {
  std::size_t n = 0;
  for (const auto& [id, l] : lookups_) {
    for (const Query& q : l->queries) n += q.udp.size() + (q.tcp ? 1 : 0);
  }
  return n;
}

void Resolver::close_query(Query& q) {
  for (const Query::UdpTry& t : q.udp) udp_.close(last_now_, t.sock, ip_);
  q.udp.clear();
  if (q.tcp) tcp_.close(q.tcp->sock);
  q.tcp.reset();
  q.try_deadline = Instant::never();
}

void Resolver::drop(std::uint64_t& counter, const char* what) {
  ++counter;
  if (tracer_) {
    TraceEvent e;
    e.kind = TraceKind::kDrop;
    e.at = last_now_;
    e.what = what;
    tracer_->on_event(e);
  }
}

}  // namespace ustack
