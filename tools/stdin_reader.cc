#include "tools/stdin_reader.h"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace ustack::tools {

struct StdinReader::State {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<ByteVec> chunks;
  std::size_t queued = 0;
  bool eof = false;
  int err = 0;
  bool closed = false;
  std::function<void()> notify;
};

StdinReader::StdinReader(std::function<void()> notify) : state_(std::make_shared<State>()) {
  state_->notify = std::move(notify);
  std::thread([st = state_] { run(*st); }).detach();
}

StdinReader::~StdinReader() {
  std::lock_guard<std::mutex> g(state_->mu);
  state_->closed = true;
  state_->notify = nullptr;
  state_->cv.notify_all();
}

bool StdinReader::take(ByteVec& out) {
  std::lock_guard<std::mutex> g(state_->mu);
  for (auto& c : state_->chunks) out.insert(out.end(), c.begin(), c.end());
  state_->chunks.clear();
  state_->queued = 0;
  state_->cv.notify_all();
  return state_->eof;
}

int StdinReader::error() {
  std::lock_guard<std::mutex> g(state_->mu);
  return state_->err;
}

void StdinReader::run(State& st) {
  ByteVec buf(kChunk);
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(st.mu);
      st.cv.wait(lk, [&] { return st.closed || st.queued < kMaxQueued; });
      if (st.closed) return;
    }
    ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> g(st.mu);
    if (st.closed) return;
    if (n > 0) {
      st.chunks.emplace_back(buf.begin(), buf.begin() + n);
      st.queued += static_cast<std::size_t>(n);
    } else {
      st.eof = true;
      if (n < 0) st.err = errno;
    }
    if (st.notify) st.notify();
    if (st.eof) return;
  }
}

bool write_all(int fd, const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace ustack::tools
