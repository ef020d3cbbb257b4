#include "stack/tcp/time_wait.h"

namespace ustack {

namespace {

using namespace tcp_flags;

// RFC 7323 §5.5 (Linux TCP_PAWS_24DAYS): TS.Recent older than this is no longer trusted.
constexpr Duration kPaws24Days = Duration::seconds(24 * 24 * 60 * 60);
// Linux TCP_PAWS_MSL: a RST is exempt from PAWS once TS.Recent is this old.
constexpr Duration kPawsMsl = Duration::seconds(60);
// Linux tcp_tw_reuse_delay (ms, default 1000).
constexpr Duration kReuseDelay = Duration::seconds(1);

bool paws_reject(const TimeWaitRecord& tw, Instant now, const TcpRepr& seg) {
  if (!tw.ts_ok || !seg.options.timestamps) return false;
  if (now - tw.ts_recent_at >= kPaws24Days) return false;
  if (static_cast<std::int32_t>(tw.ts_recent - seg.options.timestamps->val) <= 0) return false;
  return !(seg.has(kRst) && now - tw.ts_recent_at >= kPawsMsl);
}

void take_timestamp(TimeWaitRecord& tw, Instant now, const TcpRepr& seg) {
  if (!tw.ts_ok || !seg.options.timestamps) return;
  tw.ts_recent = seg.options.timestamps->val;
  tw.ts_recent_at = now;
}

}  // namespace

TimeWaitVerdict time_wait_segment(TimeWaitRecord& tw, Instant now, const TcpRepr& seg,
                                  Duration ratelimit) {
  TimeWaitVerdict v;
  const bool rejected = paws_reject(tw, now, seg);
  if (!rejected && seg.seq == tw.rcv_nxt && (seg.seg_len() == 0 || seg.has(kRst))) {
    // In window: a RST or a bare ACK.
    if (seg.has(kRst)) {
      v.action = TimeWaitAction::kKill;
      return v;
    }
    v.restart_timer = true;
    take_timestamp(tw, now, seg);
    return v;
  }
  if (seg.has(kSyn) && !seg.has(kRst) && !seg.has(kAck) && !rejected &&
      (seg.seq > tw.rcv_nxt ||
       (tw.ts_ok && seg.options.timestamps &&
        static_cast<std::int32_t>(tw.ts_recent - seg.options.timestamps->val) < 0))) {
    v.action = TimeWaitAction::kReuse;
    v.iss = time_wait_successor_iss(tw);
    return v;
  }
  if (seg.has(kRst)) return v;
  // An ACK-less SYN below RCV.NXT may be a new SYN with a random ISN as well as an old
  // duplicate: it does not restart the timer (Linux).
  v.restart_timer = rejected || seg.has(kAck);
  const bool limited = seg.seg_len() == 0 || seg.has(kSyn);
  if (limited && tw.last_oow_ack != Instant::never() && now - tw.last_oow_ack < ratelimit) {
    return v;
  }
  if (limited) tw.last_oow_ack = now;
  v.action = TimeWaitAction::kAck;
  return v;
}

TcpRepr time_wait_ack(const TimeWaitRecord& tw, Instant now) {
  TcpRepr r;
  r.seq = tw.snd_nxt;
  r.ack = tw.rcv_nxt;
  r.flags = kAck;
  r.window = tw.window;
  if (tw.ts_ok) {
    r.options.timestamps =
        TcpTimestamps{tw.ts_offset + static_cast<std::uint32_t>(now.total_millis()), tw.ts_recent};
  }
  return r;
}

bool time_wait_reusable_by_connect(const TimeWaitRecord& tw, Instant now) {
  return tw.ts_ok && now - tw.ts_recent_at > kReuseDelay;
}

SeqNum time_wait_successor_iss(const TimeWaitRecord& tw) {
  SeqNum iss = tw.snd_nxt + 65537;
  if (iss.raw() == 0) iss += 1;
  return iss;
}

}  // namespace ustack
