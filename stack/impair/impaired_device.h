// ImpairedDevice: a Device wrapper that puts an Impairment on each direction of any device —
// the TUN/TAP path, where the kernel has no sch_netem, so `ustack up --impair ...` lets a user
// watch the stack (and the kernel on the other side) recover from loss, delay and a rate limit.
//
// Outbound: a packet the stack transmits is offered to the "out" impairment and handed to the
// inner device at its release time. Inbound: packets read from the inner device are offered to
// the "in" impairment and returned by receive() at their release time. A direction whose spec
// is none passes straight through, without a copy.
//
// Held packets need a wakeup that no fd provides, so the device is also a Pollable: add it to
// the Stack (Stack::add_poller) and its next release folds into Stack::poll_at(), which the
// runtime (tun/AsioRuntime, FakeRuntime) arms its timer at; its poll() sends what is due.
#pragma once

#include <cstdint>
#include <optional>

#include "stack/device.h"
#include "stack/impair/impair_trace.h"
#include "stack/impair/impairment.h"
#include "stack/pollable.h"
#include "stack/tracer.h"

namespace ustack {

class ImpairedDevice final : public Device, public Pollable {
 public:
  // Each direction's decisions come from `seed` (mixed per direction) unless its spec has a
  // seed of its own.
  ImpairedDevice(Device& inner, const ImpairSpec& in, const ImpairSpec& out, std::uint64_t seed);

  DeviceCaps caps() const override;
  std::optional<Bytes> receive(Instant now) override;
  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override;
  // Not impaired again: its fragments were.
  bool take_reassembled(Instant now, Bytes frame) override {
    return inner_.take_reassembled(now, frame);
  }

  // Hands the inner device every outbound packet due at `now`.
  bool poll(Instant now) override;
  // The earliest release in either direction.
  Instant poll_at() const override;

  // Packets the impairment drops become drop events (counter "impair.out.lost_random" …)
  // naming the rule, the seed and the draw, and the TCP flow and sequence number when the
  // packet is TCP (docs/events.md). Null: no events.
  void set_tracer(Tracer* t) { tracer_ = t; }

  const Impairment& in() const { return in_; }
  const Impairment& out() const { return out_; }
  // Due outbound packets the inner device refused (its ring full, as a NIC would drop them).
  std::uint64_t inner_tx_refused() const { return inner_tx_refused_; }
  // Inbound packets dropped because kMaxHeld were already held (a delay longer than the
  // arrival rate can fill memory otherwise).
  std::uint64_t rx_overflow() const { return rx_overflow_; }

  // Packets held per direction beyond which more are refused (outbound: transmit() fails and
  // the stack counts it) or dropped (inbound: rx_overflow).
  static constexpr std::size_t kMaxHeld = 65536;
  // Packets read from the inner device per receive() call.
  static constexpr std::size_t kPullBurst = 256;
  // "    12 impair.out.lost_random\n"...: both directions' counters.
  std::string counters_text() const;

  // Seeds of the two directions for a session seed: different, so that `--impair loss=1%`
  // does not lose the same packet numbers both ways.
  static std::uint64_t in_seed(std::uint64_t seed) {
    return seed ^ 0x696d702d696e2d2dull /* "imp-in--" */;
  }
  static std::uint64_t out_seed(std::uint64_t seed) {
    return seed ^ 0x696d702d6f75742dull /* "imp-out-" */;
  }

 private:
  // Moves what the inner device has received into the inbound impairment (bounded per call, so
  // a flood cannot keep one poll busy).
  void pull_inbound(Instant now);
  bool ethernet() const { return inner_.caps().medium == Medium::kEthernet; }

  Device& inner_;
  Impairment in_;
  Impairment out_;
  bool in_none_;
  bool out_none_;
  ByteVec staging_;  // an outbound packet being written by the stack
  std::uint64_t inner_tx_refused_ = 0;
  std::uint64_t rx_overflow_ = 0;
  Tracer* tracer_ = nullptr;
  ImpairTrace in_trace_, out_trace_;
};

}  // namespace ustack
