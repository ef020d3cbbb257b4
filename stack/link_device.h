// An in-memory link between two Device endpoints, with seeded impairments.
//
// Used by core tests and the impairment simulator: two Stacks wired back to back through a
// Link exchange packets with no OS involved. Loss, duplication, reordering, delay and
// corruption are drawn from one Rng seeded by the config, so a run replays bit for bit.
// Time is the caller's: a packet sent at `now` with delay d is returned by the peer's
// receive(t) for t >= now + d; next_delivery() tells a test loop when to poll next.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "stack/base/bytes.h"
#include "stack/base/random.h"
#include "stack/base/time.h"
#include "stack/device.h"
#include "stack/pollable.h"

namespace ustack {

// What happens to packets going one way. Probabilities are per packet, in [0, 1].
struct LinkImpairments {
  double loss = 0;
  double duplicate = 0;
  // A reordered packet is held back by `reorder_delay` extra so later packets overtake it.
  double reorder = 0;
  Duration reorder_delay = Duration::millis(5);
  // One random bit of the packet is flipped.
  double corrupt = 0;
  Duration delay = Duration::zero();
  // Uniform extra delay in [0, jitter) (jitter alone also reorders).
  Duration jitter = Duration::zero();
};

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
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t corrupted = 0;
  std::uint64_t rejected = 0;  // too big or queue full
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
  std::size_t queued() const { return inbox_.size(); }
  const LinkStats& tx_stats() const { return tx_stats_; }

 private:
  friend class Link;
  struct InFlight {
    Instant at;
    std::uint64_t order;  // FIFO among packets due at the same instant
    ByteVec bytes;
  };
  LinkEndpoint(Link& link, const LinkImpairments& tx) : link_(link), tx_(tx) {}
  void enqueue(Instant at, ByteVec bytes);

  Link& link_;
  const LinkImpairments& tx_;  // impairments of packets this endpoint sends
  LinkEndpoint* peer_ = nullptr;
  std::deque<InFlight> inbox_;  // sorted by (at, order)
  ByteVec current_;             // the packet last returned by receive()
  LinkStats tx_stats_;
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
  Rng rng_;
  std::uint64_t order_ = 0;
  LinkEndpoint a_;
  LinkEndpoint b_;
};

}  // namespace ustack
