#include "stack/tcp/sack_scoreboard.h"

#include <algorithm>

namespace ustack {

bool SackScoreboard::is_lost(SeqNum seq) const {
  std::uint32_t bytes_above = 0;
  std::size_t ranges_above = 0;
  for (std::size_t i = 0; i < sacked.range_count(); ++i) {
    TcpSackBlock r = sacked.range(i);
    if (r.right <= seq + 1) continue;
    SeqNum from = seq_max(r.left, seq + 1);
    bytes_above += static_cast<std::uint32_t>(r.right - from);
    ++ranges_above;
  }
  return ranges_above >= kDupThresh || bytes_above > (kDupThresh - 1) * mss;
}

SeqNum SackScoreboard::lost_end() const {
  // The hole below range i is lost when ranges i.. are DupThresh or more, or hold more than
  // (DupThresh - 1) * SMSS bytes. Walk down from the top until one is.
  std::uint32_t bytes_above = 0;
  std::size_t n = sacked.range_count();
  for (std::size_t k = n; k > 0; --k) {
    TcpSackBlock r = sacked.range(k - 1);
    bytes_above += static_cast<std::uint32_t>(r.right - r.left);
    if (n - (k - 1) >= kDupThresh || bytes_above > (kDupThresh - 1) * mss) {
      return seq_max(r.left, snd_una);
    }
  }
  return snd_una;
}

std::optional<TcpSackBlock> SackScoreboard::next_hole(bool lost_only) const {
  if (sacked.empty()) return std::nullopt;
  SeqNum s = seq_max(snd_una, high_rxt);
  while (auto end = sacked.end_of_range_containing(s)) s = *end;
  // (1.b)/(3.b): below the highest SACKed octet; (1.c): lost.
  if (s >= sacked.highest() || (lost_only && s >= lost_end())) return std::nullopt;
  SeqNum limit = sacked.next_left_after(s).value_or(sacked.highest());
  return TcpSackBlock{s, s + std::min(static_cast<std::uint32_t>(limit - s), mss)};
}

std::optional<TcpSackBlock> SackScoreboard::rescue(SeqNum data_end) const {
  // The highest unSACKed octet: below snd_max (and the data), outside every SACKed range.
  SeqNum top = seq_min(snd_max, data_end);
  for (std::size_t k = sacked.range_count(); k > 0 && top > snd_una; --k) {
    TcpSackBlock r = sacked.range(k - 1);
    if (r.right < top) break;        // a hole lies between this range and top
    if (r.left < top) top = r.left;  // top is SACKed: go below the range
  }
  if (!(top > snd_una)) return std::nullopt;
  // The segment ends at the top and starts at most one SMSS below, within the hole.
  SeqNum start = top - std::min(static_cast<std::uint32_t>(top - snd_una), mss);
  for (std::size_t i = 0; i < sacked.range_count(); ++i) {
    TcpSackBlock r = sacked.range(i);
    if (r.right <= top && r.right > start) start = r.right;
  }
  return TcpSackBlock{start, top};
}

std::uint32_t SackScoreboard::pipe() const {
  SeqNum lost_below = lost_end();
  std::uint32_t pipe = 0;
  // The holes: [snd_una, first range), between ranges, and above the last up to snd_max.
  SeqNum hole = snd_una;
  auto count_hole = [&](SeqNum from, SeqNum to) {
    if (!(from < to)) return;
    std::uint32_t len = static_cast<std::uint32_t>(to - from);
    // Not lost: the part at or above lost_end.
    if (to > lost_below) pipe += static_cast<std::uint32_t>(to - seq_max(from, lost_below));
    // Retransmitted: the part below HighRxt.
    if (high_rxt > from) pipe += std::min(len, static_cast<std::uint32_t>(high_rxt - from));
  };
  for (std::size_t i = 0; i < sacked.range_count(); ++i) {
    TcpSackBlock r = sacked.range(i);
    count_hole(hole, seq_min(r.left, snd_max));
    hole = seq_max(hole, r.right);
  }
  count_hole(hole, snd_max);
  return pipe;
}

}  // namespace ustack
