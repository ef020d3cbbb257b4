// SYNs a catch-all listener holds until its user decides what to answer (TcpLayer::answer_syn).
//
// A gateway that terminates its clients' connections (a transparent proxy, slirp, `ustack
// sandbox`) must not answer a SYN before it knows the real destination takes the connection:
// a SYN-ACK followed by a RST tells the client "reset", where the truth is "refused". So the
// catch-all listener keeps the SYN here (no connection, no buffers: the parsed header only),
// the user connects onward, and then has the SYN answered with a SYN-ACK (accept) or a RST
// (refuse). libslirp does the same with its non-blocking connect (tcp_fconnect) before it sends
// the SYN-ACK.
//
// Pure bookkeeping: no time of its own, no output. At most `limit` SYNs are held; a retransmitted
// SYN of a tuple already held is recognised and not held twice.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <unordered_map>

#include "stack/base/time.h"
#include "stack/tcp/tcp_types.h"
#include "stack/wire/tcp.h"

namespace ustack {

// What the user answers a held SYN with.
enum class SynAnswer : std::uint8_t {
  kAccept,  // SYN-ACK: the listener takes the connection (accept() returns it)
  kRefuse,  // RST: the client reports "connection refused" (RFC 9293 §3.10.7.1)
  kDrop,    // nothing: forgotten, as if lost (the client retransmits, or times out)
};

class SynHold {
 public:
  enum class AddResult : std::uint8_t { kHeld, kDuplicate, kFull };

  SynHold(std::size_t limit, TcpTupleHash hash) : limit_(limit), held_(16, hash) {}

  // Holds `syn` (its payload is not kept: a SYN's data is sent again after the handshake).
  AddResult add(Instant now, const TcpTuple& t, const TcpRepr& syn);
  // The next held SYN the user has not been told about, oldest first.
  std::optional<TcpTuple> take_new();
  // Records the user's answer, carried out by take_answered(). False if `t` is not held or was
  // answered already.
  bool answer(const TcpTuple& t, SynAnswer a);

  struct Answered {
    TcpTuple tuple;
    TcpRepr syn;
    SynAnswer answer = SynAnswer::kDrop;
  };
  // The oldest answered SYN, no longer held.
  std::optional<Answered> take_answered();
  bool has_answered() const { return !answered_.empty(); }

  std::size_t size() const { return held_.size(); }
  std::size_t limit() const { return limit_; }
  void set_limit(std::size_t limit) { limit_ = limit; }
  // The held SYN of `t` (its header: sequence number, options), nullptr if not held.
  const TcpRepr* syn(const TcpTuple& t) const;
  // Answers every held SYN of `family` not answered yet with `a` (their listener closed).
  void answer_all(IpVersion family, SynAnswer a);
  // When `t`'s SYN arrived (nullopt if not held).
  std::optional<Instant> held_since(const TcpTuple& t) const;

 private:
  struct Entry {
    TcpRepr syn;
    Instant at;
    std::optional<SynAnswer> answer;
  };
  std::size_t limit_;
  std::unordered_map<TcpTuple, Entry, TcpTupleHash> held_;
  std::deque<TcpTuple> fresh_;     // held, not yet taken by take_new()
  std::deque<TcpTuple> answered_;  // answered, not yet carried out
};

}  // namespace ustack
