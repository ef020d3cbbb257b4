// Congestion-control benchmark: two ustack instances over the in-memory link (stack/
// link_device.h) in virtual time, one bulk transfer from A to B with random loss on the data
// path and a 20 ms round trip, for NewReno and CUBIC at 0.1%, 1% and 5% loss, each with and
// without RACK-TLP loss detection (RFC 8985, TcpConfig::rack). Prints goodput
// and retransmissions beside the Mathis et al. model, MSS/RTT * 1.22/sqrt(p) (the steady-state
// throughput of Reno with periodic loss, "The Macroscopic Behavior of the TCP Congestion
// Avoidance Algorithm", 1997). Not a test: numbers to read, not to assert.
//
//   bazel run //tools/bench:cc_goodput [-- SECONDS [SEED]]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"

namespace ustack {
namespace {

using namespace ustack::literals;

struct RunResult {
  double goodput_bps = 0;  // bytes delivered in order to B's application, per second
  std::uint64_t retrans_segs = 0;
  std::uint64_t fast = 0, rto = 0, tlp = 0;
  std::uint32_t mss = 0;
};

RunResult run(CongestionAlgorithm algo, bool rack, double loss, Duration rtt, Duration length,
              std::uint64_t seed) {
  LinkConfig lc;
  lc.seed = seed;
  lc.a_to_b.loss = loss;  // data segments; the ACK path is clean, as the Mathis model assumes
  lc.a_to_b.delay = rtt / 2;
  lc.b_to_a.delay = rtt / 2;
  Link link(lc);
  StackConfig sa, sb;
  sa.seed = seed;
  sb.seed = seed + 1;
  Stack a(sa, link.a()), b(sb, link.b());
  a.add_address(*IpCidr::parse("198.18.0.1/24"));
  b.add_address(*IpCidr::parse("198.18.0.2/24"));
  TcpLayerConfig ca, cb;
  ca.seed = seed * 3;
  cb.seed = seed * 5;
  // Buffers far above any window the loss allows, so only congestion control limits the rate.
  ca.tcp.send_buffer = cb.tcp.send_buffer = 8 << 20;
  ca.tcp.recv_buffer = cb.tcp.recv_buffer = 8 << 20;
  ca.tcp.congestion = algo;
  ca.tcp.rack = cb.tcp.rack = rack;
  TcpLayer ta(ca), tb(cb);
  a.register_transport(ta);
  b.register_transport(tb);

  const IpAddr server = *IpAddr::parse("198.18.0.2");
  SocketHandle listener = *tb.listen(server, 80, 8);
  Instant now;
  SocketHandle client = *ta.connect(now, a, server, 80);
  SocketHandle conn;
  static std::uint8_t chunk[64 * 1024];
  static std::uint8_t sink[64 * 1024];
  std::uint64_t received = 0;
  std::optional<Instant> start;
  const Instant end = Instant() + length;
  while (now < end) {
    a.poll(now);
    b.poll(now);
    if (!conn.valid()) {
      if (auto h = tb.accept(listener); h.ok()) conn = *h;
    }
    if (ta.readiness(client).connected) {
      if (!start) start = now;
      while (ta.send(client, Bytes(chunk, sizeof chunk)).ok()) {
      }
    }
    if (conn.valid()) {
      for (;;) {
        auto n = tb.recv(conn, sink);
        if (!n.ok() || *n == 0) break;
        received += *n;
      }
    }
    Instant next = std::min({a.poll_at(), b.poll_at(), link.next_delivery(), end});
    now = std::max(now, next);
  }
  TcpStats st = *ta.stats(client);
  RunResult r;
  r.goodput_bps = static_cast<double>(received) / (end - *start).total_seconds();
  r.mss = st.snd_mss;
  r.retrans_segs = st.bytes_retrans / std::max<std::uint32_t>(st.snd_mss, 1);
  r.fast = st.retrans_fast;
  r.rto = st.retrans_rto;
  r.tlp = st.rack.tlp_probes;
  return r;
}

}  // namespace
}  // namespace ustack

int main(int argc, char** argv) {
  using namespace ustack;
  const std::int64_t seconds = argc > 1 ? std::atoll(argv[1]) : 60;
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  const Duration rtt = Duration::millis(20);
  std::printf("bulk A->B, RTT %lld ms, %lld s of virtual time, seed %llu, loss on data only\n",
              static_cast<long long>(rtt.total_millis()), static_cast<long long>(seconds),
              static_cast<unsigned long long>(seed));
  std::printf("%-6s %5s %6s %14s %14s %7s %10s %8s %6s %6s\n", "algo", "rack", "loss",
              "goodput Mb/s", "Mathis Mb/s", "ratio", "rexmit seg", "fast rx", "RTOs", "TLPs");
  for (double loss : {0.001, 0.01, 0.05}) {
    for (CongestionAlgorithm algo : {CongestionAlgorithm::kNewReno, CongestionAlgorithm::kCubic}) {
      for (bool rack : {false, true}) {
        RunResult r = run(algo, rack, loss, rtt, Duration::seconds(seconds), seed);
        // Mathis: BW = MSS/RTT * C/sqrt(p), C = sqrt(3/2) = 1.22.
        double mathis = r.mss / rtt.total_seconds() * 1.22 / std::sqrt(loss);
        std::printf("%-6s %5s %5.1f%% %14.2f %14.2f %7.2f %10llu %8llu %6llu %6llu\n",
                    to_string(algo), rack ? "on" : "off", loss * 100, r.goodput_bps * 8 / 1e6,
                    mathis * 8 / 1e6, r.goodput_bps / mathis,
                    static_cast<unsigned long long>(r.retrans_segs),
                    static_cast<unsigned long long>(r.fast), static_cast<unsigned long long>(r.rto),
                    static_cast<unsigned long long>(r.tlp));
      }
    }
  }
  return 0;
}
