// One question (name, type) asked of the servers: the try schedule, UDP with RFC 5452
// checks, TCP fallback (RFC 7766), answer processing with CNAMEs, and caching. See resolver.h.
#include <algorithm>

#include "stack/dns/resolver.h"
#include "stack/dns/resolver_internal.h"

namespace ustack {
namespace {

constexpr std::size_t kMaxCnameChain = 8;

std::optional<IpAddr> address_of(const DnsRecord& r, DnsType want) {
  if (r.klass != DnsClass::kIn || r.type != want) return std::nullopt;
  if (const auto* a = std::get_if<DnsA>(&r.rdata)) return IpAddr(a->addr);
  if (const auto* a = std::get_if<DnsAaaa>(&r.rdata)) return IpAddr(a->addr);
  return std::nullopt;
}

const DnsRecord* cname_at(const DnsMessage& m, const DnsName& name) {
  for (const DnsRecord& r : m.answers) {
    if (r.klass == DnsClass::kIn && r.type == DnsType::kCname && r.name.equals_ignore_case(name) &&
        std::holds_alternative<DnsCname>(r.rdata)) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace

ByteVec Resolver::build_query(const Query& q, std::uint16_t id, bool edns) const {
  DnsMessage m;
  m.id = id;
  m.rd = true;
  m.questions.push_back({q.qname, q.type, DnsClass::kIn});
  if (edns) {
    m.edns = DnsEdns{};
    m.edns->udp_payload_size = cfg_.edns_payload;
  }
  return m.to_bytes();
}

bool Resolver::answer_from_cache(Instant now, Query& q) {
  auto hit = cache_.get(now, q.asked, q.type);
  if (!hit) {
    ++counters_.cache_misses;
    return false;
  }
  ++counters_.cache_hits;
  Outcome o;
  o.source = AnswerSource::kCache;
  o.canonical = hit->canonical;
  o.chain = hit->cname_chain;
  switch (hit->kind) {
    case CachedAnswer::Kind::kAddresses:
      o.kind = Outcome::Kind::kAddresses;
      for (const IpAddr& a : hit->addrs) o.addrs.push_back({a, hit->ttl});
      break;
    case CachedAnswer::Kind::kNxDomain:
      o.kind = Outcome::Kind::kNxDomain;
      o.detail = "NXDOMAIN (cached)";
      break;
    case CachedAnswer::Kind::kNoData:
      o.kind = Outcome::Kind::kNoData;
      o.detail = "NODATA (cached)";
      break;
  }
  finish_query(q, std::move(o));
  return true;
}

// --- The try schedule ------------------------------------------------------------------------

void Resolver::start_try(Instant now, Query& q) {
  std::size_t n = cfg_.nameservers.size();
  std::size_t server = (q.first_server + q.try_index) % n;
  if (q.try_index > 0) ++counters_.retransmits;
  q.try_deadline = now + cfg_.try_timeout(static_cast<unsigned>(q.try_index / n));
  if (cfg_.force_tcp) {
    start_tcp_try(now, q, server);
  } else {
    start_udp_try(now, q, server);
  }
}

void Resolver::resend(Instant now, Query& q, std::size_t server, bool tcp) {
  q.try_deadline =
      now + cfg_.try_timeout(static_cast<unsigned>(q.try_index / cfg_.nameservers.size()));
  if (q.tcp) tcp_.close(q.tcp->sock);
  q.tcp.reset();
  if (tcp) {
    // The UDP tries are over: their sockets go (RFC 7766 §5: the TCP answer replaces them).
    for (const Query::UdpTry& t : q.udp) udp_.close(now, t.sock, ip_);
    q.udp.clear();
    start_tcp_try(now, q, server);
  } else {
    start_udp_try(now, q, server);
  }
}

// RFC 5452 §9.2: a new random ID and a new ephemeral port for every try.
void Resolver::start_udp_try(Instant now, Query& q, std::size_t server) {
  const NameServer& ns = cfg_.nameservers[server];
  SocketHandle h = udp_.open(ns.addr.version());
  IpAddr any = ns.addr.is_v4() ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any());
  // IP_RECVERR, as glibc gets from its connected socket: a server that answers with ICMP port
  // unreachable costs no timeout. The socket stays unconnected so that datagrams from
  // elsewhere still reach us and are counted (RFC 5452 §9.1).
  UdpSocketOptions opts = udp_.options(h).value();
  opts.recv_errors = true;
  udp_.set_options(h, opts);
  if (auto err = udp_.bind(h, any, 0, ip_)) {
    udp_.close(now, h, ip_);
    ++counters_.send_errors;
    return fail_try(now, q, false, std::string("cannot bind a UDP socket: ") + to_string(*err));
  }
  Query::UdpTry t{h, new_id(), server, cfg_.edns && q.use_edns};
  auto sent =
      udp_.send_to(now, h, build_query(q, t.id, t.edns), UdpEndpoint{ns.addr, ns.port}, ip_);
  if (!sent.ok()) {
    udp_.close(now, h, ip_);
    ++counters_.send_errors;
    return fail_try(now, q, false,
                    "cannot send to " + ns.to_string() + ": " + to_string(sent.error()));
  }
  ++counters_.queries_sent;
  q.udp.push_back(t);
}

// RFC 7766 §8: the query with a 2-byte length in front, on a new connection.
void Resolver::start_tcp_try(Instant now, Query& q, std::size_t server) {
  const NameServer& ns = cfg_.nameservers[server];
  auto conn = tcp_.connect(now, ip_, ns.addr, ns.port);
  if (!conn.ok()) {
    ++counters_.send_errors;
    return fail_try(now, q, false,
                    "cannot connect to " + ns.to_string() + ": " + to_string(conn.error()));
  }
  ++counters_.tcp_queries;
  Query::TcpTry t;
  t.sock = *conn;
  t.id = new_id();
  t.server = server;
  t.edns = cfg_.edns && q.use_edns;
  ByteVec msg = build_query(q, t.id, t.edns);
  t.out.resize(2 + msg.size());
  store_be16(t.out, 0, static_cast<std::uint16_t>(msg.size()));
  std::copy(msg.begin(), msg.end(), t.out.begin() + 2);
  q.tcp = std::move(t);
}

void Resolver::fail_try(Instant now, Query& q, bool hard, std::string detail) {
  ++q.tries_ended;
  ++(hard ? q.hard_failures : q.soft_failures);
  (hard ? q.hard_detail : q.soft_detail) = std::move(detail);
  next_try(now, q);
}

void Resolver::next_try(Instant now, Query& q) {
  if (q.tcp) tcp_.close(q.tcp->sock);
  q.tcp.reset();
  ++q.try_index;
  if (q.try_index < cfg_.attempts * cfg_.nameservers.size()) return start_try(now, q);
  // Every try has ended: say why, the way getaddrinfo would (see resolver.h).
  Outcome o;
  o.server = q.last_server;
  if (q.hard_failures == q.tries_ended) {
    o.kind = Outcome::Kind::kFail;
    o.detail = q.hard_detail;
  } else if (q.soft_failures > 0) {
    o.kind = Outcome::Kind::kServFail;
    o.detail = q.soft_detail;
  } else {
    o.kind = Outcome::Kind::kTimeout;
    o.detail = "no answer from any server";
  }
  finish_query(q, std::move(o));
}

bool Resolver::poll_query(Instant now, Query& q) {
  bool any = q.tcp ? poll_tcp(now, q) : poll_udp(now, q);
  if (!q.outcome && now >= q.try_deadline) {
    ++counters_.timeouts;
    ++q.tries_ended;
    next_try(now, q);
    any = true;
  }
  return any;
}

// --- Receiving -------------------------------------------------------------------------------

bool Resolver::poll_udp(Instant now, Query& q) {
  bool any = false;
  for (std::size_t i = 0; i < q.udp.size(); ++i) {
    for (;;) {
      if (q.outcome || q.tcp || i >= q.udp.size()) return any;
      const Query::UdpTry t = q.udp[i];  // a copy: handling may add tries
      const NameServer& ns = cfg_.nameservers[t.server];
      bool current = i + 1 == q.udp.size();
      if (auto report = udp_.take_error_report(t.sock)) {
        any = true;
        // Only an error about the server itself counts; and only the try still running moves
        // on (an older try's server was already given up on).
        if (current && report->remote == UdpEndpoint{ns.addr, ns.port}) {
          ++counters_.icmp_errors;
          fail_try(now, q, false, ns.to_string() + ": " + to_string(report->error));
        }
        continue;
      }
      auto got = udp_.recv_from(t.sock, rx_buf_);
      if (!got.ok()) break;
      any = true;
      // RFC 5452 §9.1: the answer must come from where the query went.
      if (got->from.addr != ns.addr || got->from.port != ns.port) {
        drop(counters_.drops_wrong_source, "drops.dns_wrong_source");
        continue;
      }
      auto m = accept(now, q, Bytes(rx_buf_).first(got->size), t.id, t.server, current);
      if (m) on_response(now, q, *m, t.server, t.edns, false, current);
    }
  }
  return any;
}

bool Resolver::poll_tcp(Instant now, Query& q) {
  const SocketHandle h = q.tcp->sock;
  const NameServer& ns = cfg_.nameservers[q.tcp->server];
  auto still_current = [&] { return !q.outcome && q.tcp && q.tcp->sock == h; };
  if (auto err = tcp_.error(h)) {
    ++counters_.tcp_errors;
    fail_try(now, q, false, "TCP to " + ns.to_string() + ": " + to_string(*err));
    return true;
  }
  bool any = false;
  Query::TcpTry& t = *q.tcp;
  if (tcp_.readiness(h).connected && t.out_sent < t.out.size()) {
    auto n = tcp_.send(h, Bytes(t.out).subspan(t.out_sent));
    if (n.ok()) t.out_sent += *n, any = true;
  }
  bool eof = false;
  for (;;) {
    auto n = tcp_.recv(h, rx_buf_);
    if (!n.ok()) break;
    if (*n == 0) {
      eof = true;
      break;
    }
    t.in.insert(t.in.end(), rx_buf_.begin(), rx_buf_.begin() + static_cast<std::ptrdiff_t>(*n));
    any = true;
  }
  // RFC 7766 §8: messages may arrive split over segments or several in one.
  while (still_current() && q.tcp->in.size() >= 2) {
    std::size_t len = load_be16(q.tcp->in, 0);
    if (q.tcp->in.size() < 2 + len) break;
    ByteVec msg(q.tcp->in.begin() + 2, q.tcp->in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    q.tcp->in.erase(q.tcp->in.begin(), q.tcp->in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    std::uint16_t id = q.tcp->id;
    std::size_t server = q.tcp->server;
    bool edns = q.tcp->edns;
    if (auto m = accept(now, q, msg, id, server, true))
      on_response(now, q, *m, server, edns, true, true);
  }
  if (eof && still_current()) {
    ++counters_.tcp_errors;
    fail_try(now, q, false, "TCP connection closed by " + ns.to_string() + " before the answer");
    any = true;
  }
  return any;
}

// RFC 5452 §9.1 and RFC 1035 §7.3: the ID, QR and the question must match the query.
std::optional<DnsMessage> Resolver::accept(Instant now, Query& q, Bytes msg, std::uint16_t id,
                                           std::size_t server, bool current) {
  if (msg.size() < DnsMessage::kHeaderLen) {
    drop(counters_.drops_malformed, "drops.dns_malformed");
    return std::nullopt;
  }
  if (load_be16(msg, 0) != id) {
    drop(counters_.drops_wrong_id, "drops.dns_wrong_id");
    return std::nullopt;
  }
  if (!(msg[2] & 0x80)) {
    drop(counters_.drops_not_response, "drops.dns_not_response");
    return std::nullopt;
  }
  const NameServer& ns = cfg_.nameservers[server];
  auto m = DnsMessage::parse(msg);
  if (!m) {
    // The server's own answer (its address, port and our ID) is broken: this try failed.
    drop(counters_.drops_malformed, "drops.dns_malformed");
    q.last_server = ns;
    if (current) {
      fail_try(now, q, true, std::string("malformed response: ") + to_string(m.error()));
    }
    return std::nullopt;
  }
  bool question_matches = m->questions.size() == 1 &&
                          m->questions[0].name.equals_ignore_case(q.qname) &&
                          m->questions[0].type == q.type && m->questions[0].klass == DnsClass::kIn;
  // RFC 6891 §7: a server that does not know EDNS may answer FORMERR without the question.
  bool bare_error =
      m->questions.empty() && (m->rcode == DnsRcode::kFormErr || m->rcode == DnsRcode::kNotImp);
  if (!question_matches && !bare_error) {
    drop(counters_.drops_wrong_question, "drops.dns_wrong_question");
    return std::nullopt;
  }
  ++counters_.responses;
  q.last_server = ns;
  return std::move(*m);
}

void Resolver::on_response(Instant now, Query& q, const DnsMessage& m, std::size_t server,
                           bool edns, bool via_tcp, bool current) {
  const std::string from = " from " + cfg_.nameservers[server].to_string();
  // RFC 7766 §5 / RFC 1035 §4.2.1: truncated over UDP → the same question over TCP.
  if (m.tc && !via_tcp) {
    ++counters_.tcp_fallbacks;
    return resend(now, q, server, true);
  }
  switch (m.rcode) {
    case DnsRcode::kNoError:
    case DnsRcode::kNxDomain:
      return on_answer(now, q, m, server, via_tcp);
    case DnsRcode::kServFail:
    case DnsRcode::kRefused:
      ++counters_.servfail;
      if (current) fail_try(now, q, false, to_string(m.rcode) + from);
      return;
    case DnsRcode::kFormErr:
      // RFC 6891 §7: a FORMERR to a query with OPT may mean "no EDNS here": ask without.
      if (edns && q.use_edns && current) {
        ++counters_.edns_fallbacks;
        q.use_edns = false;
        return resend(now, q, server, via_tcp);
      }
      [[fallthrough]];
    default:
      ++counters_.rcode_errors;
      if (current) fail_try(now, q, true, to_string(m.rcode) + from);
      return;
  }
}

// RFC 1034 §5.3.3 step 4 and RFC 2308: the answer, an alias to follow, or a negative answer.
void Resolver::on_answer(Instant now, Query& q, const DnsMessage& m, std::size_t server,
                         bool via_tcp) {
  const NameServer& ns = cfg_.nameservers[server];
  DnsName name = q.qname;
  std::vector<ResolvedAddress> addrs;
  std::uint32_t rrset_ttl = Query::kNoTtl;
  for (;;) {
    for (const DnsRecord& r : m.answers) {
      if (!r.name.equals_ignore_case(name)) continue;
      if (auto a = address_of(r, q.type)) {
        addrs.push_back({*a, 0});
        rrset_ttl = std::min(rrset_ttl, r.ttl);
      }
    }
    if (!addrs.empty()) break;
    const DnsRecord* cname = cname_at(m, name);
    if (!cname) break;
    const DnsName& target = std::get<DnsCname>(cname->rdata).target;
    q.chain.push_back(name);
    q.chain_ttl = std::min(q.chain_ttl, cname->ttl);
    bool seen = std::any_of(q.chain.begin(), q.chain.end(),
                            [&](const DnsName& n) { return n.equals_ignore_case(target); });
    if (seen || q.chain.size() > kMaxCnameChain) {
      Outcome o{.kind = Outcome::Kind::kFail, .server = ns, .detail = "CNAME loop"};
      return finish_query(q, std::move(o));
    }
    name = target;
  }

  Outcome o;
  o.canonical = name;
  o.chain = q.chain;
  o.source = via_tcp ? AnswerSource::kTcp : AnswerSource::kUdp;
  o.server = ns;
  std::optional<std::uint32_t> neg_ttl = negative_ttl(m);
  if (!addrs.empty()) {
    std::uint32_t ttl = std::min(q.chain_ttl, rrset_ttl);
    for (ResolvedAddress& a : addrs) a.ttl = ttl;
    o.kind = Outcome::Kind::kAddresses;
    o.addrs = std::move(addrs);
    cache_outcome(now, q, o, ttl);
    return finish_query(q, std::move(o));
  }
  if (m.rcode == DnsRcode::kNoError && !name.equals_ignore_case(q.qname) && !neg_ttl) {
    // The chain left the server's data without a NODATA proof: ask for the target itself.
    ++counters_.cname_requeries;
    for (const Query::UdpTry& t : q.udp) udp_.close(now, t.sock, ip_);
    q.udp.clear();
    if (q.tcp) tcp_.close(q.tcp->sock);
    q.tcp.reset();
    q.qname = name;
    q.try_index = q.tries_ended = q.hard_failures = q.soft_failures = 0;
    return start_try(now, q);
  }
  bool nx = m.rcode == DnsRcode::kNxDomain;
  ++(nx ? counters_.nxdomain : counters_.nodata);
  o.kind = nx ? Outcome::Kind::kNxDomain : Outcome::Kind::kNoData;
  o.detail = (nx ? "NXDOMAIN" : "NODATA") + (" from " + ns.to_string());
  std::uint32_t ttl = neg_ttl ? *neg_ttl : cfg_.negative_ttl_without_soa;
  cache_outcome(now, q, o, std::min(ttl, q.chain_ttl));
  finish_query(q, std::move(o));
}

void Resolver::cache_outcome(Instant now, const Query& q, const Outcome& o, std::uint32_t ttl) {
  CachedAnswer c;
  c.kind = o.kind == Outcome::Kind::kAddresses  ? CachedAnswer::Kind::kAddresses
           : o.kind == Outcome::Kind::kNxDomain ? CachedAnswer::Kind::kNxDomain
                                                : CachedAnswer::Kind::kNoData;
  c.canonical = o.canonical;
  c.cname_chain = o.chain;
  for (const ResolvedAddress& a : o.addrs) c.addrs.push_back(a.addr);
  c.ttl = ttl;
  cache_.put(now, q.asked, q.type, std::move(c));
}

void Resolver::finish_query(Query& q, Outcome o) {
  close_query(q);
  q.outcome = std::move(o);
}

}  // namespace ustack
