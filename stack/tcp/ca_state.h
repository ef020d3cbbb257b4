// The congestion-avoidance state of a sending TCP connection, as Linux names it
// (include/net/tcp.h enum tcp_ca_state, driven by tcp_fastretrans_alert in tcp_input.c).
//
// One state at a time; the connection changes it in one place (TcpConnection::set_ca_state),
// and traces each change (kTcpCaState, docs/events.md "ca_state"):
//   kOpen      nothing unusual: no duplicate ACKs, nothing SACKed, no reduction in progress.
//   kDisorder  duplicate ACKs or SACKed data seen, no loss decided yet (RFC 5681 §3.2's
//              count, RACK's reordering window, Limited Transmit RFC 3042).
//   kCwr       an ECN-Echo reduced the window (RFC 3168 §6.1.2): nothing is resent, PRR (RFC
//              6937) brings cwnd down to ssthresh over the next round trip, and cwnd does not
//              grow until an ACK passes the highest sequence sent at the reduction.
//   kRecovery  fast recovery (RFC 5681 §3.2, RFC 6582, RFC 6675, RFC 8985 §6.2 step 5, PRR
//              RFC 6937) until SND.UNA reaches `recover`.
//   kLoss      after a retransmission timeout (RFC 6298 §5, RFC 8985 §6.3) or a path MTU drop's
//              go-back-N (Linux tcp_simple_retransmit): everything not SACKed is lost until
//              SND.UNA reaches `recover`.
#pragma once

#include <cstdint>

namespace ustack {

enum class CaState : std::uint8_t { kOpen, kDisorder, kCwr, kRecovery, kLoss };
inline constexpr int kCaStateCount = 5;

// "Open", "Disorder", "CWR", "Recovery", "Loss" (Linux's TCP_CA_* names).
const char* to_string(CaState s);
// Static "FROM->TO" string for trace events (TraceEvent::what needs static storage).
const char* ca_transition_name(CaState from, CaState to);

}  // namespace ustack
