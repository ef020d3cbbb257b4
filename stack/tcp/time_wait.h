// The compact TIME-WAIT record that replaces a connection once it reaches TIME-WAIT (Linux's
// inet_timewait_sock), and what it does with a segment.
//
// A connection in TIME-WAIT only has to (RFC 9293 §3.10.7.4, §3.10.8) ACK a retransmitted FIN
// and restart its 2 MSL timer, keep old duplicates of its 4-tuple away from a new incarnation,
// and let a new SYN take the 4-tuple over when that is safe (RFC 6191). For that it needs the
// sequence numbers, the peer's last timestamp and our TSval offset: a few dozen bytes instead
// of a TcpConnection (buffers, congestion state, scoreboards) and its socket slot. The TCP
// layer keeps these records in their own table, keyed by 4-tuple (tcp_layer.h).
//
// Pure: time and segments are passed in; the layer sends the ACK and runs the timer.
#pragma once

#include <cstdint>

#include "stack/base/seqnum.h"
#include "stack/base/time.h"
#include "stack/tcp/deadline_heap.h"
#include "stack/tcp/tcp_types.h"
#include "stack/wire/tcp.h"

namespace ustack {

struct TimeWaitRecord {
  SeqNum snd_nxt;                           // our SND.NXT (past our FIN)
  SeqNum rcv_nxt;                           // RCV.NXT (past the peer's FIN)
  std::uint32_t ts_recent = 0;              // the peer's last TSval (RFC 7323 TS.Recent), if ts_ok
  std::uint32_t ts_offset = 0;              // added to the millisecond clock for our TSval
  Instant ts_recent_at;                     // when ts_recent was last set (PAWS, connect() reuse)
  Instant last_oow_ack = Instant::never();  // the last rate-limited ACK (never: none yet)
  std::uint16_t window = 0;                 // the window field of our ACKs (already scaled down)
  bool ts_ok = false;                       // timestamps were in use
  std::uint32_t timer_index = DeadlineHeap<int>::kNotArmed;  // its expiry's heap entry
};

enum class TimeWaitAction : std::uint8_t {
  kDrop,   // nothing to send
  kAck,    // answer with time_wait_ack()
  kKill,   // a RST at RCV.NXT: the record goes (RFC 1337 assassination, Linux default)
  kReuse,  // an acceptable new SYN (RFC 6191): the 4-tuple goes to a listener, ISS `iss`
};

struct TimeWaitVerdict {
  TimeWaitAction action = TimeWaitAction::kDrop;
  bool restart_timer = false;  // 2 MSL from now
  SeqNum iss;                  // for kReuse
};

// RFC 9293 §3.10.7.4 in TIME-WAIT, with Linux's choices (tcp_timewait_state_process):
// - PAWS (RFC 7323 §5.3) rejects a segment whose TSval is older than TS.Recent; a RST only
//   while TS.Recent is younger than 60 s (TCP_PAWS_MSL).
// - In window at RCV.NXT, no data: a RST kills the record (net.ipv4.tcp_rfc1337 = 0: RFC 1337
//   lists the hazard, Linux's default still lets a RST end TIME-WAIT); a bare ACK restarts
//   the timer and updates TS.Recent; nothing is sent.
// - A SYN without ACK whose sequence number is above RCV.NXT or whose TSval is newer than
//   TS.Recent may open a new incarnation (RFC 6191 §2): its ISS is SND.NXT + 65537.
// - Anything else but a RST (a retransmitted FIN, an old duplicate, an old SYN) is answered
//   with an ACK, at most once per `ratelimit` unless it occupies sequence space (Linux
//   tcp_oow_rate_limited: a FIN always gets its ACK, a SYN or bare ACK may not); an ACK or a
//   PAWS-rejected segment restarts the timer (a FIN is the RFC's case).
// - Any other RST is dropped.
TimeWaitVerdict time_wait_segment(TimeWaitRecord& tw, Instant now, const TcpRepr& seg,
                                  Duration ratelimit);

// The ACK TIME-WAIT sends: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with the stored window and,
// if timestamps were in use, TSval from the 4-tuple's offset and TSecr = TS.Recent (Linux
// tcp_v4_timewait_ack). Ports are left to the caller.
TcpRepr time_wait_ack(const TimeWaitRecord& tw, Instant now);

// Linux tcp_twsk_unique with net.ipv4.tcp_tw_reuse = 1: connect() may take over this 4-tuple
// if timestamps were in use and TS.Recent is older than 1 s, so our new TSval (same offset,
// later clock) is above anything the peer saw from the old connection and its PAWS check
// tells old duplicates from new segments.
bool time_wait_reusable_by_connect(const TimeWaitRecord& tw, Instant now);

// The ISS of a connection that takes over a TIME-WAIT 4-tuple: above the old SND.NXT by more
// than a maximal window (Linux tw_snd_nxt + 65535 + 2), never 0.
SeqNum time_wait_successor_iss(const TimeWaitRecord& tw);

}  // namespace ustack
