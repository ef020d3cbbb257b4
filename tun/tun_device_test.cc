// TunDevice, netns and link against the real kernel: a fresh namespace per test, a TUN or TAP
// device in it, the kernel side configured with 198.18.0.1/24, and packets moved both ways.
// Needs root and /dev/net/tun; without them the tests fail (they do not skip).
#include "tun/tun_device.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "stack/base/checksum.h"
#include "tun/link.h"
#include "tun/netns.h"
#include "tun/sys_error.h"

namespace ustack::tun {
namespace {

using ::testing::HasSubstr;

const IpCidr kKernelCidr = *IpCidr::parse("198.18.0.1/24");
const Ipv4Addr kKernel = *Ipv4Addr::parse("198.18.0.1");
const Ipv4Addr kUs = *Ipv4Addr::parse("198.18.0.2");

std::string unique(const char* prefix) {
  static int n = 0;
  return prefix + std::to_string(::getpid() % 100000) + "x" + std::to_string(n++);
}

// Waits up to 2 s for a received packet that `want` accepts (others, like IPv6 router
// solicitations, are skipped).
template <typename Pred>
std::optional<ByteVec> receive_matching(TunDevice& dev, Pred want) {
  for (int i = 0; i < 200; ++i) {
    while (auto p = dev.receive(Instant())) {
      if (want(*p)) return ByteVec(p->begin(), p->end());
    }
    pollfd pfd{dev.fd(), POLLIN, 0};
    ::poll(&pfd, 1, 10);
  }
  return std::nullopt;
}

bool is_ipv4_to(Bytes p, Ipv4Addr dst, std::uint8_t proto) {
  return p.size() >= 20 && (p[0] >> 4) == 4 && p[9] == proto &&
         Ipv4Addr::from_bytes(p.subspan(16, 4)) == dst;
}

// Sends one UDP datagram from the kernel side of `netns` to kUs:9.
void kernel_sends_udp(const std::string& netns, const std::string& payload) {
  NetnsScope in(netns);
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  std::memcpy(&to.sin_addr, kUs.bytes().data(), 4);
  EXPECT_EQ(
      ::sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
      static_cast<ssize_t>(payload.size()));
  ::close(s);
}

class TunDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test needs root (it creates namespaces and TUN devices)";
    ASSERT_EQ(::access("/dev/net/tun", R_OK | W_OK), 0) << "/dev/net/tun is missing";
    netns_ = unique("ustt");
    netns_create(netns_);
  }
  void TearDown() override { netns_delete(netns_); }

  TunConfig config(TunMode mode) {
    TunConfig c;
    c.name = unique(mode == TunMode::kTun ? "ustun" : "ustap");
    c.mode = mode;
    c.netns = netns_;
    return c;
  }
  void add_kernel_address(const std::string& dev) {
    NetnsScope in(netns_);
    add_link_address(dev, kKernelCidr);
  }
  bool link_exists(const std::string& dev) {
    NetnsScope in(netns_);
    return link_index(dev) != 0;
  }

  std::string netns_;
};

TEST(Netns, CreateThenDeleteLikeIpNetns) {
  std::string name = unique("ustn");
  ASSERT_FALSE(netns_exists(name));
  netns_create(name);
  EXPECT_TRUE(netns_exists(name));
  try {
    netns_create(name);
    ADD_FAILURE() << "second create succeeded";
  } catch (const SysError& e) {
    EXPECT_THAT(e.what(), HasSubstr("already exists"));
  }
  EXPECT_TRUE(netns_delete(name));
  EXPECT_FALSE(netns_exists(name));
}

TEST(Netns, EnteringAMissingNamespaceNamesIt) {
  try {
    NetnsScope in("ust-no-such-ns");
    ADD_FAILURE() << "entered a missing namespace";
  } catch (const SysError& e) {
    EXPECT_THAT(e.what(), HasSubstr("network namespace ust-no-such-ns does not exist"));
  }
}

