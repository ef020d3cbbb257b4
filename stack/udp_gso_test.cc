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

// --- USO on receive: split_udp_gso and Stack::uso_input ---------------------------------------

// A super-packet of `sizes` (IPv4 ids from 7) built by UdpGsoBatch, with each datagram's
// payload distinct; `datagrams` gets the datagrams as they went in.
ByteVec v4_super(const std::vector<std::size_t>& sizes, std::vector<ByteVec>& datagrams,
                 PacketOffload& o) {
  UdpGsoBatch b;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    ByteVec d = v4_datagram(sizes[k], 9, static_cast<std::uint16_t>(7 + k));
    ByteVec pay = body(sizes[k], k);
    std::copy(pay.begin(), pay.end(), d.begin() + 28);
    EXPECT_TRUE(b.add(d, partial())) << k;
    datagrams.push_back(std::move(d));
  }
  ByteVec p(b.packet().begin(), b.packet().end());
  o = b.offload();
  return p;
}

// The kernel's cut (__udp_gso_segment): gso_size pieces and a short last one, each with the
// super-packet's headers, its own lengths, an IPv4 id counting up from the first's and a valid
// header checksum, and the partial UDP checksum of its own length: byte for byte the datagrams
// the batch was built from.
TEST(SplitUdpGso, CutsBackIntoTheDatagramsItWasBuiltFrom) {
  std::vector<ByteVec> in;
  PacketOffload o;
  ByteVec super = v4_super({300, 300, 300, 300, 50}, in, o);
  ASSERT_EQ(o.gso, PacketOffload::Gso::kUdpL4);
  ASSERT_EQ(o.gso_size, 300);
  std::vector<ByteVec> out;
  std::vector<PacketOffload> offs;
  ByteVec scratch;
  EXPECT_EQ(split_udp_gso(super, o, scratch,
                          [&](Bytes d, const PacketOffload& one) {
                            out.emplace_back(d.begin(), d.end());
                            offs.push_back(one);
                          }),
            std::nullopt);
  ASSERT_EQ(out.size(), 5u);
  for (std::size_t i = 0; i < out.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(out[i], in[i]);
    EXPECT_EQ(internet_checksum(Bytes(out[i]).first(20)), 0);
    EXPECT_EQ(offs[i].gso, PacketOffload::Gso::kNone);
    EXPECT_TRUE(offs[i].needs_csum);
    EXPECT_EQ(offs[i].csum_start, 20);
    EXPECT_EQ(offs[i].csum_offset, 6);
  }
}

TEST(SplitUdpGso, RefusesWhatItCannotCut) {
  std::vector<ByteVec> in;
  PacketOffload o;
  ByteVec super = v4_super({100, 100, 100}, in, o);
  ByteVec scratch;
  std::size_t calls = 0;
  auto count = [&](Bytes, const PacketOffload&) { ++calls; };
  PacketOffload unvouched = o;
  unvouched.needs_csum = false;
  EXPECT_EQ(split_udp_gso(super, unvouched, scratch, count), UdpGsoSplitError::kChecksumUnknown);
  PacketOffload zero = o;
  zero.gso_size = 0;
  EXPECT_EQ(split_udp_gso(super, zero, scratch, count), UdpGsoSplitError::kBadSegmentSize);
  PacketOffload tiny = o;
  tiny.gso_size = 2;  // 150 datagrams: more than UDP_MAX_SEGMENTS
  EXPECT_EQ(split_udp_gso(super, tiny, scratch, count), UdpGsoSplitError::kBadSegmentSize);
  ByteVec tcp = super;
  tcp[9] = 6;
  EXPECT_EQ(split_udp_gso(tcp, o, scratch, count), UdpGsoSplitError::kNotUdp);
  ByteVec truncated(super.begin(), super.end() - 1);  // shorter than its total length
  EXPECT_EQ(split_udp_gso(truncated, o, scratch, count), UdpGsoSplitError::kNotUdp);
  ByteVec fragment = super;
  store_be16(fragment, 6, 0x2000);
  EXPECT_EQ(split_udp_gso(fragment, o, scratch, count), UdpGsoSplitError::kNotUdp);
  EXPECT_EQ(calls, 0u);
}

// A device that hands the stack one packet with the offload metadata given, and keeps what
// the stack sends with theirs.
class OffloadLink final : public Device {
 public:
  DeviceCaps caps() const override {
    DeviceCaps c;
    c.mtu = 1500;
    c.tx_checksum_offload = true;
    c.tx_uso = true;
    c.gso_max_len = 65535;
    c.rx_gso = true;
    return c;
  }
  std::optional<Bytes> receive(Instant) override {
    if (inbox.empty()) return std::nullopt;
    current = std::move(inbox.front().first);
    offload = inbox.front().second;
    inbox.erase(inbox.begin());
    return Bytes(current);
  }
  PacketOffload rx_offload() const override { return offload; }
  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override {
    return transmit_offload(now, len, PacketOffload{}, fill);
  }
  bool transmit_offload(Instant, std::size_t len, const PacketOffload& o,
                        FunctionRef<void(MutBytes)> fill) override {
    sent.emplace_back(ByteVec(len), o);
    fill(sent.back().first);
    return true;
  }
  std::vector<std::pair<ByteVec, PacketOffload>> inbox, sent;
  ByteVec current;
  PacketOffload offload;
};

