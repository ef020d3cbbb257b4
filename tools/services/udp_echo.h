// The echo service over UDP (RFC 862 §"UDP Based Echo Service"): every datagram received on the
// port is sent back to where it came from. `ustack udp echo PORT` and `ustack serve
// udp-echo:PORT`.
//
// A Pollable the Stack runs after its transports (Stack::add_poller), so a datagram is answered
// in the poll that delivered it: a burst is echoed as it arrives instead of piling up in the
// socket's receive queue until the shell's next iteration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/pollable.h"
#include "stack/transport.h"
#include "stack/udp/udp_layer.h"

namespace ustack::services {

struct UdpEchoStats {
  std::uint64_t datagrams = 0;    // echoed
  std::uint64_t bytes = 0;        // payload bytes echoed
  std::uint64_t send_errors = 0;  // the answer could not be sent (no route, too big, ...)
};

class UdpEchoService final : public Pollable {
 public:
  UdpEchoService(UdpLayer& udp, IpSender& ip) : udp_(udp), ip_(ip), buf_(65536) {}
  ~UdpEchoService() override;
  UdpEchoService(const UdpEchoService&) = delete;
  UdpEchoService& operator=(const UdpEchoService&) = delete;

  // Binds a socket of `family` to the any address and `port`.
  std::optional<UdpError> listen(IpVersion family, std::uint16_t port);

  bool poll(Instant now) override;
  Instant poll_at() const override { return Instant::never(); }

  const UdpEchoStats& stats() const { return stats_; }
  // "UdpEcho:" and indented "N name" lines (the format of Counters).
  std::string counters_text() const;

 private:
  UdpLayer& udp_;
  IpSender& ip_;
  std::vector<SocketHandle> sockets_;
  ByteVec buf_;
  UdpEchoStats stats_;
  Instant last_now_;
};

}  // namespace ustack::services
