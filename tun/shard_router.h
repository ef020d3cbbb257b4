// Multi-queue (--queues N): every packet of a flow reaches the shard that holds the flow.
//
// Linux's tun steers what it sends to ustack by a flow table it learns from what each queue
// writes (drivers/net/tun.c, tun_flow_update), and forgets an entry TUN_FLOW_EXPIRE (3 s) after
// the queue last wrote on the flow (tun_flow_cleanup); then tun_automq_select_queue picks a
// queue by the flow's hash alone, which may be another shard's. So a connection left idle for
// a few seconds, and spoken to first by the kernel, arrives on a shard that has never heard of
// it (which would answer RST); a UDP socket living on one shard (`udp listen`, the resolver)
// likewise. The fix here, in the shell (the protocol core knows no threads):
//
//   - FlowOwners: which shard holds which flow, shared by the shards' threads. Each shard's
//     transports tell it through a FlowRegistrar (stack/transport.h FlowObserver) when a TCP
//     4-tuple or a UDP local port starts or stops being held: at connect(), at a SYN a listener
//     answers, when the connection and its TIME-WAIT record are gone, at a UDP bind and close.
//   - ShardInbox: a shard's multi-producer single-consumer queue of packets handed to it by the
//     others, with an eventfd its runtime waits on (AsioRuntime::watch).
//   - ShardRouterDevice: the Device a shard's stack reads its queue through. A received packet
//     whose flow the shard holds itself (LocalFlows: its own tables, no lock) or no shard holds
//     (a new connection's SYN, a stray segment) is the shard's; one whose flow another shard
//     holds is copied into that shard's inbox and counted (shard_handoffs). The owner then
//     answers on its own queue, and that write teaches the kernel the flow's queue again.
//
// Fragments: the kernel hashes a fragment by its addresses alone (no ports), so the fragments of
// one datagram may come up on different queues, from each other and from the flow's owner. Every
// fragment (IPv4, or IPv6 with a Fragment header; the first too) goes to its reassembly shard,
// chosen by a keyed hash of (source, destination, identification, protocol) (FlowOwners::
// reassembly_shard); that shard's stack reassembles it, and offers the whole datagram back
// (Device::take_reassembled), which goes on to the shard that holds its flow, if another does.
// IPv6 extension headers (hop-by-hop, routing, destination options) are walked to the ports.
//
// The per-packet cost on a shard that owns the packet's flow is a header parse and a lookup in
// its own connection table; the shared table's lock is taken only for flows the shard does not
// hold (new SYNs, handoffs) and when connections are made or go. UDP sockets every shard has
// (serve udp-echo:PORT) are answered where the datagram lands: the port is held locally.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stack/base/bytes.h"
#include "stack/base/random.h"
#include "stack/device.h"
#include "stack/transport.h"
#include "tun/unique_fd.h"

namespace ustack::tun {

// What names the datagram a fragment belongs to (RFC 791 §3.2: source, destination,
// identification and protocol; RFC 8200 §4.5: source, destination and identification; proto 0).
struct FragmentKey {
  IpAddr src, dst;
  std::uint32_t id = 0;
  std::uint8_t proto = 0;
  bool operator==(const FragmentKey&) const = default;
};

// What routes a received packet: for an IPv4 fragment or an IPv6 packet with a Fragment header
// (any fragment, the first too), its datagram; otherwise the flow it belongs to, from ustack's
// side (local = the packet's destination): a TCP segment's 4-tuple, a UDP datagram's
// destination port (FlowKey's UDP form), or for an ICMP/ICMPv6 error (RFC 792, RFC 4443 §2.4)
// the flow of the packet of ours it quotes; neither for anything else (ARP, NDP, echo). IPv6
// hop-by-hop, routing and destination options headers are walked to the transport header.
// `medium` kEthernet: `packet` is a frame (TAP).
struct ReceivedKey {
  std::optional<FlowKey> flow;
  std::optional<FragmentKey> fragment;
};
ReceivedKey key_of_received(Bytes packet, Medium medium);
// key_of_received(...).flow: nullopt for fragments too.
std::optional<FlowKey> flow_of_received(Bytes packet, Medium medium);

// Which shards hold which flows; every method may be called from any thread.
class FlowOwners {
 public:
  static constexpr std::size_t kMaxShards = 64;  // a bit per shard
  explicit FlowOwners(std::uint64_t seed);
  void add(const FlowKey& k, std::size_t shard);
  void remove(const FlowKey& k, std::size_t shard);
  // The lowest-numbered shard other than `self` that holds `k`, if any.
  std::optional<std::size_t> other_holder(const FlowKey& k, std::size_t self) const;
  std::size_t size() const;
  // The shard (of `shards`) where the fragments of datagram `f` meet to be reassembled: a keyed
  // hash, the same on every shard, that a peer cannot aim at one shard.
  std::size_t reassembly_shard(const FragmentKey& f, std::size_t shards) const;

