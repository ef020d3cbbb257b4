// The resolver end to end: two Stacks over an in-memory Link in virtual time, the resolver on
// one and ustack's DnsServer on the other (port 5353).
#include "stack/dns/resolver_test_util.h"

namespace ustack::dns_testing {
namespace {

// --- Answers ---------------------------------------------------------------------------------

// RFC 1035 §7: an A query over UDP, answered from the zone.
TEST(Resolver, ResolvesA) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  auto r = rig.lookup("www.example.test");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(addrs_of(r), std::vector{ip("198.18.0.9")});
  EXPECT_EQ(r.addresses[0].ttl, 120u);
  EXPECT_EQ(r.source, AnswerSource::kUdp);
  EXPECT_EQ(r.server, server4());
  EXPECT_EQ(r.query_name, "www.example.test");
  EXPECT_TRUE(r.canonical.equals_ignore_case(name("www.example.test")));
  EXPECT_EQ(rig.counter("dns.queries_sent"), 1u);
  EXPECT_EQ(rig.resolver->open_sockets(), 0u);
}

// RFC 3596: AAAA.
TEST(Resolver, ResolvesAaaa) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  auto r = rig.lookup("www.example.test", AddressFamily::kV6);
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(addrs_of(r), std::vector{ip("fd00:1::9")});
  EXPECT_EQ(r.addresses[0].ttl, 300u);
}

// kUnspec: A and AAAA leave together (two datagrams at t0) and both answers are merged in
// RFC 6724 order (a ULA, precedence 3, after IPv4, precedence 35).
TEST(Resolver, ParallelAAndAaaa) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  auto before = rig.client_packets();
  auto id = rig.resolver->start(rig.now, "www.example.test", AddressFamily::kUnspec);
  EXPECT_EQ(rig.client_packets() - before, 2u);  // both sent inside start()
  auto r = rig.run_until_done(id);
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(addrs_of(r), (std::vector{ip("198.18.0.9"), ip("fd00:1::9")}));
  EXPECT_EQ(rig.counter("dns.queries_sent"), 2u);
}

// RFC 1034 §3.6.2: the chain is followed inside one answer; canonical is its end and the TTL
// the smallest along it (RFC 2181 §5.2 per RRset: 90, 60, 120).
TEST(Resolver, FollowsCnameChain) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  auto r = rig.lookup("alias2.example.test");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(addrs_of(r), std::vector{ip("198.18.0.9")});
  EXPECT_TRUE(r.canonical.equals_ignore_case(name("www.example.test")));
  ASSERT_EQ(r.cname_chain.size(), 2u);
  EXPECT_TRUE(r.cname_chain[0].equals_ignore_case(name("alias2.example.test")));
  EXPECT_TRUE(r.cname_chain[1].equals_ignore_case(name("alias.example.test")));
  EXPECT_EQ(r.addresses[0].ttl, 60u);
}

// RFC 1034 §5.3.3: a chain that leaves the answer without the type is asked again for its end.
TEST(Resolver, RequeriesCnameTargetOutsideAnswer) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  auto r = rig.lookup("away.example.test");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(addrs_of(r), std::vector{ip("198.18.0.77")});
  EXPECT_TRUE(r.canonical.equals_ignore_case(name("www.elsewhere.test")));
  EXPECT_EQ(rig.counter("dns.cname_requeries"), 1u);
  EXPECT_EQ(rig.counter("dns.queries_sent"), 2u);
}

// getaddrinfo: NXDOMAIN is EAI_NONAME.
TEST(Resolver, NxdomainIsEaiNoname) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  auto r = rig.lookup("nope.example.test", AddressFamily::kUnspec);
  EXPECT_EQ(r.error, EaiError::kNoName);
  EXPECT_EQ(r.detail, "NXDOMAIN from 198.18.0.2:5353");
  EXPECT_EQ(r.server, server4());
}

// RFC 2308 §2.2: NODATA for every family asked is EAI_NONAME too.
TEST(Resolver, NodataIsEaiNoname) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  auto r = rig.lookup("text.example.test", AddressFamily::kUnspec);
  EXPECT_EQ(r.error, EaiError::kNoName);
  EXPECT_EQ(r.detail, "NODATA from 198.18.0.2:5353");
}

// --- Cache -----------------------------------------------------------------------------------

