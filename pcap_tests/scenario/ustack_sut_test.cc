// UstackSut on its own: the seam's contract (fds, errno, virtual time, the capture) as the
// runner and KernelSut's tests rely on it.
#include "pcap_tests/scenario/ustack_sut.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace ustack::scenario {
namespace {

const ScenarioAddresses kAddrs;

// A SYN from the peer's port 8080 to the SUT's `port`.
ByteVec syn_to(std::uint16_t port) {
  TcpRepr t;
  t.src_port = kAddrs.remote_port;
  t.dst_port = port;
  t.seq = SeqNum(1000);
  t.flags = tcp_flags::kSyn;
  t.window = 65535;
  ByteVec seg(t.buffer_len());
  t.emit(seg, kAddrs.remote4, kAddrs.local4, ChecksumMode::kCompute);
  Ipv4Repr ip;
  ip.src = kAddrs.remote4.v4();
  ip.dst = kAddrs.local4.v4();
  ip.protocol = IpProto::kTcp;
  ip.payload_len = seg.size();
  ByteVec out(ip.total_len());
  ip.emit(out, ChecksumMode::kCompute);
  std::copy(seg.begin(), seg.end(), out.begin() + ip.header_len());
  return out;
}

TEST(UstackSut, FdsAreTheLowestFreeFromThree) {
  UstackSut sut;
  EXPECT_EQ(sut.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP).value, 3);
  EXPECT_EQ(sut.socket(AF_INET, SOCK_DGRAM, 0).value, 4);
  EXPECT_EQ(sut.close(3).value, 0);
  EXPECT_EQ(sut.socket(AF_INET6, SOCK_STREAM, 0).value, 3);
}

TEST(UstackSut, ErrorsAreLinuxErrnos) {
  UstackSut sut;
  EXPECT_EQ(sut.close(7).err, EBADF);
  EXPECT_EQ(sut.socket(AF_INET, SOCK_RAW, 0).err, EINVAL);
  int fd = static_cast<int>(sut.socket(AF_INET, SOCK_STREAM, 0).value);
  EXPECT_EQ(sut.setsockopt(fd, SOL_SOCKET, 12345, 1).err, ENOPROTOOPT);
  std::uint8_t buf[10];
  EXPECT_EQ(sut.read(fd, buf, 0).err, ENOTCONN);
}

// The seam: a call that would block on a blocking socket reports it instead of waiting.
TEST(UstackSut, BlockingCallsDoNotWait) {
  UstackSut sut;
  int fd = static_cast<int>(sut.socket(AF_INET, SOCK_STREAM, 0).value);
  ASSERT_EQ(sut.bind(fd, {kAddrs.local4, 8080}).value, 0);
  ASSERT_EQ(sut.listen(fd, 1).value, 0);
  EXPECT_EQ(sut.accept(fd).err, EAGAIN);
  int c = static_cast<int>(sut.socket(AF_INET, SOCK_STREAM, 0).value);
  EXPECT_EQ(sut.connect(c, {kAddrs.remote4, 8080}).err, EINPROGRESS);
  EXPECT_EQ(sut.elapsed(), Duration::zero());
}

TEST(UstackSut, InjectedSynGetsSynAckStampedWithVirtualTime) {
  UstackSut sut;
  int fd = static_cast<int>(sut.socket(AF_INET, SOCK_STREAM, 0).value);
  ASSERT_EQ(sut.bind(fd, {kAddrs.local4, 8080}).value, 0);
  ASSERT_EQ(sut.listen(fd, 1).value, 0);
  sut.wait_until(Duration::millis(250));
  EXPECT_EQ(sut.elapsed(), Duration::millis(250));
  sut.inject(syn_to(8080));
  std::optional<replay::TimedPacket> p = sut.next_outbound(Duration::millis(300));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->outbound);
  EXPECT_EQ(p->at - Instant::zero(), Duration::millis(250));
  ASSERT_EQ(sut.capture().size(), 2u);
  EXPECT_FALSE(sut.capture()[0].outbound);
  EXPECT_EQ(sut.capture()[0].ip, syn_to(8080));
  // Nothing else until the SYN-ACK's retransmission (1 s): waiting runs the clock to the
  // deadline and comes back empty.
  EXPECT_FALSE(sut.next_outbound(Duration::millis(900)));
  EXPECT_EQ(sut.elapsed(), Duration::millis(900));
  p = sut.next_outbound(Duration::seconds(2));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->at - Instant::zero(), Duration::millis(1250));
}

TEST(UstackSut, SameSeedSameIsn) {
  auto synack = [] {
    UstackSut sut;
    int fd = static_cast<int>(sut.socket(AF_INET, SOCK_STREAM, 0).value);
    EXPECT_EQ(sut.bind(fd, {kAddrs.local4, 8080}).value, 0);
    EXPECT_EQ(sut.listen(fd, 1).value, 0);
    sut.inject(syn_to(8080));
    return sut.next_outbound(Duration::millis(1))->ip;
  };
  EXPECT_EQ(synack(), synack());
}

}  // namespace
}  // namespace ustack::scenario
