// The application on ustack's side of a replay, written against the usocket API: it does
// what the recorded host's application must have done, inferred from the host's packets —
// listen (server) or connect from the recorded port (client), write the bytes the host sent
// when it first sent them, shutdown(SHUT_WR) at its FIN (close() when it reset the connection
// after the FIN), abort at a reset it sent without a FIN, and read whatever arrives at once.
//
// This is the one file to change for a scenario that says what its application does.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "pcap_tests/replay/conversation.h"
#include "sockapi/usocket.h"

namespace ustack::replay {

class ReplayApp {
 public:
  // One thing the application does at a moment of the recording.
  struct Action {
    enum class Kind { kConnect, kWrite, kShutdown, kClose, kAbort };
    Instant at;
    std::size_t order = 0;  // index of the host packet that shows it, in the conversation
    Kind kind = Kind::kWrite;
    ByteVec data;  // kWrite
  };

  ReplayApp(const usocket::Network& net, const Conversation& c);

  // The actions inferred from the host's packets, in time order.
  const std::vector<Action>& actions() const { return actions_; }
  // Opens the socket (a server listens at once, before the peer's SYN arrives).
  void start();
  void run(const Action& a);
  // Accepts, reads everything waiting, sends what is still queued. Call after each step.
  void service();

 private:
  void infer_actions(const Conversation& c);
  void flush();
  void read_all();  // everything that arrived, as a prompt application does

  usocket::Network net_;
  const Conversation& conv_;
  std::vector<Action> actions_;
  std::optional<usocket::socket> listener_;
  std::optional<usocket::socket> conn_;
  ByteVec unsent_;
  bool shutdown_after_unsent_ = false;
  bool host_sent_syn_ = false;
};

}  // namespace ustack::replay
