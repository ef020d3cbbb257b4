// Fuzzes ArpRepr::parse and checks the round trip: whatever parses must emit exactly the first
// 28 input bytes (every field of an Ethernet/IPv4 ARP packet is kept) and re-parse equal.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "stack/wire/arp.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return 0;
  auto first = ArpRepr::parse(Bytes(data, size));
  if (!first) return 0;
  std::uint8_t out[ArpRepr::kLen];
  first->emit(out);
  if (std::memcmp(out, data, ArpRepr::kLen) != 0) std::abort();
  auto second = ArpRepr::parse(out);
  if (!second || !(*second == *first)) std::abort();
  (void)first->to_string();
  (void)first->to_verbose_string();
  return 0;
}
