// Fuzzes Ipv6Repr::parse (fixed header and extension-header walk) and checks its invariants
// and the round trip: every recorded header, option and the upper-layer offset lie inside the
// payload; the fixed header (and a Fragment header) emit and re-parse to an equal value. Any
// mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "stack/wire/ipv6.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return 0;
  Bytes in(data, size);
  auto first = Ipv6Repr::parse(in);
  if (!first) return 0;
  const std::size_t end = first->total_len();
  if (end > size || first->payload.size() != first->payload_len) std::abort();
  if (first->upper_offset > end || first->upper_payload.data() != data + first->upper_offset ||
      first->upper_offset + first->upper_payload.size() != end ||
      first->upper_proto_pointer >= first->upper_offset) {
    std::abort();
  }
  std::size_t expect_offset = Ipv6Repr::kHeaderLen;
  for (const Ipv6ExtHeader& h : first->ext_headers()) {
    if (h.offset != expect_offset || h.offset + h.len > end) std::abort();
    expect_offset += h.len;
  }
  if (expect_offset != first->upper_offset) std::abort();
  for (const Ipv6Option& o : first->options()) {
    if (o.offset + 2u + o.data_len > end) std::abort();
  }

  static std::uint8_t out[65536 + 64];
  MutBytes a(out, end);
  first->emit(a);
  std::memcpy(a.data() + Ipv6Repr::kHeaderLen, first->payload.data(), first->payload.size());
  auto second = Ipv6Repr::parse(a);
  if (!second) std::abort();
  if (!(*second == *first)) std::abort();

  if (first->frag) {
    std::uint8_t fh[Ipv6FragHeader::kLen];
    first->frag->emit(MutBytes(fh, sizeof fh));
    auto back = Ipv6FragHeader::parse(Bytes(fh, sizeof fh));
    if (!back || !(*back == *first->frag)) std::abort();
  }
  (void)first->to_string();
  (void)first->to_verbose_string();
  return 0;
}
