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
  std::vector<DnsZone> files;  // the --zone files' zones, in order
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
    files.push_back(std::move(*p.zone));
  }
  std::map<std::string, DnsZone> by_origin;  // host-record zones, by origin text
  for (const std::string& spec : host_records) {
    auto name = DnsName::parse(spec.substr(0, spec.find(',')));
    if (!name) {
      out.error = "--host-record " + spec + ": bad name (want NAME,ADDR[,ADDR...][,TTL])";
      return out;
    }
    // A name inside a zone file's zone joins it (the innermost): a zone of its own, at or below
    // the file's origin, would hide the file's records there (DnsZoneSet::find picks one zone).
    DnsZone* zone = nullptr;
    for (DnsZone& z : files) {
      if (z.contains(*name) &&
          (!zone || z.origin().labels().size() > zone->origin().labels().size())) {
        zone = &z;
      }
    }
    if (!zone) {
      DnsName origin = parent_of(*name);
      zone = &by_origin.try_emplace(origin.to_string(), origin).first->second;
    }
    if (auto e = zone->add_host_record(spec)) {
      out.error = "--host-record " + spec + ": " + *e;
      return out;
    }
  }
  for (auto& [origin, zone] : by_origin) files.push_back(std::move(zone));
  for (DnsZone& zone : files) {
    out.records += zone.size();
    out.zones.add(std::move(zone));
  }
  return out;
}

}  // namespace ustack::services
