// TCP connection state machine (RFC 9293 §3.3.2, §3.10).
//
// Pure: segments and time come in through on_segment()/poll(), segments go out through the
// sink passed to poll(), and poll_at() tells the caller when to come back. No clock, no I/O,
// no allocation per segment (the send and receive rings are allocated in the constructor).
//
// on_segment() only changes state and notes what must be sent; poll(now, sink) fires due
// timers and emits every segment that is due (ACKs, data, FIN, RST, probes). A caller that
// delivers a segment or makes a user call should poll() afterwards; poll_at() returns an
// instant <= now while something is waiting to be sent.
//
// LISTEN lives in the TCP layer (a listener has no connection yet); it creates connections
// with open_passive() for each acceptable SYN (RFC 9293 §3.10.7.2), or with open_from_cookie()
// for the final ACK of a handshake answered with a SYN cookie (syn_cookie.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "stack/base/function_ref.h"
#include "stack/base/result.h"
#include "stack/base/seqnum.h"
#include "stack/tcp/assembler.h"
#include "stack/tcp/buffer_tuning.h"
#include "stack/tcp/ca_state.h"
#include "stack/tcp/congestion.h"
#include "stack/tcp/ecn.h"
#include "stack/tcp/prr.h"
#include "stack/tcp/rack.h"
#include "stack/tcp/ring_buffer.h"
#include "stack/tcp/rtt.h"
#include "stack/tcp/sack_scoreboard.h"
#include "stack/tcp/sent_queue.h"
#include "stack/tcp/tcp_types.h"
#include "stack/tcp/undo.h"
#include "stack/tcp/urgent.h"
#include "stack/tracer.h"
#include "stack/transport.h"
#include "stack/wire/tcp.h"

namespace ustack {

using TcpSink = FunctionRef<void(const TcpSegmentOut&)>;

// An event of `kind` at `now` for the flow `t` (the part every TCP trace event carries).
TraceEvent flow_trace_event(Instant now, TraceKind kind, const TcpTuple& t);

class TcpConnection {
 public:
  // `mtu` is the path MTU toward the remote (IpSender::path_mtu), for the MSS we advertise.
  // `ts_offset` is added to the millisecond clock for TSval (RFC 7323 §5.4); the layer keeps it
  // the same for every incarnation of a 4-tuple. `pool` (the layer's, may be null) lends the
  // send and receive rings their storage while they hold data.
  TcpConnection(const TcpConfig& config, const TcpTuple& tuple, SeqNum iss, std::uint32_t ts_offset,
                std::size_t mtu, Tracer* tracer = nullptr, BufferPool* pool = nullptr);
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // --- Opening ---------------------------------------------------------------------------
  // Active OPEN (RFC 9293 §3.10.1): CLOSED -> SYN_SENT; the SYN goes out on the next poll().
  void open_active(Instant now);
  // Passive OPEN for a SYN that reached a listener (RFC 9293 §3.10.7.2): -> SYN_RECEIVED.
  void open_passive(Instant now, const TcpRepr& syn);
  // Passive OPEN from a valid SYN cookie (syn_cookie.h): `syn` is the SYN the cookie stands for,
  // rebuilt by the layer (the peer's ISN, the MSS from the cookie, window scale and SACK from
  // the TSval bits, the peer's TSval). Like open_passive(), but the SYN-ACK already went out
  // (without state) when the SYN arrived: SYN-RECEIVED with our SYN in flight, so on_segment()
  // with the final ACK completes the handshake and takes its data (Linux cookie_v4_check,
  // tcp_get_cookie_sock).
  void open_from_cookie(Instant now, const TcpRepr& syn);

  // --- Network side ----------------------------------------------------------------------
  // A segment for this connection's 4-tuple (checksum already verified); `ip_ecn` is the ECN
  // field of its IP header (RFC 3168 §5, IpRxMeta::tos).
  void on_segment(Instant now, const TcpRepr& seg, std::uint8_t ip_ecn = kIpEcnNotEct);
  // An ICMP error about a segment we sent (RFC 5927, RFC 1122 §4.2.3.9). The caller has
  // already checked the quoted sequence number against SND.UNA..SND.MAX (RFC 5927 §4.1);
  // kFragmentationNeeded uses err.next_hop_mtu.
  void on_icmp_error(Instant now, const IcmpError& err);
  // Fires due timers and emits every segment that is due.
  void poll(Instant now, TcpSink sink);
  // When poll() next has something to do; <= now while output is waiting; never() if idle.
  Instant poll_at() const;
  // What the last on_segment() asked to send may wait for the end of the input burst (the
  // layer then emits one ACK for the whole burst, as Linux's GRO receiver does): an
  // established connection whose pending ACK, if any, is a cumulative one. Immediate duplicate
  // ACKs (out-of-order, duplicate or out-of-window data: RFC 5681 §4.2, the sender counts
  // them), challenge ACKs, FINs and RSTs go at once.
  bool output_may_wait() const;
  // With a tracer: one kTcpTimer event ("set"/"cancelled") per timer whose deadline changed
  // since the last call (connection_trace.cc). The layer calls it after every change
  // (reschedule); without a tracer it returns at once.
  void trace_timers();

