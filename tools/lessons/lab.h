// The lab a lesson runs in: two whole Stacks (a client at 198.18.0.1, a server at 198.18.0.2)
// over the in-memory link (stack/link_device.h) with a fixed one-way delay, in virtual time
// from 0, with a scripted impairment on the client's outgoing packets. Everything the client's
// stack does is recorded as events (docs/events.md, tools/events/event_json.h): the lesson's
// ladder is drawn from them, `--events` writes them, `--report` draws them, and the lesson's
// own checks read them. Between the steps of its script a lesson says what happens and why
// (say()); the notes are placed in the event stream where they were said.
//
// Pure apart from the optional capture (a tun::PcapTapWriter around the client's device, with
// tun::TcpSegmentComments giving each segment the client sends its pcapng comment).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/time.h"
#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/wire/tcp.h"

namespace ustack::tun {
class PcapTapWriter;
class TcpSegmentComments;
}  // namespace ustack::tun

namespace ustack::lessons {

// A lesson's teaching point did not hold (a stack change broke the lesson): what was expected.
class LessonFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LabOptions {
  std::uint64_t seed = 1;  // ISNs, ephemeral ports, IP IDs of both stacks
  Duration one_way = Duration::millis(10);
  TcpConfig client_tcp;  // the client layer's socket defaults
  TcpConfig server_tcp;
  std::string pcap;  // write the client's packets here ("" = none; .pcapng: comments)
};

// A note a lesson said, placed before the event numbered `before` (1-based; events.size() + 1
// when said after the last event so far).
struct Note {
  std::uint64_t before = 1;
  std::string text;
};

// The scripted impairment: called for every TCP segment the client sends; true drops it (the
// drop is an event, counter "lesson.scripted_drop", tied to the segment's sequence number).
using DropRule = std::function<bool(Instant now, const TcpRepr& seg)>;

class Lab {
 public:
  explicit Lab(const LabOptions& o);
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  TcpLayer& client() { return *client_tcp_; }
  TcpLayer& server() { return *server_tcp_; }
  IpAddr client_addr() const;
  IpAddr server_addr() const;
  Instant now() const { return now_; }
  Duration one_way() const { return options_.one_way; }

  // --- The script: user calls at now(), then everything they cause at this instant ---------
  SocketHandle listen(std::uint16_t port, const TcpSocketOptions& opts = {});
  SocketHandle connect(std::uint16_t port, const TcpSocketOptions& opts = {});
  // A socket of `layer` bound to `local_port` and connecting to the other side's `remote_port`
  // (both ends do this for a simultaneous open).
  SocketHandle connect_from(TcpLayer& layer, std::uint16_t local_port, std::uint16_t remote_port);
  // Runs until `listener` has a connection to accept (at most `limit`), and accepts it.
  SocketHandle accept(SocketHandle listener, Duration limit = Duration::seconds(10));
  // Writes `n` octets ('a', 'b', ... cycling); returns how many the send buffer took.
  std::size_t send(TcpLayer& layer, SocketHandle h, std::size_t n);
  // Reads up to `max` octets; returns how many.
  std::size_t recv(TcpLayer& layer, SocketHandle h, std::size_t max);
  void shutdown(TcpLayer& layer, SocketHandle h);
  void close(TcpLayer& layer, SocketHandle h);
  void set_drop(DropRule rule) { drop_ = std::move(rule); }
  // An application: called after every step of the run; makes its user calls on the layers
  // directly and returns true when it made one (then the stacks run again at the same instant).
  void add_app(std::function<bool()> app) { apps_.push_back(std::move(app)); }

  // A connection to the server's `port` whose server application reads everything as it
  // arrives: listen, connect, run until the server accepts. The reference stays valid for the
  // lab's life.
  struct ReadConnection {
    SocketHandle client, server;
    std::size_t received = 0;  // by the server's application
  };
  ReadConnection& connect_to_reader(std::uint16_t port);
  // An application that reads whatever `h` (set now or later, e.g. by accept()) has, adding
  // the count to `*total` when given.
  void keep_reading(TcpLayer& layer, const SocketHandle* h, std::size_t* total = nullptr);

  // --- Virtual time ------------------------------------------------------------------------
  // Delivers packets and runs timers, in time order, up to `t` (then now() = t).
  void run_until(Instant t);
  void run_for(Duration d) { run_until(now_ + d); }
  // Runs until `done()` holds (checked after each step) or `limit` has passed; whether it held.
  bool run_until(const std::function<bool()>& done, Duration limit);

  // --- The lesson's words and checks -------------------------------------------------------
  // A note placed here in the ladder: what happens next and why, with its RFC section.
  void say(std::string text);
  // What the student should notice, printed at the end.
  void notice(std::string text) { summary_.push_back(std::move(text)); }
  // Throws LessonFailure("the lesson's point does not hold: WHAT") unless `ok`.
  void check(bool ok, const std::string& what) const;

  // The client's events so far (docs/events.md), parsed; events()[i] is event number i + 1.
  const std::vector<nlohmann::ordered_json>& events() const { return events_; }
  // The same as JSON lines (no header).
  const std::vector<std::string>& event_lines() const { return lines_; }
  const std::vector<Note>& notes() const { return notes_; }
  const std::vector<std::string>& summary() const { return summary_; }
  // The state `layer` reports for `h` ("CLOSED" when the socket is gone).
  std::string state(TcpLayer& layer, SocketHandle h) const;
  // Flushes the capture (call at the end of the run).
  void finish();

 private:
  class Recorder;
  class ScriptedDevice;
  // Where the client's events go first (the pcapng commenter, which forwards them, or the
  // recorder).
  Tracer* tracer();
  void settle();
  void step(Instant t);
  Instant next_deadline() const;

  LabOptions options_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<tun::TcpSegmentComments> comments_;
  std::unique_ptr<tun::PcapTapWriter> pcap_;
  std::unique_ptr<Link> link_;
  std::unique_ptr<Device> tap_;  // PcapTapDevice over the link's client end, with a capture
  std::unique_ptr<ScriptedDevice> client_dev_;
  std::unique_ptr<Stack> client_stack_, server_stack_;
  std::unique_ptr<TcpLayer> client_tcp_, server_tcp_;
  DropRule drop_;
  std::vector<std::function<bool()>> apps_;
  std::deque<ReadConnection> read_connections_;
  Instant now_;
  std::vector<nlohmann::ordered_json> events_;
  std::vector<std::string> lines_;
  std::vector<Note> notes_;
  std::vector<std::string> summary_;
};

}  // namespace ustack::lessons
