// ReadyList: the sockets whose readiness changed since the user last looked (ARCHITECTURE.md,
// "Readiness changes are pushed").
//
// A transport marks a socket when something a user may wait for happened to it (data or an
// error arrived, room opened, it closed); an event loop drains the list and re-checks only
// those sockets, so its cost follows what changed, not how many sockets exist (epoll's ready
// list, not select's scan). Each socket is listed at most once between drains; a stale handle
// in the list is harmless (the reader's lookup fails).
#pragma once

#include <algorithm>
#include <unordered_set>
#include <vector>

#include "stack/socket_table.h"

namespace ustack {

class ReadyList {
 public:
  void mark(SocketHandle h) {
    if (listed_.insert(key(h)).second) order_.push_back(h);
  }
  bool empty() const { return order_.empty(); }
  std::size_t size() const { return order_.size(); }
  // Appends the marked sockets, oldest mark first, to `out` and empties the list.
  void drain(std::vector<SocketHandle>& out) {
    out.insert(out.end(), order_.begin(), order_.end());
    order_.clear();
    listed_.clear();
  }

 private:
  static std::uint64_t key(SocketHandle h) { return (std::uint64_t{h.generation} << 32) | h.index; }
  std::vector<SocketHandle> order_;
  std::unordered_set<std::uint64_t> listed_;
};

}  // namespace ustack
