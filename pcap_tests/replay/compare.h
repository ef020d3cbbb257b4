// Compares two runs of one conversation — the kernel's (recorded) and ustack's — segment by
// segment, and presents the result as a ladder (kernel | ustack, time down the page) and as a
// JSON summary.
//
// Both runs are normalised (segment.h). The host's segments of the two runs are aligned in
// order: identical (flags, seq, len) segments pair up, looking a few segments ahead in either
// run to recognise one that is missing or extra; what remains pairs up in order and differs.
// A pair is compared on flags, seq, ack, len, payload, win, urg, options (mss, wscale, sackOK, TS
// present, SACK blocks) and timing class. Each difference is a Divergence, accepted by the
// allow list (with its reason) or unexplained. The peer's segments appear in the ladder as
// context (from the kernel run: ustack got the same ones, re-mapped).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pcap_tests/replay/allow_list.h"
#include "pcap_tests/replay/segment.h"
#include "pcap_tests/replay/timed_packet.h"

namespace ustack::replay {

struct Divergence {
  std::size_t row = 0;   // the ladder row it belongs to
  Duration t;            // kernel time (ustack's for an extra segment)
  std::string field;     // "win", "timing", "missing", "extra", ...
  std::string kernel;    // the kernel's value ("" for extra)
  std::string ustack;    // ustack's value ("" for missing)
  std::string segments;  // the flags the rule matched on
  const AllowRule* allowed = nullptr;
};

struct LadderRow {
  enum class Kind { kPeer, kPair, kMissing, kExtra };
  Kind kind = Kind::kPeer;
  std::optional<Segment> kernel;         // kPeer: the peer's segment; kPair / kMissing: the host's
  std::optional<Segment> ustack;         // kPair / kExtra
  std::vector<std::size_t> divergences;  // indexes into Comparison::divergences
};

// Where a replay stopped, and why (engine.h).
struct ReplayStop {
  Instant at;  // the peer packet that could not be played (both runs' clock)
  std::string reason;
};

struct Comparison {
  std::vector<LadderRow> rows;
  std::vector<Divergence> divergences;
  std::size_t kernel_segments = 0;  // the host's, in the kernel run
  std::size_t ustack_segments = 0;
  std::size_t peer_segments = 0;
  std::size_t pairs = 0;
  std::size_t identical_pairs = 0;
  // The ladder's column titles.
  std::string left_label = "kernel (recorded)";
  std::string right_label = "ustack";
  std::optional<ReplayStop> stop;

  std::size_t unexplained() const;
  std::size_t allowed() const { return divergences.size() - unexplained(); }
  // "identical", "allowed-differences" or "diverged".
  std::string verdict() const;
  // The side-by-side ladder. `color` marks divergences with ANSI colours (for a terminal).
  std::string ladder(bool color = false) const;
  nlohmann::json summary() const;
};

// With `stop`, only what happened before stop->at is compared (the peer packet at stop->at is
// shown), and the stop itself is a divergence (field "stopped").
Comparison compare(const PacketList& kernel, const PacketList& ustack, const AllowList& allow,
                   const std::optional<ReplayStop>& stop = std::nullopt);

}  // namespace ustack::replay
