// The shared device options: every bad value is refused with a message that names it.
#include "tools/device_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace ustack::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

DeviceOptions parse(std::vector<std::string> args) {
  CLI::App app;
  DeviceOptions opts;
  add_device_options(app, opts);
  add_resolver_options(app, opts);
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

// The addresses the stack runs with are set before its resolver runs: a name there is refused
// in words that say so, not as a malformed address.
TEST(DeviceOptions, DeviceAddressesAreNumericAndANameIsSaidToBeOne) {
  const std::vector<std::string> dev = {"--tun", "ust0", "--addr", "198.18.0.2/24"};
  auto with_dev = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = dev;
    args.insert(args.end(), extra.begin(), extra.end());
    return error_of(args);
  };
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "me.test/24"}),
            "--addr takes an address, not a name: 'me.test/24'");
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "me.test"}),
            "--addr takes an address, not a name: 'me.test'");
  EXPECT_EQ(with_dev({"--peer", "kernel/24"}), "--peer takes an address, not a name: 'kernel/24'");
  EXPECT_EQ(with_dev({"--gw", "router.test"}), "--gw takes an address, not a name: 'router.test'");
  EXPECT_EQ(with_dev({"--nameserver", "ns1"}), "--nameserver takes an address, not a name: 'ns1'");
  // A mistyped address is still reported as one.
  EXPECT_THAT(with_dev({"--gw", "198.18.0.300"}), HasSubstr("bad gateway address '198.18.0.300'"));
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "198.18.0.300/24"}),
              HasSubstr("bad address '198.18.0.300'"));
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
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--gw", "198.18.0.300"}),
              HasSubstr("bad gateway address '198.18.0.300'"));
}

TEST(DeviceOptions, MtuOutOfRangeIsNamed) {
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--mtu", "70000"}),
            "--mtu 70000 out of range (68..65535)");
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--mtu", "67"}),
            "--mtu 67 out of range (68..65535)");
}

// The device commands auto-tune TCP buffers from Linux's tcp_rmem / tcp_wmem starting sizes, to
// lower ceilings (2 MiB / 512 KiB), unless told.
TEST(DeviceOptions, TcpBuffersAutoTuneWithLinuxsSizesByDefault) {
  auto r = validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->tcp_rmem, kUstackTcpRmem);
  EXPECT_EQ(r.setup->tcp_wmem, kUstackTcpWmem);
  r = validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24", "--tcp-rmem",
                                     "4096,262144,262144", "--tcp-wmem", "4096 65536 1048576"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->tcp_rmem, (TcpBufferSysctl{4096, 262144, 262144}));
  EXPECT_EQ(r.setup->tcp_wmem, (TcpBufferSysctl{4096, 65536, 1048576}));
}

TEST(DeviceOptions, BadTcpBufferSizesAreNamed) {
  auto err = [](std::string flag, std::string v) {
    return error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", flag, v});
  };
  EXPECT_EQ(err("--tcp-rmem", "4096,131072"),
            "--tcp-rmem 4096,131072: give three sizes in bytes, MIN,DEF,MAX (default: "
            "4096,131072,2097152)");
  EXPECT_EQ(err("--tcp-wmem", "4k,16k,4m"),
            "--tcp-wmem 4k,16k,4m: give three sizes in bytes, MIN,DEF,MAX (default: "
            "4096,16384,524288)");
  EXPECT_EQ(err("--tcp-rmem", "4096,131072,65536"),
            "--tcp-rmem 4096,131072,65536: needs MIN <= DEF <= MAX");
  EXPECT_EQ(err("--tcp-rmem", "1024,131072,6291456"),
            "--tcp-rmem 1024,131072,6291456: sizes out of range (2048..1073741824 bytes)");
  EXPECT_EQ(err("--tcp-wmem", "4096,16384,2147483648"),
            "--tcp-wmem 4096,16384,2147483648: sizes out of range (2048..1073741824 bytes)");
}

