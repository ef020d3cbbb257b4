// Congestion control behind a small interface (RFC 5681, RFC 6582 NewReno).
//
// The connection owns loss detection (duplicate ACKs, RTO, NewReno's recovery point) and tells
// the algorithm what happened; the algorithm owns cwnd and ssthresh. cwnd and ssthresh are in
// bytes. NewReno lives here, CUBIC (RFC 9438, with HyStart++) in cubic.h; the hooks carry the
// time (the caller's virtual clock) and the RTT so a time-based algorithm has what it needs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "stack/base/seqnum.h"
#include "stack/base/time.h"

namespace ustack {

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual const char* name() const = 0;
  // Connection established; `mss` is the sender MSS.
  virtual void init(std::uint32_t mss) = 0;
  // The algorithm replaces another on a live connection (setsockopt TCP_CONGESTION, Linux
  // tcp_reinit_congestion_control): it keeps the window and ssthresh and starts its own state
  // afresh.
  virtual void resume(std::uint32_t cwnd, std::uint32_t ssthresh, std::uint32_t mss) = 0;
  // An RTT sample from an ACK that acknowledged new data (RFC 6298 §3 / RFC 7323 §4), taken
  // before on_ack() for that ACK; `snd_una` and `snd_max` after the ACK, so a round-based
  // algorithm (HyStart++, RFC 9406 §4.2) can tell where a round of ACKs ends.
  virtual void on_rtt_sample(Instant /*now*/, Duration /*rtt*/, SeqNum /*snd_una*/,
                             SeqNum /*snd_max*/) {}
  // An ACK acknowledged `bytes_acked` new bytes outside of fast recovery.
  virtual void on_ack(Instant now, std::uint32_t bytes_acked, std::uint32_t mss, Duration srtt) = 0;
  // Three duplicate ACKs: fast retransmit, enter fast recovery (RFC 6582 §3.2 step 2, RFC 5681
  // §3.2 steps 2-3).
  virtual void on_enter_recovery(Instant now, std::uint32_t flight_size, std::uint32_t mss) = 0;
  // Another duplicate ACK during recovery (RFC 5681 §3.2 step 4: inflate).
  virtual void on_dupack_in_recovery(std::uint32_t mss) = 0;
  // A partial ACK during recovery (RFC 6582 §3.2 step 3 "Partial acknowledgments": deflate by
  // the amount acked, add back one MSS).
  virtual void on_partial_ack(std::uint32_t bytes_acked, std::uint32_t mss) = 0;
  // A full ACK ends recovery (RFC 6582 §3.2 step 3 "Full acknowledgments": deflate).
  virtual void on_exit_recovery(std::uint32_t flight_size, std::uint32_t mss) = 0;
  // An ACK with ECN-Echo (RFC 3168 §6.1.2) when PRR is off (TcpConfig::prr): the same
  // reduction as for a loss (ssthresh from the algorithm's β, RFC 9438 §4.6 for CUBIC, which
  // also ends HyStart++, RFC 9406 §4.2), with cwnd = ssthresh at once and nothing to
  // retransmit: entering and leaving recovery in one step. With PRR the connection calls
  // on_enter_recovery, set_cwnd_in_recovery per ACK and on_exit_recovery at the end of CWR,
  // as Linux's tcp_enter_cwr / tcp_cwnd_reduction / tcp_end_cwnd_reduction.
  virtual void on_ecn_echo(Instant now, std::uint32_t flight_size, std::uint32_t mss) {
    on_enter_recovery(now, flight_size, mss);
    on_exit_recovery(flight_size, mss);
  }
  // Proportional Rate Reduction (RFC 6937) sets cwnd on each ACK during recovery or CWR (pipe
  // + sndcnt, Linux tcp_cwnd_reduction) instead of on_dupack_in_recovery/on_partial_ack.
  virtual void set_cwnd_in_recovery(std::uint32_t cwnd) { cwnd_ = cwnd; }
  // Retransmission timeout (RFC 5681 §3.1 eq. 4, loss window of one segment). `reduce` false:
  // the window was reduced for this window of data already (fast recovery, an ECE's CWR window
  // (RFC 3168 §6.1.2), or a timeout of the same head; Linux tcp_enter_loss "Reduce ssthresh if
  // it has not yet been made inside this window", TcpConnection::rto_reduces_ssthresh), so
  // ssthresh stays.
  virtual void on_rto(Instant now, std::uint32_t flight_size, std::uint32_t mss, bool reduce) = 0;
  // The sender starts again after `idle` without sending, longer than `rto` (RFC 5681 §4.1,
  // Linux tcp_cwnd_restart after RFC 2861 §3): the window falls to the restart window
  // min(IW, cwnd), but only as far as halving it once per further RTO of idleness takes it, so
  // a short pause costs less than a long one; ssthresh keeps 3/4 of the old window so slow
  // start brings it back within a few round trips.
  void restart_after_idle(Duration idle, Duration rto, std::uint32_t mss);
  // The sender used at most `used` bytes of cwnd for an RTO without being limited by it (Linux
  // tcp_cwnd_application_limited, RFC 2861 §3 "slow part"): cwnd falls halfway to
  // max(used, IW), and ssthresh keeps 3/4 of the old window, as after idle.
  void application_limited(std::uint32_t used, std::uint32_t mss);
  // The last reduction (recovery or RTO) was spurious (undo.h): take it back. `prior_cwnd` and
  // `prior_ssthresh` are from before it. Linux tcp_undo_cwnd_reduction: cwnd = undo_cwnd() -
  // max(cwnd, prior_cwnd) for Reno and CUBIC (tcp_reno_undo_cwnd) - and ssthresh =
  // max(ssthresh, prior_ssthresh).
  virtual void on_undo(std::uint32_t prior_cwnd, std::uint32_t prior_ssthresh) = 0;

