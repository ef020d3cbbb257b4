// A slot vector with generation-checked handles: the socket table.
//
// A handle names a slot and the generation of the socket that lived there when the handle was
// made; once the socket is freed the slot's generation moves on and old handles stop working
// (no use-after-free through a stale handle, no ABA). Lookup is O(1). The table is generic so
// UDP sockets (and anything else the Stack hands out) can live in the same kind of table,
// or in this one as a variant.
//
// Memory follows need: insert() takes the lowest free slot, so live sockets gather at the
// front, and erase() gives the free tail back (a burst of sockets, say TIME_WAIT after a load
// test, does not pin its peak memory).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ustack {

struct SocketHandle {
  static constexpr std::uint32_t kInvalidIndex = 0xffffffff;
  std::uint32_t index = kInvalidIndex;
  std::uint32_t generation = 0;

  bool valid() const { return index != kInvalidIndex; }
  bool operator==(const SocketHandle&) const = default;
  std::string to_string() const {
    return valid() ? std::to_string(index) + "." + std::to_string(generation) : "invalid";
  }
};

template <typename T>
class SlotTable {
 public:
  // Stores `value` in the lowest free slot (O(log n)), or a new one at the end.
  SocketHandle insert(std::unique_ptr<T> value) {
    std::uint32_t index;
    // The smallest free index; if even that one is past the end, all of them are (stale
    // entries of a tail given back).
    if (!free_.empty() && free_.front() >= slots_.size()) {
      free_.clear();
      stale_free_ = 0;
    }
    if (!free_.empty()) {
      std::pop_heap(free_.begin(), free_.end(), std::greater<>{});
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back({});
      // A slot given back and made again starts past every generation it had, so a handle
      // from before still does not match.
      slots_[index].generation = next_generation_;
    }
    slots_[index].value = std::move(value);
    ++live_;
    return {index, slots_[index].generation};
  }

  // The socket `h` names, or nullptr if the handle is stale or invalid.
  T* get(SocketHandle h) const {
    if (h.index >= slots_.size()) return nullptr;
    const Slot& s = slots_[h.index];
    if (s.generation != h.generation || !s.value) return nullptr;
    return s.value.get();
  }

  // Frees the slot; every handle to it becomes stale. Free slots at the end are given back.
  void erase(SocketHandle h) {
    if (get(h) == nullptr) return;
    Slot& s = slots_[h.index];
    s.value.reset();
    ++s.generation;
    free_.push_back(h.index);
    std::push_heap(free_.begin(), free_.end(), std::greater<>{});
    --live_;
    if (h.index + 1 == slots_.size()) trim_tail();
  }

  std::size_t size() const { return live_; }
  // Allocated slots (live and free) and free-list entries, for memory reports.
  std::size_t slot_capacity() const { return slots_.capacity(); }
  std::size_t free_capacity() const { return free_.capacity(); }

  // Calls f(handle, T&) for every live socket (not for the hot path).
  template <typename F>
  void for_each(F&& f) const {
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].value) f(SocketHandle{i, slots_[i].generation}, *slots_[i].value);
    }
  }

 private:
  struct Slot {
    std::uint32_t generation = 0;
    std::unique_ptr<T> value;
  };

  // Drops the free slots at the end. Their indices stay in the free heap as stale entries
  // (insert() never reaches them before the valid ones) until they outnumber the valid ones;
  // then the heap is rebuilt, and storage four times what is in use is reallocated smaller.
  // Amortized O(1) per erase: each rebuild or shrink follows as many erases as it costs.
  void trim_tail() {
    while (!slots_.empty() && !slots_.back().value) {
      next_generation_ = std::max(next_generation_, slots_.back().generation);
      slots_.pop_back();
      ++stale_free_;
    }
    if (stale_free_ > free_.size() - stale_free_ + 64) {
      std::erase_if(free_, [&](std::uint32_t i) { return i >= slots_.size(); });
      std::make_heap(free_.begin(), free_.end(), std::greater<>{});
      stale_free_ = 0;
      if (free_.capacity() > 4 * free_.size() + 64) free_.shrink_to_fit();
    }
    if (slots_.capacity() > 4 * slots_.size() + 64) slots_.shrink_to_fit();
  }

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;  // a min-heap of free indices (stale ones past the end)
  std::size_t stale_free_ = 0;       // entries of free_ past the end of slots_
  std::size_t live_ = 0;
  std::uint32_t next_generation_ = 0;  // for slots made again after the tail was given back
};

}  // namespace ustack
