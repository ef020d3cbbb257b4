#include "stack/link_device.h"

#include <algorithm>

namespace ustack {

Link::Link(const LinkConfig& cfg)
    : cfg_(cfg), rng_(cfg.seed), a_(*this, cfg_.a_to_b), b_(*this, cfg_.b_to_a) {
  a_.peer_ = &b_;
  b_.peer_ = &a_;
}

Instant Link::next_delivery() const { return std::min(a_.next_delivery(), b_.next_delivery()); }

DeviceCaps LinkEndpoint::caps() const {
  DeviceCaps c;
  c.medium = link_.cfg_.medium;
  c.mtu = link_.cfg_.mtu;
  c.rx_checksum_verified = link_.cfg_.checksum_offload;
  c.tx_checksum_offload = link_.cfg_.checksum_offload;
  return c;
}

std::optional<Bytes> LinkEndpoint::receive(Instant now) {
  if (inbox_.empty() || inbox_.front().at > now) return std::nullopt;
  current_ = std::move(inbox_.front().bytes);
  inbox_.pop_front();
  return Bytes(current_);
}

bool LinkEndpoint::transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) {
  // An Ethernet link carries the 14-byte header (18 with a VLAN tag) on top of the MTU.
  std::size_t max_len = link_.cfg_.mtu + (link_.cfg_.medium == Medium::kEthernet ? 18 : 0);
  if (len > max_len || peer_->inbox_.size() >= link_.cfg_.queue_limit) {
    tx_stats_.rejected++;
    return false;
  }
  ByteVec bytes(len);
  fill(bytes);
  tx_stats_.sent++;
  Rng& rng = link_.rng_;
  if (rng.chance(tx_.loss)) {
    tx_stats_.lost++;
    return true;  // the device sent it; the wire lost it
  }
  if (!bytes.empty() && rng.chance(tx_.corrupt)) {
    std::size_t bit = rng.uniform(bytes.size() * 8);
    bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    tx_stats_.corrupted++;
  }
  auto arrival = [&] {
    Duration d = tx_.delay;
    if (tx_.jitter > Duration::zero()) {
      d += Duration::nanos(static_cast<std::int64_t>(
          rng.uniform(static_cast<std::uint64_t>(tx_.jitter.total_nanos()))));
    }
    if (rng.chance(tx_.reorder)) {
      d += tx_.reorder_delay;
      tx_stats_.reordered++;
    }
    return now + d;
  };
  if (rng.chance(tx_.duplicate)) {
    tx_stats_.duplicated++;
    peer_->enqueue(arrival(), bytes);
  }
  peer_->enqueue(arrival(), std::move(bytes));
  return true;
}

void LinkEndpoint::inject(Instant at, Bytes packet) {
  enqueue(at, ByteVec(packet.begin(), packet.end()));
}

void LinkEndpoint::enqueue(Instant at, ByteVec bytes) {
  InFlight f{at, link_.order_++, std::move(bytes)};
  // Most packets arrive in order: search from the back.
  auto it = inbox_.end();
  while (it != inbox_.begin() && std::prev(it)->at > at) --it;
  inbox_.insert(it, std::move(f));
}

Instant LinkEndpoint::next_delivery() const {
  return inbox_.empty() ? Instant::never() : inbox_.front().at;
}

}  // namespace ustack
