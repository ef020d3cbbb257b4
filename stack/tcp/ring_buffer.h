// A fixed-capacity byte ring for the send and receive buffers.
//
// The storage (SO_SNDBUF / SO_RCVBUF bytes) is allocated at the first write, never resized, so
// the data path allocates at most once per connection and direction; a connection that never
// carries data in a direction (most idle ones) costs no buffer memory there. Bytes are addressed by
// offset from the read head; reads return up to two spans because the data may wrap around the end
// of the storage. The receive side also writes out-of-order data at offsets past the readable part
// (write_at) and later makes it readable (commit).
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>

#include "stack/base/bytes.h"

namespace ustack {

class RingBuffer {
 public:
  explicit RingBuffer(std::size_t capacity) : capacity_(capacity) {}

  // Whether the storage exists yet (for memory accounting and tests).
  bool allocated() const { return data_ != nullptr; }

  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return len_; }  // readable bytes
  std::size_t free() const { return capacity_ - len_; }
  bool empty() const { return len_ == 0; }

  // Appends as much of `b` as fits; returns the number of bytes taken.
  std::size_t write(Bytes b) {
    std::size_t n = std::min(b.size(), free());
    write_at(len_, b.first(n));
    len_ += n;
    return n;
  }

  // Writes `b` at `offset` from the read head without making it readable (offset + size must
  // be <= capacity). Used for out-of-order data.
  void write_at(std::size_t offset, Bytes b) {
    if (b.empty()) return;
    // Not zeroed: only written bytes are ever read, and clearing 2 x 256 KiB per connection
    // was a quarter of the CPU time of a connect/request/close benchmark.
    if (!data_) data_ = std::make_unique_for_overwrite<std::uint8_t[]>(capacity_);
    std::size_t pos = (head_ + offset) % capacity_;
    std::size_t first = std::min(b.size(), capacity_ - pos);
    std::copy_n(b.begin(), first, data_.get() + pos);
    std::copy(b.begin() + static_cast<std::ptrdiff_t>(first), b.end(), data_.get());
  }

  // Makes `n` more bytes (already written with write_at) readable.
  void commit(std::size_t n) { len_ = std::min(capacity_, len_ + n); }

  // Up to `n` readable bytes starting at `offset`, as two spans (the second may be empty).
  std::pair<Bytes, Bytes> peek(std::size_t offset, std::size_t n) const {
    if (offset >= len_) return {};
    n = std::min(n, len_ - offset);
    std::size_t pos = (head_ + offset) % capacity_;
    std::size_t first = std::min(n, capacity_ - pos);
    return {Bytes(data_.get() + pos, first), Bytes(data_.get(), n - first)};
  }

  // Copies up to out.size() bytes into `out` and consumes them.
  std::size_t read(MutBytes out) {
    auto [a, b] = peek(0, out.size());
    std::copy(a.begin(), a.end(), out.begin());
    std::copy(b.begin(), b.end(), out.begin() + static_cast<std::ptrdiff_t>(a.size()));
    consume(a.size() + b.size());
    return a.size() + b.size();
  }

  void consume(std::size_t n) {
    n = std::min(n, len_);
    head_ = capacity_ == 0 ? 0 : (head_ + n) % capacity_;
    len_ -= n;
  }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t capacity_;
  std::size_t head_ = 0;
  std::size_t len_ = 0;
};

}  // namespace ustack
