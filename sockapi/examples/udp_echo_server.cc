// A UDP echo server over ustack: every datagram goes back to its sender.
//   udp_echo_server PORT DEVICE_OPTIONS...
#include <cerrno>
#include <cstdio>
#include <string>

#include "sockapi/examples/example_args.h"
#include "sockapi/usocket.h"

int main(int argc, char** argv) {
  auto args = usocket::examples::split_args(argc, argv);
  if (args.own.size() != 1) {
    std::fprintf(stderr, "usage: udp_echo_server PORT DEVICE_OPTIONS...\n");
    return 2;
  }
  try {
    usocket::Network net = usocket::Network::open(args.device);
    usocket::socket s(AF_INET, SOCK_DGRAM);
    s.bind(usocket::sockaddr("0.0.0.0", std::stoi(args.own[0])));
    std::printf("ready: udp on %s\n", s.getsockname().to_string().c_str());
    std::fflush(stdout);
    for (;;) {
      auto [data, from] = s.recvfrom(65535);
      s.sendto(data, from);
      std::printf("%zu bytes from %s\n", data.size(), from.to_string().c_str());
      std::fflush(stdout);
    }
  } catch (const usocket::OSError& e) {
    if (e.code().value() == EINTR) return 0;
    std::fprintf(stderr, "udp_echo_server: %s\n", e.what());
    return 1;
  }
}
