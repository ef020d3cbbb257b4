// Fuzzes Icmpv6Repr::parse, the quoted-packet parser and, for NDP types, NdpRepr::parse with
// its options. The first input byte picks the IPv6 source and destination (the NDP address
// rules depend on them). Whatever parses must emit, re-parse with a verified checksum to an
// equal value, and emit again to the same bytes. Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "stack/wire/icmpv6.h"
#include "stack/wire/ndp.h"

using namespace ustack;

namespace {

Ipv6Addr addr(const char* text) { return *Ipv6Addr::parse(text); }

void check_icmp(const Icmpv6Repr& first, const Ipv6Addr& src, const Ipv6Addr& dst) {
  if (auto q = first.quote(); q.ok()) {
    if (q->header.size() != 40 || q->transport.size() < 8) std::abort();
  }
  std::vector<std::uint8_t> a(first.buffer_len());
  first.emit(a, src, dst);
  auto second = Icmpv6Repr::parse(a, src, dst, ChecksumCheck::kVerify);
  if (!second || !(*second == first)) std::abort();
  std::vector<std::uint8_t> b(second->buffer_len());
  second->emit(b, src, dst);
  if (a != b) std::abort();
  (void)first.to_string();
  (void)first.to_verbose_string();
}

void check_ndp(const Icmpv6Repr& icmp, const Ipv6Addr& src, const Ipv6Addr& dst) {
  auto first = NdpRepr::parse(icmp, src, dst);
  if (!first) return;
  std::vector<std::uint8_t> a(first->buffer_len());
  first->emit(a, src, dst);
  auto second = NdpRepr::parse(a, src, dst, ChecksumCheck::kVerify);
  if (!second || !(*second == *first)) std::abort();
  std::vector<std::uint8_t> b(second->buffer_len());
  second->emit(b, src, dst);
  if (a != b) std::abort();
  (void)first->to_string();
  (void)first->to_verbose_string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size < 1) return 0;
  static const Ipv6Addr kSources[4] = {addr("fe80::ff:fe00:502"), addr("::"), addr("fd00:5::1"),
                                       addr("fe80::1")};
  static const Ipv6Addr kDests[4] = {addr("ff02::1"), addr("ff02::1:ff00:2"), addr("fd00:5::2"),
                                     addr("ff02::2")};
  const Ipv6Addr& src = kSources[data[0] & 3];
  const Ipv6Addr& dst = kDests[(data[0] >> 2) & 3];
  auto icmp = Icmpv6Repr::parse(Bytes(data + 1, size - 1), src, dst, ChecksumCheck::kSkip);
  if (!icmp) return 0;
  if (icmp->buffer_len() != size - 1) std::abort();
  check_icmp(*icmp, src, dst);
  if (icmp->is_ndp()) check_ndp(*icmp, src, dst);
  return 0;
}
