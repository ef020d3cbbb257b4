// SYN cookie encoding (syn_cookie.h), against Linux's net/ipv4/syncookies.c rules.
#include "stack/tcp/syn_cookie.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

const SynCookies kCookies({0x0123456789abcdefull, 0xfedcba9876543210ull},
                          {0x1111111122222222ull, 0x3333333344444444ull});
const TcpTuple kV4{Ipv4Addr({198, 18, 0, 2}), Ipv4Addr({198, 18, 0, 1}), 80, 40000};
const TcpTuple kV6{*Ipv6Addr::parse("fd00:1::2"), *Ipv6Addr::parse("fd00:1::1"), 80, 40000};
constexpr SeqNum kPeerIsn(0xfffffff0);  // the final ACK's seq (peer ISN + 1) wraps

Instant at_seconds(std::int64_t s) { return Instant() + Duration::seconds(s); }

// The final ACK of the handshake: seq = peer ISN + 1, ack = cookie + 1.
std::optional<std::uint16_t> check(const TcpTuple& t, SeqNum cookie, Instant now,
                                   SeqNum peer_isn = kPeerIsn) {
  return kCookies.check(t, peer_isn + 1, cookie + 1, now);
}

// Linux msstab: every table entry comes back as itself, and an MSS between two entries as the
// one below it (never more than the peer announced, except below the table, as in Linux).
TEST(SynCookie, EveryIpv4MssTableEntryRoundTrips) {
  for (std::uint16_t mss : kSynCookieMssV4) {
    SynCookies::Issued c = kCookies.make(kV4, kPeerIsn, mss, at_seconds(1000));
    EXPECT_EQ(c.mss, mss);
    EXPECT_EQ(check(kV4, c.isn, at_seconds(1000)), mss);
  }
  EXPECT_EQ(kCookies.make(kV4, kPeerIsn, 1459, at_seconds(0)).mss, 1440);
  EXPECT_EQ(kCookies.make(kV4, kPeerIsn, 9000, at_seconds(0)).mss, 1460);
  EXPECT_EQ(kCookies.make(kV4, kPeerIsn, 1000, at_seconds(0)).mss, 536);
  EXPECT_EQ(kCookies.make(kV4, kPeerIsn, 0, at_seconds(0)).mss, 536);  // no option: 536
}

TEST(SynCookie, EveryIpv6MssTableEntryRoundTrips) {
  for (std::uint16_t mss : kSynCookieMssV6) {
    SynCookies::Issued c = kCookies.make(kV6, kPeerIsn, mss, at_seconds(5));
    EXPECT_EQ(c.mss, mss);
    EXPECT_EQ(check(kV6, c.isn, at_seconds(5)), mss);
  }
  EXPECT_EQ(kCookies.make(kV6, kPeerIsn, 0, at_seconds(0)).mss, 1220);  // RFC 6691 default
  EXPECT_EQ(kCookies.make(kV6, kPeerIsn, 1500, at_seconds(0)).mss, 1440);
}

// MAX_SYNCOOKIE_AGE: a cookie of this counter tick or the previous one is good; two ticks
// (128 s with 64 s ticks) or more is refused, and so is one from a later tick.
TEST(SynCookie, CounterAgeLimits) {
  SynCookies::Issued c = kCookies.make(kV4, kPeerIsn, 1460, at_seconds(64 * 10 + 63));
  EXPECT_EQ(check(kV4, c.isn, at_seconds(64 * 10 + 63)), 1460);
  EXPECT_EQ(check(kV4, c.isn, at_seconds(64 * 11)), 1460);
  EXPECT_EQ(check(kV4, c.isn, at_seconds(64 * 11 + 63)), 1460);
  EXPECT_EQ(check(kV4, c.isn, at_seconds(64 * 12)), std::nullopt);
  EXPECT_EQ(check(kV4, c.isn, at_seconds(64 * 100)), std::nullopt);
  EXPECT_EQ(check(kV4, c.isn, at_seconds(64 * 9)), std::nullopt);
}

// Any single bit flipped in the cookie (the ACK field) is caught: the MSS index left over
// falls outside the 4-entry table or the counter is off, except with probability 2^-22.
TEST(SynCookie, EveryFlippedBitIsRejected) {
  SynCookies::Issued c = kCookies.make(kV4, kPeerIsn, 1300, at_seconds(300));
  for (int bit = 0; bit < 32; ++bit) {
    SeqNum forged(c.isn.raw() ^ (1u << bit));
    EXPECT_EQ(check(kV4, forged, at_seconds(300)), std::nullopt) << "bit " << bit;
  }
  // The peer ISN is part of the cookie too: a different SEG.SEQ does not match.
  EXPECT_EQ(check(kV4, c.isn, at_seconds(300), kPeerIsn + 1), std::nullopt);
}