  // --- User side (RFC 9293 §3.10) --------------------------------------------------------
  // The time of the user call that follows (the shell's clock when the application called),
  // so the events it causes (a close entering FIN_WAIT_1, a window update) carry it rather
  // than the time the connection was last polled. The clock never moves back.
  void user_call_at(Instant now) { clock_ = std::max(clock_, now); }
  // Queues data (SEND); returns the number of bytes taken (0 when the buffer is full).
  std::size_t send(Bytes data);
  // send(MSG_OOB) (RFC 9293 §3.8.5, MUST-30/31): queues data like send() and makes its end the
  // urgent pointer, SND.UP, carried by every segment until SND.UNA passes it (urgent.h).
  std::size_t send_urgent(Bytes data);
  // Reads received data (RECEIVE); returns the number of bytes copied. Like Linux, a read
  // stops at the urgent mark, and the urgent octet is skipped unless SO_OOBINLINE (urgent.h).
  std::size_t recv(MutBytes out);
  // recv(MSG_OOB), Linux tcp_recv_urg: the urgent octet into out[0], once (1, or 0 if `out`
  // is empty - the octet is then lost, as in Linux); never blocks. kInvalid (EINVAL) with
  // SO_OOBINLINE, with no mark, or once the octet was read; kNotConnected if the connection
  // closed without a FIN; 0 when the stream ended (FIN or closed) before the octet came;
  // kWouldBlock (EAGAIN) while it has not arrived.
  Result<std::size_t, TcpError> recv_urgent(MutBytes out);
  // Half-close (shutdown(SHUT_WR)): a FIN follows the queued data.
  void shutdown();
  // CLOSE: like shutdown(), but the user is gone: unread data or data arriving later resets
  // the connection (Linux), and FIN_WAIT_2 is bounded by fin_timeout.
  void close();
  // ABORT (RFC 9293 §3.10.5): RST if synchronized, then CLOSED.
  void abort();

  // --- Queries ---------------------------------------------------------------------------
  TcpState state() const { return state_; }
  const TcpTuple& tuple() const { return tuple_; }
  std::optional<TcpError> error() const { return error_; }
  // The last soft error (ICMP) seen, if any (reported by SO_ERROR-like queries).
  std::optional<TcpError> soft_error() const { return soft_error_; }
  // Data to read, or end of stream / error to report.
  bool readable() const;
  // Room in the send buffer in a state that can send.
  bool writable() const;
  // No more data will arrive and everything was read.
  bool at_eof() const { return fin_received_ && rcv_buf_.empty(); }
  // Received octets not yet read, an urgent octet still in the stream included.
  std::size_t unread_bytes() const { return rcv_buf_.size(); }
  // The rings' sizes now (getsockopt SO_RCVBUF / SO_SNDBUF), grown by auto-tuning or not.
  std::size_t recv_buffer_size() const { return rcv_buf_.capacity(); }
  std::size_t send_buffer_size() const { return snd_buf_.capacity(); }
  // setsockopt SO_RCVBUF / SO_SNDBUF on a live connection: the ring keeps its size and
  // auto-tuning stops (Linux SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK).
  void lock_recv_buffer() { cfg_.recv_buffer_max = 0; }
  void lock_send_buffer() { cfg_.send_buffer_max = 0; }
  // SIOCATMARK / sockatmark() (MUST-33): the next octet to read is the urgent mark.
  bool at_mark() const { return urg_.marked() && urg_.mark() == copied_seq(); }
  // POLLPRI (MUST-32, Linux tcp_poll: TCP_URG_VALID): an urgent octet arrived and, without
  // SO_OOBINLINE, was not read out of band yet; with it, the reader is not past it yet.
  bool urgent_ready() const { return urg_.state() == UrgentReceiver::State::kValid; }
  bool synchronized() const;
  // Closed by the user (close()/abort()): nobody will read it any more.
  bool orphaned() const { return user_closed_; }
  // RFC 6191 / RFC 1122 §4.2.2.13: may a new SYN reuse this TIME_WAIT 4-tuple?
  bool time_wait_allows_reuse(const TcpRepr& syn) const;
  TcpStats stats() const;
  SeqNum iss() const { return iss_; }
  SeqNum snd_una() const { return snd_una_; }
  SeqNum snd_max() const { return snd_max_; }
  SeqNum rcv_nxt() const { return rcv_nxt_; }
  // What the layer's compact TIME-WAIT record (time_wait.h) keeps of this connection once it
  // is in TIME-WAIT: the peer's timestamp, our TSval offset, the window field of our ACKs and
  // when the 2 MSL timer ends.
  struct TimeWaitView {
    bool ts_ok = false;
    std::uint32_t ts_recent = 0;
    Instant ts_recent_at;
    std::uint32_t ts_offset = 0;
    std::uint16_t window = 0;
    Instant expires;
  };
  TimeWaitView time_wait_view() const;

