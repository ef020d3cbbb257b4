#include "stack/tcp/syn_cookie.h"

#include <algorithm>
#include <cstring>

#include "stack/port_allocator.h"

namespace ustack {

namespace {

// Linux COOKIEBITS: the low 24 bits hold (H1 + data), the top 8 the counter.
constexpr unsigned kCookieBits = 24;
constexpr std::uint32_t kCookieMask = (1u << kCookieBits) - 1;
// Linux adds the MSS index itself to H1, so a cookie with bit 0 or 1 flipped still decodes, to
// a neighbouring MSS. Spaced by this multiplier no two valid values (i * kIndexStep, i < 4)
// differ by a power of two, so any one flipped bit is caught; a forger still has 4 chances in
// 2^24, as with Linux's.
constexpr std::uint32_t kIndexStep = 0x5a5a5;

// Linux TSBITS and the TS_OPT_* layout of the low TSval bits.
constexpr unsigned kTsBits = 6;
constexpr std::uint32_t kTsMask = (1u << kTsBits) - 1;
constexpr std::uint32_t kTsWscaleMask = 0xf;  // 15: no window scaling
constexpr std::uint32_t kTsSack = 1u << 4;
constexpr std::uint32_t kTsEcn = 1u << 5;

const std::array<std::uint16_t, 4>& table_for(const IpAddr& remote) {
  return remote.is_v4() ? kSynCookieMssV4 : kSynCookieMssV6;
}

}  // namespace

std::uint32_t SynCookies::counter(Instant now) {
  return static_cast<std::uint32_t>(now.total_nanos() / kPeriod.total_nanos());
}

std::uint32_t SynCookies::mss_index(const IpAddr& remote, std::uint16_t mss) {
  const auto& tab = table_for(remote);
  std::uint32_t i = tab.size() - 1;
  while (i > 0 && mss < tab[i]) --i;
  return i;
}

std::uint32_t SynCookies::hash(const SipKey& k, const TcpTuple& t, std::uint32_t count) const {
  // Linux cookie_hash: siphash of the addresses, the ports and the counter.
  std::uint8_t tuple[40] = {};
  std::size_t n = put_tuple(tuple, t.local, t.remote, t.local_port, t.remote_port);
  std::uint8_t buf[44] = {};
  std::memcpy(buf, tuple, n);
  store_be32(MutBytes(buf), n, count);
  return static_cast<std::uint32_t>(siphash24(k, Bytes(buf, n + 4)));
}

SynCookies::Issued SynCookies::make(const TcpTuple& t, SeqNum peer_isn, std::uint16_t peer_mss,
                                    Instant now) const {
  // RFC 9293 §3.7.1 / RFC 6691: no MSS option means 536 (IPv4) or 1220 (IPv6).
  if (peer_mss == 0) peer_mss = t.remote.is_v4() ? 536 : 1220;
  std::uint32_t index = mss_index(t.remote, peer_mss);
  std::uint32_t count = counter(now);
  // Linux secure_tcp_syn_cookie.
  std::uint32_t isn = hash(k0_, t, 0) + peer_isn.raw() + (count << kCookieBits) +
                      ((hash(k1_, t, count) + index * kIndexStep) & kCookieMask);
  return {SeqNum(isn), table_for(t.remote)[index]};
}

std::optional<std::uint16_t> SynCookies::check(const TcpTuple& t, SeqNum seq, SeqNum ack,
                                               Instant now) const {
  // Linux check_tcp_syn_cookie: strip H0 and the peer's ISN, read the counter from the top
  // bits, then strip H1 of that counter; what is left is the MSS index.
  std::uint32_t cookie = ack.raw() - 1 - hash(k0_, t, 0) - (seq.raw() - 1);
  std::uint32_t count = counter(now);
  std::uint32_t age = (count - (cookie >> kCookieBits)) & (0xffffffffu >> kCookieBits);
  if (age >= kMaxAge) return std::nullopt;
  std::uint32_t data = (cookie - hash(k1_, t, count - age)) & kCookieMask;
  const auto& tab = table_for(t.remote);
  for (std::uint32_t index = 0; index < tab.size(); ++index) {
    if (data == index * kIndexStep) return tab[index];
  }
  return std::nullopt;
}

std::uint32_t cookie_init_timestamp(std::uint32_t ts_now, const SynCookieTsOptions& o) {
  // RFC 7323 §2.3: a shift above 14 is used as 14, so 15 is free to mean "none".
  std::uint32_t options =
      o.window_scale ? std::min<std::uint32_t>(*o.window_scale, 14) : kTsWscaleMask;
  if (o.sack) options |= kTsSack;
  if (o.ecn) options |= kTsEcn;
  std::uint32_t ts = (ts_now & ~kTsMask) | options;
  // Not after ts_now (mod 2^32, as TSvals compare): TSval must never go backwards (RFC 7323
  // §5.4), and the connection's next TSval will be ts_now or later.
  if ((ts_now & kTsMask) < options) ts -= 1u << kTsBits;
  return ts;
}

std::optional<SynCookieTsOptions> cookie_timestamp_decode(std::uint32_t tsecr,
                                                          const SynCookieSettings& s) {
  if (!s.timestamps) return std::nullopt;
  SynCookieTsOptions o;
  o.sack = (tsecr & kTsSack) != 0;
  o.ecn = (tsecr & kTsEcn) != 0;
  if (o.sack && !s.sack) return std::nullopt;
  std::uint32_t wscale = tsecr & kTsWscaleMask;
  if (wscale != kTsWscaleMask) {
    if (!s.window_scaling) return std::nullopt;
    o.window_scale = static_cast<std::uint8_t>(wscale);
  }
  return o;
}

}  // namespace ustack
