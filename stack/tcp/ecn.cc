#include "stack/tcp/ecn.h"

#include "stack/wire/tcp.h"

namespace ustack {

using namespace tcp_flags;

std::uint8_t TcpEcn::syn_flags(bool retransmission) {
  if (mode_ != TcpEcnMode::kRequest || retransmission) return 0;
  requested_ = true;
  return kEce | kCwr;
}

void TcpEcn::on_syn(std::uint8_t flags, bool active) {
  bool ece = (flags & kEce) != 0;
  bool cwr = (flags & kCwr) != 0;
  if (active) {
    // We asked: a SYN-ACK turns ECN on with ECE and without CWR (Linux tcp_ecn_rcv_synack:
    // a SYN-ACK with both is a reflector of our flags, not an ECN peer); a simultaneous SYN
    // with ECE and CWR (tcp_ecn_rcv_syn). "If a host has received a non-ECN-setup SYN-ACK
    // packet, then it MUST NOT set ECT on data packets".
    bool setup = (flags & kAck) ? ece && !cwr : ece && cwr;
    ok_ = requested_ && setup;
  } else {
    // A listener answers an ECN-setup SYN unless ECN is off (Linux tcp_ecn_create_request).
    ok_ = mode_ != TcpEcnMode::kOff && ece && cwr;
  }
  if (ok_) count(&TcpEcnCounters::negotiated);
}

std::uint8_t TcpEcn::syn_ack_flags() const { return ok_ ? kEce : 0; }

bool TcpEcn::on_data(std::uint8_t flags, std::uint8_t ip_ecn) {
  if (!ok_) return false;
  // Linux tcp_ecn_accept_cwr: the sender reduced its window, stop echoing. Then the CE check
  // of the same segment (a CWR segment may itself be CE-marked).
  if (flags & kCwr) {
    demand_cwr_ = false;
    count(&TcpEcnCounters::cwr_received);
  }
  switch (ip_ecn & kIpEcnMask) {
    case kIpEcnNotEct:
      // Linux: after ECT segments, a Not-ECT one is probably a retransmission: ACK at once.
      return ect_seen_;
    case kIpEcnCe: {
      count(&TcpEcnCounters::ce_received);
      ect_seen_ = true;
      bool start = !demand_cwr_;
      demand_cwr_ = true;
      return start;
    }
    default:  // ECT(0) or ECT(1)
      ect_seen_ = true;
      return false;
  }
}

void TcpEcn::on_ack(SeqNum ack) {
  if (in_cwr_ && ack > cwr_high_) in_cwr_ = false;
}

bool TcpEcn::echo(std::uint8_t flags) {
  if (!ok_ || (flags & kSyn) || !(flags & kEce)) return false;
  count(&TcpEcnCounters::ece_received);
  return true;
}

void TcpEcn::on_cwr(SeqNum snd_max) {
  if (!ok_) return;
  count(&TcpEcnCounters::cwnd_reductions);
  queue_cwr_ = true;
  in_cwr_ = true;
  cwr_high_ = snd_max;
}

void TcpEcn::queue_cwr() {
  if (ok_) queue_cwr_ = true;
}

TcpEcn::Marks TcpEcn::on_send(bool new_data) {
  Marks m;
  if (!ok_) return m;
  // Linux tcp_ecn_send: ECE on every segment while the echo lasts; ECT(0) and the queued CWR
  // only on new data (§6.1.5: no ECT on retransmissions; §6.1.4: none on pure ACKs; §6.1.6:
  // window probes carry no new data).
  if (demand_cwr_) m.tcp_flags |= kEce;
  if (new_data) {
    m.ip_ecn = kIpEcnEct0;
    if (queue_cwr_) {
      queue_cwr_ = false;
      m.tcp_flags |= kCwr;
      count(&TcpEcnCounters::cwr_sent);
    }
  }
  return m;
}

void TcpEcn::count(std::uint64_t TcpEcnCounters::*field) {
  ++(counters_.*field);
  if (layer_ != nullptr) ++(layer_->*field);
}

}  // namespace ustack
