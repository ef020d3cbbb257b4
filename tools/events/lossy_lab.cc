// lossy_lab EVENTS: a deterministic run for events_cli_test — two whole Stacks over the
// in-memory link (stack/link_device.h) in virtual time, the a-to-b direction impaired with
// "delay=10ms,loss=5%" from seed 7; stack a sends 40000 octets to b's port 80 and both close
// (then one more second runs).
// Stack a's events (its TCP, its IP layer, the link's drops of its packets) go to EVENTS:
// impairment drops with rule, seed and draw, and the retransmissions that repair them; stack
// b's (the receiver's ACKs) to EVENTS_OF_B when given.
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include "stack/impair/impair_spec.h"
#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/tcp/sim_app.h"
#include "stack/tcp/tcp_layer.h"
#include "tools/events/event_json.h"

namespace ustack {
namespace {

int run(const std::string& path, const std::string& path_b) {
  events::JsonLinesTracer tracer(path, "lossy_lab");
  std::optional<events::JsonLinesTracer> tracer_b;
  if (!path_b.empty()) tracer_b.emplace(path_b, "lossy_lab");
  Tracer* tb_tracer = tracer_b ? &*tracer_b : nullptr;
  LinkConfig lc;
  lc.seed = 7;
  lc.a_to_b = *ImpairSpec::parse("delay=10ms,loss=5%").spec;
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
  TcpLayer ta(ca, &tracer), tb(cb, tb_tracer);
  a.register_transport(ta);
  b.register_transport(tb);
  Rng r(5);
  SimApp client, server;
  client.out = random_data(r, 40000);
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
    client.step(ta);
    server.step(tb);
    if (client.failed || server.failed) return 1;
    // Once both applications closed, one more second for the last ACKs (TIME-WAIT's timer
    // would take a minute).
    if (client.closed && server.closed && !end) end = now + Duration::seconds(1);
    Instant next = std::min({a.poll_at(), b.poll_at(), link.next_delivery()});
    if (next.is_never() || next > (end ? *end : Instant() + Duration::seconds(600))) break;
    now = std::max(now, next);
  }
  return server.in == client.out ? 0 : 1;
}

}  // namespace
}  // namespace ustack

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: lossy_lab EVENTS [EVENTS_OF_B]\n");
    return 2;
  }
  try {
    return ustack::run(argv[1], argc == 3 ? argv[2] : "");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lossy_lab: %s\n", e.what());
    return 1;
  }
}
