// `ustack serve`: services on the stack, several in one process, each SERVICE:PORT.
//
//   ustack serve --tun bgv0 --addr 198.18.4.2/24 --mtu 1500 bulk:5001 echo:5002
//   ustack serve --tun ust0 --netns demo --addr 198.18.0.2/24 --peer 198.18.0.1/24
//                http:8080 http:8081:/srv/www discard:9     (one command line)
//
// Services (tools/services/): echo, discard, bulk (the bench rig's protocol), http (generated
// bodies at /bytes/N, or a directory with http:PORT:DIR) over TCP; udp-echo over UDP; dns, an
// authoritative server (stack/dns/dns_server.h) over both, answering from --host-record and
// --zone. Each listens on every address
// family the stack has an address of. Prints a "ready" line once listening, counters on
// SIGUSR1 and at exit; stops on SIGINT/SIGTERM.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>

#include "stack/dns/dns_server.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "tools/device_options.h"
#include "tools/services/counters_text.h"
#include "tools/services/dns_zones.h"
#include "tools/services/service_spec.h"
#include "tools/services/tcp_cli.h"
#include "tools/services/tcp_host.h"
#include "tools/services/udp_cli.h"
#include "tools/services/udp_echo.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"
#include "tun/pcap_file.h"
#include "tun/runtime.h"

namespace ustack::tools {
namespace {

using services::ServiceHost;

struct ServeOptions {
  DeviceOptions device;
  services::TcpCliOptions tcp;
  std::vector<std::string> host_records;
  std::vector<std::string> zone_files;
  std::vector<std::string> services;
};

std::string dns_text(const std::vector<std::unique_ptr<DnsServer>>& servers) {
  DnsServerCounters c;
  for (const auto& d : servers) {
    const DnsServerCounters& x = d->counters();
    c.udp_queries += x.udp_queries;
    c.tcp_queries += x.tcp_queries;
    c.tcp_connections += x.tcp_connections;
    c.truncated += x.truncated;
    c.nxdomain += x.nxdomain;
    c.refused += x.refused;
    c.formerr += x.formerr;
    c.drops_malformed += x.drops_malformed;
    c.send_errors += x.send_errors;
  }
  return services::counters_section("DnsServer", {{"udp_queries", c.udp_queries},
                                                  {"tcp_queries", c.tcp_queries},
                                                  {"tcp_connections", c.tcp_connections},
                                                  {"truncated", c.truncated},
                                                  {"nxdomain", c.nxdomain},
                                                  {"refused", c.refused},
                                                  {"formerr", c.formerr},
                                                  {"drops_malformed", c.drops_malformed},
                                                  {"send_errors", c.send_errors}});
}

std::string stats_text(const std::string& section, const services::ServiceHostStats& st) {
  return services::counters_section(section.c_str(), {{"accepted", st.accepted},
                                                      {"active", st.active()},
                                                      {"closed", st.closed},
                                                      {"reset_protocol_error", st.aborted},
                                                      {"connection_failed", st.failed},
                                                      {"bytes_in", st.bytes_in},
                                                      {"bytes_out", st.bytes_out}});
}

// "Services:" (all TCP services together), then one section per service, "Service echo 7:"
// (the service's name with its colons as spaces: section names end at the colon).
std::string host_text(const ServiceHost& host) {
  std::string s = stats_text("Services", host.stats());
  for (const auto& [name, st] : host.service_stats()) {
    std::string section = "Service " + name;
    std::replace(section.begin(), section.end(), ':', ' ');
    s += stats_text(section, st);
  }
  return s;
}

// The services of one shard (all of them with one queue): with --queues N every shard listens on
// the same ports, so whichever queue the kernel steers a flow to has a listener for it.
class ServeShard {
 public:
  ServeShard(DeviceSession& s, DeviceShard& shard, const services::ServiceSpecs& specs,
             const services::TcpSetup& tcp_setup, const DnsZoneSet& zones)
      : udp_echo_(shard.udp(), shard.stack()),
        echo_poller_(shard.stack(), udp_echo_),
        host_(shard.tcp(), [](const std::string& line) {
          std::printf("ustack serve: %s\n", line.c_str());
          std::fflush(stdout);
        }) {
    bool v4 = false, v6 = false;
    for (const auto& a : s.setup().addrs) (a.addr.is_v4() ? v4 : v6) = true;
    if (!v4 && !v6) throw std::runtime_error("no address to serve on: give --addr");
    for (const auto& spec : specs.specs) {
      if (spec.kind == services::ServiceKind::kUdpEcho) {
        for (IpVersion family : s.families()) {
          if (auto e = udp_echo_.listen(family, spec.port)) {
            throw std::runtime_error(spec.text + ": " + services::udp_error_text(*e));
          }
        }
        listening_ += " " + spec.text;
        continue;
      }
      if (spec.kind == services::ServiceKind::kDns) {
        DnsServerConfig cfg;
        cfg.port = spec.port;
        dns_.push_back(
            std::make_unique<DnsServer>(cfg, zones, shard.udp(), shard.tcp(), shard.stack()));
        if (auto e = dns_.back()->start(shard.runtime().now())) {
          throw std::runtime_error(spec.text + ": " + *e);
        }
        dns_pollers_.push_back(std::make_unique<ScopedPoller>(shard.stack(), *dns_.back()));
        listening_ += " " + spec.text;
        continue;
      }
      // http's Date and Last-Modified are wall-clock times; the sessions get the runtime's
      // steady Instants and this offset to Unix time, taken once (a later clock step is not
      // followed).
      factories_.push_back(
          std::make_unique<services::ServiceFactory>(spec, tun::steady_clock_epoch_offset()));
      const services::ServiceFactory* f = factories_.back().get();
      std::string name = std::string(to_string(spec.kind)) + ":" + std::to_string(spec.port);
      for (IpAddr any : {IpAddr(Ipv4Addr()), IpAddr(Ipv6Addr())}) {
        if ((any.is_v4() && !v4) || (any.is_v6() && !v6)) continue;
        if (auto e = host_.listen(
                any, spec.port, name, [f] { return f->make(); }, tcp_setup.socket)) {
          throw std::runtime_error(spec.text + ": " + services::tcp_error_text(*e));
        }
      }
      listening_ += " " + spec.text;
    }
    // The host is one of the Stack's pollers: stepped in the poll that delivered its segments,
    // and its poll_at() (a session's deadline, e.g. bulk 'R' streaming) is the Stack's.
    host_poller_ = std::make_unique<ScopedPoller>(shard.stack(), host_);
    shard.runtime().wake();
  }

