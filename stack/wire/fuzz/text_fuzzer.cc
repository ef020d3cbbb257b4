// Fuzzes the parsers of text a user types (command-line addresses, prefixes, MACs, DNS names):
// MacAddr, Ipv4Addr, Ipv6Addr, IpAddr, IpCidr and DnsName::parse. Whatever parses must print
// to a form that parses back to the same value and prints the same again; a DNS name must
// respect the RFC 1035 §2.3.4 limits it promises. Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "stack/base/addr.h"
#include "stack/wire/dns.h"

using namespace ustack;

namespace {

template <class T>
void check_text_round_trip(std::string_view text) {
  auto first = T::parse(text);
  if (!first) return;
  const std::string printed = first->to_string();
  auto second = T::parse(printed);
  if (!second || !(*second == *first)) std::abort();
  if (second->to_string() != printed) std::abort();
}

void check_dns_name(std::string_view text) {
  auto first = DnsName::parse(text);
  if (!first) return;
  if (first->wire_len() > DnsName::kMaxWireLen) std::abort();
  for (const std::string& label : first->labels()) {
    if (label.empty() || label.size() > DnsName::kMaxLabelLen) std::abort();
  }
  const std::string printed = first->to_string();
  auto second = DnsName::parse(printed);
  if (!second || !(*second == *first)) std::abort();
  if (second->to_string() != printed) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_text_round_trip<MacAddr>(text);
  check_text_round_trip<Ipv4Addr>(text);
  check_text_round_trip<Ipv6Addr>(text);
  check_text_round_trip<IpAddr>(text);
  check_text_round_trip<IpCidr>(text);
  check_dns_name(text);
  return 0;
}
