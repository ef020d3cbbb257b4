#include "pcap_tests/scenario/runner.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "pcap_tests/scenario/flow.h"
#include "pcap_tests/scenario/script_lexer.h"

namespace ustack::scenario {

namespace {

std::string seconds_text(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", d.total_seconds());
  return buf;
}

std::string result_text(const SysResult& r) {
  if (r.value == -1) return "-1 " + errno_name(r.err);
  return std::to_string(r.value);
}

class Runner {
 public:
  Runner(const Script& script, SystemUnderTest& sut, const RunOptions& opts)
      : script_(script),
        sut_(sut),
        opts_(opts),
        tolerance_(script.tolerance.value_or(opts.tolerance)),
        flow_(opts.addresses, script.ip_version, opts.peer_isn) {}

  RunResult run() {
    RunResult result;
    for (const Event& ev : script_.events) {
      std::string failure = step(ev);
      if (failure.empty()) continue;
      result.messages.push_back(script_.file + ":" + std::to_string(ev.line) + ": " + failure);
      if (!opts_.keep_going) break;
    }
    result.passed = result.messages.empty();
    result.capture = sut_.capture();
    return result;
  }

 private:
  // One event; what went wrong, or "".
  std::string step(const Event& ev) {
    Duration start = ev.time.start;
    Duration end = ev.time.end;
    if (ev.time.relative) {
      start += shift_;
      end += shift_;
    }
    if (const auto* call = std::get_if<SyscallEvent>(&ev.what)) {
      sut_.wait_until(start);
      return syscall(*call);
    }
    const auto& packet = std::get<PacketEvent>(ev.what);
    if (packet.inbound) {
      sut_.wait_until(start);
      Flow::Built b = flow_.build_inbound(packet);
      if (!b.error.empty()) return Flow::describe(packet) + ": " + b.error;
      if (!packet.frag) {
        sut_.inject(b.packet);
        return "";
      }
      // Our `frag N` extension: the fragments go in at the same instant, in the order
      // Flow::fragment gives; the line number is the Identification, the same in every run.
      for (const ByteVec& f :
           Flow::fragment(b.packet, *packet.frag, static_cast<std::uint32_t>(ev.line))) {
        sut_.inject(f);
      }
      return "";
    }
    return expect(packet, ev.time.start, start, end);
  }

  std::string expect(const PacketEvent& packet, Duration script_start, Duration start,
                     Duration end) {
    Duration deadline = end + tolerance_;
    std::optional<replay::TimedPacket> first = sut_.next_outbound(deadline);
    if (!first) {
      return "expected " + Flow::describe(packet) + ", got nothing by " + seconds_text(deadline);
    }
    std::vector<replay::TimedPacket> pieces{std::move(*first)};
    collect_pieces(packet, deadline, pieces);
    Duration first_at = pieces.front().at - Instant::zero();
    Duration last_at = pieces.back().at - Instant::zero();
    shift_ = last_at - script_start;  // packetdrill: the aggregate's time is the last piece's
    std::string mismatch = flow_.check_outbound(packet, pieces);
    if (!mismatch.empty()) return mismatch + " at " + seconds_text(first_at);
    if (first_at < start - tolerance_ || last_at > end + tolerance_) {
      std::string when =
          start == end ? seconds_text(start) : seconds_text(start) + "~" + seconds_text(end);
      return Flow::describe(packet) + " came at " + seconds_text(first_at) + ", expected at " +
             when + " (tolerance " + std::to_string(tolerance_.total_nanos() / 1000) + " us)";
    }
    return "";
  }

  // packetdrill without --strict_segments (run_packet.c): while the data sent so far is less
  // than the expected segment carries, the next packets are pieces of it (TSO/GSO split).
  void collect_pieces(const PacketEvent& packet, Duration deadline,
                      std::vector<replay::TimedPacket>& pieces) {
    if (Flow::is_fragment(pieces.front().ip)) {
      collect_fragments(deadline, pieces);
      return;
    }
    const auto* spec = std::get_if<TcpSegmentSpec>(&packet.packet);
    if (spec == nullptr || script_.strict_segments) return;
    std::size_t got = Flow::tcp_payload_len(pieces.back());
    while (got > 0 && got < spec->len) {
      std::optional<replay::TimedPacket> next = sut_.next_outbound(deadline);
      if (!next) return;
      std::size_t n = Flow::tcp_payload_len(*next);
      pieces.push_back(std::move(*next));
      if (n == 0) return;  // not a piece of data: the check reports it
      got += n;
    }
  }

  // The SUT fragmented what it sent (RFC 791 §2.3, RFC 8200 §4.5): the rest of the fragments
  // follow, and Flow::check_outbound checks the datagram they make. A packet that is not a
  // fragment stops the collection (the check then reports the incomplete datagram).
  void collect_fragments(Duration deadline, std::vector<replay::TimedPacket>& pieces) {
    while (!Flow::reassemble(pieces)) {
      std::optional<replay::TimedPacket> next = sut_.next_outbound(deadline);
      if (!next) return;
      bool fragment = Flow::is_fragment(next->ip);
      pieces.push_back(std::move(*next));
      if (!fragment) return;
    }
  }

  // The SUT's fd for the script's (the script's number itself if it never mapped one: the
  // SUT then answers EBADF as it should).
  int fd(const SyscallArg& a) const {
    auto it = fds_.find(static_cast<int>(a.value));
    return it == fds_.end() ? static_cast<int>(a.value) : it->second;
  }

