// The shared device options: every bad value is refused with a message that names it.
#include "tools/device_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ustack::tools {
namespace {

using ::testing::HasSubstr;

DeviceOptions parse(std::vector<std::string> args) {
  CLI::App app;
  DeviceOptions opts;
  add_device_options(app, opts);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return opts;
}

std::string error_of(std::vector<std::string> args) {
  return validate_device_options(parse(std::move(args))).error;
}

TEST(DeviceOptions, TheBenchmarkRigsFormIsAccepted) {
  auto r = validate_device_options(
      parse({"--tun", "bgv0", "--addr", "198.18.4.2/24", "--mtu", "1500", "--seed", "7"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->device.name, "bgv0");
  EXPECT_EQ(r.setup->device.mode, tun::TunMode::kTun);
  EXPECT_EQ(r.setup->device.mtu, 1500u);
  EXPECT_EQ(r.setup->seed, 7u);
  EXPECT_TRUE(r.setup->seed_given);
  ASSERT_EQ(r.setup->addrs.size(), 1u);
  EXPECT_EQ(r.setup->addrs[0].to_string(), "198.18.4.2/24");
}

TEST(DeviceOptions, NamespacePeersAndBothFamilies) {
  auto r =
      validate_device_options(parse({"--tap", "ust0", "--netns", "demo", "--addr", "198.18.0.2/24",
                                     "--addr", "fd00:1::2/64", "--peer", "198.18.0.1/24", "--peer",
                                     "fd00:1::1/64", "--gw", "198.18.0.1", "--gw", "fd00:1::1"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->device.mode, tun::TunMode::kTap);
  EXPECT_EQ(r.setup->device.netns, "demo");
  EXPECT_TRUE(r.setup->create_netns);
  EXPECT_FALSE(r.setup->device.must_exist);
  EXPECT_EQ(r.setup->addrs.size(), 2u);
  EXPECT_EQ(r.setup->peers.size(), 2u);
  EXPECT_EQ(r.setup->gateways.size(), 2u);
  EXPECT_FALSE(r.setup->seed_given);
}

TEST(DeviceOptions, NoCreateRequiresNamespaceAndDeviceToExist) {
  auto r = validate_device_options(
      parse({"--tun", "bgv0", "--netns", "bgv", "--no-create", "--addr", "198.18.4.2/24"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_FALSE(r.setup->create_netns);
  EXPECT_TRUE(r.setup->device.must_exist);
}

TEST(DeviceOptions, ADeviceIsRequired) {
  EXPECT_THAT(error_of({"--addr", "198.18.0.2/24"}), HasSubstr("give a device: --tun DEV"));
}

TEST(DeviceOptions, TunAndTapAreExclusive) {
  EXPECT_THAT(error_of({"--tun", "a", "--tap", "b", "--addr", "198.18.0.2/24"}),
              HasSubstr("cannot be used together"));
}

TEST(DeviceOptions, LongDeviceNameIsRefused) {
  EXPECT_THAT(error_of({"--tun", "sixteen-chars-xx", "--addr", "198.18.0.2/24"}),
              HasSubstr("bad device name"));
}

TEST(DeviceOptions, AnAddressIsRequired) {
  EXPECT_THAT(error_of({"--tun", "ust0"}), HasSubstr("at least one --addr"));
}

TEST(DeviceOptions, BadAddressIsNamed) {
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "198.18.0.300/24"}),
              HasSubstr("bad address '198.18.0.300' in --addr"));
}

TEST(DeviceOptions, MissingPrefixIsNamed) {
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "198.18.0.2"}), HasSubstr("has no prefix"));
}

TEST(DeviceOptions, PrefixOutOfRangeIsNamedPerFamily) {
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "198.18.0.2/33"}),
              HasSubstr("prefix length '33' out of range (0..32 for IPv4)"));
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "fd00::2/129"}),
              HasSubstr("out of range (0..128 for IPv6)"));
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "198.18.0.2/x"}), HasSubstr("prefix length"));
}

TEST(DeviceOptions, MulticastAddressIsRefused) {
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "224.0.0.1/24"}), HasSubstr("not a unicast"));
}

TEST(DeviceOptions, PeerEqualToOurAddressIsRefused) {
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--peer", "198.18.0.2/24"}),
              HasSubstr("is our own --addr"));
}

TEST(DeviceOptions, GatewayMustBeOnLink) {
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--gw", "198.19.0.1"}),
              HasSubstr("not inside any --addr subnet"));
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--gw", "bogus"}),
              HasSubstr("bad gateway address 'bogus'"));
}

TEST(DeviceOptions, MtuOutOfRangeIsNamed) {
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--mtu", "70000"}),
            "--mtu 70000 out of range (68..65535)");
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--mtu", "67"}),
            "--mtu 67 out of range (68..65535)");
}

// RFC 8200 §5: every IPv6 link carries 1280 bytes.
TEST(DeviceOptions, MtuBelow1280WithIpv6IsRefused) {
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "fd00:1::2/64", "--mtu", "1000"}),
              HasSubstr("below IPv6's minimum of 1280"));
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--mtu", "576"}), "");
}

}  // namespace
}  // namespace ustack::tools
