// The zones `ustack serve dns:PORT` answers from: --host-record NAME,ADDR[,ADDR...][,TTL]
// (dnsmasq's form, repeatable) and --zone FILE (the zone-file subset of stack/dns/zone.h, its
// $ORIGIN line naming the zone; the root if it has none).
//
// A host record's zone is its name's parent (web.ustack.test -> ustack.test.), so records
// that share a parent share a zone, unless the name is inside a zone file's zone: then it joins
// that zone. The server is authoritative in each zone (NXDOMAIN for other names in it) and
// answers REFUSED outside every zone.
#pragma once

#include <string>
#include <vector>

#include "stack/dns/zone.h"

namespace ustack::services {

struct DnsZonesResult {
  DnsZoneSet zones;
  std::size_t records = 0;
  std::string error;                  // one line naming the bad option; empty when good
  std::vector<std::string> warnings;  // what a zone file had that was skipped
};
DnsZonesResult build_dns_zones(const std::vector<std::string>& host_records,
                               const std::vector<std::string>& zone_files);

}  // namespace ustack::services
