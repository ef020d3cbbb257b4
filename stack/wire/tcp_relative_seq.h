// tcpdump's relative TCP sequence numbers (its default; -S turns them off), so `ustack dump`
// prints "seq 1:101, ack 1" where tcpdump does.
//
// The rule is tcpdump's print-tcp.c, kept exactly so the two print the same numbers: only
// segments with ACK set are made relative; the first such segment of a conversation (or any
// with SYN) records the bases — its own seq for its direction, its ack - 1 for the other — and
// is itself printed absolute; later ones print seq and ack minus their direction's base, and
// SACK blocks minus the base of the data they acknowledge. A conversation is both directions
// of a 4-tuple.
#pragma once

#include <map>
#include <tuple>

#include "stack/base/addr.h"
#include "stack/wire/tcp.h"

namespace ustack {

class TcpRelativeSeqs {
 public:
  // Rewrites seg's seq, ack and SACK blocks in place as tcpdump would print them; `src`/`dst`
  // are the addresses of the packet that carried it. Call once per packet, in capture order.
  void apply(const IpAddr& src, const IpAddr& dst, TcpRepr& seg);

 private:
  // The conversation in tcpdump's collating order: the lower port (then the lower address, for
  // equal ports) is "a".
  using Key = std::tuple<IpAddr, IpAddr, std::uint16_t, std::uint16_t>;
  struct Bases {
    SeqNum a;  // subtracted from sequence numbers a sends (and from a's data in SACKs)
    SeqNum b;
  };
  std::map<Key, Bases> conversations_;
};

}  // namespace ustack
