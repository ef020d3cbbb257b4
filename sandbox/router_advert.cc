#include "sandbox/router_advert.h"

#include "sandbox/counter_text.h"

namespace ustack::sandbox {

NdpRepr router_advert(const SandboxLayout::V6& v6, const MacAddr& mac) {
  NdpRepr ra;
  ra.type = Icmpv6Type::kRouterAdvert;
  ra.cur_hop_limit = 64;
  ra.router_lifetime_s = 1800;
  ra.options.source_link_addr = mac;
  NdpPrefixInfo prefix;
  prefix.prefix = v6.network.addr.v6();
  prefix.prefix_len = static_cast<std::uint8_t>(v6.network.prefix_len);
  prefix.on_link = true;
  prefix.autonomous = true;
  prefix.valid_lifetime_s = 30 * 24 * 3600;
  prefix.preferred_lifetime_s = 7 * 24 * 3600;
  ra.options.add_prefix(prefix);
  // RFC 8106 §5.1: a lifetime of at least MaxRtrAdvInterval (here far more).
  ra.options.rdnss = NdpRdnss{1800, v6.dns.bytes()};
  return ra;
}

RaSchedule::RaSchedule(Instant start)
    : earliest_(start + kFirstDelay), next_(start + kFirstDelay) {}

void RaSchedule::solicited(Instant now, Duration delay) {
  // "If the router sent a multicast Router Advertisement ... within the last
  // MIN_DELAY_BETWEEN_RAS seconds, schedule the advertisement to be sent at a time
  // corresponding to MIN_DELAY_BETWEEN_RAS plus the random value after the previous
  // advertisement was sent"; "If the computed value corresponds to a time later than the time
  // the next multicast Router Advertisement is scheduled to be sent, ignore the random delay".
  Instant at = std::max(now, earliest_) + delay;
  if (at < next_) next_ = at;
  solicited_ = true;
}

void RaSchedule::sent(Instant now) {
  earliest_ = now + kMinDelayBetweenRas;
  next_ = now + kInterval;
  solicited_ = false;
}

RouterAdvertiser::RouterAdvertiser(Stack& stack, const SandboxLayout::V6& v6,
                                   tun::AsioRuntime& runtime, std::uint64_t seed)
    : stack_(stack),
      mac_(stack.mac()),
      v6_(v6),
      runtime_(runtime),
      timer_(runtime.io_context()),
      schedule_(runtime.now()),
      rng_(seed ^ 0x7261) {
  stack_.join_group(runtime_.now(), IpAddr(Ipv6Addr::all_routers()));
  arm(schedule_.next());
}

RouterAdvertiser::~RouterAdvertiser() { timer_.cancel(); }

void RouterAdvertiser::arm(Instant at) {
  timer_.expires_at(tun::AsioRuntime::to_time_point(at));
  timer_.async_wait([&rt = runtime_](const boost::system::error_code& ec) {
    if (!ec) rt.wake();
  });
}

void RouterAdvertiser::step() {
  Instant now = runtime_.now();
  Instant before = schedule_.next();
  while (std::optional<RouterSolicit> rs = stack_.pop_router_solicit()) {
    ++solicitations_;
    auto ms = static_cast<std::int64_t>(rng_.uniform(RaSchedule::kMaxRaDelay.total_millis() + 1));
    schedule_.solicited(rs->at, Duration::millis(ms));
  }
  if (now < schedule_.next()) {
    if (schedule_.next() != before) arm(schedule_.next());
    return;
  }
  if (schedule_.answers_solicitation()) ++solicited_sent_;
  send(now);
  schedule_.sent(now);
  arm(schedule_.next());
}

void RouterAdvertiser::send(Instant now) {
  NdpRepr ra = router_advert(v6_, mac_);
  Ipv6Addr src = Ipv6Addr::link_local_from_mac(mac_);
  Ipv6Addr dst = Ipv6Addr::all_nodes();
  IpSendOptions opts;
  opts.multicast_ttl = 255;  // RFC 4861 §6.1.2: receivers drop an RA whose hop limit is not 255
  opts.multicast_loop = false;
  bool ok = stack_.send(
      now, IpAddr(src), IpAddr(dst), IpProto::kIcmpv6, ra.buffer_len(),
      [&](MutBytes out) { ra.emit(out, src, dst); }, opts);
  ++(ok ? sent_ : failed_);
}

std::string RouterAdvertiser::counters_text() const {
  std::string s = "RouterAdvertiser:\n";
  append_counter(s, sent_, "sent");
  append_counter(s, failed_, "failed");
  append_counter(s, solicitations_, "solicitations");
  append_counter(s, solicited_sent_, "solicited_sent");
  return s;
}

}  // namespace ustack::sandbox
