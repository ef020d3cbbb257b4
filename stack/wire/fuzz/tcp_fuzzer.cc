// Fuzzes TcpRepr::parse and checks the round trip: whatever parses (checksum not checked, so
// the fuzzer reaches the options) must emit, re-parse with a verified checksum to an equal
// value, and emit again to the same bytes. Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "stack/wire/tcp.h"

using namespace ustack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return 0;
  // The first byte picks the address family, so both pseudo headers are exercised.
  if (size < 1) return 0;
  bool v6 = data[0] & 1;
  IpAddr src = v6 ? IpAddr(*Ipv6Addr::parse("fd00::1")) : IpAddr(Ipv4Addr({198, 18, 0, 1}));
  IpAddr dst = v6 ? IpAddr(*Ipv6Addr::parse("fd00::2")) : IpAddr(Ipv4Addr({198, 18, 0, 2}));
  Bytes in(data + 1, size - 1);
  auto first = TcpRepr::parse(in, src, dst, ChecksumCheck::kSkip);
  if (!first) return 0;
  std::uint8_t out[2 * 65536];
  if (first->buffer_len() > sizeof out / 2) std::abort();
  MutBytes a(out, first->buffer_len());
  first->emit(a, src, dst, ChecksumMode::kCompute);
  auto second = TcpRepr::parse(a, src, dst, ChecksumCheck::kVerify);
  if (!second) std::abort();
  if (!(*second == *first)) std::abort();
  MutBytes b(out + sizeof out / 2, second->buffer_len());
  second->emit(b, src, dst, ChecksumMode::kCompute);
  if (a.size() != b.size() || std::memcmp(a.data(), b.data(), a.size()) != 0) std::abort();
  (void)first->to_string();
  (void)first->to_verbose_string();
  return 0;
}