  // --- Options (setsockopt) --------------------------------------------------------------
  void set_nodelay(bool on) { cfg_.nodelay = on; }
  void set_oob_inline(bool on) { cfg_.oob_inline = on; }  // SO_OOBINLINE
  // TCP_CONGESTION on a live connection: the window carries over to the new algorithm.
  void set_congestion(CongestionAlgorithm a);
  const CongestionControl& congestion() const { return *cc_; }
  void set_keepalive(bool on, Duration idle, Duration interval, unsigned count);
  // The congestion-avoidance state (ca_state.h), for tests and diagnostics.
  CaState ca_state() const { return ca_state_; }
  // Where the layer sums the RACK-TLP events of all its connections (may stay null).
  void count_rack_into(TcpRackCounters* c) { layer_rack_ = c; }
  // Where the layer sums the ECN events of all its connections (may stay null).
  void count_ecn_into(TcpEcnCounters* c) { ecn_.count_into(c); }
  // TSO: the device cuts TCP super-segments of up to `ip_len` bytes (IP packet) into MSS-sized
  // segments (IpSender::gso_max_len); 0, the default, sends one MSS per segment.
  void set_gso_max_len(std::size_t ip_len) { gso_max_len_ = ip_len; }

 private:
  // State machine pieces, one per RFC 9293 §3.10.7 step.
  void on_segment_syn_sent(Instant now, const TcpRepr& seg);
  // LISTEN -> SYN-RECEIVED for `syn` (open_passive, open_from_cookie).
  void enter_syn_received(Instant now, const TcpRepr& syn);
  bool check_sequence(Instant now, const TcpRepr& seg);  // first
  bool ts_recent_valid(Instant now) const;
  // Answers an out-of-window or PAWS-rejected segment with a duplicate ACK, rate-limited.
  void ack_invalid(Instant now, const TcpRepr& seg, const char* why);
  void update_ts_recent(Instant now, const TcpRepr& seg);
  void on_rst(Instant now, const TcpRepr& seg);   // second
  bool on_ack(Instant now, const TcpRepr& seg);   // fifth
  void on_urgent(const TcpRepr& seg);             // sixth
  void on_text(Instant now, const TcpRepr& seg);  // seventh
  // RFC 3168 §6.1.3: CE and CWR of a data segment, before its text (ecn.h).
  void on_ecn_marks(const TcpRepr& seg, std::uint8_t ip_ecn);
  // RFC 3168 §6.1.2: an ACK's ECN-Echo reduces the window once per window of data (Open and
  // Disorder only) and forbids undoing the reduction in progress.
  // With PRR the reduction is spread over the next round trip (Linux tcp_enter_cwr).
  struct AckInfo;
  void on_ecn_echo(Instant now, const AckInfo& ack);
  void on_fin(Instant now);  // eighth

