// RouterAdvertiser: unsolicited router advertisements (RFC 4861 §6.2.4) from ustack's
// link-local address on the sandbox's TAP, so that a namespace that configures IPv6 by itself
// (SLAAC, RFC 4862: rootlesskit's child, `ustack slirp4netns -6` without -c) gets an address
// in the sandbox's /64 and its default route through ustack, as libslirp's RAs give it under
// slirp4netns. Each RA: the router (lifetime 1800 s), the prefix (on-link, autonomous), the
// DNS address (RDNSS, RFC 8106) and ustack's MAC. No router solicitation is answered (the
// Stack keeps those to itself); instead RAs go every kInterval, so a namespace whose device
// comes up later hears one within that time.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <string>

#include "sandbox/layout.h"
#include "stack/transport.h"
#include "stack/wire/ndp.h"
#include "tun/runtime.h"

namespace ustack::sandbox {

// The advertisement for `v6` from a router with `mac` (its RDNSS option views v6.dns, which
// must outlive it): RFC 4861 §6.2.1's defaults — cur hop limit 64, router lifetime 1800 s;
// the prefix on-link and autonomous, valid 30 days, preferred 7 days; RDNSS lifetime 1800 s.
NdpRepr router_advert(const SandboxLayout::V6& v6, const MacAddr& mac);

class RouterAdvertiser {
 public:
  // RFC 4861 §6.2.1: MaxRtrAdvInterval may be as low as 4 s (MinRtrAdvInterval 3 s).
  static constexpr Duration kInterval = Duration::seconds(4);
  // The first RA waits for the Stack's link-local address to finish its DAD (RFC 4862 §5.4).
  static constexpr Duration kFirstDelay = Duration::seconds(2);

  RouterAdvertiser(IpSender& ip, MacAddr mac, const SandboxLayout::V6& v6,
                   tun::AsioRuntime& runtime);
  ~RouterAdvertiser();
  void step();
  std::string counters_text() const;

 private:
  void send(Instant now);
  void arm(Instant at);

  IpSender& ip_;
  MacAddr mac_;
  SandboxLayout::V6 v6_;
  tun::AsioRuntime& runtime_;
  boost::asio::steady_timer timer_;
  Instant next_;
  std::uint64_t sent_ = 0, failed_ = 0;
};

}  // namespace ustack::sandbox
