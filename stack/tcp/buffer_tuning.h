// Socket buffer auto-tuning, as Linux does it when SO_RCVBUF / SO_SNDBUF were not set.
//
// Receive side: Dynamic Right-Sizing (Linux tcp_rcv_space_adjust, net/ipv4/tcp_input.c). The
// receiver estimates the round-trip time itself (from the timestamps the sender echoes, or from
// how long a window's worth of data takes to arrive), and once per such RTT looks at how many
// bytes the application read: if more than in the last RTT, the buffer grows to about twice that
// plus room for the sender's growth, up to TcpConfig::recv_buffer_max. A reader that does not
// read never grows it.
//
// Send side: Linux tcp_sndbuf_expand. The buffer holds about two congestion windows (cubic needs
// 1.7x through fast recovery), up to TcpConfig::send_buffer_max.
//
// Pure: time is passed in; the connection applies the sizes (RingBuffer::grow).
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/base/seqnum.h"
#include "stack/base/time.h"

namespace ustack {

// Linux TCP_INIT_CWND: the segments the first measurement expects, and the least the send
// buffer holds.
constexpr std::uint32_t kInitialBufferSegments = 10;

class RcvBufTuner {
 public:
  // Linux tcp_init_buffer_space at the end of the handshake: the first RTT's yardstick is
  // min(the window, 10 segments).
  void init(Instant now, SeqNum copied_seq, std::uint32_t rcv_wnd, std::uint32_t adv_mss);

  // Receiver RTT samples (Linux rcv_rtt_est). With timestamps (tcp_rcv_rtt_measure_ts): a data
  // segment of at least rcv_mss bytes whose TSecr is new measures now - TSecr (smoothed 1/8).
  void on_timestamp_sample(std::uint32_t tsecr, Duration sample);
  // Without (tcp_rcv_rtt_measure): the time until RCV.NXT passes the right edge of the window
  // announced when the last measurement started (the smaller sample wins).
  void on_data(Instant now, SeqNum rcv_nxt, std::uint32_t rcv_wnd);

  // Linux tcp_rcv_space_adjust, after the application read: the buffer size to grow to, or 0.
  // `copied_seq` is the next octet the application reads, `inq` what is queued unread.
  std::size_t adjust(Instant now, SeqNum copied_seq, std::uint32_t inq, std::uint32_t adv_mss,
                     std::size_t current, std::size_t max);

  Duration rtt() const { return rtt_; }

 private:
  void rtt_update(Duration sample, bool window_dependent);

  Duration rtt_;                  // Linux rcv_rtt_est.rtt_us (unscaled here); zero: none yet
  std::uint32_t last_tsecr_ = 0;  // rcv_rtt_last_tsecr
  Instant measure_at_;            // rcv_rtt_est.time (no timestamps)
  SeqNum measure_seq_;            // rcv_rtt_est.seq
  bool measuring_ = false;
  // Linux rcvq_space: the bytes read in the last measured RTT, and where and when this one began.
  std::uint32_t space_ = 0;
  SeqNum space_seq_;
  Instant space_at_;
};

// Linux tcp_sndbuf_expand: two windows of max(10, cwnd) segments (Linux also takes reordering + 1,
// which ustack does not track). Linux counts
// each segment's kernel memory (about 2x the payload with small skbs); the ring holds payload
// only, so this is 2 windows of payload.
std::size_t sndbuf_for_cwnd(std::uint32_t mss, std::uint32_t cwnd_bytes, std::size_t max);

// The ring size for a wanted buffer: the next power of two (or `max`), so the BufferPool sees a
// few distinct sizes, not one per connection.
std::size_t ring_size_for(std::size_t wanted, std::size_t max);

}  // namespace ustack
