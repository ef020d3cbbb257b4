// A Stream for session tests: the test feeds input and an EOF, limits how much the "send
// buffer" takes, and reads what the session wrote.
#pragma once

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "tools/services/session.h"

namespace ustack::services {

class FakeStream final : public Stream {
 public:
  // --- test side ---
  void feed(const std::string& s) { in_ += s; }
  void feed_eof() { eof_ = true; }
  // How many more bytes write() accepts in total (models a full send buffer).
  void set_write_room(std::size_t n) { room_ = n; }
  // Takes what the session wrote so far.
  std::string take_output() { return std::exchange(out_, {}); }
  const std::string& output() const { return out_; }
  bool shut_down() const { return shutdown_; }
  std::size_t unread() const { return in_.size(); }

  // --- Stream ---
  StreamRead read(MutBytes buf) override {
    std::size_t n = std::min(buf.size(), in_.size());
    std::memcpy(buf.data(), in_.data(), n);
    in_.erase(0, n);
    return {n, n == 0 && eof_};
  }
  std::size_t write(Bytes data) override {
    std::size_t n = std::min(data.size(), room_);
    out_.append(reinterpret_cast<const char*>(data.data()), n);
    room_ -= n;
    return n;
  }
  void shutdown_write() override { shutdown_ = true; }

 private:
  std::string in_;
  bool eof_ = false;
  std::string out_;
  std::size_t room_ = std::numeric_limits<std::size_t>::max();
  bool shutdown_ = false;
};

}  // namespace ustack::services
