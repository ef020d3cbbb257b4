// TcpConnection's tracing helpers: state changes with the RFC 9293 section behind them, timer
// set/cancel events, congestion window changes with their reason. Every one returns at once
// when no tracer is installed, so tracing costs one branch when off.
#include <array>
#include <string>

#include "stack/tcp/connection.h"

namespace ustack {

namespace {

// Static "OLD->NEW" strings for trace events (TraceEvent::what must have static storage).
const char* transition_name(TcpState from, TcpState to) {
  static const auto* names = [] {
    auto* n = new std::array<std::string, 121>();
    for (int f = 0; f < 11; ++f) {
      for (int t = 0; t < 11; ++t) {
        (*n)[f * 11 + t] = std::string(to_string(static_cast<TcpState>(f))) + "->" +
                           to_string(static_cast<TcpState>(t));
      }
    }
    return n;
  }();
  return (*names)[static_cast<int>(from) * 11 + static_cast<int>(to)].c_str();
}

// The RFC 9293 section whose rule makes the change, "" when the stack cannot tell (or the
// rule is Linux's, not the RFC's: the orphaned FIN-WAIT-2 timeout).
const char* transition_section(TcpState from, TcpState to, std::optional<TcpError> error) {
  using S = TcpState;
  if (to == S::kClosed) {
    if (error) {
      switch (*error) {
        case TcpError::kReset:
        case TcpError::kRefused:
          // §3.10.7.3 (SYN-SENT) / §3.10.7.4 "second, check the RST bit".
          return from == S::kSynSent ? "3.10.7.3" : "3.10.7.4";
        case TcpError::kAborted:
          return "3.10.5";  // ABORT call
        case TcpError::kTimedOut:
          return "3.8.3";  // R2 exceeded (retransmission, SYN, keepalive give up)
        default:
          return "3.9";  // ICMP error (§3.9.1, RFC 5461)
      }
    }
    if (from == S::kTimeWait) return "3.10.8";                       // time-wait timeout
    if (from == S::kLastAck) return "3.10.7.4";                      // our FIN acknowledged
    if (from == S::kSynSent || from == S::kListen) return "3.10.4";  // CLOSE call
    return "";
  }
  switch (from) {
    case S::kClosed:
      return "3.10.1";  // OPEN call
    case S::kListen:
      return to == S::kSynReceived ? "3.10.7.2" : "3.10.2";
    case S::kSynSent:
      return "3.10.7.3";  // SYN-ACK (ESTABLISHED) or SYN (simultaneous open, SYN-RECEIVED)
    case S::kSynReceived:
      return to == S::kFinWait1 ? "3.10.4" : "3.10.7.4";
    case S::kEstablished:
    case S::kCloseWait:
      return to == S::kFinWait1 || to == S::kLastAck ? "3.10.4" : "3.10.7.4";
    default:
      return "3.10.7.4";  // FIN-WAIT-1/2, CLOSING: the ACK of our FIN or the peer's FIN
  }
}

}  // namespace

TraceEvent flow_trace_event(Instant now, TraceKind kind, const TcpTuple& t) {
  TraceEvent e;
  e.kind = kind;
  e.at = now;
  e.local = t.local;
  e.remote = t.remote;
  e.local_port = t.local_port;
  e.remote_port = t.remote_port;
  return e;
}

void TcpConnection::trace_state(Instant now, TcpState to) {
  if (tracer_ == nullptr) return;
  TraceEvent e = trace_event(now, TraceKind::kTcpState);
  e.what = transition_name(state_, to);
  e.detail = transition_section(state_, to, error_);
  tracer_->on_event(e);
}

void TcpConnection::trace_ca_state(Instant now, CaState to, const char* reason) {
  if (tracer_ == nullptr) return;
  TraceEvent e = trace_event(now, TraceKind::kTcpCaState);
  e.what = ca_transition_name(ca_state_, to);
  e.detail = reason;
  e.value = cc_->cwnd();
  e.value2 = cc_->ssthresh();
  tracer_->on_event(e);
}

void TcpConnection::trace_cwnd(Instant now, const char* reason, std::uint32_t cwnd_before,
                               std::uint32_t acked) {
  if (tracer_ == nullptr) return;
  TraceEvent e = trace_event(now, TraceKind::kTcpCongestion);
  e.what = reason;
  e.len = acked;
  e.value = cc_->cwnd();
  e.value2 = cc_->ssthresh();
  e.value3 = flight_size();
  e.value4 = pipe();
  e.wnd = snd_wnd_;
  if (acked != 0) {
    // RFC 5681 §3.1: slow start while cwnd < ssthresh, congestion avoidance after; a window
    // that shrank on an ACK is recovery ending (RFC 6582 §3.2 step 3, full acknowledgments) or a
    // partial ACK.
    e.detail = e.value < cwnd_before           ? "recovery"
               : cwnd_before < cc_->ssthresh() ? "slow-start"
                                               : "congestion-avoidance";
  }
  tracer_->on_event(e);
}

void TcpConnection::trace_timers() {
  if (tracer_ == nullptr) return;
  static constexpr std::array<const char*, 7> kNames = {"rto",   "delack", "persist", "keepalive",
                                                        "close", "rack",   "tlp"};
  const std::array<Instant, 7> now_at = {rto_at_,   delack_at_,   persist_at_, keepalive_at_,
                                         close_at_, rack_reo_at_, tlp_at_};
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    const Instant before = traced_timers_[i];
    const Instant after = now_at[i];
    if (before == after) continue;
    traced_timers_[i] = after;
    // A deadline that passed was fired (and traced as such by fire_timers), not cancelled.
    if (after.is_never() && before <= clock_) continue;
    TraceEvent e = trace_event(clock_, TraceKind::kTcpTimer);
    e.what = i == 4 ? (state_ == TcpState::kTimeWait ? "time_wait" : "fin_wait2") : kNames[i];
    e.detail = after.is_never() ? "cancelled" : "set";
    if (!after.is_never()) e.value = after.total_nanos();
    tracer_->on_event(e);
  }
}

}  // namespace ustack
