// UDP command-line options: values reach the socket options, bad ones are named.
#include "tools/services/udp_cli.h"

#include <gtest/gtest.h>

namespace ustack::services {
namespace {

UdpSetupResult parse(std::vector<std::string> args) {
  CLI::App app;
  UdpCliOptions o;
  add_udp_send_options(app, o);
  add_udp_receive_options(app, o);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return parse_udp_options(o);
}

TEST(UdpCli, DefaultsAreLinuxs) {
  UdpSetupResult r = parse({});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_FALSE(r.options->broadcast);
  EXPECT_EQ(r.options->recv_buffer, 212992u);
  EXPECT_EQ(r.options->ip.ttl, 0);
  EXPECT_EQ(r.options->ip.multicast_ttl, 1);
  EXPECT_EQ(r.options->ip.pmtu, PmtuDiscovery::kWant);
}

TEST(UdpCli, OptionsReachTheSocket) {
  UdpSetupResult r =
      parse({"--broadcast", "--ttl", "9", "--tos", "184", "--df", "--rcvbuf", "4096"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_TRUE(r.options->broadcast);
  EXPECT_EQ(r.options->ip.ttl, 9);
  EXPECT_EQ(r.options->ip.multicast_ttl, 9);  // --ttl also for a group destination
  EXPECT_EQ(r.options->ip.tos, 184);
  EXPECT_EQ(r.options->ip.pmtu, PmtuDiscovery::kDo);
  EXPECT_EQ(r.options->recv_buffer, 4096u);
}

TEST(UdpCli, BadValuesNameTheOption) {
  EXPECT_EQ(parse({"--ttl", "0"}).error, "--ttl 0 out of range (1..255)");
  EXPECT_EQ(parse({"--ttl", "256"}).error, "--ttl 256 out of range (1..255)");
  EXPECT_EQ(parse({"--tos", "-1"}).error, "--tos -1 out of range (0..255)");
  EXPECT_EQ(parse({"--rcvbuf", "0"}).error, "--rcvbuf 0 out of range (1..1073741824)");
}

TEST(UdpCli, ErrorsReadLikeStrerror) {
  EXPECT_STREQ(udp_error_text(UdpError::kConnectionRefused), "connection refused");
  EXPECT_STREQ(udp_error_text(UdpError::kMessageTooBig), "message too long");
  EXPECT_STREQ(udp_error_text(UdpError::kAccessDenied), "permission denied");
}

}  // namespace
}  // namespace ustack::services
