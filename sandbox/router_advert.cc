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

RouterAdvertiser::RouterAdvertiser(IpSender& ip, MacAddr mac, const SandboxLayout::V6& v6,
                                   tun::AsioRuntime& runtime)
    : ip_(ip), mac_(mac), v6_(v6), runtime_(runtime), timer_(runtime.io_context()) {
  arm(runtime_.now() + kFirstDelay);
}

RouterAdvertiser::~RouterAdvertiser() { timer_.cancel(); }

void RouterAdvertiser::arm(Instant at) {
  next_ = at;
  timer_.expires_at(tun::AsioRuntime::to_time_point(at));
  timer_.async_wait([&rt = runtime_](const boost::system::error_code& ec) {
    if (!ec) rt.wake();
  });
}

void RouterAdvertiser::step() {
  Instant now = runtime_.now();
  if (now < next_) return;
  send(now);
  arm(now + kInterval);
}

void RouterAdvertiser::send(Instant now) {
  NdpRepr ra = router_advert(v6_, mac_);
  Ipv6Addr src = Ipv6Addr::link_local_from_mac(mac_);
  Ipv6Addr dst = Ipv6Addr::all_nodes();
  IpSendOptions opts;
  opts.multicast_ttl = 255;  // RFC 4861 §6.1.2: receivers drop an RA whose hop limit is not 255
  opts.multicast_loop = false;
  bool ok = ip_.send(
      now, IpAddr(src), IpAddr(dst), IpProto::kIcmpv6, ra.buffer_len(),
      [&](MutBytes out) { ra.emit(out, src, dst); }, opts);
  ++(ok ? sent_ : failed_);
}

std::string RouterAdvertiser::counters_text() const {
  std::string s = "RouterAdvertiser:\n";
  append_counter(s, sent_, "sent");
  append_counter(s, failed_, "failed");
  return s;
}

}  // namespace ustack::sandbox
