// Fuzzes EthernetRepr::parse and checks the round trip: whatever parses must emit and re-parse
// to an equal value, and emit again to the same bytes. Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "stack/wire/ethernet.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return 0;
  auto first = EthernetRepr::parse(Bytes(data, size));
  if (!first) return 0;
  if (first->buffer_len() != size) std::abort();
  std::vector<std::uint8_t> a(first->buffer_len());
  first->emit(a);
  auto second = EthernetRepr::parse(a);
  if (!second || !(*second == *first)) std::abort();
  std::vector<std::uint8_t> b(second->buffer_len());
  second->emit(b);
  if (a != b) std::abort();
  (void)first->to_string();
  (void)first->to_verbose_string();
  return 0;
}