TEST(SynCookie, AnotherFourTupleIsRejected) {
  SynCookies::Issued c = kCookies.make(kV4, kPeerIsn, 1460, at_seconds(1));
  TcpTuple other_port = kV4;
  other_port.remote_port = 40001;
  TcpTuple other_addr = kV4;
  other_addr.remote = Ipv4Addr({198, 18, 0, 3});
  TcpTuple other_local = kV4;
  other_local.local_port = 81;
  for (const TcpTuple& t : {other_port, other_addr, other_local}) {
    EXPECT_EQ(check(t, c.isn, at_seconds(1)), std::nullopt) << t.to_string();
  }
}

TEST(SynCookie, AnotherKeyIsRejected) {
  SynCookies::Issued c = kCookies.make(kV4, kPeerIsn, 1460, at_seconds(1));
  SynCookies other({1, 2}, {3, 4});
  EXPECT_EQ(other.check(kV4, kPeerIsn + 1, c.isn + 1, at_seconds(1)), std::nullopt);
}

// The cookie varies with the 4-tuple, the peer ISN and the time: not guessable from another.
TEST(SynCookie, CookiesDiffer) {
  SeqNum a = kCookies.make(kV4, kPeerIsn, 1460, at_seconds(1)).isn;
  TcpTuple t = kV4;
  t.remote_port = 40001;
  EXPECT_NE(kCookies.make(t, kPeerIsn, 1460, at_seconds(1)).isn, a);
  EXPECT_NE(kCookies.make(kV4, kPeerIsn + 1, 1460, at_seconds(1)).isn, a);
  EXPECT_NE(kCookies.make(kV4, kPeerIsn, 1460, at_seconds(65)).isn, a);
}

// Linux cookie_init_timestamp / cookie_timestamp_decode: every combination of window scale
// (none, 0..14), SACK and ECN survives the TSval's low 6 bits, and the TSval never exceeds
// the clock it was taken from (it moves back at most one 64 ms step).
TEST(SynCookieTimestamp, EveryOptionCombinationRoundTrips) {
  std::vector<std::optional<std::uint8_t>> scales = {std::nullopt};
  for (std::uint8_t w = 0; w <= 14; ++w) scales.push_back(w);
  for (std::uint32_t ts_now : {0u, 63u, 64u, 1000u, 0xffffffc5u, 0x12345678u}) {
    for (auto w : scales) {
      for (bool sack : {false, true}) {
        for (bool ecn : {false, true}) {
          SynCookieTsOptions o{w, sack, ecn};
          std::uint32_t ts = cookie_init_timestamp(ts_now, o);
          EXPECT_LE(ts_now - ts, 63u) << ts_now;  // not after ts_now, mod 2^32
          EXPECT_EQ(cookie_timestamp_decode(ts, {}), o) << ts_now;
        }
      }
    }
  }
}

TEST(SynCookieTimestamp, ShiftAboveFourteenIsCarriedAsFourteen) {
  std::uint32_t ts = cookie_init_timestamp(5000, {.window_scale = 15});
  EXPECT_EQ(cookie_timestamp_decode(ts, {})->window_scale, 14);
}

// A cookie asking for what the listener does not do is refused (Linux: tcp_sack,
// tcp_window_scaling, tcp_timestamps checked again).
TEST(SynCookieTimestamp, OptionsTheListenerDoesNotDoAreRefused) {
  std::uint32_t sack = cookie_init_timestamp(5000, {.sack = true});
  std::uint32_t ws = cookie_init_timestamp(5000, {.window_scale = 7});
  std::uint32_t none = cookie_init_timestamp(5000, {});
  EXPECT_EQ(cookie_timestamp_decode(sack, {.sack = false}), std::nullopt);
  EXPECT_EQ(cookie_timestamp_decode(ws, {.window_scaling = false}), std::nullopt);
  EXPECT_EQ(cookie_timestamp_decode(none, {.timestamps = false}), std::nullopt);
  EXPECT_EQ(cookie_timestamp_decode(none, {.sack = false, .window_scaling = false}),
            SynCookieTsOptions{});
}

}  // namespace
}  // namespace ustack