 private:
  // Keyed (SipHash) so a peer cannot choose flows that collide.
  struct Hash {
    SipKey key;
    std::size_t operator()(const FlowKey& k) const;
  };
  SipKey key_;
  mutable std::mutex mu_;
  std::unordered_map<FlowKey, std::uint64_t, Hash> holders_;  // bit k: shard k holds it
};

// One shard's FlowObserver: what its transports hold, recorded in the shared FlowOwners.
class FlowRegistrar final : public FlowObserver {
 public:
  FlowRegistrar(FlowOwners& owners, std::size_t shard) : owners_(owners), shard_(shard) {}
  void flow_opened(const FlowKey& k) override { owners_.add(k, shard_); }
  void flow_closed(const FlowKey& k) override { owners_.remove(k, shard_); }

 private:
  FlowOwners& owners_;
  std::size_t shard_;
};

// Packets handed to one shard by the others. push() from any thread; the rest on the owner's.
class ShardInbox {
 public:
  struct Packet {
    ByteVec bytes;
    PacketOffload offload;
  };
  // At most this many packets wait; more are dropped (the owner is far behind).
  static constexpr std::size_t kCapacity = 4096;
  ShardInbox();
  // Readable once packets wait (EFD_NONBLOCK): the owner's runtime waits on it and calls
  // clear_wakeup() before taking (a push after that writes it again).
  int fd() const { return event_.get(); }
  void clear_wakeup();
  // Queues a copy of `packet`; false (dropped) when kCapacity packets wait already.
  bool push(Bytes packet, const PacketOffload& offload);
  // One atomic load: whether take() would find anything.
  bool pending() const { return pending_.load(std::memory_order_acquire); }
  // Moves every waiting packet to the end of `out`.
  void take(std::vector<Packet>& out);
  // Gives a taken packet's buffer back for later pushes (no allocation in steady state).
  void recycle(ByteVec&& buffer);

 private:
  UniqueFd event_;
  std::mutex mu_;
  std::vector<Packet> queue_;
  std::vector<ByteVec> free_;
  std::atomic<bool> pending_{false};
};

// What a shard's own tables hold (its TcpLayer and UdpLayer), asked on its thread.
class LocalFlows {
 public:
  virtual ~LocalFlows() = default;
  virtual bool holds(const FlowKey& k) const = 0;
};

struct ShardRouterCounters {
  std::uint64_t handoffs = 0;              // received here, handed to the shard holding the flow
  std::uint64_t handoffs_in = 0;           // handed here by another shard
  std::uint64_t handoff_drops = 0;         // the holder's inbox was full
  std::uint64_t fragment_handoffs = 0;     // fragments handed to their reassembly shard
  std::uint64_t reassembled_handoffs = 0;  // datagrams reassembled here, handed to their owner
};

// The Device a shard's stack reads its queue through (see the top of this file). transmit and
// caps are the queue's own.
class ShardRouterDevice final : public Device {
 public:
  // `inboxes[k]` is shard k's; `inboxes[self]` is this shard's.
  ShardRouterDevice(Device& queue, std::size_t self, const FlowOwners& owners,
                    std::vector<ShardInbox*> inboxes, const LocalFlows& local);

  DeviceCaps caps() const override { return queue_.caps(); }
  std::optional<Bytes> receive(Instant now) override;
  PacketOffload rx_offload() const override;
  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override {
    return queue_.transmit(now, len, fill);
  }
  bool transmit_offload(Instant now, std::size_t len, const PacketOffload& offload,
                        FunctionRef<void(MutBytes)> fill) override {
    return queue_.transmit_offload(now, len, offload, fill);
  }

  // A datagram this shard's stack reassembled: handed to the shard that holds its flow, if
  // another does (then true).
  bool take_reassembled(Instant now, Bytes frame) override;

  const ShardRouterCounters& counters() const { return counters_; }

 private:
  // The shard other than this one that holds flow `k`, if any.
  std::optional<std::size_t> holder_elsewhere(const std::optional<FlowKey>& k) const;

  Device& queue_;
  std::size_t self_;
  const FlowOwners& owners_;
  std::vector<ShardInbox*> inboxes_;
  const LocalFlows& local_;
  Medium medium_;
  // Packets taken from the inbox, delivered from next_; the one delivered last is
  // handed_[next_ - 1] while from_inbox_.
  std::vector<ShardInbox::Packet> handed_;
  std::size_t next_ = 0;
  bool from_inbox_ = false;
  ShardRouterCounters counters_;
};

}  // namespace ustack::tun
