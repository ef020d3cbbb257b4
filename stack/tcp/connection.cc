#include "stack/tcp/connection.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace ustack {

namespace {

using namespace tcp_flags;

constexpr std::uint8_t kMaxWindowShift = 14;  // RFC 7323 §2.3
constexpr std::uint32_t kTimestampOptionLen = 12;
// The smallest segment we send whatever MSS the peer announces: Linux's tcp_min_snd_mss (48),
// which bounds the per-segment overhead a peer can force on us (CVE-2019-11479).
constexpr std::uint32_t kMinSndMss = 48;
constexpr unsigned kMaxQuickAcks = 16;                   // Linux TCP_MAX_QUICKACKS
constexpr Duration kRtoFallback = Duration::seconds(3);  // RFC 6298 §5.7, TCP_TIMEOUT_FALLBACK

std::uint32_t ip_header_len(const IpAddr& a) { return a.is_v4() ? 20 : 40; }

TcpError icmp_to_error(IcmpError::Kind k) {
  switch (k) {
    case IcmpError::Kind::kNetUnreachable:
      return TcpError::kNetUnreachable;
    case IcmpError::Kind::kProtocolUnreachable:
      return TcpError::kProtocolUnreachable;
    case IcmpError::Kind::kPortUnreachable:
      return TcpError::kPortUnreachable;
    case IcmpError::Kind::kAdminProhibited:
      return TcpError::kAdminProhibited;
    default:
      return TcpError::kHostUnreachable;
  }
}

}  // namespace

TcpConnection::TcpConnection(const TcpConfig& config, const TcpTuple& tuple, SeqNum iss,
                             std::uint32_t ts_offset, std::size_t mtu, Tracer* tracer,
                             BufferPool* pool)
    : cfg_(config),
      tuple_(tuple),
      tracer_(tracer),
      iss_(iss),
      snd_una_(iss),
      snd_nxt_(iss),
      snd_max_(iss),
      snd_buf_seq_(iss + 1),
      snd_buf_(config.send_buffer, pool),
      snd_up_(iss),
      rcv_buf_(config.recv_buffer, pool),
      ts_offset_(ts_offset),
      mtu_(mtu),
      rtt_(config.rto_min, config.rto_max, config.rto_initial),
      cc_(make_congestion_control(config.congestion)),
      recover_(iss),
      snd_sml_(iss),
      cwnd_usage_seq_(iss),
      ecn_(config.ecn) {
  // RFC 9293 §3.7.1: the MSS we advertise is the route MTU minus the fixed IP and TCP headers.
  std::size_t hdr = ip_header_len(tuple.remote) + TcpRepr::kMinHeaderLen;
  std::size_t route_mss = std::clamp<std::size_t>(mtu > hdr ? mtu - hdr : 0, 88, 65535);
  // TCP_MAXSEG lowers it (Linux tcp_mss_clamp for our SYN or SYN-ACK); negotiate() then sends
  // at most min(peer's MSS, adv_mss_), as Linux's tcp_parse_options clamps mss_clamp to
  // user_mss.
  if (config.max_segment != 0) route_mss = std::min<std::size_t>(route_mss, config.max_segment);
  adv_mss_ = static_cast<std::uint16_t>(route_mss);
  // RFC 7323 §2.3: the smallest shift that lets the whole receive buffer be advertised, at the
  // largest size auto-tuning may grow it to (Linux tcp_select_initial_window takes tcp_rmem[2]).
  std::size_t max_rcv_buffer = std::max(cfg_.recv_buffer, cfg_.recv_buffer_max);
  while (our_wscale_ < kMaxWindowShift && (max_rcv_buffer >> our_wscale_) > 65535) {
    ++our_wscale_;
  }
  snd_mss_ = peer_mss_ = tuple.remote.is_v4() ? 536 : 1220;
  rcv_mss_ = std::min<std::uint32_t>(536, adv_mss_);
  stats_.adv_mss = adv_mss_;
}

// --- Opening --------------------------------------------------------------------------------

void TcpConnection::open_active(Instant now) {
  // RFC 9293 §3.10.1, CLOSED: select an ISS, send a SYN, enter SYN-SENT.
  clock_ = now;
  active_open_ = true;
  plan_.syn = true;
  last_rx_ = now;
  set_state(now, TcpState::kSynSent);
}

void TcpConnection::open_passive(Instant now, const TcpRepr& syn) {
  stats_.segs_in++;
  trace_segment(now, TraceKind::kTcpSegmentIn, syn, syn.payload.size());
  enter_syn_received(now, syn);
}

void TcpConnection::enter_syn_received(Instant now, const TcpRepr& syn) {
  // RFC 9293 §3.10.7.2, LISTEN, "third check for a SYN": RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ,
  // send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, enter SYN-RECEIVED.
  clock_ = now;
  active_open_ = false;
  irs_ = syn.seq;
  rcv_nxt_ = syn.seq + 1;
  rcv_adv_ = rcv_nxt_;
  last_ack_sent_ = rcv_nxt_;
  negotiate(now, syn);
  // RFC 7323 §2.2: the window in a SYN is never scaled.
  snd_wnd_ = syn.window;
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = syn.seq;
  snd_wl2_ = iss_;
  plan_.syn = true;
  last_rx_ = now;
  state_ = TcpState::kListen;  // this connection was born from a listener
  set_state(now, TcpState::kSynReceived);
}

void TcpConnection::open_from_cookie(Instant now, const TcpRepr& syn) {
  // The SYN itself was seen (and counted) by the layer long ago; only its effect is rebuilt.
  enter_syn_received(now, syn);
  // Our SYN-ACK (ISS = the cookie) was sent: SND.NXT is past it, and RCV.WND is what it
  // announced (the window of a SYN-ACK from an empty ring, as send_syn computes it). No RTT is
  // timed from it (Linux: snt_synack is 0 for a cookie request); with timestamps the final
  // ACK's TSecr gives a sample.
  plan_.syn = false;
  snd_nxt_ = snd_max_ = iss_ + 1;
  window_to_advertise(true);
}

void TcpConnection::negotiate(Instant now, const TcpRepr& syn) {
  const TcpOptions& o = syn.options;
  // RFC 9293 §3.7.1 / RFC 6691: without an MSS option assume 536 (IPv4) or 1220 (IPv6). An
  // option of 0 counts as absent (Linux tcp_parse_options only takes a non-zero value).
  std::uint16_t default_mss = tuple_.remote.is_v4() ? 536 : 1220;
  peer_mss_ = o.mss.value_or(0) != 0 ? *o.mss : default_mss;
  // RFC 7323 §2.2-2.3: scaling is on only if both SYNs carry the option; shifts above 14 are
  // used as 14.
  if (cfg_.window_scaling && o.window_scale) {
    snd_wscale_ = std::min(*o.window_scale, kMaxWindowShift);
    rcv_wscale_ = our_wscale_;
  } else {
    snd_wscale_ = rcv_wscale_ = 0;
  }
  sack_ok_ = cfg_.sack && o.sack_permitted;              // RFC 2018 §2
  ecn_.on_syn(syn.flags, active_open_);                  // RFC 3168 §6.1.1
  ts_ok_ = cfg_.timestamps && o.timestamps.has_value();  // RFC 7323 §3.2
  if (ts_ok_) {
    ts_recent_ = o.timestamps->val;  // TS.Recent from the SYN (RFC 7323 §4.3)
    ts_recent_at_ = now;
  }
  // RFC 9293 §3.7.1: Eff.snd.MSS = min(SendMSS, MMS_S) minus the options we put in every
  // segment (Linux's mss_cache excludes the 12 timestamp bytes). Like Linux (__tcp_mtu_to_mss,
  // then tcp_mtu_to_mss) the MSS is first raised to tcp_min_snd_mss, so a tiny MSS cannot wrap
  // around when the timestamp option is taken off it: with timestamps the floor is 48 - 12.
  std::uint32_t mss = std::max(std::min<std::uint32_t>(peer_mss_, adv_mss_), kMinSndMss);
  snd_mss_ = mss - (ts_ok_ ? kTimestampOptionLen : 0);
  rcv_mss_ = std::min<std::uint32_t>(rcv_mss_, snd_mss_);
}

// --- Segment arrival (RFC 9293 §3.10.7) ------------------------------------------------------

void TcpConnection::on_segment(Instant now, const TcpRepr& seg, std::uint8_t ip_ecn) {
  clock_ = now;
  stats_.segs_in++;
  if (!seg.payload.empty()) stats_.data_segs_in++;
  trace_segment(now, TraceKind::kTcpSegmentIn, seg, seg.payload.size());
  switch (state_) {
    case TcpState::kClosed:
    case TcpState::kListen:
      // §3.10.7.1/§3.10.7.2 are handled by the TCP layer (no connection, or a listener).
      return;
    case TcpState::kSynSent:
      on_segment_syn_sent(now, seg);
      return;
    default:
      break;
  }

  // Segments that Linux accepts before the window checks:
  if (state_ == TcpState::kSynReceived && seg.has(kSyn) && !seg.has(kRst)) {
    if (active_open_ && seg.has(kAck) && seg.seq + 1 == rcv_nxt_ && seg.ack == snd_nxt_) {
      // Simultaneous open (RFC 9293 §3.5 figure 7): the peer's SYN-ACK acknowledges our SYN.
      // Its SYN is one we already have: answer with an ACK, as for any segment below RCV.NXT
      // (§3.10.7.4 "first"), reporting the duplicate as a D-SACK (RFC 2883 §4) as Linux does.
      on_ack(now, seg);
      plan_.want_ack("simultaneous-open");
      if (sack_ok_) dsack_ = TcpSackBlock{seg.seq, seg.seq + 1};
      return;
    }
    if (!active_open_ && seg.seq == irs_ && !seg.has(kAck)) {
      // A retransmitted SYN: the SYN-ACK was lost; send it again (Linux tcp_check_req).
      plan_.syn = true;
      return;
    }
  }

  // First: check the sequence number.
  if (!check_sequence(now, seg)) return;
  last_rx_ = now;
  keepalive_probes_ = 0;
  unanswered_probes_ = 0;
  if (cfg_.keepalive && synchronized()) keepalive_at_ = now + cfg_.keepalive_idle;

  // Second: the RST bit.
  if (seg.has(kRst)) {
    on_rst(now, seg);
    return;
  }
  // Third: security/compartment - not used (RFC 9293 §3.10.7.4 allows ignoring it).

  // Fourth: the SYN bit. RFC 5961 §4.2: a SYN in a synchronized state, whatever its sequence
  // number, gets a challenge ACK (RFC 9293 §3.10.7.4 "fourth" adopts this).
  if (seg.has(kSyn)) {
    if (state_ == TcpState::kSynReceived && !active_open_) {
      // "If the connection was initiated with a passive OPEN, then return this connection to
      // the LISTEN state". Linux (tcp_check_req, embryonic_reset) also answers the SYN with
      // <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> and drops the request; so do we.
      rcv_nxt_ = seg.seq + seg.seg_len();
      plan_.send_rst(SeqNum(0), true, "syn-in-syn-received");
      enter_closed(now, std::nullopt);
      return;
    }
    challenge_ack(now);
    return;
  }

  // Fifth: the ACK field. Without ACK the segment is dropped.
  if (!seg.has(kAck)) return;
  if (!on_ack(now, seg)) return;
  if (state_ == TcpState::kClosed) return;
  update_ts_recent(now, seg);

  // Sixth: the URG bit.
  on_urgent(seg);

  // Seventh: segment text.
  on_ecn_marks(seg, ip_ecn);
  on_text(now, seg);
  if (state_ == TcpState::kClosed) return;

  // Eighth: the FIN bit, once every byte before it has arrived.
  if (seg.has(kFin)) {
    SeqNum fin_at = seg.seq + static_cast<std::uint32_t>(seg.payload.size());
    if (fin_at == rcv_nxt_) {
      on_fin(now);
    } else if (fin_at > rcv_nxt_ && fin_at - rcv_nxt_ <= static_cast<std::int32_t>(rcv_wnd())) {
      ooo_fin_ = fin_at;  // processed when the data in front of it arrives
    }
  }
}

void TcpConnection::on_segment_syn_sent(Instant now, const TcpRepr& seg) {
  // RFC 9293 §3.10.7.3, SYN-SENT.
  bool ack_acceptable = false;
  if (seg.has(kAck)) {
    // First: an ACK that does not acknowledge our SYN gets <SEQ=SEG.ACK><CTL=RST>.
    if (seg.ack <= iss_ || seg.ack > snd_max_) {
      if (!seg.has(kRst)) {
        plan_.send_rst(seg.ack, false, "bad-ack");
      }
      return;
    }
    ack_acceptable = true;
  }
  // Second: RST. RFC 5961 §3.2: in SYN-SENT a RST is acceptable only if it acknowledges the
  // SYN; then the connection was refused.
  if (seg.has(kRst)) {
    if (ack_acceptable) enter_closed(now, TcpError::kRefused);
    return;
  }
  // Fourth: SYN.
  if (!seg.has(kSyn)) return;
  irs_ = seg.seq;
  rcv_nxt_ = seg.seq + 1;
  rcv_adv_ = rcv_nxt_;
  last_ack_sent_ = rcv_nxt_;
  negotiate(now, seg);
  last_rx_ = now;
  if (ack_acceptable) {
    // Our SYN is acknowledged: ESTABLISHED, and ACK the peer's SYN.
    snd_wl1_ = seg.seq;  // the SYN's window is not scaled (RFC 7323 §2.2)
    snd_wl2_ = seg.ack;
    snd_wnd_ = seg.window;
    max_snd_wnd_ = snd_wnd_;
    process_ack_of_data(now, seg);
    enter_established(now);
    plan_.want_ack("handshake");
    return;
  }
  // Simultaneous open: SYN without ACK -> SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><SYN,ACK>.
  snd_wnd_ = seg.window;
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = seg.seq;
  snd_wl2_ = iss_;
  plan_.syn = true;
  set_state(now, TcpState::kSynReceived);
}

