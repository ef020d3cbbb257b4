// Relative sequence numbers by tcpdump's rules (print-tcp.c), checked on a handshake, data with
// a SACK, a new incarnation of the same 4-tuple, both collating orders and a wrap past 2^32.
#include "stack/wire/tcp_relative_seq.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

const IpAddr kClient = *IpAddr::parse("198.18.0.1");
const IpAddr kServer = *IpAddr::parse("198.18.0.2");

TcpRepr seg(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint32_t ack,
            std::uint8_t flags) {
  TcpRepr s;
  s.src_port = sport;
  s.dst_port = dport;
  s.seq = SeqNum(seq);
  s.ack = SeqNum(ack);
  s.flags = flags;
  return s;
}

constexpr std::uint8_t kAck = tcp_flags::kAck;
constexpr std::uint8_t kSyn = tcp_flags::kSyn;

TEST(TcpRelativeSeqs, AHandshakeAndDataPrintLikeTcpdump) {
  TcpRelativeSeqs rel;
  // The client's SYN has no ACK: absolute, and nothing recorded.
  TcpRepr s1 = seg(40000, 80, 1000, 0, kSyn);
  rel.apply(kClient, kServer, s1);
  EXPECT_EQ(s1.seq.raw(), 1000u);
  // The SYN-ACK records the bases and is itself printed absolute.
  TcpRepr s2 = seg(80, 40000, 5000, 1001, kSyn | kAck);
  rel.apply(kServer, kClient, s2);
  EXPECT_EQ(s2.seq.raw(), 5000u);
  EXPECT_EQ(s2.ack.raw(), 1001u);
  // "ack 1", then "seq 1:101, ack 1", then the server's "ack 101".
  TcpRepr s3 = seg(40000, 80, 1001, 5001, kAck);
  rel.apply(kClient, kServer, s3);
  EXPECT_EQ(s3.seq.raw(), 1u);
  EXPECT_EQ(s3.ack.raw(), 1u);
  TcpRepr s4 = seg(80, 40000, 5001, 1101, kAck);
  s4.options.add_sack({SeqNum(1201), SeqNum(1301)});
  rel.apply(kServer, kClient, s4);
  EXPECT_EQ(s4.seq.raw(), 1u);
  EXPECT_EQ(s4.ack.raw(), 101u);
  EXPECT_EQ(s4.options.sack[0].left.raw(), 201u);  // the client's data: the client's base
  EXPECT_EQ(s4.options.sack[0].right.raw(), 301u);
}

TEST(TcpRelativeSeqs, ASynWithAckStartsANewConversation) {
  TcpRelativeSeqs rel;
  TcpRepr a = seg(80, 40000, 5000, 1001, kSyn | kAck);
  rel.apply(kServer, kClient, a);
  TcpRepr b = seg(80, 40000, 9000, 7001, kSyn | kAck);  // the 4-tuple reused
  rel.apply(kServer, kClient, b);
  EXPECT_EQ(b.seq.raw(), 9000u);
  TcpRepr c = seg(40000, 80, 7001, 9001, kAck);
  rel.apply(kClient, kServer, c);
  EXPECT_EQ(c.seq.raw(), 1u);
  EXPECT_EQ(c.ack.raw(), 1u);
}

TEST(TcpRelativeSeqs, EqualPortsCollateByAddressAndNumbersWrap) {
  TcpRelativeSeqs rel;
  // Equal ports: the higher source address is the reversed direction; either way the result
  // is the same conversation.
  TcpRepr first = seg(7, 7, 0xfffffff0u, 0x10u, kAck);
  rel.apply(kServer, kClient, first);
  TcpRepr back = seg(7, 7, 0x10u + 1, 0xfffffff0u + 20, kAck);
  rel.apply(kClient, kServer, back);
  EXPECT_EQ(back.seq.raw(), 2u);   // 0x11 - (0x10 - 1)
  EXPECT_EQ(back.ack.raw(), 20u);  // past 2^32, still relative
}

TEST(TcpRelativeSeqs, SegmentsWithoutAckStayAbsolute) {
  TcpRelativeSeqs rel;
  TcpRepr a = seg(80, 40000, 5000, 1001, kSyn | kAck);
  rel.apply(kServer, kClient, a);
  TcpRepr rst = seg(40000, 80, 1001, 0, tcp_flags::kRst);
  rel.apply(kClient, kServer, rst);
  EXPECT_EQ(rst.seq.raw(), 1001u);
}

}  // namespace
}  // namespace ustack
