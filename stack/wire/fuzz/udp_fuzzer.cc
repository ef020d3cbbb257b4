// Fuzzes UdpRepr::parse and checks the round trip: whatever parses must emit with a computed
// checksum, re-parse with a verified checksum to an equal value, and keep a verified sender
// checksum unchanged. The first input byte picks IPv4 or IPv6 (bit 0) and whether checksums are
// verified (bit 1; skipping lets the fuzzer past the checksum). Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "stack/wire/udp.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size < 1) return 0;
  const bool v6 = data[0] & 1;
  const ChecksumCheck check = (data[0] & 2) ? ChecksumCheck::kSkip : ChecksumCheck::kVerify;
  // The addresses of the seed corpus (see udp_test.cc), so seeds verify.
  const IpAddr src = v6 ? IpAddr(*Ipv6Addr::parse("fd00:8::1")) : IpAddr(Ipv4Addr({198, 18, 8, 1}));
  const IpAddr dst = v6 ? IpAddr(*Ipv6Addr::parse("fd00:8::2")) : IpAddr(Ipv4Addr({198, 18, 8, 2}));
  Bytes in(data + 1, size - 1);
  auto first = UdpRepr::parse(in, src, dst, check);
  if (!first) return 0;
  if (first->length > in.size() || first->payload.size() + 8 != first->length ||
      first->payload.data() != in.data() + 8) {
    std::abort();
  }
  if (v6 && first->checksum == 0) std::abort();
  static std::uint8_t out[65536];
  MutBytes a(out, first->length);
  first->emit(a, first->payload, src, dst, ChecksumMode::kCompute);
  auto second = UdpRepr::parse(a, src, dst, ChecksumCheck::kVerify);
  if (!second) std::abort();
  if (!(*second == *first) || second->length != first->length) std::abort();
  // A verified non-zero checksum is the only one that fits, so we must compute the same.
  if (check == ChecksumCheck::kVerify && first->checksum != 0 &&
      second->checksum != first->checksum) {
    std::abort();
  }
  // kOffload stores the pseudo-header sum; finishing it over the datagram gives the checksum.
  first->emit(a, first->payload, src, dst, ChecksumMode::kOffload);
  (void)first->to_string();
  (void)first->to_verbose_string();
  return 0;
}
