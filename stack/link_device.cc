#include "stack/link_device.h"

#include <algorithm>

namespace ustack {

// Each direction draws from its own stream of the link's seed.
Link::Link(const LinkConfig& cfg)
    : cfg_(cfg),
      a_(*this, cfg_.b_to_a, cfg_.a_to_b, cfg.seed ^ 0x622d746f2d61ull /* "b-to-a" */, cfg.seed),
      b_(*this, cfg_.a_to_b, cfg_.b_to_a, cfg.seed ^ 0x612d746f2d62ull /* "a-to-b" */, cfg.seed) {
  a_.peer_ = &b_;
  b_.peer_ = &a_;
}

Instant Link::next_delivery() const { return std::min(a_.next_delivery(), b_.next_delivery()); }

DeviceCaps LinkEndpoint::caps() const {
  DeviceCaps c;
  c.medium = link_.cfg_.medium;
  c.mtu = link_.cfg_.mtu;
  // Corruption must meet a checksum that is checked, so it turns the pretended offload off.
  const bool corrupting = link_.cfg_.a_to_b.corrupt > 0 || link_.cfg_.b_to_a.corrupt > 0;
  c.rx_checksum_verified = link_.cfg_.checksum_offload && !corrupting;
  c.tx_checksum_offload = link_.cfg_.checksum_offload && !corrupting;
  return c;
}

std::optional<Bytes> LinkEndpoint::receive(Instant now) { return inbox_.release(now); }

bool LinkEndpoint::transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) {
  // An Ethernet link carries the 14-byte header (18 with a VLAN tag) on top of the MTU.
  std::size_t max_len = link_.cfg_.mtu + (link_.cfg_.medium == Medium::kEthernet ? 18 : 0);
  if (len > max_len || peer_->inbox_.held() >= link_.cfg_.queue_limit) {
    rejected_++;
    return false;
  }
  ByteVec bytes(len);
  fill(bytes);
  sent_++;
  // The device sent it; the wire may still lose it.
  Impairment::Verdict v = peer_->inbox_.offer(now, bytes);
  const bool ethernet = link_.cfg_.medium == Medium::kEthernet;
  out_trace_.drop(tracer_, now, v, bytes, ethernet);
  peer_->in_trace_.drop(peer_->tracer_, now, v, bytes, ethernet);
  return true;
}

LinkStats LinkEndpoint::tx_stats() const {
  const ImpairCounters& c = peer_->inbox_.counters();
  LinkStats s;
  s.sent = sent_;
  s.delivered = c.released;
  s.lost = c.lost();
  s.duplicated = c.duplicated;
  s.reordered = c.reordered;
  s.corrupted = c.corrupted;
  s.rejected = rejected_;
  s.impair = c;
  return s;
}

void LinkEndpoint::inject(Instant at, Bytes packet) { inbox_.hold(at, packet); }

Instant LinkEndpoint::next_delivery() const { return inbox_.next_release(); }

}  // namespace ustack
