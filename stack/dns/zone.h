// An authoritative zone held in memory, and the answer logic of a small authoritative server
// (RFC 1034 §4.3.2, simplified: no delegations, no wildcards, no DNSSEC).
//
// Built from `--host-record NAME,ADDR[,ADDR...][,TTL]` entries (dnsmasq's form) or from a
// zone-file subset (RFC 1035 §5.1):
//   $TTL 300
//   $ORIGIN example.test.
//   NAME [TTL] [IN] A|AAAA|CNAME|TXT VALUE     (NAME "@" is the origin; a name without a
//                                               trailing dot is relative to the origin;
//                                               TXT takes "quoted strings" or bare words)
// The SOA is synthesized (ns.ORIGIN, hostmaster.ORIGIN, serial 1, MINIMUM = the zone's
// negative TTL) and served in the authority section of NXDOMAIN and NODATA answers so
// resolvers can cache them (RFC 2308 §3).
//
// answer() builds the whole response; DnsZoneSet::answer() picks the zone (the longest origin
// containing the name), answers REFUSED outside every zone, and applies the UDP size limit:
// an answer larger than the requester's EDNS payload size (RFC 6891 §6.2.5; 512 without EDNS,
// RFC 1035 §4.2.1) goes out with TC set and the answer, authority and additional sections
// emptied (as BIND does), so the client retries over TCP (RFC 7766 §5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/bytes.h"
#include "stack/wire/dns.h"

namespace ustack {

class DnsZone {
 public:
  explicit DnsZone(DnsName origin, std::uint32_t negative_ttl = 60);

  const DnsName& origin() const { return origin_; }
  DnsRecord soa() const;
  // False (and nothing added) if the owner is outside the zone or the type does not match
  // the RDATA.
  bool add(DnsRecord r);
  // "www.example.test,198.18.0.9,fd00::9[,300]" (names relative to nothing: taken absolute).
  // nullopt on success, else what is wrong.
  std::optional<std::string> add_host_record(std::string_view spec, std::uint32_t ttl = 300);
  bool contains(const DnsName& name) const;  // at or below the origin
  // The response to a one-question QUERY for a name inside this zone (AA set; NOERROR with the
  // CNAME chain and the RRset, NODATA or NXDOMAIN with the SOA).
  DnsMessage answer(const DnsMessage& query) const;
  std::size_t size() const { return records_.size(); }

 private:
  // Records owned by `name` (any case).
  std::vector<const DnsRecord*> at(const DnsName& name) const;
  // True if some record is owned by a name below `name` (an empty non-terminal: NODATA).
  bool has_descendants(const DnsName& name) const;

  DnsName origin_;
  std::uint32_t negative_ttl_;
  std::vector<DnsRecord> records_;  // in the order added
};

struct DnsZoneParse {
  std::optional<DnsZone> zone;        // nullopt only if the origin is not a valid name
  std::vector<std::string> warnings;  // "line 3: unknown type 'MX'"
};
// Parses the zone-file subset above; `origin` is the zone's origin and the initial $ORIGIN.
// Given as the root ("."), the file names its zone: a $ORIGIN before the first record sets the
// zone's origin too (`ustack serve --zone`); without one the zone is the root.
DnsZoneParse parse_zone_file(std::string_view text, std::string_view origin,
                             std::uint32_t default_ttl = 300);

class DnsZoneSet {
 public:
  void add(DnsZone zone) { zones_.push_back(std::move(zone)); }
  const std::vector<DnsZone>& zones() const { return zones_; }
  // The zone with the longest origin containing `name`, or nullptr.
  const DnsZone* find(const DnsName& name) const;
  // The response for `query` received over UDP (udp = true: size-limited) or TCP.
  DnsMessage answer(const DnsMessage& query, bool udp) const;
  // The UDP payload limit for `query`'s response: its EDNS size (at least 512), or 512.
  static std::size_t udp_limit(const DnsMessage& query);

 private:
  std::vector<DnsZone> zones_;
};

// A response header for `query` (ID, opcode, RD and the question copied; QR set).
DnsMessage response_to(const DnsMessage& query, DnsRcode rcode);

}  // namespace ustack
