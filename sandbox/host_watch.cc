#include "sandbox/host_watch.h"

namespace ustack::sandbox {

using boost::asio::posix::stream_descriptor;

HostWatch::HostWatch(tun::AsioRuntime& runtime, tun::UniqueFd fd)
    : runtime_(runtime), sd_(runtime.io_context(), fd.release()) {}

HostWatch::~HostWatch() {
  boost::system::error_code ec;
  sd_.cancel(ec);
  sd_.close(ec);
}

void HostWatch::want_read() {
  want(stream_descriptor::wait_read, &State::readable, &State::waiting_read);
}

void HostWatch::want_write() {
  want(stream_descriptor::wait_write, &State::writable, &State::waiting_write);
}

void HostWatch::want(stream_descriptor::wait_type type, bool State::*ready, bool State::*waiting) {
  (*state_).*ready = false;
  if ((*state_).*waiting) return;
  (*state_).*waiting = true;
  sd_.async_wait(
      type, [state = state_, &rt = runtime_, ready, waiting](const boost::system::error_code& ec) {
        (*state).*waiting = false;
        if (ec) return;  // cancelled: the watch is gone
        (*state).*ready = true;
        rt.wake();
      });
}

}  // namespace ustack::sandbox
