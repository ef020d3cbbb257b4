// The Stack reports packets, drops, neighbour changes and ICMP to an installed Tracer.
#include <string>

#include "stack/stack_test_util.h"

namespace ustack::testing {
namespace {

struct RecordingTracer : Tracer {
  std::vector<TraceEvent> events;
  void on_event(const TraceEvent& e) override { events.push_back(e); }
  bool has(TraceKind k, const std::string& what = "") const {
    for (const TraceEvent& e : events) {
      if (e.kind == k && (what.empty() || what == e.what)) return true;
    }
    return false;
  }
};

TEST(StackTrace, EchoProducesPacketAndIcmpEvents) {
  Rig rig;
  RecordingTracer tr;
  rig.stack.set_tracer(&tr);
  rig.inject(V4(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, pattern(8))).bytes());
  EXPECT_TRUE(tr.has(TraceKind::kPacketIn));
  EXPECT_TRUE(tr.has(TraceKind::kIcmp, "echo request"));
  EXPECT_TRUE(tr.has(TraceKind::kPacketOut));
  EXPECT_EQ(tr.events.front().at, rig.now);
}

TEST(StackTrace, DropsNameTheirCounter) {
  Rig rig;
  RecordingTracer tr;
  rig.stack.set_tracer(&tr);
  V4 bad(kPeer4, kUs4, IpProto::kIcmp, icmp4_echo_request(1, 1, {}));
  bad.corrupt_checksum = true;
  rig.inject(bad.bytes());
  EXPECT_TRUE(tr.has(TraceKind::kDrop, "drops.ipv4_bad_checksum"));
}

TEST(StackTrace, NeighborTransitionsAreTraced) {
  Rig rig(Medium::kEthernet);
  rig.advance(15_s);
  RecordingTracer tr;
  rig.stack.set_tracer(&tr);
  rig.stack.send_echo_request(rig.now, IpAddr(kPeer4), 1, 1, {});
  rig.stack.poll(rig.now);
  EXPECT_TRUE(tr.has(TraceKind::kNeighbor, "NONE->INCOMPLETE"));
  rig.inject(
      eth_frame(kUsMac, kPeerMac, EtherType::kArp,
                arp_bytes(ArpRepr::reply_to(ArpRepr::request(kUsMac, kUs4, kPeer4), kPeerMac))));
  EXPECT_TRUE(tr.has(TraceKind::kNeighbor, "INCOMPLETE->REACHABLE"));
  for (const TraceEvent& e : tr.events) EXPECT_FALSE(e.to_string().empty());
}

}  // namespace
}  // namespace ustack::testing
