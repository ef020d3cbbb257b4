// Fragment reassembly for IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200 §4.5), one engine
// with the two families' keys and overlap policies (both discard a datagram whose fragments
// overlap, as Linux does).
//
// Fragments come in as (key, offset, bytes, more) tuples. Limits keep memory bounded under
// attack (fragments that never complete, floods of first fragments): a byte cap over all
// datagrams, a cap on datagrams in progress, a timeout per datagram and a maximum datagram
// size. When a cap is reached, the oldest incomplete datagrams are evicted (memory down to a
// low threshold), as Linux's inet_frag_evictor did with ipfrag_high_thresh/ipfrag_low_thresh
// before 4.17: a flood of fragments that never complete then costs the flood its own oldest
// entries, not a legitimate datagram that arrives later a 30 s wait. Nothing here reads a
// clock; expire(now) runs the timeouts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/function_ref.h"
#include "stack/base/time.h"

namespace ustack {

// RFC 791: (src, dst, protocol, identification); RFC 8200 §4.5: (src, dst, identification).
struct ReassemblyKey {
  IpAddr src;
  IpAddr dst;
  std::uint32_t ident = 0;
  std::uint8_t proto = 0;  // IPv4 only; 0 for IPv6
  bool operator==(const ReassemblyKey&) const = default;
};

struct ReassemblyKeyHash {
  std::size_t operator()(const ReassemblyKey& k) const;
};

enum class OverlapPolicy : std::uint8_t {
  // IPv4, as Linux does since the FragmentSmack fixes (CVE-2018-5391; inet_frag_queue_insert()
  // in net/ipv4/inet_fragment.c): a fragment that lies wholly inside bytes already received is
  // a duplicate and ignored; any other overlap discards the whole datagram. Keeping either
  // copy of overlapping bytes lets a later fragment disagree with what an earlier check (or
  // a middlebox) saw, so neither is safe.
  kDropDatagramUnlessContained,
  // IPv6 (RFC 5722 §4; RFC 8200 §4.5 lets exact duplicates be ignored): only an exact copy of
  // a fragment is ignored; any other overlap discards the whole datagram.
  kDropDatagram,
};

struct ReassemblyConfig {
  std::size_t memory_cap = 4u << 20;  // bytes over all datagrams (Linux ipfrag_high_thresh)
  // Past memory_cap, the oldest datagrams are evicted until this much is used (Linux
  // ipfrag_low_thresh, 3/4 of the high one); 0 = 3/4 of memory_cap.
  std::size_t memory_low = 0;
  std::size_t max_datagrams = 256;           // datagrams in progress at once (the oldest is
                                             // evicted for a new one)
  Duration timeout = Duration::seconds(30);  // RFC 8200 §4.5; Linux ipfrag_time
  std::size_t max_datagram_len = 65535;      // largest reassembled payload
  OverlapPolicy overlap = OverlapPolicy::kDropDatagramUnlessContained;
};

class Reassembler {
 public:
  enum class Outcome : std::uint8_t {
    kIncomplete,        // stored, waiting for more
    kComplete,          // `payload` holds the whole datagram payload
    kDuplicate,         // bytes we already have (see OverlapPolicy): ignored
    kOverlap,           // any other overlap: the datagram was discarded
    kTooBig,            // offset + length beyond max_datagram_len or past a known end
    kInconsistent,      // a second "last fragment" with a different end, or data past the end
    kMemoryFull,        // the datagram alone would pass memory_cap: it was discarded
    kTooManyDatagrams,  // max_datagrams is 0: nothing can be reassembled
  };
  struct AddResult {
    Outcome outcome = Outcome::kIncomplete;
    // For kComplete: the reassembled payload and what the first fragment carried (the
    // header bytes the caller stored with it, and its `proto`). Valid until the next add().
    Bytes payload;
    Bytes first_header;
    std::uint8_t first_proto = 0;
    // Other incomplete datagrams evicted to make room for this fragment (each one a
    // reassembly failure for the caller's counters).
    std::size_t evicted = 0;
  };
  // Called for each datagram that times out. `first_header`/`first_data` are empty unless
  // the fragment at offset 0 arrived (RFC 792 / RFC 8200 §4.5: only then is an ICMP time
  // exceeded sent, quoting it).
  using TimeoutFn = FunctionRef<void(const ReassemblyKey&, Bytes first_header, Bytes first_data)>;

  explicit Reassembler(const ReassemblyConfig& cfg) : cfg_(cfg) {}

  // `header` is remembered when offset == 0 (the caller's IP header, for the reassembled
  // datagram and for ICMP quotes); `first_proto` likewise (the IPv6 next header after the
  // fragment header).
  AddResult add(Instant now, const ReassemblyKey& key, std::size_t offset, Bytes data, bool more,
                Bytes header = {}, std::uint8_t first_proto = 0);
  // Discards datagrams whose timer ran out; returns how many.
  std::size_t expire(Instant now, TimeoutFn on_timeout);
  Instant next_deadline() const;

  std::size_t memory_used() const { return memory_; }
  std::size_t datagrams() const { return table_.size(); }
  const ReassemblyConfig& config() const { return cfg_; }

 private:
  struct Datagram {
    Instant deadline;
    ByteVec data;                                           // grows to the highest end seen
    std::vector<std::pair<std::size_t, std::size_t>> have;  // sorted, disjoint [begin, end)
    std::optional<std::size_t> total;                       // known once the last fragment came
    ByteVec first_header;
    std::uint8_t first_proto = 0;
    bool have_first = false;
    std::uint64_t arrival = 0;  // order of creation: the lowest is the oldest
  };
  static std::size_t cost(const Datagram& d) { return d.data.size() + d.first_header.size(); }
  using Table = std::unordered_map<ReassemblyKey, Datagram, ReassemblyKeyHash>;
  void erase(Table::iterator it);
  // Evicts the oldest datagram other than `keep`; false if there is none.
  bool evict_oldest(const Datagram* keep);
  std::size_t memory_low() const {
    return cfg_.memory_low ? cfg_.memory_low : cfg_.memory_cap / 4 * 3;
  }

  ReassemblyConfig cfg_;
  Table table_;
  std::size_t memory_ = 0;
  std::uint64_t next_arrival_ = 0;
  Datagram done_;  // the last completed datagram, so AddResult's spans stay valid
};

const char* to_string(Reassembler::Outcome o);

}  // namespace ustack