TEST(Netns, OwnerDeletesOnlyWhatItCreated) {
  std::string name = unique("ustn");
  {
    NetnsOwner owner(name, /*create_if_missing=*/true);
    EXPECT_TRUE(owner.created());
    {
      NetnsOwner second(name, true);
      EXPECT_FALSE(second.created());
    }
    EXPECT_TRUE(netns_exists(name));
  }
  EXPECT_FALSE(netns_exists(name));
  EXPECT_THROW(NetnsOwner(name, false), SysError);
}

TEST_F(TunDeviceTest, TunDeliversKernelUdpAsAnIpPacket) {
  TunDevice dev(config(TunMode::kTun));
  EXPECT_TRUE(dev.created());
  EXPECT_EQ(dev.caps().medium, Medium::kIp);
  add_kernel_address(dev.name());
  kernel_sends_udp(netns_, "hello");
  auto p = receive_matching(dev, [](Bytes p) { return is_ipv4_to(p, kUs, 17); });
  ASSERT_TRUE(p) << "no UDP packet from the kernel";
  std::string tail(p->end() - 5, p->end());
  EXPECT_EQ(tail, "hello");
  EXPECT_GE(dev.stats().rx_packets, 1u);
}

// RFC 792: the kernel answers an echo request we write into the device.
TEST_F(TunDeviceTest, TunCarriesOurEchoRequestAndTheKernelsReply) {
  TunDevice dev(config(TunMode::kTun));
  add_kernel_address(dev.name());
  const std::size_t len = 20 + 8 + 4;
  bool sent = dev.transmit(Instant(), len, [](MutBytes b) {
    std::fill(b.begin(), b.end(), 0);
    b[0] = 0x45;
    store_be16(b, 2, static_cast<std::uint16_t>(b.size()));
    b[8] = 64;
    b[9] = 1;  // ICMP
    std::copy_n(kUs.bytes().begin(), 4, b.begin() + 12);
    std::copy_n(kKernel.bytes().begin(), 4, b.begin() + 16);
    store_be16(b, 10, internet_checksum(b.first(20)));
    MutBytes icmp = b.subspan(20);
    icmp[0] = 8;                  // echo request
    store_be16(icmp, 4, 0x1234);  // identifier
    store_be16(icmp, 6, 1);       // sequence
    store_be32(icmp, 8, 0xdeadbeef);
    store_be16(icmp, 2, internet_checksum(icmp));
  });
  ASSERT_TRUE(sent);
  auto reply = receive_matching(dev, [](Bytes p) {
    return is_ipv4_to(p, kUs, 1) && p.size() >= 28 && p[20] == 0 && load_be16(p, 24) == 0x1234;
  });
  ASSERT_TRUE(reply) << "the kernel did not answer our echo request";
  EXPECT_EQ(load_be32(*reply, 28), 0xdeadbeefu);
  EXPECT_EQ(dev.stats().tx_packets, 1u);
}

// RFC 826: over TAP the kernel resolves our address with ARP before it sends the datagram.
TEST_F(TunDeviceTest, TapDeliversEthernetFramesStartingWithArp) {
  TunDevice dev(config(TunMode::kTap));
  EXPECT_EQ(dev.caps().medium, Medium::kEthernet);
  EXPECT_FALSE(dev.kernel_mac().is_zero());
  add_kernel_address(dev.name());
  kernel_sends_udp(netns_, "hello");
  auto frame = receive_matching(dev, [](Bytes f) {
    return f.size() >= 42 && load_be16(f, 12) == 0x0806 && load_be16(f, 20) == 1 &&
           Ipv4Addr::from_bytes(f.subspan(38, 4)) == kUs;
  });
  ASSERT_TRUE(frame) << "no ARP request for " << kUs.to_string();
  EXPECT_EQ(MacAddr::from_bytes(Bytes(*frame).subspan(6, 6)), dev.kernel_mac());
}

