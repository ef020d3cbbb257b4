// Flow ownership and handoff between the shards of a --queues session (tun/shard_router.h),
// without a kernel: fake queues, two routers on one thread, then producers on threads.
#include "tun/shard_router.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <deque>
#include <thread>

#include "stack/base/addr.h"

namespace ustack::tun {
namespace {

const Ipv4Addr kKernel = *Ipv4Addr::parse("198.18.0.1");
const Ipv4Addr kUs = *Ipv4Addr::parse("198.18.0.2");

// An IPv4 packet src -> dst with `proto` and a transport header of `l4` (checksums not set: the
// router does not look at them).
ByteVec ip4(Ipv4Addr src, Ipv4Addr dst, std::uint8_t proto, const ByteVec& l4,
            std::uint16_t frag = 0) {
  ByteVec p(20);
  p[0] = 0x45;
  store_be16(MutBytes(p), 2, static_cast<std::uint16_t>(20 + l4.size()));
  store_be16(MutBytes(p), 6, frag);
  p[8] = 64;
  p[9] = proto;
  std::copy_n(src.bytes().begin(), 4, p.begin() + 12);
  std::copy_n(dst.bytes().begin(), 4, p.begin() + 16);
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

ByteVec ports(std::uint16_t src, std::uint16_t dst, std::size_t len, std::uint8_t tcp_flags = 0) {
  ByteVec l4(len);
  store_be16(MutBytes(l4), 0, src);
  store_be16(MutBytes(l4), 2, dst);
  if (len >= 20) l4[13] = tcp_flags;
  return l4;
}

// The kernel's segment 198.18.0.1:40000 -> 198.18.0.2:80 with `flags` (0x10 ACK, 0x02 SYN).
ByteVec kernel_segment(std::uint16_t kernel_port, std::uint8_t flags = 0x10) {
  return ip4(kKernel, kUs, 6, ports(kernel_port, 80, 20, flags));
}

FlowKey tcp_flow(std::uint16_t kernel_port) {
  return FlowKey{IpProto::kTcp, kUs, kKernel, 80, kernel_port};
}

TEST(FlowOfReceived, TcpSegmentIsItsFourTupleFromOurSide) {
  EXPECT_EQ(flow_of_received(kernel_segment(40000), Medium::kIp), tcp_flow(40000));
  const Ipv6Addr k6 = *Ipv6Addr::parse("fd00:1::1"), u6 = *Ipv6Addr::parse("fd00:1::2");
  ByteVec p(40);
  p[0] = 0x60;
  p[6] = 6;
  std::copy_n(k6.bytes().begin(), 16, p.begin() + 8);
  std::copy_n(u6.bytes().begin(), 16, p.begin() + 24);
  ByteVec l4 = ports(40001, 443, 20);
  p.insert(p.end(), l4.begin(), l4.end());
  EXPECT_EQ(flow_of_received(p, Medium::kIp), (FlowKey{IpProto::kTcp, u6, k6, 443, 40001}));
}

TEST(FlowOfReceived, UdpDatagramIsItsDestinationPort) {
  EXPECT_EQ(flow_of_received(ip4(kKernel, kUs, 17, ports(53, 5353, 8)), Medium::kIp),
            (FlowKey{.proto = IpProto::kUdp, .local_port = 5353}));
}

// RFC 792: an ICMP error quotes the IP header and 8 bytes of the datagram we sent, so it
// belongs to the flow of that datagram (whose source is ours).
TEST(FlowOfReceived, IcmpErrorBelongsToTheQuotedFlow) {
  ByteVec quoted_tcp = ip4(kUs, kKernel, 6, ports(80, 40000, 8));
  ByteVec icmp = {3, 4, 0, 0, 0, 0, 0x05, 0xdc};  // fragmentation needed, MTU 1500
  icmp.insert(icmp.end(), quoted_tcp.begin(), quoted_tcp.end());
  EXPECT_EQ(flow_of_received(ip4(kKernel, kUs, 1, icmp), Medium::kIp), tcp_flow(40000));
  ByteVec quoted_udp = ip4(kUs, kKernel, 17, ports(5353, 53, 8));
  ByteVec unreach = {3, 3, 0, 0, 0, 0, 0, 0};  // port unreachable
  unreach.insert(unreach.end(), quoted_udp.begin(), quoted_udp.end());
  EXPECT_EQ(flow_of_received(ip4(kKernel, kUs, 1, unreach), Medium::kIp),
            (FlowKey{.proto = IpProto::kUdp, .local_port = 5353}));
}

TEST(FlowOfReceived, NoFlowForEchoArpAndLaterFragments) {
  ByteVec echo = {8, 0, 0, 0, 0, 1, 0, 1};
  EXPECT_EQ(flow_of_received(ip4(kKernel, kUs, 1, echo), Medium::kIp), std::nullopt);
  EXPECT_EQ(flow_of_received(ip4(kKernel, kUs, 6, ports(1, 2, 20), 185), Medium::kIp),
            std::nullopt);
  ByteVec arp(42);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(flow_of_received(arp, Medium::kEthernet), std::nullopt);
  ByteVec frame(14);
  frame[12] = 0x08;
  ByteVec seg = kernel_segment(40000);
  frame.insert(frame.end(), seg.begin(), seg.end());
  EXPECT_EQ(flow_of_received(frame, Medium::kEthernet), tcp_flow(40000));
}

const Ipv6Addr kKernel6 = *Ipv6Addr::parse("fd00:1::1");
const Ipv6Addr kUs6 = *Ipv6Addr::parse("fd00:1::2");

// An IPv6 packet kernel -> us: `chain` is the extension headers (each [next header, ...]) and
// `first` the Next Header of the fixed header; then `l4`.
ByteVec ip6(std::uint8_t first, const ByteVec& chain, const ByteVec& l4) {
  ByteVec p(40);
  p[0] = 0x60;
  store_be16(MutBytes(p), 4, static_cast<std::uint16_t>(chain.size() + l4.size()));
  p[6] = first;
  p[7] = 64;
  std::copy_n(kKernel6.bytes().begin(), 16, p.begin() + 8);
  std::copy_n(kUs6.bytes().begin(), 16, p.begin() + 24);
  p.insert(p.end(), chain.begin(), chain.end());
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

// An 8-byte extension header (hop-by-hop, routing, destination options: length 0 = 8 bytes)
// followed by `next`; with `len8` > 0 it is (len8 + 1) * 8 bytes long.
ByteVec ext(std::uint8_t next, std::uint8_t len8 = 0) {
  ByteVec h((std::size_t{len8} + 1) * 8);
  h[0] = next;
  h[1] = len8;
  return h;
}

// A Fragment header (RFC 8200 §4.5) followed by `next`: `offset` in 8-byte units, M, `id`.
ByteVec frag6(std::uint8_t next, std::uint16_t offset, bool more, std::uint32_t id) {
  ByteVec h(8);
  h[0] = next;
  store_be16(MutBytes(h), 2, static_cast<std::uint16_t>(offset << 3 | (more ? 1 : 0)));
  store_be32(MutBytes(h), 4, id);
  return h;
}

ByteVec cat(std::initializer_list<ByteVec> parts) {
  ByteVec out;
  for (const ByteVec& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// The kernel hashes a fragment by addresses alone: every fragment of a datagram, the first
// (which has the ports) too, is named by its datagram so that all of them meet on one shard.
TEST(KeyOfReceived, EveryIpv4FragmentIsNamedByItsDatagram) {
  ByteVec first = ip4(kKernel, kUs, 17, ports(40000, 7, 1480), 0x2000);  // MF, offset 0
  store_be16(MutBytes(first), 4, 0x1234);
  ByteVec later = ip4(kKernel, kUs, 17, ByteVec(100), 185);  // offset 185 * 8, last
  store_be16(MutBytes(later), 4, 0x1234);
  const FragmentKey want{kKernel, kUs, 0x1234, 17};
  for (const ByteVec& f : {first, later}) {
    ReceivedKey k = key_of_received(f, Medium::kIp);
    EXPECT_EQ(k.fragment, want);
    EXPECT_EQ(k.flow, std::nullopt);
  }
  // Not a fragment: DF alone.
  ByteVec whole = ip4(kKernel, kUs, 17, ports(40000, 7, 8), 0x4000);
  EXPECT_EQ(key_of_received(whole, Medium::kIp).fragment, std::nullopt);
  EXPECT_EQ(key_of_received(whole, Medium::kIp).flow,
            (FlowKey{.proto = IpProto::kUdp, .local_port = 7}));
}

// RFC 8200 §4: hop-by-hop, routing and destination options headers are walked to the ports;
// a Fragment header names the datagram (source, destination, identification); an atomic
// fragment (offset 0, M clear: RFC 6946) is no fragment.
TEST(KeyOfReceived, Ipv6ExtensionHeadersAreWalkedToThePorts) {
  const FlowKey tcp6{IpProto::kTcp, kUs6, kKernel6, 443, 40001};
  ByteVec seg = ports(40001, 443, 20);
  EXPECT_EQ(flow_of_received(ip6(0, cat({ext(60), ext(43, 2), ext(6)}), seg), Medium::kIp), tcp6);
  EXPECT_EQ(flow_of_received(ip6(44, frag6(6, 0, false, 9), seg), Medium::kIp), tcp6);
  const FragmentKey want{kKernel6, kUs6, 0xabcdef01, 0};
  ReceivedKey first = key_of_received(
      ip6(0, cat({ext(44), frag6(17, 0, true, 0xabcdef01)}), ports(5, 7, 8)), Medium::kIp);
  EXPECT_EQ(first.fragment, want);
  EXPECT_EQ(first.flow, std::nullopt);
  ReceivedKey later =
      key_of_received(ip6(44, frag6(17, 181, false, 0xabcdef01), ByteVec(64)), Medium::kIp);
  EXPECT_EQ(later.fragment, want);
  // Truncated inside the chain: nothing.
  ByteVec cut = ip6(0, ext(60), {});
  ReceivedKey none = key_of_received(cut, Medium::kIp);
  EXPECT_EQ(none.flow, std::nullopt);
  EXPECT_EQ(none.fragment, std::nullopt);
}

// An ICMP error about a datagram we fragmented quotes its first fragment, which has the ports.
TEST(KeyOfReceived, IcmpErrorQuotingOurFirstFragmentBelongsToItsFlow) {
  ByteVec quoted = ip4(kUs, kKernel, 17, ports(5353, 53, 8), 0x2000);
  ByteVec icmp = {3, 3, 0, 0, 0, 0, 0, 0};
  icmp.insert(icmp.end(), quoted.begin(), quoted.end());
  EXPECT_EQ(flow_of_received(ip4(kKernel, kUs, 1, icmp), Medium::kIp),
            (FlowKey{.proto = IpProto::kUdp, .local_port = 5353}));
}

TEST(FlowOwners, ReassemblyShardIsTheSameForEveryFragmentAndSpreads) {
  FlowOwners a(7), b(7);
  std::size_t on[4] = {};
  for (std::uint32_t id = 0; id < 400; ++id) {
    FragmentKey k{kKernel, kUs, id, 17};
    const std::size_t s = a.reassembly_shard(k, 4);
    ASSERT_LT(s, 4u);
    EXPECT_EQ(b.reassembly_shard(k, 4), s);  // every shard computes the same
    ++on[s];
  }
  for (std::size_t n : on) EXPECT_GT(n, 50u);
}

TEST(FlowOwners, EachShardsHoldIsItsOwn) {
  FlowOwners owners(7);
  owners.add(tcp_flow(1), 1);
  EXPECT_EQ(owners.other_holder(tcp_flow(1), 0), 1u);
  EXPECT_EQ(owners.other_holder(tcp_flow(1), 1), std::nullopt);  // its own
  EXPECT_EQ(owners.other_holder(tcp_flow(2), 0), std::nullopt);  // nobody's
  owners.add(tcp_flow(1), 3);
  owners.remove(tcp_flow(1), 1);
  EXPECT_EQ(owners.other_holder(tcp_flow(1), 0), 3u);
  owners.remove(tcp_flow(1), 0);  // not a holder: nothing changes
  EXPECT_EQ(owners.size(), 1u);
  owners.remove(tcp_flow(1), 3);
  EXPECT_EQ(owners.size(), 0u);
}

// A queue of the device, as the router sees it.
class FakeQueue final : public Device {
 public:
  DeviceCaps caps() const override { return {}; }
  std::optional<Bytes> receive(Instant) override {
    if (in.empty()) return std::nullopt;
    current = std::move(in.front());
    in.pop_front();
    return Bytes(current.first);
  }
  PacketOffload rx_offload() const override { return current.second; }
  bool transmit(Instant, std::size_t, FunctionRef<void(MutBytes)>) override { return true; }

  std::deque<std::pair<ByteVec, PacketOffload>> in;
  std::pair<ByteVec, PacketOffload> current;
};

class SetFlows final : public LocalFlows {
 public:
  bool holds(const FlowKey& k) const override {
    return std::find(flows.begin(), flows.end(), k) != flows.end();
  }
  std::vector<FlowKey> flows;
};

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

// Two shards: shard 1 holds 40000's connection (idle, the kernel forgot its queue) and
// receives on shard 0's queue; a new SYN stays where it lands.
struct TwoShards {
  FlowOwners owners{1};
  ShardInbox inbox[2];
  FakeQueue queue[2];
  SetFlows local[2];
  FlowRegistrar registrar[2] = {{owners, 0}, {owners, 1}};
  ShardRouterDevice router[2] = {{queue[0], 0, owners, {&inbox[0], &inbox[1]}, local[0]},
                                 {queue[1], 1, owners, {&inbox[0], &inbox[1]}, local[1]}};
  void hold(std::size_t shard, const FlowKey& k) {
    local[shard].flows.push_back(k);
    registrar[shard].flow_opened(k);
  }
};

TEST(ShardRouterDevice, SegmentOfAnotherShardsFlowIsHandedToIt) {
  TwoShards s;
  s.hold(1, tcp_flow(40000));
  s.hold(0, tcp_flow(40002));
  PacketOffload gso;
  gso.gso = PacketOffload::Gso::kTcpV4;
  gso.gso_size = 1448;
  gso.needs_csum = true;
  s.queue[0].in.push_back({kernel_segment(40000), gso});       // shard 1's
  s.queue[0].in.push_back({kernel_segment(40001, 0x02), {}});  // a new SYN: shard 0's
  s.queue[0].in.push_back({kernel_segment(40002), {}});        // shard 0's own
  s.queue[1].in.push_back({kernel_segment(40000, 0x18), {}});  // shard 1's own

  std::optional<Bytes> p = s.router[0].receive(Instant());
  ASSERT_TRUE(p);
  EXPECT_EQ(flow_of_received(*p, Medium::kIp), tcp_flow(40001));
  EXPECT_EQ(s.router[0].counters().handoffs, 1u);
  EXPECT_TRUE(readable(s.inbox[1].fd()));  // shard 1's runtime wakes
  EXPECT_FALSE(readable(s.inbox[0].fd()));
  p = s.router[0].receive(Instant());
  ASSERT_TRUE(p);
  EXPECT_EQ(flow_of_received(*p, Medium::kIp), tcp_flow(40002));
  EXPECT_FALSE(s.router[0].receive(Instant()));

  s.inbox[1].clear_wakeup();
  EXPECT_FALSE(readable(s.inbox[1].fd()));
  // Shard 1 gets the handed packet first, byte for byte, with its offload metadata.
  p = s.router[1].receive(Instant());
  ASSERT_TRUE(p);
  EXPECT_EQ(ByteVec(p->begin(), p->end()), kernel_segment(40000));
  EXPECT_EQ(s.router[1].rx_offload().gso, PacketOffload::Gso::kTcpV4);
  EXPECT_EQ(s.router[1].rx_offload().gso_size, 1448);
  EXPECT_TRUE(s.router[1].rx_offload().needs_csum);
  EXPECT_EQ(s.router[1].counters().handoffs_in, 1u);
  p = s.router[1].receive(Instant());
  ASSERT_TRUE(p);
  EXPECT_EQ(ByteVec(p->begin(), p->end()), kernel_segment(40000, 0x18));
  EXPECT_TRUE(s.router[1].rx_offload().is_plain());
  EXPECT_FALSE(s.router[1].receive(Instant()));
  EXPECT_EQ(s.router[1].counters().handoffs, 0u);
}

TEST(ShardRouterDevice, ReleasedFlowIsNoLongerHandedOver) {
  TwoShards s;
  s.hold(1, tcp_flow(40000));
  s.registrar[1].flow_closed(tcp_flow(40000));
  s.queue[0].in.push_back({kernel_segment(40000), {}});
  // Nobody holds it: shard 0 answers it (a RST, as a single stack would).
  EXPECT_TRUE(s.router[0].receive(Instant()));
  EXPECT_EQ(s.router[0].counters().handoffs, 0u);
}

TEST(ShardRouterDevice, UdpPortOfOneShardIsHandedThereAndAReplicatedOneStays) {
  TwoShards s;
  const FlowKey listen{.proto = IpProto::kUdp, .local_port = 5000};
  const FlowKey echo{.proto = IpProto::kUdp, .local_port = 7};
  s.hold(0, listen);  // `udp listen` on shard 0 alone
  s.hold(0, echo);    // serve udp-echo:7 on every shard
  s.hold(1, echo);
  s.queue[1].in.push_back({ip4(kKernel, kUs, 17, ports(40000, 5000, 8)), {}});
  s.queue[1].in.push_back({ip4(kKernel, kUs, 17, ports(40000, 7, 8)), {}});
  std::optional<Bytes> p = s.router[1].receive(Instant());
  ASSERT_TRUE(p);
  EXPECT_EQ(flow_of_received(*p, Medium::kIp), echo);
  EXPECT_EQ(s.router[1].counters().handoffs, 1u);
  p = s.router[0].receive(Instant());
  ASSERT_TRUE(p);
  EXPECT_EQ(flow_of_received(*p, Medium::kIp), listen);
}

// The fragments of one datagram come up on both queues (the kernel hashes them by addresses);
// both meet on the datagram's reassembly shard, the other shard hands its over.
TEST(ShardRouterDevice, FragmentsOfOneDatagramMeetOnItsReassemblyShard) {
  TwoShards s;
  s.hold(0, FlowKey{.proto = IpProto::kUdp, .local_port = 7});
  // A datagram identification whose reassembly shard is 1, and one whose is 0.
  std::uint16_t id_on[2] = {0, 0};
  bool found[2] = {false, false};
  for (std::uint16_t id = 1; !(found[0] && found[1]); ++id) {
    const std::size_t shard = s.owners.reassembly_shard(FragmentKey{kKernel, kUs, id, 17}, 2);
    if (!found[shard]) id_on[shard] = id;
    found[shard] = true;
  }
  auto fragment = [&](std::uint16_t id, std::uint16_t frag) {
    ByteVec f = ip4(kKernel, kUs, 17, frag & 0x1fff ? ByteVec(80) : ports(40000, 7, 80), frag);
    store_be16(MutBytes(f), 4, id);
    return f;
  };
  for (std::size_t target : {0u, 1u}) {
    SCOPED_TRACE(target);
    const std::size_t other = 1 - target;
    const std::uint16_t id = id_on[target];
    // The first fragment on the other shard's queue (where the flow's owner may be), the last
    // on the target's.
    s.queue[other].in.push_back({fragment(id, 0x2000), {}});
    s.queue[target].in.push_back({fragment(id, 10), {}});
    const std::uint64_t handed = s.router[other].counters().fragment_handoffs;
    EXPECT_FALSE(s.router[other].receive(Instant()));
    EXPECT_EQ(s.router[other].counters().fragment_handoffs, handed + 1);
    std::vector<ByteVec> got;
    while (auto p = s.router[target].receive(Instant())) got.emplace_back(p->begin(), p->end());
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], fragment(id, 0x2000));  // its inbox first, then its own queue
    EXPECT_EQ(got[1], fragment(id, 10));
  }
  EXPECT_EQ(s.router[0].counters().handoffs + s.router[1].counters().handoffs, 0u);
}

// The reassembly shard's stack offers the whole datagram back: it goes to the shard that holds
// its flow; one this shard holds, or nobody does, stays (false: the stack goes on with it).
TEST(ShardRouterDevice, ReassembledDatagramGoesToTheFlowsOwner) {
  TwoShards s;
  s.hold(1, FlowKey{.proto = IpProto::kUdp, .local_port = 5000});
  s.hold(0, FlowKey{.proto = IpProto::kUdp, .local_port = 7});
  const ByteVec whole = ip4(kKernel, kUs, 17, ports(40000, 5000, 3000));
  EXPECT_TRUE(s.router[0].take_reassembled(Instant(), whole));
  EXPECT_EQ(s.router[0].counters().reassembled_handoffs, 1u);
  EXPECT_FALSE(s.router[0].take_reassembled(Instant(), ip4(kKernel, kUs, 17, ports(1, 7, 3000))));
  EXPECT_FALSE(s.router[0].take_reassembled(Instant(), ip4(kKernel, kUs, 17, ports(1, 9, 3000))));
  EXPECT_FALSE(s.router[1].take_reassembled(Instant(), whole));  // its own
  EXPECT_EQ(s.router[0].counters().reassembled_handoffs, 1u);
  std::optional<Bytes> p = s.router[1].receive(Instant());
  ASSERT_TRUE(p);
  EXPECT_EQ(ByteVec(p->begin(), p->end()), whole);
  EXPECT_TRUE(s.router[1].rx_offload().is_plain());
  EXPECT_EQ(s.router[1].counters().handoffs_in, 1u);
}

TEST(ShardInbox, FullInboxDropsAndCounts) {
  TwoShards s;
  s.hold(1, tcp_flow(40000));
  for (std::size_t i = 0; i < ShardInbox::kCapacity + 3; ++i) {
    s.queue[0].in.push_back({kernel_segment(40000), {}});
  }
  EXPECT_FALSE(s.router[0].receive(Instant()));
  EXPECT_EQ(s.router[0].counters().handoffs, ShardInbox::kCapacity);
  EXPECT_EQ(s.router[0].counters().handoff_drops, 3u);
}

// Producers on three threads, the owner draining on its own: every packet arrives once and
// intact, and the eventfd never leaves the owner asleep with packets waiting.
TEST(ShardInbox, ManyProducersOneConsumerEveryPacketOnce) {
  ShardInbox inbox;
  constexpr int kThreads = 3, kEach = 20000;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&inbox, t] {
      for (int i = 0; i < kEach;) {
        ByteVec p = {static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(i >> 16),
                     static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
        if (inbox.push(p, {})) {
          ++i;
        } else {
          std::this_thread::yield();
        }
      }
    });
  }
  std::vector<int> next(kThreads, 0);
  int got = 0;
  std::vector<ShardInbox::Packet> batch;
  while (got < kThreads * kEach) {
    pollfd p{inbox.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1) << "asleep with " << got << " packets taken";
    inbox.clear_wakeup();
    batch.clear();
    if (inbox.pending()) inbox.take(batch);
    for (ShardInbox::Packet& pk : batch) {
      ASSERT_EQ(pk.bytes.size(), 4u);
      const int t = pk.bytes[0];
      const int i = (pk.bytes[1] << 16) | (pk.bytes[2] << 8) | pk.bytes[3];
      ASSERT_EQ(i, next[t]) << "thread " << t;  // in order per producer, none lost or twice
      ++next[t];
      ++got;
      inbox.recycle(std::move(pk.bytes));
    }
  }
  for (auto& t : producers) t.join();
}

}  // namespace
}  // namespace ustack::tun
