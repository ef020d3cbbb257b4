// A service's view of one TCP connection: a byte stream it reads and writes, and the session
// object that runs the protocol on it.
//
// Sessions are pure protocol logic: no sockets, no clock. The host (tcp_host.h) calls step()
// with the current time whenever the connection may have made progress, hands it a Stream that
// wraps the TCP socket, and acts on the returned status. Unit tests drive the same sessions
// with a FakeStream and virtual time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "stack/base/bytes.h"
#include "stack/base/time.h"

namespace ustack::services {

struct StreamRead {
  std::size_t n = 0;  // bytes read into the caller's buffer
  bool eof = false;   // the peer shut down its sending side and everything was read
};

// Non-blocking byte stream. A reset or other connection error is the host's business: the
// host stops stepping a session whose connection failed, so sessions never see errors.
class Stream {
 public:
  virtual ~Stream() = default;
  // Up to out.size() bytes; {0, false} means "nothing now, come back later".
  virtual StreamRead read(MutBytes out) = 0;
  // Bytes accepted into the send buffer (0 when it is full).
  virtual std::size_t write(Bytes data) = 0;
  // FIN after the queued data (shutdown(SHUT_WR)).
  virtual void shutdown_write() = 0;
};

// A session's working buffer: allocated on first use and never zeroed. Sessions are made per
// connection, and zeroing 64 KiB each time (with the page faults of touching it) showed in the
// connection-rate (CRR) benchmark.
class ScratchBuffer {
 public:
  explicit ScratchBuffer(std::size_t size) : size_(size) {}
  MutBytes bytes() {
    if (!data_) data_.reset(new std::uint8_t[size_]);
    return {data_.get(), size_};
  }
  std::size_t size() const { return size_; }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_;
};

// A thread's one buffer for sessions that only pass bytes through (echo, discard): they read
// into it and keep only what they could not pass on, so an idle session owns no buffer at all
// (a per-session 64 KiB buffer cost a resident page per idle connection). At most `n` bytes
// (and at most 64 KiB); valid until the next call on this thread.
inline MutBytes shared_scratch(std::size_t n) {
  static constexpr std::size_t kSize = 64 * 1024;
  static thread_local std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[kSize]);
  return {buf.get(), std::min(n, kSize)};
}

enum class SessionStatus {
  kContinue,  // call step() again when the stream may have progressed or at wake_at()
  kClose,     // done: close the connection gracefully (FIN after queued data)
  kAbort,     // protocol violation: reset the connection
};

class Session {
 public:
  virtual ~Session() = default;
  // Does everything that can be done now without blocking.
  virtual SessionStatus step(Instant now, Stream& s) = 0;
  // When step() must run again even if no I/O happens; Instant::never() if only I/O matters.
  virtual Instant wake_at() const { return Instant::never(); }
};

}  // namespace ustack::services