bool TcpConnection::segment_acceptable(const TcpRepr& seg) const {
  // RFC 9293 §3.10.7.4 "first", the four cases of the acceptability test.
  std::uint32_t len = seg.seg_len();
  std::uint32_t wnd = rcv_wnd();
  if (len == 0) {
    if (wnd == 0) return seg.seq == rcv_nxt_;
    // Linux tcp_sequence accepts a segment starting at the right edge too (!after(seq,
    // rcv_nxt + window)). It matters: a peer that filled our window sends its pure ACKs at
    // SND.MAX = our right edge; when that data was lost, the RFC's strict test would drop
    // every one of those ACKs (and their acknowledgments) until an RTO, and when both ends
    // filled each other's window and lost the data, forever.
    return seg.seq.in_range(rcv_nxt_, rcv_nxt_ + wnd) || seg.seq == rcv_nxt_ + wnd;
  }
  // "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be
  // made to accept valid ACKs, URGs, and RSTs": a segment at exactly RCV.NXT is processed for
  // its control information and its text is dropped (seventh step trims it to the window).
  if (wnd == 0) return seg.seq == rcv_nxt_;
  return seg.seq.in_range(rcv_nxt_, rcv_nxt_ + wnd) ||
         (seg.seq + (len - 1)).in_range(rcv_nxt_, rcv_nxt_ + wnd);
}

bool TcpConnection::check_sequence(Instant now, const TcpRepr& seg) {
  // RFC 7323 §5.3 (PAWS): a timestamp older than TS.Recent marks an old duplicate; drop it
  // and ACK (R1, R2). RSTs are exempt (§5.3 R1 note).
  if (ts_ok_ && seg.options.timestamps && !seg.has(kRst) && ts_recent_valid(now) &&
      static_cast<std::int32_t>(seg.options.timestamps->val - ts_recent_) < 0) {
    stats_.drops_paws++;
    trace(now, TraceKind::kDrop, "tcp.drops_paws");
    ack_invalid(now, seg, "paws");
    return false;
  }
  if (!segment_acceptable(seg)) {
    stats_.drops_unacceptable++;
    trace(now, TraceKind::kDrop, "tcp.drops_unacceptable");
    if (seg.has(kRst)) return false;  // an unacceptable RST is dropped silently
    if (seg.has(kSyn)) {
      challenge_ack(now);  // RFC 5961 §4.2
      return false;
    }
    // An old duplicate: RFC 2883 §4 reports it as a D-SACK block in the ACK.
    std::uint32_t len = static_cast<std::uint32_t>(seg.payload.size());
    if (sack_ok_ && len > 0 && seg.seq + len <= rcv_nxt_) {
      dsack_ = TcpSackBlock{seg.seq, seg.seq + len};
      stats_.dsacks_out++;
    }
    // RFC 9293 §3.10.7.4: a FIN retransmitted into TIME-WAIT restarts the 2 MSL timeout.
    if (state_ == TcpState::kTimeWait && seg.has(kFin)) close_at_ = now + cfg_.time_wait;
    ack_invalid(now, seg, "out-of-window");
    return false;
  }
  return true;
}

void TcpConnection::ack_invalid(Instant now, const TcpRepr& seg, const char* why) {
  // Linux tcp_oow_rate_limited: a segment that occupies sequence space (data, FIN) is not part
  // of an ACK loop and is always answered; a pure ACK at most once per tcp_invalid_ratelimit,
  // or two hosts that disagree about the window would ACK each other for ever.
  if (seg.seg_len() == 0 && last_oow_ack_ && now - *last_oow_ack_ < cfg_.invalid_ratelimit) {
    stats_.oow_acks_limited++;
    return;
  }
  if (seg.seg_len() == 0) last_oow_ack_ = now;
  plan_.want_ack(why);
}

bool TcpConnection::ts_recent_valid(Instant now) const {
  // RFC 7323 §5.5 (Linux tcp_paws_check, TCP_PAWS_24DAYS): TS.Recent is invalid after 24 days
  // without an update, since the peer's timestamp clock may have wrapped since.
  return now - ts_recent_at_ < Duration::seconds(24 * 24 * 60 * 60);
}

void TcpConnection::update_ts_recent(Instant now, const TcpRepr& seg) {
  // RFC 7323 §4.3: remember the timestamp of a segment that covers Last.ACK.sent and is not
  // older than TS.Recent. Called only for a segment that passed the sequence, RST, SYN and
  // ACK checks (Linux tcp_ack -> tcp_replace_ts_recent), so a blind segment that guessed the
  // sequence number but not the ACK cannot poison PAWS.
  if (!ts_ok_ || !seg.options.timestamps || seg.seq > last_ack_sent_) return;
  std::uint32_t val = seg.options.timestamps->val;
  if (ts_recent_valid(now) && static_cast<std::int32_t>(val - ts_recent_) < 0) return;
  ts_recent_ = val;
  ts_recent_at_ = now;
}

void TcpConnection::on_rst(Instant now, const TcpRepr& seg) {
  // RFC 5961 §3.2: only a RST at exactly RCV.NXT resets; any other in-window RST gets a
  // challenge ACK (blind reset attack).
  if (seg.seq != rcv_nxt_) {
    challenge_ack(now);
    return;
  }
  // RFC 9293 §3.10.7.4 "second".
  switch (state_) {
    case TcpState::kSynReceived:
      // Passive open: back to LISTEN (the layer forgets this embryonic connection). Active
      // open (simultaneous): the connection was refused.
      enter_closed(now, active_open_ ? std::optional(TcpError::kRefused) : std::nullopt);
      return;
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
      enter_closed(now, TcpError::kReset);
      return;
    case TcpState::kCloseWait:
      // Linux tcp_reset records EPIPE, not ECONNRESET, once the peer has finished sending: the
      // stream still ends cleanly for read() and the next write() fails with EPIPE.
      enter_closed(now, TcpError::kPipe);
      return;
    default:  // CLOSING, LAST-ACK, TIME-WAIT
      enter_closed(now, std::nullopt);
      return;
  }
}

bool TcpConnection::on_ack(Instant now, const TcpRepr& seg) {
  // RFC 9293 §3.10.7.4 "fifth", with RFC 5961 §5.2 ACK validation: acceptable ACKs lie in
  // [SND.UNA - MAX.SND.WND, SND.NXT]; anything else is answered with an ACK and dropped.
  SeqNum lowest = snd_una_ - std::max<std::uint32_t>(max_snd_wnd_, 1);
  if (state_ == TcpState::kSynReceived) {
    if (seg.ack > snd_una_ && seg.ack <= snd_max_) {
      snd_wnd_ = seg.has(kSyn) ? seg.window : static_cast<std::uint32_t>(seg.window) << snd_wscale_;
      max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
      snd_wl1_ = seg.seq;
      snd_wl2_ = seg.ack;
      process_ack_of_data(now, seg);
      enter_established(now);
      return true;
    } else {
      // "If the segment acknowledgment is not acceptable, form a reset segment
      // <SEQ=SEG.ACK><CTL=RST> and send it."
      plan_.send_rst(seg.ack, false, "bad-ack");
      return false;
    }
  }
  if (seg.ack > snd_max_ || seg.ack < lowest) {
    // Acknowledges something not yet sent, or too old (RFC 5961 §5.2).
    challenge_ack(now);
    return false;
  }
  process_ack_of_data(now, seg);
  switch (state_) {
    case TcpState::kFinWait1:
      if (fin_acked()) {
        set_state(now, TcpState::kFinWait2);
        // Linux tcp_fin_timeout: an orphaned FIN-WAIT-2 does not wait forever.
        if (user_closed_) close_at_ = now + cfg_.fin_timeout;
      }
      break;
    case TcpState::kClosing:
      if (fin_acked()) enter_time_wait(now);
      break;
    case TcpState::kLastAck:
      if (fin_acked()) {
        enter_closed(now, std::nullopt);
        return false;
      }
      break;
    case TcpState::kTimeWait:
      // Only a retransmitted FIN can arrive here: ACK it and restart the 2 MSL timeout.
      if (seg.has(kFin)) {
        plan_.want_ack("fin");
        close_at_ = now + cfg_.time_wait;
      }
      break;
    default:
      break;
  }
  return true;
}

void TcpConnection::process_ack_of_data(Instant now, const TcpRepr& seg) {
  // Linux tcp_ack's steps, in its order and with its names.
  AckInfo ack;
  ack.prior_una = snd_una_;
  ack.prior_sacked = sacked_bytes();
  ack.prior_rack_lost = stats_.rack.lost;
  ack.prior_lost_end = sack_scoreboard().lost_end();
  if (sack_ok_ && seg.options.sack_count > 0) ack.dsack = record_sack_blocks(now, seg);
  ack.dup = is_duplicate_ack(seg);
  // RFC 3168 §6.1.2: the CWR window ends before the state is looked at (Linux step D), and
  // the ECN-Echo is taken as Linux's FLAG_ECE; on_ecn_echo() acts on it once the state is
  // known. Not from the handshake's ACKs: cwnd starts when the connection is established.
  ecn_.on_ack(seg.ack);
  ack.ece = synchronized() && state_ != TcpState::kSynReceived && ecn_.echo(seg.flags);
  ack.prior_flight = flight_size();
  ack.advanced = seg.ack > snd_una_;
  if (ack.advanced) {
    std::uint32_t acked = clean_rtx_queue(now, seg);
    ack_update_rtt(now, seg);
    cong_control(now, seg, acked, ack.ece);
    rearm_rto(now);
  } else if (ack.dup) {
    on_duplicate_ack(now, seg);
  }
  update_send_window(now, seg);
  fastretrans_alert(now, seg, ack);
  // Linux tcp_fastretrans_alert takes the ECE after the state's exit and loss detection: an
  // ECE on the ACK that ends Recovery or Loss, or that finds no loss, enters CWR
  // (tcp_try_to_open); one on an ACK that starts recovery is that recovery's reduction.
  if (ack.ece) on_ecn_echo(now, ack);
}

bool TcpConnection::is_duplicate_ack(const TcpRepr& seg) const {
  // RFC 5681 §2 "duplicate ACK": nothing new acknowledged, no data, no SYN/FIN, same window,
  // data outstanding.
  std::uint32_t scaled_wnd = static_cast<std::uint32_t>(seg.window) << snd_wscale_;
  if (seg.has(kSyn)) scaled_wnd = seg.window;
  return seg.ack == snd_una_ && seg.payload.empty() && !seg.has(kSyn) && !seg.has(kFin) &&
         scaled_wnd == snd_wnd_ && snd_max_ > snd_una_;
}

std::uint32_t TcpConnection::clean_rtx_queue(Instant now, const TcpRepr& seg) {
  std::uint32_t acked = static_cast<std::uint32_t>(seg.ack - snd_una_);
  SeqNum acked_data_end = seq_min(seg.ack, data_end());
  if (acked_data_end > snd_buf_seq_) {
    std::uint32_t n = static_cast<std::uint32_t>(acked_data_end - snd_buf_seq_);
    snd_buf_.consume(n);
    snd_buf_.release_if_empty();  // all acknowledged: an idle connection holds no buffer
    snd_buf_seq_ += n;
    stats_.bytes_acked += n;
  }
  SeqNum prior_una = snd_una_;
  if (rack_active()) {
    // RFC 8985 §6.2 steps 2-3 for every segment this ACK delivers cumulatively.
    sent_.on_cumulative_ack(
        seg.ack, [&](const SentSegment& s) { rack_.on_delivered(now, s, echo_predates(seg, s)); });
  }
  snd_una_ = seg.ack;
  if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
  // Urgent mode ends once the urgent data is acknowledged (Linux tcp_clean_rtx_queue); SND.UP
  // then follows SND.UNA.
  if (prior_una <= snd_up_ && snd_up_ <= snd_una_) snd_up_ = snd_una_;
  sacked_.trim_below(snd_una_);
  // Linux tcp_remove_reno_sacks: one acknowledged segment filled the hole, the rest were
  // counted by duplicate ACKs already.
  reno_sacked_ -= std::min(reno_sacked_, acked > snd_mss_ ? acked - snd_mss_ : 0);
  if (ca_state_ == CaState::kLoss && snd_una_ >= recover_) {
    set_ca_state(now, CaState::kOpen, "recovered");
    rack_.on_recovery_exit();  // RFC 8985 §6.2 step 4 "exiting ... RTO recovery"
  }
  drag_marks_along();
  // Linux tcp_check_space / tcp_new_space: an ACK that frees room for a writer that found the
  // ring full grows it, unless cwnd is what limits the sender (tcp_should_expand_sndbuf).
  if (snd_nospace_ && acked > 0) {
    snd_nospace_ = false;
    if (cfg_.send_buffer_tuned() && flight_size() < cc_->cwnd()) sndbuf_expand();
  }
  return acked;
}

void TcpConnection::ack_update_rtt(Instant now, const TcpRepr& seg) {
  // RFC 6298 §3 with Karn's rule; RFC 7323 §4 with timestamps.
  bool sampled = false;
  if (ts_ok_ && seg.options.timestamps && seg.options.timestamps->ecr != 0) {
    std::uint32_t ecr = seg.options.timestamps->ecr;
    std::uint32_t ms = ts_now(now) - ecr;
    // An echo older than our last timeout retransmission is the peer's stale TS.Recent
    // (it only updates it from acceptable segments, RFC 7323 §4.3): it would measure the
    // whole outage as one round trip and inflate the RTO. Karn's rule, for timestamps.
    bool stale = ts_min_echo_ && static_cast<std::int32_t>(ecr - *ts_min_echo_) < 0;
    // The peer's TS.Recent only moves forward: once it echoes the mark or later, so will
    // every later ACK. Forget the mark, or 2^31 ms on it would compare as older.
    if (!stale) ts_min_echo_.reset();
    if (ms < 0x7fffffff && !stale) {
      rtt_sample(now, Duration::millis(ms));
      sampled = true;
    }
  } else if (rtt_seq_ && seg.ack >= *rtt_seq_) {
    rtt_sample(now, now - rtt_sent_at_);
    sampled = true;
  }
  if (rtt_seq_ && seg.ack >= *rtt_seq_) rtt_seq_.reset();
  // RFC 6298 §5.7 / Karn: the backed-off RTO is kept until a valid RTT sample (Linux
  // tcp_ack_update_rtt: "only reset backoff on valid RTT measurement").
  if (sampled) backoff_ = 0;
}

