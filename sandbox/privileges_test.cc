// --user USER[:GROUP] as parse_user reads it (names from this machine's passwd/group: Debian's
// nobody/nogroup are 65534).
#include "sandbox/privileges.h"

#include <gtest/gtest.h>

namespace ustack::sandbox {
namespace {

TEST(ParseUser, NamesAndNumbers) {
  std::string error;
  std::optional<UserSpec> u = parse_user("65534:65533", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->uid, 65534u);
  EXPECT_EQ(u->gid, 65533u);
  u = parse_user("1234", error);  // a number without a group: gid = uid
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->gid, 1234u);
  u = parse_user("nobody", error);  // the user's primary group
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->uid, 65534u);
  EXPECT_EQ(u->gid, 65534u);
  u = parse_user("nobody:nogroup", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->gid, 65534u);
}

TEST(ParseUser, Refusals) {
  std::string error;
  EXPECT_FALSE(parse_user("ustack-no-such-user", error));
  EXPECT_EQ(error, "--user ustack-no-such-user: no user ustack-no-such-user");
  EXPECT_FALSE(parse_user("nobody:ustack-no-such-group", error));
  EXPECT_EQ(error, "--user nobody:ustack-no-such-group: no group ustack-no-such-group");
  EXPECT_FALSE(parse_user("root", error));
  EXPECT_EQ(error, "--user root: uid 0 keeps root's privileges");
  EXPECT_FALSE(parse_user("0:65534", error));
  EXPECT_FALSE(parse_user("", error));
}

}  // namespace
}  // namespace ustack::sandbox
