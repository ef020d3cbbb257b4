// A fixed-capacity byte ring for the send and receive buffers.
//
// The storage (SO_SNDBUF / SO_RCVBUF bytes) is taken at the first write and given back when
// the ring is empty again (release_if_empty), so an idle connection holds no buffer memory,
// whether it never carried data or carried some long ago. With a BufferPool (one per
// TcpLayer) giving back and taking again is a pointer move, not a malloc: a request/response
// connection reuses a buffer that is still hot, and the pool keeps only a few spares. Bytes are
// addressed by offset from the read head; reads return up to two spans because the data may wrap
// around the end of the storage. The receive side also writes out-of-order data at offsets past the
// readable part (write_at) and later makes it readable (commit). Auto-tuning (buffer_tuning.h)
// makes a ring bigger with grow(), which keeps every byte, readable or written ahead.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "stack/base/bytes.h"

namespace ustack {

// Spare ring storage, by size. Bounded: beyond kMaxSpares per size, kMaxSizes sizes or
// kMaxSpareBytes in all a given-back buffer is freed, so the pool holds at most a few MiB however
// many connections come and go and however far their buffers grew.
class BufferPool {
 public:
  static constexpr std::size_t kMaxSpares = 16;
  static constexpr std::size_t kMaxSizes = 4;
  static constexpr std::size_t kMaxSpareBytes = 8u << 20;
  std::unique_ptr<std::uint8_t[]> take(std::size_t size) {
    for (Spare& s : spares_) {
      if (s.size == size && !s.buffers.empty()) {
        std::unique_ptr<std::uint8_t[]> b = std::move(s.buffers.back());
        s.buffers.pop_back();
        spare_bytes_ -= size;
        return b;
      }
    }
    // Not zeroed: only written bytes are ever read, and clearing 2 x 256 KiB per connection
    // was a quarter of the CPU time of a connect/request/close benchmark.
    return std::make_unique_for_overwrite<std::uint8_t[]>(size);
  }
  void give(std::size_t size, std::unique_ptr<std::uint8_t[]> b) {
    if (spare_bytes_ + size > kMaxSpareBytes) return;  // freed
    Spare* slot = nullptr;
    for (Spare& s : spares_) {
      if (s.size == size) {
        slot = &s;
        break;
      }
      if (s.buffers.empty() && !slot) slot = &s;  // an unused size's place
    }
    if (!slot && spares_.size() < kMaxSizes) slot = &spares_.emplace_back(Spare{size, {}});
    if (!slot || (slot->size != size && !slot->buffers.empty())) return;  // freed
    slot->size = size;
    if (slot->buffers.size() >= kMaxSpares) return;  // freed
    slot->buffers.push_back(std::move(b));
    spare_bytes_ += size;
  }
  std::size_t spare_bytes() const { return spare_bytes_; }
  std::size_t spares() const {
    std::size_t n = 0;
    for (const Spare& s : spares_) n += s.buffers.size();
    return n;
  }

 private:
  struct Spare {
    std::size_t size;
    std::vector<std::unique_ptr<std::uint8_t[]>> buffers;
  };
  std::vector<Spare> spares_;  // a few distinct sizes (the layer's defaults, SO_*BUF values)
  std::size_t spare_bytes_ = 0;
};

class RingBuffer {
 public:
  explicit RingBuffer(std::size_t capacity, BufferPool* pool = nullptr)
      : capacity_(capacity), pool_(pool) {}
  RingBuffer(RingBuffer&&) = default;
  RingBuffer& operator=(RingBuffer&&) = default;

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
    if (!data_) {
      data_ = pool_ ? pool_->take(capacity_)
                    : std::make_unique_for_overwrite<std::uint8_t[]>(capacity_);
    }
    std::size_t pos = (head_ + offset) % capacity_;
    std::size_t first = std::min(b.size(), capacity_ - pos);
    std::copy_n(b.begin(), first, data_.get() + pos);
    std::copy(b.begin() + static_cast<std::ptrdiff_t>(first), b.end(), data_.get());
  }

  // Makes the ring hold `capacity` bytes (no-op if it holds that many already), keeping every
  // byte in place relative to the read head: readable ones and ones written ahead (write_at).
  // Storage that exists moves to a block of the new size (from the pool), the old one goes back.
  void grow(std::size_t capacity) {
    if (capacity <= capacity_) return;
    if (data_) {
      std::unique_ptr<std::uint8_t[]> bigger =
          pool_ ? pool_->take(capacity) : std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
      std::copy_n(data_.get() + head_, capacity_ - head_, bigger.get());
      std::copy_n(data_.get(), head_, bigger.get() + (capacity_ - head_));
      if (pool_) {
        pool_->give(capacity_, std::move(data_));
      }
      data_ = std::move(bigger);
    }
    head_ = 0;
    capacity_ = capacity;
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

  // Gives the storage back if nothing is readable. The caller must know that nothing was
  // written past the readable part either (the receive side: no out-of-order data held).
  void release_if_empty() {
    if (len_ != 0 || !data_) return;
    head_ = 0;
    if (pool_) {
      pool_->give(capacity_, std::move(data_));
    } else {
      data_.reset();
    }
  }

  void consume(std::size_t n) {
    n = std::min(n, len_);
    head_ = capacity_ == 0 ? 0 : (head_ + n) % capacity_;
    len_ -= n;
  }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t capacity_;
  BufferPool* pool_;
  std::size_t head_ = 0;
  std::size_t len_ = 0;
};

}  // namespace ustack
