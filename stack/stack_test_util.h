// Test rigs and packet builders for the Stack tests (virtual time, no OS).
//
// Rig: one Stack on endpoint a() of a Link; the test plays the peer on b(): inject() hands
// the stack a packet, sent() returns what the stack put on the wire. Pair: two Stacks on one
// Link, run until quiet. Builders use the wire Reprs, so the tests read like packets.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "stack/base/checksum.h"
#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/ndp.h"
#include "stack/wire/test_packets.h"
#include "stack/wire/udp.h"

namespace ustack::testing {

using namespace literals;

inline IpAddr ip(const char* s) { return *IpAddr::parse(s); }
inline Ipv4Addr ip4(const char* s) { return *Ipv4Addr::parse(s); }
inline Ipv6Addr ip6(const char* s) { return *Ipv6Addr::parse(s); }
inline IpCidr cidr(const char* s) { return *IpCidr::parse(s); }
inline MacAddr mac(const char* s) { return *MacAddr::parse(s); }

// Us and the peer the test plays.
inline const Ipv4Addr kUs4 = ip4("198.18.0.2");
inline const Ipv4Addr kPeer4 = ip4("198.18.0.1");
inline const Ipv6Addr kUs6 = ip6("fd00:1::2");
inline const Ipv6Addr kPeer6 = ip6("fd00:1::1");
inline const MacAddr kUsMac = mac("02:00:00:00:00:02");
inline const MacAddr kPeerMac = mac("02:00:00:00:00:01");

inline ByteVec pattern(std::size_t n, std::uint8_t seed = 0) {
  ByteVec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 31 + seed);
  return v;
}

// --- Builders ---

struct V4 {
  Ipv4Repr r;
  ByteVec payload;
  bool corrupt_checksum = false;
  V4(Ipv4Addr src, Ipv4Addr dst, IpProto proto, ByteVec p) : payload(std::move(p)) {
    r.src = src;
    r.dst = dst;
    r.protocol = proto;
    r.ident = 0x1234;
  }
  V4& ttl(std::uint8_t t) {
    r.ttl = t;
    return *this;
  }
  V4& ident(std::uint16_t i) {
    r.ident = i;
    return *this;
  }
  V4& df() {
    r.dont_frag = true;
    return *this;
  }
  // A fragment: bytes [off, off+len) of the payload.
  ByteVec fragment(std::size_t off, std::size_t len, bool more) const {
    Ipv4Repr f = r;
    f.more_frags = more;
    f.set_frag_offset_bytes(off);
    return emit_ipv4(f, Bytes(payload).subspan(off, len));
  }
  ByteVec bytes() const {
    ByteVec out = fragment(0, payload.size(), false);
    if (corrupt_checksum) out[10] ^= 0x55;
    return out;
  }
};

inline ByteVec icmp4_echo_request(std::uint16_t id, std::uint16_t seq, const ByteVec& data) {
  return emit_icmpv4(Icmpv4Repr::echo_request(id, seq, data));
}

inline ByteVec udp_datagram(const IpAddr& src, const IpAddr& dst, std::uint16_t sport,
                            std::uint16_t dport, const ByteVec& data) {
  return emit_udp(sport, dport, data, src, dst);
}

inline ByteVec v6_packet(const Ipv6Addr& src, const Ipv6Addr& dst, IpProto next,
                         const ByteVec& payload, std::uint8_t hop_limit = 64) {
  Ipv6Repr r;
  r.src = src;
  r.dst = dst;
  r.next_header = next;
  r.hop_limit = hop_limit;
  return emit_ipv6(r, payload);
}

inline ByteVec icmp6_echo_request(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint16_t id,
                                  std::uint16_t seq, const ByteVec& data) {
  return emit_icmpv6(Icmpv6Repr::echo_request(id, seq, data), src, dst);
}

// An IPv6 fragment: Fragment header (next header `next`) + bytes [off, off+len) of `body`.
inline ByteVec v6_fragment(const Ipv6Addr& src, const Ipv6Addr& dst, IpProto next,
                           std::uint32_t ident, const ByteVec& body, std::size_t off,
                           std::size_t len, bool more) {
  Ipv6FragHeader fh;
  fh.next_header = next;
  fh.ident = ident;
  fh.more_frags = more;
  fh.set_frag_offset_bytes(off);
  ByteVec p(8 + len);
  fh.emit(p);
  std::copy_n(body.begin() + static_cast<std::ptrdiff_t>(off), len, p.begin() + 8);
  return v6_packet(src, dst, IpProto::kIpv6Frag, p);
}