  void set_state(Instant now, TcpState s);
  void enter_closed(Instant now, std::optional<TcpError> err);
  void enter_established(Instant now);
  bool cwnd_limited() const;
  // After new data went out: congestion window validation (Linux tcp_cwnd_validate).
  void cwnd_validate(Instant now);
  void drag_marks_along();  // recover_, snd_sml_, high_rxt_ follow SND.UNA
  void enter_time_wait(Instant now);
  void negotiate(Instant now, const TcpRepr& syn);
  bool segment_acceptable(const TcpRepr& seg) const;
  // An acceptable ACK (fifth step), in the steps of Linux's tcp_ack: tag the SACK blocks
  // (record_sack_blocks, tcp_sacktag_write_queue), then for an ACK of new data
  // clean_rtx_queue, ack_update_rtt, cong_control and rearm_rto, or for a duplicate ACK
  // on_duplicate_ack; then update_send_window (tcp_ack_update_window), fastretrans_alert
  // (undo, RACK, PRR, the state's way back to Open) and last the ECN-Echo (on_ecn_echo,
  // tcp_try_to_open -> tcp_enter_cwr).
  void process_ack_of_data(Instant now, const TcpRepr& seg);
  // What process_ack_of_data() measures an ACK against (Linux tcp_ack's prior_* and flags).
  struct AckInfo {
    SeqNum prior_una;
    std::uint32_t prior_sacked = 0;     // SACKed (or dup-ACKed) bytes before it
    std::uint64_t prior_rack_lost = 0;  // segments RACK had marked lost before it
    SeqNum prior_lost_end;              // the SACK scoreboard's lost range before it
    std::optional<TcpSackBlock> dsack;  // its D-SACK block
    bool advanced = false;              // it acknowledged new data
    bool dup = false;                   // a duplicate ACK (RFC 5681 §2)
    bool ece = false;                   // ECN-Echo, ECN on (Linux FLAG_ECE)
    std::uint32_t prior_flight = 0;     // FlightSize before it
  };
  bool is_duplicate_ack(const TcpRepr& seg) const;
  // Linux tcp_clean_rtx_queue: releases the acknowledged data, moves SND.UNA (RACK's delivery
  // marks, the urgent mark, the SACK scoreboard, the Loss state's end); returns the octets
  // newly acknowledged.
  std::uint32_t clean_rtx_queue(Instant now, const TcpRepr& seg);
  // Linux tcp_ack_update_rtt: an RTT sample from the echo or the timed segment (Karn).
  void ack_update_rtt(Instant now, const TcpRepr& seg);
  // Linux tcp_cong_control for an ACK of new data: the end of fast recovery or a partial ACK
  // (RFC 6582 §3.2), otherwise growth (RFC 5681 §3.1) when the window was used (RFC 7661).
  void cong_control(Instant now, const TcpRepr& seg, std::uint32_t acked, bool ece);
  // Linux tcp_rearm_rto (RFC 6298 §5.2/5.3).
  void rearm_rto(Instant now);
  // A duplicate ACK: Limited Transmit's count, NewReno's window (RFC 5681 §3.2 step 4), the
  // next SACK hole, or the third one's fast retransmit (RFC 5681 §3.2).
  void on_duplicate_ack(Instant now, const TcpRepr& seg);
  // Linux tcp_fastretrans_alert after the window update: undo, RACK's loss detection and TLP,
  // PRR's cwnd (RFC 6937 §3), then try_to_open().
  void fastretrans_alert(Instant now, const TcpRepr& seg, const AckInfo& ack);
  void update_send_window(Instant now, const TcpRepr& seg);
  void challenge_ack(Instant now);
  void schedule_ack(Instant now, bool immediate);
  void rtt_sample(Instant now, Duration r);

  // Output.
  // What transmit() must send next: input processing, timers and user calls record intent
  // here and transmit() carries it out, in this order: RST, SYN, the head, the next SACK hole,
  // RACK's lost segments, the loss probe, new data (or a forced segment), a window probe, an
  // ACK (Linux keeps the same intents in icsk_ack.pending, the lost marks that
  // tcp_xmit_retransmit_queue walks and the probe timers).
  struct OutputPlan {
    std::optional<SeqNum> rst;      // a RST with this sequence number (no connection state needed)
    bool rst_ack = false;           // ... with ACK = RCV.NXT
    bool syn = false;               // SYN or SYN-ACK (first or retransmitted)
    bool head = false;              // the segment at SND.UNA: fast retransmit, NewReno partial ACK
    bool next_hole = false;         // RFC 6675 §5 (C) NextSeg, SACK without RACK
    bool lost = false;              // RACK's lost segments (RFC 8985 §6.2)
    bool lost_ignore_cwnd = false;  // the first resend of a recovery goes whatever cwnd says
    bool loss_probe = false;        // the PTO fired: a tail-loss probe (RFC 8985 §7.3)
    bool force = false;  // data despite SWS avoidance / Nagle (persist with some window, RTO)
    bool window_probe = false;  // zero-window probe or keepalive: <SEQ=SND.UNA-1>, no data
    bool ack = false;           // an ACK now, unless a segment above carried one
    bool poked = false;         // a user call changed what may be sent: run transmit() once
    // Why the next pure ACK, RST or probe goes: traced as segment_sent's `why` (static
    // strings, docs/events.md). The last reason given wins; cleared when the segment goes.
    const char* ack_why = "";
    const char* rst_why = "";
    const char* probe_why = "";

