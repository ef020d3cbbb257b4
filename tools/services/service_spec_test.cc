#include "tools/services/service_spec.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ustack::services {
namespace {

TEST(ServiceSpec, ParsesSeveralServices) {
  ServiceSpecs s = parse_service_specs({"bulk:5001", "echo:5002", "http:8080", "discard:9"});
  ASSERT_EQ(s.error, "");
  ASSERT_EQ(s.specs.size(), 4u);
  EXPECT_EQ(s.specs[0].kind, ServiceKind::kBulk);
  EXPECT_EQ(s.specs[0].port, 5001);
  EXPECT_EQ(s.specs[2].kind, ServiceKind::kHttp);
  EXPECT_EQ(s.specs[2].dir, "");
  EXPECT_EQ(s.specs[3].port, 9);
}

TEST(ServiceSpec, HttpTakesAnExistingDirectory) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = tmp ? tmp : "/tmp";
  ServiceSpecs s = parse_service_specs({"http:80:" + dir + "/"});
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.specs[0].dir, dir);
  EXPECT_EQ(parse_service_specs({"http:80:/no/such/dir"}).error,
            "'http:80:/no/such/dir': no such directory /no/such/dir");
  EXPECT_EQ(parse_service_specs({"echo:7:/tmp"}).error,
            "'echo:7:/tmp': only http takes a directory (http:PORT:DIR)");
}

TEST(ServiceSpec, ErrorsNameTheProblem) {
  EXPECT_EQ(parse_service_specs({"echo"}).error,
            "'echo': want SERVICE:PORT (services: echo, discard, http, bulk, udp-echo, dns)");
  EXPECT_EQ(parse_service_specs({"gopher:70"}).error,
            "unknown service 'gopher' in 'gopher:70' (services: echo, discard, http, bulk, "
            "udp-echo, dns)");
  EXPECT_EQ(parse_service_specs({"echo:0"}).error, "port 0 out of range (1..65535) in 'echo:0'");
  EXPECT_EQ(parse_service_specs({"echo:65536"}).error,
            "port 65536 out of range (1..65535) in 'echo:65536'");
  EXPECT_EQ(parse_service_specs({"echo:99999999999999999999"}).error,
            "port 99999999999999999999 out of range (1..65535) in 'echo:99999999999999999999'");
  EXPECT_EQ(parse_service_specs({"echo:x7"}).error,
            "bad port 'x7' in 'echo:x7': want a number 1..65535");
  EXPECT_EQ(parse_service_specs({"echo:"}).error, "bad port '' in 'echo:': want a number 1..65535");
  EXPECT_EQ(parse_service_specs({"bulk:5001", "echo:5001"}).error,
            "port 5001 given twice (bulk:5001, echo:5001)");
  EXPECT_EQ(parse_service_specs({}).error,
            "no service given: want SERVICE:PORT ... (services: echo, discard, http, bulk, "
            "udp-echo, dns)");
}

TEST(ServiceSpec, UdpEchoAndDnsAreServices) {
  ServiceSpecs s = parse_service_specs({"udp-echo:7", "dns:53", "echo:7"});
  ASSERT_EQ(s.error, "");
  ASSERT_EQ(s.specs.size(), 3u);
  EXPECT_EQ(s.specs[0].kind, ServiceKind::kUdpEcho);
  EXPECT_EQ(s.specs[1].kind, ServiceKind::kDns);
  EXPECT_TRUE(uses_udp(ServiceKind::kDns) && uses_tcp(ServiceKind::kDns));
  EXPECT_FALSE(uses_tcp(ServiceKind::kUdpEcho));
}

// A port is taken per transport: udp-echo:7 and echo:7 go together, dns takes both.
TEST(ServiceSpec, PortsConflictOnlyOnTheSameTransport) {
  EXPECT_EQ(parse_service_specs({"udp-echo:53", "dns:53"}).error,
            "port 53 given twice (udp-echo:53, dns:53)");
  EXPECT_EQ(parse_service_specs({"http:53", "dns:53"}).error,
            "port 53 given twice (http:53, dns:53)");
  EXPECT_EQ(parse_service_specs({"udp-echo:9", "udp-echo:9"}).error,
            "port 9 given twice (udp-echo:9, udp-echo:9)");
  EXPECT_EQ(parse_service_specs({"discard:9", "udp-echo:9"}).error, "");
}

TEST(ServiceSpec, FactoryMakesTheRightSession) {
  ServiceSpecs s = parse_service_specs({"echo:1", "http:2"});
  ASSERT_EQ(s.error, "");
  EXPECT_NE(ServiceFactory(s.specs[0]).make(), nullptr);
  EXPECT_NE(ServiceFactory(s.specs[1]).make(), nullptr);
}

}  // namespace
}  // namespace ustack::services
