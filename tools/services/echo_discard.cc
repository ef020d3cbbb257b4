#include "tools/services/echo_discard.h"

namespace ustack::services {

SessionStatus EchoSession::step(Instant, Stream& s) {
  for (;;) {
    if (pending_begin_ < pending_end_) {
      std::size_t n = s.write(buf_.bytes().subspan(pending_begin_, pending_end_ - pending_begin_));
      pending_begin_ += n;
      echoed_ += n;
      // Send buffer full: reading more would only grow what we owe, so wait (TCP flow
      // control then pushes back on the client).
      if (pending_begin_ < pending_end_) return SessionStatus::kContinue;
    }
    if (eof_) return SessionStatus::kClose;
    StreamRead r = s.read(buf_.bytes());
    pending_begin_ = 0;
    pending_end_ = r.n;
    if (r.eof) eof_ = true;
    if (r.n == 0 && !r.eof) return SessionStatus::kContinue;
  }
}

SessionStatus DiscardSession::step(Instant, Stream& s) {
  for (;;) {
    StreamRead r = s.read(buf_.bytes());
    discarded_ += r.n;
    if (r.eof) return SessionStatus::kClose;
    if (r.n == 0) return SessionStatus::kContinue;
  }
}

}  // namespace ustack::services
