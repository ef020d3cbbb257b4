// Fuzzes MldRepr::parse (MLDv1 queries/reports/dones, MLDv2 queries with sources and reports
// with their address records). The first input byte picks the IPv6 source and destination.
// Whatever parses must emit, re-parse with a verified checksum to an equal value (every record
// readable), and emit again to the same bytes. Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "stack/wire/mld.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size < 1) return 0;
  static const Ipv6Addr kSources[2] = {*Ipv6Addr::parse("fe80::1"), Ipv6Addr::any()};
  static const Ipv6Addr kDests[2] = {*Ipv6Addr::parse("ff02::16"), Ipv6Addr::all_nodes()};
  const Ipv6Addr& src = kSources[data[0] & 1];
  const Ipv6Addr& dst = kDests[(data[0] >> 1) & 1];
  auto first = MldRepr::parse(Bytes(data + 1, size - 1), src, dst, ChecksumCheck::kSkip);
  if (!first) return 0;
  if (first->buffer_len() != size - 1) std::abort();
  std::size_t records_len = 0;
  for (std::size_t i = 0; i < first->num_records; ++i) records_len += first->record(i).len();
  if (records_len != first->records.size()) std::abort();
  (void)first->max_resp_delay();
  std::vector<std::uint8_t> a(first->buffer_len());
  first->emit(a, src, dst);
  auto second = MldRepr::parse(a, src, dst, ChecksumCheck::kVerify);
  if (!second || !(*second == *first)) std::abort();
  std::vector<std::uint8_t> b(second->buffer_len());
  second->emit(b, src, dst);
  if (a != b) std::abort();
  (void)first->to_string();
  (void)first->to_verbose_string();
  return 0;
}
