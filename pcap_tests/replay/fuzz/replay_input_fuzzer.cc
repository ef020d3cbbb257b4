// Fuzzes what `ustack replay` does with a capture once libpcap has read it: any sequence of IP
// packets, in either direction and at any times, goes through flow listing, conversation
// selection, the replay against ustack and the comparison (ladder and JSON) without a crash,
// a hang or an out-of-bounds access. Bad input may only end in ReplayInputError.
//
// Input: byte 0 = flags (bit 0: ustack plays the client; bit 1: pick flow 2); then records of
// [step u8][len u16 BE][bytes], each packet step × 10 ms after the previous one. The seed
// corpus holds real conversations from pcap_tests/captures in this form (make_seeds.py).
#include <cstdint>
#include <cstdlib>

#include "pcap_tests/replay/compare.h"
#include "pcap_tests/replay/conversation.h"
#include "pcap_tests/replay/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ustack;
  using namespace ustack::replay;
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  PacketList packets;
  Instant t = Instant::from_millis(1'000'000);
  for (std::size_t i = 1; i + 3 <= size;) {
    t += Duration::millis(10 * data[i]);
    const std::size_t len = (std::size_t{data[i + 1]} << 8) | data[i + 2];
    i += 3;
    if (i + len > size) break;
    packets.push_back({t, false, ByteVec(data + i, data + i + len)});
    i += len;
  }
  try {
    list_flows(packets);
    Conversation c =
        select_conversation(packets, flags & 2 ? 2 : 1, flags & 1 ? Side::kClient : Side::kServer);
    ReplayRun run = ustack::replay::replay(c);
    Comparison cmp = compare(c.packets, run.ustack, AllowList{}, run.stop);
    if (cmp.ladder(true).empty() || cmp.summary().dump().empty()) std::abort();
  } catch (const ReplayInputError&) {
  }
  return 0;
}
