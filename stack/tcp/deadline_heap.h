// A min-heap of deadlines in which every owner has at most one entry and knows where it is.
//
// Each owner (a socket, a TIME_WAIT record) keeps the index of its entry; re-arming moves that
// entry up or down in place (decrease/increase-key) and disarming removes it, so the heap holds
// exactly the armed timers. A heap that pushed a new entry per re-arm and dropped stale ones
// lazily grew with ACK rate x RTO (every ACK re-arms the retransmission timer) and made each
// pop wade through dead entries.
//
// The owner's index is reached through `index_of(ref) -> std::uint32_t&`, passed to each call
// rather than stored, so the heap holds no pointer into its user (the TCP layer is movable).
// Every operation is O(log n) in the number of armed timers.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/base/time.h"

namespace ustack {

template <typename Ref>
class DeadlineHeap {
 public:
  static constexpr std::uint32_t kNotArmed = 0xffffffff;

  // Arms `r` at `at`, or moves its deadline there if already armed.
  template <typename IndexOf>
  void set(Ref r, Instant at, IndexOf&& index_of) {
    std::uint32_t& idx = index_of(r);
    if (idx == kNotArmed) {
      idx = static_cast<std::uint32_t>(v_.size());
      v_.push_back({at, r});
      sift_up(idx, index_of);
      return;
    }
    Instant old = v_[idx].at;
    v_[idx].at = at;
    if (at < old) {
      sift_up(idx, index_of);
    } else {
      sift_down(idx, index_of);
    }
  }

  // Disarms `r` (nothing if it is not armed).
  template <typename IndexOf>
  void erase(Ref r, IndexOf&& index_of) {
    std::uint32_t& idx = index_of(r);
    if (idx == kNotArmed) return;
    std::uint32_t i = idx;
    idx = kNotArmed;
    std::uint32_t last = static_cast<std::uint32_t>(v_.size() - 1);
    if (i != last) {
      Instant removed = v_[i].at;
      v_[i] = v_[last];
      index_of(v_[i].ref) = i;
      v_.pop_back();
      if (v_[i].at < removed) {
        sift_up(i, index_of);
      } else {
        sift_down(i, index_of);
      }
    } else {
      v_.pop_back();
    }
  }

  bool empty() const { return v_.empty(); }
  std::size_t size() const { return v_.size(); }
  std::size_t capacity() const { return v_.capacity(); }
  void shrink_to_fit() { v_.shrink_to_fit(); }
  // The earliest deadline (never() if nothing is armed) and its owner.
  Instant top_at() const { return v_.empty() ? Instant::never() : v_.front().at; }
  const Ref& top() const { return v_.front().ref; }

 private:
  struct Entry {
    Instant at;
    Ref ref;
  };

  template <typename IndexOf>
  void sift_up(std::uint32_t i, IndexOf& index_of) {
    Entry e = v_[i];
    while (i > 0) {
      std::uint32_t parent = (i - 1) / 2;
      if (!(e.at < v_[parent].at)) break;
      v_[i] = v_[parent];
      index_of(v_[i].ref) = i;
      i = parent;
    }
    v_[i] = e;
    index_of(e.ref) = i;
  }

  template <typename IndexOf>
  void sift_down(std::uint32_t i, IndexOf& index_of) {
    Entry e = v_[i];
    const std::size_t n = v_.size();
    for (;;) {
      std::size_t child = 2 * std::size_t{i} + 1;
      if (child >= n) break;
      if (child + 1 < n && v_[child + 1].at < v_[child].at) ++child;
      if (!(v_[child].at < e.at)) break;
      v_[i] = v_[child];
      index_of(v_[i].ref) = i;
      i = static_cast<std::uint32_t>(child);
    }
    v_[i] = e;
    index_of(e.ref) = i;
  }

  std::vector<Entry> v_;
};

}  // namespace ustack