TEST(Resolver, CacheHitSendsNothingAndCountsDownTtl) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  ASSERT_FALSE(rig.lookup("www.example.test").error);
  rig.run_for(20_s);
  auto before = rig.client_packets();
  auto id = rig.resolver->start(rig.now, "www.example.test", AddressFamily::kV4);
  EXPECT_TRUE(rig.resolver->done(id));  // synchronous
  auto r = *rig.resolver->take_result(id);
  EXPECT_EQ(rig.client_packets(), before);
  EXPECT_EQ(r.source, AnswerSource::kCache);
  EXPECT_EQ(r.addresses[0].ttl, 100u);  // 120 s - 20 s
  EXPECT_EQ(rig.counter("dns.cache_hits"), 1u);
}

// RFC 2308 §5: the NXDOMAIN is kept min(SOA TTL, MINIMUM) = 60 s; meanwhile no packet.
TEST(Resolver, NegativeCacheSendsNoSecondPacket) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  EXPECT_EQ(rig.lookup("nope.example.test", AddressFamily::kUnspec).error, EaiError::kNoName);
  auto before = rig.client_packets();
  auto r = rig.lookup("nope.example.test", AddressFamily::kUnspec);
  EXPECT_EQ(r.error, EaiError::kNoName);
  EXPECT_EQ(r.source, AnswerSource::kCache);
  EXPECT_EQ(rig.client_packets(), before);
  rig.run_for(61_s);
  EXPECT_EQ(rig.lookup("nope.example.test", AddressFamily::kUnspec).source, AnswerSource::kUdp);
}

// RFC 1035 §3.2.1: once the TTL (5 s) has passed, the name is asked again.
TEST(Resolver, TtlExpiryRequeries) {
  DnsRig rig(config_with({server4()}));
  rig.serve();
  ASSERT_FALSE(rig.lookup("short.example.test").error);
  rig.run_for(4_s);
  EXPECT_EQ(rig.lookup("short.example.test").source, AnswerSource::kCache);
  rig.run_for(2_s);
  auto r = rig.lookup("short.example.test");
  EXPECT_EQ(r.source, AnswerSource::kUdp);
  EXPECT_EQ(r.addresses[0].ttl, 5u);
  EXPECT_EQ(rig.counter("dns.queries_sent"), 2u);
}

// --- TCP -------------------------------------------------------------------------------------

// RFC 7766 §5: 100 A records do not fit 1232 bytes: TC over UDP, then the whole answer over
// TCP. The link MTU of 576 splits the TCP answer over several segments.
TEST(Resolver, TruncatedAnswerRetriedOverTcp) {
  DnsRig rig(config_with({server4()}), {}, 576);
  rig.serve();
  auto r = rig.lookup("many.example.test");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(r.addresses.size(), 100u);
  EXPECT_EQ(r.source, AnswerSource::kTcp);
  EXPECT_EQ(rig.counter("dns.tcp_fallbacks"), 1u);
  EXPECT_EQ(rig.counter("dns.tcp_queries"), 1u);
  EXPECT_EQ(rig.dns->counters().truncated, 1u);
  EXPECT_EQ(rig.dns->counters().tcp_queries, 1u);
}

// resolv.conf `use-vc`: every query over TCP, no UDP at all.
TEST(Resolver, ForceTcp) {
  auto cfg = config_with({server4()});
  cfg.force_tcp = true;
  DnsRig rig(cfg);
  rig.serve();
  auto r = rig.lookup("www.example.test", AddressFamily::kUnspec);
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(r.addresses.size(), 2u);
  EXPECT_EQ(r.source, AnswerSource::kTcp);
  EXPECT_EQ(rig.counter("dns.queries_sent"), 0u);
  EXPECT_EQ(rig.counter("dns.tcp_queries"), 2u);
  EXPECT_EQ(rig.dns->counters().udp_queries, 0u);
}

// --- Retries and servers ---------------------------------------------------------------------

