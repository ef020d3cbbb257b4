// slirp4netns's API requests and replies (its api.c and slirp4netns(1) "API SOCKET"), against
// a table that records what it was asked.
#include "sandbox/api_server.h"

#include <gtest/gtest.h>

#include <map>

namespace ustack::sandbox {
namespace {

class FakeTable : public HostfwdTable {
 public:
  std::optional<int> add(const ForwardSpec& spec, std::string& error) override {
    if (!fail.empty()) {
      error = fail;
      return std::nullopt;
    }
    entries[next] = spec;
    return next++;
  }
  bool remove(int id) override { return entries.erase(id) == 1; }
  std::vector<Entry> list() const override {
    std::vector<Entry> out;
    for (const auto& [id, s] : entries) out.push_back(Entry{id, s});
    return out;
  }
  std::map<int, ForwardSpec> entries;
  int next = 1;
  std::string fail;
};

class ApiReply : public ::testing::Test {
 protected:
  ApiReply() {
    l_ = *layout_for_cidr("198.18.5.0/24").layout;
    std::string error;
    add_ipv6_layout(l_, "fd00:5::/64", error);
  }
  std::string ask(std::string_view req) { return api_reply(req, table_, l_); }
  SandboxLayout l_;
  FakeTable table_;
};

IpAddr ip(const char* s) { return *IpAddr::parse(s); }

TEST_F(ApiReply, AddListRemoveAsSlirp4netns) {
  EXPECT_EQ(ask(R"({"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr":
                "0.0.0.0", "host_port": 8080, "guest_addr": "198.18.5.100", "guest_port": 80}})"),
            R"({"return":{"id":1}})");
  ASSERT_EQ(table_.entries.size(), 1u);
  EXPECT_EQ(table_.entries[1],
            (ForwardSpec{Proto::kTcp, ip("0.0.0.0"), 8080, ip("198.18.5.100"), 80}));
  // slirp4netns 1.3.2's api.c: {"entries":[...]} at the top level, no "return" envelope
  // (its manual shows one; its code, which clients talk to, writes none).
  EXPECT_EQ(ask(R"({"execute": "list_hostfwd"})"),
            R"({"entries":[{"id":1,"proto":"tcp","host_addr":"0.0.0.0","host_port":8080,)"
            R"("guest_addr":"198.18.5.100","guest_port":80}]})");
  EXPECT_EQ(ask(R"({"execute": "remove_hostfwd", "arguments": {"id": 1}})"), R"({"return":{}})");
  EXPECT_TRUE(table_.entries.empty());
  EXPECT_EQ(ask(R"({"execute": "list_hostfwd"})"), R"({"entries":[]})");
}

// slirp4netns: host_addr defaults to 0.0.0.0, guest_addr to the --configure guest (.100).
TEST_F(ApiReply, DefaultsOfTheOptionalArguments) {
  EXPECT_EQ(ask(R"({"execute":"add_hostfwd","arguments":{"proto":"udp","host_port":5353,)"
                R"("guest_port":53}})"),
            R"({"return":{"id":1}})");
  EXPECT_EQ(table_.entries[1],
            (ForwardSpec{Proto::kUdp, ip("0.0.0.0"), 5353, ip("198.18.5.100"), 53}));
  EXPECT_EQ(ask(R"({"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"",)"
                R"("host_port":1,"guest_addr":"","guest_port":2}})"),
            R"({"return":{"id":2}})");
  // An IPv6 host address (beyond slirp4netns's API): the guest's IPv6 address.
  EXPECT_EQ(ask(R"({"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"::",)"
                R"("host_port":8080,"guest_port":80}})"),
            R"({"return":{"id":3}})");
  EXPECT_EQ(table_.entries[3].guest_addr, ip("fd00:5::100"));
}

TEST_F(ApiReply, ErrorsInSlirp4netnsWords) {
  auto err = [](const char* desc) {
    return std::string(R"({"error":{"desc":"bad request: )") + desc + "\"}}";
  };
  EXPECT_EQ(ask("{nope"), err("cannot parse JSON"));
  EXPECT_EQ(ask("[1]"), err("json_object() failed"));
  EXPECT_EQ(ask(R"({"arguments":{}})"), err("no execute found"));
  EXPECT_EQ(ask(R"({"execute":"shutdown"})"), err("unknown execute"));
  const char* add = R"({"execute":"add_hostfwd","arguments":)";
  auto add_with = [&](const char* args) { return ask(std::string(add) + args + "}"); };
  EXPECT_EQ(add_with(R"({"proto":"sctp","host_port":1,"guest_port":2})"),
            err("add_hostfwd: bad arguments.proto"));
  EXPECT_EQ(add_with(R"({"host_port":1,"guest_port":2})"), err("add_hostfwd: bad arguments.proto"));
  // slirp4netns (api.c, 1.3) takes "tcp" and "udp" only.
  EXPECT_EQ(add_with(R"({"proto":"tcp6","host_port":1,"guest_port":2})"),
            err("add_hostfwd: bad arguments.proto"));
  EXPECT_EQ(add_with(R"({"proto":"tcp","host_addr":"1.2.3","host_port":1,"guest_port":2})"),
            err("add_hostfwd: bad arguments.host_addr"));
  EXPECT_EQ(add_with(R"({"proto":"tcp","guest_port":2})"),
            err("add_hostfwd: bad arguments.host_port"));
  EXPECT_EQ(add_with(R"({"proto":"tcp","host_port":65536,"guest_port":2})"),
            err("add_hostfwd: bad arguments.host_port"));
  EXPECT_EQ(add_with(R"({"proto":"tcp","host_port":"80","guest_port":2})"),
            err("add_hostfwd: bad arguments.host_port"));
  EXPECT_EQ(add_with(R"({"proto":"tcp","host_port":1,"guest_addr":"198.18.5.2","guest_port":2})"),
            err("add_hostfwd: bad arguments.guest_addr"));
  EXPECT_EQ(add_with(R"({"proto":"tcp","host_port":1,"guest_addr":"10.0.2.100","guest_port":2})"),
            err("add_hostfwd: bad arguments.guest_addr"));
  EXPECT_EQ(add_with(R"({"proto":"tcp","host_port":1})"),
            err("add_hostfwd: bad arguments.guest_port"));
  EXPECT_EQ(add_with(R"({"proto":"tcp","host_port":1.5,"guest_port":2})"),
            err("add_hostfwd: bad arguments.host_port"));
  table_.fail = "cannot listen on 0.0.0.0:1/tcp: Address already in use";
  // slirp4netns's words (api.c); the reason goes to the log.
  std::string why;
  EXPECT_EQ(api_reply(R"({"execute":"add_hostfwd","arguments":{"proto":"tcp","host_port":1,)"
                      R"("guest_port":2}})",
                      table_, l_, &why),
            err("add_hostfwd: slirp_add_hostfwd failed"));
  EXPECT_EQ(why, "add_hostfwd: cannot listen on 0.0.0.0:1/tcp: Address already in use");
  EXPECT_TRUE(table_.entries.empty());
  EXPECT_EQ(ask(R"({"execute":"remove_hostfwd","arguments":{"id":7}})"),
            err("remove_hostfwd: bad arguments.id"));
  EXPECT_EQ(ask(R"({"execute":"remove_hostfwd"})"), err("remove_hostfwd: bad arguments.id"));
}

}  // namespace
}  // namespace ustack::sandbox