TEST_F(TunDeviceTest, MtuIsSetOnTheKernelSide) {
  TunConfig c = config(TunMode::kTun);
  c.mtu = 65535;
  TunDevice dev(c);
  EXPECT_EQ(dev.caps().mtu, 65535u);
  NetnsScope in(netns_);
  EXPECT_EQ(link_mtu(dev.name()), 65535u);
}

// The kernel's transmit queue toward us: a created device takes created_txqueuelen, an existing
// one keeps its own unless txqueuelen is given.
TEST_F(TunDeviceTest, TxQueueLenIsSetOnCreatedDevicesAndWhenGiven) {
  TunConfig c = config(TunMode::kTun);
  c.persist = true;
  c.created_txqueuelen = 4096;
  { TunDevice maker(c); }
  {
    NetnsScope in(netns_);
    EXPECT_EQ(link_txqueuelen(c.name), 4096u);
    set_link_txqueuelen(c.name, 700);
  }
  TunConfig attach = config(TunMode::kTun);
  attach.name = c.name;
  attach.must_exist = true;
  attach.created_txqueuelen = 4096;
  { TunDevice dev(attach); }
  {
    NetnsScope in(netns_);
    EXPECT_EQ(link_txqueuelen(c.name), 700u) << "an existing device keeps its queue length";
  }
  attach.txqueuelen = 2000;
  { TunDevice dev(attach); }
  NetnsScope in(netns_);
  EXPECT_EQ(link_txqueuelen(c.name), 2000u);
  EXPECT_TRUE(delete_link(c.name));
}

TEST_F(TunDeviceTest, MtuOutOfRangeIsRejectedBeforeOpening) {
  TunConfig c = config(TunMode::kTun);
  c.mtu = 70000;
  try {
    TunDevice dev(c);
    ADD_FAILURE() << "accepted MTU 70000";
  } catch (const SysError& e) {
    EXPECT_THAT(e.what(), HasSubstr("MTU 70000 out of range (68..65535)"));
  }
  EXPECT_FALSE(link_exists(c.name));
}

TEST_F(TunDeviceTest, SecondOpenOfTheSameDeviceIsBusy) {
  TunConfig c = config(TunMode::kTun);
  TunDevice first(c);
  try {
    TunDevice second(c);
    ADD_FAILURE() << "two programs attached to one single-queue device";
  } catch (const SysError& e) {
    EXPECT_EQ(e.error_number(), EBUSY);
    EXPECT_THAT(e.what(), HasSubstr("device " + c.name + " is busy"));
  }
}

TEST_F(TunDeviceTest, CreatedDeviceDisappearsWhenClosed) {
  TunConfig c = config(TunMode::kTun);
  {
    TunDevice dev(c);
    EXPECT_TRUE(link_exists(c.name));
  }
  EXPECT_FALSE(link_exists(c.name));
}

// The benchmark rig creates and configures the device itself; we attach and leave it as found.
TEST_F(TunDeviceTest, AttachesToAnExistingPersistentDeviceAndLeavesIt) {
  TunConfig c = config(TunMode::kTun);
  c.persist = true;
  { TunDevice maker(c); }
  ASSERT_TRUE(link_exists(c.name));
  add_kernel_address(c.name);
  TunConfig attach = config(TunMode::kTun);
  attach.name = c.name;
  attach.must_exist = true;
  {
    TunDevice dev(attach);
    EXPECT_FALSE(dev.created());
    kernel_sends_udp(netns_, "again");
    EXPECT_TRUE(receive_matching(dev, [](Bytes p) { return is_ipv4_to(p, kUs, 17); }));
  }
  EXPECT_TRUE(link_exists(c.name));
  NetnsScope in(netns_);
  EXPECT_TRUE(delete_link(c.name));
}

