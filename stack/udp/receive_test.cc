// The UDP receive path: validation of what a peer sends (RFC 768, RFC 8200 §8.1), the
// receive queue (SO_RCVBUF), reading (MSG_TRUNC, MSG_PEEK) and pushed readiness.
#include <gtest/gtest.h>

#include "stack/udp/testbed.h"

namespace ustack::testing {
namespace {

// RFC 768: a datagram to a bound port is queued with who sent it and to which address.
TEST(UdpReceive, DatagramToBoundPortIsQueuedWithSenderAndDestination) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kUs4, 53, "query")), RxVerdict::kDelivered);
  ByteVec buf(100);
  auto r = t.layer().recv_from(s, buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + 5), "query");
  EXPECT_EQ(r->size, 5u);
  EXPECT_EQ(r->full_size, 5u);
  EXPECT_EQ(r->from, (UdpEndpoint{kPeer4, 5000}));
  EXPECT_EQ(r->local, kUs4);  // IP_PKTINFO
  EXPECT_EQ(t.layer().counters().in_datagrams, 1u);
}

// RFC 768 / RFC 1122 §4.1.3.4: a datagram whose checksum does not verify is discarded.
TEST(UdpReceive, BadChecksumIsDroppedAndCounted) {
  RecordingTracer tracer;
  UdpTestbed t(UdpTestbed::default_config(), &tracer);
  SocketHandle s = t.bound(kAny4, 53);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kUs4, 53, "query").bad_checksum()), RxVerdict::kDelivered);
  EXPECT_EQ(t.layer().queued_datagrams(s), 0u);
  EXPECT_EQ(t.layer().counters().drops_bad_checksum, 1u);
  EXPECT_EQ(t.layer().counters().in_datagrams, 0u);
  EXPECT_TRUE(tracer.saw("drops.udp_bad_checksum"));
}

// Rx checksum offload: the device vouched for the sum, so it is not verified again.
TEST(UdpReceive, ChecksumVerifiedByTheDeviceIsNotCheckedAgain) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "query").bad_checksum().verified_by_device());
  EXPECT_EQ(t.recv(s), "query");
}

// RFC 768: a zero checksum means the sender computed none, which IPv4 allows.
TEST(UdpReceive, ZeroChecksumIsAcceptedOverIpv4) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "no sum").zero_checksum());
  EXPECT_EQ(t.recv(s), "no sum");
}

// RFC 8200 §8.1: "IPv6 receivers must discard UDP packets containing a zero checksum" — a
// format error, so counted as malformed rather than as a bad sum.
TEST(UdpReceive, ZeroChecksumIsDroppedOverIpv6AsMalformed) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny6, 53);
  EXPECT_EQ(t.inject(dgram(kPeer6, 5000, kUs6, 53, "no sum").zero_checksum()),
            RxVerdict::kDelivered);
  EXPECT_EQ(t.layer().queued_datagrams(s), 0u);
  EXPECT_EQ(t.layer().counters().drops_malformed, 1u);
  EXPECT_EQ(t.layer().counters().drops_bad_checksum, 0u);
}

// RFC 768: the length field counts header and data; one longer than the IP payload means
// the datagram is truncated.
TEST(UdpReceive, LengthLargerThanTheDatagramIsDroppedAsMalformed) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kUs4, 53, "query").length(8 + 6)), RxVerdict::kDelivered);
  EXPECT_EQ(t.layer().queued_datagrams(s), 0u);
  EXPECT_EQ(t.layer().counters().drops_malformed, 1u);
}

// RFC 768: the length is at least 8 (the header).
TEST(UdpReceive, LengthBelowTheHeaderIsDroppedAsMalformed) {
  UdpTestbed t;
  t.bound(kAny4, 53);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kUs4, 53, "query").length(7)), RxVerdict::kDelivered);
  EXPECT_EQ(t.layer().counters().drops_malformed, 1u);
  EXPECT_EQ(t.layer().counters().no_ports, 0u);
}

// Fewer than 8 bytes cannot hold a header.
TEST(UdpReceive, DatagramShorterThanTheHeaderIsDroppedAsMalformed) {
  UdpTestbed t;
  t.bound(kAny4, 53);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kUs4, 53, "").cut(7)), RxVerdict::kDelivered);
  EXPECT_EQ(t.layer().counters().drops_malformed, 1u);
}

// Linux udp_rcv (pskb_trim_rcsum): bytes beyond the UDP length (IP padding) are not data.
TEST(UdpReceive, LengthShorterThanTheDatagramTrimsThePayload) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "query").padded(10));
  EXPECT_EQ(t.recv(s), "query");
}

// RFC 768: a datagram may carry no data; it is still a datagram, readable, and reads as 0.
TEST(UdpReceive, EmptyDatagramIsReadableAndReadsAsZeroBytes) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, ""));
  EXPECT_TRUE(t.layer().readiness(s).readable);
  EXPECT_EQ(t.layer().queued_datagrams(s), 1u);
  ByteVec buf(10);
  auto r = t.layer().recv_from(s, buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size, 0u);
  EXPECT_EQ(r->full_size, 0u);
  EXPECT_FALSE(t.layer().readiness(s).readable);
  EXPECT_EQ(t.layer().recv_from(s, buf).error(), UdpError::kWouldBlock);
}

