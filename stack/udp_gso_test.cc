// USO: UdpGsoBatch's rules, and a Stack over SoftGsoDevice (which cuts UDP super-packets the
// way Linux's __udp_gso_segment does): a run of datagrams sent in one poll leaves as one
// super-packet whose datagrams, cut again, are byte for byte those the Stack sends without
// USO (but for the IPv4 identification, which the kernel counts up from the first's).
#include "stack/udp_gso.h"

#include <gtest/gtest.h>

#include <vector>

#include "stack/base/checksum.h"
#include "stack/soft_gso_device.h"
#include "stack/stack.h"
#include "stack/udp/udp_layer.h"

namespace ustack {
namespace {

using namespace literals;

const IpAddr kUs4 = *IpAddr::parse("198.18.0.2");
const IpAddr kPeer4 = *IpAddr::parse("198.18.0.1");
const IpAddr kUs6 = *IpAddr::parse("fd00:1::2");
const IpAddr kPeer6 = *IpAddr::parse("fd00:1::1");

// A device that keeps every packet the stack (or SoftGsoDevice) sends.
class Recorder final : public Device {
 public:
  DeviceCaps caps() const override {
    DeviceCaps c;
    c.mtu = 1500;
    return c;
  }
  std::optional<Bytes> receive(Instant) override { return std::nullopt; }
  bool transmit(Instant, std::size_t len, FunctionRef<void(MutBytes)> fill) override {
    sent.emplace_back(len);
    fill(sent.back());
    return true;
  }
  // The UDP packets (IPv4 protocol / IPv6 next header 17), in order.
  std::vector<ByteVec> udp() const {
    std::vector<ByteVec> out;
    for (const ByteVec& p : sent) {
      if ((p[0] >> 4 == 4 && p[9] == 17) || (p[0] >> 4 == 6 && p[6] == 17)) out.push_back(p);
    }
    return out;
  }
  std::vector<ByteVec> sent;
};

ByteVec body(std::size_t n, std::size_t k) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 13 + k * 7);
  return v;
}

// A Stack with a UdpLayer on `dev`, sending `sizes` (one datagram each) from one socket to
// `to`:9 (or `ports`) in one go, then polling once; `batch_left`: the sends end with datagrams
// batched, so the stack is due at once.
std::vector<ByteVec> send_run(Device& dev, Recorder& rec, const IpAddr& us, const IpAddr& to,
                              const std::vector<std::size_t>& sizes,
                              std::vector<std::uint16_t> ports = {}, bool batch_left = true) {
  StackConfig cfg;
  cfg.seed = 7;
  cfg.dad_transmits = 0;
  Stack stack(cfg, dev);
  stack.add_address(IpCidr{us, us.is_v4() ? 24u : 64u});
  UdpLayerConfig ucfg;
  ucfg.seed = 7;
  UdpLayer udp(ucfg);
  stack.register_transport(udp);
  Instant now = Instant::from_millis(1000);
  stack.poll(now);
  rec.sent.clear();
  SocketHandle h = udp.open(us.version());
  EXPECT_EQ(udp.bind(h, us, 5000, stack), std::nullopt);
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    const std::uint16_t port = ports.empty() ? 9 : ports[k];
    EXPECT_TRUE(udp.send_to(now, h, body(sizes[k], k), UdpEndpoint{to, port}, stack).ok());
  }
  if (dev.caps().tx_uso && batch_left) {
    EXPECT_LE(stack.poll_at(), now) << "batched datagrams make the stack due at once";
  }
  stack.poll(now);
  EXPECT_EQ(stack.counters().total_drops(), 0u);
  return rec.udp();
}

// The same packet but for the IPv4 identification and header checksum.
ByteVec without_id(ByteVec p) {
  if (p[0] >> 4 == 4) {
    store_be16(p, 4, 0);
    store_be16(p, 10, 0);
  }
  return p;
}

class UsoStack : public ::testing::TestWithParam<bool> {
 protected:
  const IpAddr& us() const { return GetParam() ? kUs6 : kUs4; }
  const IpAddr& peer() const { return GetParam() ? kPeer6 : kPeer4; }
};

