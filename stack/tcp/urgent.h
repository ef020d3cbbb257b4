// The TCP urgent mechanism (RFC 9293 §3.8.5, MUST-30..33 and MUST-62) with Linux's semantics.
//
// RFC 9293 says the urgent pointer "points to the sequence number of the octet following the
// urgent data" (MUST-62, the BSD reading RFC 6093 made the standard). Linux (tcp_check_urg,
// net.ipv4.tcp_stdurg = 0, the default) reads it the same way, and like BSD takes only ONE
// octet out of the stream as urgent: the one just before the pointer, SEG.SEQ + SEG.UP - 1.
// With tcp_stdurg = 1 it would be the octet AT the pointer (RFC 1122's old reading); we always
// do what the default does. The rest of the urgent data is ordinary in-line data before the
// mark, which the reader finds with at_mark() (SIOCATMARK).
//
// Receive side: UrgentReceiver is Linux's tp->urg_data / tp->urg_seq pair. The octet stays in
// the receive buffer (it counts against the window like any other); the connection's reader
// skips it when it reaches the mark unless SO_OOBINLINE, and recv(MSG_OOB) reads the copy kept
// here, once. Send side: urgent_field() is what Linux puts in every segment while SND.UP is
// ahead of SND.UNA (__tcp_transmit_skb).
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/bytes.h"
#include "stack/base/seqnum.h"

namespace ustack {

class UrgentReceiver {
 public:
  // Linux's urg_data states: no mark; a mark whose octet has not arrived (TCP_URG_NOTYET);
  // the octet is here to read out of band (TCP_URG_VALID); it was read (TCP_URG_READ).
  enum class State : std::uint8_t { kNone, kNotYet, kValid, kRead };

  struct PointerUpdate {
    // A new urgent pointer: tell the application (MUST-32; Linux sk_send_sigurg, SIGURG).
    bool signal = false;
    // The reader sits on the previous mark's octet, not yet skipped: drop it from the stream
    // now, or it would be read as data once the mark moves on (Linux tcp_check_urg).
    bool skip_old_octet = false;
  };

  // A segment with URG set (RFC 9293 §3.10.7.4 sixth, Linux tcp_check_urg). `copied` is the
  // sequence number of the next octet the application will read, `rcv_nxt` RCV.NXT.
  PointerUpdate on_pointer(SeqNum seg_seq, std::uint16_t seg_up, SeqNum copied, SeqNum rcv_nxt,
                           bool oob_inline);
  // Any segment's text, before it is queued (Linux tcp_urg): keeps the urgent octet if this
  // segment carries it. True when it did (the octet became readable: wake the reader).
  bool on_payload(SeqNum seg_seq, Bytes payload);
  // The reader consumed up to `copied`: once it is past the mark, the mark is forgotten
  // (Linux tcp_recvmsg_locked, "skip_copy").
  void on_read(SeqNum copied);

  State state() const { return state_; }
  // A mark exists (Linux: urg_data != 0): stream reads stop at it.
  bool marked() const { return state_ != State::kNone; }
  SeqNum mark() const { return urg_seq_; }
  // The urgent octet itself (state kValid).
  std::uint8_t octet() const { return octet_; }
  void mark_read() { state_ = State::kRead; }

 private:
  State state_ = State::kNone;
  SeqNum urg_seq_;  // the urgent octet's sequence number (Linux tp->urg_seq)
  std::uint8_t octet_ = 0;
};

// The urgent pointer field of a segment starting at `seq` (Linux __tcp_transmit_skb): while in
// urgent mode (SND.UP != SND.UNA), every segment below SND.UP carries URG with SND.UP - SEG.SEQ,
// pure ACKs and window probes included (RFC 9293 MUST-66 asks the receiver to take URG even
// with a zero window). A pointer 64 KiB or more ahead is sent as 0xFFFF, if that still points
// beyond SND.NXT. nullopt: no URG.
std::optional<std::uint16_t> urgent_field(SeqNum seq, SeqNum snd_up, SeqNum snd_una,
                                          SeqNum snd_nxt);

}  // namespace ustack
