// TcpSegmentComments: which events explain which sent segment, packet by packet.
#include "tun/pcap_comments.h"

#include <gtest/gtest.h>

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

TEST(TcpSegmentCommentsTest, ReceivedAndForeignPacketsGetNone) {
  TcpSegmentComments c(Medium::kIp);
  c.on_event(event(TraceKind::kTcpState, t1, "SYN_SENT->ESTABLISHED"));
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
