#include "stack/impair/impaired_device.h"

#include <algorithm>
#include <cstring>

#include "stack/counters.h"

namespace ustack {

ImpairedDevice::ImpairedDevice(Device& inner, const ImpairSpec& in, const ImpairSpec& out,
                               std::uint64_t seed)
    : inner_(inner),
      in_(in, in_seed(seed)),
      out_(out, out_seed(seed)),
      in_none_(in.is_none()),
      out_none_(out.is_none()),
      in_trace_(in, seed, false),
      out_trace_(out, seed, true) {}

DeviceCaps ImpairedDevice::caps() const {
  DeviceCaps c = inner_.caps();
  // A corrupted packet must meet a checksum that is checked: with offload the inner device
  // (or the kernel behind it) would vouch for, or compute a checksum over, the flipped bit.
  if (in_.spec().corrupt > 0) c.rx_checksum_verified = false;
  if (out_.spec().corrupt > 0) c.tx_checksum_offload = false;
  // Held packets lose their per-packet offload metadata (rx_offload(), transmit_offload() are
  // not forwarded), so no super-packets either way: run the inner device without them.
  c.tx_tso4 = c.tx_tso6 = c.rx_gso = c.tx_uso = false;
  return c;
}

void ImpairedDevice::pull_inbound(Instant now) {
  for (std::size_t i = 0; i < kPullBurst; ++i) {
    std::optional<Bytes> p = inner_.receive(now);
    if (!p) return;
    if (in_.held() >= kMaxHeld) {
      ++rx_overflow_;
      continue;
    }
    // Copied: the inner device's span ends at its next receive().
    in_trace_.drop(tracer_, now, in_.offer(now, *p), *p, ethernet());
  }
}

std::optional<Bytes> ImpairedDevice::receive(Instant now) {
  if (in_none_) return inner_.receive(now);
  pull_inbound(now);
  return in_.release(now);
}

bool ImpairedDevice::transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) {
  if (out_none_) return inner_.transmit(now, len, fill);
  // Refused now, as the inner device would refuse it: later its failure would be silent.
  DeviceCaps c = inner_.caps();
  std::size_t max_len = c.mtu + (c.medium == Medium::kEthernet ? 18 : 0);
  if (len > max_len || out_.held() >= kMaxHeld) return false;
  staging_.resize(len);
  fill(staging_);
  out_trace_.drop(tracer_, now, out_.offer(now, staging_), staging_, ethernet());
  poll(now);  // with nothing to wait for, the packet leaves in this call
  return true;
}

bool ImpairedDevice::poll(Instant now) {
  bool did = false;
  while (std::optional<Bytes> p = out_.release(now)) {
    did = true;
    Bytes packet = *p;
    bool sent = inner_.transmit(now, packet.size(), [&](MutBytes buf) {
      std::memcpy(buf.data(), packet.data(), packet.size());
    });
    if (!sent) ++inner_tx_refused_;
  }
  return did;
}

Instant ImpairedDevice::poll_at() const {
  return std::min(in_.next_release(), out_.next_release());
}

std::string ImpairedDevice::counters_text() const {
  std::string s = in_.counters().to_text("impair.in") + out_.counters().to_text("impair.out");
  append_counter(s, rx_overflow_, "impair.in.dropped_held_limit");
  append_counter(s, inner_tx_refused_, "impair.out.refused_by_device");
  return s;
}

}  // namespace ustack
