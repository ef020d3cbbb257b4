// The two simplest services: echo (RFC 862) and discard (RFC 863), over TCP.
#pragma once

#include <cstdint>

#include "stack/base/bytes.h"
#include "tools/services/session.h"

namespace ustack::services {

// Sends back every byte received, in order. When the client shuts down its side, the echoes
// still queued are sent and the connection is closed.
class EchoSession final : public Session {
 public:
  // Reads at most `read_size` bytes at a time (into the thread's shared_scratch()).
  explicit EchoSession(std::size_t read_size = 64 * 1024) : read_size_(read_size) {}
  SessionStatus step(Instant now, Stream& s) override;
  std::uint64_t bytes_echoed() const { return echoed_; }

 private:
  std::size_t read_size_;
  // Read but not yet written (the send buffer was full): the only bytes an echo session
  // owns, and only while the client is not reading.
  ByteVec pending_;
  std::size_t pending_begin_ = 0;
  bool eof_ = false;
  std::uint64_t echoed_ = 0;
};

// Reads and throws away everything until the client shuts down, then closes.
class DiscardSession final : public Session {
 public:
  explicit DiscardSession(std::size_t read_size = 64 * 1024) : read_size_(read_size) {}
  SessionStatus step(Instant now, Stream& s) override;
  std::uint64_t bytes_discarded() const { return discarded_; }

 private:
  std::size_t read_size_;
  std::uint64_t discarded_ = 0;
};

}  // namespace ustack::services
