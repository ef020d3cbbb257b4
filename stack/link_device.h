// An in-memory link between two Device endpoints, with seeded impairments.
//
// Used by core tests and the impairment simulator: two Stacks wired back to back through a
// Link exchange packets with no OS involved. Each direction is an Impairment
// (stack/impair/impairment.h) seeded from the config, so a run replays bit for bit.
// Time is the caller's: a packet sent at `now` with delay d is returned by the peer's
// receive(t) for t >= now + d; next_delivery() tells a test loop when to poll next.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/base/bytes.h"
#include "stack/base/time.h"
#include "stack/device.h"
#include "stack/impair/impair_spec.h"
#include "stack/impair/impair_trace.h"
#include "stack/impair/impairment.h"
#include "stack/pollable.h"

namespace ustack {

// What happens to packets going one way (loss, burst loss, duplication, reordering,
// corruption, delay, jitter, rate limit): the same spec as `--impair` on a real device.
using LinkImpairments = ImpairSpec;

struct LinkConfig {
  std::uint64_t seed = 1;
  Medium medium = Medium::kIp;
  std::size_t mtu = 1500;  // largest IP packet / Ethernet payload carried
  LinkImpairments a_to_b;
  LinkImpairments b_to_a;
  // Packets in flight per direction beyond which transmit() fails (a full NIC ring).
  std::size_t queue_limit = 100000;
  // Advertised in caps(): a test link may pretend to offload checksums.
  bool checksum_offload = false;
};

struct LinkStats {
  std::uint64_t sent = 0;  // accepted by transmit()
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;  // randomly, in a burst, or from a full rate-limit queue
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t corrupted = 0;
  std::uint64_t rejected = 0;  // too big or queue full
  ImpairCounters impair;       // every impaired packet, by cause
};

class Link;

// One end of a Link. Not copyable: the stack holds a reference to it.
class LinkEndpoint final : public Device {
 public:
  LinkEndpoint(const LinkEndpoint&) = delete;
  LinkEndpoint& operator=(const LinkEndpoint&) = delete;

  DeviceCaps caps() const override;
  std::optional<Bytes> receive(Instant now) override;
  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override;

  // Delivers `packet` to this endpoint at `at`, as if the peer had sent it (no impairments).
  void inject(Instant at, Bytes packet);
  // Earliest instant a queued packet becomes receivable here; never() when none is queued.
  Instant next_delivery() const;
  std::size_t queued() const { return inbox_.held(); }
  // What became of the packets this endpoint sent.
  LinkStats tx_stats() const;
  // The packets the link loses become drop events here (docs/events.md): "impair.out.*" for
  // what this endpoint sent, "impair.in.*" for what the peer sent. Null: none.
  void set_tracer(Tracer* t) { tracer_ = t; }

 private:
  friend class Link;
  // `rx` impairs the packets the peer sends to this endpoint.
  LinkEndpoint(Link& link, const LinkImpairments& rx, const LinkImpairments& tx, std::uint64_t seed,
               std::uint64_t user_seed)
      : link_(link),
        inbox_(rx, seed),
        in_trace_(rx, user_seed, false),
        out_trace_(tx, user_seed, true) {}

  Link& link_;
  LinkEndpoint* peer_ = nullptr;
  Impairment inbox_;  // the peer's packets on their way here
  std::uint64_t sent_ = 0;
  std::uint64_t rejected_ = 0;
  Tracer* tracer_ = nullptr;
  ImpairTrace in_trace_, out_trace_;
};

class Link {
 public:
  // The link's scheduled deliveries as a Pollable, for a virtual-time runtime: it does nothing
  // itself (the stacks receive), it only says when the next packet lands.
  class Schedule final : public Pollable {
   public:
    explicit Schedule(const Link& l) : l_(l) {}
    bool poll(Instant) override { return false; }
    Instant poll_at() const override { return l_.next_delivery(); }

   private:
    const Link& l_;
  };

  explicit Link(const LinkConfig& cfg);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  LinkEndpoint& a() { return a_; }
  LinkEndpoint& b() { return b_; }
  const LinkConfig& config() const { return cfg_; }
  // Earliest delivery on either side.
  Instant next_delivery() const;

 private:
  friend class LinkEndpoint;
  LinkConfig cfg_;
  LinkEndpoint a_;
  LinkEndpoint b_;
};

}  // namespace ustack
