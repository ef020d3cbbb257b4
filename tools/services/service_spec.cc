#include "tools/services/service_spec.h"

#include <sys/stat.h>

#include <charconv>
#include <map>

#include "tools/services/bulk.h"
#include "tools/services/echo_discard.h"

namespace ustack::services {

const char* to_string(ServiceKind k) {
  switch (k) {
    case ServiceKind::kEcho:
      return "echo";
    case ServiceKind::kDiscard:
      return "discard";
    case ServiceKind::kHttp:
      return "http";
    case ServiceKind::kBulk:
      return "bulk";
    case ServiceKind::kUdpEcho:
      return "udp-echo";
    case ServiceKind::kDns:
      return "dns";
  }
  return "?";
}

bool uses_tcp(ServiceKind k) { return k != ServiceKind::kUdpEcho; }
bool uses_udp(ServiceKind k) { return k == ServiceKind::kUdpEcho || k == ServiceKind::kDns; }

namespace {

constexpr const char* kKnown = "echo, discard, http, bulk, udp-echo, dns";

std::string parse_one(const std::string& arg, ServiceSpec& spec) {
  spec.text = arg;
  std::size_t c1 = arg.find(':');
  if (c1 == std::string::npos) {
    return "'" + arg + "': want SERVICE:PORT (services: " + kKnown + ")";
  }
  std::string name = arg.substr(0, c1);
  std::size_t c2 = arg.find(':', c1 + 1);
  std::string port = arg.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
  if (name == "echo") {
    spec.kind = ServiceKind::kEcho;
  } else if (name == "discard") {
    spec.kind = ServiceKind::kDiscard;
  } else if (name == "http") {
    spec.kind = ServiceKind::kHttp;
  } else if (name == "bulk") {
    spec.kind = ServiceKind::kBulk;
  } else if (name == "udp-echo") {
    spec.kind = ServiceKind::kUdpEcho;
  } else if (name == "dns") {
    spec.kind = ServiceKind::kDns;
  } else {
    return "unknown service '" + name + "' in '" + arg + "' (services: " + kKnown + ")";
  }
  std::uint64_t p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec == std::errc::invalid_argument || ptr != port.data() + port.size()) {
    return "bad port '" + port + "' in '" + arg + "': want a number 1..65535";
  }
  if (ec == std::errc::result_out_of_range || p < 1 || p > 65535) {
    return "port " + port + " out of range (1..65535) in '" + arg + "'";
  }
  spec.port = static_cast<std::uint16_t>(p);
  if (c2 != std::string::npos) {
    if (spec.kind != ServiceKind::kHttp) {
      return "'" + arg + "': only http takes a directory (http:PORT:DIR)";
    }
    spec.dir = arg.substr(c2 + 1);
    struct stat st;
    if (spec.dir.empty()) return "'" + arg + "': empty directory";
    if (::stat(spec.dir.c_str(), &st) != 0) return "'" + arg + "': no such directory " + spec.dir;
    if (!S_ISDIR(st.st_mode)) return "'" + arg + "': " + spec.dir + " is not a directory";
    while (spec.dir.size() > 1 && spec.dir.back() == '/') spec.dir.pop_back();
  }
  return {};
}

}  // namespace

ServiceSpecs parse_service_specs(const std::vector<std::string>& args) {
  ServiceSpecs out;
  if (args.empty()) {
    out.error = std::string("no service given: want SERVICE:PORT ... (services: ") + kKnown + ")";
    return out;
  }
  std::map<std::uint16_t, std::string> tcp_ports, udp_ports;
  // The argument already on `spec`'s port in `ports`, if `used`; else claims the port.
  auto taken = [](bool used, std::map<std::uint16_t, std::string>& ports,
                  const ServiceSpec& spec) -> std::string {
    if (!used) return {};
    auto [it, fresh] = ports.emplace(spec.port, spec.text);
    return fresh ? std::string() : it->second;
  };
  for (const auto& a : args) {
    ServiceSpec spec;
    std::string e = parse_one(a, spec);
    if (e.empty()) {
      std::string other = taken(uses_tcp(spec.kind), tcp_ports, spec);
      if (other.empty()) other = taken(uses_udp(spec.kind), udp_ports, spec);
      if (!other.empty()) {
        e = "port " + std::to_string(spec.port) + " given twice (" + other + ", " + a + ")";
      }
    }
    if (!e.empty()) {
      out.error = e;
      out.specs.clear();
      return out;
    }
    out.specs.push_back(std::move(spec));
  }
  return out;
}

ServiceFactory::ServiceFactory(const ServiceSpec& spec, Duration unix_offset)
    : kind_(spec.kind), unix_offset_(unix_offset) {
  if (kind_ == ServiceKind::kHttp) {
    if (spec.dir.empty()) {
      content_ = std::make_shared<GeneratedContent>();
    } else {
      content_ = std::make_shared<DirectoryContent>(spec.dir);
    }
  }
}

std::unique_ptr<Session> ServiceFactory::make() const {
  switch (kind_) {
    case ServiceKind::kEcho:
      return std::make_unique<EchoSession>();
    case ServiceKind::kDiscard:
      return std::make_unique<DiscardSession>();
    case ServiceKind::kBulk:
      return std::make_unique<BulkSession>();
    case ServiceKind::kHttp:
      return std::make_unique<HttpSession>(*content_, unix_offset_);
    case ServiceKind::kUdpEcho:
    case ServiceKind::kDns:
      break;  // not sessions: `serve` runs them itself
  }
  return nullptr;
}

}  // namespace ustack::services
