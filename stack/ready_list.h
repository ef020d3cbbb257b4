// ReadyList: the sockets whose readiness changed since the user last looked (ARCHITECTURE.md,
// "Readiness changes are pushed").
//
// A transport marks a socket when something a user may wait for happened to it (data or an
// error arrived, room opened, it closed); an event loop drains the list and re-checks only
// those sockets, so its cost follows what changed, not how many sockets exist (epoll's ready
// list, not select's scan). Each socket is listed at most once between drains.
//
// ReadyFeed: a transport's marks, delivered to every reader. Each reader (usocket's readiness
// hub, `serve`'s ServiceHost, a test) subscribes its own ReadyList, because draining is
// destructive: two readers of one list would steal each other's events. The transport's own
// list (take_ready) is one more reader. A freed socket is forgotten by every list, so a list
// nobody drains holds at most the live sockets, never every socket that ever existed.
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
  // `h` was freed: it is no longer listed. Its slot in the order is dropped lazily (by the
  // next drain, or by a compaction once forgotten entries outnumber the listed ones).
  void forget(SocketHandle h) {
    if (listed_.erase(key(h)) == 0) return;
    if (order_.size() > 2 * listed_.size() + 64) {
      std::erase_if(order_, [this](SocketHandle x) { return !listed_.contains(key(x)); });
    }
  }
  bool empty() const { return listed_.empty(); }
  std::size_t size() const { return listed_.size(); }
  // Appends the marked sockets, oldest mark first, to `out` and empties the list.
  void drain(std::vector<SocketHandle>& out) {
    // Erased one by one: clear() costs the bucket count, which after a burst of marks (10 000
    // connections becoming ready at once) would make every later drain pay for that burst.
    // (Every listed key is in order_, so the set is empty afterwards.)
    for (SocketHandle h : order_) {
      if (listed_.erase(key(h)) != 0) out.push_back(h);
    }
    // Storage a burst left behind is given back once, amortized by the burst's marks.
    const std::size_t n = order_.size();
    if (listed_.bucket_count() > 8 * n + 64) listed_.rehash(0);
    order_.clear();
    if (order_.capacity() > 8 * n + 64) order_.shrink_to_fit();
  }
  // Storage held (hash buckets and order slots), to check it follows what is listed.
  std::size_t capacity() const { return listed_.bucket_count() + order_.capacity(); }

 private:
  static std::uint64_t key(SocketHandle h) { return (std::uint64_t{h.generation} << 32) | h.index; }
  std::vector<SocketHandle> order_;
  std::unordered_set<std::uint64_t> listed_;
};

class ReadyFeed {
 public:
  void mark(SocketHandle h) {
    own_.mark(h);
    for (ReadyList* l : readers_) l->mark(h);
  }
  void forget(SocketHandle h) {
    own_.forget(h);
    for (ReadyList* l : readers_) l->forget(h);
  }
  // `l` receives every mark from now on, until unsubscribe(l). It must outlive its subscription.
  void subscribe(ReadyList& l) { readers_.push_back(&l); }
  void unsubscribe(ReadyList& l) { std::erase(readers_, &l); }
  // The transport's own list (take_ready / any_ready).
  ReadyList& own() { return own_; }
  const ReadyList& own() const { return own_; }

 private:
  ReadyList own_;
  std::vector<ReadyList*> readers_;  // a handful at most
};

}  // namespace ustack
