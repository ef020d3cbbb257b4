// Values shared by the TCP connection, the TCP layer and its users: states, errors, config,
// per-connection statistics, and the segment a connection asks its caller to send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/random.h"
#include "stack/base/time.h"
#include "stack/tcp/ca_state.h"
#include "stack/tcp/congestion.h"
#include "stack/wire/tcp.h"

namespace ustack {

// RFC 9293 §3.3.2.
enum class TcpState : std::uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
};
const char* to_string(TcpState s);  // "ESTABLISHED", "SYN_SENT", ...

// Connection errors (reported as values; sockapi maps them to errno) and API errors.
enum class TcpError : std::uint8_t {
  // The connection failed.
  kReset,                // ECONNRESET: the peer reset an established connection
  kRefused,              // ECONNREFUSED: RST in answer to our SYN
  kTimedOut,             // ETIMEDOUT: retransmissions, SYN retries or keepalive gave up
  kAborted,              // ECONNABORTED: aborted locally (abort(), close with unread data)
  kNetUnreachable,       // ENETUNREACH (ICMP)
  kHostUnreachable,      // EHOSTUNREACH (ICMP)
  kProtocolUnreachable,  // ENOPROTOOPT (ICMP)
  kPortUnreachable,      // ECONNREFUSED (ICMP port unreachable)
  kAdminProhibited,      // EACCES/EHOSTUNREACH (ICMP administratively prohibited)
  kNoRoute,              // ENETUNREACH: no route / no source address for the destination
  // The call cannot be done now or at all.
  kWouldBlock,    // EAGAIN
  kNotConnected,  // ENOTCONN
  kPipe,          // EPIPE: send after shutdown or after the error was reported; also the error
                  // of a connection reset in CLOSE-WAIT (Linux tcp_reset)
  kBadHandle,     // EBADF: stale or unknown handle
  kAddressInUse,  // EADDRINUSE
  kNoPorts,       // EADDRNOTAVAIL: no free ephemeral port
  kInvalid,       // EINVAL: wrong socket kind or state for the call
  kInProgress,    // EINPROGRESS / EALREADY: connect still running
  kIsConnected,   // EISCONN: connect() on a connected socket
};
const char* to_string(TcpError e);  // "reset", "refused", ...

// net.ipv4.tcp_ecn: whether connections use ECN (RFC 3168, stack/tcp/ecn.h).
enum class TcpEcnMode : std::uint8_t {
  kOff,      // 0: never; an ECN-setup SYN gets a plain SYN-ACK
  kRequest,  // 1: our SYNs ask for it, and we accept it when asked
  kAccept,   // 2 (Linux's default): accepted when the peer's SYN asks, never asked for
};

struct TcpConfig {
  // The rings of each connection: their starting sizes (tcp_wmem[1] / tcp_rmem[1], or what
  // SO_SNDBUF / SO_RCVBUF set), and how far auto-tuning may grow them (tcp_wmem[2] /
  // tcp_rmem[2], buffer_tuning.h). A maximum not above the starting size means a fixed buffer,
  // as SO_SNDBUF / SO_RCVBUF lock it in Linux (SOCK_SNDBUF_LOCK / SOCK_RCVBUF_LOCK). The window
  // scale we offer is chosen so that the maximum can be advertised. The core's default is fixed
  // (no auto-tuning) so that virtual-time runs keep their windows; the device commands turn it on
  // (--tcp-rmem / --tcp-wmem).
  std::size_t send_buffer = 256 * 1024;
  std::size_t recv_buffer = 256 * 1024;
  std::size_t send_buffer_max = 0;
  std::size_t recv_buffer_max = 0;
  bool send_buffer_tuned() const { return send_buffer_max > send_buffer; }
  bool recv_buffer_tuned() const { return recv_buffer_max > recv_buffer; }
  bool nodelay = false;  // TCP_NODELAY: no Nagle
  // SO_OOBINLINE: the urgent octet stays in the stream instead of being read with MSG_OOB.
  bool oob_inline = false;
  // TCP_MAXSEG (Linux rx_opt.user_mss): caps the MSS we announce and the segments we send;
  // 0 = none (the route's MTU decides).
  std::uint16_t max_segment = 0;
  // SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (Linux defaults).
  bool keepalive = false;
  Duration keepalive_idle = Duration::seconds(7200);
  Duration keepalive_interval = Duration::seconds(75);
  unsigned keepalive_count = 9;
  // net.ipv4.tcp_syn_retries, tcp_synack_retries, tcp_retries2 (give up after this many
  // retransmissions of one segment).
  unsigned syn_retries = 6;
  unsigned synack_retries = 5;
  unsigned retries2 = 15;
  Duration rto_min = Duration::millis(200);
  Duration rto_max = Duration::seconds(120);
  Duration rto_initial = Duration::seconds(1);
  Duration time_wait = Duration::seconds(60);    // TCP_TIMEWAIT_LEN
  Duration fin_timeout = Duration::seconds(60);  // tcp_fin_timeout
  Duration delayed_ack = Duration::millis(40);   // TCP_DELACK_MIN
  // Offered in the SYN (tcp_window_scaling, tcp_sack, tcp_timestamps).
  bool window_scaling = true;
  bool sack = true;
  bool timestamps = true;
  // RFC 5961 §7: challenge ACKs per second, per connection (a per-connection limit avoids the
  // global-counter side channel of CVE-2016-5696).
  unsigned challenge_ack_limit = 100;
  // Linux sysctl tcp_invalid_ratelimit: at most one duplicate ACK per this interval for
  // out-of-window or PAWS-rejected pure ACKs (tcp_oow_rate_limited).
  Duration invalid_ratelimit = Duration::millis(500);
  // net.ipv4.tcp_congestion_control / TCP_CONGESTION: CUBIC, as Linux.
  CongestionAlgorithm congestion = CongestionAlgorithm::kCubic;
  // RACK-TLP loss detection (RFC 8985) when the peer SACKs, like Linux's tcp_recovery=1;
  // off: three duplicate ACKs / DupThresh SACKed segments and the RTO (RFC 5681, RFC 6675).
  bool rack = true;
  // Proportional Rate Reduction (RFC 6937, PRR-SSRB) sets the sending rate during fast
  // recovery, as Linux does (it has no switch); off: RFC 5681/6582 window inflation.
  bool prr = true;
  // RFC 8985 §7.2 WCDelAckT: the worst-case delayed ACK a tail-loss probe allows for when one
  // segment is in flight (Linux adds TCP_RTO_MIN, 200 ms).
  Duration tlp_max_ack_delay = Duration::millis(200);
  // ECN (RFC 3168): accept when asked, don't ask, like Linux's tcp_ecn=2.
  TcpEcnMode ecn = TcpEcnMode::kAccept;
};

