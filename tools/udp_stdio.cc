#include "tools/udp_stdio.h"

#include <unistd.h>

#include <algorithm>

#include "tools/stdin_reader.h"

namespace ustack::tools {

void send_stdin_datagrams(ByteVec& pending, bool send_rest, std::size_t max_datagram,
                          const std::function<bool(Bytes)>& send) {
  std::size_t start = 0;
  while (start < pending.size()) {
    const std::size_t room = std::min(pending.size() - start, max_datagram);
    auto first = pending.begin() + static_cast<std::ptrdiff_t>(start);
    auto nl = std::find(first, first + static_cast<std::ptrdiff_t>(room), std::uint8_t{'\n'});
    std::size_t len;
    if (nl != first + static_cast<std::ptrdiff_t>(room)) {
      len = static_cast<std::size_t>(nl - first) + 1;  // a line, newline included
    } else if (room == max_datagram || send_rest) {
      len = room;  // a piece of a long line, or the rest
    } else {
      break;  // a partial line: wait for the rest
    }
    if (!send(Bytes(pending).subspan(start, len))) break;
    start += len;
  }
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(start));
}

DatagramsToStdout copy_datagrams_to_stdout(UdpLayer& udp, SocketHandle h, MutBytes buf,
                                           bool& stdout_broken,
                                           const std::optional<UdpEndpoint>& only_from) {
  DatagramsToStdout out;
  for (;;) {
    auto r = udp.recv_from(h, buf);
    if (!r.ok()) {
      if (r.error() != UdpError::kWouldBlock) out.error = r.error();
      return out;
    }
    if (only_from && r->from != *only_from) continue;
    ++out.datagrams;
    if (!stdout_broken && !write_all(STDOUT_FILENO, buf.data(), r->size)) stdout_broken = true;
  }
}

}  // namespace ustack::tools