enum class RxCsum { kNeedsCsum, kDataValid, kNeither };

struct UsoRxParam {
  bool v6;
  RxCsum csum;
};

class UsoReceive : public ::testing::TestWithParam<UsoRxParam> {};

// One stack sends 6 datagrams of 700 bytes and one of 123 as a USO super-packet; the other,
// handed that super-packet with VIRTIO_NET_HDR_GSO_UDP_L4, delivers 7 datagrams to its socket,
// in order and byte for byte. NEEDS_CSUM (the partial sum the sender left) and DATA_VALID (the
// field made garbage: the kernel vouched for the data) are honoured, nothing verified; with
// neither, nothing vouches for the datagrams: the super-packet is dropped (drops.uso_malformed).
TEST_P(UsoReceive, ASuperPacketIsDeliveredAsItsDatagrams) {
  const bool v6 = GetParam().v6;
  const IpAddr& us = v6 ? kUs6 : kUs4;
  const IpAddr& peer = v6 ? kPeer6 : kPeer4;
  std::vector<std::size_t> sizes(6, 700);
  sizes.push_back(123);
  Instant now = Instant::from_millis(1000);

  OffloadLink a_link;
  StackConfig cfg;
  cfg.seed = 7;
  cfg.dad_transmits = 0;
  Stack a(cfg, a_link);
  a.add_address(IpCidr{us, static_cast<std::uint8_t>(v6 ? 64 : 24)});
  UdpLayer a_udp(UdpLayerConfig{});
  a.register_transport(a_udp);
  a.poll(now);
  SocketHandle tx = a_udp.open(us.version());
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    ASSERT_TRUE(a_udp.send_to(now, tx, body(sizes[k], k), UdpEndpoint{peer, 9}, a).ok());
  }
  a_link.sent.clear();
  a.poll(now);
  ASSERT_EQ(a_link.sent.size(), 1u);
  auto [super, o] = a_link.sent[0];
  ASSERT_EQ(o.gso, PacketOffload::Gso::kUdpL4);
  ASSERT_EQ(o.gso_size, 700);
  const std::size_t l4 = v6 ? 40 : 20;
  if (GetParam().csum != RxCsum::kNeedsCsum) {
    o.needs_csum = false;
    o.data_valid = GetParam().csum == RxCsum::kDataValid;
    store_be16(super, l4 + 6, 0x1234);
  }

  OffloadLink b_link;
  Stack b(cfg, b_link);
  b.add_address(IpCidr{peer, static_cast<std::uint8_t>(v6 ? 64 : 24)});
  UdpLayer b_udp(UdpLayerConfig{});
  b.register_transport(b_udp);
  SocketHandle rx = b_udp.open(peer.version());
  ASSERT_EQ(b_udp.bind(rx, peer, 9, b), std::nullopt);
  b_link.inbox.emplace_back(super, o);
  b.poll(now);

  std::vector<ByteVec> got;
  ByteVec buf(2000);
  while (auto r = b_udp.recv_from(rx, MutBytes(buf))) {
    got.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r->size));
  }
  if (GetParam().csum == RxCsum::kNeither) {
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(b.counters().get("drops.uso_malformed"), 1u);
    EXPECT_EQ(b.counters().get("link.in_uso_datagrams"), 0u);
    return;
  }
  ASSERT_EQ(got.size(), sizes.size());
  for (std::size_t k = 0; k < sizes.size(); ++k) EXPECT_EQ(got[k], body(sizes[k], k)) << k;
  EXPECT_EQ(b.counters().get("link.in_gso_packets"), 1u);
  EXPECT_EQ(b.counters().get("link.in_uso_datagrams"), sizes.size());
  EXPECT_EQ(b.counters().get(v6 ? "ip6.in_receives" : "ip.in_receives"), sizes.size());
  EXPECT_EQ(b.counters().total_drops(), 0u);
  EXPECT_EQ(b_udp.counters().drops_bad_checksum, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Checksums, UsoReceive,
    ::testing::Values(UsoRxParam{false, RxCsum::kNeedsCsum}, UsoRxParam{true, RxCsum::kNeedsCsum},
                      UsoRxParam{false, RxCsum::kDataValid}, UsoRxParam{true, RxCsum::kDataValid},
                      UsoRxParam{false, RxCsum::kNeither}, UsoRxParam{true, RxCsum::kNeither}),
    [](const auto& info) {
      const RxCsum c = info.param.csum;
      return std::string(info.param.v6 ? "Ipv6" : "Ipv4") + (c == RxCsum::kNeedsCsum   ? "NeedsCsum"
                                                             : c == RxCsum::kDataValid ? "DataValid"
                                                                                       : "Neither");
    });

}  // namespace
}  // namespace ustack