// net.ipv4.tcp_rmem / tcp_wmem, "min default max" in bytes: a new connection's buffer starts at
// `def` and auto-tuning grows it up to `max` (TcpConfig::recv_buffer / recv_buffer_max and the
// send pair). `min` is what Linux falls back to under global memory pressure; ustack has no such
// state, so it is only checked (min <= def <= max).
struct TcpBufferSysctl {
  std::size_t min = 0, def = 0, max = 0;
  bool operator==(const TcpBufferSysctl&) const = default;
};
// Linux's defaults (net/ipv4/tcp.c tcp_init with enough memory).
constexpr TcpBufferSysctl kLinuxTcpRmem{4096, 131072, 6291456};
constexpr TcpBufferSysctl kLinuxTcpWmem{4096, 16384, 4194304};
// The device commands' defaults: Linux's starting sizes, with ceilings of 2 MiB (receive) and
// 512 KiB (send) instead of 6 and 4 MiB. Over a TUN the peer is the local kernel (round trips of
// tens of µs), where the last megabytes only hold data until it goes cold in the cache: 4
// streams into one ustack thread moved 6–10 Gbit/s with 6 MiB receive buffers against 14–16
// with 2 MiB; one stream out without offloads 1.2–1.5 Gbit/s with 4 MiB send buffers against
// 1.6–2.1 with 512 KiB (and 27–28 with offloads, against 19 with a fixed 256 KiB; tools/bench,
// 2026-12-07). Paths with a larger bandwidth-delay product set --tcp-rmem / --tcp-wmem.
constexpr TcpBufferSysctl kUstackTcpRmem{4096, 131072, 2097152};
constexpr TcpBufferSysctl kUstackTcpWmem{4096, 16384, 524288};

// ECN events (RFC 3168, ecn.h), per connection (TcpStats) and summed per layer. Linux counts
// CE-marked packets in IpExtInCEPkts and the ACKs' ECE in TcpExtTCPDeliveredCE's neighbourhood;
// these are per TCP segment.
struct TcpEcnCounters {
  std::uint64_t negotiated = 0;       // connections that turned ECN on (§6.1.1)
  std::uint64_t ce_received = 0;      // data segments that arrived CE-marked (§6.1.3)
  std::uint64_t ece_received = 0;     // segments with ECE that the sender looked at (§6.1.2)
  std::uint64_t cwnd_reductions = 0;  // ECE reductions (Linux tcp_enter_cwr)
  std::uint64_t cwr_sent = 0;         // data segments sent with CWR
  std::uint64_t cwr_received = 0;     // data segments with CWR that ended our echo
};

