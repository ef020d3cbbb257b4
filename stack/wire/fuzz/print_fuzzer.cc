// Fuzzes describe_packet() and describe_link_payload() (stack/wire/print.h), which walk every
// parser in turn and render what parsed: they must never crash, read out of bounds or throw
// on any bytes. The first input byte picks the options (bit 0: Ethernet or raw IP, bit 1:
// verbose, bit 2: skip transport checksums); the rest is the packet. Checked: the line is one
// line; a layer error is shown at the end of the line; details appear only when verbose and
// are whole lines; the same bytes give the same description. Any mismatch aborts.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "stack/wire/print.h"

using namespace ustack;

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void check(const PacketDescription& d, bool verbose) {
  if (d.line.find('\n') != std::string::npos) std::abort();
  if (d.error && !ends_with(d.line, "[" + d.error->to_string() + "]")) std::abort();
  if (!verbose && !d.details.empty()) std::abort();
  if (!d.details.empty() && d.details.back() != '\n') std::abort();
}

bool same(const PacketDescription& a, const PacketDescription& b) {
  return a.line == b.line && a.details == b.details && a.error == b.error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size == 0) return 0;
  const std::uint8_t mode = data[0];
  Bytes packet(data + 1, size - 1);
  DescribeOptions opts;
  opts.verbose = (mode & 2) != 0;
  opts.checksums = (mode & 4) != 0 ? ChecksumCheck::kSkip : ChecksumCheck::kVerify;
  const LinkLayer link = (mode & 1) != 0 ? LinkLayer::kRawIp : LinkLayer::kEthernet;

  PacketDescription d = describe_packet(packet, link, opts);
  check(d, opts.verbose);
  if (!same(d, describe_packet(packet, link, opts))) std::abort();

  // A cooked capture names the protocol itself: try the three it may carry and one it may not.
  for (EtherType proto :
       {EtherType::kArp, EtherType::kIpv4, EtherType::kIpv6, static_cast<EtherType>(0x88cc)}) {
    check(describe_link_payload(packet, proto, opts), opts.verbose);
  }
  return 0;
}