void TcpConnection::cong_control(Instant now, const TcpRepr& seg, std::uint32_t acked, bool ece) {
  retransmits_ = 0;
  dup_acks_ = 0;
  std::uint32_t cwnd_before = cc_->cwnd();
  if (synchronized() && state_ != TcpState::kSynReceived) {
    if (in_fast_recovery()) {
      if (seg.ack >= recover_) {
        // RFC 6582 §3.2 step 3 "Full acknowledgments" ends fast recovery.
        set_ca_state(now, CaState::kOpen, "recovered");
        reno_sacked_ = 0;
        // With PRR too (RFC 6937 §3, Linux tcp_end_cwnd_reduction): cwnd = ssthresh.
        cc_->on_exit_recovery(flight_size(), snd_mss_);
        cwnd_stamp_ = now;         // Linux tcp_end_cwnd_reduction
        rack_.on_recovery_exit();  // RFC 8985 §6.2 step 4 "exiting Fast ... recovery"
      } else {
        // Step 3 "Partial acknowledgments": retransmit the next hole. With RACK the scoreboard
        // says what is lost: the head may be a retransmission still in flight.
        // With PRR the window comes from prr_on_ack() below, and a head that was
        // retransmitted already (HighRxt above it) is not sent again (RFC 6675 §4 NextSeg).
        if (!cfg_.prr) cc_->on_partial_ack(acked, snd_mss_);
        if (!rack_active() && retransmit_head_on_partial_ack()) plan_.head = true;
      }
    } else {
      if (ca_state_ == CaState::kCwr && !ecn_.in_cwr()) {
        // The ACK beyond the reduced window ends CWR (try_to_open changes the state) with cwnd
        // = ssthresh, before the growth below, as Linux tcp_fastretrans_alert's
        // tcp_end_cwnd_reduction runs before tcp_cong_control.
        cc_->on_exit_recovery(flight_size(), snd_mss_);
        cwnd_stamp_ = now;
      }
      if (cwnd_limited() && !in_ecn_cwr() && !(ece && ca_state_ <= CaState::kDisorder)) {
        // Linux tcp_cong_control: growth (tcp_cong_avoid) unless in a reduction
        // (tcp_in_cwnd_reduction: CWR or Recovery), nor on the ACK whose ECE starts one
        // (on_ecn_echo; Linux enters CWR before tcp_cong_control). In Loss cwnd slow-starts,
        // ECN or not.
        cc_->on_ack(now, acked, snd_mss_, rtt_.srtt().value_or(Duration::zero()));
        cwnd_stamp_ = now;  // Linux tcp_cong_avoid: the window was in use
      }
    }
    if (!in_fast_recovery()) reno_sacked_ = 0;
  }
  // One round of the flight is acknowledged: measure the next one (Linux tcp_cwnd_validate).
  if (snd_una_ >= cwnd_usage_seq_) {
    max_flight_ = flight_size();
    cwnd_usage_seq_ = snd_max_;
  }
  if (cc_->cwnd() != cwnd_before) {
    trace_cwnd(now, "ack", cwnd_before, acked);
  }
}

void TcpConnection::rearm_rto(Instant now) {
  // RFC 6298 §5.2/5.3: stop the timer when everything is acknowledged, else restart it.
  if (snd_una_ == snd_max_) {
    rto_at_ = Instant::never();
  } else {
    arm_rto(now);
  }
}

void TcpConnection::on_duplicate_ack(Instant now, const TcpRepr& seg) {
  stats_.dup_acks_in++;
  ++dup_acks_;
  if (!sack_ok_) {
    // RFC 6937 §3: without SACK each duplicate ACK stands for one delivered segment; at
    // least one hole stays (Linux tcp_add_reno_sack, tcp_limit_reno_sacked).
    std::uint32_t flight = flight_size();
    reno_sacked_ = std::min(reno_sacked_ + snd_mss_, flight > snd_mss_ ? flight - snd_mss_ : 0);
  }
  if (in_fast_recovery()) {
    if (!cfg_.prr) {
      std::uint32_t cwnd_before = cc_->cwnd();
      cc_->on_dupack_in_recovery(snd_mss_);  // RFC 5681 §3.2 step 4
      if (cc_->cwnd() != cwnd_before) trace_cwnd(now, "dup-ack", cwnd_before);
    }
    // With SACK the inflated window goes to the next hole first (RFC 6675 §5 NextSeg
    // rule 1), not to new data. With RACK, to what RACK deemed lost (rack_on_ack).
    if (sack_ok_ && !rack_active()) plan_.next_hole = true;
  } else if (lost_by_dupthresh() && seg.ack - 1 >= recover_ &&
             (!rack_active() || sent_.segs_sacked() == 0)) {
    // RFC 5681 §3.2 / RFC 6582 §3.2 step 2: fast retransmit, enter fast recovery. With
    // RACK and SACK blocks flowing, time decides instead, as in Linux (tcp_time_to_recover
    // ignores the duplicate ACK count when RACK is on); RACK's window is zero once DupThresh
    // segments are SACKed, so it is never slower than this rule. A peer that negotiated SACK
    // but reports no blocks gives RACK nothing to go on: the count stays the fallback.
    enter_fast_recovery(now, "dup-acks");
    plan_.head = true;
  }
}

void TcpConnection::fastretrans_alert(Instant now, const TcpRepr& seg, const AckInfo& ack) {
  // Linux step A, "ECE, hence prohibit cwnd undoing, the reduction is required": in any
  // state the reduction in progress answered congestion, not a spurious retransmission.
  if (ack.ece) undo_.forbid_undo();
  if (synchronized() && state_ != TcpState::kSynReceived) {
    // Undo before RACK looks for losses, as Linux tcp_fastretrans_alert does.
    undo_on_ack(now, seg, ack.advanced, ack.dsack);
    if (rack_active()) rack_on_ack(now, seg, ack.advanced, ack.dsack);
  }
  if (prr_active()) prr_on_ack(now, ack);
  try_to_open(now);
}

void TcpConnection::prr_on_ack(Instant now, const AckInfo& ack) {
  // RFC 6937 §3: DeliveredData is the change in SND.UNA plus the change in SACKed bytes.
  std::int64_t delivered = static_cast<std::int64_t>(snd_una_ - ack.prior_una) +
                           static_cast<std::int64_t>(sacked_bytes()) - ack.prior_sacked;
  // Linux tcp_cwnd_reduction: the SSRB's extra segment only on an ACK that advanced
  // SND.UNA and marked nothing newly lost (without SACK a partial ACK marks the new head
  // lost, tcp_newreno_mark_lost; outside recovery nothing is).
  bool newly_lost = !in_fast_recovery() ? false
                    : rack_active()     ? stats_.rack.lost != ack.prior_rack_lost
                    : sack_ok_
                        ? sack_scoreboard().lost_end() > seq_max(ack.prior_lost_end, snd_una_)
                        : true;
  // Linux tcp_cwnd_reduction: an ACK that delivered nothing changes nothing.
  if (delivered > 0) {
    prr_on_ack(now, static_cast<std::uint32_t>(delivered), ack.advanced && !newly_lost);
  }
}

void TcpConnection::set_ca_state(Instant now, CaState to, const char* reason) {
  if (to == ca_state_) return;
  trace_ca_state(now, to, reason);
  ca_state_ = to;
}

void TcpConnection::try_to_open(Instant now) {
  if (rack_in_recovery()) return;
  // CWR lasts until an ACK passes the highest sequence sent at the reduction (RFC 3168 §6.1.2,
  // TcpEcn::on_ack).
  if (in_ecn_cwr()) return;
  const char* reason = ca_state_ == CaState::kCwr ? "cwr-end" : "ack";
  CaState to = CaState::kOpen;
  if (dup_acks_ > 0 || !sacked_.empty()) {
    to = CaState::kDisorder;
    if (ca_state_ != CaState::kCwr) reason = dup_acks_ > 0 ? "dup-ack" : "sack";
  }
  set_ca_state(now, to, reason);
}

void TcpConnection::prr_on_ack(Instant now, std::uint32_t delivered, bool safe_ack) {
  // RFC 6937 §3 / Linux tcp_cwnd_reduction: cwnd = pipe + sndcnt, and everything (hole
  // retransmissions and new data) goes while pipe < cwnd.
  std::uint32_t p = pipe();
  std::uint32_t sndcnt = prr_.on_ack(delivered, p, safe_ack);
  std::uint32_t cwnd_before = cc_->cwnd();
  cc_->set_cwnd_in_recovery(p + sndcnt);
  // Without RACK the next hole goes first (RFC 6675 §5 step C, NextSeg); in CWR nothing is
  // lost.
  if (sack_ok_ && !rack_active() && in_fast_recovery()) plan_.next_hole = true;
  if (cc_->cwnd() != cwnd_before) trace_cwnd(now, "prr", cwnd_before);
}

bool TcpConnection::retransmit_head_on_partial_ack() const {
  // RFC 6582 §3.2 step 3 (partial acknowledgments), as before without PRR. With PRR and SACK the
  // scoreboard decides (RFC 6675 NextSeg: the head goes when IsLost says so, a tail by the rescue);
  // only a peer that SACKs nothing still gets NewReno's rule, unless the rescue already went. A
  // head that was retransmitted already (HighRxt above it) is not sent again.
  if (!cfg_.prr) return true;
  if (sack_ok_ && (!sacked_.empty() || rescue_rxt_)) return false;
  return high_rxt_ <= snd_una_;
}

bool TcpConnection::lost_by_dupthresh() const {
  // RFC 5681 §3.2: the third duplicate ACK. RFC 6675 §5 step (2.b): without RACK, also
  // IsLost(HighACK + 1) - DupThresh segments SACKed above it - with fewer duplicate ACKs
  // (some were lost, or one ACK SACKed several segments).
  if (dup_acks_ == 3) return true;
  return dup_acks_ < 3 && sack_ok_ && !rack_active() && sack_scoreboard().is_lost(snd_una_);
}

std::uint32_t TcpConnection::pipe() const {
  if (rack_active()) return sent_.pipe();
  if (sack_ok_) return sack_scoreboard().pipe();
  // Without SACK (Linux tcp_packets_in_flight for Reno): the flight less the segments the
  // duplicate ACKs reported, less the head while it waits to be retransmitted.
  std::uint32_t flight = flight_size();
  std::uint32_t out = reno_sacked_ + (in_fast_recovery() && high_rxt_ <= snd_una_ ? snd_mss_ : 0);
  return flight > out ? flight - out : 0;
}

SackScoreboard TcpConnection::sack_scoreboard() const {
  // HighRxt is set when fast recovery starts; before the first one it may still hold its
  // initial value, which is no sequence number of this connection (outside [SND.UNA,
  // SND.MAX]): nothing was retransmitted.
  SeqNum high_rxt = high_rxt_ < snd_una_ || high_rxt_ > snd_max_ ? snd_una_ : high_rxt_;
  return SackScoreboard{sacked_, snd_una_, snd_max_, high_rxt, snd_mss_};
}

void TcpConnection::enter_fast_recovery(Instant now, const char* reason) {
  bool reduced_already = in_ecn_cwr();
  set_ca_state(now, CaState::kRecovery, reason);
  recover_ = snd_max_;
  high_rxt_ = snd_una_;
  undo_.on_enter_recovery(UndoTracker::Episode::kRecovery, cc_->cwnd(), cc_->ssthresh(), snd_una_,
                          snd_max_);
  rescue_rxt_.reset();
  // RFC 3168 §6.1.2: one reduction per window for "dropped and/or CE packets". A loss inside
  // the window an ECE already reduced is the same congestion: ssthresh stays, and no second
  // CWR goes out (Linux tcp_enter_recovery skips tcp_init_cwnd_reduction in TCP_CA_CWR).
  if (!reduced_already) {
    cc_->on_enter_recovery(now, flight_size(), snd_mss_);
    ecn_.queue_cwr();  // RFC 3168 §6.1.2: CWR on the next new data
  }
  // RFC 6937 §3 "on entering recovery": RecoverFS = snd.nxt - snd.una. From CWR, PRR goes on
  // with the reduction in progress (Linux tcp_enter_recovery skips tcp_init_cwnd_reduction).
  if (cfg_.prr && !reduced_already) prr_.on_enter(flight_size(), cc_->ssthresh(), snd_mss_);
  stats_.retrans_fast++;
  // Linux tcp_enter_recovery ends a TLP episode: recovery takes over from the probe.
  end_tlp_episode();
  trace_cwnd(now, "fast-retransmit");
}

// --- RACK-TLP (RFC 8985) ----------------------------------------------------------------------

void TcpConnection::rack_on_ack(Instant now, const TcpRepr& seg, bool advanced,
                                std::optional<TcpSackBlock> dsack) {
  // §6.2 step 1 ran with the RTT sample, steps 2-3 as the ACK and its SACK blocks were
  // recorded; step 4's D-SACK half now.
  rack_.on_ack_dsack(dsack.has_value(), snd_una_, snd_max_);
  // §7.4: did a tail-loss probe repair a loss?
  if (tlp_.active()) {
    SeqNum probe_last = *tlp_.end_seq() - 1;
    bool dsack_of_probe = dsack && probe_last.in_range(dsack->left, dsack->right);
    bool dupack = !advanced && seg.options.sack_count == 0;
    if (tlp_.on_ack(seg.ack, dsack_of_probe, dupack) == TlpEpisode::Verdict::kLossRepaired) {
      count_rack(&TcpRackCounters::tlp_recoveries);
      // One reduction for the loss the probe repaired, with the flight it was part of (Linux
      // tcp_process_tlp_ack: tcp_init_cwnd_reduction, CWR, tcp_end_cwnd_reduction).
      cc_->on_enter_recovery(now, tlp_flight_, snd_mss_);
      cc_->on_exit_recovery(flight_size(), snd_mss_);
      ecn_.queue_cwr();  // tcp_init_cwnd_reduction queues CWR (RFC 3168 §6.1.2)
      trace_cwnd(now, "tlp-recovery");
    }
  }
  rack_detect_loss_and_arm_timer(now);
  // §7.2: an ACK of new data restarts the PTO; a SACK (or recovery) cancels it.
  if (advanced) {
    schedule_loss_probe(now);
  } else if (!tlp_allowed()) {
    tlp_at_ = Instant::never();
  }
}

void TcpConnection::rack_detect_loss_and_arm_timer(Instant now) {
  Duration srtt = rtt_.srtt().value_or(Duration::zero());
  Rack::Detection d =
      rack_.detect_loss(now, sent_, rack_in_recovery(), srtt,
                        [&](const SentSegment&) { count_rack(&TcpRackCounters::lost); });
  rack_reo_at_ = d.timeout > Duration::zero() ? now + d.timeout : Instant::never();
  if (!sent_.first_lost()) return;
  // §6.2 step 5 / RFC 6675 §5: a loss outside recovery starts fast recovery, with the
  // congestion control's reduction. Unlike the duplicate-ACK rule there is no RFC 6582 "ACK
  // beyond recover" wait (Linux applies that only to non-SACK NewReno): once recovery ended
  // every segment of the reduced window is acknowledged, so a loss RACK finds is a new one.
  if (!rack_in_recovery()) {
    enter_fast_recovery(now, "rack");
    plan_.lost_ignore_cwnd = true;
  }
  plan_.lost = true;
}

