#include "tools/services/bulk.h"

#include <gtest/gtest.h>

#include "tools/services/fake_stream.h"

namespace ustack::services {
namespace {

using namespace ustack::literals;

std::string le64(std::uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}

// 'S': count until EOF, answer with the count as 8 bytes little-endian, close.
TEST(Bulk, SendModeRepliesWithTheByteCountAtEof) {
  BulkSession b(1000);
  FakeStream s;
  s.feed("S");
  s.feed(std::string(300000, 'x'));
  EXPECT_EQ(b.step(Instant::zero(), s), SessionStatus::kContinue);
  EXPECT_EQ(s.output(), "");  // nothing until the client is done
  s.feed(std::string(5, 'y'));
  s.feed_eof();
  EXPECT_EQ(b.step(Instant::zero(), s), SessionStatus::kClose);
  EXPECT_EQ(s.output(), le64(300005));
}

TEST(Bulk, CountReplyWaitsForRoomInTheSendBuffer) {
  BulkSession b;
  FakeStream s;
  s.feed("S" + std::string(0x1234, 'x'));
  s.feed_eof();
  s.set_write_room(3);
  EXPECT_EQ(b.step(Instant::zero(), s), SessionStatus::kContinue);
  s.set_write_room(100);
  EXPECT_EQ(b.step(Instant::zero(), s), SessionStatus::kClose);
  EXPECT_EQ(s.output(), le64(0x1234));
}

// 'R' + seconds: stream for that long (by the clock passed in), then close.
TEST(Bulk, ReceiveModeStreamsUntilTheDeadlineThenCloses) {
  BulkSession b(1000);
  FakeStream s;
  s.feed(std::string("R") + std::string("\x02\x00\x00\x00", 4));
  Instant t0 = Instant::from_millis(5000);
  s.set_write_room(2500);
  EXPECT_EQ(b.step(t0, s), SessionStatus::kContinue);
  EXPECT_EQ(s.take_output().size(), 2500u);
  EXPECT_EQ(b.wake_at(), t0 + 2_s);
  s.set_write_room(1000);
  EXPECT_EQ(b.step(t0 + 1999_ms, s), SessionStatus::kContinue);
  EXPECT_EQ(s.take_output(), std::string(1000, 'x'));
  s.set_write_room(1000);
  EXPECT_EQ(b.step(t0 + 2_s, s), SessionStatus::kClose);
  EXPECT_EQ(s.output(), "");
  EXPECT_EQ(b.bytes_sent(), 3500u);
}

TEST(Bulk, SecondsMayArriveInPieces) {
  BulkSession b;
  FakeStream s;
  s.feed("R\x01");
  EXPECT_EQ(b.step(Instant::zero(), s), SessionStatus::kContinue);
  EXPECT_EQ(b.phase(), BulkSession::Phase::kSeconds);
  s.feed(std::string("\x01\x00\x00", 3));  // 0x101 = 257 s
  s.set_write_room(0);
  EXPECT_EQ(b.step(Instant::zero(), s), SessionStatus::kContinue);
  EXPECT_EQ(b.wake_at(), Instant::zero() + 257_s);
}

TEST(Bulk, UnknownModeResetsTheConnection) {
  BulkSession b;
  FakeStream s;
  s.feed("Q");
  EXPECT_EQ(b.step(Instant::zero(), s), SessionStatus::kAbort);
}

TEST(Bulk, EofBeforeAModeByteClosesQuietly) {
  BulkSession b;
  FakeStream s;
  s.feed_eof();
  EXPECT_EQ(b.step(Instant::zero(), s), SessionStatus::kClose);
  EXPECT_EQ(s.output(), "");
}

}  // namespace
}  // namespace ustack::services
