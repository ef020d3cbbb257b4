// Urgent data both ways with a peer: send(MSG_OOB), POLLPRI, recv(1, MSG_OOB), sockatmark().
//   urgent_client ADDR PORT oob|inline DEVICE_OPTIONS...
// Connects to ADDR:PORT and sends "before", "!" with MSG_OOB, then "after". Then waits (at
// most 10 s) for urgent data from the peer and prints it: `oob: X` (read with MSG_OOB), or with
// `inline` (SO_OOBINLINE) `oob: inline`; then `stream: ...`, the stream to its end with a `|`
// where sockatmark() said the mark was. Exit 0 if it got that far, 1 on an error.
#include <cstdio>
#include <string>

#include "sockapi/examples/example_args.h"
#include "sockapi/uselect.h"
#include "sockapi/usocket.h"

int main(int argc, char** argv) {
  auto args = usocket::examples::split_args(argc, argv);
  if (args.own.size() != 3 || (args.own[2] != "oob" && args.own[2] != "inline")) {
    std::fprintf(stderr, "usage: urgent_client ADDR PORT oob|inline DEVICE_OPTIONS...\n");
    return 2;
  }
  const bool in_line = args.own[2] == "inline";
  try {
    usocket::Network net = usocket::Network::open(args.device);
    usocket::socket s;
    if (in_line) s.setsockopt(SOL_SOCKET, SO_OOBINLINE, 1);
    s.settimeout(10);
    s.connect(usocket::sockaddr(args.own[0], std::stoi(args.own[1])));
    s.sendall("before");
    s.send("!", MSG_OOB);
    s.sendall("after");
    std::printf("sent: before !(MSG_OOB) after\n");
    uselect::poller p = uselect::poll();
    p.register_(s, POLLPRI);
    if (p.poll(10000).empty()) {
      std::printf("no urgent data from the peer (no POLLPRI in 10 s)\n");
      return 1;
    }
    std::printf("oob: %s\n", in_line ? "inline" : s.recv(1, MSG_OOB).c_str());
    std::string stream;
    for (;;) {
      if (s.sockatmark()) stream += "|";
      usocket::bytes chunk = s.recv(100);
      if (chunk.empty()) break;
      stream += chunk;
    }
    std::printf("stream: %s\n", stream.c_str());
    std::fflush(stdout);
    s.close();
    return 0;
  } catch (const usocket::OSError& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
}