void TcpConnection::enter_loss_recovery() {
  // RTO recovery (RFC 8985 §6.3 / Linux tcp_timeout_mark_lost, the Loss state): everything not
  // SACKed is lost and the go-back-N walk resends it; no probe or reordering timer until
  // SND.UNA passes recover_. The caller entered the Loss state (or kept Recovery, see
  // on_icmp_error).
  if (rack_active()) sent_.mark_all_lost();
  end_tlp_episode();
  rack_reo_at_ = Instant::never();
  plan_.lost = false;
}

void TcpConnection::end_tlp_episode() {
  tlp_.reset();
  tlp_at_ = Instant::never();
}

bool TcpConnection::echo_predates(const TcpRepr& seg, const SentSegment& s) const {
  if (!ts_ok_ || !seg.options.timestamps || seg.options.timestamps->ecr == 0) return false;
  return static_cast<std::int32_t>(seg.options.timestamps->ecr - ts_now(s.xmit_ts)) < 0;
}

bool TcpConnection::tlp_allowed() const {
  // §7.2: only with SACK, outside recovery, with nothing SACKed, one probe per flight (§7.3),
  // and not while the reordering timer is armed (Linux has one timer for both). A closed
  // window is the persist timer's job.
  return rack_active() && synchronized() && state_ != TcpState::kSynReceived &&
         state_ != TcpState::kTimeWait && !rack_in_recovery() && sent_.segs_sacked() == 0 &&
         !tlp_.active() && snd_max_ > snd_una_ && snd_wnd_ > 0 && rack_reo_at_.is_never();
}

void TcpConnection::schedule_loss_probe(Instant now) {
  if (!tlp_allowed()) {
    tlp_at_ = Instant::never();
    return;
  }
  Duration rto = rtt_.backed_off_rto(backoff_);
  Duration rto_left = rto_at_.is_never() ? rto : std::max(rto_at_ - now, Duration::zero());
  tlp_at_ = now + tlp_pto(rtt_.srtt(), flight_size() <= snd_mss_, cfg_.tlp_max_ack_delay,
                          std::min(rto, rto_left));
}

bool TcpConnection::send_loss_probe(Instant now, TcpSink sink) {
  if (!tlp_allowed()) return false;
  std::uint32_t flight = flight_size();
  SeqNum end = data_end();
  std::uint32_t unsent = snd_nxt_ < end ? static_cast<std::uint32_t>(end - snd_nxt_) : 0;
  SeqNum rwnd_edge = snd_una_ + snd_wnd_;
  std::uint32_t rwnd_room =
      rwnd_edge > snd_nxt_ ? static_cast<std::uint32_t>(rwnd_edge - snd_nxt_) : 0;
  // §7.3: new data if there is some and the receive window allows (cwnd does not limit a
  // probe, Linux tcp_write_xmit push_one=2), else the last segment sent.
  bool new_data = snd_nxt_ == snd_max_ && unsent > 0 && rwnd_room > 0;
  DataPlan p;
  SeqNum seq = snd_nxt_;
  if (tlp_choose_probe(new_data) == TlpProbe::kNewData) {
    p.len = std::min({unsent, current_mss(), rwnd_room});
    p.fin = fin_queued_ && p.len == unsent;
  } else {
    const SentSegment* last = sent_.last();
    if (last == nullptr) return false;
    // The last MSS of it (Linux tcp_send_loss_probe fragments the tail).
    SeqNum stop = seq_min(last->end, end);
    seq = stop > last->start ? seq_max(last->start, stop - current_mss()) : last->start;
    p = resend_plan(seq, last->end);
    if (p.len == 0 && !p.fin) return false;
  }
  send_data_segment(now, sink, seq, p, "tlp");
  tlp_.on_probe_sent(snd_max_, !new_data);
  tlp_flight_ = flight;
  count_rack(&TcpRackCounters::tlp_probes);
  arm_rto(now);  // §7.3: after the probe the RTO runs again, in full
  return true;
}

bool TcpConnection::retransmit_lost(Instant now, TcpSink sink) {
  bool sent = false;
  while (const SentSegment* s = sent_.first_lost()) {
    // After an RTO the go-back-N walk resends everything from SND.NXT on.
    if (s->start >= snd_nxt_) break;
    // RFC 6675 §5 (C) / Linux tcp_xmit_retransmit_queue: while pipe < cwnd; the first resend
    // of a recovery goes regardless (the fast retransmit).
    if (!plan_.lost_ignore_cwnd && sent_.pipe() >= cc_->cwnd()) break;
    plan_.lost_ignore_cwnd = false;
    SeqNum start = s->start;
    DataPlan p = resend_plan(start, s->end);
    if (p.len == 0 && !p.fin) break;
    send_data_segment(now, sink, start, p, "rack");
    high_rxt_ = seq_max(high_rxt_, start + p.len);
    // Linux tcp_xmit_retransmit_queue: resending the head restarts the RTO, which would
    // otherwise still count from the lost original (or the previous, lost, resend).
    if (start == snd_una_) arm_rto(now);
    sent = true;
    const SentSegment* next = sent_.first_lost();
    if (next != nullptr && next->start == start) break;  // not recorded: never loop
  }
  return sent;
}

void TcpConnection::count_rack(std::uint64_t TcpRackCounters::*field) {
  ++(stats_.rack.*field);
  if (layer_rack_ != nullptr) ++(layer_rack_->*field);
}

// --- Undo of spurious retransmissions (undo.h) ------------------------------------------------

void TcpConnection::undo_on_ack(Instant now, const TcpRepr& seg, bool advanced,
                                std::optional<TcpSackBlock> dsack) {
  if (dsack) undo_.on_dsack(dsack->left, dsack->right);
  UndoTracker::Ack a;
  if (ts_ok_ && seg.options.timestamps && seg.options.timestamps->ecr != 0) {
    a.tsecr = seg.options.timestamps->ecr;
  }
  a.advanced = advanced;
  a.snd_una = snd_una_;
  a.retrans_in_flight = high_rxt_ > snd_una_;
  UndoTracker::Decision d = undo_.on_ack(a);
  if (d != UndoTracker::Decision::kNone) undo_reduction(now, d);
}

void TcpConnection::undo_reduction(Instant now, UndoTracker::Decision d) {
  // Linux tcp_undo_cwnd_reduction: the window and ssthresh from before the episode, and the
  // connection back to the Open state.
  UndoTracker::Prior prior = undo_.prior();
  cc_->on_undo(prior.cwnd, prior.ssthresh);
  cwnd_stamp_ = now;  // Linux tcp_undo_cwnd_reduction
  trace_cwnd(now, "undo");
  // A D-SACK undo may come after the episode ended: then the state stays what it is.
  if (rack_in_recovery()) set_ca_state(now, CaState::kOpen, "undo");
  reno_sacked_ = 0;
  plan_.head = false;
  plan_.next_hole = false;
  if (d != UndoTracker::Decision::kUndoDsack) {
    // unmark_loss: what is still in flight was not lost; after a timeout, the go-back-N walk
    // stops (SND.NXT back to SND.MAX: the originals are on their way).
    if (rack_active()) sent_.unmark_all_lost();
    plan_.lost = false;
  }
  if (d == UndoTracker::Decision::kUndoLoss) {
    snd_nxt_ = snd_max_;
    count_rack(&TcpRackCounters::undo_rto);
    return;
  }
  // A fast retransmit was spurious: the path reorders more than RACK allowed for.
  rack_.on_spurious_retransmission();
  count_rack(d == UndoTracker::Decision::kUndoDsack ? &TcpRackCounters::undo_dsack
                                                    : &TcpRackCounters::undo_recovery);
}

void TcpConnection::drag_marks_along() {
  // Marks compared with SND.UNA mod 2^32 (RFC 9293 §3.4) give the wrong answer once they are
  // 2^31 behind it: left alone over a long transfer without loss or small segments, recover_
  // would look ahead of SND.UNA (no more fast retransmits, RFC 6582 §3.2 step 2), snd_sml_
  // would hold every small segment (Nagle) and high_rxt_ would skip holes. A mark SND.UNA has
  // passed means nothing any more: keep it just behind SND.UNA (as Linux's high_seq and
  // snd_sml are only ever compared while they are recent).
  if (recover_ < snd_una_ - 1) recover_ = snd_una_ - 1;
  if (snd_sml_ < snd_una_) snd_sml_ = snd_una_;
  if (high_rxt_ < snd_una_) high_rxt_ = snd_una_;
  if (cwnd_usage_seq_ < snd_una_ - 1) cwnd_usage_seq_ = snd_una_ - 1;
}

bool TcpConnection::cwnd_limited() const {
  // RFC 7661 §4 / RFC 5681 §3.1 (Linux tcp_is_cwnd_limited): an application-limited sender
  // does not grow cwnd. In slow start cwnd may grow while it is below twice the largest flight
  // of the last round; in congestion avoidance only if that flight filled it (to within an MSS).
  std::uint32_t cwnd = cc_->cwnd();
  if (cwnd < cc_->ssthresh()) return cwnd < 2 * max_flight_;
  return max_flight_ + snd_mss_ > cwnd;
}

void TcpConnection::cwnd_validate(Instant now) {
  // Congestion window validation as Linux does it (tcp_cwnd_validate,
  // tcp_cwnd_application_limited), which follows RFC 2861 §3 rather than its successor RFC
  // 7661: Linux is the reference, and RFC 7661's pipeACK measurement and non-validated phase
  // (§4.3-§5) exist in no widely deployed stack. Both agree on the two halves:
  // - cwnd does not grow while the sender does not use it (cwnd_limited(), RFC 7661 §4.1's
  //   "validated" test: in slow start a flight of half of cwnd counts as using it);
  // - a window left unused for an RTO decays (RFC 2861 §3: "for every RTO the sender has been
  //   application-limited"; RFC 7661 §4.4 instead reduces to max(pipeACK, IW) once after the
  //   non-validated period): cwnd = (cwnd + max(largest flight, IW)) / 2 and ssthresh keeps
  //   3/4 of the old window - in the Open state only, and not while the application is
  //   blocked on a full send buffer (Linux SOCK_NOSPACE: then the network, not the
  //   application, set the pace).
  // The idle half, after nothing was in flight for an RTO, is restart_after_idle() in
  // transmit() (RFC 5681 §4.1).
  if (cwnd_limited()) {
    cwnd_used_ = 0;
    cwnd_stamp_ = now;
    return;
  }
  cwnd_used_ = std::max(cwnd_used_, flight_size());
  if (now - cwnd_stamp_ < rtt_.rto()) return;
  if (ca_state_ == CaState::kOpen && snd_buf_.free() > 0) {
    std::uint32_t before = cc_->cwnd();
    cc_->application_limited(cwnd_used_, snd_mss_);
    if (cc_->cwnd() != before) trace_cwnd(now, "app-limited", before);
    cwnd_used_ = 0;
  }
  cwnd_stamp_ = now;
}

void TcpConnection::update_send_window(Instant now, const TcpRepr& seg) {
  // RFC 9293 §3.10.7.4 "fifth": "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be
  // updated" - not from an older ACK (Linux tcp_ack: old_ack) - and only from a segment newer
  // than the one that last updated it (SND.WL1/SND.WL2), so old reordered segments cannot
  // shrink it.
  if (seg.ack < snd_una_) return;
  if (snd_wl1_ < seg.seq || (snd_wl1_ == seg.seq && snd_wl2_ <= seg.ack)) {
    std::uint32_t wnd =
        seg.has(kSyn) ? seg.window : static_cast<std::uint32_t>(seg.window) << snd_wscale_;
    if (wnd != snd_wnd_) {
      trace(now, TraceKind::kTcpWindow, "snd_wnd", 0, 0, wnd);
      if (snd_wnd_ == 0 && wnd > 0) {
        // The window opened: the persist timer is no longer needed.
        persist_at_ = Instant::never();
        persist_backoff_ = 0;
      }
    }
    snd_wnd_ = wnd;
    max_snd_wnd_ = std::max(max_snd_wnd_, wnd);
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
  }
}

void TcpConnection::on_urgent(const TcpRepr& seg) {
  // RFC 9293 §3.10.7.4 "sixth": in ESTABLISHED and FIN-WAIT-1/2 take the urgent pointer
  // (RCV.UP) and signal the user when it advances (MUST-32); after the peer's FIN it "should
  // not occur" and is ignored. Linux (tcp_urg, before tcp_data_queue) with BSD's one-octet
  // reading, urgent.h; every segment's text is looked at for an urgent octet still awaited.
  if (state_ != TcpState::kEstablished && state_ != TcpState::kFinWait1 &&
      state_ != TcpState::kFinWait2) {
    return;
  }
  if (seg.has(kUrg)) {
    auto u = urg_.on_pointer(seg.seq, seg.urgent, copied_seq(), rcv_nxt_, cfg_.oob_inline);
    if (u.skip_old_octet) rcv_buf_.consume(1);
    if (u.signal) stats_.urgent_in++;
  }
  urg_.on_payload(seg.seq, seg.payload);
}

void TcpConnection::on_ecn_marks(const TcpRepr& seg, std::uint8_t ip_ecn) {
  // RFC 3168 §6.1.3 on data segments only (Linux tcp_data_queue). A new CE mark gets its ECE
  // back at once, as Linux's tcp_ecn_check_ce enters quick-ACK mode for two segments.
  if (seg.payload.empty() || !ecn_.on_data(seg.flags, ip_ecn)) return;
  quick_acks_ = std::max(quick_acks_, 2u);
}

void TcpConnection::on_ecn_echo(Instant now, const AckInfo& ack) {
  // RFC 3168 §6.1.2 (Linux tcp_ack FLAG_ECE -> tcp_enter_cwr): "the TCP source halves the
  // congestion window cwnd and reduces the slow start threshold ssthresh", retransmits
  // nothing, and sets CWR on the next new data.
  // §6.1.2: "the congestion window should be reduced only once in response to a series of
  // dropped and/or CE packets from a single window of data". Linux tcp_enter_cwr acts only
  // below TCP_CA_CWR: in CWR the same window is being reduced, and Recovery and Loss reduced
  // for it already (tcp_fastretrans_alert does not look at FLAG_ECE in those states).
  if (ca_state_ != CaState::kOpen && ca_state_ != CaState::kDisorder) return;
  set_ca_state(now, CaState::kCwr, "ecn-echo");
  ecn_.on_cwr(snd_max_);
  if (!cfg_.prr) {
    // Without PRR: cwnd = ssthresh at once.
    cc_->on_ecn_echo(now, ack.prior_flight, snd_mss_);
    trace_cwnd(now, "ecn-echo");
    return;
  }
  // Linux tcp_enter_cwr -> tcp_init_cwnd_reduction: ssthresh now, cwnd as it was; then, as
  // in fast recovery, PRR (RFC 6937 §3) spreads the reduction over the ACKs of the next round
  // trip (tcp_cwnd_reduction, from this ACK on) with RecoverFS = the cwnd before it (Linux
  // prior_cwnd), until the ACK beyond the window ends CWR with cwnd = ssthresh (cong_control).
  std::uint32_t prior_cwnd = cc_->cwnd();
  cc_->on_enter_recovery(now, ack.prior_flight, snd_mss_);
  cc_->set_cwnd_in_recovery(prior_cwnd);
  prr_.on_enter(prior_cwnd, cc_->ssthresh(), snd_mss_);
  trace_cwnd(now, "ecn-echo");
  prr_on_ack(now, ack);
}

