// The benchmark rig's bulk-throughput protocol (../shared/bench/src/bulk.c, gvtun/main.go).
//
// The client sends one mode byte:
//   'S'  the client streams until it shuts down its sending side; the server counts the bytes
//        until EOF, replies with the count as 8 bytes little-endian, and closes.
//   'R'  the client then sends 4 bytes little-endian seconds; the server streams data for that
//        long and closes.
// Any other mode byte resets the connection. Time comes from step()'s `now` (the runtime's
// clock in `ustack serve`, virtual time in tests).
#pragma once

#include <array>
#include <cstdint>

#include "stack/base/bytes.h"
#include "tools/services/session.h"

namespace ustack::services {

class BulkSession final : public Session {
 public:
  explicit BulkSession(std::size_t buffer_size = 64 * 1024);
  SessionStatus step(Instant now, Stream& s) override;
  Instant wake_at() const override;

  enum class Phase { kMode, kCounting, kReplying, kSeconds, kStreaming, kDone };
  Phase phase() const { return phase_; }
  std::uint64_t bytes_received() const { return received_; }
  std::uint64_t bytes_sent() const { return sent_; }

 private:
  SessionStatus count(Stream& s);
  SessionStatus reply(Stream& s);
  SessionStatus stream(Instant now, Stream& s);

  ScratchBuffer buf_;  // 'x' bytes once streaming (the rig's server sends 'x')
  Phase phase_ = Phase::kMode;
  std::array<std::uint8_t, 8> small_{};  // the seconds being read, or the count being sent
  std::size_t small_done_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t sent_ = 0;
  Instant stream_until_ = Instant::never();
};

}  // namespace ustack::services
