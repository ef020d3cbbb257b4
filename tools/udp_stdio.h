// stdin to datagrams and datagrams to stdout: the part of `ustack udp send` and
// `ustack connect -u` (nc -u) that moves bytes between the terminal and a UDP socket.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "stack/base/bytes.h"
#include "stack/udp/udp_layer.h"

namespace ustack::tools {

// The largest payload a datagram to `remote` can carry (65507 over IPv4, 65527 over IPv6).
inline std::size_t max_udp_payload(const IpAddr& remote) {
  return remote.is_v4() ? UdpLayer::kMaxPayloadV4 : UdpLayer::kMaxPayloadV6;
}

// Cuts stdin's bytes into datagrams: every line (its newline included, like nc) is one; a line
// longer than `max_datagram` goes in pieces of that size (a datagram cannot be larger); with
// `send_rest` (at EOF; or always, for nc's "each read is a datagram") what is left after the
// last newline is one more. Each goes to `send`; the bytes sent leave `pending`. A `send` that
// returns false stops the cutting (its datagram and the rest stay in `pending`).
void send_stdin_datagrams(ByteVec& pending, bool send_rest, std::size_t max_datagram,
                          const std::function<bool(Bytes)>& send);

struct DatagramsToStdout {
  std::size_t datagrams = 0;      // written (or dropped because stdout broke)
  std::optional<UdpError> error;  // a socket error other than "would block"
};

// Reads every datagram waiting on `h` and writes its payload to stdout; once a write fails,
// `stdout_broken` is set and later payloads are read and dropped. With `only_from`, datagrams
// from anyone else are dropped (ones queued before the socket was connected to that peer).
DatagramsToStdout copy_datagrams_to_stdout(UdpLayer& udp, SocketHandle h, MutBytes buf,
                                           bool& stdout_broken,
                                           const std::optional<UdpEndpoint>& only_from = {});

}  // namespace ustack::tools
