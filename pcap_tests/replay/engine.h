// The replay engine: plays the peer's side of a recorded conversation to ustack in virtual
// time and records what ustack sends back.
//
// ustack takes the recorded host's place: its address and port, the TCP options its SYN
// offered (window scaling, SACK, timestamps on or off), an MTU matching its MSS. The peer's
// packets are injected at their recorded instants on a virtual clock, and between them the
// clock runs so ustack's timers (delayed ACK, RTO, persist, keepalive) fire exactly when due.
// Each peer packet is re-mapped into ustack's sequence space first: its ACK and SACK blocks
// are shifted by (ustack's ISN - the recorded host's ISN) and its TSecr by the difference of
// the two timestamp clocks, then its checksum is recomputed — so after a divergence the replay
// keeps going with the peer acknowledging what ustack actually sent where that is meaningful.
// The application is ReplayApp (replay_app.h), inferred from the capture.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pcap_tests/replay/compare.h"
#include "pcap_tests/replay/conversation.h"
#include "pcap_tests/replay/timed_packet.h"
#include "stack/device.h"

namespace ustack {
class Tracer;
}

namespace ustack::replay {

struct ReplayOptions {
  std::uint64_t seed = 1;  // ustack's ISN, ephemeral choices: the same seed replays the same
  // How long ustack runs after the conversation's last recorded packet (its late answers
  // are kept; what it would send after the capture ended is not comparable).
  Duration tail = Duration::millis(10);
  // Gets the stack's events (stack/tracer.h), in the recording's time; may be null.
  Tracer* tracer = nullptr;
  // Asked for each packet crossing ustack's device as it crosses (may be empty): its answer
  // becomes the packet's TimedPacket::comment, which `replay --pcap OUT.pcapng` writes.
  std::function<std::string(Instant, PacketDirection, Bytes)> comment;
  // When set, a packet ustack received is told here as it arrives and its comment is asked for
  // only once the stack has handled it (at the next packet, or at the end of the run), so it
  // can say what the packet did (tun::TcpSegmentComments::arrived).
  std::function<void(Instant, Bytes)> arrived;
};

struct ReplayRun {
  PacketList ustack;               // what crossed ustack's device: injected (peer) and sent
  std::vector<std::string> notes;  // facts a reader needs ("12 packets had bad checksums ...")
  // Set when the replay stopped early: the peer's next packet acknowledged data ustack had
  // not sent (ustack fell behind the recorded host, so the recorded peer no longer describes
  // a peer of ustack). Nothing after it is comparable.
  std::optional<ReplayStop> stop;
};

ReplayRun replay(const Conversation& c, const ReplayOptions& opts = {});

}  // namespace ustack::replay
