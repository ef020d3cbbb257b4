// The resolver against a scripted server: spoofed, late, malformed and unhelpful answers.
// RFC 5452 §9.1: only an answer from the server's address and port, with the query's ID and
// question, is accepted; everything else is dropped, counted, and the real answer still wins.
#include "stack/dns/resolver_test_util.h"

namespace ustack::dns_testing {
namespace {

struct Hostile {
  DnsRig rig;
  ScriptedServer& server;
  LookupId id;
  explicit Hostile(ResolverConfig cfg = config_with({server4()}),
                   const char* n = "www.example.test")
      : rig(std::move(cfg)), server(rig.script()) {
    id = rig.resolver->start(rig.now, n, AddressFamily::kV4);
    rig.run_for(1_ms);
    EXPECT_EQ(server.received.size(), 1u);
  }
  const DnsMessage& query() const { return server.received.back().query; }
  const UdpEndpoint& client() const { return server.received.back().from; }
  void send(const DnsMessage& m, std::optional<UdpEndpoint> from = std::nullopt) {
    server.send(rig.now, m.to_bytes(), client(), from);
  }
  void send(const ByteVec& b) { server.send(rig.now, b, client()); }
  LookupResult finish() { return rig.run_until_done(id); }
};

void expect_real_answer_accepted(Hostile& h, const char* counter) {
  h.send(a_answer(h.query()));
  auto r = h.finish();
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(addrs_of(r), std::vector{ip("198.18.0.9")});
  EXPECT_EQ(h.rig.counter(counter), 1u);
  EXPECT_EQ(h.rig.counter("dns.responses"), 1u);
}

TEST(ResolverSpoofing, WrongIdIgnored) {
  Hostile h;
  DnsMessage spoof = a_answer(h.query(), "203.0.113.66");
  spoof.id ^= 0x5555;
  h.send(spoof);
  h.rig.run_for(1_ms);
  EXPECT_FALSE(h.rig.resolver->done(h.id));
  expect_real_answer_accepted(h, "drops.dns_wrong_id");
}

TEST(ResolverSpoofing, WrongQuestionIgnored) {
  Hostile h;
  DnsMessage spoof = a_answer(h.query(), "203.0.113.66");
  spoof.questions[0].name = name("evil.example.test");
  h.send(spoof);
  DnsMessage wrong_type = a_answer(h.query(), "203.0.113.66");
  wrong_type.questions[0].type = DnsType::kAaaa;
  h.send(wrong_type);
  h.rig.run_for(1_ms);
  EXPECT_EQ(h.rig.counter("drops.dns_wrong_question"), 2u);
  h.send(a_answer(h.query()));
  EXPECT_FALSE(h.finish().error);
}

// RFC 4343 / "0x20" (draft-vixie-dnsext-dns0x20): the question may come back in another case.
TEST(ResolverSpoofing, QuestionCaseMayDiffer) {
  Hostile h;
  DnsMessage r = a_answer(h.query());
  r.questions[0].name = name("WWW.Example.TEST");
  r.answers[0].name = name("WWW.Example.TEST");
  h.send(r);
  auto res = h.finish();
  ASSERT_FALSE(res.error) << res.detail;
  EXPECT_EQ(addrs_of(res), std::vector{ip("198.18.0.9")});
}

TEST(ResolverSpoofing, WrongSourceAddressIgnored) {
  Hostile h;
  h.send(a_answer(h.query(), "203.0.113.66"), UdpEndpoint{kSpoofer4, kPort});
  h.rig.run_for(1_ms);
  EXPECT_FALSE(h.rig.resolver->done(h.id));
  expect_real_answer_accepted(h, "drops.dns_wrong_source");
}

TEST(ResolverSpoofing, WrongSourcePortIgnored) {
  Hostile h;
  h.send(a_answer(h.query(), "203.0.113.66"), UdpEndpoint{kServer4, kPort + 1});
  h.rig.run_for(1_ms);
  EXPECT_FALSE(h.rig.resolver->done(h.id));
  expect_real_answer_accepted(h, "drops.dns_wrong_source");
}

// RFC 1035 §4.1.1: QR must be set in an answer.
TEST(ResolverSpoofing, QueryInsteadOfResponseIgnored) {
  Hostile h;
  DnsMessage echo = a_answer(h.query(), "203.0.113.66");
  echo.qr = false;
  h.send(echo);
  expect_real_answer_accepted(h, "drops.dns_not_response");
}

// A slow server's answer to the first try, arriving after the second was sent, is taken.
TEST(ResolverRetries, LateAnswerToEarlierTryAccepted) {
  Hostile h;
  DnsMessage first = h.query();
  UdpEndpoint first_from = h.client();
  h.rig.run_for(6_s);
  ASSERT_EQ(h.server.received.size(), 2u);                     // the retransmission at t0+5 s
  EXPECT_NE(h.server.received[1].query.id, first.id);          // RFC 5452: a new ID ...
  EXPECT_NE(h.server.received[1].from.port, first_from.port);  // ... and a new port
  h.server.send(h.rig.now, a_answer(first).to_bytes(), first_from);
  auto r = h.finish();
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(h.rig.counter("dns.retransmits"), 1u);
}

// --- Unhelpful servers -----------------------------------------------------------------------

TEST(ResolverErrors, ServfailFromEveryServerIsEaiAgain) {
  DnsRig rig(config_with({server4()}));
  auto& s = rig.script();
  s.auto_reply = [](const DnsMessage& q) {
    return std::vector<ByteVec>{response_to(q, DnsRcode::kServFail).to_bytes()};
  };
  Instant t0 = rig.now;
  auto r = rig.lookup("www.example.test");
  EXPECT_EQ(r.error, EaiError::kAgain);
  EXPECT_EQ(r.detail, "SERVFAIL from 198.18.0.2:5353");
  EXPECT_EQ(s.received.size(), 2u);  // attempts: 2, no waiting for a timeout
  EXPECT_LT(rig.now, t0 + 1_s);
}

// RFC 6891 §7: FORMERR to a query with OPT → the same question without EDNS.
TEST(ResolverErrors, FormerrToEdnsRetriedWithout) {
  DnsRig rig(config_with({server4()}));
  auto& s = rig.script();
  s.auto_reply = [](const DnsMessage& q) {
    if (q.edns) {
      DnsMessage r = response_to(q, DnsRcode::kFormErr);
      r.questions.clear();  // old servers answer FORMERR without the question
      r.edns.reset();
      return std::vector<ByteVec>{r.to_bytes()};
    }
    return std::vector<ByteVec>{a_answer(q).to_bytes()};
  };
  auto r = rig.lookup("www.example.test");
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(rig.counter("dns.edns_fallbacks"), 1u);
  ASSERT_EQ(s.received.size(), 2u);
  EXPECT_FALSE(s.received[1].query.edns);
}

TEST(ResolverErrors, FormerrWithoutEdnsIsEaiFail) {
  auto cfg = config_with({server4()});
  cfg.edns = false;
  DnsRig rig(cfg);
  rig.script().auto_reply = [](const DnsMessage& q) {
    return std::vector<ByteVec>{response_to(q, DnsRcode::kFormErr).to_bytes()};
  };
  auto r = rig.lookup("www.example.test");
  EXPECT_EQ(r.error, EaiError::kFail);
  EXPECT_EQ(r.detail, "FORMERR from 198.18.0.2:5353");
}

// RFC 7766 §5: a TCP connection that is refused moves on to the next server.
TEST(ResolverErrors, TcpConnectRefusedMovesToNextServer) {
  DnsRig rig(config_with({server4(5355), server4(5353)}));
  rig.serve(5353);
  ScriptedServer tc_only(rig.server_udp, rig.server, 5355);
  rig.server.add_poller(tc_only);
  tc_only.auto_reply = [](const DnsMessage& q) {
    DnsMessage r = response_to(q, DnsRcode::kNoError);
    r.tc = true;
    return std::vector<ByteVec>{r.to_bytes()};
  };
  auto r = rig.lookup("www.example.test");
  rig.server.remove_poller(tc_only);
  ASSERT_FALSE(r.error) << r.detail;
  EXPECT_EQ(r.server, server4(5353));
  EXPECT_EQ(rig.counter("dns.tcp_fallbacks"), 1u);
  EXPECT_EQ(rig.counter("dns.tcp_errors"), 1u);
}

// --- Malformed answers -----------------------------------------------------------------------

// Every try is answered with `bad`; with one server and 2 attempts the lookup fails at once.
LookupResult malformed_lookup(std::function<ByteVec(const DnsMessage&)> bad, DnsRig& rig) {
  rig.script().auto_reply = [bad](const DnsMessage& q) { return std::vector<ByteVec>{bad(q)}; };
  return rig.lookup("www.example.test");
}

// RFC 1035 §4.1.4 / RFC 9267 §2: a compression pointer to itself.
TEST(ResolverMalformed, CompressionLoopIsEaiFail) {
  DnsRig rig(config_with({server4()}));
  auto r = malformed_lookup(
      [](const DnsMessage& q) {
        DnsMessage m = response_to(q, DnsRcode::kNoError);
        m.edns.reset();  // the record below must follow the question directly
        ByteVec b = m.to_bytes();
        store_be16(b, 6, 1);  // ANCOUNT 1
        std::size_t at = b.size();
        b.insert(b.end(),
                 {static_cast<std::uint8_t>(0xc0 | (at >> 8)), static_cast<std::uint8_t>(at), 0, 1,
                  0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4});
        return b;
      },
      rig);
  EXPECT_EQ(r.error, EaiError::kFail);
  EXPECT_EQ(r.detail, "malformed response: pointer_loop");
  EXPECT_EQ(rig.counter("drops.dns_malformed"), 2u);
}

TEST(ResolverMalformed, TruncatedRecordIsEaiFail) {
  DnsRig rig(config_with({server4()}));
  auto r = malformed_lookup(
      [](const DnsMessage& q) {
        DnsMessage m = a_answer(q);
        m.edns.reset();  // so the A record is the last thing in the message
        ByteVec b = m.to_bytes();
        b.resize(b.size() - 2);  // RDATA cut short
        return b;
      },
      rig);
  EXPECT_EQ(r.error, EaiError::kFail);
  EXPECT_EQ(r.detail, "malformed response: truncated");
}

TEST(ResolverMalformed, CountsLargerThanMessageIsEaiFail) {
  DnsRig rig(config_with({server4()}));
  auto r = malformed_lookup(
      [](const DnsMessage& q) {
        ByteVec b = a_answer(q).to_bytes();
        store_be16(b, 6, 500);  // ANCOUNT far beyond what follows
        return b;
      },
      rig);
  EXPECT_EQ(r.error, EaiError::kFail);
  EXPECT_EQ(r.detail, "malformed response: too_many_records");
}

// RFC 1034 §3.6.2: an alias chain that comes back to itself.
TEST(ResolverMalformed, CnameLoopIsEaiFail) {
  DnsRig rig(config_with({server4()}));
  auto r = malformed_lookup(
      [](const DnsMessage& q) {
        DnsMessage m = response_to(q, DnsRcode::kNoError);
        m.answers.push_back({name("www.example.test"), DnsType::kCname, DnsClass::kIn, 60,
                             DnsCname{name("b.example.test")}});
        m.answers.push_back({name("b.example.test"), DnsType::kCname, DnsClass::kIn, 60,
                             DnsCname{name("WWW.example.test")}});
        return m.to_bytes();
      },
      rig);
  EXPECT_EQ(r.error, EaiError::kFail);
  EXPECT_EQ(r.detail, "CNAME loop");
}

// More than 8 aliases in a row is treated as a loop too.
TEST(ResolverMalformed, OverlongCnameChainIsEaiFail) {
  DnsRig rig(config_with({server4()}));
  auto r = malformed_lookup(
      [](const DnsMessage& q) {
        DnsMessage m = response_to(q, DnsRcode::kNoError);
        DnsName from = q.questions[0].name;
        for (int i = 0; i < 9; ++i) {
          DnsName to = name(("c" + std::to_string(i) + ".example.test").c_str());
          m.answers.push_back({from, DnsType::kCname, DnsClass::kIn, 60, DnsCname{to}});
          from = to;
        }
        m.answers.push_back({from, DnsType::kA, DnsClass::kIn, 60, DnsA{}});
        return m.to_bytes();
      },
      rig);
  EXPECT_EQ(r.error, EaiError::kFail);
  EXPECT_EQ(r.detail, "CNAME loop");
}

}  // namespace
}  // namespace ustack::dns_testing