  std::string syscall(const SyscallEvent& c) {
    const std::vector<SyscallArg>& a = c.args;
    SysResult r;
    std::optional<int> got_value;  // getsockopt's
    const std::string& n = c.name;
    SockAddr remote{flow_.remote(), flow_.remote_port()};
    if (n == "socket") {
      int domain = a[0].kind == SyscallArg::Kind::kEllipsis
                       ? (script_.ip_version == IpVersion::kV4 ? AF_INET : AF_INET6)
                       : static_cast<int>(a[0].value);
      r = sut_.socket(domain, static_cast<int>(a[1].value), static_cast<int>(a[2].value));
    } else if (n == "bind") {
      r = sut_.bind(fd(a[0]), SockAddr{flow_.local(), opts_.bind_port});
      if (r.value == 0) flow_.set_local_port(opts_.bind_port);
    } else if (n == "listen") {
      r = sut_.listen(fd(a[0]), static_cast<int>(a[1].value));
    } else if (n == "accept") {
      r = sut_.accept(fd(a[0]));
    } else if (n == "connect") {
      r = sut_.connect(fd(a[0]), remote);
    } else if (n == "write" || n == "send") {
      ByteVec data(static_cast<std::size_t>(a[2].value), 0);
      r = sut_.write(fd(a[0]), data, n == "send" ? static_cast<int>(a[3].value) : 0);
    } else if (n == "read" || n == "recv") {
      ByteVec buf(static_cast<std::size_t>(a[2].value));
      r = sut_.read(fd(a[0]), buf, n == "recv" ? static_cast<int>(a[3].value) : 0);
    } else if (n == "sendto") {
      ByteVec data(static_cast<std::size_t>(a[2].value), 0);
      r = sut_.sendto(fd(a[0]), data, remote);
    } else if (n == "recvfrom") {
      ByteVec buf(static_cast<std::size_t>(a[2].value));
      SockAddr from;
      r = sut_.recvfrom(fd(a[0]), buf, &from);
    } else if (n == "shutdown") {
      r = sut_.shutdown(fd(a[0]), static_cast<int>(a[1].value));
    } else if (n == "close") {
      r = sut_.close(fd(a[0]));
    } else if (n == "setsockopt") {
      r = sut_.setsockopt(fd(a[0]), static_cast<int>(a[1].value), static_cast<int>(a[2].value),
                          static_cast<int>(a[3].value));
    } else if (n == "getsockopt") {
      int v = 0;
      r = sut_.getsockopt(fd(a[0]), static_cast<int>(a[1].value), static_cast<int>(a[2].value), &v);
      if (r.value == 0) got_value = v;
    } else if (n == "fcntl") {
      r = fcntl(fd(a[0]), a);
    }
    std::string failure = check_result(c, r, fd(a[0]));
    if (failure.empty() && got_value && *got_value != a[3].value) {
      failure = c.text + ": got [" + std::to_string(*got_value) + "] for " + a[3].text;
    }
    if (failure.empty()) note_result(c, r);
    return failure;
  }

  // The seam has no F_GETFL: the runner knows the flags it set (sockets start O_RDWR).
  SysResult fcntl(int sut_fd, const std::vector<SyscallArg>& a) {
    if (a[1].value == F_GETFL) {
      return SysResult::ok(O_RDWR | (nonblocking_.count(sut_fd) != 0 ? O_NONBLOCK : 0));
    }
    bool on = (a[2].value & O_NONBLOCK) != 0;
    SysResult r = sut_.set_nonblocking(sut_fd, on);
    if (r.value == 0 && on) nonblocking_.insert(sut_fd);
    if (r.value == 0 && !on) nonblocking_.erase(sut_fd);
    return r;
  }

  std::string check_result(const SyscallEvent& c, const SysResult& r, int sut_fd) const {
    bool ok =
        c.expected_errno ? r.value == -1 && r.err == *c.expected_errno : r.value == c.expected;
    if (ok) return "";
    std::string msg = c.text + ": got " + result_text(r);
    bool would_block = r.value == -1 && (r.err == EAGAIN || r.err == EINPROGRESS);
    if (would_block && nonblocking_.count(sut_fd) == 0) {
      msg +=
          " (the socket is blocking and the call would block: blocking calls 'A...B' are "
          "not supported; make it non-blocking with fcntl, or call it once the result is "
          "there)";
    }
    return msg;
  }

  // Keeps the fd map and the non-blocking set in step with a call that went as expected.
  void note_result(const SyscallEvent& c, const SysResult& r) {
    if ((c.name == "socket" || c.name == "accept") && r.value >= 0) {
      fds_[static_cast<int>(c.expected)] = static_cast<int>(r.value);
      nonblocking_.erase(static_cast<int>(r.value));  // a new socket is blocking
    }
    if (c.name == "close" && r.value == 0) {
      nonblocking_.erase(fd(c.args[0]));
      fds_.erase(static_cast<int>(c.args[0].value));
    }
  }

  const Script& script_;
  SystemUnderTest& sut_;
  const RunOptions& opts_;
  Duration tolerance_;
  Flow flow_;
  // Actual time minus script time of the last outbound packet: relative times count from it.
  Duration shift_ = Duration::zero();
  std::map<int, int> fds_;     // script fd -> SUT fd
  std::set<int> nonblocking_;  // SUT fds set O_NONBLOCK
};

}  // namespace

RunResult run_script(const Script& script, SystemUnderTest& sut, const RunOptions& options) {
  return Runner(script, sut, options).run();
}

}  // namespace ustack::scenario