// A device ustack creates gets a 4096-packet transmit queue (the kernel's 500 drops the windows
// of a few streams); --txqueuelen sets any device's, in range.
TEST(DeviceOptions, TxQueueLenDefaultsForCreatedDevicesAndIsBounded) {
  auto r = validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->device.txqueuelen, std::nullopt);
  EXPECT_EQ(r.setup->device.created_txqueuelen, kCreatedTxQueueLen);
  r = validate_device_options(
      parse({"--tun", "ust0", "--addr", "198.18.0.2/24", "--txqueuelen", "1000"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->device.txqueuelen, 1000u);
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--txqueuelen", "0"}),
            "--txqueuelen 0 out of range (1..1000000)");
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--txqueuelen", "1000001"}),
            "--txqueuelen 1000001 out of range (1..1000000)");
}

TEST(DeviceOptions, QueuesMakeAMultiQueueDeviceAndAreBounded) {
  ValidationResult one =
      validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24"}));
  ASSERT_TRUE(one.setup);
  EXPECT_EQ(one.setup->queues, 1u);
  EXPECT_FALSE(one.setup->device.multi_queue);
  ValidationResult two =
      validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24", "--queues", "2"}));
  ASSERT_TRUE(two.setup) << two.error;
  EXPECT_EQ(two.setup->queues, 2u);
  EXPECT_TRUE(two.setup->device.multi_queue);
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--queues", "0"}),
            "--queues 0 out of range (1..64)");
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--queues", "65"}),
            "--queues 65 out of range (1..64)");
  EXPECT_EQ(
      error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--queues", "2", "--events", "-"}),
      "--events - cannot be used with --queues 2 (each shard writes FILE.K: give a FILE)");
}

TEST(DeviceOptions, BusyPollIsOffByDefaultAndBounded) {
  ValidationResult off =
      validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24"}));
  ASSERT_TRUE(off.setup);
  EXPECT_EQ(off.setup->busy_poll, Duration::zero());
  ValidationResult on = validate_device_options(
      parse({"--tun", "ust0", "--addr", "198.18.0.2/24", "--busy-poll", "50"}));
  ASSERT_TRUE(on.setup) << on.error;
  EXPECT_EQ(on.setup->busy_poll, Duration::micros(50));
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--busy-poll", "-1"}),
            "--busy-poll -1 out of range (0..100000 microseconds)");
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--busy-poll", "100001"}),
            "--busy-poll 100001 out of range (0..100000 microseconds)");
}

TEST(DeviceOptions, EachShardWritesItsOwnFile) {
  EXPECT_EQ(shard_path("ev.jsonl", 0, 1), "ev.jsonl");
  EXPECT_EQ(shard_path("ev.jsonl", 0, 2), "ev.jsonl.0");
  EXPECT_EQ(shard_path("ev.jsonl", 1, 2), "ev.jsonl.1");
  EXPECT_EQ(shard_path("", 1, 2), "");
}

// RFC 8200 §5: every IPv6 link carries 1280 bytes.
TEST(DeviceOptions, MtuBelow1280WithIpv6IsRefused) {
  EXPECT_THAT(error_of({"--tun", "ust0", "--addr", "fd00:1::2/64", "--mtu", "1000"}),
              HasSubstr("below IPv6's minimum of 1280"));
  EXPECT_EQ(error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--mtu", "576"}), "");
}

}  // namespace
}  // namespace ustack::tools

