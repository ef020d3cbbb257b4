#include "tools/services/tcp_cli.h"

#include <gtest/gtest.h>

namespace ustack::services {
namespace {

using namespace ustack::literals;

TEST(TcpCli, KeepaliveTakesIdleIntervalAndCount) {
  TcpCliOptions o;
  o.keepalive = "10,2,4";
  TcpSetupResult r = parse_tcp_options(o);
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->socket.keepalive, true);
  EXPECT_EQ(r.setup->socket.keepalive_idle, 10_s);
  EXPECT_EQ(r.setup->socket.keepalive_interval, 2_s);
  EXPECT_EQ(r.setup->socket.keepalive_count, 4u);
}

TEST(TcpCli, KeepaliveIntervalDefaultsToIdle) {
  TcpCliOptions o;
  o.keepalive = "5";
  TcpSetupResult r = parse_tcp_options(o);
  ASSERT_TRUE(r.setup);
  EXPECT_EQ(r.setup->socket.keepalive_interval, 5_s);
  EXPECT_FALSE(r.setup->socket.keepalive_count.has_value());
}

TEST(TcpCli, BadValuesNameTheOption) {
  for (const char* bad : {"0", "x", "1,", "1,2,3,4", "1,1,200", "-1"}) {
    TcpCliOptions o;
    o.keepalive = bad;
    TcpSetupResult r = parse_tcp_options(o);
    EXPECT_FALSE(r.setup) << bad;
    EXPECT_EQ(r.error.rfind("--keepalive " + std::string(bad) + ": want", 0), 0u) << r.error;
  }
  TcpCliOptions o;
  o.sndbuf = 100;
  EXPECT_EQ(parse_tcp_options(o).error, "--sndbuf 100 out of range (2048..1073741824)");
  o = {};
  o.syn_retries = 200;
  EXPECT_EQ(parse_tcp_options(o).error, "--syn-retries 200 out of range (1..127)");
  o.syn_retries = 0;  // Linux refuses TCP_SYNCNT 0 too
  EXPECT_EQ(parse_tcp_options(o).error, "--syn-retries 0 out of range (1..127)");
  o.syn_retries = 1;
  EXPECT_EQ(parse_tcp_options(o).setup->syn_retries, 1u);
}

// --ecn is net.ipv4.tcp_ecn=1, --no-ecn =0; neither leaves the default (2, accept).
TEST(TcpCli, EcnFlagsSetTheLayersMode) {
  TcpCliOptions o;
  EXPECT_EQ(tcp_layer_config(*parse_tcp_options(o).setup).tcp.ecn, TcpEcnMode::kAccept);
  o.ecn = true;
  EXPECT_EQ(tcp_layer_config(*parse_tcp_options(o).setup).tcp.ecn, TcpEcnMode::kRequest);
  o = {};
  o.no_ecn = true;
  EXPECT_EQ(tcp_layer_config(*parse_tcp_options(o).setup).tcp.ecn, TcpEcnMode::kOff);
  TcpLayerCounters c;
  c.ecn.cwr_sent = 2;
  EXPECT_NE(tcp_counters_text(c, 0).find("    2 ecn_cwr_sent\n"), std::string::npos);
}

TEST(TcpCli, ErrorsReadLikeStrerror) {
  EXPECT_STREQ(tcp_error_text(TcpError::kRefused), "connection refused");
  EXPECT_STREQ(tcp_error_text(TcpError::kReset), "connection reset by peer");
  EXPECT_STREQ(tcp_error_text(TcpError::kTimedOut), "connection timed out");
  EXPECT_EQ(endpoint_text(*IpAddr::parse("fd00:1::1"), 80), "[fd00:1::1]:80");
  EXPECT_EQ(endpoint_text(*IpAddr::parse("198.18.0.1"), 80), "198.18.0.1:80");
}

}  // namespace
}  // namespace ustack::services