    void want_ack(const char* why) {
      ack = true;
      ack_why = why;
    }
    void send_rst(SeqNum seq, bool with_ack, const char* why) {
      rst = seq;
      rst_ack = with_ack;
      rst_why = why;
    }
    // Something poll_at() must report as due now (the retransmissions come with an ACK or a
    // timer, which poll() handles in the same call).
    bool due() const { return rst || syn || ack || window_probe || head || force || poked; }
  };
  void fire_timers(Instant now);
  void on_rto(Instant now);
  void transmit(Instant now, TcpSink sink);
  struct DataPlan {
    std::uint32_t len = 0;
    bool fin = false;
  };
  // What the next data/FIN segment at snd_nxt would carry, or nullopt if nothing may go now
  // (window, Nagle, SWS avoidance).
  std::optional<DataPlan> plan_data_segment() const;
  // Payload per segment now: snd_mss_ less the SACK blocks the next segment will carry.
  std::uint32_t current_mss() const;
  // Payload of the largest segment plan_data_segment() may build: current_mss(), or with TSO
  // as many whole MSS as fit a super-segment (Linux tcp_tso_autosize's 64 KiB bound).
  std::uint32_t max_segment_payload(std::uint32_t mss) const;
  void send_data_segment(Instant now, TcpSink sink, SeqNum seq, DataPlan plan,
                         const char* retransmit_reason);
  // A retransmission of what was sent in [start, end): one segment from `start` (RFC 6675 §5
  // step C: "an amount of data up to SMSS"), with the FIN if it reaches the FIN's octet.
  DataPlan resend_plan(SeqNum start, SeqNum end) const;
  void retransmit_head(Instant now, TcpSink sink);
  // Records the SACK blocks in the scoreboards; returns the D-SACK block, if the ACK has one.
  std::optional<TcpSackBlock> record_sack_blocks(Instant now, const TcpRepr& seg);
  // RFC 6675 §5 step (C) with NextSeg() rules 1, 3 and 4 (rule 2, new data, is transmit()'s):
  // hole retransmissions in recovery without RACK.
  bool retransmit_next_hole(Instant now, TcpSink sink);
  // The duplicate ACK threshold says the segment at SND.UNA is lost (RFC 5681 §3.2, RFC 6675
  // §5 step 2).
  bool lost_by_dupthresh() const;
  // Does a partial ACK during recovery resend the segment at SND.UNA at once?
  bool retransmit_head_on_partial_ack() const;
  // Three duplicate ACKs or RACK found a loss: fast retransmit / fast recovery (RFC 6582 §3.2
  // step 2, RFC 8985 §6.2 step 5 "enter recovery").
  void enter_fast_recovery(Instant now, const char* reason);
  // RFC 6675 §4 pipe: the bytes in flight neither SACKed nor deemed lost, retransmissions
  // counted (RACK's scoreboard, the SACK scoreboard, or the duplicate-ACK estimate).
  std::uint32_t pipe() const;
  // Bytes the peer holds above SND.UNA: SACKed, or one SMSS per duplicate ACK without SACK.
  std::uint32_t sacked_bytes() const { return sack_ok_ ? sacked_.bytes() : reno_sacked_; }
  // RFC 6937 §3 on an ACK during fast recovery that delivered `delivered` bytes: cwnd = pipe +
  // sndcnt.
  void prr_on_ack(Instant now, std::uint32_t delivered, bool safe_ack);
  // The same for an ACK: what it delivered, and whether it was "safe" (Linux
  // tcp_cwnd_reduction's FLAG_SND_UNA_ADVANCED without newly lost).
  void prr_on_ack(Instant now, const AckInfo& ack);
  SackScoreboard sack_scoreboard() const;
  // PRR sets cwnd in the reductions: fast recovery and an ECE's CWR (Linux
  // tcp_in_cwnd_reduction).
  bool prr_active() const { return cfg_.prr && (in_fast_recovery() || ca_state_ == CaState::kCwr); }