// Attaching to a device that is up but has no carrier (its last user left) turns the carrier
// on; the kernel activates the device's queue later, from its link-watch work. The constructor
// returns only once the link is running, so the very first packet the kernel sends arrives
// (before the fix, a DNS answer sent within a millisecond of attaching was dropped unseen).
TEST_F(TunDeviceTest, AttachingToAnUpDeviceReturnsOnlyOnceTheKernelQueuesToIt) {
  TunConfig c = config(TunMode::kTun);
  c.persist = true;
  { TunDevice maker(c); }
  add_kernel_address(c.name);
  TunConfig attach = c;
  attach.persist = false;
  attach.must_exist = true;
  for (int round = 0; round < 10; ++round) {
    {
      // The last user's leaving also reaches the link state late: wait until it has.
      NetnsScope in(netns_);
      for (int i = 0; i < 1000 && (link_flags(c.name) & IFF_RUNNING) != 0; ++i) ::usleep(1000);
      ASSERT_EQ(link_flags(c.name) & (IFF_UP | IFF_RUNNING), unsigned{IFF_UP}) << "round " << round;
    }
    TunDevice dev(attach);
    {
      NetnsScope in(netns_);
      EXPECT_NE(link_flags(c.name) & IFF_RUNNING, 0u) << "round " << round;
    }
    kernel_sends_udp(netns_, "first");
    EXPECT_TRUE(receive_matching(dev, [](Bytes p) { return is_ipv4_to(p, kUs, 17); }))
        << "round " << round;
  }
  NetnsScope in(netns_);
  EXPECT_TRUE(delete_link(c.name));
}

TEST_F(TunDeviceTest, AttachingToAMissingDeviceWithMustExistFails) {
  TunConfig c = config(TunMode::kTun);
  c.must_exist = true;
  try {
    TunDevice dev(c);
    ADD_FAILURE() << "attached to a missing device";
  } catch (const SysError& e) {
    EXPECT_THAT(e.what(), HasSubstr("device " + c.name + " does not exist in namespace"));
  }
}

TEST_F(TunDeviceTest, AttachingAsTheWrongKindSaysWhichFlagToUse) {
  TunConfig c = config(TunMode::kTun);
  TunDevice tun_dev(c);
  TunConfig as_tap = c;
  as_tap.mode = TunMode::kTap;
  try {
    TunDevice tap_dev(as_tap);
    ADD_FAILURE() << "opened a TUN device as TAP";
  } catch (const SysError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is not a TAP device"));
  }
}

TEST_F(TunDeviceTest, UnknownNamespaceIsReported) {
  TunConfig c = config(TunMode::kTun);
  c.netns = "ust-no-such-ns";
  try {
    TunDevice dev(c);
    ADD_FAILURE() << "opened a device in a missing namespace";
  } catch (const SysError& e) {
    EXPECT_THAT(e.what(), HasSubstr("network namespace ust-no-such-ns does not exist"));
  }
}

// A TCP SYN from kUs:sport to kKernel:dport (a closed port: the kernel answers with a RST).
void write_syn(TunDevice& dev, std::uint16_t sport, std::uint16_t dport) {
  ASSERT_TRUE(dev.transmit(Instant(), 40, [&](MutBytes b) {
    std::fill(b.begin(), b.end(), 0);
    b[0] = 0x45;
    store_be16(b, 2, 40);
    b[8] = 64;
    b[9] = 6;  // TCP
    std::copy_n(kUs.bytes().begin(), 4, b.begin() + 12);
    std::copy_n(kKernel.bytes().begin(), 4, b.begin() + 16);
    store_be16(b, 10, internet_checksum(b.first(20)));
    MutBytes tcp = b.subspan(20);
    store_be16(tcp, 0, sport);
    store_be16(tcp, 2, dport);
    store_be32(tcp, 4, 1000);
    tcp[12] = 5 << 4;
    tcp[13] = 0x02;  // SYN
    store_be16(tcp, 14, 65535);
    std::uint32_t sum = pseudo_header_sum_v4(kUs, kKernel, 6, 20);
    store_be16(tcp, 16, checksum_finish(checksum_add(sum, tcp)));
  }));
}

