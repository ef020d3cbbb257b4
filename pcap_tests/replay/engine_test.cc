// The replay engine against ustack itself: a conversation between two ustacks, recorded on one
// side, replays to an identical ladder — whatever ustack's seed (so its ISN and timestamp
// clock differ from the recording's and every ACK, SACK block and TSecr the peer sends must be
// re-mapped), and with loss on the path (retransmissions, SACK, RTO backoff).
#include "pcap_tests/replay/engine.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "pcap_tests/replay/compare.h"
#include "sockapi/usocket.h"
#include "stack/fake_runtime.h"
#include "stack/link_device.h"
#include "stack/pcap_tap_device.h"
#include "stack/stack.h"
#include "tools/device_options.h"

namespace ustack::replay {
namespace {

using namespace literals;

class Recorder final : public PacketTap {
 public:
  void record(Instant now, PacketDirection dir, Bytes p) override {
    packets.push_back({now, dir == PacketDirection::kSent, ByteVec(p.begin(), p.end())});
  }
  PacketList packets;
};

// Two ustacks on a Link (10 ms each way, `loss` from b to a and a to b), a's device recorded.
struct RecordedLab {
  explicit RecordedLab(double loss, std::uint64_t seed = 1) {
    LinkConfig cfg;
    cfg.seed = seed;
    cfg.a_to_b.delay = cfg.b_to_a.delay = 10_ms;
    cfg.a_to_b.loss = cfg.b_to_a.loss = loss;
    link = std::make_unique<Link>(cfg);
    tapped = std::make_unique<PcapTapDevice>(link->a(), recorder);
    a = std::make_unique<tools::StackSession>(setup("198.18.0.2/24", seed), *tapped);
    b = std::make_unique<tools::StackSession>(setup("198.18.0.1/24", seed + 1), link->b());
    pa = std::make_unique<PollableRef<Stack>>(a->stack());
    pb = std::make_unique<PollableRef<Stack>>(b->stack());
    schedule = std::make_unique<Link::Schedule>(*link);
    runtime.add(*pa);
    runtime.add(*pb);
    runtime.add(*schedule);
    na.emplace(usocket::Network::over({a->stack(), a->tcp(), a->udp(), a->resolver(), runtime}));
    nb.emplace(usocket::Network::over({b->stack(), b->tcp(), b->udp(), b->resolver(), runtime}));
  }
  static tools::DeviceSetup setup(const char* addr, std::uint64_t seed) {
    tools::DeviceSetup s;
    s.seed = seed;
    s.addrs.push_back(*IpCidr::parse(addr));
    return s;
  }

  // The client on a sends a request, the server on b answers and closes, the client reads to
  // the end and closes.
  void http_like_exchange(std::size_t request, std::size_t response) {
    usocket::socket l(*nb, AF_INET, SOCK_STREAM);
    l.bind({"198.18.0.1", 8080});
    l.listen();
    usocket::socket c(*na, AF_INET, SOCK_STREAM);
    c.connect({"198.18.0.1", 8080});
    auto [s, peer] = l.accept();
    c.sendall(std::string(request, 'q'));
    std::string got;
    while (got.size() < request) got += s.recv(65536);
    s.sendall(std::string(response, 'r'));
    s.close();
    std::size_t n = 0;
    for (std::string chunk; !(chunk = c.recv(65536)).empty();) n += chunk.size();
    EXPECT_EQ(n, response);
    c.close();
    runtime.advance(5_s);  // FINs, TIME_WAIT's last ACKs
  }

  Recorder recorder;
  std::unique_ptr<Link> link;
  std::unique_ptr<PcapTapDevice> tapped;
  std::unique_ptr<tools::StackSession> a, b;
  std::unique_ptr<PollableRef<Stack>> pa, pb;
  std::unique_ptr<Link::Schedule> schedule;
  FakeRuntime runtime{Instant::zero() + 1_s};
  std::optional<usocket::Network> na, nb;
};

// Replays a's side of the recording (a was the client) and compares.
Comparison replay_client_side(const RecordedLab& lab, std::uint64_t seed) {
  Conversation c = select_conversation(lab.recorder.packets, std::nullopt, Side::kClient);
  EXPECT_EQ(c.host.to_string(), "198.18.0.2:" + std::to_string(c.host.port));
  ReplayOptions opts;
  opts.seed = seed;
  ReplayRun run = replay(c, opts);
  return compare(c.packets, run.ustack, AllowList{});
}

TEST(ReplayEngine, UstackReplayingItsOwnRecordingIsIdentical) {
  RecordedLab lab(0);
  lab.http_like_exchange(5000, 20000);
  Comparison cmp = replay_client_side(lab, 1);
  EXPECT_EQ(cmp.verdict(), "identical") << cmp.ladder();
  EXPECT_EQ(cmp.pairs, cmp.kernel_segments);
  EXPECT_GT(cmp.kernel_segments, 10u);
}

// Another seed: another ISN, ephemeral choices and timestamp offset. The peer's ACKs, SACK
// blocks and TSecr must be re-mapped, or ustack would answer them with RSTs or drop them.
TEST(ReplayEngine, ReplayWithAnotherSeedMapsTheSequenceSpace) {
  RecordedLab lab(0);
  lab.http_like_exchange(5000, 20000);
  Comparison cmp = replay_client_side(lab, 99);
  EXPECT_EQ(cmp.verdict(), "identical") << cmp.ladder();
}

// Loss both ways: retransmissions by timer and on duplicate ACKs, SACK blocks from the peer.
TEST(ReplayEngine, LossyRecordingReplaysIdenticallyWithItsRetransmissions) {
  RecordedLab lab(0.1, 7);
  lab.http_like_exchange(30000, 60000);
  Comparison cmp = replay_client_side(lab, 3);
  EXPECT_EQ(cmp.verdict(), "identical") << cmp.ladder();
  std::size_t retransmissions = 0;
  for (const LadderRow& r : cmp.rows) {
    if (r.kind == LadderRow::Kind::kPair && r.kernel->retransmission) ++retransmissions;
  }
  EXPECT_GT(retransmissions, 0u) << cmp.ladder();
}

}  // namespace
}  // namespace ustack::replay
