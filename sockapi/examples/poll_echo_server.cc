// A non-blocking echo server with uselect.poll: one thread, many clients at once.
//   poll_echo_server PORT DEVICE_OPTIONS...
// Every socket is non-blocking; the poller says which ones can make progress. Data a client
// cannot take yet waits in that client's outbox and the socket is polled for POLLOUT.
#include <cerrno>
#include <cstdio>
#include <map>
#include <string>

#include "sockapi/examples/example_args.h"
#include "sockapi/uselect.h"
#include "sockapi/usocket.h"

namespace {

struct Client {
  usocket::socket sock;
  std::string outbox;  // received, not yet echoed
};

}  // namespace

int main(int argc, char** argv) {
  auto args = usocket::examples::split_args(argc, argv);
  if (args.own.size() != 1) {
    std::fprintf(stderr, "usage: poll_echo_server PORT DEVICE_OPTIONS...\n");
    return 2;
  }
  try {
    usocket::Network net = usocket::Network::open(args.device);
    usocket::socket server(AF_INET, SOCK_STREAM);
    server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    server.bind(usocket::sockaddr("0.0.0.0", std::stoi(args.own[0])));
    server.listen(256);
    server.setblocking(false);
    uselect::poller poller = uselect::poll();
    poller.register_(server, POLLIN);
    std::map<usocket::socket*, std::unique_ptr<Client>> clients;
    std::size_t served = 0, peak = 0;
    std::printf("ready: listening on %s\n", server.getsockname().to_string().c_str());
    std::fflush(stdout);
    for (;;) {
      for (auto [sock, events] : poller.poll()) {
        if (sock == &server) {
          auto [conn, peer] = server.accept();
          conn.setblocking(false);
          auto c = std::make_unique<Client>(Client{std::move(conn), {}});
          poller.register_(c->sock, POLLIN);
          clients.emplace(&c->sock, std::move(c));
          peak = std::max(peak, clients.size());
          continue;
        }
        Client& c = *clients.at(sock);
        bool done = (events & (POLLERR | POLLHUP)) != 0;
        if (!done && (events & POLLIN)) {
          std::optional<usocket::bytes> data = c.sock.read(65536);
          if (data && data->empty()) done = true;  // end of stream
          if (data) c.outbox += *data;
        }
        if (!c.outbox.empty()) {
          std::optional<std::size_t> n = c.sock.write(c.outbox);
          if (n) c.outbox.erase(0, *n);
        }
        if (done && c.outbox.empty()) {
          poller.unregister(c.sock);
          clients.erase(sock);  // closes it
          std::printf("served %zu (at most %zu at once)\n", ++served, peak);
          std::fflush(stdout);
          continue;
        }
        poller.modify(c.sock, c.outbox.empty() ? POLLIN : POLLOUT);
      }
    }
  } catch (const usocket::OSError& e) {
    if (e.code().value() == EINTR) return 0;
    std::fprintf(stderr, "poll_echo_server: %s\n", e.what());
    return 1;
  }
}
