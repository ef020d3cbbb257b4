// Fuzzes Ipv4Repr::parse and checks the round trip: whatever parses (header checksum not
// checked, so the fuzzer reaches the options) must emit, re-parse with a verified checksum to
// an equal value, and emit again to the same bytes; set_options() must accept the options
// parse() accepted, and bad_option_pointer() must agree with parse(). Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "stack/wire/ipv4.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return 0;
  Bytes in(data, size);
  auto first = Ipv4Repr::parse(in, ChecksumCheck::kSkip);
  // bad_option_pointer() names an octet inside the header exactly when the options are bad.
  const auto pointer = Ipv4Repr::bad_option_pointer(in);
  if (!first) {
    if (first.error() == ParseError::kBadOption &&
        (!pointer || *pointer < Ipv4Repr::kMinHeaderLen || *pointer >= (in[0] & 0x0f) * 4)) {
      std::abort();
    }
    return 0;
  }
  if (pointer) std::abort();
  // The payload is a view into the input, inside it, exactly total length - header length.
  if (first->total_len() > size || first->payload.size() != first->payload_len ||
      first->payload.data() != data + first->header_len()) {
    std::abort();
  }
  static std::uint8_t out[2 * 65536];
  MutBytes a(out, first->total_len());
  first->emit(a, ChecksumMode::kCompute);
  std::memcpy(a.data() + first->header_len(), first->payload.data(), first->payload.size());
  auto second = Ipv4Repr::parse(a, ChecksumCheck::kVerify);
  if (!second) std::abort();
  if (!(*second == *first)) std::abort();
  MutBytes b(out + 65536, second->header_len());
  second->emit(b, ChecksumMode::kCompute);
  if (std::memcmp(a.data(), b.data(), b.size()) != 0) std::abort();

  Ipv4Repr copy;
  auto set = copy.set_options(first->options());
  if (!set) std::abort();
  if (copy.header_len() != first->header_len()) std::abort();
  if (copy.option_list().size() != first->option_list().size()) std::abort();
  for (const Ipv4Option& o : first->option_list()) {
    if (o.offset + o.len > first->header_len()) std::abort();
  }
  (void)first->to_string();
  (void)first->to_verbose_string();
  return 0;
}