// 20 datagrams of 1000 bytes and a last one of 300 sent together leave as one super-packet
// (gso_size 1000); cut again they are exactly the 21 datagrams the stack sends without USO.
TEST_P(UsoStack, ARunOfDatagramsIsOneSuperPacketThatCutsBackIntoTheSameDatagrams) {
  std::vector<std::size_t> sizes(20, 1000);
  sizes.push_back(300);

  Recorder plain_rec;
  std::vector<ByteVec> plain = send_run(plain_rec, plain_rec, us(), peer(), sizes);
  ASSERT_EQ(plain.size(), 21u);

  Recorder rec;
  SoftGsoDevice gso(rec, SoftGsoDevice::Mode::kSegment, 1500);
  gso.offer_uso(true);
  std::vector<ByteVec> cut = send_run(gso, rec, us(), peer(), sizes);
  EXPECT_EQ(gso.stats().super_packets, 1u);
  EXPECT_EQ(gso.stats().segments, 21u);
  EXPECT_EQ(gso.stats().violations, 0u);
  EXPECT_EQ(gso.stats().largest, (GetParam() ? 40u : 20u) + 8 + 20 * 1000 + 300);
  ASSERT_EQ(cut.size(), 21u);
  for (std::size_t i = 0; i < cut.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(without_id(cut[i]), without_id(plain[i]));
    if (!GetParam()) {
      EXPECT_EQ(load_be16(cut[i], 4), static_cast<std::uint16_t>(load_be16(cut[0], 4) + i));
      EXPECT_EQ(internet_checksum(Bytes(cut[i]).first(20)), 0);
    }
  }
}

// Datagrams to two ports in turn are two flows: no run forms, each goes alone and in order.
TEST_P(UsoStack, AlternatingFlowsGoAloneInOrder) {
  Recorder rec;
  SoftGsoDevice gso(rec, SoftGsoDevice::Mode::kSegment, 1500);
  gso.offer_uso(true);
  std::vector<ByteVec> out = send_run(gso, rec, us(), peer(), {500, 500, 500, 500}, {9, 10, 9, 10});
  EXPECT_EQ(gso.stats().super_packets, 0u);
  EXPECT_EQ(gso.stats().violations, 0u);
  ASSERT_EQ(out.size(), 4u);
  const std::size_t l4 = GetParam() ? 40 : 20;
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(load_be16(out[i], l4 + 2), i % 2 ? 10 : 9);
}

// A datagram larger than the MTU is fragmented as without USO (and ends the run before it).
TEST_P(UsoStack, ALargeDatagramIsFragmentedNotSegmented) {
  Recorder rec;
  SoftGsoDevice gso(rec, SoftGsoDevice::Mode::kSegment, 1500);
  gso.offer_uso(true);
  // The fragments went out, and the two datagrams before them: nothing is left batched.
  std::vector<ByteVec> out = send_run(gso, rec, us(), peer(), {1000, 1000, 4000}, {}, false);
  EXPECT_EQ(gso.stats().super_packets, 1u);  // the two 1000-byte datagrams
  EXPECT_EQ(gso.stats().violations, 0u);
  // 2 datagrams, then the fragments of the third (IPv6 fragments carry a Fragment header, so
  // Recorder::udp() does not list them).
  if (!GetParam()) {
    ASSERT_EQ(out.size(), 5u);
    EXPECT_EQ(load_be16(out[2], 6) & 0x2000, 0x2000);  // More Fragments
  } else {
    ASSERT_EQ(out.size(), 2u);
  }
}