// RFC 1122 §4.1.3.1: no socket on the port: the IP layer answers ICMP port unreachable.
TEST(UdpReceive, NoSocketOnThePortAsksForPortUnreachable) {
  UdpTestbed t;
  t.bound(kAny4, 53);
  EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kUs4, 54, "query")), RxVerdict::kPortUnreachable);
  EXPECT_EQ(t.layer().counters().no_ports, 1u);
  EXPECT_EQ(t.layer().counters().in_datagrams, 0u);
}

// SO_RCVBUF (socket(7)): a datagram that does not fit the queue is dropped and counted
// (payload bytes are counted, not Linux's skb truesize).
TEST(UdpReceive, DatagramThatDoesNotFitTheReceiveBufferIsDropped) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53, UdpTestbed::recv_buffer(1000));
  ByteVec p400(400, 1);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, p400));
  t.inject(dgram(kPeer4, 5000, kUs4, 53, p400));
  t.inject(dgram(kPeer4, 5000, kUs4, 53, p400));             // 1200 > 1000
  t.inject(dgram(kPeer4, 5000, kUs4, 53, ByteVec(200, 2)));  // exactly fits
  EXPECT_EQ(t.layer().queued_datagrams(s), 3u);
  EXPECT_EQ(t.layer().queued_bytes(s), 1000u);
  EXPECT_EQ(t.layer().counters().drops_rcvbuf_full, 1u);
  EXPECT_EQ(t.layer().counters().in_datagrams, 3u);
  t.recv(s);  // room again
  t.inject(dgram(kPeer4, 5000, kUs4, 53, p400));
  EXPECT_EQ(t.layer().queued_datagrams(s), 3u);
}

// A flood of empty datagrams is bounded too (Linux: by their truesize; here by count,
// recv_buffer / 256).
TEST(UdpReceive, EmptyDatagramsAreBoundedByCount) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53, UdpTestbed::recv_buffer(1024));
  for (int i = 0; i < 10; ++i) t.inject(dgram(kPeer4, 5000, kUs4, 53, ""));
  EXPECT_EQ(t.layer().queued_datagrams(s), 4u);
  EXPECT_EQ(t.layer().counters().drops_rcvbuf_full, 6u);
}

// Linux __udp_enqueue_schedule_skb admits a datagram while the queue is within SO_RCVBUF, so
// a datagram larger than the buffer still reaches an empty queue.
TEST(UdpReceive, DatagramLargerThanTheBufferIsAdmittedIntoAnEmptyQueue) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53, UdpTestbed::recv_buffer(100));
  t.inject(dgram(kPeer4, 5000, kUs4, 53, ByteVec(500, 1)));
  t.inject(dgram(kPeer4, 5000, kUs4, 53, ByteVec(1, 1)));
  EXPECT_EQ(t.layer().queued_datagrams(s), 1u);
  EXPECT_EQ(t.layer().queued_bytes(s), 500u);
}

// udp(7) MSG_TRUNC: a short buffer gets the start of the datagram, the rest is discarded,
// and the full length is reported.
TEST(UdpReceive, ShortBufferTruncatesAndReportsTheFullSize) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "0123456789"));
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "next"));
  ByteVec buf(4);
  auto r = t.layer().recv_from(s, buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size, 4u);
  EXPECT_EQ(r->full_size, 10u);
  EXPECT_EQ(std::string(buf.begin(), buf.end()), "0123");
  EXPECT_EQ(t.recv(s), "next");  // the rest of the first one is gone
}

// MSG_PEEK: the oldest datagram's size and sender, left in the queue.
TEST(UdpReceive, PeekShowsTheOldestDatagramWithoutTakingIt) {
  UdpTestbed t;
  SocketHandle s = t.bound(kAny4, 53);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "first"));
  t.inject(dgram(kOther4, 6000, kUs4, 53, "second!"));
  auto p = t.layer().peek(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->full_size, 5u);
  EXPECT_EQ(p->from, (UdpEndpoint{kPeer4, 5000}));
  EXPECT_EQ(t.layer().queued_datagrams(s), 2u);
  EXPECT_EQ(t.layer().queued_bytes(s), 12u);
  EXPECT_EQ(t.recv(s), "first");
  EXPECT_EQ(t.layer().peek(s)->full_size, 7u);
}

// Pushed readiness (ARCHITECTURE.md): a socket that gets a datagram is listed once until
// the next drain; a socket that got nothing is not.
TEST(UdpReceive, ArrivalMarksTheSocketReadyOnce) {
  UdpTestbed t;
  SocketHandle a = t.bound(kAny4, 53);
  t.bound(kAny4, 54);
  EXPECT_FALSE(t.layer().any_ready());
  EXPECT_FALSE(t.layer().readiness(a).readable);
  EXPECT_TRUE(t.layer().readiness(a).writable);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "one"));
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "two"));
  EXPECT_TRUE(t.layer().readiness(a).readable);
  EXPECT_EQ(t.take_ready(), std::vector<SocketHandle>{a});
  EXPECT_FALSE(t.layer().any_ready());
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "three"));
  EXPECT_EQ(t.take_ready(), std::vector<SocketHandle>{a});
}

// A dropped datagram does not make a socket ready.
TEST(UdpReceive, DroppedDatagramDoesNotMarkReady) {
  UdpTestbed t;
  t.bound(kAny4, 53);
  t.inject(dgram(kPeer4, 5000, kUs4, 53, "x").bad_checksum());
  EXPECT_FALSE(t.layer().any_ready());
}

}  // namespace
}  // namespace ustack::testing
