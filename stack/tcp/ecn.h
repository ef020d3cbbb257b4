// Explicit Congestion Notification for TCP (RFC 3168 §6.1), one connection's state.
//
// Negotiation (§6.1.1): an "ECN-setup SYN" carries ECE and CWR, an "ECN-setup SYN-ACK" ECE
// without CWR; ECN is on only when both were exchanged. TcpEcnMode says whether we ask for it
// (Linux net.ipv4.tcp_ecn=1), only accept it (=2, the default, Linux's too) or neither (=0).
// Once on, this class decides three things, as Linux's tcp_ecn_* functions do:
// - the receiver (§6.1.3): a CE-marked data segment makes every segment we send carry ECE
//   until a data segment with CWR arrives (tcp_ecn_check_ce, tcp_ecn_accept_cwr);
// - the sender (§6.1.2): an ACK with ECE asks for one window reduction per window of data
//   (Linux's CWR state, tcp_enter_cwr: until an ACK beyond the highest sequence sent at the
//   reduction; the connection ignores ECE in Recovery and Loss, which reduced already), and
//   the first new data segment after any reduction carries CWR;
// - the IP header (§6.1.4, §6.1.5, §6.1.6): new data segments are ECT(0); SYNs, pure ACKs,
//   retransmissions and window probes are Not-ECT (tcp_ecn_send).
// The connection applies the reduction (ssthresh at once, cwnd by PRR over the next round trip
// as Linux's tcp_enter_cwr, TcpConnection::on_ecn_echo) and the ACK timing.
//
// Pure: flags and sequence numbers in, decisions out.
#pragma once

#include <cstdint>

#include "stack/base/seqnum.h"
#include "stack/tcp/tcp_types.h"

namespace ustack {

// The ECN field of the IP header (RFC 3168 §5): IPv4 TOS / IPv6 traffic class, low 2 bits.
inline constexpr std::uint8_t kIpEcnMask = 0x3;
inline constexpr std::uint8_t kIpEcnNotEct = 0x0;
inline constexpr std::uint8_t kIpEcnEct1 = 0x1;
inline constexpr std::uint8_t kIpEcnEct0 = 0x2;
inline constexpr std::uint8_t kIpEcnCe = 0x3;

class TcpEcn {
 public:
  explicit TcpEcn(TcpEcnMode mode) : mode_(mode) {}

  // Where the layer sums the ECN events of all its connections (may stay null).
  void count_into(TcpEcnCounters* layer) { layer_ = layer; }
  const TcpEcnCounters& counters() const { return counters_; }

  // --- Negotiation (§6.1.1) -----------------------------------------------------------------
  // The flags of our SYN: ECE|CWR when we ask. Like Linux (tcp_ecn_clear_syn with
  // tcp_ecn_fallback=1), a retransmitted SYN asks no more, in case a middlebox drops
  // ECN-setup SYNs; a SYN-ACK that still answers the first one turns ECN on.
  std::uint8_t syn_flags(bool retransmission);
  // The peer's SYN (passive open, `active` false) or, in SYN-SENT, its SYN-ACK or simultaneous
  // SYN (`active` true): ECN is on if it is the matching ECN-setup segment and we may use it.
  void on_syn(std::uint8_t flags, bool active);
  // The flags of our SYN-ACK: ECE when the SYN was an ECN-setup SYN we accepted.
  std::uint8_t syn_ack_flags() const;
  bool ok() const { return ok_; }

  // --- Receiver (§6.1.3) --------------------------------------------------------------------
  // A data segment that arrived with `ip_ecn` in its IP header: CWR ends the echo, then CE
  // starts it. True if the ACK should go at once (Linux tcp_ecn_check_ce enters quick-ACK mode:
  // the sender's window may be tiny); also for a Not-ECT segment after ECT ones (a
  // retransmission, Linux's "funny extension").
  bool on_data(std::uint8_t flags, std::uint8_t ip_ecn);
  // ECE goes on every segment we send (CE seen, no CWR since).
  bool echoing() const { return demand_cwr_; }

  // --- Sender (§6.1.2) ----------------------------------------------------------------------
  // An acceptable ACK (not a SYN): ends the CWR window once it acknowledges beyond its end
  // (Linux tcp_fastretrans_alert: "CWR is to be held something *above* high_seq is ACKed for
  // CWR bit to reach receiver").
  void on_ack(SeqNum ack);
  // Whether an acceptable ACK carries ECN-Echo (counted; Linux tcp_ecn_rcv_ecn_echo). What it
  // does depends on the congestion state, which the connection knows (on_ecn_echo).
  bool echo(std::uint8_t flags);
  // An ECE reduced the window (Linux tcp_enter_cwr): the CWR window lasts until an ACK beyond
  // `snd_max`, and the next new data carries CWR.
  void on_cwr(SeqNum snd_max);
  // A loss reduced the window (fast retransmit, timeout, a repaired tail loss): "the first new
  // data packet sent after the window reduction" carries CWR (§6.1.2; Linux tcp_ecn_queue_cwr
  // in tcp_init_cwnd_reduction and tcp_enter_loss).
  void queue_cwr();
  // The window of the last ECE reduction is not acknowledged yet (Linux's TCP_CA_CWR lasts as
  // long; the connection's state says whether it is still the current reduction).
  bool in_cwr() const { return in_cwr_; }

  // --- Output (§6.1.2, §6.1.4-§6.1.6) -------------------------------------------------------
  struct Marks {
    std::uint8_t tcp_flags = 0;  // ECE and/or CWR to add
    std::uint8_t ip_ecn = kIpEcnNotEct;
  };
  // For a non-SYN, non-RST segment; `new_data`: it carries data never sent before.
  Marks on_send(bool new_data);

 private:
  void count(std::uint64_t TcpEcnCounters::*field);

  TcpEcnMode mode_;
  bool requested_ = false;  // our SYN asked (ECE|CWR)
  bool ok_ = false;         // negotiated
  bool ect_seen_ = false;   // an ECT or CE data segment arrived (Linux TCP_ECN_SEEN)
  bool demand_cwr_ = false;
  bool queue_cwr_ = false;
  bool in_cwr_ = false;
  SeqNum cwr_high_;  // the end of the reduced window (Linux high_seq)
  TcpEcnCounters counters_;
  TcpEcnCounters* layer_ = nullptr;
};

}  // namespace ustack
