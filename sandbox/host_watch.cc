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
  state_->readable = false;
  if (state_->waiting_read) return;
  state_->waiting_read = true;
  sd_.async_wait(stream_descriptor::wait_read,
                 [state = state_, &rt = runtime_](const boost::system::error_code& ec) {
                   state->waiting_read = false;
                   if (ec) return;  // cancelled: the watch is gone
                   state->readable = true;
                   rt.wake();
                 });
}

void HostWatch::want_write() {
  state_->writable = false;
  if (state_->waiting_write) return;
  state_->waiting_write = true;
  sd_.async_wait(stream_descriptor::wait_write,
                 [state = state_, &rt = runtime_](const boost::system::error_code& ec) {
                   state->waiting_write = false;
                   if (ec) return;
                   state->writable = true;
                   rt.wake();
                 });
}

}  // namespace ustack::sandbox