void TcpConnection::on_text(Instant now, const TcpRepr& seg) {
  // RFC 9293 §3.10.7.4 "seventh": only ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 take data.
  if (seg.payload.empty()) return;
  if (state_ != TcpState::kEstablished && state_ != TcpState::kFinWait1 &&
      state_ != TcpState::kFinWait2) {
    return;
  }
  if (user_closed_) {
    // Linux (tcp_rcv_state_process): data for a socket the user closed cannot be delivered;
    // reset the connection so the peer learns it.
    plan_.send_rst(seg.ack, false, "data-after-close");
    enter_closed(now, TcpError::kAborted);
    return;
  }
  if (cfg_.recv_buffer_tuned()) rcv_space_measure(now, seg);
  SeqNum seq = seg.seq;
  Bytes data = seg.payload;
  if (seq < rcv_nxt_) {
    // Part of the segment was received before: trim it and report the duplicate part.
    std::uint32_t dup = static_cast<std::uint32_t>(rcv_nxt_ - seq);
    if (sack_ok_) {
      dsack_ = TcpSackBlock{seq, rcv_nxt_};
      stats_.dsacks_out++;
    }
    data = data.subspan(std::min<std::size_t>(dup, data.size()));
    seq = rcv_nxt_;
    plan_.want_ack("duplicate-data");
  }
  // Trim to the window we offered and to the room in the ring.
  std::uint32_t limit = std::min<std::uint32_t>(rcv_wnd(), rcv_buf_.free());
  std::uint32_t off = static_cast<std::uint32_t>(seq - rcv_nxt_);
  if (data.empty() || off >= limit) {
    plan_.want_ack(
        "out-of-window");  // beyond the window (or nothing new): tell the peer where we are
    return;
  }
  std::uint32_t len = std::min<std::uint32_t>(static_cast<std::uint32_t>(data.size()), limit - off);
  rcv_buf_.write_at(rcv_buf_.size() + off, data.first(len));
  stats_.bytes_received += len;
  rcv_mss_ = std::max(rcv_mss_, std::min<std::uint32_t>(len, adv_mss_));
  if (off == 0) {
    bool had_holes = !ooo_.empty();
    rcv_buf_.commit(len);
    rcv_nxt_ += len;
    unacked_rcv_bytes_ += len;
    while (auto right = ooo_.pop_contiguous(rcv_nxt_)) {
      if (*right > rcv_nxt_) {
        rcv_buf_.commit(static_cast<std::uint32_t>(*right - rcv_nxt_));
        rcv_nxt_ = *right;
      }
    }
    // RFC 5681 §4.2: ACK at once when a segment fills (part of) a gap.
    schedule_ack(now, had_holes);
    if (ooo_fin_ && *ooo_fin_ == rcv_nxt_ && !seg.has(kFin)) {
      ooo_fin_.reset();
      on_fin(now);
    }
    return;
  }
  // Out of order: keep it and send an immediate duplicate ACK (RFC 5681 §4.2) whose SACK
  // blocks tell the sender what arrived (RFC 2018 §4).
  stats_.ooo_segs_in++;
  switch (ooo_.add(seq, seq + len)) {
    case Assembler::AddResult::kAdded:
      break;
    case Assembler::AddResult::kDuplicate:
      if (sack_ok_) {
        dsack_ = TcpSackBlock{seq, seq + len};
        stats_.dsacks_out++;
      }
      break;
    case Assembler::AddResult::kFull:
      stats_.drops_ooo_full++;
      break;
  }
  plan_.want_ack("out-of-order");  // RFC 5681 §4.2: an immediate duplicate ACK
}

void TcpConnection::on_fin(Instant now) {
  // RFC 9293 §3.10.7.4 "eighth".
  rcv_nxt_ += 1;
  fin_received_ = true;
  switch (state_) {
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
      set_state(now, TcpState::kCloseWait);
      // Linux (tcp_fin): the connection turns interactive and the FIN is acknowledged like
      // data, by the delayed-ACK timer (RFC 1122 §4.2.3.2), so an application that closes at
      // once sends its FIN with the ACK. More than a full segment unacknowledged, data out of
      // order or a D-SACK to report still go at once (the FIN counts as one octet, as
      // Linux's rcv_nxt - rcv_wup > rcv_mss does).
      // Before any data, Linux's ACK timeout (ato) is still 0 and the timer fires at the next
      // tick: effectively at once.
      quick_acks_ = 0;
      if (unacked_rcv_bytes_ >= rcv_mss_ || !ooo_.empty() || dsack_ || rcv_nxt_ == irs_ + 2) {
        plan_.want_ack("fin");
      } else {
        plan_.ack = false;
        if (delack_at_.is_never()) delack_at_ = now + cfg_.delayed_ack;
      }
      return;
    default:
      break;
  }
  plan_.want_ack("fin");
  switch (state_) {
    case TcpState::kFinWait1:
      // Our FIN acknowledged too: TIME-WAIT; otherwise simultaneous close: CLOSING.
      if (fin_acked()) {
        enter_time_wait(now);
      } else {
        set_state(now, TcpState::kClosing);
      }
      break;
    case TcpState::kFinWait2:
      enter_time_wait(now);
      break;
    case TcpState::kTimeWait:
      close_at_ = now + cfg_.time_wait;
      break;
    default:  // CLOSE-WAIT, CLOSING, LAST-ACK: remain
      break;
  }
}

void TcpConnection::on_icmp_error(Instant now, const IcmpError& err) {
  if (err.kind == IcmpError::Kind::kFragmentationNeeded) {
    // RFC 1191 §6.4 / RFC 8201: lower the MSS to fit the path and resend what is outstanding
    // (Linux tcp_simple_retransmit: no congestion response, it was not congestion).
    if (err.next_hop_mtu < 68) return;
    mtu_ = std::min<std::size_t>(mtu_, err.next_hop_mtu);
    std::uint32_t hdr =
        ip_header_len(tuple_.remote) + TcpRepr::kMinHeaderLen + (ts_ok_ ? kTimestampOptionLen : 0);
    if (err.next_hop_mtu <= hdr + 48) return;
    std::uint32_t mss = err.next_hop_mtu - hdr;
    if (mss < snd_mss_) {
      snd_mss_ = mss;
      if (snd_max_ > snd_una_ && synchronized()) {
        snd_nxt_ = snd_una_;
        undo_.forbid_undo();  // these resends are needed (tcp_simple_retransmit: undo_marker = 0)
        // Linux tcp_simple_retransmit enters the Loss state (high_seq = SND.NXT) without a
        // cwnd change: RACK and TLP stand aside while the go-back-N walk resends.
        if (rack_active()) {
          recover_ = snd_max_;
          // In fast recovery the state stays Recovery: its reduction ends as usual when SND.UNA
          // passes the new recover_.
          if (!in_fast_recovery()) set_ca_state(now, CaState::kLoss, "pmtu");
          enter_loss_recovery();
        }
      }
    }
    return;
  }
  // RFC 9293 §3.9.2.2 (MUST-55): source quench and other messages we do not know are
  // discarded.
  if (err.kind == IcmpError::Kind::kOther) return;
  TcpError e = icmp_to_error(err.kind);
  // RFC 5927 §4.1 / RFC 1122 §4.2.3.9: a hard error (protocol or port unreachable,
  // administratively prohibited) aborts a connection that is still connecting. Net/host
  // unreachable, source route failed, time exceeded and parameter problem never abort
  // (MUST-56); they are "soft": remembered and reported if the connection later times out.
  bool hard_kind = err.kind == IcmpError::Kind::kProtocolUnreachable ||
                   err.kind == IcmpError::Kind::kPortUnreachable ||
                   err.kind == IcmpError::Kind::kAdminProhibited;
  if (err.hard && hard_kind && (state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived)) {
    enter_closed(now, e);
    return;
  }
  soft_error_ = e;
}

// --- State changes --------------------------------------------------------------------------

void TcpConnection::set_state(Instant now, TcpState s) {
  if (s == state_) return;
  trace_state(now, s);
  state_ = s;
}

void TcpConnection::enter_closed(Instant now, std::optional<TcpError> err) {
  if (err && !error_) error_ = err;
  set_state(now, TcpState::kClosed);
  rto_at_ = delack_at_ = persist_at_ = keepalive_at_ = close_at_ = Instant::never();
  // A RST still goes out; nothing else does.
  plan_.ack = plan_.syn = plan_.window_probe = plan_.head = plan_.force = plan_.next_hole = false;
  ooo_.clear();
  sacked_.clear();
}

void TcpConnection::enter_established(Instant now) {
  set_state(now, TcpState::kEstablished);
  cc_->init(snd_mss_);
  cwnd_stamp_ = now;
  trace_cwnd(now, "init");
  quick_acks_ = std::clamp<unsigned>(static_cast<unsigned>(rcv_buf_.capacity() / (2 * rcv_mss_)), 2,
                                     kMaxQuickAcks);
  if (cfg_.keepalive) keepalive_at_ = now + cfg_.keepalive_idle;
  // RFC 6298 §5.7: the SYN (or SYN-ACK) was retransmitted and the handshake gave no RTT sample
  // (Karn): the RTO starts at 3 s, not backed off (Linux tcp_init_transfer,
  // TCP_TIMEOUT_FALLBACK).
  if (!rtt_.srtt()) {
    rtt_.reinitialize_without_sample(kRtoFallback);
    backoff_ = 0;
  }
  if (fin_queued_) set_state(now, TcpState::kFinWait1);
  // Linux tcp_init_buffer_space: the send buffer starts at two initial windows, and the
  // receiver's first measurement expects 10 segments.
  if (cfg_.send_buffer_tuned()) sndbuf_expand();
  if (cfg_.recv_buffer_tuned()) rcv_tuner_.init(now, copied_seq(), rcv_wnd(), adv_mss_);
}

void TcpConnection::enter_time_wait(Instant now) {
  set_state(now, TcpState::kTimeWait);
  // RFC 9293 §3.10.7.4: 2 MSL; Linux uses a fixed 60 s (TCP_TIMEWAIT_LEN).
  close_at_ = now + cfg_.time_wait;
  rto_at_ = persist_at_ = keepalive_at_ = Instant::never();
}

bool TcpConnection::synchronized() const {
  return state_ != TcpState::kClosed && state_ != TcpState::kListen && state_ != TcpState::kSynSent;
}

// --- User calls -----------------------------------------------------------------------------

std::size_t TcpConnection::send(Bytes data) {
  if ((state_ != TcpState::kEstablished && state_ != TcpState::kCloseWait) || fin_queued_) {
    return 0;
  }
  plan_.poked = true;  // transmit() decides: send, wait for the window (persist), or Nagle
  std::size_t n = snd_buf_.write(data);
  if (n < data.size()) snd_nospace_ = true;
  return n;
}

std::size_t TcpConnection::send_urgent(Bytes data) {
  std::size_t n = send(data);
  // Linux tcp_mark_urg: SND.UP = write_seq, just after the last octet queued (MUST-62).
  if (n > 0) snd_up_ = data_end();
  return n;
}

std::size_t TcpConnection::read_stream(MutBytes out) {
  // Linux tcp_recvmsg_locked: a read stops at the urgent mark once it has copied something,
  // so the reader can ask at_mark(); at the mark the urgent octet is skipped unless
  // SO_OOBINLINE, and the read goes on behind it.
  std::size_t n = 0;
  while (n < out.size() && !rcv_buf_.empty()) {
    SeqNum seq = copied_seq();
    std::size_t want = out.size() - n;
    if (urg_.marked() && urg_.mark() == seq) {
      if (n > 0) break;
      if (!cfg_.oob_inline) {
        rcv_buf_.consume(1);
        urg_.on_read(copied_seq());
        continue;
      }
    } else if (urg_.marked() && urg_.mark() > seq) {
      want = std::min<std::size_t>(want, static_cast<std::uint32_t>(urg_.mark() - seq));
    }
    n += rcv_buf_.read(out.subspan(n, want));
    urg_.on_read(copied_seq());
  }
  return n;
}

std::size_t TcpConnection::stream_bytes() const {
  std::size_t n = rcv_buf_.size();
  if (n > 0 && at_mark() && !cfg_.oob_inline) --n;
  return n;
}

Result<std::size_t, TcpError> TcpConnection::recv_urgent(MutBytes out) {
  // Linux tcp_recv_urg, errno for errno ("Yes this is right !" for EINVAL).
  using State = UrgentReceiver::State;
  if (cfg_.oob_inline || urg_.state() == State::kNone || urg_.state() == State::kRead) {
    return Err(TcpError::kInvalid);
  }
  if (state_ == TcpState::kClosed && !fin_received_) return Err(TcpError::kNotConnected);
  if (urg_.state() == State::kValid) {
    urg_.mark_read();
    if (out.empty()) return std::size_t{0};
    out[0] = urg_.octet();
    return std::size_t{1};
  }
  if (state_ == TcpState::kClosed || fin_received_) return std::size_t{0};
  // BSD and Linux agree: recv(MSG_OOB) never blocks, whatever the socket's blocking mode.
  return Err(TcpError::kWouldBlock);
}

std::size_t TcpConnection::recv(MutBytes out) {
  std::uint32_t before = rcv_wnd();
  std::size_t buffered = rcv_buf_.size();
  std::size_t n = read_stream(out);
  if (n > 0 && cfg_.recv_buffer_tuned() && synchronized()) rcv_space_adjust();
  // All read and nothing held out of order: the storage goes back until more data comes.
  if (ooo_.empty()) rcv_buf_.release_if_empty();
  // A skipped urgent octet frees room too.
  if (rcv_buf_.size() == buffered || !synchronized() || fin_received_) return n;
  // Linux __tcp_cleanup_rbuf: announce the opened window if it at least doubles what the
  // peer may send now (includes the window update after a zero window).
  std::uint32_t max_wnd = std::min<std::uint32_t>(static_cast<std::uint32_t>(rcv_buf_.capacity()),
                                                  65535u << rcv_wscale_);
  if (2 * before <= max_wnd) {
    std::uint32_t w = prospective_window();
    if (w > 0 && w >= 2 * before) plan_.want_ack("window-update");
  }
  return n;
}

