// Fuzzes Icmpv4Repr::parse (checksum not checked, so the fuzzer reaches every type) and the
// quoted-datagram parser. Whatever parses must emit, re-parse with a verified checksum to an
// equal value, and emit again to the same bytes. Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "stack/wire/icmpv4.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return 0;
  auto first = Icmpv4Repr::parse(Bytes(data, size), ChecksumCheck::kSkip);
  if (!first) return 0;
  if (first->buffer_len() != size) std::abort();
  if (auto q = first->quote(); q.ok()) {
    if (q->header.size() < 20 || q->transport.size() < 8) std::abort();
    if (q->header.size() + q->transport.size() != first->data.size()) std::abort();
  }
  std::vector<std::uint8_t> a(first->buffer_len());
  first->emit(a);
  auto second = Icmpv4Repr::parse(a, ChecksumCheck::kVerify);
  if (!second || !(*second == *first)) std::abort();
  std::vector<std::uint8_t> b(second->buffer_len());
  second->emit(b);
  if (a != b) std::abort();
  (void)first->to_string();
  (void)first->to_verbose_string();
  return 0;
}
