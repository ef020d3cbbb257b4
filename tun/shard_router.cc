#include "tun/shard_router.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <bit>
#include <cerrno>

#include "stack/base/addr.h"
#include "stack/port_allocator.h"
#include "tun/sys_error.h"

namespace ustack::tun {

namespace {

constexpr std::uint8_t kIcmp = 1, kTcp = 6, kUdp = 17, kIcmpv6 = 58;

// An IP packet's addresses, protocol and transport bytes.
struct IpView {
  IpAddr src, dst;
  std::uint8_t proto = 0;
  Bytes l4;
};

// IPv4 (not a later fragment: those carry no transport header) or IPv6 whose next header is
// the transport (extension headers are left to the receiving shard).
std::optional<IpView> parse_ip(Bytes p) {
  if (p.empty()) return std::nullopt;
  IpView v;
  if ((p[0] >> 4) == 4) {
    const std::size_t ihl = (std::size_t{p[0]} & 0x0f) * 4;
    if (p.size() < 20 || ihl < 20 || p.size() < ihl) return std::nullopt;
    if ((load_be16(p, 6) & 0x1fff) != 0) return std::nullopt;
    v.src = Ipv4Addr::from_bytes(p.subspan(12, 4));
    v.dst = Ipv4Addr::from_bytes(p.subspan(16, 4));
    v.proto = p[9];
    v.l4 = p.subspan(ihl);
  } else if ((p[0] >> 4) == 6) {
    if (p.size() < 40) return std::nullopt;
    v.src = Ipv6Addr::from_bytes(p.subspan(8, 16));
    v.dst = Ipv6Addr::from_bytes(p.subspan(24, 16));
    v.proto = p[6];
    v.l4 = p.subspan(40);
  } else {
    return std::nullopt;
  }
  return v;
}

// The flow of a TCP segment or UDP datagram from `local` to... seen from ustack: `local` and
// `local_port` are ours.
std::optional<FlowKey> transport_flow(std::uint8_t proto, const IpAddr& local, const IpAddr& remote,
                                      Bytes l4, bool ports_reversed) {
  if (l4.size() < 4 || (proto != kTcp && proto != kUdp)) return std::nullopt;
  std::uint16_t src_port = load_be16(l4, 0), dst_port = load_be16(l4, 2);
  const std::uint16_t local_port = ports_reversed ? src_port : dst_port;
  const std::uint16_t remote_port = ports_reversed ? dst_port : src_port;
  // A UDP socket is found by its local port alone (FlowKey's UDP form).
  if (proto == kUdp) return FlowKey{.proto = IpProto::kUdp, .local_port = local_port};
  return FlowKey{IpProto::kTcp, local, remote, local_port, remote_port};
}

// ICMP errors that quote a datagram (RFC 792: destination unreachable, time exceeded,
// parameter problem; RFC 4443 §3: types 1-4).
bool is_icmp_error(const IpView& v) {
  if (v.l4.size() < 8) return false;
  if (v.proto == kIcmp && v.src.is_v4()) return v.l4[0] == 3 || v.l4[0] == 11 || v.l4[0] == 12;
  if (v.proto == kIcmpv6 && v.src.is_v6()) return v.l4[0] >= 1 && v.l4[0] <= 4;
  return false;
}

}  // namespace

std::optional<FlowKey> flow_of_received(Bytes packet, Medium medium) {
  if (medium == Medium::kEthernet) {
    if (packet.size() < 14) return std::nullopt;
    const std::uint16_t type = load_be16(packet, 12);
    if (type != 0x0800 && type != 0x86dd) return std::nullopt;
    packet = packet.subspan(14);
  }
  std::optional<IpView> v = parse_ip(packet);
  if (!v) return std::nullopt;
  if (is_icmp_error(*v)) {
    // The quoted packet is one we sent: its source is ours.
    std::optional<IpView> q = parse_ip(v->l4.subspan(8));
    if (!q) return std::nullopt;
    return transport_flow(q->proto, q->src, q->dst, q->l4, /*ports_reversed=*/true);
  }
  return transport_flow(v->proto, v->dst, v->src, v->l4, /*ports_reversed=*/false);
}

FlowOwners::FlowOwners(std::uint64_t seed) : holders_(64, Hash{SipKey{seed, ~seed}}) {}

std::size_t FlowOwners::Hash::operator()(const FlowKey& k) const {
  std::uint8_t buf[40] = {};
  std::size_t n = put_tuple(buf, k.local, k.remote, k.local_port, k.remote_port);
  SipKey keyed = key;
  keyed.k0 ^= static_cast<std::uint64_t>(k.proto);
  return static_cast<std::size_t>(siphash24(keyed, Bytes(buf, n)));
}

void FlowOwners::add(const FlowKey& k, std::size_t shard) {
  std::lock_guard lock(mu_);
  holders_[k] |= std::uint64_t{1} << shard;
}

void FlowOwners::remove(const FlowKey& k, std::size_t shard) {
  std::lock_guard lock(mu_);
  auto it = holders_.find(k);
  if (it == holders_.end()) return;
  it->second &= ~(std::uint64_t{1} << shard);
  if (it->second == 0) holders_.erase(it);
}

std::optional<std::size_t> FlowOwners::other_holder(const FlowKey& k, std::size_t self) const {
  std::uint64_t others = 0;
  {
    std::lock_guard lock(mu_);
    auto it = holders_.find(k);
    if (it == holders_.end()) return std::nullopt;
    others = it->second & ~(std::uint64_t{1} << self);
  }
  if (others == 0) return std::nullopt;
  return static_cast<std::size_t>(std::countr_zero(others));
}

std::size_t FlowOwners::size() const {
  std::lock_guard lock(mu_);
  return holders_.size();
}

ShardInbox::ShardInbox() : event_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!event_.valid()) throw_errno("eventfd for a shard's inbox", errno);
}

