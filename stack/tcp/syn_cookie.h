// SYN cookies (RFC 4987 §3.6), encoded like Linux's net/ipv4/syncookies.c.
//
// When a listener's SYN queue is full the SYN-ACK's ISN is a cookie and no state is kept; the
// handshake's final ACK (ACK = cookie + 1) brings it back and the connection is made from it.
// The ISN carries, like Linux's secure_tcp_syn_cookie():
//
//   ISN = H0(4-tuple) + peer ISN + (count << 24) + ((H1(4-tuple, count) + data) mod 2^24)
//
// where H0 and H1 are SipHash-2-4 under two keys drawn from the layer's seed, `count` ticks
// every 64 s (SynCookies::kPeriod) and `data` is a 2-bit index into a table of MSS values
// (Linux's msstab for IPv4, its IPv6 table for IPv6; the peer's MSS rounded down), spread by
// a multiplier so that no one-bit error turns one index into another (Linux adds the index
// itself). A cookie is accepted up to
// kMaxAge counter ticks old. What the ISN cannot carry goes, as in Linux, in the low 6 bits of
// the SYN-ACK's TSval, which the peer echoes: the peer's window scale (4 bits, 15 = none),
// SACK-permitted and ECN (cookie_init_timestamp / cookie_timestamp_decode). Without timestamps
// a cookie connection has no window scaling and no SACK.
//
// Pure: time comes in as an Instant, nothing is read from a clock.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "stack/base/random.h"
#include "stack/base/seqnum.h"
#include "stack/base/time.h"
#include "stack/tcp/tcp_types.h"

namespace ustack {

// The MSS values a cookie can carry (Linux syncookies.c msstab; IPv6: 1280/1480/1500/9000
// less 60 bytes of headers, net/ipv6/syncookies.c).
inline constexpr std::array<std::uint16_t, 4> kSynCookieMssV4 = {536, 1300, 1440, 1460};
inline constexpr std::array<std::uint16_t, 4> kSynCookieMssV6 = {1220, 1420, 1440, 8940};

// The options a SYN asked for that the cookie's TSval carries (only when the SYN had
// timestamps and we use them).
struct SynCookieTsOptions {
  std::optional<std::uint8_t> window_scale;  // the peer's shift (0..14), nullopt: no window scaling
  bool sack = false;
  bool ecn = false;
  bool operator==(const SynCookieTsOptions&) const = default;
};

// Which options the listener would accept (Linux's sysctls tcp_timestamps, tcp_sack,
// tcp_window_scaling, checked again when the cookie comes back).
struct SynCookieSettings {
  bool timestamps = true;
  bool sack = true;
  bool window_scaling = true;
};

class SynCookies {
 public:
  // Linux's tcp_cookie_time() ticks every 60 s (TCP_SYNCOOKIE_PERIOD); a power of two here.
  static constexpr Duration kPeriod = Duration::seconds(64);
  // Linux MAX_SYNCOOKIE_AGE: a cookie of this many ticks ago or older is refused.
  static constexpr std::uint32_t kMaxAge = 2;

  // Two keys drawn from the layer's seed (the same seed gives the same cookies: runs replay).
  SynCookies(const SipKey& k0, const SipKey& k1) : k0_(k0), k1_(k1) {}

  struct Issued {
    SeqNum isn;
    std::uint16_t mss;  // what the cookie will give back: the peer's MSS rounded down
  };
  // The ISN of the SYN-ACK for a SYN from `t.remote` with sequence number `peer_isn` and MSS
  // option `peer_mss` (0 or absent: the family's default, 536 or 1220).
  Issued make(const TcpTuple& t, SeqNum peer_isn, std::uint16_t peer_mss, Instant now) const;
  // The MSS a final ACK's cookie stands for (seq = peer ISN + 1, ack = our ISN + 1), or
  // nullopt if the cookie is not ours, for another 4-tuple or too old.
  std::optional<std::uint16_t> check(const TcpTuple& t, SeqNum seq, SeqNum ack, Instant now) const;

  // The index of the largest table MSS <= mss (the smallest entry if none is), Linux's loop in
  // __cookie_v4_init_sequence.
  static std::uint32_t mss_index(const IpAddr& remote, std::uint16_t mss);
  static std::uint32_t counter(Instant now);

 private:
  std::uint32_t hash(const SipKey& k, const TcpTuple& t, std::uint32_t count) const;

  SipKey k0_, k1_;
};

// Linux cookie_init_timestamp: our TSval `ts_now` with its low 6 bits replaced by `o`, moved
// one step (64) back if that made it larger, so the connection's later TSvals (ts_now and up)
// never go backwards from it.
std::uint32_t cookie_init_timestamp(std::uint32_t ts_now, const SynCookieTsOptions& o);
// Linux cookie_timestamp_decode: the options carried in the TSecr of the final ACK, or nullopt
// if they ask for something the listener does not do (then the cookie is refused).
std::optional<SynCookieTsOptions> cookie_timestamp_decode(std::uint32_t tsecr,
                                                          const SynCookieSettings& s);

}  // namespace ustack