void TcpConnection::shutdown() {
  // RFC 9293 §3.10.4 CLOSE as a half-close: "queue this until all preceding SENDs have been
  // segmentized, then form a FIN segment".
  plan_.poked = true;
  switch (state_) {
    case TcpState::kSynSent:
    case TcpState::kListen:
      enter_closed(clock_, std::nullopt);
      return;
    case TcpState::kSynReceived:
      fin_queued_ = true;  // FIN-WAIT-1 once established
      return;
    case TcpState::kEstablished:
      fin_queued_ = true;
      set_state(clock_, TcpState::kFinWait1);
      return;
    case TcpState::kCloseWait:
      fin_queued_ = true;
      set_state(clock_, TcpState::kLastAck);
      return;
    default:  // already closing
      return;
  }
}

void TcpConnection::close() {
  user_closed_ = true;
  // Linux tcp_close: unread data means the application lost it; tell the peer with a RST
  // instead of a FIN (RFC 2525 §2.17).
  if (!rcv_buf_.empty() && synchronized() && state_ != TcpState::kTimeWait) {
    abort();
    return;
  }
  shutdown();
  if (state_ == TcpState::kFinWait2) close_at_ = clock_ + cfg_.fin_timeout;
}

void TcpConnection::abort() {
  user_closed_ = true;
  // RFC 9293 §3.10.5: in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-*, CLOSE-WAIT send a reset.
  switch (state_) {
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
    case TcpState::kCloseWait:
      plan_.send_rst(snd_max_, true, "abort");
      break;
    default:
      break;
  }
  enter_closed(clock_, TcpError::kAborted);
}

void TcpConnection::set_keepalive(bool on, Duration idle, Duration interval, unsigned count) {
  cfg_.keepalive = on;
  cfg_.keepalive_idle = idle;
  cfg_.keepalive_interval = interval;
  cfg_.keepalive_count = count;
  keepalive_at_ = on && synchronized() ? last_rx_ + idle : Instant::never();
}

bool TcpConnection::readable() const {
  return stream_bytes() > 0 || fin_received_ || error_.has_value() || state_ == TcpState::kClosed;
}

bool TcpConnection::writable() const {
  return (state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait) && !fin_queued_ &&
         snd_buf_.free() > 0;
}

bool TcpConnection::time_wait_allows_reuse(const TcpRepr& syn) const {
  if (state_ != TcpState::kTimeWait) return false;
  // RFC 6191 §2: with timestamps, a SYN whose TSval is newer than the last one seen.
  if (ts_ok_ && syn.options.timestamps) {
    return static_cast<std::int32_t>(syn.options.timestamps->val - ts_recent_) > 0;
  }
  // RFC 1122 §4.2.2.13: otherwise its ISN must be above the old connection's final sequence.
  return syn.seq > rcv_nxt_;
}

TcpConnection::TimeWaitView TcpConnection::time_wait_view() const {
  TimeWaitView v;
  v.ts_ok = ts_ok_;
  v.ts_recent = ts_recent_;
  v.ts_recent_at = ts_recent_at_;
  v.ts_offset = ts_offset_;
  // The window last advertised (Linux tw_rcv_wnd = tcp_receive_window()), in the field's units.
  v.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(rcv_wnd() >> rcv_wscale_, 65535));
  v.expires = close_at_;
  return v;
}

TcpStats TcpConnection::stats() const {
  TcpStats s = stats_;
  s.state = state_;
  s.ca_state = ca_state_;
  s.rto = rtt_.backed_off_rto(backoff_);
  s.srtt = rtt_.srtt().value_or(Duration::zero());
  s.rttvar = rtt_.rttvar();
  s.rcv_rtt = rcv_tuner_.rtt();
  s.snd_mss = snd_mss_;
  s.rcv_mss = rcv_mss_;
  s.rcvbuf = static_cast<std::uint32_t>(rcv_buf_.capacity());
  s.sndbuf = static_cast<std::uint32_t>(snd_buf_.capacity());
  s.adv_mss = adv_mss_;
  s.congestion = cc_->name();
  s.cwnd = cc_->cwnd();
  s.ssthresh = cc_->ssthresh();
  s.snd_wnd = snd_wnd_;
  s.rcv_wnd = rcv_wnd();
  s.snd_wscale = snd_wscale_;
  s.rcv_wscale = rcv_wscale_;
  s.sack = sack_ok_;
  s.timestamps = ts_ok_;
  s.ecn = ecn_.ok();
  s.ecn_events = ecn_.counters();
  s.unacked = flight_size();
  s.unsent = data_end() > snd_max_ ? static_cast<std::uint32_t>(data_end() - snd_max_) : 0;
  s.unread = static_cast<std::uint32_t>(rcv_buf_.size());
  s.backoff = backoff_;
  return s;
}

// --- Timers ---------------------------------------------------------------------------------

Instant TcpConnection::poll_at() const {
  if (plan_.due() || (can_send_data_state() && plan_data_segment())) {
    return Instant::zero();
  }
  return std::min(
      {rto_at_, delack_at_, persist_at_, keepalive_at_, close_at_, rack_reo_at_, tlp_at_});
}

bool TcpConnection::output_may_wait() const {
  if (state_ != TcpState::kEstablished || plan_.rst || plan_.syn || plan_.window_probe) {
    return false;
  }
  // A duplicate ACK's output goes at once (Limited Transmit, the fast retransmit "on the
  // third", PRR's share of each later one): Linux's GRO merges no pure ACKs, so tcp_ack acts
  // on each; waiting for the burst would lose Limited Transmit's segments (the third ACK ends
  // it) and PRR's per-ACK shares. So does a retransmission a partial ACK or RACK planned.
  if (dup_acks_ > 0 || plan_.head || plan_.lost_ignore_cwnd) return false;
  if (!plan_.ack) return true;
  const std::string_view why = plan_.ack_why;
  return why == "second-segment" || why == "quickack" || why == "gap-filled" ||
         why == "window-update";
}

void TcpConnection::poll(Instant now, TcpSink sink) {
  clock_ = now;
  fire_timers(now);
  transmit(now, sink);
}

void TcpConnection::fire_timers(Instant now) {
  if (close_at_ <= now) {
    // TIME-WAIT expired (RFC 9293 §3.10.8), or the orphaned FIN-WAIT-2 timed out (Linux).
    close_at_ = Instant::never();
    trace(now, TraceKind::kTcpTimer, state_ == TcpState::kTimeWait ? "time_wait" : "fin_wait2");
    enter_closed(now, std::nullopt);
    return;
  }
  if (tlp_at_ <= now && tlp_at_ <= rto_at_) {
    // RFC 8985 §7.2-7.3: the PTO stands in for the RTO (it is never later); when it fires the
    // probe goes out and the RTO runs again in full, so a PTO capped at the RTO still wins.
    tlp_at_ = Instant::never();
    trace(now, TraceKind::kTcpTimer, "tlp");
    plan_.loss_probe = true;
    arm_rto(now);
  }
  if (rto_at_ <= now) on_rto(now);
  if (state_ == TcpState::kClosed) return;
  if (rack_reo_at_ <= now) {
    // RFC 8985 §6.2 step 5: the reordering window of a segment ran out.
    rack_reo_at_ = Instant::never();
    trace(now, TraceKind::kTcpTimer, "rack");
    if (rack_active()) {
      bool was_in_recovery = in_fast_recovery();
      rack_detect_loss_and_arm_timer(now);
      // Linux tcp_rack_reo_timeout: recovery entered from the timer reduces as if one
      // segment had been delivered.
      if (!was_in_recovery && cfg_.prr && in_fast_recovery()) prr_on_ack(now, snd_mss_, false);
    }
  }
  if (delack_at_ <= now) {
    delack_at_ = Instant::never();
    trace(now, TraceKind::kTcpTimer, "delack");
    plan_.want_ack("delack");
  }
  if (persist_at_ <= now) {
    // RFC 9293 §3.8.6.1 zero-window probing, persist backoff like Linux (tcp_probe_timer):
    // if some window is open send what fits, else probe with <SEQ=SND.UNA-1>.
    persist_at_ = Instant::never();
    trace(now, TraceKind::kTcpTimer, "persist");
    // MUST-37: the window may stay closed for ever while the peer answers the probes; a
    // peer that answers none of retries2 probes is gone (Linux tcp_probe_timer).
    if (unanswered_probes_ >= cfg_.retries2) {
      enter_closed(now, soft_error_.value_or(TcpError::kTimedOut));
      return;
    }
    SeqNum edge = snd_una_ + snd_wnd_;
    if (snd_wnd_ > 0 && edge > snd_nxt_) {
      plan_.force = true;
    } else {
      plan_.window_probe = true;
      plan_.probe_why = "zero-window-probe";
      ++unanswered_probes_;
      stats_.zero_window_probes++;
    }
    ++persist_backoff_;
  }
  if (keepalive_at_ <= now) {
    // RFC 1122 §4.2.3.6 / Linux tcp_keepalive_timer.
    keepalive_at_ = Instant::never();
    if (keepalive_probes_ >= cfg_.keepalive_count) {
      plan_.send_rst(snd_max_, true, "keepalive-timeout");
      enter_closed(now, soft_error_.value_or(TcpError::kTimedOut));
      return;
    }
    if (snd_max_ == snd_una_ && snd_buf_.size() == 0) {
      plan_.window_probe = true;
      plan_.probe_why = "keepalive";
      ++keepalive_probes_;
      stats_.keepalives++;
      trace(now, TraceKind::kTcpTimer, "keepalive");
    }
    keepalive_at_ = now + cfg_.keepalive_interval;
  }
}

void TcpConnection::on_rto(Instant now) {
  rto_at_ = Instant::never();
  trace(now, TraceKind::kTcpTimer, "rto");
  switch (state_) {
    case TcpState::kSynSent:
    case TcpState::kSynReceived: {
      unsigned limit = state_ == TcpState::kSynSent ? cfg_.syn_retries : cfg_.synack_retries;
      if (retransmits_ >= limit) {
        enter_closed(now, soft_error_.value_or(TcpError::kTimedOut));
        return;
      }
      ++retransmits_;
      ++backoff_;
      stats_.retrans_rto++;
      rtt_seq_.reset();  // Karn: no RTT sample from a retransmitted SYN
      snd_nxt_ = iss_;
      plan_.syn = true;
      trace(now, TraceKind::kTcpRetransmit, "rto", iss_.raw(), 0);
      return;
    }
    case TcpState::kClosed:
    case TcpState::kListen:
    case TcpState::kTimeWait:
      return;
    default:
      break;
  }
  if (snd_max_ == snd_una_) return;
  // RFC 9293 §3.8.6.1 (MUST-34/36): the peer closed its window with data in flight, so the
  // head retransmission is a window probe, and the connection must not time out while the peer
  // answers (each answer clears unanswered_probes_). Like Linux tcp_retransmit_timer ("our
  // retransmits become zero probes") and tcp_rtx_probe0_timed_out, a peer that answers none of
  // retries2 probes is gone; an orphaned socket counts every retransmission, as before.
  bool window_probe = snd_wnd_ == 0 && !user_closed_;
  if (window_probe ? unanswered_probes_ >= cfg_.retries2 : retransmits_ >= cfg_.retries2) {
    enter_closed(now, soft_error_.value_or(TcpError::kTimedOut));
    return;
  }
  // RFC 6298 §5.4-5.6 and RFC 5681 §3.1: back off, collapse cwnd, resend from SND.UNA
  // (go-back-N: what the peer already holds is acknowledged by its next ACK).
  bool reduce = rto_reduces_ssthresh();
  undo_.on_enter_recovery(UndoTracker::Episode::kLoss, cc_->cwnd(), cc_->ssthresh(), snd_una_,
                          snd_max_, /*new_reduction=*/reduce);
  cc_->on_rto(now, flight_size(), snd_mss_, reduce);
  cwnd_stamp_ = now;  // Linux tcp_enter_loss
  ecn_.queue_cwr();   // RFC 3168 §6.1.2: CWR on the next new data (Linux tcp_enter_loss)
  trace_cwnd(now, "rto");
  set_ca_state(now, CaState::kLoss, "rto");
  enter_loss_recovery();
  dup_acks_ = 0;
  recover_ = snd_max_;  // RFC 6582 §3.2 step 4 (retransmit timeouts)
  snd_nxt_ = snd_una_;
  high_rxt_ = snd_una_;
  // RFC 2018 §8: a receiver may renege on SACKed data. Go-back-N skips SACKed ranges after
  // one timeout, but a second timeout in a row forgets them so reneged data is resent.
  if (backoff_ > 0) sacked_.clear();
  if (window_probe) {
    ++unanswered_probes_;
    stats_.zero_window_probes++;
  } else {
    ++retransmits_;
  }
  ++backoff_;
  stats_.retrans_rto++;
  rtt_seq_.reset();
  ts_min_echo_ = ts_now(now);
  // The head goes out even if SWS/Nagle would hold it; into a zero window only as the
  // retransmission of the head (plan_data_segment() sends nothing beyond the window).
  plan_.head = window_probe;
  plan_.force = !window_probe;
  rto_at_ = now + rtt_.backed_off_rto(backoff_);
}

bool TcpConnection::rto_reduces_ssthresh() const {
  // Linux tcp_enter_loss: "Reduce ssthresh if it has not yet been made inside this window" -
  // icsk_ca_state <= TCP_CA_Disorder || !after(high_seq, snd_una) || (icsk_ca_state ==
  // TCP_CA_Loss && !icsk_retransmits). A timeout inside the window that fast recovery or an
  // ECE (RFC 3168 §6.1.2, once per window) reduced keeps that ssthresh; so does a backed-off
  // timeout of the same head (retransmits_ is cleared by an ACK that advances SND.UNA, as
  // icsk_retransmits is).
  switch (ca_state_) {
    case CaState::kOpen:
    case CaState::kDisorder:
      return true;
    case CaState::kCwr:
      return !ecn_.in_cwr();
    case CaState::kRecovery:
      return snd_una_ >= recover_;
    case CaState::kLoss:
      return snd_una_ >= recover_ || retransmits_ == 0;
  }
  return true;
}

void TcpConnection::set_congestion(CongestionAlgorithm a) {
  // Linux tcp_reinit_congestion_control: the new algorithm keeps cwnd and ssthresh.
  cfg_.congestion = a;
  std::unique_ptr<CongestionControl> next = make_congestion_control(a);
  next->resume(cc_->cwnd(), cc_->ssthresh(), snd_mss_);
  cc_ = std::move(next);
}