bool is_rst_to(Bytes p, std::uint16_t port) {
  return is_ipv4_to(p, kUs, 6) && p.size() >= 40 && load_be16(p, 22) == port && (p[33] & 0x04);
}

// --queues: the first queue creates the device with IFF_MULTI_QUEUE, the others attach to it by
// name; a single-queue open of a multi-queue device is refused, and the device goes away with
// its last queue.
TEST_F(TunDeviceTest, MultiQueueDeviceTakesSeveralQueuesAndGoesWithTheLast) {
  TunConfig c = config(TunMode::kTun);
  c.multi_queue = true;
  c.mtu = 1400;
  auto first = std::make_unique<TunDevice>(c);
  EXPECT_TRUE(first->created());
  TunConfig more = c;
  more.extra_queue = true;
  more.mtu.reset();
  auto second = std::make_unique<TunDevice>(more);
  EXPECT_FALSE(second->created());
  EXPECT_EQ(second->caps().mtu, 1400u);  // read from the link, which the first queue set
  TunConfig single = c;
  single.multi_queue = false;
  try {
    TunDevice dev(single);
    ADD_FAILURE() << "a single-queue open of a multi-queue device succeeded";
  } catch (const SysError& e) {
    EXPECT_EQ(e.error_number(), EINVAL);
  }
  first.reset();
  EXPECT_TRUE(link_exists(c.name)) << "the device went away with its first queue";
  second.reset();
  EXPECT_FALSE(link_exists(c.name));
}

TEST_F(TunDeviceTest, AnotherQueueOfASingleQueueDeviceIsRefusedWithTheFix) {
  TunConfig c = config(TunMode::kTun);
  TunDevice first(c);
  TunConfig more = c;
  more.multi_queue = more.extra_queue = true;
  try {
    TunDevice second(more);
    ADD_FAILURE() << "a second queue on a single-queue device";
  } catch (const SysError& e) {
    EXPECT_THAT(e.what(), HasSubstr("multi_queue"));
  }
}

// Linux's tun learns a flow's queue from the packets we write (tun_get_user ->
// tun_flow_update, keyed by the symmetric flow hash) and sends the flow's packets to that queue
// (tun_select_queue -> tun_automq_select_queue), so a connection ustack opens from shard k gets
// its answers on queue k. The kernel answers a SYN before it records the flow, so a SYN alone
// would get its answer by hash (17 of these 32 came back on their queue without the prime);
// the device writes a prime first (flow_prime.h) and every answer comes back where it belongs.
TEST_F(TunDeviceTest, TheKernelAnswersAFlowOnTheQueueThatLastWroteIt) {
  TunConfig c = config(TunMode::kTun);
  c.multi_queue = true;
  TunDevice q0(c);
  TunConfig more = c;
  more.extra_queue = true;
  TunDevice q1(more);
  add_kernel_address(q0.name());
  TunDevice* queues[2] = {&q0, &q1};
  int answered = 0;
  for (std::uint16_t i = 0; i < 32; ++i) {
    const std::uint16_t sport = static_cast<std::uint16_t>(40000 + i);
    TunDevice& mine = *queues[i % 2];
    TunDevice& other = *queues[1 - i % 2];
    write_syn(mine, sport, 9);
    auto rst = receive_matching(mine, [&](Bytes p) { return is_rst_to(p, sport); });
    EXPECT_TRUE(rst) << "no RST for port " << sport << " on queue " << i % 2;
    if (rst) ++answered;
    while (auto p = other.receive(Instant())) {
      EXPECT_FALSE(is_rst_to(*p, sport)) << "port " << sport << "'s RST on the other queue";
    }
  }
  EXPECT_EQ(answered, 32);
  EXPECT_EQ(q0.stats().tx_flow_primes + q1.stats().tx_flow_primes, 32u);
  EXPECT_EQ(q0.stats().tx_packets + q1.stats().tx_packets, 32u);
}

}  // namespace
}  // namespace ustack::tun
