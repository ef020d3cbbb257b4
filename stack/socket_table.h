// A slot vector with generation-checked handles: the socket table.
//
// A handle names a slot and the generation of the socket that lived there when the handle was
// made; once the socket is freed the slot's generation moves on and old handles stop working
// (no use-after-free through a stale handle, no ABA). Lookup is O(1). The table is generic so
// UDP sockets (and anything else the Stack hands out) can live in the same kind of table,
// or in this one as a variant.
#pragma once

#include <cstdint>
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
  // Stores `value` in a free slot (reusing freed slots first).
  SocketHandle insert(std::unique_ptr<T> value) {
    std::uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back({});
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

  // Frees the slot; every handle to it becomes stale.
  void erase(SocketHandle h) {
    if (get(h) == nullptr) return;
    Slot& s = slots_[h.index];
    s.value.reset();
    ++s.generation;
    free_.push_back(h.index);
    --live_;
  }

  std::size_t size() const { return live_; }

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
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace ustack