inline ByteVec eth_frame(const MacAddr& dst, const MacAddr& src, EtherType type,
                         const ByteVec& payload) {
  return emit_ethernet(dst, src, type, payload);
}

inline ByteVec arp_bytes(const ArpRepr& a) { return emit_arp(a); }

inline ByteVec ndp_bytes(const NdpRepr& n, const Ipv6Addr& src, const Ipv6Addr& dst) {
  return emit_ndp(n, src, dst);
}

// --- A transport that records what it is given ---

class FakeTransport : public Transport {
 public:
  explicit FakeTransport(IpProto p, RxVerdict verdict = RxVerdict::kDelivered)
      : proto_(p), verdict_(verdict) {}
  IpProto protocol() const override { return proto_; }
  RxVerdict on_packet(Instant, const IpRxMeta& meta, Bytes payload, IpSender&) override {
    packets.push_back({meta, ByteVec(payload.begin(), payload.end())});
    return verdict_;
  }
  bool on_icmp_error(Instant, const IcmpError& err, IpSender&) override {
    errors.push_back(err);
    error_transport.emplace_back(err.quoted_transport.begin(), err.quoted_transport.end());
    return accept_icmp_errors;
  }
  bool accept_icmp_errors = true;  // what on_icmp_error answers (a socket matched)
  void poll(Instant, IpSender&) override {}
  Instant poll_at() const override { return Instant::never(); }

  struct Packet {
    IpRxMeta meta;
    ByteVec payload;
  };
  std::vector<Packet> packets;
  std::vector<IcmpError> errors;
  std::vector<ByteVec> error_transport;

 private:
  IpProto proto_;
  RxVerdict verdict_;
};

// --- Rigs ---

inline StackConfig test_config(std::uint64_t seed = 42, MacAddr m = kUsMac) {
  StackConfig c;
  c.seed = seed;
  c.mac = m;
  return c;
}

// One Stack; the test is the peer.
inline LinkConfig link_config(Medium medium, std::size_t mtu) {
  LinkConfig c;  // not a designated initializer: g++ -Wextra warns about the fields left out
  c.medium = medium;
  c.mtu = mtu;
  return c;
}

struct Rig {
  Link link;
  Stack stack;
  Instant now = Instant::from_millis(1000);

  explicit Rig(Medium medium = Medium::kIp, StackConfig cfg = test_config(), std::size_t mtu = 1500)
      : link(link_config(medium, mtu)), stack(cfg, link.a()) {
    stack.add_address(IpCidr{kUs4, 24});
    stack.add_address(IpCidr{kUs6, 64});
  }

  // Delivers `packet` to the stack now and lets it react.
  void inject(const ByteVec& packet) {
    link.a().inject(now, packet);
    stack.poll(now);
  }
  // Everything the stack has sent up to now.
  std::vector<ByteVec> sent() {
    std::vector<ByteVec> out;
    while (auto p = link.b().receive(now)) out.emplace_back(p->begin(), p->end());
    return out;
  }
  // Advances virtual time to now + d, running every timer due on the way.
  void advance(Duration d) {
    Instant end = now + d;
    for (int guard = 0; guard < 100000; ++guard) {
      Instant next = stack.poll_at();
      if (next > end) break;
      now = std::max(now, next);
      stack.poll(now);
    }
    now = end;
    stack.poll(now);
  }
  std::uint64_t counter(const char* name) const { return stack.counters().get(name); }
};

// Two Stacks back to back: a = .1 / ::1, b = .2 / ::2.
struct Pair {
  Link link;
  Stack a;
  Stack b;
  Instant now = Instant::from_millis(1000);

  explicit Pair(const LinkConfig& lc, StackConfig ca = test_config(1, kPeerMac),
                StackConfig cb = test_config(2, kUsMac))
      : link(lc), a(ca, link.a()), b(cb, link.b()) {
    a.add_address(IpCidr{kPeer4, 24});
    a.add_address(IpCidr{kPeer6, 64});
    b.add_address(IpCidr{kUs4, 24});
    b.add_address(IpCidr{kUs6, 64});
  }

  Instant next_event() const { return std::min({a.poll_at(), b.poll_at(), link.next_delivery()}); }
  // Runs both stacks until nothing is due before now + d.
  void run_for(Duration d) {
    Instant end = now + d;
    for (int guard = 0; guard < 1000000; ++guard) {
      a.poll(now);
      b.poll(now);
      Instant next = next_event();
      if (next > end) break;
      now = std::max(now, next);
    }
    now = end;
  }
};

}  // namespace ustack::testing
