// slirp4netns's JSON API on a UNIX stream socket (`--api-socket PATH`; issue 13 item 2):
// add_hostfwd, list_hostfwd and remove_hostfwd with slirp4netns's argument names, replies and
// error texts (its api.c and slirp4netns(1) "API SOCKET"), so tools written for slirp4netns
// (rootlesskit's port driver, podman, scripts using `nc -U`) drive ustack's forwards.
//
//   {"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "0.0.0.0",
//    "host_port": 8080, "guest_addr": "10.0.2.100", "guest_port": 80}}  -> {"return":{"id":1}}
//   {"execute": "list_hostfwd"} -> {"entries":[{"id":1,"proto":"tcp",...}]}
//   {"execute": "remove_hostfwd", "arguments": {"id": 1}}                -> {"return":{}}
//   errors: {"error":{"desc":"bad request: add_hostfwd: bad arguments.host_port"}}
//
// list_hostfwd: slirp4netns's manual documents the entries inside "return", while its code
// (1.3.2's api.c) writes {"entries":[...]} alone; ustack writes what the code writes, byte for
// byte (keys in its order, numbers as integers, no spaces). One request per connection, as
// slirp4netns: the request ends when it parses as a whole JSON value, at the client's EOF
// (shutdown(SHUT_WR)), or at 4096 bytes (too large); the reply is written and the connection
// closed. Everything is non-blocking in the sandbox's one event loop: a slow client never stops the
// relay.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/host_watch.h"
#include "sandbox/publish_spec.h"

namespace ustack::sandbox {

// What the API drives: the table of forwards (PortForwarder).
class HostfwdTable {
 public:
  struct Entry {
    int id = 0;
    ForwardSpec spec;
  };
  virtual ~HostfwdTable() = default;
  // The new forward's id, or nullopt with `error` saying why (the host socket could not
  // listen: "cannot listen on 0.0.0.0:8080: Address already in use").
  virtual std::optional<int> add(const ForwardSpec& spec, std::string& error) = 0;
  virtual bool remove(int id) = 0;
  virtual std::vector<Entry> list() const = 0;
};

inline constexpr std::size_t kApiRequestLimit = 4096;  // slirp4netns: "less than 4096 bytes"

// The reply to one request (pure: the table does the work). Replies and errors are
// slirp4netns's (api.c) word for word; a forward the table could not add is slirp4netns's
// "add_hostfwd: slirp_add_hostfwd failed", and why (the table's error) goes to `why` if given.
std::string api_reply(std::string_view request, HostfwdTable& table, const SandboxLayout& l,
                      std::string* why = nullptr);

struct ApiServerCounters {
  std::uint64_t requests = 0;  // answered
  std::uint64_t errors = 0;    // ... with {"error": ...}
  std::uint64_t dropped = 0;   // connections closed unanswered (client gone, too many)
};

class ApiServer {
 public:
  static constexpr std::size_t kMaxClients = 16;  // connections waiting for their request
  static constexpr Duration kClientTimeout = Duration::seconds(10);

  // Listens on `path` (an existing socket file there is replaced, as slirp4netns does).
  // Throws tun::SysError.
  ApiServer(tun::AsioRuntime& runtime, const std::string& path, HostfwdTable& table,
            const SandboxLayout& layout);
  ~ApiServer();  // closes and unlinks the socket
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  void step();
  const ApiServerCounters& counters() const { return counters_; }
  std::string counters_text() const;

 private:
  struct Client {
    std::unique_ptr<HostWatch> watch;
    Instant since;
    std::string request;
    std::string reply;  // once answered: what is left to write
    bool answered = false;
  };
  void accept_clients(Instant now);
  // False once the client is finished with (answered and written, or dropped).
  bool serve(Client& c);
  void answer(Client& c);

  tun::AsioRuntime& runtime_;
  std::string path_;
  HostfwdTable& table_;
  SandboxLayout layout_;
  std::unique_ptr<HostWatch> listener_;
  std::vector<Client> clients_;
  ApiServerCounters counters_;
};

}  // namespace ustack::sandbox
