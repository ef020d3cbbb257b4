// One IP packet of a conversation with its time and direction: what the replay engine, the
// scenario runner and the comparison exchange. A capture is a vector of these (the link header
// already stripped), whoever made it: a pcap file, ustack in virtual time, or the kernel on a TUN.
#pragma once

#include <string>
#include <vector>

#include "stack/base/bytes.h"
#include "stack/base/time.h"

namespace ustack::replay {

struct TimedPacket {
  Instant at;  // virtual or capture time; only differences between packets matter
  // True when the host under test (the kernel or ustack) sent it, false when it came from the
  // peer (recorded or injected).
  bool outbound = false;
  ByteVec ip;  // the IPv4 or IPv6 packet, from the IP header on
  // What a pcapng written from the list says about the packet ("" for nothing; see
  // ReplayOptions::comment).
  std::string comment;
};

using PacketList = std::vector<TimedPacket>;

}  // namespace ustack::replay
