// `ustack ping`: ICMP / ICMPv6 echo from the stack itself, with iputils ping's output, options
// and exit codes (0: some reply, 1: none, 2: an error):
//
//   ustack ping --tun ust1 --netns demo --addr 198.18.1.2/24 --peer 198.18.1.1/24 -c 3 198.18.1.1
//   PING 198.18.1.1 (198.18.1.1) 56(84) bytes of data.
//   64 bytes from 198.18.1.1: icmp_seq=1 ttl=64 time=0.212 ms
//   ...
//   --- 198.18.1.1 ping statistics ---
//   3 packets transmitted, 3 received, 0% packet loss, time 2003ms
//   rtt min/avg/max/mdev = 0.148/0.181/0.212/0.026 ms
//
// Each request carries its send time (8 bytes) and a byte pattern; a reply is matched by
// identifier and sequence number, and one whose payload differs is reported like ping does.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include "stack/stack.h"
#include "tools/device_options.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"
#include "tun/runtime.h"

namespace ustack::tools {
namespace {

struct PingOptions {
  DeviceOptions device;
  std::string host;
  std::int64_t count = 0;  // 0: until stopped
  double interval_s = 1.0;
  std::int64_t size = 56;
  double timeout_s = 10.0;  // -W: wait this long for the last reply
  bool quiet = false;
  bool v4_only = false, v6_only = false;
};

// The payload of request `seq`: its send time (nanoseconds since the runtime's epoch) then
// the bytes 8, 9, 10, ... as iputils fills its pattern after the timestamp.
ByteVec request_payload(std::size_t size, Instant sent) {
  ByteVec p(size);
  std::int64_t ns = sent.total_nanos();
  for (std::size_t i = 0; i < size; ++i) {
    p[i] = i < 8 ? static_cast<std::uint8_t>(ns >> (8 * i)) : static_cast<std::uint8_t>(i);
  }
  return p;
}

struct Summary {
  std::uint64_t sent = 0, received = 0, corrupted = 0, duplicates = 0;
  double min_ms = 0, max_ms = 0, sum_ms = 0, sum_sq_ms = 0;
  void add(double ms) {
    min_ms = received == 0 ? ms : std::min(min_ms, ms);
    max_ms = std::max(max_ms, ms);
    sum_ms += ms;
    sum_sq_ms += ms * ms;
    ++received;
  }
};

int ping(DeviceSession& s, const PingOptions& opts, const IpAddr& dst) {
  Stack& stack = s.stack();
  tun::AsioRuntime& rt = s.runtime();
  const std::size_t size = static_cast<std::size_t>(opts.size);
  const std::size_t ip_hdr = dst.is_v4() ? 20 : 40;
  // The identifier: ours from the seed, as a ping socket's port would be.
  const auto ident = static_cast<std::uint16_t>(s.setup().seed ^ (s.setup().seed >> 16));
  if (!stack.select_source(dst)) {  // as ping's connect() fails, before its header
    std::fprintf(stderr, "ustack ping: %s: network is unreachable\n", dst.to_string().c_str());
    return 2;
  }
  if (dst.is_v4()) {
    std::printf("PING %s (%s) %zu(%zu) bytes of data.\n", opts.host.c_str(),
                dst.to_string().c_str(), size, size + 8 + ip_hdr);
  } else {
    std::printf("PING %s (%s) %zu data bytes\n", opts.host.c_str(), dst.to_string().c_str(), size);
  }
  std::fflush(stdout);

  const Duration interval = Duration::nanos(static_cast<std::int64_t>(opts.interval_s * 1e9));
  const Duration wait = Duration::nanos(static_cast<std::int64_t>(opts.timeout_s * 1e9));
  const Instant start = rt.now();
  struct Request {
    Instant sent;
    bool answered = false;  // a later reply is a duplicate
  };
  std::map<std::uint16_t, Request> outstanding;  // by sequence number
  Summary sum;
  std::uint16_t next_seq = 1;
  Instant next_send = rt.now();
  Instant last_sent;
  bool send_failed = false;

  auto drain_replies = [&] {
    while (std::optional<EchoReply> r = stack.pop_echo_reply()) {
      if (r->ident != ident || r->from != dst) continue;
      auto it = outstanding.find(r->seq);
      if (it == outstanding.end()) continue;
      Request& req = it->second;
      double ms = static_cast<double>((r->at - req.sent).total_nanos()) / 1e6;
      bool dup = req.answered;
      bool intact = r->payload == request_payload(size, req.sent);
      if (!dup && intact) sum.add(ms);
      if (dup) ++sum.duplicates;
      if (!intact) ++sum.corrupted;
      if (!opts.quiet) {
        std::printf("%zu bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms%s%s\n",
                    r->payload.size() + 8, r->from.to_string().c_str(), r->seq, r->ttl, ms,
                    dup ? " (DUP!)" : "", intact ? "" : " (BAD CHECKSUM OR PAYLOAD)");
        std::fflush(stdout);
      }
      req.answered = true;
    }
  };
  auto all_sent = [&] {
    return opts.count > 0 && sum.sent >= static_cast<std::uint64_t>(opts.count);
  };
  // Sends every request that is due. Called from the loop below, not from an iteration hook:
  // when the next send time passes with nothing to read, run_until returns before any handler
  // (and so any hook) runs.
  auto send_due = [&] {
    while (!all_sent() && !send_failed && rt.now() >= next_send) {
      Instant at = rt.now();
      if (!stack.send_echo_request(at, dst, ident, next_seq, request_payload(size, at))) {
        send_failed = true;
        return;
      }
      outstanding[next_seq] = Request{at};
      last_sent = at;
      ++next_seq;
      ++sum.sent;
      next_send = at + interval;
    }
  };
  auto finished = [&] {
    if (send_failed) return true;
    if (!all_sent()) return false;
    return sum.received + sum.corrupted >= sum.sent;  // every request answered
  };
  rt.on_iteration([&](Instant) { drain_replies(); });
  for (;;) {
    send_due();
    rt.pump();  // the requests go out now, replies already read are handled
    drain_replies();
    // Wake for the next send; after the last one, give up -W after it.
    Instant deadline = all_sent() ? last_sent + wait : next_send;
    auto r = rt.run_until(finished, deadline);
    if (r != Runtime::RunResult::kTimedOut) break;
    if (all_sent() && rt.now() >= last_sent + wait) break;
  }
  if (send_failed) {
    std::fprintf(stderr, "ustack ping: %s: network is unreachable\n", dst.to_string().c_str());
    return 2;
  }
  const double elapsed_ms = static_cast<double>((rt.now() - start).total_nanos()) / 1e6;
  std::printf("\n--- %s ping statistics ---\n", opts.host.c_str());
  std::printf("%llu packets transmitted, %llu received,", (unsigned long long)sum.sent,
              (unsigned long long)sum.received);
  if (sum.duplicates) std::printf(" +%llu duplicates,", (unsigned long long)sum.duplicates);
  if (sum.corrupted) std::printf(" +%llu corrupted,", (unsigned long long)sum.corrupted);
  double loss = sum.sent ? 100.0 * static_cast<double>(sum.sent - sum.received) /
                               static_cast<double>(sum.sent)
                         : 0;
  std::printf(" %g%% packet loss, time %.0fms\n", loss, elapsed_ms);
  if (sum.received > 0) {
    double avg = sum.sum_ms / static_cast<double>(sum.received);
    double mdev =
        std::sqrt(std::max(0.0, sum.sum_sq_ms / static_cast<double>(sum.received) - avg * avg));
    std::printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", sum.min_ms, avg, sum.max_ms,
                mdev);
  }
  std::fflush(stdout);
  // On Ctrl-C too: the statistics, then 0 or 1 as ping does.
  return sum.received > 0 ? 0 : 1;
}

int run_ping(const PingOptions& opts) {
  if (opts.count < 0)
    return usage_error("-c " + std::to_string(opts.count) + ": want a count >= 1");
  if (!(opts.interval_s >= 0.002 && opts.interval_s < 1e6)) {
    return usage_error("-i: want seconds >= 0.002");
  }
  if (opts.size < 0 || opts.size > 65507) return usage_error("-s: want 0..65507 bytes");
  if (!(opts.timeout_s > 0 && opts.timeout_s < 1e6)) return usage_error("-W: want seconds > 0");
  if (opts.v4_only && opts.v6_only) return usage_error("-4 and -6 exclude each other");
  return run_with_device("ping", opts.device, [&](DeviceSession& s) {
    AddressFamily family = opts.v4_only   ? AddressFamily::kV4
                           : opts.v6_only ? AddressFamily::kV6
                                          : AddressFamily::kUnspec;
    DeviceSession::HostAddress dst = s.lookup_host(opts.host, family);
    if (!dst.addr) {
      std::fprintf(stderr, "ustack ping: %s: %s\n", opts.host.c_str(), dst.error.c_str());
      return 2;
    }
    return ping(s, opts, *dst.addr);
  });
}

Subcommand ping_cmd(
    "ping", "ICMP/ICMPv6 echo from the stack itself, like iputils ping", [](CLI::App& app) {
      auto opts = std::make_shared<PingOptions>();
      add_device_options(app, opts->device);
      add_resolver_options(app, opts->device);
      app.add_option("-c,--count", opts->count, "stop after COUNT replies' worth of requests")
          ->type_name("COUNT");
      app.add_option("-i,--interval", opts->interval_s, "seconds between requests (default 1)")
          ->type_name("SECONDS");
      app.add_option("-s,--size", opts->size, "payload bytes (default 56)")->type_name("BYTES");
      app.add_option("-W,--timeout", opts->timeout_s,
                     "seconds to wait for replies after the last request (default 10)")
          ->type_name("SECONDS");
      app.add_flag("-q,--quiet", opts->quiet, "only the summary");
      app.add_flag("-4", opts->v4_only, "IPv4 only");
      app.add_flag("-6", opts->v6_only, "IPv6 only");
      app.add_option("host", opts->host, "address or name (ustack's resolver)")->required();
      app.footer(
          "Exit code: 0 if a reply came, 1 if none, 2 on an error (as iputils ping).\n"
          "Example:\n  ustack ping --tun ust1 --netns demo --addr 198.18.1.2/24 --peer "
          "198.18.1.1/24 -c 3 198.18.1.1");
      return [opts] { return run_ping(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
