#include "tools/services/dns_zones.h"

#include <fstream>
#include <map>
#include <sstream>

namespace ustack::services {
namespace {

// web.ustack.test. -> ustack.test.; a one-label name is its own zone.
DnsName parent_of(const DnsName& name) {
  std::vector<std::string> labels = name.labels();
  if (labels.size() > 1) labels.erase(labels.begin());
  auto parent = DnsName::from_labels(labels);
  return parent ? *parent : name;
}

}  // namespace

DnsZonesResult build_dns_zones(const std::vector<std::string>& host_records,
                               const std::vector<std::string>& zone_files) {
  DnsZonesResult out;
  std::map<std::string, DnsZone> by_origin;  // host-record zones, by origin text
  for (const std::string& spec : host_records) {
    auto name = DnsName::parse(spec.substr(0, spec.find(',')));
    if (!name) {
      out.error = "--host-record " + spec + ": bad name (want NAME,ADDR[,ADDR...][,TTL])";
      return out;
    }
    DnsName origin = parent_of(*name);
    auto [it, fresh] = by_origin.try_emplace(origin.to_string(), origin);
    if (auto e = it->second.add_host_record(spec)) {
      out.error = "--host-record " + spec + ": " + *e;
      return out;
    }
  }
  for (auto& [origin, zone] : by_origin) {
    out.records += zone.size();
    out.zones.add(std::move(zone));
  }
  for (const std::string& path : zone_files) {
    std::ifstream in(path);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in) {
      out.error = "--zone " + path + ": cannot read";
      return out;
    }
    DnsZoneParse p = parse_zone_file(text.str(), ".");
    for (const auto& w : p.warnings) out.warnings.push_back("--zone " + path + ": " + w);
    if (!p.zone) {
      out.error = "--zone " + path + ": bad $ORIGIN";
      return out;
    }
    out.records += p.zone->size();
    out.zones.add(std::move(*p.zone));
  }
  return out;
}

}  // namespace ustack::services
