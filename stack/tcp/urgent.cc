#include "stack/tcp/urgent.h"

namespace ustack {

UrgentReceiver::PointerUpdate UrgentReceiver::on_pointer(SeqNum seg_seq, std::uint16_t seg_up,
                                                         SeqNum copied, SeqNum rcv_nxt,
                                                         bool oob_inline) {
  PointerUpdate u;
  // BSD/Linux (tcp_stdurg = 0): the urgent octet is the one before the pointer. A pointer of 0
  // is not decremented (Linux `if (ptr && !tcp_stdurg) ptr--`): it names SEG.SEQ itself.
  std::uint32_t up = seg_up;
  if (up != 0) --up;
  SeqNum ptr = seg_seq + up;
  // Already read past it, or below RCV.NXT (Linux: "do not replay urg ptr" - the octet, if it
  // is here, came as ordinary data and is not taken back).
  if (copied > ptr || ptr < rcv_nxt) return u;
  // The same mark again (every segment carries it while it is outstanding), or an older one.
  if (marked() && ptr <= urg_seq_) return u;
  u.signal = true;
  u.skip_old_octet = marked() && urg_seq_ == copied && !oob_inline && copied != rcv_nxt;
  state_ = State::kNotYet;
  urg_seq_ = ptr;
  return u;
}

bool UrgentReceiver::on_payload(SeqNum seg_seq, Bytes payload) {
  if (state_ != State::kNotYet) return false;
  // Unsigned: a mark before this segment wraps to a large offset and is not in it.
  std::uint32_t offset = static_cast<std::uint32_t>(urg_seq_ - seg_seq);
  if (offset >= payload.size()) return false;
  octet_ = static_cast<std::uint8_t>(payload[offset]);
  state_ = State::kValid;
  return true;
}

void UrgentReceiver::on_read(SeqNum copied) {
  if (marked() && copied > urg_seq_) state_ = State::kNone;
}

std::optional<std::uint16_t> urgent_field(SeqNum seq, SeqNum snd_up, SeqNum snd_una,
                                          SeqNum snd_nxt) {
  if (snd_up == snd_una || !(seq < snd_up)) return std::nullopt;
  std::uint32_t ahead = static_cast<std::uint32_t>(snd_up - seq);
  if (ahead < 0x10000) return static_cast<std::uint16_t>(ahead);
  if (seq + 0xFFFF > snd_nxt) return std::uint16_t{0xFFFF};
  return std::nullopt;
}

}  // namespace ustack
