#include "sockapi/readiness_hub.h"

#include <algorithm>

#include "stack/tcp/tcp_layer.h"
#include "stack/udp/udp_layer.h"

namespace usocket {

namespace {

template <typename V, typename P>
void erase_if_found(V& v, P pred) {
  v.erase(std::remove_if(v.begin(), v.end(), pred), v.end());
}

}  // namespace

void ReadinessHub::watch(Watcher& w, socket& s, bool tcp, ustack::SocketHandle h) {
  auto [it, fresh] = sockets_.try_emplace(&s, Watched{tcp, h, {}});
  std::vector<Watcher*>& ws = it->second.watchers;
  if (std::find(ws.begin(), ws.end(), &w) != ws.end()) return;
  ws.push_back(&w);
  by_handle(tcp)[key(h)].push_back(Watch{&w, &s});
}

void ReadinessHub::unwatch(Watcher& w, socket& s) {
  auto it = sockets_.find(&s);
  if (it == sockets_.end()) return;
  Watched& info = it->second;
  erase_if_found(info.watchers, [&](Watcher* x) { return x == &w; });
  auto& map = by_handle(info.tcp);
  if (auto h = map.find(key(info.h)); h != map.end()) {
    erase_if_found(h->second, [&](const Watch& x) { return x.w == &w && x.s == &s; });
    if (h->second.empty()) map.erase(h);
  }
  if (info.watchers.empty()) sockets_.erase(it);
}

void ReadinessHub::notify(std::unordered_map<std::uint64_t, std::vector<Watch>>& map,
                          ustack::SocketHandle h) {
  auto it = map.find(key(h));
  if (it == map.end()) return;  // nobody polls this socket
  for (const Watch& x : it->second) x.w->changed(x.s);
}

void ReadinessHub::drain() {
  // Both lists are drained even with no watchers, so they never hold stale marks that a later
  // poller would pay for.
  last_drained_ = 0;
  if (tcp_.any_ready()) {
    scratch_.clear();
    tcp_.take_ready(scratch_);
    last_drained_ += scratch_.size();
    for (ustack::SocketHandle h : scratch_) notify(tcp_watches_, h);
  }
  if (udp_.any_ready()) {
    scratch_.clear();
    udp_.take_ready(scratch_);
    last_drained_ += scratch_.size();
    for (ustack::SocketHandle h : scratch_) notify(udp_watches_, h);
  }
}

void ReadinessHub::touched(socket& s) {
  auto it = sockets_.find(&s);
  if (it == sockets_.end()) return;
  for (Watcher* w : it->second.watchers) w->changed(&s);
}

void ReadinessHub::moved(socket& from, socket& to) {
  auto it = sockets_.find(&from);
  if (it == sockets_.end()) return;
  Watched info = std::move(it->second);
  sockets_.erase(it);
  auto& map = by_handle(info.tcp);
  if (auto h = map.find(key(info.h)); h != map.end()) {
    for (Watch& x : h->second) {
      if (x.s == &from) x.s = &to;
    }
  }
  for (Watcher* w : info.watchers) w->moved(&from, &to);
  sockets_.emplace(&to, std::move(info));
}

void ReadinessHub::destroyed(socket& s) {
  auto it = sockets_.find(&s);
  if (it == sockets_.end()) return;
  Watched info = std::move(it->second);
  sockets_.erase(it);
  auto& map = by_handle(info.tcp);
  if (auto h = map.find(key(info.h)); h != map.end()) {
    erase_if_found(h->second, [&](const Watch& x) { return x.s == &s; });
    if (h->second.empty()) map.erase(h);
  }
  for (Watcher* w : info.watchers) w->gone(&s);
}

}  // namespace usocket
