// KernelSut against the real kernel: packets injected through its TUN reach kernel sockets in
// its namespace and the kernel's answers come back out, with IPv4 and IPv6, and nothing is
// left behind. Needs root and /dev/net/tun; without them the tests fail (they do not skip).
#include "pcap_tests/scenario/kernel_sut.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/tcp.h"
#include "stack/wire/test_packets.h"
#include "stack/wire/udp.h"
#include "tun/netns.h"
#include "tun/sys_error.h"

namespace ustack::scenario {
namespace {

constexpr std::uint16_t kListenPort = 8080;
constexpr std::uint16_t kPeerPort = 40000;
const ScenarioAddresses kAddrs;

// An IP packet from the remote peer to the SUT carrying `l4` (TCP or UDP, checksummed).
ByteVec from_peer(bool v6, IpProto proto, Bytes l4) {
  if (v6) {
    Ipv6Repr ip;
    ip.next_header = proto;
    ip.src = kAddrs.remote6.v6();
    ip.dst = kAddrs.local6.v6();
    return emit_ipv6(ip, l4);
  }
  Ipv4Repr ip;
  ip.protocol = proto;
  ip.src = kAddrs.remote4.v4();
  ip.dst = kAddrs.local4.v4();
  return emit_ipv4(ip, l4);
}

IpAddr local(bool v6) { return v6 ? kAddrs.local6 : kAddrs.local4; }
IpAddr remote(bool v6) { return v6 ? kAddrs.remote6 : kAddrs.remote4; }

ByteVec tcp_from_peer(bool v6, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack) {
  TcpRepr seg;
  seg.src_port = kPeerPort;
  seg.dst_port = kListenPort;
  seg.seq = SeqNum(seq);
  seg.ack = SeqNum(ack);
  seg.flags = flags;
  seg.window = 65535;
  if ((flags & tcp_flags::kSyn) != 0) seg.options.mss = 1000;
  return from_peer(v6, IpProto::kTcp, emit_tcp(seg, remote(v6), local(v6)));
}

// The upper-layer bytes of an IP packet the SUT sent, after checking its addresses.
Bytes l4_of(const replay::TimedPacket& p, bool v6) {
  EXPECT_TRUE(p.outbound);
  if (v6) {
    auto ip = Ipv6Repr::parse(p.ip);
    EXPECT_TRUE(ip.ok());
    EXPECT_EQ(IpAddr(ip->src), kAddrs.local6);
    EXPECT_EQ(IpAddr(ip->dst), kAddrs.remote6);
    return ip->payload;
  }
  auto ip = Ipv4Repr::parse(p.ip);
  EXPECT_TRUE(ip.ok());
  EXPECT_EQ(IpAddr(ip->src), kAddrs.local4);
  EXPECT_EQ(IpAddr(ip->dst), kAddrs.remote4);
  return ip->payload;
}

TcpRepr next_tcp(KernelSut& sut, bool v6) {
  auto p = sut.next_outbound(sut.elapsed() + Duration::seconds(2));
  if (!p) {
    ADD_FAILURE() << "the kernel sent nothing";
    return {};
  }
  auto seg = TcpRepr::parse(l4_of(*p, v6), local(v6), remote(v6));
  EXPECT_TRUE(seg.ok());
  return seg.ok() ? *seg : TcpRepr{};
}

class KernelSutTest : public ::testing::TestWithParam<bool> {
 protected:
  bool v6() const { return GetParam(); }
  int family() const { return v6() ? AF_INET6 : AF_INET; }
  KernelSut sut{KernelSutOptions{}};
};

INSTANTIATE_TEST_SUITE_P(Ip, KernelSutTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "v6" : "v4"; });

// RFC 9293 §3.5: a SYN to a listener gets a SYN-ACK acknowledging it; the final ACK completes
// the handshake and accept() returns the connection as the next free fd.
TEST_P(KernelSutTest, InjectedSynToAListenerGetsTheKernelsSynAck) {
  SysResult s = sut.socket(family(), SOCK_STREAM, 0);
  ASSERT_EQ(s.value, 3);
  ASSERT_EQ(sut.bind(3, SockAddr{local(v6()), kListenPort}).value, 0);
  ASSERT_EQ(sut.listen(3, 1).value, 0);

  sut.inject(tcp_from_peer(v6(), tcp_flags::kSyn, 1000, 0));
  TcpRepr synack = next_tcp(sut, v6());
  EXPECT_EQ(synack.flags, tcp_flags::kSyn | tcp_flags::kAck);
  EXPECT_EQ(synack.ack, SeqNum(1001));
  EXPECT_EQ(synack.dst_port, kPeerPort);
  EXPECT_EQ(synack.src_port, kListenPort);

  sut.inject(tcp_from_peer(v6(), tcp_flags::kAck, 1001, (synack.seq + 1).raw()));
  EXPECT_EQ(sut.accept(3).value, 4);
  // The accepted socket is blocking; a read with nothing queued still returns.
  ByteVec buf(10);
  EXPECT_EQ(sut.read(4, buf, 0).err, EAGAIN);
  // Injected and sent packets both in the capture, in order.
  ASSERT_EQ(sut.capture().size(), 3u);
  EXPECT_FALSE(sut.capture()[0].outbound);
  EXPECT_TRUE(sut.capture()[1].outbound);
  EXPECT_FALSE(sut.capture()[2].outbound);
}

// A connect from the kernel side shows up as its SYN to the remote peer.
TEST_P(KernelSutTest, NonBlockingConnectSendsASyn) {
  ASSERT_EQ(sut.socket(family(), SOCK_STREAM, 0).value, 3);
  ASSERT_EQ(sut.set_nonblocking(3, true).value, 0);
  SysResult c = sut.connect(3, SockAddr{remote(v6()), kListenPort});
  EXPECT_EQ(c.value, -1);
  EXPECT_EQ(c.err, EINPROGRESS);
  TcpRepr syn = next_tcp(sut, v6());
  EXPECT_EQ(syn.flags, tcp_flags::kSyn);
  EXPECT_EQ(syn.dst_port, kListenPort);
  EXPECT_TRUE(syn.options.mss.has_value());
}

// A blocking accept with no connection queued reports EAGAIN (as an expired SO_RCVTIMEO does)
// instead of blocking; a blocking connect reports EINPROGRESS but its SYN goes out.
TEST_P(KernelSutTest, BlockingCallsThatWouldBlockReturn) {
  ASSERT_EQ(sut.socket(family(), SOCK_STREAM, 0).value, 3);
  ASSERT_EQ(sut.bind(3, SockAddr{local(v6()), kListenPort}).value, 0);
  ASSERT_EQ(sut.listen(3, 1).value, 0);
  EXPECT_EQ(sut.accept(3).err, EAGAIN);

  ASSERT_EQ(sut.socket(family(), SOCK_STREAM, 0).value, 4);
  EXPECT_EQ(sut.connect(4, SockAddr{remote(v6()), kListenPort}).err, EINPROGRESS);
  EXPECT_EQ(next_tcp(sut, v6()).flags, tcp_flags::kSyn);
}

TEST_P(KernelSutTest, UdpSendtoSendsTheDatagramAndRecvfromGetsTheReply) {
  ASSERT_EQ(sut.socket(family(), SOCK_DGRAM, 0).value, 3);
  ASSERT_EQ(sut.bind(3, SockAddr{local(v6()), kListenPort}).value, 0);
  const ByteVec msg = {'p', 'i', 'n', 'g'};
  EXPECT_EQ(sut.sendto(3, msg, SockAddr{remote(v6()), kPeerPort}).value, 4);
  auto p = sut.next_outbound(sut.elapsed() + Duration::seconds(2));
  ASSERT_TRUE(p.has_value());
  auto udp = UdpRepr::parse(l4_of(*p, v6()), local(v6()), remote(v6()));
  ASSERT_TRUE(udp.ok());
  EXPECT_EQ(udp->dst_port, kPeerPort);
  EXPECT_EQ(ByteVec(udp->payload.begin(), udp->payload.end()), msg);

  const ByteVec reply = {'p', 'o', 'n', 'g', '!'};
  sut.inject(from_peer(v6(), IpProto::kUdp,
                       emit_udp(kPeerPort, kListenPort, reply, remote(v6()), local(v6()))));
  ByteVec buf(64);
  SockAddr from;
  EXPECT_EQ(sut.recvfrom(3, buf, &from).value, 5);
  EXPECT_EQ(from.ip, remote(v6()));
  EXPECT_EQ(from.port, kPeerPort);
}

// Nothing comes out unprompted: waiting sees no packet, and time really passes.
TEST_P(KernelSutTest, WaitingWithNothingToDoCapturesNothing) {
  sut.wait_until(Duration::millis(50));
  EXPECT_GE(sut.elapsed(), Duration::millis(50));
  EXPECT_FALSE(sut.next_outbound(sut.elapsed() + Duration::millis(10)).has_value());
  EXPECT_TRUE(sut.capture().empty());
}

// Script fds are small and reused lowest-first, as the kernel allocates them.
TEST(KernelSut, FdsStartAtThreeAndTheLowestFreeIsReused) {
  KernelSut sut{KernelSutOptions{}};
  EXPECT_EQ(sut.socket(AF_INET, SOCK_STREAM, 0).value, 3);
  EXPECT_EQ(sut.socket(AF_INET, SOCK_DGRAM, 0).value, 4);
  EXPECT_EQ(sut.close(3).value, 0);
  EXPECT_EQ(sut.close(3).err, EBADF);
  EXPECT_EQ(sut.socket(AF_INET6, SOCK_STREAM, 0).value, 3);
  EXPECT_EQ(sut.read(9, MutBytes(), 0).err, EBADF);
}

TEST(KernelSut, NamespaceIsGoneAfterDestruction) {
  std::string ns;
  {
    KernelSut sut{KernelSutOptions{}};
    ns = sut.netns();
    EXPECT_TRUE(tun::netns_exists(ns));
    ASSERT_EQ(sut.socket(AF_INET, SOCK_STREAM, 0).value, 3);
  }
  EXPECT_FALSE(tun::netns_exists(ns));
}

// The factory's SUT is the kernel, and options reach it (a scenario's own sysctl).
TEST(KernelSut, FactoryMakesAKernelSutWithTheScenariosSysctls) {
  KernelSutOptions options;
  options.sysctls.push_back({"net.ipv4.tcp_syn_retries", "2"});
  std::unique_ptr<SystemUnderTest> sut = make_kernel_sut(options);
  EXPECT_EQ(sut->name(), "kernel");
  KernelSutOptions bad;
  bad.sysctls.push_back({"net.ipv4.no_such_sysctl", "1"});
  EXPECT_THROW(make_kernel_sut(bad), tun::SysError);
}

}  // namespace
}  // namespace ustack::scenario
