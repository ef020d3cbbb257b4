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
  explicit EchoSession(std::size_t buffer_size = 64 * 1024) : buf_(buffer_size) {}
  SessionStatus step(Instant now, Stream& s) override;
  std::uint64_t bytes_echoed() const { return echoed_; }

 private:
  ScratchBuffer buf_;
  std::size_t pending_begin_ = 0;  // [pending_begin_, pending_end_) read but not yet written
  std::size_t pending_end_ = 0;
  bool eof_ = false;
  std::uint64_t echoed_ = 0;
};

// Reads and throws away everything until the client shuts down, then closes.
class DiscardSession final : public Session {
 public:
  explicit DiscardSession(std::size_t buffer_size = 64 * 1024) : buf_(buffer_size) {}
  SessionStatus step(Instant now, Stream& s) override;
  std::uint64_t bytes_discarded() const { return discarded_; }

 private:
  ScratchBuffer buf_;
  std::uint64_t discarded_ = 0;
};

}  // namespace ustack::services
