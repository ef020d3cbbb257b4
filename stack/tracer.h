// Tracer: structured events from every layer, for `ustack trace`, plots and tests.
//
// The core calls Tracer::on_event only when a tracer is installed, so tracing costs one
// branch when off. Events carry numbers, not formatted text, so tools can plot cwnd or RTT and
// tests can assert on them; to_string() renders one readable line.
#pragma once

#include <cstdint>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/time.h"

namespace ustack {

struct TcpRepr;

enum class TraceKind : std::uint8_t {
  kPacketIn,       // a packet arrived from the device            (len)
  kPacketOut,      // a packet went to the device                 (len)
  kDrop,           // a packet was dropped                        (what = counter name)
  kNeighbor,       // ARP/NDP entry changed state                 (what = "STALE->REACHABLE")
  kIcmp,           // ICMP message sent or received               (what, value = type)
  kTcpState,       // connection state change                     (what = "SYN_SENT->ESTABLISHED")
  kTcpSegmentIn,   // segment accepted by a connection            (seq, ack, len, wnd, flags)
  kTcpSegmentOut,  // segment sent                                (seq, ack, len, wnd, flags)
  kTcpRetransmit,  // retransmission                              (seq, len, what = "rto"/"fast";
                   //   for "rack": value = RACK.xmit_ts ns, ack = RACK.end_seq,
                   //   value2 = RACK.rtt ns, value3 = reo_wnd ns)
  kTcpRttSample,   // RTT measured                                (value = rtt ns, value2 = rto ns,
                   //                                  value3 = srtt ns, value4 = rttvar ns)
  kTcpWindow,      // send or receive window changed              (what = "snd_wnd"/"rcv_wnd", wnd)
                   // or auto-tuning grew a buffer          (what = "rcvbuf"/"sndbuf", wnd = bytes)
  kTcpCongestion,  // cwnd/ssthresh changed                       (value = cwnd, value2 = ssthresh,
                   //   what = reason, value3 = bytes in flight, value4 = pipe, wnd = peer's window)
  kTcpTimer,       // timer set/fired/cancelled                   (what = "rto"/"persist"/...,
                   //   detail = "set"/"fired"/"cancelled", value = deadline ns when set)
  kTcpCaState,     // congestion-avoidance state change           (what = "Open->Recovery",
                   //   detail = reason, value = cwnd, value2 = ssthresh; stack/tcp/ca_state.h)
};

const char* to_string(TraceKind k);

struct TraceEvent {
  TraceKind kind = TraceKind::kPacketIn;
  Instant at;
  // The flow the event belongs to (TCP/UDP); zero ports when not per-flow.
  IpAddr local;
  IpAddr remote;
  std::uint16_t local_port = 0;
  std::uint16_t remote_port = 0;
  // Meaning per kind, see TraceKind. `what` always points to a string with static storage.
  const char* what = "";
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint32_t len = 0;
  std::uint32_t wnd = 0;
  std::uint8_t flags = 0;  // TCP flags byte (FIN=0x01 SYN=0x02 RST=0x04 PSH=0x08 ACK=0x10)
  std::int64_t value = 0;
  std::int64_t value2 = 0;
  std::int64_t value3 = 0;
  std::int64_t value4 = 0;
  // A second static string: the timer phase (kTcpTimer), the RFC 9293 section behind a state
  // change when the stack knows it (kTcpState, "3.10.7.3"), the phase of a congestion change
  // (kTcpCongestion: "slow-start"/"congestion-avoidance" for an ACK's growth), the reason
  // for a congestion-avoidance state change (kTcpCaState: "rto", "dup-acks", "recovered", ...),
  // why a segment without data was sent (kTcpSegmentOut: "delack", "quickack", "out-of-order",
  // "challenge", "zero-window-probe", "keepalive", "abort" ... — docs/events.md lists them).
  const char* detail = "";
  // kDrop by an impairment (stack/impair): the random draw in [0, 1) that lost the packet (-1
  // when no draw decided), the seed in value2, the rule in detail (valid only during
  // on_event), and `seq` with has_seq when the packet was TCP (then the flow is set too).
  double draw = -1;
  bool has_seq = false;
  // kTcpSegmentIn/Out: the whole decoded header (options included). Valid only during
  // on_event; null for events that carry no segment.
  const TcpRepr* tcp = nullptr;

  std::string to_string() const;  // one line: "12.000100s tcp 198.18.0.2:80>198.18.0.1:4000 ..."
};

class Tracer {
 public:
  virtual ~Tracer() = default;
  virtual void on_event(const TraceEvent& e) = 0;
};

}  // namespace ustack