  // The congestion-avoidance state machine (ca_state.h, Linux tcp_fastretrans_alert).
  // Every change of ca_state_ goes through here and is traced (kTcpCaState).
  void set_ca_state(Instant now, CaState to, const char* reason);
  bool in_fast_recovery() const { return ca_state_ == CaState::kRecovery; }
  // Linux tcp_try_to_open: outside a reduction, Disorder while duplicate ACKs or SACKed data
  // say the peer holds segments above a hole, Open otherwise; CWR ends with the ECN window.
  void try_to_open(Instant now);
  // The ECE reduction of the current window is in progress (Linux TCP_CA_CWR before the ACK
  // beyond its high_seq): cwnd does not grow and a loss does not reduce again.
  bool in_ecn_cwr() const { return ca_state_ == CaState::kCwr && ecn_.in_cwr(); }
  // A retransmission timeout now sets ssthresh (and opens a new undo episode): not inside a
  // window that a reduction already answered (Linux tcp_enter_loss).
  bool rto_reduces_ssthresh() const;

  // RACK-TLP (RFC 8985), used when the peer SACKs and the config enables it (rack.h).
  bool rack_active() const { return cfg_.rack && sack_ok_; }
  // Fast or RTO recovery, as RFC 8985 means it (Linux: ca_state >= TCP_CA_Recovery).
  bool rack_in_recovery() const {
    return ca_state_ == CaState::kRecovery || ca_state_ == CaState::kLoss;
  }
  // RFC 8985 §6.2 steps 1-5 for one ACK, and §7.4 for the TLP episode.
  void rack_on_ack(Instant now, const TcpRepr& seg, bool advanced,
                   std::optional<TcpSackBlock> dsack);
  // §6.2 step 5: marks lost segments, arms the reordering timer, enters recovery on a loss.
  void rack_detect_loss_and_arm_timer(Instant now);
  // An RTO, or a path MTU drop's go-back-N: what the Loss state starts with (see on_rto).
  void enter_loss_recovery();
  // Linux tcp_enter_recovery / tcp_enter_loss: the tail-loss probe episode is over.
  void end_tlp_episode();
  // Whether the ACK's TSecr is older than `s`'s latest transmission (RACK_update()).
  bool echo_predates(const TcpRepr& seg, const SentSegment& s) const;
  // Resends the segments RACK deemed lost, as far as pipe < cwnd (RFC 6675 §5 step C).
  bool retransmit_lost(Instant now, TcpSink sink);
  // §7.2/§7.3: may a probe be scheduled or sent now?
  bool tlp_allowed() const;
  // §7.2: (re)arms the PTO if a probe may be sent, else disarms it.
  void schedule_loss_probe(Instant now);
  // §7.3: sends the probe (new data if the receive window allows, else the last segment).
  bool send_loss_probe(Instant now, TcpSink sink);
  void count_rack(std::uint64_t TcpRackCounters::*field);
  // Undo of spurious retransmissions (undo.h): feeds the ACK to the tracker and, when it finds
  // the episode's retransmissions were not needed, takes the reduction back.
  void undo_on_ack(Instant now, const TcpRepr& seg, bool advanced,
                   std::optional<TcpSackBlock> dsack);
  void undo_reduction(Instant now, UndoTracker::Decision d);
  bool can_send_data_state() const;
  std::uint32_t prospective_window() const;
  bool fin_acked() const { return fin_queued_ && snd_una_ > fin_seq(); }
  void send_segment(Instant now, TcpSink sink, std::uint8_t flags, SeqNum seq, Bytes a, Bytes b,
                    bool with_options = true, bool retransmission = false);
  void send_syn(Instant now, TcpSink sink);
  std::uint16_t window_to_advertise(bool syn);
  std::uint32_t ts_now(Instant now) const;
  void arm_rto(Instant now);
  void trace(Instant now, TraceKind kind, const char* what = "", std::uint32_t seq = 0,
             std::uint32_t len = 0, std::int64_t value = 0, std::int64_t value2 = 0);
  void trace_retransmit(Instant now, const char* reason, SeqNum seq, std::uint32_t len);
  void trace_segment(Instant now, TraceKind kind, const TcpRepr& r, std::size_t len,
                     const char* why = "");
  // kTcpState with the RFC 9293 section behind the change where it is known (connection_trace.cc).
  void trace_state(Instant now, TcpState to);
  // kTcpCaState "FROM->TO" with the reason for the change (connection_trace.cc).
  void trace_ca_state(Instant now, CaState to, const char* reason);
  // kTcpCongestion after cwnd/ssthresh changed, `reason` a static string ("ack", "rto",
  // "fast-retransmit", ...); for "ack" the window before and the octets acknowledged say
  // whether it grew in slow start or congestion avoidance (connection_trace.cc).
  void trace_cwnd(Instant now, const char* reason, std::uint32_t cwnd_before = 0,
                  std::uint32_t acked = 0);
  // The part of an event every trace carries: what, when, and this connection's 4-tuple.
  TraceEvent trace_event(Instant now, TraceKind kind) const;

