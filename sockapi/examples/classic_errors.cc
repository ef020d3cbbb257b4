// The classic mistakes and the OSError each one raises, as a MicroPython program sees them.
//   classic_errors KERNEL_ADDR CLOSED_PORT DEVICE_OPTIONS...
// KERNEL_ADDR is a host on the link, CLOSED_PORT a TCP port nothing listens on there.
#include <cstdio>
#include <functional>
#include <string>

#include "sockapi/examples/example_args.h"
#include "sockapi/usocket.h"

namespace {

void show(const char* what, const std::function<void()>& f) {
  try {
    f();
    std::printf("%s: no error\n", what);
  } catch (const usocket::OSError& e) {
    std::printf("%s: %s\n", what, e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto args = usocket::examples::split_args(argc, argv);
  if (args.own.size() != 2) {
    std::fprintf(stderr, "usage: classic_errors KERNEL_ADDR CLOSED_PORT DEVICE_OPTIONS...\n");
    return 2;
  }
  try {
    usocket::Network net = usocket::Network::open(args.device);
    const usocket::sockaddr closed(args.own[0], std::stoi(args.own[1]));
    show("connect to a closed port", [&] { usocket::socket().connect(closed); });
    show("recv on a closed socket", [] {
      usocket::socket s;
      s.close();
      s.recv(10);
    });
    show("send before connect", [] { usocket::socket().send("x"); });
    show("non-blocking recv with nothing to read", [] {
      usocket::socket s(AF_INET, SOCK_DGRAM);
      s.bind(usocket::sockaddr("0.0.0.0", 0));
      s.setblocking(false);
      s.recv(10);
    });
    show("recv with a 0.2 s timeout", [] {
      usocket::socket s(AF_INET, SOCK_DGRAM);
      s.bind(usocket::sockaddr("0.0.0.0", 0));
      s.settimeout(0.2);
      s.recv(10);
    });
    show("bind to a port in use", [] {
      usocket::socket a, b;
      a.bind(usocket::sockaddr("0.0.0.0", 4444));
      b.bind(usocket::sockaddr("0.0.0.0", 4444));
    });
    show("accept without listen", [] { usocket::socket().accept(); });
    show("an IPv6 address on an IPv4 socket",
         [] { usocket::socket().connect(usocket::sockaddr("fd00::1", 80)); });
    show("a host name where a numeric address is needed",
         [] { usocket::sockaddr("example.invalid", 80); });
    return 0;
  } catch (const usocket::OSError& e) {
    std::fprintf(stderr, "classic_errors: %s\n", e.what());
    return 1;
  }
}
