// RouterAdvertiser: router advertisements (RFC 4861 §6.2) from ustack's link-local address on
// the sandbox's TAP, so that a namespace that configures IPv6 by itself (SLAAC, RFC 4862:
// rootlesskit's child, `ustack slirp4netns -6` without -c) gets an address in the sandbox's /64
// and its default route through ustack, as libslirp's RAs give it under slirp4netns. Each RA:
// the router (lifetime 1800 s), the prefix (on-link, autonomous), the DNS address (RDNSS, RFC
// 8106) and ustack's MAC. Unsolicited ones go every kInterval (§6.2.4); a router solicitation
// (the Stack queues them, StackConfig::queue_router_solicits) brings the next one forward as
// §6.2.6 says (RaSchedule). Every RA goes to all-nodes (§6.2.6: "the usual case").
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <string>

#include "sandbox/layout.h"
#include "stack/base/random.h"
#include "stack/stack.h"
#include "stack/transport.h"
#include "stack/wire/ndp.h"
#include "tun/runtime.h"

namespace ustack::sandbox {

// The advertisement for `v6` from a router with `mac` (its RDNSS option views v6.dns, which
// must outlive it): RFC 4861 §6.2.1's defaults — cur hop limit 64, router lifetime 1800 s;
// the prefix on-link and autonomous, valid 30 days, preferred 7 days; RDNSS lifetime 1800 s.
NdpRepr router_advert(const SandboxLayout::V6& v6, const MacAddr& mac);

// When the next RA goes (pure; RouterAdvertiser drives it with the runtime's clock).
class RaSchedule {
 public:
  // RFC 4861 §6.2.1: MaxRtrAdvInterval may be as low as 4 s (MinRtrAdvInterval 3 s).
  static constexpr Duration kInterval = Duration::seconds(4);
  // The first RA waits for the Stack's link-local address to finish its DAD (RFC 4862 §5.4).
  static constexpr Duration kFirstDelay = Duration::seconds(2);
  // RFC 4861 §10: MAX_RA_DELAY_TIME, MIN_DELAY_BETWEEN_RAS.
  static constexpr Duration kMaxRaDelay = Duration::millis(500);
  static constexpr Duration kMinDelayBetweenRas = Duration::seconds(3);

  explicit RaSchedule(Instant start);
  // A solicitation received at `now`, answered after `delay` (0..kMaxRaDelay, random), RFC 4861
  // §6.2.6: at now + delay, or, if an RA went less than kMinDelayBetweenRas ago, at that RA's
  // time + kMinDelayBetweenRas + delay; never later than the RA already due, never before the
  // first (kFirstDelay).
  void solicited(Instant now, Duration delay);
  Instant next() const { return next_; }
  // Whether the RA due now answers a solicitation.
  bool answers_solicitation() const { return solicited_; }
  // The RA went at `now`: the next unsolicited one kInterval later.
  void sent(Instant now);

 private:
  Instant earliest_;  // the first RA's time, then the last RA's + kMinDelayBetweenRas
  Instant next_;
  bool solicited_ = false;
};

class RouterAdvertiser {
 public:
  // Joins ff02::2 (all-routers, where solicitations go; a Linux router joins it too). `seed`
  // draws the answers' delays.
  RouterAdvertiser(Stack& stack, const SandboxLayout::V6& v6, tun::AsioRuntime& runtime,
                   std::uint64_t seed);
  ~RouterAdvertiser();
  void step();
  std::string counters_text() const;

 private:
  void send(Instant now);
  void arm(Instant at);

  Stack& stack_;
  MacAddr mac_;
  SandboxLayout::V6 v6_;
  tun::AsioRuntime& runtime_;
  boost::asio::steady_timer timer_;
  RaSchedule schedule_;
  Rng rng_;
  std::uint64_t sent_ = 0, failed_ = 0, solicitations_ = 0, solicited_sent_ = 0;
};

}  // namespace ustack::sandbox