  // Sequence-space helpers.
  SeqNum data_end() const { return snd_buf_seq_ + static_cast<std::uint32_t>(snd_buf_.size()); }
  SeqNum fin_seq() const { return data_end(); }
  std::uint32_t flight_size() const { return static_cast<std::uint32_t>(snd_max_ - snd_una_); }
  std::uint32_t rcv_wnd() const;  // what the peer may still send: rcv_adv_ - rcv_nxt_
  // The next octet the application reads (Linux copied_seq): the ring holds RCV.NXT less it,
  // less the FIN's octet once the FIN is in.
  SeqNum copied_seq() const {
    return rcv_nxt_ - static_cast<std::uint32_t>(rcv_buf_.size()) - (fin_received_ ? 1u : 0u);
  }
  // What a stream read can return now: the ring less an urgent octet the reader would skip
  // (Linux tcp_poll raises its target by one at the mark without SO_OOBINLINE).
  std::size_t stream_bytes() const;
  std::size_t read_stream(MutBytes out);  // recv() without the window update
  // Auto-tuning (buffer_tuning.h): the receiver's RTT measurements on each data segment, the
  // receive ring's growth after a read, the send ring's growth with cwnd.
  void rcv_space_measure(Instant now, const TcpRepr& seg);
  void rcv_space_adjust();
  void sndbuf_expand();
  // RFC 9293 §3.8.5 urgent mode: an urgent pointer not yet acknowledged (Linux tcp_urg_mode).
  bool urgent_mode() const { return snd_up_ != snd_una_; }

  TcpConfig cfg_;
  TcpTuple tuple_;
  Tracer* tracer_;
  TcpState state_ = TcpState::kClosed;
  std::optional<TcpError> error_;
  std::optional<TcpError> soft_error_;
  bool active_open_ = false;
  bool user_closed_ = false;

  // Send sequence space (RFC 9293 §3.3.1). snd_max_ is the highest sequence ever sent (snd_nxt_
  // goes back to snd_una_ on a timeout).
  SeqNum iss_, snd_una_, snd_nxt_, snd_max_, snd_wl1_, snd_wl2_;
  std::uint32_t snd_wnd_ = 0;
  std::uint32_t max_snd_wnd_ = 0;
  SeqNum snd_buf_seq_;  // sequence number of snd_buf_'s first byte
  RingBuffer snd_buf_;
  bool fin_queued_ = false;  // shutdown/close: FIN follows the data
  // A send() found the ring full (Linux SOCK_NOSPACE): the next ACK may grow it.
  bool snd_nospace_ = false;
  SeqNum snd_up_;  // SND.UP: just after the last urgent octet (MUST-62)

  // Receive sequence space.
  SeqNum irs_, rcv_nxt_;
  SeqNum rcv_adv_;        // right edge of the window we advertised
  SeqNum last_ack_sent_;  // RCV.NXT of the last ACK sent (RFC 7323 §4.3 Last.ACK.sent)
  RingBuffer rcv_buf_;
  Assembler ooo_;
  std::optional<SeqNum> ooo_fin_;  // a FIN that arrived before the data in front of it
  bool fin_received_ = false;
  std::optional<TcpSackBlock> dsack_;  // RFC 2883: duplicate to report in the next ACK
  UrgentReceiver urg_;                 // RCV.UP and the urgent octet (urgent.h)
  RcvBufTuner rcv_tuner_;              // receive-buffer auto-tuning (buffer_tuning.h)

  // Negotiated options.
  std::uint16_t adv_mss_ = 536;   // the MSS we advertise (route MTU - headers)
  std::uint16_t peer_mss_ = 536;  // the peer's MSS option (or the default)
  std::uint32_t snd_mss_ = 536;   // payload per segment (options subtracted)
  std::uint32_t rcv_mss_ = 536;   // estimate of the peer's segment size (delayed ACK)
  std::uint8_t snd_wscale_ = 0;   // peer's shift: applied to windows we receive
  std::uint8_t rcv_wscale_ = 0;   // our shift: applied to windows we send
  std::uint8_t our_wscale_ = 0;   // what we offer
  bool sack_ok_ = false;
  bool ts_ok_ = false;
  std::uint32_t ts_recent_ = 0;
  Instant ts_recent_at_;  // when TS.Recent was last set (RFC 7323 §5.5 24-day validity)
  std::uint32_t ts_offset_ = 0;
  // TSval of the last timeout retransmission: older echoes are not RTT samples (see on_rto).
  std::optional<std::uint32_t> ts_min_echo_;
  std::size_t mtu_;
  std::size_t gso_max_len_ = 0;  // set_gso_max_len()

