// pcapng per-packet comments for the TCP segments ustack sends, made from the tracer's events.
//
// A Tracer and a PacketCommenter in one: installed as the stack's tracer (forwarding every
// event to `next`, e.g. the --events writer) and as the PcapTapWriter's commenter. The core
// stays free of I/O: it only emits its events; this shell-side adapter remembers, per
// connection, what the events said and turns it into text when the connection's next segment
// crosses the device.
//
// A segment reaches the device before its own segment_sent event (TcpLayer emits it, then the
// connection traces it), so the comment is built from the events that precede it at the same
// instant: a retransmission's reason ("retransmit (rto)"), a timer that fired ("delack timer",
// "persist timer", ...), else what the segment itself is ("SYN", "data", "ACK", ...); then the
// connection's state (after the last state change before the segment: "state ESTABLISHED") and
// the congestion window the last congestion event gave ("cwnd 14480 ssthresh 2147483647").
// Example: "retransmit (fast); state ESTABLISHED; cwnd 7240 ssthresh 7240".
//
// A received packet reaches the device before the stack has looked at it, so the writer holds
// it until the stack has handled it (comments_after_handling) and its comment says what it did,
// from the events between its arrival and its writing: "ACKs 1448 bytes; cwnd 14480→15928",
// "dup ACK #2", "data 1448 bytes, out of order, SACKed", "dropped: tcp bad checksum
// (drops.tcp_bad_checksum)", then the state after it. Non-TCP packets get no comment.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/seqnum.h"
#include "stack/device.h"
#include "stack/tracer.h"
#include "tun/pcap_file.h"

namespace ustack::tun {

class TcpSegmentComments final : public Tracer, public PacketCommenter {
 public:
  // `medium`: how the device's packets start (Ethernet: a 14-octet header first). `next` (may be
  // null, not owned) receives every event too.
  explicit TcpSegmentComments(Medium medium, Tracer* next = nullptr)
      : medium_(medium), next_(next) {}

  void on_event(const TraceEvent& e) override;
  std::string comment(Instant now, PacketDirection dir, Bytes packet) override;
  bool comments_after_handling() const override { return true; }
  void arrived(Instant now, Bytes packet) override;

 private:
  using FlowKey = std::tuple<IpAddr, std::uint16_t, IpAddr, std::uint16_t>;  // local, remote
  struct Flow {
    std::string state;   // after the last state change
    std::string reason;  // why the next segment goes out, if an event said so
    Instant reason_at;   // ... valid only for a segment sent at this instant
    std::int64_t cwnd = -1;
    std::int64_t ssthresh = -1;
    // The sequence spaces, as the segments in and out show them (for what a received
    // segment did): SND.UNA, SND.MAX and the peer's window; RCV.NXT and what came out of order.
    std::optional<SeqNum> snd_una, snd_max, rcv_nxt;
    std::uint32_t peer_wnd = 0;
    unsigned dup_acks = 0;
    bool sack_sent = false, sack_received = false;  // SACK-permitted in each SYN
    bool syn_unacked = false;                       // our SYN is outstanding
    std::vector<std::pair<SeqNum, SeqNum>> ooo;
  };
  // The received packet being handled: its flow and what the events said it did.
  struct Arrival {
    bool active = false;
    bool tcp = false;
    FlowKey flow;
    std::vector<std::string> did;
  };

  Flow& remember(const FlowKey& k);
  void segment_in(Flow& f, const TraceEvent& e);
  void segment_out(Flow& f, const TraceEvent& e);

  Medium medium_;
  Tracer* next_;
  std::map<FlowKey, Flow> flows_;
  Arrival arrival_;
};

}  // namespace ustack::tun
