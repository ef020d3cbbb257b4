#include "stack/counters.h"

#include <cstdio>
#include <string>

namespace ustack {
namespace {

constexpr const char* kNames[] = {
#define USTACK_CTR_NAME(id, name) name,
    USTACK_COUNTERS(USTACK_CTR_NAME)
#undef USTACK_CTR_NAME
};

constexpr const char* kLayerNames[] = {"eth",    "arp", "ipv4", "ipv6", "icmp",
                                       "icmpv6", "ndp", "udp",  "igmp", "mld"};
static_assert(std::size(kLayerNames) == static_cast<std::size_t>(ParseLayer::kCount));

constexpr std::size_t kParseErrors = static_cast<std::size_t>(ParseError::kUnsupported) + 1;

// Built once; the strings live for the program so their c_str() can be a TraceEvent::what.
const std::array<std::array<std::string, kParseErrors>,
                 static_cast<std::size_t>(ParseLayer::kCount)>&
parse_names() {
  static const auto* names = [] {
    auto* n = new std::array<std::array<std::string, kParseErrors>,
                             static_cast<std::size_t>(ParseLayer::kCount)>();
    for (std::size_t l = 0; l < n->size(); ++l) {
      for (std::size_t e = 0; e < kParseErrors; ++e) {
        (*n)[l][e] = std::string("drops.") + kLayerNames[l] + "_" +
                     ustack::to_string(static_cast<ParseError>(e));
      }
    }
    return n;
  }();
  return *names;
}

std::string group_title(std::string_view name) {
  std::string_view g = name.substr(0, name.find('.'));
  if (g == "ip") return "Ip";
  if (g == "ip6") return "Ip6";
  if (g == "icmp") return "Icmp";
  if (g == "icmp6") return "Icmp6";
  if (g == "arp") return "Arp";
  if (g == "ndp") return "Ndp";
  if (g == "igmp") return "Igmp";
  if (g == "mld") return "Mld";
  if (g == "link") return "Link";
  if (g == "drops") return "Drops";
  std::string t(g);
  if (!t.empty()) t[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(t[0])));
  return t;
}

}  // namespace

const char* counter_name(Ctr c) { return kNames[static_cast<std::size_t>(c)]; }

const char* parse_drop_name(ParseLayer layer, ParseError e) {
  return parse_names()[static_cast<std::size_t>(layer)][static_cast<std::size_t>(e)].c_str();
}

std::uint64_t Counters::get(std::string_view name) const {
  std::uint64_t v = 0;
  for_each(
      [&](std::string_view n, std::uint64_t value) {
        if (n == name) v = value;
      },
      true);
  return v;
}

std::uint64_t Counters::total_drops() const {
  std::uint64_t v = 0;
  for_each([&](std::string_view n, std::uint64_t value) {
    if (n.starts_with("drops.")) v += value;
  });
  return v;
}

void Counters::for_each(const std::function<void(std::string_view, std::uint64_t)>& f,
                        bool include_zero) const {
  for (std::size_t i = 0; i < fixed_.size(); ++i) {
    if (include_zero || fixed_[i] != 0) f(kNames[i], fixed_[i]);
  }
  for (std::size_t l = 0; l < parse_.size(); ++l) {
    for (std::size_t e = 0; e < kParseErrors; ++e) {
      if (include_zero || parse_[l][e] != 0) f(parse_names()[l][e], parse_[l][e]);
    }
  }
}

void append_counter(std::string& out, std::uint64_t value, std::string_view name) {
  out += "    ";
  out += std::to_string(value);
  out += ' ';
  out += name;
  out += '\n';
}

std::string Counters::to_string(bool include_zero) const {
  // Drops are printed last in one section; the other groups keep declaration order.
  std::string out, drops, current;
  for_each(
      [&](std::string_view name, std::uint64_t value) {
        std::string line;
        append_counter(line, value, name.substr(name.find('.') + 1));
        if (name.starts_with("drops.")) {
          drops += line;
          return;
        }
        std::string title = group_title(name);
        if (title != current) {
          out += title + ":\n";
          current = title;
        }
        out += line;
      },
      include_zero);
  if (!drops.empty()) out += "Drops:\n" + drops;
  return out;
}

}  // namespace ustack