  // Reliability.
  RttEstimator rtt_;
  std::unique_ptr<CongestionControl> cc_;
  unsigned backoff_ = 0;           // consecutive RTOs (exponential backoff, RFC 6298 §5.5)
  unsigned retransmits_ = 0;       // retransmissions of the current head (give-up count)
  std::optional<SeqNum> rtt_seq_;  // Karn: timing this sequence number (no timestamps)
  Instant rtt_sent_at_;
  unsigned dup_acks_ = 0;
  CaState ca_state_ = CaState::kOpen;  // ca_state.h; changed only by set_ca_state()
  SeqNum recover_;                     // RFC 6582 "recover"
  SeqNum snd_sml_;  // end of the last small segment sent (Minshall's Nagle variant)
  // RFC 7661 / Linux tcp_cwnd_validate: the largest flight of the round that ends when SND.UNA
  // passes cwnd_usage_seq_ (cwnd grows only if the flight used it, see cwnd_limited()).
  SeqNum cwnd_usage_seq_;
  std::uint32_t max_flight_ = 0;
  // Linux snd_cwnd_used / snd_cwnd_stamp (cwnd_validate): the largest flight since cwnd was
  // last used in full or changed, and when that was.
  std::uint32_t cwnd_used_ = 0;
  Instant cwnd_stamp_;
  // SACK scoreboard (RFC 2018, RFC 6675): what the peer reported holding above SND.UNA.
  Assembler sacked_;
  SeqNum high_rxt_;  // RFC 6675 HighRxt: end of the last hole retransmitted
  // Without SACK: one SMSS per duplicate ACK, the segments that left the network above the
  // hole (Linux tcp_add_reno_sack / tcp_remove_reno_sacks).
  std::uint32_t reno_sacked_ = 0;
  Prr prr_;                           // RFC 6937 during fast recovery (TcpConfig::prr)
  std::optional<SeqNum> rescue_rxt_;  // RFC 6675 RescueRxt (NextSeg rule 4), per recovery
  Instant last_send_;

  // RACK-TLP state (RFC 8985): the per-segment scoreboard, RACK and the TLP episode.
  SentQueue sent_;
  Rack rack_;
  TlpEpisode tlp_;
  TcpEcn ecn_;                    // RFC 3168 (ecn.h)
  std::uint32_t tlp_flight_ = 0;  // FlightSize when the probe went out
  TcpRackCounters* layer_rack_ = nullptr;
  UndoTracker undo_;  // the last fast recovery or RTO, until shown spurious or over

  // What transmit() must send next (see OutputPlan).
  OutputPlan plan_;

  // ACK policy.
  unsigned quick_acks_ = 0;
  std::uint32_t unacked_rcv_bytes_ = 0;

  // Timers (stored deadlines; never() = not armed).
  Instant rto_at_ = Instant::never();
  Instant rack_reo_at_ = Instant::never();  // RACK reordering timer (RFC 8985 §6.2 step 5)
  Instant tlp_at_ = Instant::never();       // probe timeout (RFC 8985 §7.2)
  Instant delack_at_ = Instant::never();
  Instant persist_at_ = Instant::never();
  Instant keepalive_at_ = Instant::never();
  Instant close_at_ = Instant::never();  // TIME_WAIT or FIN_WAIT_2 timeout
  // The deadlines the last trace_timers() reported, in its order.
  std::array<Instant, 7> traced_timers_{Instant::never(), Instant::never(), Instant::never(),
                                        Instant::never(), Instant::never(), Instant::never(),
                                        Instant::never()};
  unsigned persist_backoff_ = 0;
  unsigned unanswered_probes_ = 0;  // zero-window probes since the last segment received
  unsigned keepalive_probes_ = 0;
  Instant last_rx_;
  Instant clock_;  // the latest time passed in (user calls carry no time)

  // Linux tcp_oow_rate_limited: when the last out-of-window duplicate ACK went out.
  std::optional<Instant> last_oow_ack_;
  // RFC 5961 §7 rate limit.
  Instant challenge_window_start_;
  unsigned challenge_count_ = 0;

  TcpStats stats_;
};

}  // namespace ustack
