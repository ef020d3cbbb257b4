#include "sockapi/uselect.h"

#include <cerrno>

#include "sockapi/os_error.h"

namespace uselect {

using usocket::OSError;
using usocket::socket;
using RunResult = ustack::Runtime::RunResult;

namespace {

constexpr int kAlwaysReported = POLLERR | POLLHUP | POLLNVAL;

bool is_tcp(const socket& s) { return s.type() == SOCK_STREAM; }

}  // namespace

poller poll() { return poller(); }

poller::~poller() { detach_all(); }

void poller::detach_all() {
  // Entries are live sockets (the hub's gone() removes dead ones), and unwatch() only uses
  // the address anyway.
  if (net_) {
    for (auto& [s, e] : entries_) net_->readiness().unwatch(*this, *s);
  }
  entries_.clear();
  dirty_.clear();
  reported_.clear();
}

poller::poller(poller&& o) noexcept { *this = std::move(o); }

poller& poller::operator=(poller&& o) noexcept {
  if (this == &o) return *this;
  detach_all();
  net_ = o.net_;
  entries_ = std::move(o.entries_);
  dirty_ = std::move(o.dirty_);
  reported_ = std::move(o.reported_);
  round_ = o.round_;
  stats_ = o.stats_;
  o.entries_.clear();
  o.dirty_.clear();
  o.reported_.clear();
  // The hub knows watchers by address: hand every watch over to the new object.
  if (net_) {
    usocket::ReadinessHub& hub = net_->readiness();
    for (auto& [s, e] : entries_) {
      hub.unwatch(o, *s);
      hub.watch(*this, *s, is_tcp(*s), s->handle());
    }
  }
  return *this;
}

void poller::register_(socket& s, int eventmask) {
  if (entries_.empty()) {
    net_ = s.network();  // an empty poller may move to another network
  } else if (!(s.network() == *net_)) {
    throw OSError(EINVAL, "uselect: all sockets of a poller must be on one network");
  }
  auto [it, fresh] = entries_.try_emplace(&s);
  it->second.mask = eventmask;
  it->second.armed = true;
  if (fresh) net_->readiness().watch(*this, s, is_tcp(s), s.handle());
  mark_dirty(&s, it->second);  // its current state is news to this poller
}

void poller::modify(socket& s, int eventmask) {
  auto it = entries_.find(&s);
  if (it == entries_.end()) throw OSError(ENOENT);  // MicroPython
  it->second.mask = eventmask;
  it->second.armed = true;
  mark_dirty(&s, it->second);
}

void poller::unregister(socket& s) {
  auto it = entries_.find(&s);
  if (it == entries_.end()) return;  // MicroPython: idempotent
  net_->readiness().unwatch(*this, s);
  entries_.erase(it);
}

void poller::changed(socket* s) {
  auto it = entries_.find(s);
  if (it != entries_.end()) mark_dirty(s, it->second);
}

void poller::moved(socket* from, socket* to) {
  auto node = entries_.extract(from);
  if (node.empty()) return;
  node.key() = to;
  auto r = entries_.insert(std::move(node));
  // `from` may still sit in reported_/dirty_: it is no longer a key, so it is skipped there.
  r.position->second.dirty = false;
  mark_dirty(to, r.position->second);
}

void poller::gone(socket* s) { entries_.erase(s); }

void poller::mark_dirty(socket* s, Entry& e) {
  if (e.dirty) return;
  e.dirty = true;
  dirty_.push_back(s);
}

bool poller::collect(result& out, bool oneshot) {
  ++round_;
  scratch_.clear();
  scratch_.swap(reported_);
  auto check = [&](socket* s) {
    auto it = entries_.find(s);
    if (it == entries_.end()) return;  // unregistered or destroyed since it was listed
    Entry& e = it->second;
    e.dirty = false;
    if (e.checked == round_) return;  // listed twice this round
    e.checked = round_;
    if (!e.armed) return;
    ++stats_.rechecked;
    const int ev = s->poll_events() & (e.mask | kAlwaysReported);
    if (ev == 0) return;
    out.emplace_back(s, ev);
    if (oneshot) {
      e.armed = false;  // silent until modify(): not re-checked either
    } else {
      reported_.push_back(s);  // level-triggered: looked at again next round
    }
  };
  for (socket* s : scratch_) check(s);
  // check() never adds to dirty_ (poll_events() runs no loop), so this loop is stable.
  for (socket* s : dirty_) check(s);
  dirty_.clear();
  return !out.empty();
}

void poller::run(result& out, int timeout_ms, bool oneshot) {
  out.clear();
  ++stats_.polls;
  if (entries_.empty() && timeout_ms == 0) return;
  // An empty poller that never had a socket sleeps on the default network (MicroPython's
  // poll() with nothing registered just sleeps).
  usocket::Network net = net_ ? *net_ : usocket::default_network();
  usocket::ReadinessHub& hub = net.readiness();
  auto ready = [&] {
    hub.drain();
    return collect(out, oneshot);
  };
  if (timeout_ms == 0) {
    // One step of the loop first: there is no background thread, so a poll(0) busy loop
    // would otherwise never see a packet arrive.
    net.runtime().pump();
    ready();
    return;
  }
  const ustack::Instant deadline =
      timeout_ms < 0 ? ustack::Instant::never() : net.now() + ustack::Duration::millis(timeout_ms);
  switch (net.wait(ready, deadline)) {
    case RunResult::kReady:
    case RunResult::kTimedOut:
      return;
    case RunResult::kStopped:
      throw OSError(EINTR,
                    "uselect: the network's loop was stopped (or, in virtual time, "
                    "nothing could ever become ready)");
  }
}

poller::result poller::poll(int timeout_ms) {
  result out;
  run(out, timeout_ms, false);
  return out;
}

const poller::result& poller::ipoll(int timeout_ms, int flags) {
  run(iresult_, timeout_ms, (flags & 1) != 0);
  return iresult_;
}

}  // namespace uselect
