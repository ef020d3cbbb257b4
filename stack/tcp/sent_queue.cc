#include "stack/tcp/sent_queue.h"

#include <algorithm>

namespace ustack {

std::size_t SentQueue::lower(SeqNum s) const {
  std::size_t lo = 0, hi = q_.size();  // the first entry with end > s (entries are sorted)
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    if (q_[mid].end <= s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void SentQueue::split_at(SeqNum s) {
  std::size_t i = lower(s);
  if (i == q_.size() || !(q_[i].start < s)) return;
  SentSegment tail = q_[i];
  tail.start = s;
  q_[i].end = s;
  if (q_[i].sacked) ++segs_sacked_;  // both halves are SACKed segments now
  q_.insert(i + 1, tail);
}

void SentQueue::forget(const SentSegment& s) {
  in_flight_ -= s.len();
  if (s.sacked) {
    sacked_bytes_ -= s.len();
    --segs_sacked_;
  }
  if (s.lost) lost_bytes_ -= s.len();
}

void SentQueue::on_transmit(SeqNum start, SeqNum end, SeqNum snd_max, Instant now) {
  SeqNum rexmit_end = seq_min(end, snd_max);
  if (start < rexmit_end) {
    split_at(start);
    split_at(rexmit_end);
    for (std::size_t i = lower(start); i < q_.size() && q_[i].start < rexmit_end; ++i) {
      SentSegment& s = q_[i];
      if (s.sacked) continue;  // the peer holds it; only its neighbours were resent
      if (s.lost) lost_bytes_ -= s.len();
      s.lost = false;
      s.retransmitted = true;
      s.xmit_ts = now;
    }
  }
  if (end > snd_max) {
    SentSegment s;
    s.start = seq_max(start, snd_max);
    s.end = end;
    s.xmit_ts = now;
    in_flight_ += s.len();
    q_.push_back(s);
  }
}

void SentQueue::on_cumulative_ack(SeqNum snd_una, Visit delivered) {
  while (!q_.empty() && q_.front().end <= snd_una) {
    if (!q_.front().sacked) delivered(q_.front());
    forget(q_.front());
    q_.pop_front();
  }
  if (!q_.empty() && q_.front().start < snd_una) {
    // Part of a segment acknowledged (the peer's MSS differs from ours): keep the rest.
    split_at(snd_una);
    forget(q_.front());
    q_.pop_front();
  }
}

void SentQueue::on_sack(SeqNum left, SeqNum right, Visit delivered) {
  split_at(left);
  split_at(right);
  for (std::size_t i = lower(left); i < q_.size() && q_[i].start < right; ++i) {
    SentSegment& s = q_[i];
    if (s.sacked) continue;
    if (s.lost) lost_bytes_ -= s.len();
    s.lost = false;
    s.sacked = true;
    sacked_bytes_ += s.len();
    ++segs_sacked_;
    delivered(s);
  }
}

void SentQueue::mark_lost(SentSegment& s) {
  if (s.lost || s.sacked) return;
  s.lost = true;
  lost_bytes_ += s.len();
}

void SentQueue::mark_all_lost() {
  for (std::size_t i = 0; i < q_.size(); ++i) mark_lost(q_[i]);
}

void SentQueue::unmark_all_lost() {
  for (std::size_t i = 0; i < q_.size(); ++i) q_[i].lost = false;
  lost_bytes_ = 0;
}

const SentSegment* SentQueue::first_lost() const {
  if (lost_bytes_ == 0) return nullptr;
  for (std::size_t i = 0; i < q_.size(); ++i) {
    if (q_[i].lost) return &q_[i];
  }
  return nullptr;
}

void SentQueue::clear() {
  q_.clear();
  in_flight_ = sacked_bytes_ = lost_bytes_ = segs_sacked_ = 0;
}

}  // namespace ustack
