#include "tools/services/echo_discard.h"

#include <gtest/gtest.h>

#include "tools/services/fake_stream.h"

namespace ustack::services {
namespace {

using namespace ustack::literals;

// RFC 862: every byte received is sent back.
TEST(Echo, SendsBackWhatArrives) {
  EchoSession e;
  FakeStream s;
  s.feed("hello");
  EXPECT_EQ(e.step(Instant::zero(), s), SessionStatus::kContinue);
  EXPECT_EQ(s.take_output(), "hello");
  s.feed(" world");
  EXPECT_EQ(e.step(Instant::zero(), s), SessionStatus::kContinue);
  EXPECT_EQ(s.take_output(), " world");
}

TEST(Echo, StopsReadingWhileTheSendBufferIsFullThenCatchesUp) {
  EchoSession e(4);
  FakeStream s;
  s.feed("abcdefghij");
  s.set_write_room(3);
  EXPECT_EQ(e.step(Instant::zero(), s), SessionStatus::kContinue);
  EXPECT_EQ(s.take_output(), "abc");
  EXPECT_EQ(s.unread(), 6u);  // only one buffer's worth was taken off the stream
  s.set_write_room(100);
  EXPECT_EQ(e.step(Instant::zero(), s), SessionStatus::kContinue);
  EXPECT_EQ(s.take_output(), "defghij");
  EXPECT_EQ(e.bytes_echoed(), 10u);
}

TEST(Echo, ClosesAfterEchoingEverythingOnceTheClientShutsDown) {
  EchoSession e;
  FakeStream s;
  s.feed("last words");
  s.feed_eof();
  s.set_write_room(4);
  EXPECT_EQ(e.step(Instant::zero(), s), SessionStatus::kContinue);
  s.set_write_room(100);
  EXPECT_EQ(e.step(Instant::zero(), s), SessionStatus::kClose);
  EXPECT_EQ(s.output(), "last words");
}

// RFC 863: everything is thrown away; nothing is ever sent.
TEST(Discard, CountsAndClosesAtEof) {
  DiscardSession d(7);
  FakeStream s;
  s.feed(std::string(100, 'z'));
  EXPECT_EQ(d.step(Instant::zero(), s), SessionStatus::kContinue);
  s.feed("more");
  s.feed_eof();
  EXPECT_EQ(d.step(Instant::zero(), s), SessionStatus::kClose);
  EXPECT_EQ(d.bytes_discarded(), 104u);
  EXPECT_EQ(s.output(), "");
}

}  // namespace
}  // namespace ustack::services
