#include "tools/slirp4netns_options.h"

#include <gtest/gtest.h>

#include <set>

#include "tools/usage_error.h"

namespace ustack::tools {
namespace {

// Parses `argv` (after "slirp4netns") as `ustack slirp4netns` does and maps it. A parse error
// comes back as the mapping's error, in usage_error_text's words.
Slirp4netnsMapping run(std::vector<std::string> argv, std::string resolv_conf = "") {
  CLI::App app{"test", "slirp4netns"};
  Slirp4netnsArgs a;
  add_slirp4netns_options(app, a);
  std::reverse(argv.begin(), argv.end());  // CLI11 parses a reversed vector
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    Slirp4netnsMapping m;
    m.error = usage_error_text(e);
    return m;
  }
  Slirp4netnsEnv env;
  env.resolv_conf = std::move(resolv_conf);
  env.cwd = "/home/u";
  env.path_exists = [](const std::string& p) {
    static const std::set<std::string> there = {"/proc/77/ns/user", "/run/netns/rk",
                                                "/home/u/netns-file"};
    return there.count(p) == 1;
  };
  return map_slirp4netns(a, env);
}

// rootlesskit 1.x/2.x (pkg/network/slirp4netns): --mtu N -r 3 [flags] PID tap0.
TEST(Slirp4netnsOptions, RootlesskitPidForm) {
  Slirp4netnsMapping m =
      run({"--mtu", "65520", "-r", "3", "--disable-host-loopback", "--cidr", "198.18.5.0/24",
           "--api-socket", "/tmp/rk/api.sock", "--enable-sandbox", "--enable-seccomp",
           "--enable-ipv6", "1234", "tap0"},
          "nameserver 198.18.9.1\n");
  ASSERT_TRUE(m.options) << m.error;
  const SandboxOptions& o = *m.options;
  EXPECT_EQ(o.pid, 1234);
  EXPECT_EQ(o.netns_path, "");
  EXPECT_EQ(o.netns, "");
  EXPECT_EQ(o.tap, "tap0");
  EXPECT_EQ(o.mtu, 65520);
  EXPECT_EQ(o.ready_fd, 3);
  EXPECT_EQ(o.exit_fd, -1);
  EXPECT_EQ(o.cidr, "198.18.5.0/24");
  EXPECT_TRUE(o.enable_ipv6);
  EXPECT_TRUE(o.router_advertisements);  // as libslirp, for the namespace's SLAAC
  EXPECT_FALSE(o.configure);             // rootlesskit configures tap0 itself
  EXPECT_FALSE(o.allow_host_loopback);
  EXPECT_EQ(o.api_socket, "/tmp/rk/api.sock");
  EXPECT_TRUE(o.enable_seccomp);
  EXPECT_FALSE(o.disable_dns);
  EXPECT_EQ(o.dns_upstream, "198.18.9.1");
  EXPECT_TRUE(o.enable_sandbox);
  EXPECT_TRUE(m.notes.empty());
}

// rootlesskit with a detached netns: --userns-path=/proc/PID/ns/user --netns-type=path PATH tap0.
TEST(Slirp4netnsOptions, RootlesskitPathForm) {
  Slirp4netnsMapping m = run({"--mtu", "1500", "-r", "3", "--userns-path=/proc/77/ns/user",
                              "--netns-type=path", "/run/netns/rk", "tap0"});
  ASSERT_TRUE(m.options) << m.error;
  EXPECT_EQ(m.options->pid, 0);
  EXPECT_EQ(m.options->netns_path, "/run/netns/rk");
  EXPECT_EQ(m.options->tap, "tap0");
  EXPECT_EQ(m.notes, (std::vector<std::string>{
                         "no nameserver in /etc/resolv.conf: DNS at the DNS address is refused",
                         "--userns-path is accepted and ignored"}));
  // A relative path is taken from the working directory.
  m = run({"--netns-type", "path", "netns-file", "tap1"});
  ASSERT_TRUE(m.options) << m.error;
  EXPECT_EQ(m.options->netns_path, "/home/u/netns-file");
}

// slirp4netns's defaults: 10.0.2.0/24, MTU 1500, nothing configured, no fds, DNS forwarded.
TEST(Slirp4netnsOptions, Defaults) {
  Slirp4netnsMapping m = run({"42", "tap0"}, "search x.test\nnameserver fd00:9::1\n");
  ASSERT_TRUE(m.options) << m.error;
  const SandboxOptions& o = *m.options;
  EXPECT_EQ(o.cidr, "10.0.2.0/24");
  EXPECT_EQ(o.mtu, 1500);
  EXPECT_FALSE(o.configure);
  EXPECT_FALSE(o.enable_ipv6);
  EXPECT_EQ(o.ready_fd, -1);
  EXPECT_EQ(o.exit_fd, -1);
  EXPECT_EQ(o.dns_upstream, "fd00:9::1");
  EXPECT_FALSE(o.guest_mac);
  EXPECT_TRUE(o.allow_host_loopback);  // slirp4netns without --disable-host-loopback
  EXPECT_TRUE(m.notes.empty());
}

// Podman's short forms: -c -m N -e FD -r FD -6 -a PATH, values attached or not.
TEST(Slirp4netnsOptions, ShortOptions) {
  Slirp4netnsMapping m = run({"-c", "-m9000", "-e", "4", "-r5", "-6", "-a", "/run/a.sock",
                              "--macaddress", "2:0:5e:10:0:1", "--disable-dns", "7", "tap9"},
                             "nameserver 198.18.9.1\n");
  ASSERT_TRUE(m.options) << m.error;
  const SandboxOptions& o = *m.options;
  EXPECT_TRUE(o.configure);
  EXPECT_EQ(o.mtu, 9000);
  EXPECT_EQ(o.exit_fd, 4);
  EXPECT_EQ(o.ready_fd, 5);
  EXPECT_TRUE(o.enable_ipv6);
  EXPECT_EQ(o.api_socket, "/run/a.sock");
  ASSERT_TRUE(o.guest_mac);
  EXPECT_EQ(o.guest_mac->to_string(), "02:00:5e:10:00:01");
  EXPECT_TRUE(o.disable_dns);
  EXPECT_EQ(o.dns_upstream, "");  // --disable-dns: .3 forwards nothing
  EXPECT_EQ(o.pid, 7);
  EXPECT_EQ(o.tap, "tap9");
}

TEST(Slirp4netnsOptions, TooManyArgumentsIsAWarning) {
  Slirp4netnsMapping m = run({"42", "tap0", "extra"});
  ASSERT_TRUE(m.options) << m.error;
  EXPECT_EQ(m.notes.front(), "WARNING: too many arguments");
}

// Every bad command line is one usage error, and nothing else comes back.
TEST(Slirp4netnsOptions, BadOptionsAreOneUsageError) {
  struct Case {
    std::vector<std::string> argv;
    std::string error;
  };
  const Case cases[] = {
      {{"-m", "abc", "42", "tap0"}, "--mtu: 'abc' is not a valid value"},
      {{"--bogus", "42", "tap0"}, "unknown option --bogus"},
      {{"--target-type=bess", "42", "tap0"}, "unknown option --target-type=bess"},
      {{"abc", "tap0"}, "PID must be a positive integer"},
      {{"0", "tap0"}, "PID must be a positive integer"},
      {{"42"}, "want PID|PATH TAPNAME"},
      {{}, "want PID|PATH TAPNAME"},
      {{"--netns-type=path", "/no/such", "tap0"},
       "existing path expected when --netns-type=path: /no/such"},
      {{"--netns-type=tapfd", "5"},
       "--netns-type=tapfd is not supported (ustack opens TAPNAME in the namespace)"},
      {{"--netns-type=cgroup", "42", "tap0"}, "--netns-type cgroup: want pid or path"},
      {{"--userns-path", "/proc/1/ns/none", "42", "tap0"},
       "userns path doesn't exist: /proc/1/ns/none"},
      {{"--macaddress", "02:00:5e:10:00:01", "42", "tap0"}, "--macaddress needs --configure (-c)"},
      {{"-c", "--macaddress", "02:00:5e:10:00", "42", "tap0"},
       "--macaddress 02:00:5e:10:00: not a MAC address"},
      {{"-c", "--macaddress", "02:00:5e:10:00:1ff", "42", "tap0"},
       "--macaddress 02:00:5e:10:00:1ff: not a MAC address"},
      {{"-r", "x", "42", "tap0"}, "--ready-fd: 'x' is not a valid value"},
      {{"--exit-fd=-2", "42", "tap0"}, "--exit-fd must be a non-negative integer"},
  };
  for (const Case& c : cases) {
    Slirp4netnsMapping m = run(c.argv);
    std::string line;
    for (const auto& a : c.argv) line += a + " ";
    EXPECT_FALSE(m.options) << line;
    EXPECT_EQ(m.error, c.error) << line;
  }
}

// slirp4netns -v / --version (its main.c version()): exit 0 with the "slirp4netns version X"
// first line podman info shows and the SLIRP_CONFIG_VERSION_MAX line scripts read.
TEST(Slirp4netnsOptions, VersionFlag) {
  for (const char* flag : {"-v", "--version"}) {
    CLI::App app{"test", "slirp4netns"};
    Slirp4netnsArgs a;
    add_slirp4netns_options(app, a);
    app.parse(std::vector<std::string>{flag});
    EXPECT_TRUE(a.version) << flag;
  }
  std::string text = slirp4netns_version_text();
  EXPECT_EQ(text.substr(0, text.find('\n')), "slirp4netns version 1.3.2+ustack");
  EXPECT_NE(text.find("\nSLIRP_CONFIG_VERSION_MAX: 3\n"), std::string::npos);
}

}  // namespace
}  // namespace ustack::tools
