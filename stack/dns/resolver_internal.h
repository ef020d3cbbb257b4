// The Resolver's private state, shared by resolver.cc (lookups) and resolver_query.cc (one
// question asked of the servers). Not part of the API.
#pragma once

#include <limits>

#include "stack/dns/resolver.h"

namespace ustack {

// How one query (candidate name, type) ended.
struct Resolver::Outcome {
  enum class Kind : std::uint8_t {
    kAddresses,  // the RRset (maybe after CNAMEs)
    kNxDomain,
    kNoData,
    kServFail,  // SERVFAIL/REFUSED (and maybe timeouts) from every try: next candidate
    kTimeout,   // no answer from any try: stop
    kFail,      // FORMERR/NOTIMP/malformed from every try, CNAME loop: stop
  };
  Kind kind = Kind::kTimeout;
  std::vector<ResolvedAddress> addrs;
  DnsName canonical;
  std::vector<DnsName> chain;
  AnswerSource source = AnswerSource::kUdp;
  std::optional<NameServer> server;
  std::string detail;
};

struct Resolver::Query {
  static constexpr std::uint32_t kNoTtl = std::numeric_limits<std::uint32_t>::max();

  struct UdpTry {
    SocketHandle sock;
    std::uint16_t id = 0;
    std::size_t server = 0;
    bool edns = false;
  };
  struct TcpTry {
    SocketHandle sock;
    std::uint16_t id = 0;
    std::size_t server = 0;
    bool edns = false;
    ByteVec out;  // the framed query
    std::size_t out_sent = 0;
    ByteVec in;  // received bytes not yet parsed into messages
  };

  DnsType type = DnsType::kA;
  DnsName asked;               // the candidate name (the cache key)
  DnsName qname;               // the name in the question now (the end of the chain so far)
  std::vector<DnsName> chain;  // aliases followed so far
  std::uint32_t chain_ttl = kNoTtl;

  std::size_t first_server = 0;  // rotate
  unsigned try_index = 0;        // tries started; server and round follow from it
  bool use_edns = true;
  Instant try_deadline = Instant::never();
  std::vector<UdpTry> udp;    // every UDP try still listening, the current one last
  std::optional<TcpTry> tcp;  // the current try when set

  // How the tries ended so far.
  unsigned tries_ended = 0;
  unsigned hard_failures = 0;  // FORMERR, NOTIMP, malformed
  unsigned soft_failures = 0;  // SERVFAIL, REFUSED, send or TCP errors
  std::string hard_detail;     // the last of each
  std::string soft_detail;
  std::optional<NameServer> last_server;  // the last server that answered anything

  std::optional<Outcome> outcome;
};

struct Resolver::Lookup {
  LookupId id = 0;
  std::string name;
  AddressFamily family = AddressFamily::kUnspec;
  Instant deadline;
  std::vector<DnsName> candidates;
  std::size_t next_candidate = 0;
  std::size_t as_is = 0;       // index of the as-is name in candidates
  std::vector<Query> queries;  // the current candidate's (A and/or AAAA)
  std::optional<LookupResult> as_is_error;
  std::optional<LookupResult> result;
};

}  // namespace ustack
