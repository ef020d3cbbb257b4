#include "sandbox/api_server.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "sandbox/counter_text.h"
#include "tun/sys_error.h"

namespace ustack::sandbox {
namespace {

using nlohmann::json;

std::string error_reply(const std::string& desc) {
  return json{{"error", {{"desc", "bad request: " + desc}}}}.dump();
}

// arguments.NAME as slirp4netns reads it (json_object_dotget_*): absent or of another type
// reads as empty / 0.
std::string arg_string(const json& args, const char* name) {
  auto it = args.find(name);
  return it != args.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::optional<std::int64_t> arg_integer(const json& args, const char* name) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_number()) return std::nullopt;
  double v = it->get<double>();
  if (v != static_cast<double>(static_cast<std::int64_t>(v))) return std::nullopt;
  return static_cast<std::int64_t>(v);
}
std::optional<std::uint16_t> arg_port(const json& args, const char* name) {
  std::optional<std::int64_t> v = arg_integer(args, name);
  if (!v || *v < 1 || *v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

std::string add_hostfwd(const json& args, HostfwdTable& table, const SandboxLayout& l,
                        std::string* why) {
  auto bad = [](const char* what) {
    return error_reply(std::string("add_hostfwd: bad arguments.") + what);
  };
  ForwardSpec f;
  std::string proto = arg_string(args, "proto");
  if (proto == "tcp") {
    f.proto = Proto::kTcp;
  } else if (proto == "udp") {
    f.proto = Proto::kUdp;
  } else {
    return bad("proto");
  }
  std::string host = arg_string(args, "host_addr");
  if (!host.empty()) {
    std::optional<IpAddr> a = IpAddr::parse(host);
    if (!a || a->is_multicast()) return bad("host_addr");
    f.host_addr = *a;
  }
  std::optional<std::uint16_t> hp = arg_port(args, "host_port");
  if (!hp) return bad("host_port");
  f.host_port = *hp;
  std::string guest = arg_string(args, "guest_addr");
  if (guest.empty()) {
    f.guest_addr = f.host_addr.is_v6() && l.v6 ? l.v6->guest : l.guest;
  } else {
    std::optional<IpAddr> a = IpAddr::parse(guest);
    if (!a || !valid_guest_addr(l, *a)) return bad("guest_addr");
    f.guest_addr = *a;
  }
  std::optional<std::uint16_t> gp = arg_port(args, "guest_port");
  if (!gp) return bad("guest_port");
  f.guest_port = *gp;
  std::string error;
  std::optional<int> id = table.add(f, error);
  if (!id) {
    if (why != nullptr) *why = "add_hostfwd: " + error;
    return error_reply("add_hostfwd: slirp_add_hostfwd failed");
  }
  return json{{"return", {{"id", *id}}}}.dump();
}

std::string list_hostfwd(const HostfwdTable& table) {
  // Each entry's keys in slirp4netns's order (its parson objects keep insertion order).
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const HostfwdTable::Entry& e : table.list()) {
    entries.push_back({{"id", e.id},
                       {"proto", to_string(e.spec.proto)},
                       {"host_addr", e.spec.host_addr.to_string()},
                       {"host_port", e.spec.host_port},
                       {"guest_addr", e.spec.guest_addr.to_string()},
                       {"guest_port", e.spec.guest_port}});
  }
  // slirp4netns 1.3.2 (api.c api_handle_req_list_hostfwd) writes {"entries":[...]} with no
  // "return" envelope, though its manual shows one: what it writes is what clients read.
  return nlohmann::ordered_json{{"entries", entries}}.dump();
}

std::string remove_hostfwd(const json& args, HostfwdTable& table) {
  std::optional<std::int64_t> id = arg_integer(args, "id");
  if (!id || *id < 1 || *id > INT32_MAX || !table.remove(static_cast<int>(*id))) {
    return error_reply("remove_hostfwd: bad arguments.id");
  }
  return json{{"return", json::object()}}.dump();
}

}  // namespace

std::string api_reply(std::string_view request, HostfwdTable& table, const SandboxLayout& l,
                      std::string* why) {
  json req = json::parse(request, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded()) return error_reply("cannot parse JSON");
  if (!req.is_object()) return error_reply("json_object() failed");
  auto execute = req.find("execute");
  if (execute == req.end() || !execute->is_string()) return error_reply("no execute found");
  auto a = req.find("arguments");
  const json args = a != req.end() && a->is_object() ? *a : json::object();
  const std::string& cmd = execute->get_ref<const std::string&>();
  if (cmd == "add_hostfwd") return add_hostfwd(args, table, l, why);
  if (cmd == "list_hostfwd") return list_hostfwd(table);
  if (cmd == "remove_hostfwd") return remove_hostfwd(args, table);
  return error_reply("unknown execute");
}

ApiServer::ApiServer(tun::AsioRuntime& runtime, const std::string& path, HostfwdTable& table,
                     const SandboxLayout& layout)
    : runtime_(runtime), path_(path), table_(table), layout_(layout) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sun.sun_path) {
    throw std::runtime_error("--api-socket " + path + ": path empty or too long (at most " +
                             std::to_string(sizeof sun.sun_path - 1) + " bytes)");
  }
  std::memcpy(sun.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) tun::throw_errno("--api-socket: socket", errno);
  tun::UniqueFd owned(fd);
  ::unlink(path.c_str());  // slirp4netns api_bindlisten: "avoid EADDRINUSE"
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    tun::throw_errno("--api-socket " + path + ": bind", errno);
  }
  if (::listen(fd, 16) != 0) tun::throw_errno("--api-socket " + path + ": listen", errno);
  listener_ = std::make_unique<HostWatch>(runtime_, std::move(owned));
}

