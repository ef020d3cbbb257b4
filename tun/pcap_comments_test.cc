// TcpSegmentComments: which events explain which sent segment, packet by packet.
#include "tun/pcap_comments.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ustack::tun {
namespace {

const IpAddr kLocal = *IpAddr::parse("198.18.0.2");
const IpAddr kRemote = *IpAddr::parse("198.18.0.1");

// IPv4 + a 20-octet TCP header + `payload` octets, from kLocal:80 to kRemote:4000.
ByteVec segment(std::uint8_t flags, std::size_t payload = 0, bool reverse = false) {
  ByteVec p(40 + payload, 0);
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(p.size() >> 8);
  p[3] = static_cast<std::uint8_t>(p.size());
  p[9] = 6;
  const IpAddr& src = reverse ? kRemote : kLocal;
  const IpAddr& dst = reverse ? kLocal : kRemote;
  std::copy(src.bytes().begin(), src.bytes().end(), p.begin() + 12);
  std::copy(dst.bytes().begin(), dst.bytes().end(), p.begin() + 16);
  const std::uint16_t sport = reverse ? 4000 : 80, dport = reverse ? 80 : 4000;
  p[20] = static_cast<std::uint8_t>(sport >> 8);
  p[21] = static_cast<std::uint8_t>(sport);
  p[22] = static_cast<std::uint8_t>(dport >> 8);
  p[23] = static_cast<std::uint8_t>(dport);
  p[32] = 0x50;  // data offset 5
  p[33] = flags;
  return p;
}

TraceEvent event(TraceKind kind, Instant at, const char* what, const char* detail = "") {
  TraceEvent e;
  e.kind = kind;
  e.at = at;
  e.local = kLocal;
  e.remote = kRemote;
  e.local_port = 80;
  e.remote_port = 4000;
  e.what = what;
  e.detail = detail;
  return e;
}

class Recorder : public Tracer {
 public:
  void on_event(const TraceEvent& e) override { kinds.push_back(e.kind); }
  std::vector<TraceKind> kinds;
};

const Instant t1 = Instant::from_millis(1), t2 = Instant::from_millis(2);

TEST(TcpSegmentCommentsTest, StateAndKindOfASegment) {
  TcpSegmentComments c(Medium::kIp);
  EXPECT_EQ(c.comment(t1, PacketDirection::kSent, segment(0x02)), "SYN");
  c.on_event(event(TraceKind::kTcpState, t1, "LISTEN->SYN_RECEIVED", "3.10.7.2"));
  EXPECT_EQ(c.comment(t1, PacketDirection::kSent, segment(0x12)), "SYN-ACK; state SYN_RECEIVED");
  c.on_event(event(TraceKind::kTcpState, t2, "SYN_RECEIVED->ESTABLISHED"));
  EXPECT_EQ(c.comment(t2, PacketDirection::kSent, segment(0x18, 100)), "data; state ESTABLISHED");
  EXPECT_EQ(c.comment(t2, PacketDirection::kSent, segment(0x11)), "FIN; state ESTABLISHED");
}

TEST(TcpSegmentCommentsTest, RetransmitReasonExplainsTheNextSegmentOnly) {
  TcpSegmentComments c(Medium::kIp);
  c.on_event(event(TraceKind::kTcpState, t1, "SYN_SENT->ESTABLISHED"));
  TraceEvent cong = event(TraceKind::kTcpCongestion, t1, "rto");
  cong.value = 1448;
  cong.value2 = 7240;
  c.on_event(cong);
  c.on_event(event(TraceKind::kTcpRetransmit, t1, "rto"));
  EXPECT_EQ(c.comment(t1, PacketDirection::kSent, segment(0x10, 1448)),
            "retransmit (rto): data; state ESTABLISHED; cwnd 1448 ssthresh 7240");
  EXPECT_EQ(c.comment(t1, PacketDirection::kSent, segment(0x10, 1448)),
            "data; state ESTABLISHED; cwnd 1448 ssthresh 7240");
}

TEST(TcpSegmentCommentsTest, FiredTimerExplainsASegmentAtThatInstant) {
  TcpSegmentComments c(Medium::kIp);
  c.on_event(event(TraceKind::kTcpTimer, t1, "delack", "set"));
  EXPECT_EQ(c.comment(t1, PacketDirection::kSent, segment(0x10)), "ACK");
  c.on_event(event(TraceKind::kTcpTimer, t1, "delack", "fired"));
  EXPECT_EQ(c.comment(t1, PacketDirection::kSent, segment(0x10)), "delack timer: ACK");
  // A timer that fired without sending does not explain a later segment.
  c.on_event(event(TraceKind::kTcpTimer, t1, "persist", "fired"));
  EXPECT_EQ(c.comment(t2, PacketDirection::kSent, segment(0x10)), "ACK");
}

// A segment event of the flow (the stack's side is local), as the connection traces it.
TraceEvent seg_event(TraceKind kind, Instant at, std::uint8_t flags, std::uint32_t seq,
                     std::uint32_t ack, std::uint32_t len, std::uint32_t wnd = 512) {
  TraceEvent e = event(kind, at, "");
  e.flags = flags;
  e.seq = seq;
  e.ack = ack;
  e.len = len;
  e.wnd = wnd;
  return e;
}

TraceEvent cwnd_event(Instant at, std::int64_t cwnd) {
  TraceEvent e = event(TraceKind::kTcpCongestion, at, "ack");
  e.value = cwnd;
  e.value2 = 0x7fffffff;
  return e;
}

// What a received segment did, told once the stack handled it (the writer holds the packet):
// the ACK of our SYN, of data with the window's growth, duplicate ACKs, and the state after.
TEST(TcpSegmentCommentsTest, ReceivedSegmentSaysWhatItDid) {
  TcpSegmentComments c(Medium::kIp);
  EXPECT_TRUE(c.comments_after_handling());
  const ByteVec in = segment(0x10, 0, true);
  c.on_event(seg_event(TraceKind::kTcpSegmentIn, t1, 0x02, 5000, 0, 0));  // the peer's SYN
  c.on_event(seg_event(TraceKind::kTcpSegmentOut, t1, 0x12, 1000, 5001, 0));
  c.arrived(t1, in);
  c.on_event(seg_event(TraceKind::kTcpSegmentIn, t1, 0x10, 5001, 1001, 0));
  c.on_event(event(TraceKind::kTcpState, t1, "SYN_RECEIVED->ESTABLISHED"));
  c.on_event(cwnd_event(t1, 14480));
  EXPECT_EQ(c.comment(t1, PacketDirection::kReceived, in),
            "ACKs our SYN; cwnd 14480; state ESTABLISHED");
  for (std::uint32_t i = 0; i < 3; ++i) {
    c.on_event(seg_event(TraceKind::kTcpSegmentOut, t1, 0x10, 1001 + 1448 * i, 5001, 1448));
  }
  c.arrived(t2, in);
  c.on_event(seg_event(TraceKind::kTcpSegmentIn, t2, 0x10, 5001, 2449, 0));
  c.on_event(cwnd_event(t2, 15928));
  EXPECT_EQ(c.comment(t2, PacketDirection::kReceived, in),
            "ACKs 1448 bytes; cwnd 14480→15928; state ESTABLISHED");
  for (int n = 1; n <= 2; ++n) {
    c.arrived(t2, in);
    c.on_event(seg_event(TraceKind::kTcpSegmentIn, t2, 0x10, 5001, 2449, 0));
    EXPECT_EQ(c.comment(t2, PacketDirection::kReceived, in),
              "dup ACK #" + std::to_string(n) + "; state ESTABLISHED");
  }
  // Data: in order, then out of order (no SACK negotiated here), then the gap filled.
  c.arrived(t2, in);
  c.on_event(seg_event(TraceKind::kTcpSegmentIn, t2, 0x18, 5001, 2449, 100));
  EXPECT_EQ(c.comment(t2, PacketDirection::kReceived, in),
            "data 100 bytes, in order; state ESTABLISHED");
  c.arrived(t2, in);
  c.on_event(seg_event(TraceKind::kTcpSegmentIn, t2, 0x18, 5201, 4345, 100));
  EXPECT_EQ(c.comment(t2, PacketDirection::kReceived, in),
            "ACKs 1896 bytes; data 100 bytes, out of order; state ESTABLISHED");
  c.arrived(t2, in);
  c.on_event(seg_event(TraceKind::kTcpSegmentIn, t2, 0x18, 5101, 4345, 100));
  EXPECT_EQ(c.comment(t2, PacketDirection::kReceived, in),
            "data 100 bytes, fills a gap; state ESTABLISHED");
}

// A packet dropped before any connection saw it says so, with the counter.
TEST(TcpSegmentCommentsTest, ReceivedDropNamesTheCounter) {
  TcpSegmentComments c(Medium::kIp);
  const ByteVec in = segment(0x10, 0, true);
  c.arrived(t1, in);
  TraceEvent drop;
  drop.kind = TraceKind::kDrop;
  drop.at = t1;
  drop.what = "drops.tcp_bad_checksum";
  c.on_event(drop);
  EXPECT_EQ(c.comment(t1, PacketDirection::kReceived, in),
            "dropped: tcp bad checksum (drops.tcp_bad_checksum)");
}

TEST(TcpSegmentCommentsTest, ForeignPacketsGetNone) {
  TcpSegmentComments c(Medium::kIp);
  c.on_event(event(TraceKind::kTcpState, t1, "SYN_SENT->ESTABLISHED"));
  // Not announced by arrived(): nothing known about it.
  EXPECT_EQ(c.comment(t1, PacketDirection::kReceived, segment(0x10, 0, true)), "");
  ByteVec udp = segment(0x10);
  udp[9] = 17;
  EXPECT_EQ(c.comment(t1, PacketDirection::kSent, udp), "");
  EXPECT_EQ(c.comment(t1, PacketDirection::kSent, ByteVec{0x45}), "");
}

TEST(TcpSegmentCommentsTest, EthernetHeaderIsSkippedAndEventsForwarded) {
  Recorder next;
  TcpSegmentComments c(Medium::kEthernet, &next);
  c.on_event(event(TraceKind::kTcpState, t1, "SYN_SENT->ESTABLISHED"));
  ByteVec frame(14, 0);
  frame[12] = 0x08;
  const ByteVec ip = segment(0x10);
  frame.insert(frame.end(), ip.begin(), ip.end());
  EXPECT_EQ(c.comment(t1, PacketDirection::kSent, frame), "ACK; state ESTABLISHED");
  EXPECT_EQ(next.kinds, std::vector<TraceKind>{TraceKind::kTcpState});
}

}  // namespace
}  // namespace ustack::tun
