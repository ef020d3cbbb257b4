#include "tools/services/bulk.h"

#include <algorithm>

namespace ustack::services {

BulkSession::BulkSession(std::size_t buffer_size) : buf_(buffer_size) {}

Instant BulkSession::wake_at() const {
  return phase_ == Phase::kStreaming ? stream_until_ : Instant::never();
}

SessionStatus BulkSession::step(Instant now, Stream& s) {
  if (phase_ == Phase::kMode) {
    std::uint8_t mode;
    StreamRead r = s.read(MutBytes(&mode, 1));
    if (r.n == 0) return r.eof ? SessionStatus::kClose : SessionStatus::kContinue;
    if (mode == 'S') {
      phase_ = Phase::kCounting;
    } else if (mode == 'R') {
      phase_ = Phase::kSeconds;
    } else {
      return SessionStatus::kAbort;
    }
  }
  if (phase_ == Phase::kCounting) {
    SessionStatus st = count(s);
    if (phase_ != Phase::kReplying) return st;
  }
  if (phase_ == Phase::kReplying) return reply(s);
  if (phase_ == Phase::kSeconds) {
    while (small_done_ < 4) {
      StreamRead r = s.read(MutBytes(small_).subspan(small_done_, 4 - small_done_));
      small_done_ += r.n;
      if (r.eof) return SessionStatus::kClose;  // hung up before saying for how long
      if (r.n == 0) return SessionStatus::kContinue;
    }
    std::uint32_t secs = std::uint32_t{small_[0]} | std::uint32_t{small_[1]} << 8 |
                         std::uint32_t{small_[2]} << 16 | std::uint32_t{small_[3]} << 24;
    stream_until_ = now + Duration::seconds(secs);
    phase_ = Phase::kStreaming;
    MutBytes b = buf_.bytes();
    std::fill(b.begin(), b.end(), std::uint8_t{'x'});
  }
  if (phase_ == Phase::kStreaming) return stream(now, s);
  return SessionStatus::kClose;
}

SessionStatus BulkSession::count(Stream& s) {
  for (;;) {
    StreamRead r = s.read(buf_.bytes());
    received_ += r.n;
    if (r.eof) {
      for (int i = 0; i < 8; ++i) small_[i] = static_cast<std::uint8_t>(received_ >> (8 * i));
      small_done_ = 0;
      phase_ = Phase::kReplying;
      return SessionStatus::kContinue;
    }
    if (r.n == 0) return SessionStatus::kContinue;
  }
}

SessionStatus BulkSession::reply(Stream& s) {
  small_done_ += s.write(Bytes(small_).subspan(small_done_, 8 - small_done_));
  if (small_done_ < 8) return SessionStatus::kContinue;
  phase_ = Phase::kDone;
  return SessionStatus::kClose;
}

SessionStatus BulkSession::stream(Instant now, Stream& s) {
  // Whatever the client sends now is not part of the protocol: read and ignore it so it
  // does not turn our close into a reset.
  for (;;) {
    StreamRead r = s.read(buf_.bytes());
    if (r.n == 0) break;
  }
  while (now < stream_until_) {
    std::size_t n = s.write(buf_.bytes());
    sent_ += n;
    if (n == 0) return SessionStatus::kContinue;
  }
  phase_ = Phase::kDone;
  return SessionStatus::kClose;
}

}  // namespace ustack::services