namespace ustack::tools {
namespace {

// A file under TEST_TMPDIR with `text`; its path.
std::string temp_file(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path) << text;
  return path;
}

ValidationResult with(std::vector<std::string> more) {
  std::vector<std::string> args = {"--tun",         "ust0",   "--addr",
                                   "198.18.0.2/24", "--addr", "fd00:1::2/64"};
  args.insert(args.end(), more.begin(), more.end());
  return validate_device_options(parse(args));
}

std::vector<std::string> servers(const ValidationResult& r) {
  std::vector<std::string> out;
  for (const auto& ns : r.setup->resolver.nameservers) out.push_back(ns.to_string());
  return out;
}

TEST(ResolverOptions, NameserverTakesAddressAndOptionalPort) {
  auto r = with({"--nameserver", "198.18.0.1", "--nameserver", "198.18.0.1:5353", "--nameserver",
                 "[fd00:1::1]:5353"});
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(servers(r),
            (std::vector<std::string>{"198.18.0.1", "198.18.0.1:5353", "[fd00:1::1]:5353"}));
}

TEST(ResolverOptions, BadNameserverIsNamed) {
  EXPECT_THAT(with({"--nameserver", "198.18.0.300"}).error,
              HasSubstr("bad --nameserver '198.18.0.300' (want ADDR or ADDR:PORT"));
  EXPECT_THAT(with({"--nameserver", "198.18.0.1:0"}).error, HasSubstr("bad --nameserver"));
  EXPECT_THAT(with({"--nameserver", "224.0.0.1"}).error, HasSubstr("bad --nameserver"));
  EXPECT_THAT(with({"--nameserver", "1.1.1.1", "--nameserver", "1.1.1.2", "--nameserver", "1.1.1.3",
                    "--nameserver", "1.1.1.4"})
                  .error,
              HasSubstr("more than 3 --nameserver"));
}

// Never the host's resolver: with nothing given, the kernel side of the usual setup.
TEST(ResolverOptions, DefaultNameserverIsTheGatewayThenThePeerThenTheSubnetsFirstAddress) {
  auto r = with({});
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(servers(r), (std::vector<std::string>{"198.18.0.1", "fd00:1::1"}));
  r = with({"--peer", "198.18.0.7/24"});
  EXPECT_EQ(servers(r), (std::vector<std::string>{"198.18.0.7"}));
  r = with({"--peer", "198.18.0.7/24", "--gw", "198.18.0.9"});
  EXPECT_EQ(servers(r), (std::vector<std::string>{"198.18.0.9"}));
  // Our own address is never the default server.
  r = validate_device_options(parse({"--tun", "u", "--addr", "198.18.0.1/24"}));
  EXPECT_TRUE(servers(r).empty());
}

TEST(ResolverOptions, ResolvConfIsReadAndNameserverReplacesItsServers) {
  std::string conf = temp_file("resolv.conf",
                               "nameserver 198.18.0.53\nsearch ustack.test\n"
                               "options attempts:3 timeout:2 use-vc\nbogus line\n");
  auto r = with({"--resolv-conf", conf});
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(servers(r), (std::vector<std::string>{"198.18.0.53"}));
  EXPECT_EQ(r.setup->resolver.search, (std::vector<std::string>{"ustack.test"}));
  EXPECT_EQ(r.setup->resolver.attempts, 3u);
  EXPECT_TRUE(r.setup->resolver.force_tcp);
  ASSERT_EQ(r.setup->warnings.size(), 1u);
  EXPECT_THAT(r.setup->warnings[0], HasSubstr("--resolv-conf " + conf + ": line 4"));

  r = with({"--resolv-conf", conf, "--nameserver", "198.18.0.1:5353"});
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(servers(r), (std::vector<std::string>{"198.18.0.1:5353"}));
  EXPECT_EQ(r.setup->resolver.attempts, 3u);  // the rest of the file stays
}

TEST(ResolverOptions, HostsFileIsRead) {
  std::string hosts = temp_file("hosts", "198.18.0.80 web.ustack.test web\nfd00:1::80 web\n");
  auto r = with({"--hosts", hosts});
  ASSERT_TRUE(r.setup) << r.error;
  auto m = r.setup->hosts.lookup("web");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->addrs.size(), 2u);
}