void TcpConnection::arm_rto(Instant now) { rto_at_ = now + rtt_.backed_off_rto(backoff_); }

void TcpConnection::rtt_sample(Instant now, Duration r) {
  rtt_.sample(r);
  rack_.on_rtt_sample(now, r);                     // RFC 8985 §6.2 step 1: RACK.min_RTT
  cc_->on_rtt_sample(now, r, snd_una_, snd_max_);  // HyStart++ rounds (RFC 9406 §4.2)
  trace(now, TraceKind::kTcpRttSample, "rtt", 0, 0, r.total_nanos(), rtt_.rto().total_nanos());
}

void TcpConnection::challenge_ack(Instant now) {
  // RFC 5961 §7: rate-limit challenge ACKs.
  if (now - challenge_window_start_ >= Duration::seconds(1)) {
    challenge_window_start_ = now;
    challenge_count_ = 0;
  }
  if (challenge_count_ >= cfg_.challenge_ack_limit) return;
  ++challenge_count_;
  stats_.challenge_acks++;
  plan_.want_ack("challenge");  // RFC 5961 §3.2, §4.2
}

void TcpConnection::schedule_ack(Instant now, bool immediate) {
  // Linux delayed ACK: quick ACKs at the start of a connection, an ACK for at least every
  // second full-sized segment (RFC 5681 §4.2, RFC 1122 §4.2.3.2), otherwise within 40 ms.
  if (immediate || quick_acks_ > 0 || unacked_rcv_bytes_ > rcv_mss_) {
    plan_.want_ack(immediate ? "gap-filled" : quick_acks_ > 0 ? "quickack" : "second-segment");
  } else if (delack_at_.is_never()) {
    delack_at_ = now + cfg_.delayed_ack;
  }
}

// --- Buffer auto-tuning (buffer_tuning.h) ---------------------------------------------------

void TcpConnection::rcv_space_measure(Instant now, const TcpRepr& seg) {
  // Linux tcp_rcv_rtt_measure_ts: a full-sized segment echoing a new TSval of ours measures
  // the receiver's RTT; without timestamps, tcp_rcv_rtt_measure times a window's worth of data.
  // A 0 ms timestamp sample only says the RTT is below the timestamp clock's 1 ms tick: Linux
  // then takes 1 ms, which on a TUN or a LAN (tens of µs) makes the buffer grow to what the
  // application reads in 1 ms (megabytes at 10 Gbit/s) and the data go cold in it before it is
  // read. ustack times the window instead, with its µs clock.
  if (ts_ok_ && seg.options.timestamps && seg.options.timestamps->ecr != 0) {
    std::uint32_t ms = ts_now(now) - seg.options.timestamps->ecr;
    if (ms > 0 && ms < 0x7fffffff) {
      if (seg.payload.size() >= rcv_mss_) {
        rcv_tuner_.on_timestamp_sample(seg.options.timestamps->ecr, Duration::millis(ms));
      }
      return;
    }
  }
  rcv_tuner_.on_data(now, rcv_nxt_, rcv_wnd());
}

void TcpConnection::rcv_space_adjust() {
  std::size_t want =
      rcv_tuner_.adjust(clock_, copied_seq(), static_cast<std::uint32_t>(rcv_buf_.size()), adv_mss_,
                        rcv_buf_.capacity(), cfg_.recv_buffer_max);
  if (want == 0) return;
  std::size_t before = rcv_buf_.capacity();
  rcv_buf_.grow(ring_size_for(want, cfg_.recv_buffer_max));
  if (rcv_buf_.capacity() == before) return;
  stats_.rcvbuf_grows++;
  trace(clock_, TraceKind::kTcpWindow, "rcvbuf", 0, 0,
        static_cast<std::uint32_t>(rcv_buf_.capacity()));
}

void TcpConnection::sndbuf_expand() {
  std::size_t want = sndbuf_for_cwnd(snd_mss_, cc_->cwnd(), cfg_.send_buffer_max);
  if (want <= snd_buf_.capacity()) return;
  snd_buf_.grow(ring_size_for(want, cfg_.send_buffer_max));
  stats_.sndbuf_grows++;
  trace(clock_, TraceKind::kTcpWindow, "sndbuf", 0, 0,
        static_cast<std::uint32_t>(snd_buf_.capacity()));
}

// --- Output ---------------------------------------------------------------------------------

std::uint32_t TcpConnection::rcv_wnd() const {
  return rcv_adv_ > rcv_nxt_ ? static_cast<std::uint32_t>(rcv_adv_ - rcv_nxt_) : 0;
}

std::uint32_t TcpConnection::ts_now(Instant now) const {
  // RFC 7323 §5.4: a millisecond clock (Linux's TCP timestamp clock) plus a random offset.
  return ts_offset_ + static_cast<std::uint32_t>(now.total_millis());
}

std::uint32_t TcpConnection::prospective_window() const {
  std::uint32_t free = static_cast<std::uint32_t>(rcv_buf_.free());
  std::uint32_t wnd = std::min<std::uint32_t>(free, 65535u << rcv_wscale_);
  wnd = (wnd >> rcv_wscale_) << rcv_wscale_;
  std::uint32_t cur = rcv_wnd();
  // RFC 9293 §3.8.6.2.2 (receiver SWS avoidance): move the right edge only by at least
  // min(RCV.BUFF/2, Eff.snd.MSS); never shrink it (§3.8.6.2.2, RFC 1122 §4.2.2.16).
  std::uint32_t threshold =
      std::min<std::uint32_t>(static_cast<std::uint32_t>(rcv_buf_.capacity() / 2), rcv_mss_);
  if (wnd <= cur || wnd - cur < threshold) return cur;
  return wnd;
}

std::uint16_t TcpConnection::window_to_advertise(bool syn) {
  if (syn) {
    // RFC 7323 §2.2: the window field of a SYN is not scaled.
    std::uint32_t w = std::min<std::uint32_t>(static_cast<std::uint32_t>(rcv_buf_.free()), 65535);
    rcv_adv_ = seq_max(rcv_adv_, rcv_nxt_ + w);
    return static_cast<std::uint16_t>(w);
  }
  std::uint32_t before = rcv_wnd();
  std::uint32_t wnd = prospective_window();
  // A new window is already a multiple of 2^wscale; a held one (the right edge we announced,
  // RFC 9293 §3.8.6.2.2) may not be, and rounding it down would move the right edge left:
  // round up (Linux tcp_select_window, ALIGN(cur_win, 1 << rcv_wscale)). on_text() still
  // stores no more than the ring holds.
  std::uint32_t unit = 1u << rcv_wscale_;
  std::uint32_t field = static_cast<std::uint32_t>(
      std::min<std::uint64_t>((std::uint64_t{wnd} + unit - 1) >> rcv_wscale_, 65535));
  rcv_adv_ = seq_max(rcv_adv_, rcv_nxt_ + (field << rcv_wscale_));
  if (rcv_wnd() != before) trace(clock_, TraceKind::kTcpWindow, "rcv_wnd", 0, 0, rcv_wnd());
  return static_cast<std::uint16_t>(field);
}

bool TcpConnection::can_send_data_state() const {
  switch (state_) {
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
    case TcpState::kFinWait1:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      return true;
    default:
      return false;
  }
}

std::uint32_t TcpConnection::current_mss() const {
  // Like Linux's tcp_current_mss(): snd_mss_ already excludes the timestamp option; SACK
  // blocks (send_segment adds a D-SACK and up to 3 or 4 blocks to every ACK) take room from
  // the payload too, or a full-sized segment would exceed the path MTU.
  if (!sack_ok_) return snd_mss_;
  std::size_t max_blocks = ts_ok_ ? 3 : 4;
  std::size_t blocks = std::min(max_blocks, (dsack_ ? 1 : 0) + ooo_.range_count());
  if (blocks == 0) return snd_mss_;
  std::uint32_t option_bytes = static_cast<std::uint32_t>(4 + 8 * blocks);  // NOP NOP kind len
  return std::max<std::uint32_t>(snd_mss_ - option_bytes, kMinSndMss);
}

std::uint32_t TcpConnection::max_segment_payload(std::uint32_t mss) const {
  // Headers: the IP header and the largest TCP header (options included); the device copies
  // them onto each segment it cuts.
  std::size_t headers = ip_header_len(tuple_.remote) + TcpRepr::kMaxHeaderLen;
  if (gso_max_len_ <= headers + mss) return mss;
  return static_cast<std::uint32_t>((gso_max_len_ - headers) / mss * mss);
}

std::optional<TcpConnection::DataPlan> TcpConnection::plan_data_segment() const {
  SeqNum end = data_end();
  std::uint32_t unsent = snd_nxt_ < end ? static_cast<std::uint32_t>(end - snd_nxt_) : 0;
  bool fin_left = fin_queued_ && snd_nxt_ <= fin_seq();
  if (unsent == 0 && !fin_left) return std::nullopt;
  // RFC 5681 §3.1: send no more than min(cwnd, rwnd) beyond SND.UNA. RFC 3042 (Limited
  // Transmit): each of the first two duplicate ACKs outside recovery lets one more new segment
  // out, cwnd itself unchanged (Linux does the same by counting the dup ACKs as SACKed).
  std::uint32_t cwnd = cc_->cwnd();
  if (!in_fast_recovery() && dup_acks_ > 0 && dup_acks_ < 3) cwnd += dup_acks_ * snd_mss_;
  SeqNum edge = snd_una_ + std::min(snd_wnd_, cwnd);
  if (prr_active()) {
    // RFC 6937 §3 / RFC 6675 §5 step C: in recovery cwnd bounds the pipe, not the flight
    // (SACKed and lost segments left the network).
    std::uint32_t p = pipe();
    edge = seq_min(snd_una_ + snd_wnd_, snd_nxt_ + (cwnd > p ? cwnd - p : 0));
  }
  std::uint32_t avail = edge > snd_nxt_ ? static_cast<std::uint32_t>(edge - snd_nxt_) : 0;
  std::uint32_t mss = current_mss();
  DataPlan p;
  p.len = std::min({unsent, max_segment_payload(mss), avail});
  // A super-segment (TSO) the window cuts short ends at a whole MSS, as Linux's
  // tcp_mss_split_point does: the rest goes as its own segment (subject to SWS avoidance
  // below), exactly as it would without TSO.
  if (p.len > mss && p.len < unsent) p.len -= p.len % mss;
  // A FIN rides on the last data segment; a bare FIN needs no window (it carries no data).
  p.fin = fin_left && p.len == unsent;
  if (p.len == 0 && !p.fin) return std::nullopt;
  if (plan_.force) return p;
  bool new_data = snd_nxt_ + p.len > snd_max_;
  if (p.len < unsent && p.len < mss) {
    // RFC 9293 §3.8.6.2.1 (sender SWS avoidance): a segment smaller than both the MSS and
    // the data waiting goes only if it is at least half the largest window the peer offered.
    if (max_snd_wnd_ == 0 || p.len < max_snd_wnd_ / 2) return std::nullopt;
  }
  if (p.len == unsent && p.len < mss && p.len > 0 && !p.fin && new_data) {
    // Nagle (RFC 9293 §3.7.4, RFC 1122 §4.2.3.4) in Minshall's form like Linux: hold a small
    // segment while an earlier small segment is unacknowledged, unless TCP_NODELAY.
    // Linux tcp_nagle_test: never for urgent data.
    if (!cfg_.nodelay && !urgent_mode() && snd_sml_ > snd_una_) return std::nullopt;
  }
  return p;
}

void TcpConnection::transmit(Instant now, TcpSink sink) {
  plan_.poked = false;
  if (plan_.rst) {
    std::uint8_t flags = kRst | (plan_.rst_ack ? kAck : 0);
    send_segment(now, sink, flags, *plan_.rst, {}, {}, false);
    plan_.rst.reset();
  }
  if (state_ == TcpState::kClosed || state_ == TcpState::kListen) {
    plan_.ack = false;
    return;
  }
  if (plan_.syn) {
    send_syn(now, sink);
    return;
  }
  if (state_ == TcpState::kSynSent) return;
  bool sent = false;
  if (can_send_data_state()) {
    // RFC 5681 §4.1: after an idle period longer than the RTO, restart from the initial
    // window (decayed as Linux does, see restart_after_idle).
    if (snd_max_ == snd_una_ && now - last_send_ > rtt_.rto()) {
      std::uint32_t before = cc_->cwnd(), ssthresh_before = cc_->ssthresh();
      cc_->restart_after_idle(now - last_send_, rtt_.rto(), snd_mss_);
      cwnd_stamp_ = now;
      cwnd_used_ = 0;
      if (cc_->cwnd() != before || cc_->ssthresh() != ssthresh_before) {
        trace_cwnd(now, "idle-restart", before);
      }
    }
    if (plan_.head) {
      retransmit_head(now, sink);
      sent = true;
    }
    if (plan_.next_hole) {
      plan_.next_hole = false;
      sent |= retransmit_next_hole(now, sink);
    }
    if (plan_.lost) {
      plan_.lost = false;
      sent |= retransmit_lost(now, sink);
    }
    bool probe_sent = false;
    if (plan_.loss_probe) {
      plan_.loss_probe = false;
      probe_sent = send_loss_probe(now, sink);
      sent |= probe_sent;
    }
    SeqNum snd_max_before = snd_max_;
    for (;;) {
      // Going back after a timeout: skip what the peer SACKed (RFC 6675 §5.1).
      while (snd_nxt_ < snd_max_) {
        auto end = sacked_.end_of_range_containing(snd_nxt_);
        if (!end) break;
        snd_nxt_ = seq_min(*end, snd_max_);
      }
      auto plan = plan_data_segment();
      if (!plan) break;
      if (snd_nxt_ < snd_max_) {
        auto next = sacked_.next_left_after(snd_nxt_);
        if (next && plan->len > static_cast<std::uint32_t>(*next - snd_nxt_)) {
          plan->len = static_cast<std::uint32_t>(*next - snd_nxt_);
          plan->fin = false;
        }
      }
      send_data_segment(now, sink, snd_nxt_, *plan, "rto");
      plan_.force = false;
      sent = true;
    }
    plan_.force = false;
    if (snd_max_ != snd_max_before) cwnd_validate(now);
    // RFC 8985 §7.2: new data restarts the PTO (a probe does not: one per flight).
    if (snd_max_ != snd_max_before && !probe_sent) schedule_loss_probe(now);
    // Data waits and nothing is in flight to bring an ACK: the persist timer makes sure the
    // window is probed (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17).
    bool waiting = snd_nxt_ < data_end() || (fin_queued_ && snd_nxt_ <= fin_seq());
    if (waiting && snd_max_ == snd_una_ && rto_at_.is_never() && persist_at_.is_never()) {
      persist_at_ = now + rtt_.backed_off_rto(persist_backoff_);
    }
  }
  if (plan_.window_probe) {
    plan_.window_probe = false;
    send_segment(now, sink, kAck, snd_una_ - 1, {}, {});
    sent = true;
  }
  // A pure ACK carries SND.MAX, not SND.NXT: after a timeout rewinds SND.NXT the peer may
  // already hold more, and a sequence number below its RCV.NXT would make the ACK
  // unacceptable to it (RFC 9293 §3.10.7.4 first) - the ACK would be lost every time.
  if (plan_.ack && !sent) send_segment(now, sink, kAck, snd_max_, {}, {});
}

