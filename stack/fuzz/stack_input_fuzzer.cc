// Fuzzes the whole Stack input path: any sequence of packets and time steps, on an IP or an
// Ethernet link, must be handled without a crash or an out-of-bounds access, and the
// reassembly memory must stay within its cap.
//
// Input: byte 0 = flags (bit 0: Ethernet medium, bit 1: register a UDP transport, bit 2:
// send a 3000-byte ping after each packet); then records of [step u8][len u16 BE][bytes],
// each delivered after advancing virtual time by step × 100 ms.
#include <cstdint>
#include <cstdlib>

#include "stack/link_device.h"
#include "stack/stack.h"

namespace {

using namespace ustack;

class NullTransport : public Transport {
 public:
  IpProto protocol() const override { return IpProto::kUdp; }
  RxVerdict on_packet(Instant, const IpRxMeta&, Bytes payload, IpSender&) override {
    return payload.size() % 2 ? RxVerdict::kPortUnreachable : RxVerdict::kDelivered;
  }
  bool on_icmp_error(Instant, const IcmpError& err, IpSender&) override {
    volatile std::size_t n = err.quoted_transport.size();
    (void)n;
    return n % 2 == 0;
  }
  void poll(Instant, IpSender&) override {}
  Instant poll_at() const override { return Instant::never(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::uint8_t flags = data[0];
  LinkConfig lc;
  lc.medium = flags & 1 ? Medium::kEthernet : Medium::kIp;
  Link link(lc);
  StackConfig cfg;
  cfg.seed = 1;
  cfg.mac = *MacAddr::parse("02:00:00:00:00:02");
  cfg.dad_transmits = 0;
  cfg.reassembly_memory_cap = 64 * 1024;
  cfg.reassembly_max_datagrams = 8;
  Stack stack(cfg, link.a());
  NullTransport udp;
  if (flags & 2) stack.register_transport(udp);
  stack.add_address(*IpCidr::parse("198.18.0.2/24"));
  stack.add_address(*IpCidr::parse("fd00:1::2/64"));
  stack.set_default_gateway(*IpAddr::parse("198.18.0.1"));
  stack.set_default_gateway(*IpAddr::parse("fd00:1::1"));

  Instant now = Instant::from_millis(1000);
  std::size_t pos = 1;
  std::uint16_t seq = 0;
  ByteVec ping(3000, 0x5a);
  while (pos + 3 <= size) {
    std::size_t step = data[pos];
    std::size_t len = std::size_t{data[pos + 1]} << 8 | data[pos + 2];
    pos += 3;
    len = std::min(len, size - pos);
    now += Duration::millis(static_cast<std::int64_t>(step) * 100);
    link.a().inject(now, Bytes(data + pos, len));
    pos += len;
    stack.poll(now);
    if (flags & 4) {
      stack.send_echo_request(now, *IpAddr::parse(seq % 2 ? "fd00:1::1" : "198.18.0.1"), 1, seq,
                              ping);
      ++seq;
    }
    while (link.b().receive(now)) {
    }
    if (stack.reassembly_memory() > 2 * cfg.reassembly_memory_cap) std::abort();
  }
  // Let every timer run out.
  for (int i = 0; i < 100 && stack.poll_at() <= now + Duration::seconds(120); ++i) {
    now = std::max(now, stack.poll_at());
    stack.poll(now);
    while (link.b().receive(now)) {
    }
  }
  return 0;
}
