// A TCP echo server over ustack, one client at a time, as a MicroPython script would write it:
//   tcp_echo_server PORT DEVICE_OPTIONS...
// Prints "ready" once listening; SIGINT/SIGTERM stop the network's loop, which ends the
// blocking accept() with OSError(EINTR) and the program with exit code 0.
#include <cerrno>
#include <cstdio>
#include <string>

#include "sockapi/examples/example_args.h"
#include "sockapi/usocket.h"

int main(int argc, char** argv) {
  auto args = usocket::examples::split_args(argc, argv);
  if (args.own.size() != 1) {
    std::fprintf(stderr, "usage: tcp_echo_server PORT DEVICE_OPTIONS...\n");
    return 2;
  }
  try {
    usocket::Network net = usocket::Network::open(args.device);
    usocket::socket server(AF_INET, SOCK_STREAM);
    server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    server.bind(usocket::sockaddr("0.0.0.0", std::stoi(args.own[0])));
    server.listen();
    std::printf("ready: listening on %s\n", server.getsockname().to_string().c_str());
    std::fflush(stdout);
    for (;;) {
      auto [client, peer] = server.accept();
      std::printf("client %s\n", peer.to_string().c_str());
      std::fflush(stdout);
      std::size_t total = 0;
      for (usocket::bytes data = client.recv(4096); !data.empty(); data = client.recv(4096)) {
        client.sendall(data);
        total += data.size();
      }
      std::printf("client %s done: %zu bytes echoed\n", peer.to_string().c_str(), total);
      std::fflush(stdout);
    }
  } catch (const usocket::OSError& e) {
    if (e.code().value() == EINTR) return 0;  // stopped by a signal
    std::fprintf(stderr, "tcp_echo_server: %s\n", e.what());
    return 1;
  }
}
