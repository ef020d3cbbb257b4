// StdinReader: stdin read by a helper thread into a bounded queue of chunks for the loop thread
// (`ustack connect`, `ustack udp send`); write_all() for the way out.
//
// The thread only reads and hands chunks over; it never touches the stack. The loop thread
// takes what arrived with take() from its own handlers, after `notify` (run on the reader
// thread) posted a wakeup to the loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "stack/base/bytes.h"

namespace ustack::tools {

class StdinReader {
 public:
  static constexpr std::size_t kChunk = 64 * 1024;
  static constexpr std::size_t kMaxQueued = 1024 * 1024;

  // `notify` runs on the reader thread (under the lock) when data or EOF arrived; it must only
  // post work to the loop.
  explicit StdinReader(std::function<void()> notify);
  // The thread may still be blocked in read(0); it notices on its next wakeup and exits
  // without touching the loop.
  ~StdinReader();
  StdinReader(const StdinReader&) = delete;
  StdinReader& operator=(const StdinReader&) = delete;

  // Moves queued chunks into `out` (appending). True once stdin is at EOF and drained.
  bool take(ByteVec& out);
  // The errno of a failed read (0 if none).
  int error();

 private:
  struct State;
  static void run(State& st);
  std::shared_ptr<State> state_;
};

// Writes all of [p, p+n) to `fd` (retrying short writes and EINTR); false on an error (errno).
bool write_all(int fd, const std::uint8_t* p, std::size_t n);

}  // namespace ustack::tools
