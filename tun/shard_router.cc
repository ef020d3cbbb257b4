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

constexpr std::uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kDestOpts = 60;
// At most this many IPv6 extension headers are walked (a chain of more is left where it lands).
constexpr int kMaxExtensionHeaders = 8;

// An IP packet's addresses, protocol and transport bytes; or, for a fragment (any of them, the
// first too), what names its datagram.
struct IpView {
  IpAddr src, dst;
  std::uint8_t proto = 0;
  Bytes l4;
  std::optional<FragmentKey> fragment;
  bool later_fragment = false;  // not the first: l4 is no transport header
};

// IPv6: walks hop-by-hop, routing, destination options and fragment headers (RFC 8200 §4) from
// next header `next` at `at` to the transport header. A fragment header of a later fragment
// ends the walk; the first fragment's is walked through (its transport header follows), and so
// is an atomic fragment's (RFC 6946: offset 0 and M clear, not a fragment).
std::optional<IpView> walk_ipv6(Bytes p, IpView v, std::uint8_t next, std::size_t at) {
  for (int i = 0; i < kMaxExtensionHeaders; ++i) {
    if (next == kFragment) {
      if (p.size() < at + 8) return std::nullopt;
      const std::uint16_t off_m = load_be16(p, at + 2);
      if ((off_m & 0xfff9) != 0) {  // offset (13 bits) or M
        v.fragment = FragmentKey{v.src, v.dst, load_be32(p, at + 4), 0};
        v.later_fragment = (off_m >> 3) != 0;
        if (v.later_fragment) return v;  // no transport header
      }
      next = p[at];
      at += 8;
    } else if (next == kHopByHop || next == kRouting || next == kDestOpts) {
      if (p.size() < at + 8) return std::nullopt;
      next = p[at];
      at += (std::size_t{p[at + 1]} + 1) * 8;
    } else {
      break;
    }
  }
  if (p.size() < at) return std::nullopt;
  v.proto = next;
  v.l4 = p.subspan(at);
  return v;
}

std::optional<IpView> parse_ip(Bytes p) {
  if (p.empty()) return std::nullopt;
  IpView v;
  if ((p[0] >> 4) == 4) {
    const std::size_t ihl = (std::size_t{p[0]} & 0x0f) * 4;
    if (p.size() < 20 || ihl < 20 || p.size() < ihl) return std::nullopt;
    v.src = Ipv4Addr::from_bytes(p.subspan(12, 4));
    v.dst = Ipv4Addr::from_bytes(p.subspan(16, 4));
    v.proto = p[9];
    v.l4 = p.subspan(ihl);
    if ((load_be16(p, 6) & 0x3fff) != 0) {  // MF or an offset
      v.fragment = FragmentKey{v.src, v.dst, load_be16(p, 4), v.proto};
      v.later_fragment = (load_be16(p, 6) & 0x1fff) != 0;
    }
  } else if ((p[0] >> 4) == 6) {
    if (p.size() < 40) return std::nullopt;
    v.src = Ipv6Addr::from_bytes(p.subspan(8, 16));
    v.dst = Ipv6Addr::from_bytes(p.subspan(24, 16));
    return walk_ipv6(p, v, p[6], 40);
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

ReceivedKey key_of_received(Bytes packet, Medium medium) {
  if (medium == Medium::kEthernet) {
    if (packet.size() < 14) return {};
    const std::uint16_t type = load_be16(packet, 12);
    if (type != 0x0800 && type != 0x86dd) return {};
    packet = packet.subspan(14);
  }
  std::optional<IpView> v = parse_ip(packet);
  if (!v) return {};
  if (v->fragment) return {.fragment = v->fragment};
  if (is_icmp_error(*v)) {
    // The quoted packet is one we sent: its source is ours.
    std::optional<IpView> q = parse_ip(v->l4.subspan(8));
    // A datagram of ours we fragmented is quoted by its first fragment, which has the ports.
    if (!q || q->later_fragment) return {};
    return {.flow = transport_flow(q->proto, q->src, q->dst, q->l4, /*ports_reversed=*/true)};
  }
  return {.flow = transport_flow(v->proto, v->dst, v->src, v->l4, /*ports_reversed=*/false)};
}

std::optional<FlowKey> flow_of_received(Bytes packet, Medium medium) {
  return key_of_received(packet, medium).flow;
}

FlowOwners::FlowOwners(std::uint64_t seed)
    : key_{seed, ~seed}, holders_(64, Hash{SipKey{seed, ~seed}}) {}

std::size_t FlowOwners::reassembly_shard(const FragmentKey& f, std::size_t shards) const {
  std::uint8_t buf[40] = {};
  std::size_t n = put_tuple(buf, f.src, f.dst, static_cast<std::uint16_t>(f.id >> 16),
                            static_cast<std::uint16_t>(f.id));
  SipKey keyed = key_;
  keyed.k1 ^= f.proto;
  return static_cast<std::size_t>(siphash24(keyed, Bytes(buf, n)) % shards);
}

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

std::optional<std::size_t> ShardRouterDevice::holder_elsewhere(
    const std::optional<FlowKey>& k) const {
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
    const ReceivedKey key = key_of_received(*p, medium_);
    std::optional<std::size_t> to;
    if (key.fragment) {
      // Every fragment of a datagram, first and later, meets on one shard: the kernel hashes a
      // fragment by its addresses alone, so they may come up on different queues.
      const std::size_t shard = owners_.reassembly_shard(*key.fragment, inboxes_.size());
      if (shard != self_) to = shard;
    } else {
      to = holder_elsewhere(key.flow);
    }
    if (!to) return p;
    if (!inboxes_[*to]->push(*p, queue_.rx_offload())) {
      ++counters_.handoff_drops;
    } else {
      ++(key.fragment ? counters_.fragment_handoffs : counters_.handoffs);
    }
  }
}

bool ShardRouterDevice::take_reassembled(Instant, Bytes frame) {
  std::optional<std::size_t> holder = holder_elsewhere(flow_of_received(frame, medium_));
  if (!holder) return false;
  if (inboxes_[*holder]->push(frame, PacketOffload{})) {
    ++counters_.reassembled_handoffs;
  } else {
    ++counters_.handoff_drops;
  }
  return true;
}

PacketOffload ShardRouterDevice::rx_offload() const {
  return from_inbox_ ? handed_[next_ - 1].offload : queue_.rx_offload();
}

}  // namespace ustack::tun