INSTANTIATE_TEST_SUITE_P(V4V6, UsoStack, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Ipv6" : "Ipv4"; });

// --- UdpGsoBatch alone ---------------------------------------------------------------------

// An IPv4 UDP packet 198.18.0.2:5000 -> 198.18.0.1:`dport` with `n` payload bytes and a partial
// checksum, as the Stack hands it over.
ByteVec v4_datagram(std::size_t n, std::uint16_t dport = 9, std::uint16_t id = 1) {
  ByteVec p(28 + n, 0);
  p[0] = 0x45;
  store_be16(p, 2, static_cast<std::uint16_t>(p.size()));
  store_be16(p, 4, id);
  p[8] = 64;
  p[9] = 17;
  std::copy_n(kUs4.v4().bytes().begin(), 4, p.begin() + 12);
  std::copy_n(kPeer4.v4().bytes().begin(), 4, p.begin() + 16);
  store_be16(p, 10, internet_checksum(Bytes(p).first(20)));
  store_be16(p, 20, 5000);
  store_be16(p, 22, dport);
  store_be16(p, 24, static_cast<std::uint16_t>(8 + n));
  std::uint32_t sum = checksum_add(0, Bytes(p).subspan(12, 8)) + 17 + 8 + n;
  store_be16(p, 26, static_cast<std::uint16_t>(~checksum_finish(sum)));
  return p;
}

PacketOffload partial() {
  PacketOffload o;
  o.needs_csum = true;
  o.csum_start = 20;
  o.csum_offset = 6;
  return o;
}

TEST(UdpGsoBatch, OneDatagramGoesAsItCame) {
  UdpGsoBatch b;
  ByteVec d = v4_datagram(100);
  ASSERT_TRUE(b.add(d, partial()));
  EXPECT_EQ(ByteVec(b.packet().begin(), b.packet().end()), d);
  EXPECT_EQ(b.offload().gso, PacketOffload::Gso::kNone);
  EXPECT_TRUE(b.offload().needs_csum);
}

// The super-packet: IPv4 and UDP lengths of the whole, a valid IPv4 header checksum, the
// partial checksum over the whole's length, gso_size = the first payload, hdr_len = 28.
TEST(UdpGsoBatch, SuperPacketHeaders) {
  UdpGsoBatch b;
  ASSERT_TRUE(b.add(v4_datagram(100, 9, 1), partial()));
  ASSERT_TRUE(b.add(v4_datagram(100, 9, 2), partial()));
  ASSERT_TRUE(b.add(v4_datagram(40, 9, 3), partial()));
  Bytes p = b.packet();
  ASSERT_EQ(p.size(), 28u + 240);
  EXPECT_EQ(load_be16(p, 2), 268);
  EXPECT_EQ(load_be16(p, 4), 1);  // the first's identification
  EXPECT_EQ(internet_checksum(p.first(20)), 0);
  EXPECT_EQ(load_be16(p, 24), 248);
  std::uint32_t sum = checksum_add(0, p.subspan(12, 8)) + 17 + 248;
  EXPECT_EQ(load_be16(p, 26), static_cast<std::uint16_t>(~checksum_finish(sum)));
  EXPECT_EQ(b.offload().gso, PacketOffload::Gso::kUdpL4);
  EXPECT_EQ(b.offload().gso_size, 100);
  EXPECT_EQ(b.offload().hdr_len, 28);
  EXPECT_EQ(b.count(), 3u);
}

TEST(UdpGsoBatch, RefusesAnotherFlowALargerDatagramAndAnythingAfterAShortOne) {
  UdpGsoBatch b;
  ASSERT_TRUE(b.add(v4_datagram(100), partial()));
  EXPECT_FALSE(b.add(v4_datagram(100, 10), partial()));  // another port
  EXPECT_FALSE(b.add(v4_datagram(101), partial()));      // larger than gso_size
  ByteVec other_tos = v4_datagram(100);
  other_tos[1] = 0x02;  // ECT(0)
  EXPECT_FALSE(b.add(other_tos, partial()));
  EXPECT_TRUE(b.add(v4_datagram(50), partial()));
  EXPECT_FALSE(b.add(v4_datagram(50), partial()));  // the short one was the last
  EXPECT_EQ(b.count(), 2u);
}

TEST(UdpGsoBatch, RefusesWhatUsoCannotCarry) {
  UdpGsoBatch b;
  EXPECT_FALSE(b.add(v4_datagram(100), PacketOffload{}));  // a complete checksum
  EXPECT_FALSE(b.add(v4_datagram(0), partial()));          // no payload to cut
  ByteVec frag = v4_datagram(100);
  store_be16(frag, 6, 0x2000);  // More Fragments
  EXPECT_FALSE(b.add(frag, partial()));
  EXPECT_TRUE(b.empty());
}

// At most 64 datagrams (UDP_MAX_SEGMENTS) and 65535 bytes of IPv4 packet.
TEST(UdpGsoBatch, Limits) {
  UdpGsoBatch small;
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(small.add(v4_datagram(10), partial())) << i;
  EXPECT_FALSE(small.add(v4_datagram(10), partial()));
  UdpGsoBatch large;
  std::size_t n = 0;
  while (large.add(v4_datagram(1472), partial())) ++n;
  EXPECT_EQ(n, (65535u - 28) / 1472);  // 44
  EXPECT_LE(large.packet().size(), 65535u);
}

}  // namespace
}  // namespace ustack