// Nobody answers: tries at t0 and t0+5 s (timeout 5 s), the second round waits 10 s, and the
// lookup ends with EAI_AGAIN at exactly t0+15 s.
TEST(Resolver, SilentServerIsEaiAgainAtConfiguredTime) {
  DnsRig rig(config_with({{kSilent4, kPort}}));
  Instant t0 = rig.now;
  auto id = rig.resolver->start(t0, "www.example.test", AddressFamily::kV4);
  EXPECT_EQ(rig.counter("dns.queries_sent"), 1u);
  rig.run_for(5_s - 1_ms);
  EXPECT_EQ(rig.counter("dns.queries_sent"), 1u);
  rig.run_for(1_ms);
  EXPECT_EQ(rig.counter("dns.queries_sent"), 2u);
  rig.run_for(10_s - 1_ms);
  EXPECT_FALSE(rig.resolver->done(id));
  auto r = rig.run_until_done(id);
  EXPECT_EQ(rig.now, t0 + 15_s);
  EXPECT_EQ(r.error, EaiError::kAgain);
  EXPECT_EQ(r.detail, "no answer from any server");
  EXPECT_EQ(rig.counter("dns.timeouts"), 2u);
  EXPECT_EQ(rig.counter("dns.queries_sent"), 2u);
  EXPECT_EQ(rig.resolver->open_sockets(), 0u);
}

// The overall deadline (here shorter than the retry schedule) ends the lookup with EAI_AGAIN.
TEST(Resolver, OverallDeadlineIsEaiAgain) {
  auto cfg = config_with({{kSilent4, kPort}});
  cfg.deadline = 3_s;
  DnsRig rig(cfg);
  Instant t0 = rig.now;
  auto r = rig.lookup("www.example.test");
  EXPECT_EQ(rig.now, t0 + 3_s);
  EXPECT_EQ(r.error, EaiError::kAgain);
  EXPECT_TRUE(r.detail.starts_with("no answer within")) << r.detail;
  EXPECT_EQ(rig.counter("dns.lookups_timed_out"), 1u);
  EXPECT_EQ(rig.resolver->open_sockets(), 0u);
}

// resolv.conf(5): the next server is tried after `timeout` when the first is silent.
TEST(Resolver, SecondServerUsedWhenFirstIsSilent) {
  DnsRig rig(config_with({{kSilent4, kPort}, server4()}));
  rig.serve();
  Instant t0 = rig.now;
  auto r = rig.lookup("www.example.test");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(r.server, server4());
  EXPECT_GE(rig.now, t0 + 5_s);
  EXPECT_LT(rig.now, t0 + 5_s + 100_ms);
}

// A server whose host answers ICMP port unreachable is skipped at once, as glibc's connected
// socket does (here through IP_RECVERR on an unconnected one): no timeout is spent on it.
TEST(Resolver, SecondServerUsedAtOnceWhenFirstRefuses) {
  DnsRig rig(config_with({{kSpoofer4, 5399}, server4()}));
  rig.serve();
  Instant t0 = rig.now;
  auto r = rig.lookup("www.example.test");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(r.server, server4());
  EXPECT_LT(rig.now, t0 + 100_ms);
  EXPECT_EQ(rig.counter("dns.icmp_errors"), 1u);
  EXPECT_EQ(rig.counter("dns.timeouts"), 0u);
}

// Every server refuses (port unreachable): EAI_AGAIN at once, naming the refusal.
TEST(Resolver, RefusingServerIsEaiAgainWithoutWaiting) {
  DnsRig rig(config_with({server4()}));  // nothing listens on 5353
  Instant t0 = rig.now;
  auto r = rig.lookup("www.example.test", AddressFamily::kV4);
  EXPECT_EQ(r.error, EaiError::kAgain);
  EXPECT_EQ(r.detail, "198.18.0.2:5353: connection refused");
  EXPECT_LT(rig.now, t0 + 100_ms);
  EXPECT_EQ(rig.counter("dns.queries_sent"), 2u);  // attempts:2, one server
  EXPECT_EQ(rig.counter("dns.icmp_errors"), 2u);
  EXPECT_EQ(rig.resolver->open_sockets(), 0u);
}

// `options rotate`: successive queries start at successive servers.
TEST(Resolver, RotateSpreadsQueriesOverServers) {
  auto cfg = config_with({server4(5353), server4(5354)});
  cfg.rotate = true;
  DnsRig rig(cfg);
  rig.serve(5353);
  DnsServerConfig c2;
  c2.port = 5354;
  DnsServer second(c2, example_zones(), rig.server_udp, rig.server_tcp, rig.server);
  ASSERT_FALSE(second.start(rig.now));
  rig.server.add_poller(second);
  EXPECT_EQ(rig.lookup("www.example.test").server, server4(5353));
  EXPECT_EQ(rig.lookup("alias.example.test").server, server4(5354));
  EXPECT_EQ(rig.lookup("text.example.test", AddressFamily::kV6).server, server4(5353));
  rig.server.remove_poller(second);
}

