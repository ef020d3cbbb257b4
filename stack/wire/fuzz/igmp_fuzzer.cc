// Fuzzes IgmpRepr::parse (v1/v2 messages, IGMPv3 queries with their sources, IGMPv3 reports
// with their group records, anything else with trailing bytes). Whatever parses must emit,
// re-parse with a verified checksum to an equal value (every record readable), and emit again
// to the same bytes. Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "stack/wire/igmp.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return 0;
  auto first = IgmpRepr::parse(Bytes(data, size), ChecksumCheck::kSkip);
  if (!first) return 0;
  if (first->buffer_len() != size) std::abort();
  if (first->is_v3_query() && first->sources().size() != 4u * first->num_sources) std::abort();
  std::size_t records_len = 0;
  for (std::size_t i = 0; i < first->num_records; ++i) records_len += first->record(i).len();
  if (records_len > first->extra.size()) std::abort();
  (void)first->max_resp_time();
  std::vector<std::uint8_t> a(first->buffer_len());
  first->emit(a);
  auto second = IgmpRepr::parse(a, ChecksumCheck::kVerify);
  if (!second || !(*second == *first)) std::abort();
  std::vector<std::uint8_t> b(second->buffer_len());
  second->emit(b);
  if (a != b) std::abort();
  (void)first->to_string();
  (void)first->to_verbose_string();
  return 0;
}
