// RingDeque<T>: a double-ended queue in one power-of-two ring that grows by doubling and is
// reused in place, for per-packet queues on the hot path (the TCP sent queue). std::deque
// allocates and frees a block every few hundred elements as the queue moves along (libstdc++:
// 512 bytes per block), which is a heap call every ~20 segments in a bulk transfer; a ring of
// the flight's size makes none once it is big enough (steady_state_alloc_test).
//
// Indexed, not iterated: [0] is the front. insert() at an index shifts the tail right (the
// sent queue inserts only when a SACK or a retransmission splits an entry). When it empties,
// a ring larger than `kKeepWhenEmpty` elements is given back, so an idle connection does not
// keep the flight of its last burst.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace ustack {

template <typename T>
class RingDeque {
 public:
  static constexpr std::size_t kKeepWhenEmpty = 64;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](std::size_t i) { return buf_[(head_ + i) & mask()]; }
  const T& operator[](std::size_t i) const { return buf_[(head_ + i) & mask()]; }
  T& front() { return (*this)[0]; }
  const T& front() const { return (*this)[0]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  void push_back(const T& v) {
    grow_if_full();
    (*this)[size_++] = v;
  }
  void pop_front() {
    head_ = (head_ + 1) & mask();
    if (--size_ == 0) release_if_large();
  }
  // Inserts `v` before index `i` (0..size()).
  void insert(std::size_t i, const T& v) {
    grow_if_full();
    ++size_;
    for (std::size_t j = size_ - 1; j > i; --j) (*this)[j] = std::move((*this)[j - 1]);
    (*this)[i] = v;
  }
  void clear() {
    head_ = size_ = 0;
    release_if_large();
  }
  std::size_t capacity() const { return buf_.size(); }

 private:
  std::size_t mask() const { return buf_.size() - 1; }

  void grow_if_full() {
    if (size_ < buf_.size()) return;
    std::vector<T> bigger(buf_.empty() ? 8 : buf_.size() * 2);
    for (std::size_t j = 0; j < size_; ++j) bigger[j] = std::move((*this)[j]);
    buf_ = std::move(bigger);
    head_ = 0;
  }
  void release_if_large() {
    head_ = 0;
    if (buf_.size() > kKeepWhenEmpty) std::vector<T>().swap(buf_);
  }

  std::vector<T> buf_;  // capacity: 0 or a power of two
  std::size_t head_ = 0, size_ = 0;
};

}  // namespace ustack
