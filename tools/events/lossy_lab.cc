// lossy_lab EVENTS: a deterministic run for events_cli_test — two whole Stacks over the
// in-memory link (stack/link_device.h) in virtual time, the a-to-b direction impaired with
// "delay=10ms,loss=5%" from seed 7; stack a sends 40000 octets to b's port 80 and both close
// (then one more second runs).
// Stack a's events (its TCP, its IP layer, the link's drops of its packets) go to EVENTS:
// impairment drops with rule, seed and draw, and the retransmissions that repair them; stack
// b's (the receiver's ACKs) to EVENTS_OF_B when given.
//
// --reno: the peer without SACK (b offers no SACK-permitted), a sending NewReno without PRR
// (so no RACK either): losses are found by three duplicate ACKs and repaired by RFC 6582's fast
// recovery, partial ACKs included. --delack: no loss, and b receives into an 8 KiB buffer, so
// it leaves Linux's quick-ACK mode after two ACKs (quick ACKs = buffer / 2·MSS) and a lone
// segment's ACK waits for the delayed-ACK timer (b's events show it). --seed N: the link's seed
// instead of 7.
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "stack/impair/impair_spec.h"
#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/tcp/sim_app.h"
#include "stack/tcp/tcp_layer.h"
#include "tools/events/event_json.h"

namespace ustack {
namespace {

struct LabOptions {
  std::string path, path_b;
  bool reno = false;
  bool delack = false;
  std::uint64_t seed = 7;
};

int run(const LabOptions& o) {
  const std::string& path = o.path;
  const std::string& path_b = o.path_b;
  events::JsonLinesTracer tracer(path, "lossy_lab");
  std::optional<events::JsonLinesTracer> tracer_b;
  if (!path_b.empty()) tracer_b.emplace(path_b, "lossy_lab");
  Tracer* tb_tracer = tracer_b ? &*tracer_b : nullptr;
  LinkConfig lc;
  lc.seed = o.seed;
  lc.a_to_b = *ImpairSpec::parse(o.delack ? "delay=10ms" : "delay=10ms,loss=5%").spec;
  lc.b_to_a = *ImpairSpec::parse("delay=10ms").spec;
  Link link(lc);
  link.a().set_tracer(&tracer);
  link.b().set_tracer(tb_tracer);
  StackConfig sa, sb;
  sa.seed = 1;
  sb.seed = 2;
  Stack a(sa, link.a()), b(sb, link.b());
  a.set_tracer(&tracer);
  b.set_tracer(tb_tracer);
  const IpCidr ka = *IpCidr::parse("198.18.0.1/24"), kb = *IpCidr::parse("198.18.0.2/24");
  a.add_address(ka);
  b.add_address(kb);
  TcpLayerConfig ca, cb;
  ca.seed = 3;
  cb.seed = 4;
  if (o.reno) {
    cb.tcp.sack = false;  // RFC 2018 §2: no SACK-permitted in b's SYN-ACK, so none is used
    ca.tcp.congestion = CongestionAlgorithm::kNewReno;
    ca.tcp.prr = false;  // RFC 6582's window inflation and deflation, not RFC 6937
  }
  if (o.delack) {
    cb.tcp.recv_buffer = 8192;
    ca.tcp.nodelay = true;
  }
  TcpLayer ta(ca, &tracer), tb(cb, tb_tracer);
  a.register_transport(ta);
  b.register_transport(tb);
  Rng r(5);
  SimApp client, server;
  // --delack: eight writes of 100 octets 5 ms apart from 100 ms (TCP_NODELAY: eight segments),
  // the half-close at 300 ms: quick ACKs, then the ACK of a lone segment waits for the timer.
  const std::string data = random_data(r, o.delack ? 800 : 40000);
  const Instant half_close = Instant() + Duration::millis(300);
  bool half_closed = false;
  std::size_t fed = 0;
  constexpr std::size_t kWrite = 100;
  auto next_write = [&]() { return Instant() + Duration::millis(100 + 5 * (fed / kWrite)); };
  if (o.delack) {
    client.shut = server.shut = true;  // not before the last write, and the client's FIN
  } else {
    client.out = data;
  }
  auto listener = tb.listen(kb.addr, 80, 8);
  Instant now;
  std::optional<Instant> end;
  auto conn = ta.connect(now, a, kb.addr, 80);
  if (!listener.ok() || !conn.ok()) return 1;
  client.h = *conn;
  for (int iter = 0; iter < 1000000; ++iter) {
    a.poll(now);
    b.poll(now);
    if (!server.h.valid()) {
      if (auto acc = tb.accept(*listener); acc.ok()) server.h = *acc;
    }
    if (o.delack && fed < data.size() && now >= next_write()) {
      client.out += data.substr(fed, kWrite);
      fed += kWrite;
    }
    if (o.delack && fed == data.size() && now >= half_close && !half_closed) {
      client.shut = false;  // SimApp shuts down once
      half_closed = true;
    }
    // --delack: the server closes only after the client (its FIN would end the exchange).
    if (o.delack && !server.closed) server.shut = !server.eof;
    client.step(ta);
    server.step(tb);
    if (client.failed || server.failed) return 1;
    // Once both applications closed, one more second for the last ACKs (TIME-WAIT's timer
    // would take a minute).
    if (client.closed && server.closed && !end) end = now + Duration::seconds(1);
    Instant next = std::min({a.poll_at(), b.poll_at(), link.next_delivery(),
                             !o.delack           ? Instant::never()
                             : fed < data.size() ? next_write()
                             : !half_closed      ? half_close
                                                 : Instant::never()});
    if (next.is_never() || next > (end ? *end : Instant() + Duration::seconds(600))) break;
    now = std::max(now, next);
  }
  return server.in == data ? 0 : 1;
}

}  // namespace
}  // namespace ustack

int main(int argc, char** argv) {
  ustack::LabOptions o;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reno") {
      o.reno = true;
    } else if (a == "--delack") {
      o.delack = true;
    } else if (a == "--seed" && i + 1 < argc) {
      o.seed = std::stoull(argv[++i]);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty() || files.size() > 2) {
    std::fprintf(stderr, "usage: lossy_lab [--reno|--delack] [--seed N] EVENTS [EVENTS_OF_B]\n");
    return 2;
  }
  o.path = files[0];
  if (files.size() == 2) o.path_b = files[1];
  try {
    return ustack::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lossy_lab: %s\n", e.what());
    return 1;
  }
}