ApiServer::~ApiServer() {
  clients_.clear();
  listener_.reset();
  ::unlink(path_.c_str());
}

void ApiServer::step() {
  Instant now = runtime_.now();
  accept_clients(now);
  std::erase_if(clients_, [&](Client& c) {
    if (serve(c)) {
      if (now - c.since <= kClientTimeout) return false;
      ++counters_.dropped;  // never finished its request (nor read our reply)
    }
    return true;
  });
}

void ApiServer::accept_clients(Instant now) {
  while (listener_->readable()) {
    int fd = ::accept4(listener_->fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) listener_->want_read();
      return;  // EMFILE and the like: tried again at the next step
    }
    tun::UniqueFd owned(fd);
    if (clients_.size() >= kMaxClients) {
      ++counters_.dropped;
      continue;
    }
    clients_.push_back(Client{std::make_unique<HostWatch>(runtime_, std::move(owned)), now});
  }
}

bool ApiServer::serve(Client& c) {
  if (!c.answered) {
    char buf[1024];
    while (c.watch->readable()) {
      ssize_t n = ::recv(c.watch->fd(), buf, sizeof buf, 0);
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          ++counters_.dropped;
          return false;
        }
        c.watch->want_read();
        break;
      }
      c.request.append(buf, static_cast<std::size_t>(n));
      if (n == 0 || c.request.size() >= kApiRequestLimit || nlohmann::json::accept(c.request)) {
        answer(c);
        break;
      }
    }
    if (!c.answered) return true;
  }
  while (!c.reply.empty()) {
    if (!c.watch->writable()) return true;
    ssize_t n = ::send(c.watch->fd(), c.reply.data(), c.reply.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c.watch->want_write();
        return true;
      }
      return false;  // the client went away before the reply
    }
    c.reply.erase(0, static_cast<std::size_t>(n));
  }
  ::shutdown(c.watch->fd(), SHUT_RDWR);
  return false;
}

void ApiServer::answer(Client& c) {
  c.answered = true;
  ++counters_.requests;
  if (c.request.size() >= kApiRequestLimit) {
    c.reply = error_reply("too large message");
  } else {
    std::string why;
    c.reply = api_reply(c.request, table_, layout_, &why);
    if (!why.empty()) std::fprintf(stderr, "ustack: api socket: %s\n", why.c_str());
  }
  if (c.reply.starts_with("{\"error\"")) ++counters_.errors;
}

std::string ApiServer::counters_text() const {
  std::string s = "ApiServer:\n";
  append_counter(s, counters_.requests, "requests");
  append_counter(s, counters_.errors, "errors");
  append_counter(s, counters_.dropped, "dropped");
  return s;
}

}  // namespace ustack::sandbox