  const std::string& listening() const { return listening_; }
  std::string counters_text() const {
    return host_text(host_) + udp_echo_.counters_text() + (dns_.empty() ? "" : dns_text(dns_));
  }

 private:
  // The UDP echo and the DNS servers answer in the poll that delivered the request.
  services::UdpEchoService udp_echo_;
  ScopedPoller echo_poller_;
  std::vector<std::unique_ptr<DnsServer>> dns_;
  std::vector<std::unique_ptr<ScopedPoller>> dns_pollers_;
  ServiceHost host_;
  std::vector<std::unique_ptr<services::ServiceFactory>> factories_;
  std::unique_ptr<ScopedPoller> host_poller_;
  std::string listening_;
};

int serve(DeviceSession& s, const services::ServiceSpecs& specs,
          const services::TcpSetup& tcp_setup, const DnsZoneSet& zones) {
  // Each shard's services are made (and read) on the shard's own thread; they go away after
  // run_until_stopped has stopped the shards' threads, or here if one could not listen.
  std::vector<std::unique_ptr<ServeShard>> shards(s.shard_count());
  try {
    s.on_each_shard([&](DeviceShard& shard) {
      shards[shard.index()] = std::make_unique<ServeShard>(s, shard, specs, tcp_setup, zones);
      return std::string();
    });
  } catch (...) {
    s.stop_shards();
    throw;
  }
  std::printf("ustack serve: ready: %s; serving%s\n", s.describe().c_str(),
              shards[0]->listening().c_str());
  return s.run_until_stopped(
      "serve", [&shards](DeviceShard& shard) { return shards[shard.index()]->counters_text(); });
}

int run_serve(const ServeOptions& opts) {
  services::ServiceSpecs specs = services::parse_service_specs(opts.services);
  if (!specs.error.empty()) return usage_error(specs.error);
  services::TcpSetupResult tcp = services::parse_tcp_options(opts.tcp);
  if (!tcp.setup) return usage_error(tcp.error);
  TransportConfig transports;
  transports.tcp = services::tcp_layer_config(*tcp.setup);
  std::vector<std::string> dns_specs;
  for (const auto& spec : specs.specs) {
    if (spec.kind == services::ServiceKind::kDns) dns_specs.push_back(spec.text);
  }
  services::DnsZonesResult zones = services::build_dns_zones(opts.host_records, opts.zone_files);
  if (zones.error.empty() && !dns_specs.empty() && zones.records == 0) {
    zones.error = dns_specs.front() + " needs --host-record or --zone";
  }
  if (!zones.error.empty()) return usage_error(zones.error);
  for (const auto& w : zones.warnings)
    std::fprintf(stderr, "ustack serve: warning: %s\n", w.c_str());
  return run_with_device("serve", opts.device, transports, [&](DeviceSession& s) {
    return serve(s, specs, *tcp.setup, zones.zones);
  });
}

Subcommand serve_cmd(
    "serve", "run services (echo, discard, http, bulk, udp-echo, dns) on the stack",
    [](CLI::App& app) {
      auto opts = std::make_shared<ServeOptions>();
      add_device_options(app, opts->device);
      services::add_tcp_options(app, opts->tcp);
      app.add_option("--host-record", opts->host_records,
                     "dns: NAME,ADDR[,ADDR...][,TTL] (dnsmasq's form), repeatable; the name "
                     "joins the --zone it is in, else its parent becomes a zone we answer for")
          ->type_name("RECORD")
          ->allow_extra_args(false);
      app.add_option("--zone", opts->zone_files,
                     "dns: a zone file ($ORIGIN, $TTL; A, AAAA, CNAME, TXT records), repeatable; "
                     "its first $ORIGIN names the zone")
          ->type_name("FILE")
          ->allow_extra_args(false);
      app.add_option("services", opts->services,
                     "SERVICE:PORT, repeatable: echo:7 discard:9 bulk:5001 http:8080 "
                     "(GET /bytes/N) http:8080:DIR (a directory) udp-echo:7 (UDP) dns:53 "
                     "(UDP and TCP, answers from --host-record/--zone)")
          ->required()
          ->type_name("SERVICE:PORT");
      app.footer(
          "Example:\n  ustack serve --tun ust0 --netns demo --addr 198.18.0.2/24 "
          "--peer 198.18.0.1/24 echo:7 http:8080\n  ip netns exec demo curl -o /dev/null "
          "http://198.18.0.2:8080/bytes/104857600");
      return [opts] { return run_serve(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
