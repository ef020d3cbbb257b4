#include "stack/impair/impair_trace.h"

#include <algorithm>
#include <string_view>

namespace ustack {

namespace {

constexpr const char* kCauses[3] = {"lost_random", "lost_burst", "dropped_queue_full"};
constexpr const char* kCounters[2][3] = {
    {"impair.in.lost_random", "impair.in.lost_burst", "impair.in.dropped_queue_full"},
    {"impair.out.lost_random", "impair.out.lost_burst", "impair.out.dropped_queue_full"}};

// The TCP flow of an IP packet (after an Ethernet header when `ethernet`): false when it is
// not TCP (or TCP behind IPv6 extension headers) or too short to tell.
bool tcp_flow(Bytes p, bool ethernet, bool local_is_src, TraceEvent& e) {
  if (ethernet) {
    if (p.size() < 14) return false;
    p = p.subspan(14);
  }
  if (p.empty()) return false;
  IpAddr src, dst;
  Bytes tcp;
  const unsigned version = unsigned{p[0]} >> 4;
  if (version == 4 && p.size() >= 20) {
    const std::size_t ihl = (std::size_t{p[0]} & 0xf) * 4;
    if (unsigned{p[9]} != 6 || ihl < 20 || p.size() < ihl + 20) return false;
    src = Ipv4Addr::from_bytes(p.subspan(12));
    dst = Ipv4Addr::from_bytes(p.subspan(16));
    tcp = p.subspan(ihl);
  } else if (version == 6 && p.size() >= 60) {
    if (unsigned{p[6]} != 6) return false;
    src = Ipv6Addr::from_bytes(p.subspan(8));
    dst = Ipv6Addr::from_bytes(p.subspan(24));
    tcp = p.subspan(40);
  } else {
    return false;
  }
  e.local = local_is_src ? src : dst;
  e.remote = local_is_src ? dst : src;
  e.local_port = load_be16(tcp, local_is_src ? 0 : 2);
  e.remote_port = load_be16(tcp, local_is_src ? 2 : 0);
  e.seq = load_be32(tcp, 4);
  return true;
}

}  // namespace

ImpairTrace::ImpairTrace(const ImpairSpec& spec, std::uint64_t seed, bool out)
    : seed_(spec.seed.value_or(seed)), out_(out) {
  // The items of the spec's text form behind each cause: "loss=1%", "burst=gilbert:...",
  // "rate=1Mbit/s,queue=64KB".
  const std::string text = spec.to_string();
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    if (item.rfind("loss=", 0) == 0) rule_[0] = item;
    if (item.rfind("burst=", 0) == 0) rule_[1] = item;
    if (item.rfind("rate=", 0) == 0 || item.rfind("queue=", 0) == 0) {
      rule_[2] += (rule_[2].empty() ? "" : ",") + item;
    }
    start = comma + 1;
  }
}

void ImpairTrace::drop(Tracer* t, Instant now, Impairment::Verdict v, Bytes packet,
                       bool ethernet) const {
  if (t == nullptr || v.dropped == nullptr) return;
  int cause = 0;
  while (cause < 2 && std::string_view(kCauses[cause]) != v.dropped) ++cause;
  TraceEvent e;
  e.kind = TraceKind::kDrop;
  e.at = now;
  e.what = kCounters[out_ ? 1 : 0][cause];
  e.detail = rule_[cause].c_str();
  e.value2 = static_cast<std::int64_t>(seed_);
  e.draw = v.draw;
  e.has_seq = tcp_flow(packet, ethernet, out_, e);
  t->on_event(e);
}

}  // namespace ustack
