// Proportional Rate Reduction (RFC 6937 §3): how much a sender in loss recovery may send per
// ACK, so the flight falls smoothly from RecoverFS to ssthresh over one round trip instead of
// going quiet for half of it (RFC 6675) or bursting (RFC 5681 inflation). Linux runs it for an
// ECN-Echo's reduction too (the CWR state, RecoverFS = the cwnd before it), and so does the
// connection.
//
// Pure arithmetic in bytes, with the RFC's names: the connection tells it when recovery starts
// (on_enter), what each ACK delivered and what is in the pipe then (on_ack, which answers
// sndcnt), and what it sent (on_sent); the connection sets cwnd = pipe + sndcnt (Linux
// tcp_cwnd_reduction) and sends while pipe < cwnd.
//
// The reduction bound is PRR-SSRB by default, as in Linux, with Linux's (and RFC 9937's)
// refinement: the extra SMSS of slow-start catch-up is only granted on an ACK that advances
// SND.UNA and reports no new loss (a "safe" ACK); other ACKs get max(banked, DeliveredData).
// PRR-CRB (the strong packet conservation bound) is there for comparison.
#pragma once

#include <cstdint>

namespace ustack {

class Prr {
 public:
  enum class Bound : std::uint8_t {
    kSsrb,  // Slow-Start Reduction Bound: limit = MAX(prr_delivered - prr_out, DeliveredData)
            // + MSS (RFC 6937 §3), the MSS only on a safe ACK (Linux, RFC 9937)
    kCrb,   // Conservative Reduction Bound: limit = prr_delivered - prr_out
  };

  explicit Prr(Bound bound = Bound::kSsrb) : bound_(bound) {}

  // Recovery starts: RecoverFS = snd.nxt - snd.una (Linux uses the cwnd before the reduction,
  // the same for a sender that filled its window), ssthresh from the congestion control.
  void on_enter(std::uint32_t recover_fs, std::uint32_t ssthresh, std::uint32_t mss);
  // One ACK during recovery: DeliveredData = change in SND.UNA + change in SACKed bytes, pipe
  // after the ACK (RFC 6675 §4). Returns sndcnt, the bytes that may be sent now. `safe_ack`:
  // the ACK advanced SND.UNA and marked nothing newly lost.
  std::uint32_t on_ack(std::uint32_t delivered_data, std::uint32_t pipe, bool safe_ack = true);
  // Any data transmission or retransmission during recovery: prr_out += bytes.
  void on_sent(std::uint32_t bytes) { prr_out_ += bytes; }

  std::uint64_t prr_delivered() const { return prr_delivered_; }
  std::uint64_t prr_out() const { return prr_out_; }
  std::uint32_t recover_fs() const { return recover_fs_; }
  std::uint32_t ssthresh() const { return ssthresh_; }

 private:
  Bound bound_;
  std::uint64_t prr_delivered_ = 0;  // total bytes delivered to the receiver since recovery
  std::uint64_t prr_out_ = 0;        // total bytes sent since recovery
  std::uint32_t recover_fs_ = 1;     // RecoverFS: the flight when recovery started
  std::uint32_t ssthresh_ = 0;
  std::uint32_t mss_ = 1;
};

}  // namespace ustack
