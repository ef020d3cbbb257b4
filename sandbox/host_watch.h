// HostWatch: one host socket in the runtime's event loop. It owns the fd and remembers whether
// the fd may be read or written; after a read or write said EAGAIN, want_read()/want_write()
// ask the loop to wake the runtime (AsioRuntime::wake) when that changes, so the relay, which
// runs after every batch, tries again then and never spins on an idle socket.
#pragma once

#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>

#include "tun/runtime.h"
#include "tun/unique_fd.h"

namespace ustack::sandbox {

class HostWatch {
 public:
  HostWatch(tun::AsioRuntime& runtime, tun::UniqueFd fd);
  ~HostWatch();
  HostWatch(const HostWatch&) = delete;
  HostWatch& operator=(const HostWatch&) = delete;

  int fd() { return sd_.native_handle(); }
  bool readable() const { return state_->readable; }
  bool writable() const { return state_->writable; }
  // The last read (write) said EAGAIN: not readable (writable) until the loop says so.
  void want_read();
  void want_write();

 private:
  struct State {
    bool readable = true;
    bool writable = true;
    bool waiting_read = false;
    bool waiting_write = false;
  };
  void want(boost::asio::posix::stream_descriptor::wait_type type, bool State::*ready,
            bool State::*waiting);

  tun::AsioRuntime& runtime_;
  boost::asio::posix::stream_descriptor sd_;
  // Shared with the pending handlers, which may run after this watch is gone (cancelled).
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace ustack::sandbox
