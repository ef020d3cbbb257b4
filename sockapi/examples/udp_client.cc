// A UDP client over ustack: sends MESSAGE to ADDR:PORT and prints the answer, waiting at most
// 2 s (settimeout: ETIMEDOUT if nothing comes).
//   udp_client ADDR PORT MESSAGE DEVICE_OPTIONS...
#include <cstdio>
#include <string>

#include "sockapi/examples/example_args.h"
#include "sockapi/usocket.h"

int main(int argc, char** argv) {
  auto args = usocket::examples::split_args(argc, argv);
  if (args.own.size() != 3) {
    std::fprintf(stderr, "usage: udp_client ADDR PORT MESSAGE DEVICE_OPTIONS...\n");
    return 2;
  }
  try {
    usocket::Network net = usocket::Network::open(args.device);
    usocket::sockaddr to(args.own[0], std::stoi(args.own[1]));
    usocket::socket s(to.family(), SOCK_DGRAM);
    s.settimeout(2.0);
    s.sendto(args.own[2], to);
    auto [reply, from] = s.recvfrom(65535);
    std::printf("reply from %s: %s\n", from.to_string().c_str(), reply.c_str());
    return 0;
  } catch (const usocket::OSError& e) {
    std::fprintf(stderr, "udp_client: %s\n", e.what());
    return 1;
  }
}
