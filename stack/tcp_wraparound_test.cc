// Sequence-number wraparound (RFC 9293 §3.4, RFC 7323 §5): two whole ustacks carry more than
// 2^32 bytes in virtual time, both ISNs just below 2^32 so the sequence space wraps at once and
// then goes all the way round, with data segments lost along the way. Every byte arrives once
// and in order, and each loss is repaired by fast retransmit — never by a timeout — which a
// comparison that went wrong across the wrap (SND.UNA, RCV.NXT, the SACK scoreboard, the
// recovery point, PAWS) would turn into a stall, a timeout or a reset. The timing is checked
// too: the stacks never wait half the least RTO for their next event.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace ustack {
namespace {

using namespace ustack::literals;

// The test's data: octet i of the stream, computable anywhere, so 4 GiB need no memory.
std::uint8_t octet(std::uint64_t i) { return static_cast<std::uint8_t>((i * 2654435761u) >> 13); }

// Drops the first transmission of every `every`-th data segment the stack sends (never a
// retransmission of it): losses at known places, each one repairable.
class DroppingDevice final : public Device {
 public:
  DroppingDevice(Device& inner, std::uint64_t every) : inner_(inner), every_(every) {}
  DeviceCaps caps() const override { return inner_.caps(); }
  std::optional<Bytes> receive(Instant now) override { return inner_.receive(now); }
  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override {
    bool drop = false;
    bool ok = inner_.transmit(now, len, [&](MutBytes out) {
      fill(out);
      auto ip = Ipv4Repr::parse(out, ChecksumCheck::kSkip);
      if (!ip || ip->protocol != IpProto::kTcp) return;
      auto tcp = TcpRepr::parse(ip->payload, ip->src, ip->dst, ChecksumCheck::kSkip);
      if (!tcp || tcp->payload.size() < 1000) return;
      const std::uint32_t seq = tcp->seq.raw();
      if (++data_segments_ % every_ == 0 && !dropped_.contains(seq)) {
        dropped_.insert(seq);
        drop = true;
        out[9] = 0xfd;  // an experimental protocol number: the receiver drops it unseen
      }
    });
    if (drop) ++drops;
    return ok;
  }
  std::uint64_t drops = 0;

 private:
  Device& inner_;
  std::uint64_t every_;
  std::uint64_t data_segments_ = 0;
  std::set<std::uint32_t> dropped_;
};

TEST(TcpWraparound, MoreThanFourGigabytesAcrossTheWrapRecoverByFastRetransmit) {
  const std::uint64_t kBytes =
      (std::uint64_t{1} << 32) + (std::uint64_t{1} << 20);  // 4 GiB + 1 MiB
  LinkConfig lc;
  lc.mtu = 65535;  // jumbo segments: fewer packets to push through in the test's time
  lc.a_to_b.delay = lc.b_to_a.delay = 5_ms;
  // The link vouches for checksums (as a NIC with offload would): 8 GiB of summing at -O0
  // would be most of the test's time, and checksums are not what it is about.
  lc.checksum_offload = true;
  Link link(lc);
  DroppingDevice lossy(link.a(), 3000);
  StackConfig sa, sb;
  sa.seed = 1;
  sb.seed = 2;
  Stack a(sa, lossy), b(sb, link.b());
  a.add_address(*IpCidr::parse("198.18.0.1/24"));
  b.add_address(*IpCidr::parse("198.18.0.2/24"));
  TcpLayerConfig ca, cb;
  ca.seed = 3;
  cb.seed = 5;
  ca.fixed_isn = 0xffffff00u;  // 256 bytes below the wrap
  cb.fixed_isn = 0xfffffff0u;
  // A window of ~64 segments, so a loss is followed by enough segments for SACK to see it.
  ca.tcp.send_buffer = cb.tcp.recv_buffer = 4u << 20;
  TcpLayer ta(ca), tb(cb);
  a.register_transport(ta);
  b.register_transport(tb);

  const IpAddr server = *IpAddr::parse("198.18.0.2");
  SocketHandle listener = *tb.listen(server, 80, 1);
  Instant now;
  SocketHandle client = *ta.connect(now, a, server, 80);
  SocketHandle conn;
  std::uint64_t sent = 0, received = 0, mismatches = 0;
  bool shut = false, eof = false;
  // The longest the two stacks and the link sat with nothing to do: a repair by fast
  // retransmit costs about one round trip (10 ms); waiting for an RTO (200 ms at least,
  // RFC 6298 §2.4) or a stall would show here even if no timer fired.
  Duration longest_wait = Duration::zero();
  std::vector<std::uint8_t> chunk(1 << 20), buf(1 << 20);
  for (int iter = 0; iter < 10'000'000 && !eof; ++iter) {
    a.poll(now);
    b.poll(now);
    if (!conn.valid()) {
      if (auto acc = tb.accept(listener); acc.ok()) conn = *acc;
    }
    while (sent < kBytes) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), kBytes - sent));
      for (std::size_t i = 0; i < n; ++i) chunk[i] = octet(sent + i);
      auto wrote = ta.send(client, Bytes(chunk.data(), n));
      if (!wrote.ok()) break;
      sent += *wrote;
    }
    if (sent == kBytes && !shut) shut = !ta.shutdown(client).has_value();
    while (conn.valid()) {
      auto got = tb.recv(conn, buf);
      if (!got.ok()) break;
      if (*got == 0) {
        eof = true;
        break;
      }
      for (std::size_t i = 0; i < *got; ++i) mismatches += buf[i] != octet(received + i);
      received += *got;
    }
    ASSERT_FALSE(ta.error(client)) << to_string(*ta.error(client)) << " after " << received;
    Instant next = std::min({a.poll_at(), b.poll_at(), link.next_delivery()});
    ASSERT_FALSE(next.is_never()) << "stalled after " << received << " bytes";
    if (next > now) longest_wait = std::max(longest_wait, next - now);
    now = std::max(now, next);
  }
  EXPECT_TRUE(eof);
  EXPECT_EQ(received, kBytes);
  EXPECT_EQ(mismatches, 0u);
  TcpStats s = *ta.stats(client);
  EXPECT_GE(lossy.drops, 20u);
  EXPECT_EQ(s.retrans_fast, lossy.drops) << s.to_string();
  EXPECT_EQ(s.retrans_rto, 0u) << s.to_string();
  EXPECT_LT(longest_wait, 100_ms) << s.to_string();
}

}  // namespace
}  // namespace ustack
