// A simulated application for TCP simulations: sends its data, half-closes, reads to the end
// of the stream, then closes. Used by the TcpLayer-only simulation (stack/tcp) and by the
// two-Stack simulation over the in-memory link (stack/).
#pragma once

#include <optional>
#include <string>

#include "stack/base/random.h"
#include "stack/tcp/tcp_layer.h"

namespace ustack {

struct SimApp {
  SocketHandle h;
  std::string out;
  std::size_t sent = 0;
  std::string in;
  bool shut = false;
  bool eof = false;
  bool closed = false;
  std::optional<TcpError> failed;

  void step(TcpLayer& l) {
    if (!h.valid() || closed) return;
    if (auto e = l.error(h)) {
      failed = e;
      return;
    }
    TcpReadiness r = l.readiness(h);
    if (!r.connected && !r.closed) return;
    while (sent < out.size()) {
      auto n = l.send(
          h, Bytes(reinterpret_cast<const std::uint8_t*>(out.data()) + sent, out.size() - sent));
      if (!n.ok()) break;
      sent += *n;
    }
    if (sent == out.size() && !shut) {
      shut = !l.shutdown(h).has_value();
    }
    std::uint8_t buf[4096];
    for (;;) {
      auto n = l.recv(h, buf);
      if (!n.ok()) break;
      if (*n == 0) {
        eof = true;
        break;
      }
      in.append(reinterpret_cast<char*>(buf), *n);
    }
    if (eof && shut) {
      l.close(h);
      closed = true;
    }
  }
};

inline std::string random_data(Rng& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng.next_u32());
  return s;
}

}  // namespace ustack
