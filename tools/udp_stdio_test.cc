#include "tools/udp_stdio.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ustack::tools {
namespace {

struct Cut {
  std::vector<std::string> datagrams;
  std::string left;
};

Cut cut(const std::string& input, bool eof, std::size_t max, int refuse_after = 1 << 30) {
  ByteVec pending(input.begin(), input.end());
  Cut c;
  send_stdin_datagrams(pending, eof, max, [&](Bytes d) {
    if (static_cast<int>(c.datagrams.size()) == refuse_after) return false;
    c.datagrams.emplace_back(d.begin(), d.end());
    return true;
  });
  c.left.assign(pending.begin(), pending.end());
  return c;
}

using Lines = std::vector<std::string>;

TEST(UdpStdio, EveryLineIsOneDatagramWithItsNewline) {
  Cut c = cut("one\ntwo\n\nthree", false, 100);
  EXPECT_EQ(c.datagrams, (Lines{"one\n", "two\n", "\n"}));
  EXPECT_EQ(c.left, "three");  // waits for its newline
}

TEST(UdpStdio, AtEofTheRestIsADatagram) {
  EXPECT_EQ(cut("one\nthree", true, 100).datagrams, (Lines{"one\n", "three"}));
  EXPECT_EQ(cut("", true, 100).datagrams, Lines{});
}

// A datagram cannot exceed the largest UDP payload: a longer line goes in pieces.
TEST(UdpStdio, LongLinesAreCutAtTheMaximum) {
  Cut c = cut("abcdefgh\nxyz", false, 3);
  EXPECT_EQ(c.datagrams, (Lines{"abc", "def", "gh\n", "xyz"}));
  EXPECT_EQ(c.left, "");
  EXPECT_EQ(cut("abcd", false, 3).left, "d");
}

TEST(UdpStdio, AFailedSendKeepsTheRest) {
  Cut c = cut("a\nb\nc\n", true, 100, /*refuse_after=*/1);
  EXPECT_EQ(c.datagrams, Lines{"a\n"});
  EXPECT_EQ(c.left, "b\nc\n");
}

}  // namespace
}  // namespace ustack::tools
