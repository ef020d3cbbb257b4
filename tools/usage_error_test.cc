// usage_error_text() on the errors CLI11 raises for the option shapes ustack's subcommands use.
#include "tools/usage_error.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ustack::tools {
namespace {

// Parses `args` (after "ustack up") with a subcommand shaped like ustack's; the error text.
std::string error_for(std::vector<std::string> args) {
  CLI::App app{"ustack"};
  app.require_subcommand(1);
  CLI::App* up = app.add_subcommand("up", "");
  long long mtu = 0, ttl = 0, port = 0;
  std::string tun, side, allow;
  std::vector<std::string> addrs;
  up->add_option("--mtu", mtu);
  up->add_option("--ttl", ttl)->check(CLI::Range(1, 255));
  up->add_option("--tun", tun);
  up->add_option("--addr", addrs);
  up->add_option("--side", side)->check(CLI::IsMember({"client", "server"}));
  up->add_option("--allow", allow)->check(CLI::ExistingFile);
  up->add_option("port", port)->required();
  std::vector<std::string> argv = {"up"};
  if (args.size() == 1 && args[0] == "<none>")
    argv.clear();
  else
    argv.insert(argv.end(), args.begin(), args.end());
  std::reverse(argv.begin(), argv.end());  // CLI11 takes a reversed vector
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    return usage_error_text(e);
  }
  return "(parsed)";
}

TEST(UsageError, NamesTheOptionAndTheValue) {
  EXPECT_EQ(error_for({"--mtu", "abc", "1"}), "--mtu: 'abc' is not a valid value");
  EXPECT_EQ(error_for({"abc"}), "port: 'abc' is not a valid value");
  EXPECT_EQ(error_for({"--ttl", "0", "1"}), "--ttl: 0 is not in range 1..255");
  EXPECT_EQ(error_for({"--side", "both", "1"}), "--side: 'both': want one of client, server");
  EXPECT_EQ(error_for({"--allow", "/nonexistent/x", "1"}), "--allow /nonexistent/x: no such file");
}

TEST(UsageError, MissingAndUnexpectedArguments) {
  EXPECT_EQ(error_for({}), "missing argument: port");
  EXPECT_EQ(error_for({"<none>"}), "missing subcommand");
  EXPECT_EQ(error_for({"1", "2"}), "unexpected argument '2'");
  EXPECT_EQ(error_for({"--bogus", "1"}), "unknown option --bogus");
  EXPECT_EQ(error_for({"1", "--tun"}), "--tun needs a value");
  EXPECT_EQ(error_for({"1", "--addr"}), "--addr needs a value");
}

TEST(UsageError, ValidArgumentsParse) { EXPECT_EQ(error_for({"--mtu", "1500", "7"}), "(parsed)"); }

}  // namespace
}  // namespace ustack::tools
