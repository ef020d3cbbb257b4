#include "stack/dns/resolver_config.h"

#include <algorithm>
#include <charconv>

#include "stack/dns/text_util.h"

namespace ustack {
namespace {

std::optional<unsigned> parse_unsigned(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) return 1000000;  // clamped below anyway
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string strip_dot(std::string_view d) {
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  return std::string(d);
}

// glibc accepts and uses these; ustack has nothing to do for them.
bool is_ignored_glibc_option(std::string_view o) {
  static constexpr std::string_view kIgnored[] = {"debug",
                                                  "inet6",
                                                  "ip6-bytestring",
                                                  "ip6-dotint",
                                                  "no-ip6-dotint",
                                                  "single-request",
                                                  "single-request-reopen",
                                                  "no-check-names",
                                                  "no-tld-query",
                                                  "no-reload",
                                                  "trust-ad",
                                                  "no-aaaa",
                                                  "insecure1",
                                                  "insecure2"};
  return std::find(std::begin(kIgnored), std::end(kIgnored), o) != std::end(kIgnored);
}

class Parser {
 public:
  ResolvConfParse run(std::string_view text) {
    dns_text::for_each_line(text, "#;", [&](std::size_t line_no, const auto& words) {
      line_no_ = line_no;
      handle(words);
    });
    out_.config.clamp();
    return std::move(out_);
  }

 private:
  void warn(std::string what) {
    out_.warnings.push_back("line " + std::to_string(line_no_) + ": " + std::move(what));
  }

  void handle(const std::vector<std::string_view>& w) {
    std::string_view key = w[0];
    if (key == "nameserver") return nameserver(w);
    if (key == "search" || key == "domain") return search(w);
    if (key == "options") {
      for (std::size_t i = 1; i < w.size(); ++i) option(w[i]);
      return;
    }
    if (key == "sortlist") return warn("'sortlist' is not supported (ignored)");
    warn("unknown keyword '" + std::string(key) + "'");
  }

  void nameserver(const std::vector<std::string_view>& w) {
    if (w.size() < 2) return warn("'nameserver' without an address");
    auto ns = NameServer::parse(w[1]);
    if (!ns) return warn("bad nameserver address '" + std::string(w[1]) + "'");
    if (w.size() > 2) warn("text after the nameserver address ignored");
    if (out_.config.nameservers.size() >= ResolverConfig::kMaxNameServers) {
      return warn("more than 3 nameservers: " + ns->to_string() + " ignored (glibc MAXNS)");
    }
    out_.config.nameservers.push_back(*ns);
  }

  // glibc: `domain` and `search` replace each other; the last one wins.
  void search(const std::vector<std::string_view>& w) {
    if (w.size() < 2) return warn("'" + std::string(w[0]) + "' without a domain");
    out_.config.search.clear();
    if (w[0] == "domain") {
      if (w.size() > 2) warn("'domain' takes one name; the rest ignored");
      out_.config.search.push_back(strip_dot(w[1]));
      return;
    }
    for (std::size_t i = 1; i < w.size(); ++i) {
      if (w[i] == ".") continue;  // the root adds nothing over the as-is query
      out_.config.search.push_back(strip_dot(w[i]));
    }
  }

  void option(std::string_view o) {
    ResolverConfig& c = out_.config;
    std::size_t colon = o.find(':');
    std::string_view name = o.substr(0, colon);
    if (colon != std::string_view::npos) {
      std::string_view value = o.substr(colon + 1);
      auto n = parse_unsigned(value);
      if (name != "ndots" && name != "timeout" && name != "attempts") {
        return warn("unknown option '" + std::string(o) + "'");
      }
      if (!n) return warn("bad value in option '" + std::string(o) + "'");
      if (name == "ndots") c.ndots = *n;
      if (name == "timeout") c.timeout = Duration::seconds(std::min<unsigned>(*n, 1000));
      if (name == "attempts") c.attempts = *n;
      return;
    }
    if (o == "rotate") {
      c.rotate = true;
    } else if (o == "edns0") {
      c.edns = true;
    } else if (o == "use-vc") {
      c.force_tcp = true;
    } else if (is_ignored_glibc_option(o)) {
      warn("option '" + std::string(o) + "' has no effect in ustack");
    } else {
      warn("unknown option '" + std::string(o) + "'");
    }
  }

  ResolvConfParse out_;
  std::size_t line_no_ = 0;
};

}  // namespace

std::string NameServer::to_string() const {
  if (port == 53) return addr.to_string();
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(port);
  return addr.to_string() + ":" + std::to_string(port);
}

std::optional<NameServer> NameServer::parse(std::string_view text) {
  std::string_view host = text;
  std::optional<unsigned> port = 53;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = parse_unsigned(rest.substr(1));
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // v4:port
    std::size_t colon = text.find(':');
    host = text.substr(0, colon);
    port = parse_unsigned(text.substr(colon + 1));
  }
  if (!port || *port == 0 || *port > 65535) return std::nullopt;
  auto addr = IpAddr::parse(host);
  if (!addr || addr->is_unspecified() || addr->is_multicast()) return std::nullopt;
  return NameServer{*addr, static_cast<std::uint16_t>(*port)};
}

Duration ResolverConfig::try_timeout(unsigned round) const {
  if (round == 0 || nameservers.empty()) return timeout;
  Duration t = timeout * (std::int64_t{1} << std::min(round, 16u)) /
               static_cast<std::int64_t>(nameservers.size());
  return std::max(t, Duration::seconds(1));
}

Duration ResolverConfig::lookup_deadline() const {
  if (deadline > Duration::zero()) return deadline;
  Duration sum;
  std::size_t n = std::max<std::size_t>(nameservers.size(), 1);
  for (unsigned r = 0; r < attempts; ++r) sum += try_timeout(r) * static_cast<std::int64_t>(n);
  return std::min(sum, kMaxAutoDeadline);
}

void ResolverConfig::clamp() {
  ndots = std::min(ndots, kMaxNdots);
  attempts = std::clamp(attempts, 1u, kMaxAttempts);
  timeout = std::clamp(timeout, Duration::seconds(1), kMaxTimeout);
  if (nameservers.size() > kMaxNameServers) nameservers.resize(kMaxNameServers);
}

ResolvConfParse parse_resolv_conf(std::string_view text) { return Parser().run(text); }

}  // namespace ustack
