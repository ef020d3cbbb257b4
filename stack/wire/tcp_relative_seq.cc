#include "stack/wire/tcp_relative_seq.h"

#include <algorithm>

namespace ustack {

void TcpRelativeSeqs::apply(const IpAddr& src, const IpAddr& dst, TcpRepr& seg) {
  if (!seg.has(tcp_flags::kAck)) return;
  // tcpdump: reversed when the source port is higher, or on equal ports the source address
  // compares higher byte by byte.
  bool rev = seg.src_port > seg.dst_port;
  if (seg.src_port == seg.dst_port) {
    rev = std::lexicographical_compare(dst.bytes().begin(), dst.bytes().end(), src.bytes().begin(),
                                       src.bytes().end());
  }
  const Key key =
      rev ? Key{dst, src, seg.dst_port, seg.src_port} : Key{src, dst, seg.src_port, seg.dst_port};
  auto it = conversations_.find(key);
  if (it == conversations_.end() || seg.has(tcp_flags::kSyn)) {
    Bases fresh = rev ? Bases{seg.ack - 1u, seg.seq} : Bases{seg.seq, seg.ack - 1u};
    it = conversations_.insert_or_assign(key, fresh).first;
  } else {
    const Bases& b = it->second;
    seg.seq = SeqNum((rev ? seg.seq.raw() - b.b.raw() : seg.seq.raw() - b.a.raw()));
    seg.ack = SeqNum((rev ? seg.ack.raw() - b.a.raw() : seg.ack.raw() - b.b.raw()));
  }
  // SACK blocks acknowledge the other side's data; tcpdump subtracts even on the packet that
  // just recorded the bases.
  const SeqNum sack_base = rev ? it->second.a : it->second.b;
  for (std::uint8_t i = 0; i < seg.options.sack_count; ++i) {
    TcpSackBlock& blk = seg.options.sack[i];
    blk.left = SeqNum(blk.left.raw() - sack_base.raw());
    blk.right = SeqNum(blk.right.raw() - sack_base.raw());
  }
}

}  // namespace ustack