// --- Search list -----------------------------------------------------------------------------

// One server with example.test, and the search list "example.test" (ndots 1).
struct SearchRig : DnsRig {
  static ResolverConfig search_config() {
    auto cfg = config_with({server4()});
    cfg.search = {"example.test"};
    return cfg;
  }
  SearchRig() : DnsRig(search_config()) { serve(); }
};

// glibc res_search: fewer than ndots dots → the search domains first.
TEST(Resolver, SearchListCompletesShortName) {
  SearchRig rig;
  auto r = rig.lookup("www");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_TRUE(r.canonical.equals_ignore_case(name("www.example.test")));
  EXPECT_EQ(r.query_name, "www");
  EXPECT_EQ(rig.counter("dns.queries_sent"), 1u);
}

// A name with at least ndots dots is asked as-is first; NXDOMAIN moves on to the search list.
TEST(Resolver, EnoughDotsTriedAsIsFirstThenSearch) {
  SearchRig rig;
  auto r = rig.lookup("www.example.test");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(rig.counter("dns.queries_sent"), 1u);  // as-is answered
  r = rig.lookup("nope.example.test");  // as-is NXDOMAIN, then nope.example.test.example.test
  EXPECT_EQ(r.error, EaiError::kNoName);
  EXPECT_EQ(rig.counter("dns.search_candidates"), 1u);
}

// glibc: when every candidate fails, the error reported is the as-is name's (here REFUSED →
// EAI_AGAIN, although nope.example.test said NXDOMAIN).
TEST(Resolver, FinalErrorIsTheAsIsNames) {
  SearchRig rig;
  auto r = rig.lookup("nope");
  EXPECT_EQ(r.error, EaiError::kAgain);
  EXPECT_EQ(r.detail, "REFUSED from 198.18.0.2:5353");
}

// A trailing dot makes the name absolute: no search domain is appended.
TEST(Resolver, TrailingDotIsAbsolute) {
  SearchRig rig;
  auto r = rig.lookup("www.");
  EXPECT_EQ(r.error, EaiError::kAgain);  // REFUSED by both tries for "www."
  EXPECT_EQ(rig.counter("dns.search_candidates"), 0u);
}

// --- Without a packet ------------------------------------------------------------------------

LookupResult local_lookup(DnsRig& rig, const char* n, AddressFamily f) {
  auto id = rig.resolver->start(rig.now, n, f);
  EXPECT_TRUE(rig.resolver->done(id)) << n;
  auto r = rig.resolver->take_result(id);
  return r ? *r : LookupResult{};
}

// RFC 6761 §6.3: localhost names are loopback, never asked.
TEST(Resolver, LocalhostWithoutPacket) {
  DnsRig rig(config_with({server4()}));
  auto r = local_lookup(rig, "localhost", AddressFamily::kUnspec);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(addrs_of(r), (std::vector{ip("::1"), ip("127.0.0.1")}));  // RFC 6724 rule 6
  EXPECT_EQ(r.source, AnswerSource::kHosts);
  r = local_lookup(rig, "db.LOCALHOST.", AddressFamily::kV4);
  EXPECT_EQ(addrs_of(r), std::vector{ip("127.0.0.1")});
  EXPECT_EQ(rig.client_packets(), 0u);
}

TEST(Resolver, NumericAddressWithoutPacket) {
  DnsRig rig(config_with({server4()}));
  auto r = local_lookup(rig, "198.51.100.7", AddressFamily::kUnspec);
  EXPECT_EQ(addrs_of(r), std::vector{ip("198.51.100.7")});
  EXPECT_EQ(r.source, AnswerSource::kNumeric);
  r = local_lookup(rig, "2001:db8::7", AddressFamily::kV6);
  EXPECT_EQ(addrs_of(r), std::vector{ip("2001:db8::7")});
  r = local_lookup(rig, "198.51.100.7", AddressFamily::kV6);
  EXPECT_EQ(r.error, EaiError::kNoName);
  r = local_lookup(rig, "fe80::1%eth0", AddressFamily::kV6);
  EXPECT_EQ(r.error, EaiError::kNoName);
  EXPECT_EQ(rig.client_packets(), 0u);
}