TcpConnection::DataPlan TcpConnection::resend_plan(SeqNum start, SeqNum end) const {
  // At most one segment of the data in [start, end), with the FIN when `end` is past it and the
  // segment reaches it.
  SeqNum stop = seq_min(end, data_end());
  DataPlan p;
  p.len = stop > start ? std::min(static_cast<std::uint32_t>(stop - start), current_mss()) : 0;
  p.fin = fin_queued_ && end == fin_seq() + 1 && start + p.len == fin_seq();
  return p;
}

void TcpConnection::retransmit_head(Instant now, TcpSink sink) {
  plan_.head = false;
  if (snd_max_ == snd_una_) return;
  DataPlan p = resend_plan(snd_una_, snd_max_);
  if (p.len == 0 && !p.fin) return;
  send_data_segment(now, sink, snd_una_, p, "fast");
  high_rxt_ = seq_max(high_rxt_, snd_una_ + p.len);
}

std::optional<TcpSackBlock> TcpConnection::record_sack_blocks(Instant now, const TcpRepr& seg) {
  const TcpOptions& o = seg.options;
  std::optional<TcpSackBlock> dsack;
  for (std::uint8_t i = 0; i < o.sack_count; ++i) {
    TcpSackBlock b = o.sack[i];
    // RFC 2883 §4: a first block below the cumulative ACK, or inside the second block, is a
    // D-SACK (a duplicate report), not new information.
    if (i == 0 && (b.left < seg.ack ||
                   (o.sack_count > 1 && o.sack[1].left <= b.left && b.right <= o.sack[1].right))) {
      dsack = b;
      continue;
    }
    // Only blocks inside what is in flight are believable (RFC 2018 §8, RFC 5961 spirit).
    if (!(b.left < b.right) || b.left < seg.ack || b.right > snd_max_) continue;
    sacked_.add(b.left, b.right);
    if (rack_active()) {
      // RFC 8985 §6.2 steps 2-3 for every segment this block newly SACKs.
      sent_.on_sack(b.left, b.right, [&](const SentSegment& s) {
        rack_.on_delivered(now, s, echo_predates(seg, s));
      });
    }
  }
  return dsack;
}

bool TcpConnection::retransmit_next_hole(Instant now, TcpSink sink) {
  // RFC 6675 §5 step (C) with NextSeg() (§4), for SACK without RACK, while pipe < cwnd (with
  // PRR). Without PRR the window is inflated per duplicate ACK (RFC 6582) and is no bound on
  // the pipe: one hole per duplicate ACK, the smallest (rules 1 and 3), new data after it.
  bool prr = prr_active();
  bool sent = false;
  while (in_fast_recovery() && (!prr || pipe() < cc_->cwnd())) {
    SackScoreboard sb = sack_scoreboard();
    std::optional<TcpSackBlock> next = sb.next_hole(/*lost_only=*/true);  // rule 1
    bool rescue = false;
    if (!next) {
      // Rule 2: new data the windows allow goes first (transmit()'s loop sends it).
      if (prr && plan_data_segment()) break;
      next = sb.next_hole(/*lost_only=*/false);  // rule 3
      if (!next && prr && (!rescue_rxt_ || snd_una_ > *rescue_rxt_)) {
        // Rule 4: one rescue retransmission per recovery, of the highest unSACKed segment, so
        // a loss at the tail with nothing new to send still brings an ACK back.
        next = sb.rescue(data_end());
        rescue = next.has_value();
      }
    }
    if (!next || !(next->left < data_end())) break;
    DataPlan p = resend_plan(next->left, next->right);
    p.fin = false;  // a hole ends below the FIN's octet, or the FIN waits for the head's resend
    send_data_segment(now, sink, next->left, p, rescue ? "rescue" : "sack");
    // (C.2): HighRxt follows the retransmission, except a rescue's (RescueRxt = recover).
    if (rescue) {
      rescue_rxt_ = recover_;
    } else {
      high_rxt_ = next->left + p.len;
    }
    sent = true;
    if (!prr) break;
  }
  return sent;
}

void TcpConnection::send_data_segment(Instant now, TcpSink sink, SeqNum seq, DataPlan plan,
                                      const char* retransmit_reason) {
  std::uint32_t off = static_cast<std::uint32_t>(seq - snd_buf_seq_);
  auto [a, b] = snd_buf_.peek(off, plan.len);
  std::uint8_t flags = kAck;
  if (plan.len > 0 && seq + plan.len == data_end()) flags |= kPsh;
  if (plan.fin) flags |= kFin;
  // Traced before the segment, so a reader knows the next segment_sent is the retransmission.
  if (seq < snd_max_) trace_retransmit(now, retransmit_reason, seq, plan.len);
  send_segment(now, sink, flags, seq, a, b, /*with_options=*/true,
               /*retransmission=*/seq < snd_max_);
  stats_.data_segs_out += plan.len > 0 ? 1 : 0;
  if (seq < snd_max_) {
    undo_.on_retransmit(ts_now(now), seq, seq + plan.len + (plan.fin ? 1 : 0));
    stats_.bytes_retrans += plan.len;
    rtt_seq_.reset();  // Karn's rule (RFC 6298 §3)
  } else {
    stats_.bytes_sent += plan.len;
    if (!rtt_seq_ && !ts_ok_ && plan.len > 0) {
      rtt_seq_ = seq + plan.len;
      rtt_sent_at_ = now;
    }
  }
  SeqNum end = seq + plan.len + (plan.fin ? 1 : 0);
  if (prr_active()) prr_.on_sent(plan.len + (plan.fin ? 1 : 0));  // RFC 6937 §3 prr_out
  if (rack_active()) sent_.on_transmit(seq, end, snd_max_, now);  // RFC 8985 §6.1 xmit_ts
  // Minshall's "last small segment": a super-segment's last piece may be small too (Linux
  // tcp_minshall_update).
  if (plan.len < snd_mss_ || plan.len % current_mss() != 0) {
    snd_sml_ = seq_max(snd_sml_, seq + plan.len);
  }
  if (seq == snd_nxt_) snd_nxt_ = end;
  snd_max_ = seq_max(snd_max_, end);
  max_flight_ = std::max(max_flight_, flight_size());
  if (rto_at_.is_never()) arm_rto(now);
  persist_at_ = Instant::never();
  last_send_ = now;
}

void TcpConnection::send_syn(Instant now, TcpSink sink) {
  plan_.syn = false;
  bool synack = state_ == TcpState::kSynReceived;
  TcpSegmentOut out;
  TcpRepr& r = out.repr;
  r.src_port = tuple_.local_port;
  r.dst_port = tuple_.remote_port;
  r.seq = iss_;
  r.flags = kSyn;
  bool first = snd_max_ == iss_;
  if (synack) {
    r.flags |= kAck;
    r.ack = rcv_nxt_;
  }
  // RFC 3168 §6.1.1: an ECN-setup SYN (ECE|CWR) when we ask, an ECN-setup SYN-ACK (ECE) when
  // the peer asked and we accepted. Never ECT in the IP header (§6.1.1).
  r.flags |= synack ? ecn_.syn_ack_flags() : ecn_.syn_flags(!first);
  r.window = window_to_advertise(true);
  // RFC 9293 §3.7.1 MSS; RFC 7323 §2.2/§3.2 wscale and timestamps; RFC 2018 §2 SACK-permitted.
  // A SYN offers what the config enables; a SYN-ACK answers only what the peer offered.
  r.options.mss = adv_mss_;
  if (synack ? rcv_wscale_ > 0 || (cfg_.window_scaling && snd_wscale_ > 0) : cfg_.window_scaling) {
    if (!synack || rcv_wscale_ == our_wscale_) r.options.window_scale = our_wscale_;
  }
  if (synack ? sack_ok_ : cfg_.sack) r.options.sack_permitted = true;
  if (synack ? ts_ok_ : cfg_.timestamps) {
    r.options.timestamps = TcpTimestamps{ts_now(now), synack ? ts_recent_ : 0};
  }
  sink(out);
  stats_.segs_out++;
  trace_segment(now, TraceKind::kTcpSegmentOut, r, 0);
  if (synack) {
    plan_.ack = false;
    last_ack_sent_ = rcv_nxt_;
  }
  snd_nxt_ = iss_ + 1;
  snd_max_ = seq_max(snd_max_, snd_nxt_);
  if (first) {
    rtt_seq_ = iss_ + 1;  // RFC 6298 §3: time the SYN unless it is retransmitted (Karn)
    rtt_sent_at_ = now;
  }
  if (rto_at_.is_never()) arm_rto(now);
  last_send_ = now;
}

void TcpConnection::send_segment(Instant now, TcpSink sink, std::uint8_t flags, SeqNum seq, Bytes a,
                                 Bytes b, bool with_options, bool retransmission) {
  TcpSegmentOut out;
  out.retransmission = retransmission;
  TcpRepr& r = out.repr;
  r.src_port = tuple_.local_port;
  r.dst_port = tuple_.remote_port;
  r.seq = seq;
  r.flags = flags;
  if (flags & kAck) r.ack = rcv_nxt_;
  r.window = (flags & kRst) ? 0 : window_to_advertise(false);
  if (!(flags & kRst)) {
    TcpEcn::Marks m = ecn_.on_send(!retransmission && a.size() + b.size() > 0);
    r.flags |= m.tcp_flags;
    out.ip_ecn = m.ip_ecn;
    if (auto up = urgent_field(seq, snd_up_, snd_una_, snd_nxt_)) {
      r.flags |= kUrg;
      r.urgent = *up;
    }
  }
  if (with_options && ts_ok_) r.options.timestamps = TcpTimestamps{ts_now(now), ts_recent_};
  if (with_options && sack_ok_ && (flags & kAck)) {
    // RFC 2883 §4: a D-SACK block goes first; then the SACK blocks, most recent first
    // (RFC 2018 §4). With timestamps three blocks fit, without four.
    std::size_t max_blocks = ts_ok_ ? 3 : 4;
    if (dsack_) r.options.add_sack(*dsack_);
    std::array<TcpSackBlock, 4> blocks{};
    std::size_t n = ooo_.sack_blocks(blocks.data(), max_blocks - r.options.sack_count);
    for (std::size_t i = 0; i < n; ++i) r.options.add_sack(blocks[i]);
  }
  out.payload_a = a;
  out.payload_b = b;
  // More than one MSS only when plan_data_segment() built a super-segment (TSO): the device
  // cuts it at the MSS these options leave.
  std::uint32_t mss = current_mss();
  if (a.size() + b.size() > mss) out.gso_size = static_cast<std::uint16_t>(mss);
  sink(out);
  stats_.segs_out++;
  // Why a segment without data goes (docs/events.md, segment_sent "why"); data explains itself.
  const char* why = "";
  if (flags & kRst) {
    why = plan_.rst_why;
    plan_.rst_why = "";
  } else if (a.size() + b.size() == 0 && !(flags & (kFin | kSyn))) {
    why = seq + 1 == snd_una_ ? plan_.probe_why : plan_.ack_why;
  }
  trace_segment(now, TraceKind::kTcpSegmentOut, r, a.size() + b.size(), why);
  if (flags & kAck) {
    plan_.ack = false;
    plan_.ack_why = "";
    delack_at_ = Instant::never();
    unacked_rcv_bytes_ = 0;
    last_ack_sent_ = rcv_nxt_;
    dsack_.reset();
    if (quick_acks_ > 0) --quick_acks_;
  }
}

// --- Tracing --------------------------------------------------------------------------------

TraceEvent TcpConnection::trace_event(Instant now, TraceKind kind) const {
  return flow_trace_event(now, kind, tuple_);
}

void TcpConnection::trace(Instant now, TraceKind kind, const char* what, std::uint32_t seq,
                          std::uint32_t len, std::int64_t value, std::int64_t value2) {
  if (tracer_ == nullptr) return;
  TraceEvent e = trace_event(now, kind);
  e.what = what;
  e.seq = seq;
  e.len = len;
  e.value = value;
  e.value2 = value2;
  switch (kind) {
    case TraceKind::kTcpWindow:
      e.wnd = static_cast<std::uint32_t>(value);
      break;
    case TraceKind::kTcpTimer:
      e.detail = "fired";
      break;
    case TraceKind::kTcpRttSample:
      e.value3 = rtt_.srtt().value_or(Duration::zero()).total_nanos();
      e.value4 = rtt_.rttvar().total_nanos();
      break;
    default:
      break;
  }
  tracer_->on_event(e);
}

void TcpConnection::trace_retransmit(Instant now, const char* reason, SeqNum seq,
                                     std::uint32_t len) {
  if (tracer_ == nullptr) return;
  TraceEvent e = trace_event(now, TraceKind::kTcpRetransmit);
  e.what = reason;
  e.seq = seq.raw();
  e.len = len;
  if (std::string_view(reason) == "rack" && rack_.advanced()) {
    // RFC 8985 §6.2 step 5's inputs: the delivered segment that made this one lost (sent at
    // RACK.xmit_ts, ending at RACK.end_seq), RACK.rtt and the reordering window.
    e.value = rack_.xmit_ts().total_nanos();
    e.ack = rack_.end_seq().raw();
    e.value2 = rack_.rtt().total_nanos();
    e.value3 = rack_.last_reo_wnd().total_nanos();
  }
  tracer_->on_event(e);
}

void TcpConnection::trace_segment(Instant now, TraceKind kind, const TcpRepr& r, std::size_t len,
                                  const char* why) {
  if (tracer_ == nullptr) return;
  TraceEvent e = trace_event(now, kind);
  e.detail = why;
  e.seq = r.seq.raw();
  e.ack = r.ack.raw();
  e.len = static_cast<std::uint32_t>(len);
  e.wnd = r.window;
  e.flags = r.flags;
  e.tcp = &r;
  tracer_->on_event(e);
}

}  // namespace ustack
