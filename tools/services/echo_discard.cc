#include "tools/services/echo_discard.h"

namespace ustack::services {

SessionStatus EchoSession::step(Instant, Stream& s) {
  for (;;) {
    if (pending_begin_ < pending_.size()) {
      std::size_t n = s.write(Bytes(pending_).subspan(pending_begin_));
      pending_begin_ += n;
      echoed_ += n;
      // Send buffer full: reading more would only grow what we owe, so wait (TCP flow
      // control then pushes back on the client).
      if (pending_begin_ < pending_.size()) return SessionStatus::kContinue;
      ByteVec().swap(pending_);  // drained: give the memory back
      pending_begin_ = 0;
    }
    if (eof_) return SessionStatus::kClose;
    MutBytes buf = shared_scratch(read_size_);
    StreamRead r = s.read(buf);
    if (r.eof) eof_ = true;
    if (r.n == 0 && !r.eof) return SessionStatus::kContinue;
    std::size_t n = s.write(buf.first(r.n));
    echoed_ += n;
    if (n < r.n)
      pending_.assign(buf.begin() + static_cast<std::ptrdiff_t>(n),
                      buf.begin() + static_cast<std::ptrdiff_t>(r.n));
  }
}

SessionStatus DiscardSession::step(Instant, Stream& s) {
  for (;;) {
    StreamRead r = s.read(shared_scratch(read_size_));
    discarded_ += r.n;
    if (r.eof) return SessionStatus::kClose;
    if (r.n == 0) return SessionStatus::kContinue;
  }
}

}  // namespace ustack::services
