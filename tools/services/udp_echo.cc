#include "tools/services/udp_echo.h"

#include "tools/services/counters_text.h"

namespace ustack::services {

UdpEchoService::~UdpEchoService() {
  for (SocketHandle h : sockets_) (void)udp_.close(last_now_, h, ip_);
}

std::optional<UdpError> UdpEchoService::listen(IpVersion family, std::uint16_t port) {
  SocketHandle h = udp_.open(family);
  IpAddr any = family == IpVersion::kV4 ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any());
  if (auto e = udp_.bind(h, any, port, ip_)) {
    (void)udp_.close(last_now_, h, ip_);
    return e;
  }
  sockets_.push_back(h);
  return std::nullopt;
}

bool UdpEchoService::poll(Instant now) {
  last_now_ = now;
  bool did = false;
  for (SocketHandle h : sockets_) {
    for (;;) {
      auto got = udp_.recv_from(h, buf_);
      // An unconnected socket has no pending errors to report; would-block ends the queue.
      if (!got.ok()) break;
      did = true;
      auto sent = udp_.send_to(now, h, Bytes(buf_).first(got->size), got->from, ip_);
      if (!sent.ok()) {
        ++stats_.send_errors;
        continue;
      }
      ++stats_.datagrams;
      stats_.bytes += *sent;
    }
  }
  return did;
}

std::string UdpEchoService::counters_text() const {
  return counters_section("UdpEcho", {{"datagrams", stats_.datagrams},
                                      {"bytes", stats_.bytes},
                                      {"send_errors", stats_.send_errors}});
}

}  // namespace ustack::services
