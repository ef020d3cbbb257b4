// The spec's example: an HTTP GET of a page by name, the name resolved by ustack's own
// resolver (usocket::getaddrinfo), the page read to the end of the stream.
//   http_get HOST PORT PATH DEVICE_OPTIONS...      (e.g. --nameserver 198.18.1.1)
// Prints the response (headers and body) to stdout.
#include <cstdio>
#include <string>

#include "sockapi/examples/example_args.h"
#include "sockapi/getaddrinfo.h"
#include "sockapi/usocket.h"

int main(int argc, char** argv) {
  auto args = usocket::examples::split_args(argc, argv);
  if (args.own.size() != 3) {
    std::fprintf(stderr, "usage: http_get HOST PORT PATH DEVICE_OPTIONS...\n");
    return 2;
  }
  const std::string& host = args.own[0];
  try {
    usocket::Network net = usocket::Network::open(args.device);
    // As in the spec: getaddrinfo(host, port, 0, SOCK_STREAM)[0][-1].
    auto [family, type, proto, canonname, addr] =
        usocket::getaddrinfo(host, std::stoi(args.own[1]), 0, SOCK_STREAM)[0];
    usocket::socket s(family, type, proto);
    s.settimeout(10.0);
    s.connect(addr);
    s.write("GET " + args.own[2] + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n");
    std::optional<usocket::bytes> page = s.read();  // to the end of the stream
    std::fwrite(page->data(), 1, page->size(), stdout);
    std::fprintf(stderr, "http_get: %zu bytes from %s\n", page->size(), addr.to_string().c_str());
    return 0;
  } catch (const usocket::OSError& e) {
    std::fprintf(stderr, "http_get: %s\n", e.what());
    return 1;
  }
}