TEST(Resolver, HostsTableWithoutPacket) {
  auto hosts = HostsTable::parse("198.18.0.50 files.example.test files\n").table;
  DnsRig rig(config_with({server4()}), hosts);
  auto r = local_lookup(rig, "FILES", AddressFamily::kV4);
  EXPECT_EQ(addrs_of(r), std::vector{ip("198.18.0.50")});
  EXPECT_EQ(r.source, AnswerSource::kHosts);
  EXPECT_TRUE(r.canonical.equals_ignore_case(name("files.example.test")));
  EXPECT_EQ(rig.client_packets(), 0u);
}

// nsswitch "files dns": a hosts name without an address of the family goes on to DNS.
TEST(Resolver, HostsNameOfOtherFamilyGoesToDns) {
  auto hosts = HostsTable::parse("198.18.0.50 www.example.test\n").table;
  DnsRig rig(config_with({server4()}), hosts);
  rig.serve();
  auto r = rig.lookup("www.example.test", AddressFamily::kV6);
  EXPECT_EQ(addrs_of(r), std::vector{ip("fd00:1::9")});
}

TEST(Resolver, InvalidNamesAreEaiNoname) {
  DnsRig rig(config_with({server4()}));
  EXPECT_EQ(local_lookup(rig, "", AddressFamily::kV4).error, EaiError::kNoName);
  EXPECT_EQ(local_lookup(rig, "a..b", AddressFamily::kV4).error, EaiError::kNoName);
  std::string long_label(64, 'x');
  EXPECT_EQ(local_lookup(rig, long_label.c_str(), AddressFamily::kV4).detail,
            "invalid name: label longer than 63 octets");
  std::string long_name;
  for (int i = 0; i < 30; ++i) long_name += "abcdefghi.";
  EXPECT_EQ(local_lookup(rig, long_name.c_str(), AddressFamily::kV4).detail,
            "invalid name: name longer than 255 octets");
  EXPECT_EQ(rig.client_packets(), 0u);
}

TEST(Resolver, NoNameserverIsEaiAgain) {
  DnsRig rig(ResolverConfig{});
  auto r = local_lookup(rig, "www.example.test", AddressFamily::kV4);
  EXPECT_EQ(r.error, EaiError::kAgain);
  EXPECT_EQ(r.detail, "no nameserver configured");
}

TEST(Resolver, UnknownFamilyIsEaiFamily) {
  DnsRig rig(config_with({server4()}));
  auto r = local_lookup(rig, "www.example.test", static_cast<AddressFamily>(9));
  EXPECT_EQ(r.error, EaiError::kFamily);
}

TEST(Resolver, CancelClosesSockets) {
  DnsRig rig(config_with({server4()}));
  auto id = rig.resolver->start(rig.now, "www.example.test", AddressFamily::kUnspec);
  EXPECT_EQ(rig.resolver->open_sockets(), 2u);
  rig.resolver->cancel(id);
  EXPECT_EQ(rig.resolver->open_sockets(), 0u);
  EXPECT_EQ(rig.client_udp.socket_count(), 0u);
  EXPECT_EQ(rig.resolver->poll_at(), Instant::never());
}

// --- Names for the CLI -----------------------------------------------------------------------

TEST(Resolver, ErrorNamesAndMessagesLikeGlibc) {
  EXPECT_STREQ(eai_name(EaiError::kNoName), "EAI_NONAME");
  EXPECT_STREQ(eai_message(EaiError::kNoName), "Name or service not known");
  EXPECT_STREQ(eai_message(EaiError::kAgain), "Temporary failure in name resolution");
  EXPECT_STREQ(eai_message(EaiError::kFail), "Non-recoverable failure in name resolution");
  EXPECT_EQ(static_cast<int>(EaiError::kFamily), -6);
  EXPECT_STREQ(to_string(AnswerSource::kCache), "cache");
}

TEST(Resolver, CountersPrintLikeNetstat) {
  ResolverCounters c;
  c.queries_sent = 3;
  c.drops_wrong_id = 1;
  EXPECT_EQ(c.to_string(), "Dns:\n    3 queries_sent\nDrops:\n    1 dns_wrong_id\n");
  EXPECT_NE(c.to_string(true).find("    0 tcp_fallbacks\n"), std::string::npos);
  EXPECT_EQ(c.get("drops.dns_wrong_id"), 1u);
}

}  // namespace
}  // namespace ustack::dns_testing
