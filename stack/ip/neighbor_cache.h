// Neighbour cache: the Neighbor Unreachability Detection state machine of RFC 4861 §7.3,
// shared by NDP (IPv6) and ARP (IPv4) the way Linux shares it (net/core/neighbour.c).
//
// Pure: the owner feeds it lookups, adverts and time; it answers with link addresses and,
// from poll(), with the solicitations to send (ARP requests / Neighbor Solicitations) and
// the entries that failed. Packets waiting for resolution are held here, a bounded queue per
// entry (the oldest is dropped when full, like Linux's unres_qlen).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/function_ref.h"
#include "stack/base/random.h"
#include "stack/base/time.h"

namespace ustack {

enum class NeighborState : std::uint8_t { kIncomplete, kReachable, kStale, kDelay, kProbe };
const char* to_string(NeighborState s);

// RFC 4861 §10 protocol constants; the defaults are the RFC's (and Linux's).
struct NeighborConfig {
  Duration base_reachable_time = Duration::seconds(30);  // REACHABLE_TIME
  Duration retrans_timer = Duration::seconds(1);         // RETRANS_TIMER
  Duration delay_first_probe_time = Duration::seconds(5);
  std::uint32_t max_multicast_solicit = 3;
  std::uint32_t max_unicast_solicit = 3;
  std::size_t max_queue_per_entry = 8;  // packets waiting for one neighbour
  std::size_t max_entries = 1024;
  // Aging: a STALE entry not used for this long is removed (Linux gc_stale_time).
  Duration gc_stale_time = Duration::seconds(60);
};

// Something poll() asks the owner to do.
struct NeighborAction {
  enum class Kind : std::uint8_t {
    kSolicit,  // send a solicitation for `target` (broadcast/multicast, or unicast to `mac`)
    kFailed,   // resolution failed; `dropped` queued packets were discarded
  };
  Kind kind = Kind::kSolicit;
  IpAddr target;
  std::optional<MacAddr> unicast_to;
  std::size_t dropped = 0;
  // kFailed: the packets that were waiting, valid during the callback (so the owner can
  // report "address unreachable" for them, RFC 4861 §7.2.2).
  const std::deque<ByteVec>* queued = nullptr;
};

class NeighborCache {
 public:
  // Called on every state change; `from`/`to` nullopt mean "no entry".
  using Observer = std::function<void(const IpAddr&, std::optional<NeighborState> from,
                                      std::optional<NeighborState> to)>;

  NeighborCache(const NeighborConfig& cfg, std::uint64_t seed) : cfg_(cfg), rng_(seed) {}
  void set_observer(Observer o) { observer_ = std::move(o); }
  const NeighborConfig& config() const { return cfg_; }

  // Output path (RFC 4861 §7.3.3). Returns the link address to send to now; a STALE entry
  // moves to DELAY. Returns nullopt when the neighbour is unresolved: an INCOMPLETE entry is
  // created (first solicitation due at once, from poll()) and the caller should enqueue().
  std::optional<MacAddr> lookup(Instant now, const IpAddr& addr);
  // Holds a packet for an INCOMPLETE neighbour. Returns how many packets were dropped to make
  // room (the oldest first) or because no entry could be created.
  std::size_t enqueue(const IpAddr& addr, ByteVec packet);
  // Packets queued for `addr` once it resolved; the caller sends them.
  std::deque<ByteVec> take_queue(const IpAddr& addr);

  // A Neighbor Advertisement / ARP reply (RFC 4861 §7.2.5). Returns true when the entry now
  // has a link address and queued packets may be sent.
  bool on_advert(Instant now, const IpAddr& addr, const MacAddr& mac, bool solicited,
                 bool override_flag);
  // The neighbour revealed its link address in a request (NS/RS source link-layer option,
  // ARP request) (RFC 4861 §7.2.3, RFC 826). `create` false only refreshes an existing entry
  // (a gratuitous ARP from a stranger creates nothing).
  bool on_lladdr(Instant now, const IpAddr& addr, const MacAddr& mac, bool create = true);
  // Forward progress confirmed by an upper layer (RFC 4861 §7.3.1): REACHABLE again.
  void confirm(Instant now, const IpAddr& addr);
  void remove(const IpAddr& addr);

  // Timers: retransmissions, REACHABLE→STALE, DELAY→PROBE, failures, aging.
  void poll(Instant now, FunctionRef<void(const NeighborAction&)> act);
  Instant next_deadline() const;

  std::optional<NeighborState> state(const IpAddr& addr) const;
  std::optional<MacAddr> link_addr(const IpAddr& addr) const;
  std::size_t size() const { return entries_.size(); }
  std::size_t queued(const IpAddr& addr) const;

 private:
  struct Entry {
    NeighborState state = NeighborState::kIncomplete;
    MacAddr mac;
    Instant deadline = Instant::never();  // next timer for this state
    Instant last_used;
    std::uint32_t probes = 0;  // solicitations sent in INCOMPLETE / PROBE
    std::deque<ByteVec> queue;
  };
  Duration random_reachable_time();
  void set_state(const IpAddr& addr, Entry& e, NeighborState s, Instant now);
  bool make_room();

  NeighborConfig cfg_;
  Rng rng_;
  Observer observer_;
  std::unordered_map<IpAddr, Entry> entries_;
};

}  // namespace ustack