bool ShardInbox::push(Bytes packet, const PacketOffload& offload) {
  bool was_empty = false;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kCapacity) return false;
    ByteVec buffer;
    if (!free_.empty()) {
      buffer = std::move(free_.back());
      free_.pop_back();
    }
    buffer.assign(packet.begin(), packet.end());
    queue_.push_back(Packet{std::move(buffer), offload});
    was_empty = !pending_.exchange(true, std::memory_order_release);
  }
  // One wakeup per batch: the owner takes everything queued when it wakes.
  if (was_empty) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(event_.get(), &one, sizeof one);
  }
  return true;
}

void ShardInbox::clear_wakeup() {
  std::uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(event_.get(), &count, sizeof count);
}

void ShardInbox::take(std::vector<Packet>& out) {
  std::lock_guard lock(mu_);
  for (Packet& p : queue_) out.push_back(std::move(p));
  queue_.clear();
  pending_.store(false, std::memory_order_relaxed);
}

void ShardInbox::recycle(ByteVec&& buffer) {
  // Enough buffers for a burst; beyond that, memory goes back to the allocator.
  constexpr std::size_t kMaxFree = 256;
  std::lock_guard lock(mu_);
  if (free_.size() < kMaxFree) free_.push_back(std::move(buffer));
}

ShardRouterDevice::ShardRouterDevice(Device& queue, std::size_t self, const FlowOwners& owners,
                                     std::vector<ShardInbox*> inboxes, const LocalFlows& local)
    : queue_(queue),
      self_(self),
      owners_(owners),
      inboxes_(std::move(inboxes)),
      local_(local),
      medium_(queue.caps().medium) {}

std::optional<std::size_t> ShardRouterDevice::holder_elsewhere(Bytes packet) const {
  std::optional<FlowKey> k = flow_of_received(packet, medium_);
  // Held here (the fast path: this shard's own tables, no lock), or nobody's flow yet (a new
  // connection's SYN is answered by the shard it reaches).
  if (!k || local_.holds(*k)) return std::nullopt;
  return owners_.other_holder(*k, self_);
}

std::optional<Bytes> ShardRouterDevice::receive(Instant now) {
  ShardInbox& mine = *inboxes_[self_];
  if (from_inbox_) {
    mine.recycle(std::move(handed_[next_ - 1].bytes));
    from_inbox_ = false;
  }
  if (next_ == handed_.size()) {
    handed_.clear();
    next_ = 0;
    if (mine.pending()) mine.take(handed_);
  }
  if (next_ < handed_.size()) {
    from_inbox_ = true;
    ++counters_.handoffs_in;
    return Bytes(handed_[next_++].bytes);
  }
  for (;;) {
    std::optional<Bytes> p = queue_.receive(now);
    if (!p) return p;
    std::optional<std::size_t> holder = holder_elsewhere(*p);
    if (!holder) return p;
    if (inboxes_[*holder]->push(*p, queue_.rx_offload())) {
      ++counters_.handoffs;
    } else {
      ++counters_.handoff_drops;
    }
  }
}

PacketOffload ShardRouterDevice::rx_offload() const {
  return from_inbox_ ? handed_[next_ - 1].offload : queue_.rx_offload();
}

}  // namespace ustack::tun