TEST(ResolverOptions, UnreadableFilesAreNamed) {
  EXPECT_EQ(with({"--resolv-conf", "/no/such/resolv.conf"}).error,
            "--resolv-conf /no/such/resolv.conf: cannot read: No such file or directory");
  EXPECT_EQ(with({"--hosts", "/no/such/hosts"}).error,
            "--hosts /no/such/hosts: cannot read: No such file or directory");
}

TEST(DeviceOptions, ImpairAppliesToBothDirections) {
  auto r = validate_device_options(
      parse({"--tun", "ust0", "--addr", "198.18.0.2/24", "--impair", "delay=20ms,loss=1%"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_TRUE(r.setup->impaired());
  EXPECT_EQ(r.setup->impair_in.to_string(), "delay=20ms,loss=1%");
  EXPECT_EQ(r.setup->impair_out.to_string(), "delay=20ms,loss=1%");
}

TEST(DeviceOptions, ImpairInAndOutReplaceImpairForTheirDirection) {
  auto r = validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24", "--impair",
                                          "delay=20ms", "--impair-out", "rate=10mbit"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->impair_in.to_string(), "delay=20ms");
  EXPECT_EQ(r.setup->impair_out.to_string(), "rate=10mbit");
  r = validate_device_options(
      parse({"--tun", "ust0", "--addr", "198.18.0.2/24", "--impair-in", "loss=5%"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->impair_in.to_string(), "loss=5%");
  EXPECT_TRUE(r.setup->impair_out.is_none());
}

TEST(DeviceOptions, NoImpairmentByDefault) {
  auto r = validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_FALSE(r.setup->impaired());
}

TEST(DeviceOptions, BadImpairSpecNamesTheFlagAndTheField) {
  const std::vector<std::string> base = {"--tun", "ust0", "--addr", "198.18.0.2/24"};
  auto with = [&](std::string flag, std::string spec) {
    std::vector<std::string> args = base;
    args.push_back(flag);
    args.push_back(spec);
    return error_of(args);
  };
  EXPECT_EQ(with("--impair", "loss=120%"), "--impair: loss=120% out of range (0..100%)");
  EXPECT_EQ(with("--impair-in", "delay=20"),
            "--impair-in: delay=20: want a duration with a unit (ns, us, ms, s; e.g. 20ms)");
  EXPECT_EQ(with("--impair-out", "lag=1ms"),
            "--impair-out: unknown field 'lag' (fields: delay, jitter, rate, queue, loss, burst, "
            "reorder, dup, corrupt, seed)");
}

// Input the kernel would accept but that is most likely a typo: warned about, once per cause,
// and the command goes on.
TEST(DeviceOptions, SuspiciousInputIsWarnedAbout) {
  auto warnings = [](std::vector<std::string> more) {
    ValidationResult r = with(std::move(more));
    EXPECT_TRUE(r.setup) << r.error;
    return r.setup ? r.setup->warnings : std::vector<std::string>{};
  };
  EXPECT_THAT(warnings({}), IsEmpty());
  EXPECT_THAT(warnings({"--peer", "198.18.0.1/24", "--peer", "fd00:1::1/64"}), IsEmpty());
  EXPECT_THAT(warnings({"--addr", "198.18.0.2/24"}),
              ElementsAre("--addr 198.18.0.2/24 given twice; the repeat is ignored"));
  EXPECT_EQ(with({"--addr", "198.18.0.2/24"}).setup->addrs.size(), 2u);
  EXPECT_THAT(warnings({"--peer", "198.19.0.1/24"}),
              ElementsAre("--peer 198.19.0.1/24 is outside every --addr subnet: ustack has no "
                          "route to it"));
  EXPECT_THAT(warnings({"--addr", "198.18.5.0/24"}),
              ElementsAre("--addr 198.18.5.0/24 is the subnet's own address, not a host's"));
  EXPECT_THAT(warnings({"--peer", "198.18.0.255/24"}),
              ElementsAre("--peer 198.18.0.255/24 is the subnet's broadcast address, not a "
                          "host's"));
  EXPECT_THAT(warnings({"--addr", "fd00:7::/64"}),
              ElementsAre("--addr fd00:7::/64 is the subnet's own address, not a host's"));
  EXPECT_THAT(warnings({"--addr", "198.18.9.0/31"}), IsEmpty());  // RFC 3021: both are hosts
  EXPECT_THAT(warnings({"--seed", "-1"}),
              ElementsAre("--seed -1 is negative: it wraps to 18446744073709551615 (seeds are "
                          "0..18446744073709551615)"));
  EXPECT_THAT(warnings({"--seed", "7"}), IsEmpty());
}

// --snaplen and --pcap-size: tcpdump's -s and -C for the capture the stack writes.
TEST(PcapOptions, SnaplenAndSizeGoWithPcap) {
  auto r = validate_device_options(parse({"--tun", "u0", "--addr", "198.18.0.2/24", "--pcap",
                                          "x.pcap", "--snaplen", "96", "--pcap-size", "100"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->pcap, "x.pcap");
  EXPECT_EQ(r.setup->pcap_snaplen, 96u);
  EXPECT_EQ(r.setup->pcap_rotate_bytes, 100'000'000u);  // millions of octets, as tcpdump -C
}

TEST(PcapOptions, DefaultsKeepWholePacketsInOneFile) {
  auto r = validate_device_options(
      parse({"--tun", "u0", "--addr", "198.18.0.2/24", "--pcap", "x.pcap", "--snaplen", "0"}));
  ASSERT_TRUE(r.setup) << r.error;
  EXPECT_EQ(r.setup->pcap_snaplen, kPcapMaxSnaplen);  // tcpdump -s 0
  EXPECT_EQ(r.setup->pcap_rotate_bytes, 0u);
}

TEST(PcapOptions, BadValuesAreNamed) {
  const std::vector<std::string> base = {"--tun", "u0", "--addr", "198.18.0.2/24"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return error_of(args);
  };
  EXPECT_EQ(with({"--snaplen", "96"}),
            "--snaplen needs --pcap FILE (it cuts the packets recorded there)");
  EXPECT_EQ(with({"--pcap-size", "10"}), "--pcap-size needs --pcap FILE (it rotates that file)");
  EXPECT_EQ(with({"--pcap", "x", "--snaplen", "-1"}),
            "--snaplen -1 out of range (0..262144; 0 keeps whole packets)");
  EXPECT_EQ(with({"--pcap", "x", "--snaplen", "262145"}),
            "--snaplen 262145 out of range (0..262144; 0 keeps whole packets)");
  EXPECT_EQ(with({"--pcap", "x", "--pcap-size", "0"}),
            "--pcap-size 0 out of range (1..1000000 million octets per file)");
}

}  // namespace
}  // namespace ustack::tools

namespace ustack::tools {
namespace {

TEST(DeviceOptions, OffloadIsOnByDefaultOffWithNoOffloadOrImpair) {
  auto on = validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24"}));
  ASSERT_TRUE(on.setup) << on.error;
  EXPECT_TRUE(on.setup->device.offload);
  auto off =
      validate_device_options(parse({"--tun", "ust0", "--addr", "198.18.0.2/24", "--no-offload"}));
  ASSERT_TRUE(off.setup) << off.error;
  EXPECT_FALSE(off.setup->device.offload);
  // An impairment holds packets without their offload metadata.
  auto impaired = validate_device_options(
      parse({"--tun", "ust0", "--addr", "198.18.0.2/24", "--impair", "loss=1%"}));
  ASSERT_TRUE(impaired.setup) << impaired.error;
  EXPECT_FALSE(impaired.setup->device.offload);
  EXPECT_EQ(
      error_of({"--tun", "ust0", "--addr", "198.18.0.2/24", "--impair", "loss=1%", "--offload"}),
      "--offload cannot be used with --impair");
}

}  // namespace
}  // namespace ustack::tools
