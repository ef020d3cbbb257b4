// Congestion control behind a small interface (RFC 5681, RFC 6582 NewReno).
//
// The connection owns loss detection (duplicate ACKs, RTO, NewReno's recovery point) and tells
// the algorithm what happened; the algorithm owns cwnd and ssthresh. CUBIC (RFC 9438) and a
// RACK-driven recovery plug in here later: the hooks carry the time and the RTT so a
// time-based algorithm has what it needs.
#pragma once

#include <cstdint>
#include <memory>

#include "stack/base/time.h"

namespace ustack {

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual const char* name() const = 0;
  // Connection established; `mss` is the sender MSS.
  virtual void init(std::uint32_t mss) = 0;
  // An ACK acknowledged `bytes_acked` new bytes outside of fast recovery.
  virtual void on_ack(Instant now, std::uint32_t bytes_acked, std::uint32_t mss, Duration srtt) = 0;
  // Three duplicate ACKs: fast retransmit, enter fast recovery (RFC 6582 §3.2 step 2).
  virtual void on_enter_recovery(Instant now, std::uint32_t flight_size, std::uint32_t mss) = 0;
  // Another duplicate ACK during recovery (step 3: inflate).
  virtual void on_dupack_in_recovery(std::uint32_t mss) = 0;
  // A partial ACK during recovery (step 5: deflate by the amount acked, add back one MSS).
  virtual void on_partial_ack(std::uint32_t bytes_acked, std::uint32_t mss) = 0;
  // A full ACK ends recovery (step 6: deflate).
  virtual void on_exit_recovery(std::uint32_t flight_size, std::uint32_t mss) = 0;
  // Retransmission timeout (RFC 5681 §3.1 eq. 4, loss window of one segment).
  virtual void on_rto(Instant now, std::uint32_t flight_size, std::uint32_t mss) = 0;
  // RFC 5681 §4.1: restart after an idle period longer than the RTO.
  virtual void on_idle_restart(std::uint32_t mss) = 0;

  std::uint32_t cwnd() const { return cwnd_; }
  std::uint32_t ssthresh() const { return ssthresh_; }

 protected:
  std::uint32_t cwnd_ = 0;
  std::uint32_t ssthresh_ = 0x7fffffff;
};

// Slow start, congestion avoidance (RFC 5681 §3.1 with appropriate byte counting, RFC 3465
// L=2) and NewReno fast recovery (RFC 6582), with an initial window of 10 segments like Linux
// (RFC 6928).
class NewReno final : public CongestionControl {
 public:
  const char* name() const override { return "newreno"; }
  void init(std::uint32_t mss) override;
  void on_ack(Instant now, std::uint32_t bytes_acked, std::uint32_t mss, Duration srtt) override;
  void on_enter_recovery(Instant now, std::uint32_t flight_size, std::uint32_t mss) override;
  void on_dupack_in_recovery(std::uint32_t mss) override;
  void on_partial_ack(std::uint32_t bytes_acked, std::uint32_t mss) override;
  void on_exit_recovery(std::uint32_t flight_size, std::uint32_t mss) override;
  void on_rto(Instant now, std::uint32_t flight_size, std::uint32_t mss) override;
  void on_idle_restart(std::uint32_t mss) override;

 private:
  std::uint32_t bytes_acked_ca_ = 0;  // congestion avoidance byte counter (RFC 3465 §2.1)
};

enum class CongestionAlgorithm : std::uint8_t { kNewReno };
std::unique_ptr<CongestionControl> make_congestion_control(CongestionAlgorithm a);

}  // namespace ustack
