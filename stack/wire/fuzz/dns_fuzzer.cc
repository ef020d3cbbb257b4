// Fuzzes DnsMessage::parse and checks the round trip: whatever parses must emit (with name
// compression), re-parse to an equal value, and emit again to the same bytes. The text forms
// are built too, so escaping code sees every octet. Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "stack/wire/dns.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return 0;
  auto first = DnsMessage::parse(Bytes(data, size));
  if (!first) return 0;
  (void)first->to_string();
  (void)first->to_verbose_string();

  // A parsed message is always encodable. Our encoding can be longer than the input (the
  // input may point into RDATA we never compress into), but every name is at most 255 octets
  // and every record took at least 11 input octets, so this bound is generous.
  std::vector<std::uint8_t> out(64 * size + 4096);
  const std::size_t len = first->emit(out);
  if (len == 0) std::abort();
  auto second = DnsMessage::parse(Bytes(out.data(), len));
  if (!second) std::abort();
  if (!(*second == *first)) std::abort();

  std::vector<std::uint8_t> again(len);
  if (second->emit(again) != len) std::abort();
  if (!std::equal(again.begin(), again.end(), out.begin())) std::abort();
  return 0;
}
