#include "tools/services/udp_cli.h"

namespace ustack::services {

void add_udp_send_options(CLI::App& app, UdpCliOptions& o) {
  app.add_flag("--broadcast", o.broadcast,
               "SO_BROADCAST: allow sending to a broadcast address (refused without it)");
  app.add_option("--ttl", o.ttl, "IP TTL / IPv6 hop limit, also for a group (1..255)")
      ->type_name("N");
  app.add_option("--tos", o.tos, "IP TOS / IPv6 traffic class byte (0..255)")->type_name("N");
  app.add_flag("--df", o.df,
               "IP_PMTUDISC_DO: never fragment; a datagram larger than the path MTU fails "
               "with 'message too long'");
}

void add_udp_receive_options(CLI::App& app, UdpCliOptions& o) {
  app.add_option("--rcvbuf", o.rcvbuf,
                 "SO_RCVBUF: payload bytes queued per socket before datagrams are dropped "
                 "(default 212992)")
      ->type_name("BYTES");
}

UdpSetupResult parse_udp_options(const UdpCliOptions& o) {
  UdpSetupResult r;
  UdpSocketOptions s;
  s.broadcast = o.broadcast;
  if (o.ttl) {
    if (*o.ttl < 1 || *o.ttl > 255) {
      r.error = "--ttl " + std::to_string(*o.ttl) + " out of range (1..255)";
      return r;
    }
    s.ip.ttl = static_cast<std::uint8_t>(*o.ttl);
    s.ip.multicast_ttl = s.ip.ttl;
  }
  if (o.tos) {
    if (*o.tos < 0 || *o.tos > 255) {
      r.error = "--tos " + std::to_string(*o.tos) + " out of range (0..255)";
      return r;
    }
    s.ip.tos = static_cast<std::uint8_t>(*o.tos);
  }
  if (o.df) s.ip.pmtu = PmtuDiscovery::kDo;
  constexpr std::int64_t kMaxBuf = std::int64_t{1} << 30;
  if (o.rcvbuf) {
    if (*o.rcvbuf < 1 || *o.rcvbuf > kMaxBuf) {
      r.error = "--rcvbuf " + std::to_string(*o.rcvbuf) + " out of range (1..1073741824)";
      return r;
    }
    s.recv_buffer = static_cast<std::size_t>(*o.rcvbuf);
  }
  r.options = s;
  return r;
}

const char* udp_error_text(UdpError e) {
  switch (e) {
    case UdpError::kWouldBlock:
      return "resource temporarily unavailable";
    case UdpError::kBadHandle:
      return "bad file descriptor";
    case UdpError::kInvalid:
      return "invalid argument";
    case UdpError::kAddressInUse:
      return "address already in use";
    case UdpError::kAddressNotAvailable:
      return "cannot assign requested address";
    case UdpError::kFamilyMismatch:
      return "address family not supported by protocol";
    case UdpError::kDestinationRequired:
      return "destination address required";
    case UdpError::kNotConnected:
      return "transport endpoint is not connected";
    case UdpError::kMessageTooBig:
      return "message too long";
    case UdpError::kAccessDenied:
      return "permission denied";
    case UdpError::kNetUnreachable:
      return "network is unreachable";
    case UdpError::kConnectionRefused:
      return "connection refused";
    case UdpError::kHostUnreachable:
      return "no route to host";
    case UdpError::kNoBuffers:
      return "no buffer space available";
  }
  return "unknown error";
}

}  // namespace ustack::services
