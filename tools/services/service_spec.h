// `ustack serve` service arguments: SERVICE:PORT[:DIR], checked, and the sessions they make.
//
//   echo:5002   discard:9   bulk:5001   http:8080 (generated bodies)   http:8080:/srv/www
//   udp-echo:7 (RFC 862 over UDP)   dns:53 (authoritative, over UDP and TCP)
//
// The TCP services run as sessions (ServiceFactory); udp-echo and dns are Pollables that
// `serve` runs itself (tools/services/udp_echo.h, stack/dns/dns_server.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tools/services/http.h"
#include "tools/services/session.h"

namespace ustack::services {

enum class ServiceKind { kEcho, kDiscard, kHttp, kBulk, kUdpEcho, kDns };
const char* to_string(ServiceKind k);
// The transports a service listens on (dns: both).
bool uses_tcp(ServiceKind k);
bool uses_udp(ServiceKind k);

struct ServiceSpec {
  ServiceKind kind = ServiceKind::kEcho;
  std::uint16_t port = 0;
  std::string dir;   // http only: the served directory (empty: generated bodies)
  std::string text;  // as given, for messages
};

struct ServiceSpecs {
  std::vector<ServiceSpec> specs;
  std::string error;  // one line naming the problem; empty when specs are good
};

// Parses and checks every argument: syntax, known service, port 1..65535, no port twice on the
// same transport (udp-echo:7 and echo:7 can go together), and an http directory that exists.
ServiceSpecs parse_service_specs(const std::vector<std::string>& args);

// Makes sessions for one TCP session service (not udp-echo, dns). Holds what its sessions share
// (the http content, and the offset from the sessions' Instants to Unix time for http's dates:
// HttpSession).
class ServiceFactory {
 public:
  explicit ServiceFactory(const ServiceSpec& spec, Duration unix_offset = Duration::zero());
  std::unique_ptr<Session> make() const;

 private:
  ServiceKind kind_;
  Duration unix_offset_;
  std::shared_ptr<HttpContent> content_;
};

}  // namespace ustack::services
