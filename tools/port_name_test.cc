// Service names for ports, as /etc/services (Debian's netbase) lists them.
#include "tools/port_name.h"

#include <gtest/gtest.h>

namespace ustack::tools {
namespace {

TEST(PortName, NumbersPassThroughAndNamesAreLookedUpPerProtocol) {
  EXPECT_EQ(port_from_text("8080", "tcp"), 8080);
  EXPECT_EQ(port_from_text("0", "udp"), 0);          // range checks are the command's
  EXPECT_EQ(port_from_text("70000", "tcp"), 70000);  // likewise
  EXPECT_EQ(port_from_text("http", "tcp"), 80);
  EXPECT_EQ(port_from_text("domain", "udp"), 53);
  EXPECT_EQ(port_from_text("ssh", "tcp"), 22);
  EXPECT_EQ(port_from_text("", "tcp"), std::nullopt);
  EXPECT_EQ(port_from_text("htp", "tcp"), std::nullopt);
  EXPECT_EQ(port_from_text("8o", "tcp"), std::nullopt);  // a typo, not a name
}

TEST(PortName, TheTransformRewritesOrRefuses) {
  CLI::App app;
  std::int64_t port = -1;
  app.add_option("port", port)->transform(port_or_service("tcp"));
  app.parse(std::vector<std::string>{"https"});
  EXPECT_EQ(port, 443);
  try {
    app.parse(std::vector<std::string>{"nosuchservice"});
    FAIL() << "accepted an unknown service";
  } catch (const CLI::ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown service 'nosuchservice' for tcp"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ustack::tools