// RACK-TLP events (RFC 8985) and undone reductions (undo.h), per connection (TcpStats) and
// summed per layer.
struct TcpRackCounters {
  std::uint64_t lost = 0;            // segments RACK_detect_loss marked lost (not the RTO's)
  std::uint64_t tlp_probes = 0;      // tail-loss probes sent (TcpExtTCPLossProbes)
  std::uint64_t tlp_recoveries = 0;  // probes that repaired a loss (TcpExtTCPLossProbeRecovery)
  std::uint64_t undo_rto = 0;        // spurious RTOs undone (TcpExtTCPLossUndo)
  std::uint64_t undo_recovery = 0;   // fast recoveries undone by timestamps (TCPFull/PartialUndo)
  std::uint64_t undo_dsack = 0;      // reductions undone by D-SACKs (TcpExtTCPDSACKUndo)
};

// The 4-tuple, from our side.
struct TcpTuple {
  IpAddr local;
  IpAddr remote;
  std::uint16_t local_port = 0;
  std::uint16_t remote_port = 0;
  bool operator==(const TcpTuple&) const = default;
  std::string to_string() const;  // "198.18.0.2:80>198.18.0.1:40000"
};

// Keyed (SipHash, the key drawn from the layer's seed) so a peer cannot choose tuples that
// collide in the connection table and turn each lookup into a scan of one bucket.
struct TcpTupleHash {
  SipKey key;
  std::size_t operator()(const TcpTuple& t) const;
};

// A segment a connection wants sent. `repr` has ports, seq, ack, flags, window and options;
// its payload is empty and the data is in `payload_a` then `payload_b` (the ring may wrap).
struct TcpSegmentOut {
  TcpRepr repr;
  Bytes payload_a;
  Bytes payload_b;
  // Data (or a FIN) sent before: counted by the layer as Linux's TcpRetransSegs.
  bool retransmission = false;
  // The IP header's ECN field (RFC 3168 §5): ECT(0) on new data of an ECN connection.
  std::uint8_t ip_ecn = 0;
  // A super-segment (TSO): the device cuts the payload into segments of this many bytes, each
  // with a copy of the header. 0 for a segment that fits the MSS.
  std::uint16_t gso_size = 0;
  std::size_t payload_len() const { return payload_a.size() + payload_b.size(); }
};

// What `ss -ti` shows, and the counters behind it.
struct TcpStats {
  TcpState state = TcpState::kClosed;
  CaState ca_state = CaState::kOpen;  // the sender's congestion-avoidance state (ca_state.h)
  Duration rto, srtt, rttvar;
  // The receiver's RTT estimate that drives receive-buffer auto-tuning (Linux tcpi_rcv_rtt);
  // zero until measured, and always without auto-tuning.
  Duration rcv_rtt;
  std::uint32_t snd_mss = 0, rcv_mss = 0, adv_mss = 0;
  const char* congestion = "";           // the algorithm's name, "cubic" or "reno"
  std::uint32_t cwnd = 0, ssthresh = 0;  // bytes
  std::uint32_t snd_wnd = 0, rcv_wnd = 0;
  std::uint8_t snd_wscale = 0, rcv_wscale = 0;
  bool sack = false, timestamps = false;
  bool ecn = false;           // negotiated (RFC 3168 §6.1.1)
  std::uint32_t unacked = 0;  // bytes in flight
  std::uint32_t unsent = 0;   // bytes queued, not yet sent
  std::uint32_t unread = 0;   // bytes received, not yet read
  std::uint64_t bytes_sent = 0, bytes_retrans = 0, bytes_acked = 0, bytes_received = 0;
  std::uint64_t segs_out = 0, segs_in = 0, data_segs_out = 0, data_segs_in = 0;
  std::uint64_t retrans_rto = 0, retrans_fast = 0, dup_acks_in = 0, ooo_segs_in = 0;
  std::uint64_t dsacks_out = 0, challenge_acks = 0, zero_window_probes = 0, keepalives = 0;
  std::uint64_t drops_paws = 0, drops_unacceptable = 0, drops_ooo_full = 0;
  std::uint64_t oow_acks_limited = 0;  // duplicate ACKs not sent (tcp_oow_rate_limited)
  // The rings' sizes now (Linux skmem rb/tb) and how often auto-tuning grew them.
  std::uint32_t rcvbuf = 0, sndbuf = 0;
  std::uint64_t rcvbuf_grows = 0, sndbuf_grows = 0;
  // New urgent pointers received: each one is what Linux signals with SIGURG (MUST-32).
  std::uint64_t urgent_in = 0;
  TcpRackCounters rack;
  TcpEcnCounters ecn_events;
  unsigned backoff = 0;

  // One line like `ss -ti`: "ESTAB rto:204 rtt:1.2/0.6 mss:1448 cwnd:10 ssthresh:... ".
  std::string to_string() const;
};

}  // namespace ustack