  std::uint32_t cwnd() const { return cwnd_; }
  std::uint32_t ssthresh() const { return ssthresh_; }

 protected:
  // The algorithm's part of restart_after_idle() and application_limited(): take `cwnd` (its
  // own state follows).
  virtual void set_cwnd_after_idle(std::uint32_t cwnd) = 0;

  std::uint32_t cwnd_ = 0;
  std::uint32_t ssthresh_ = 0x7fffffff;
};

// RFC 6928 §2: the initial window, min(10*MSS, max(2*MSS, 14600)) bytes (IW10, Linux's
// default since 2.6.39; Linux uses 10*MSS also for MSS above 1460, RFC 6928 caps it at 14600).
std::uint32_t initial_window(std::uint32_t mss);

// Slow start, congestion avoidance (RFC 5681 §3.1 with appropriate byte counting, RFC 3465
// L=2) and NewReno fast recovery (RFC 6582), with the IW10 initial window (RFC 6928).
// Linux's name for it is "reno".
class NewReno final : public CongestionControl {
 public:
  const char* name() const override { return "reno"; }
  void init(std::uint32_t mss) override;
  void resume(std::uint32_t cwnd, std::uint32_t ssthresh, std::uint32_t mss) override;
  void on_ack(Instant now, std::uint32_t bytes_acked, std::uint32_t mss, Duration srtt) override;
  void on_enter_recovery(Instant now, std::uint32_t flight_size, std::uint32_t mss) override;
  void on_dupack_in_recovery(std::uint32_t mss) override;
  void on_partial_ack(std::uint32_t bytes_acked, std::uint32_t mss) override;
  void on_exit_recovery(std::uint32_t flight_size, std::uint32_t mss) override;
  void on_rto(Instant now, std::uint32_t flight_size, std::uint32_t mss, bool reduce) override;
  void on_undo(std::uint32_t prior_cwnd, std::uint32_t prior_ssthresh) override;

 private:
  void set_cwnd_after_idle(std::uint32_t cwnd) override;

  std::uint32_t bytes_acked_ca_ = 0;  // congestion avoidance byte counter (RFC 3465 §2.1)
};

// CUBIC is the default, as in Linux (net.ipv4.tcp_congestion_control).
enum class CongestionAlgorithm : std::uint8_t { kNewReno, kCubic };
std::unique_ptr<CongestionControl> make_congestion_control(CongestionAlgorithm a);
// The names setsockopt(TCP_CONGESTION) takes and getsockopt returns: "reno", "cubic".
const char* to_string(CongestionAlgorithm a);
std::optional<CongestionAlgorithm> congestion_algorithm_from_name(std::string_view name);

}  // namespace ustack
