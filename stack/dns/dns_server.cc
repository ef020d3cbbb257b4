#include "stack/dns/dns_server.h"

#include <algorithm>

namespace ustack {

DnsServer::DnsServer(DnsServerConfig config, DnsZoneSet zones, UdpLayer& udp, TcpLayer& tcp,
                     IpSender& ip)
    : cfg_(std::move(config)),
      zones_(std::move(zones)),
      udp_(udp),
      tcp_(tcp),
      ip_(ip),
      rx_buf_(65535) {
  if (cfg_.addresses.empty()) cfg_.addresses = {IpAddr(Ipv4Addr::any()), IpAddr(Ipv6Addr::any())};
}

DnsServer::~DnsServer() { stop(Instant()); }

void DnsServer::stop(Instant now) {
  for (SocketHandle h : udp_socks_) udp_.close(now, h, ip_);
  for (SocketHandle h : listeners_) tcp_.close(h);
  for (Conn& c : conns_) tcp_.close(c.sock);
  udp_socks_.clear();
  listeners_.clear();
  conns_.clear();
}

std::optional<std::string> DnsServer::start(Instant now) {
  for (const IpAddr& a : cfg_.addresses) {
    std::string where =
        (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(cfg_.port);
    SocketHandle h = udp_.open(a.version());
    if (auto err = udp_.bind(h, a, cfg_.port, ip_)) {
      udp_.close(now, h, ip_);
      stop(now);
      return "UDP " + where + ": " + to_string(*err);
    }
    udp_socks_.push_back(h);
    auto l = tcp_.listen(a, cfg_.port, 16);
    if (!l.ok()) {
      stop(now);
      return "TCP " + where + ": " + to_string(l.error());
    }
    listeners_.push_back(*l);
  }
  return std::nullopt;
}

std::optional<DnsMessage> DnsServer::respond(Bytes request, bool udp) {
  if (request.size() < DnsMessage::kHeaderLen) {
    ++counters_.drops_malformed;
    return std::nullopt;
  }
  if (request[2] & 0x80) {
    ++counters_.drops_response;
    return std::nullopt;
  }
  ++(udp ? counters_.udp_queries : counters_.tcp_queries);
  auto q = DnsMessage::parse(request);
  if (!q) {
    // RFC 1035 §4.1.1: FORMERR, with the request's ID and opcode, nothing else.
    ++counters_.formerr;
    DnsMessage r;
    r.id = load_be16(request, 0);
    r.qr = true;
    r.opcode = static_cast<DnsOpcode>((request[2] >> 3) & 0x0f);
    r.rcode = DnsRcode::kFormErr;
    return r;
  }
  DnsMessage r = zones_.answer(*q, udp);
  if (r.tc) ++counters_.truncated;
  if (r.rcode == DnsRcode::kNxDomain) ++counters_.nxdomain;
  if (r.rcode == DnsRcode::kRefused) ++counters_.refused;
  if (r.rcode == DnsRcode::kFormErr) ++counters_.formerr;
  return r;
}

bool DnsServer::poll_udp(Instant now, SocketHandle h) {
  bool any = false;
  for (;;) {
    auto got = udp_.recv_from(h, rx_buf_);
    if (!got.ok()) return any;
    any = true;
    auto r = respond(Bytes(rx_buf_).first(got->size), true);
    if (!r) continue;
    if (!udp_.send_to(now, h, r->to_bytes(), got->from, ip_).ok()) ++counters_.send_errors;
  }
}

bool DnsServer::accept_connections(Instant now, SocketHandle listener) {
  bool any = false;
  for (;;) {
    auto c = tcp_.accept(listener);
    if (!c.ok()) return any;
    any = true;
    if (conns_.size() >= cfg_.max_tcp_connections) {
      ++counters_.tcp_refused;
      tcp_.abort(*c);
      continue;
    }
    ++counters_.tcp_connections;
    conns_.push_back(Conn{*c, {}, {}, now});
  }
}

bool DnsServer::service(Instant now, Conn& c, bool& any) {
  if (tcp_.error(c.sock)) {
    tcp_.close(c.sock);
    return false;
  }
  while (!c.eof) {
    auto n = tcp_.recv(c.sock, rx_buf_);
    if (!n.ok()) break;
    if (*n == 0) {
      c.eof = true;
      break;
    }
    c.in.insert(c.in.end(), rx_buf_.begin(), rx_buf_.begin() + static_cast<std::ptrdiff_t>(*n));
    c.last_activity = now;
    any = true;
  }
  // RFC 7766 §8: each message has a 2-byte length in front.
  while (c.in.size() >= 2 && c.in.size() >= 2 + std::size_t{load_be16(c.in, 0)}) {
    std::size_t len = load_be16(c.in, 0);
    auto r = respond(Bytes(c.in).subspan(2, len), false);
    c.in.erase(c.in.begin(), c.in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    if (!r) continue;
    ByteVec msg = r->to_bytes();
    c.out.push_back(static_cast<std::uint8_t>(msg.size() >> 8));
    c.out.push_back(static_cast<std::uint8_t>(msg.size()));
    c.out.insert(c.out.end(), msg.begin(), msg.end());
  }
  if (!c.out.empty()) {
    auto n = tcp_.send(c.sock, c.out);
    if (n.ok()) {
      c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(*n));
      c.last_activity = now;
      any = true;
    }
  }
  bool idle = now >= c.last_activity + cfg_.tcp_idle_timeout;
  if ((c.eof && c.out.empty()) || idle) {
    if (idle && !c.eof) ++counters_.tcp_idle_closes;
    tcp_.close(c.sock);
    any = true;
    return false;
  }
  return true;
}

bool DnsServer::poll(Instant now) {
  bool any = false;
  for (SocketHandle h : udp_socks_) any |= poll_udp(now, h);
  for (SocketHandle l : listeners_) any |= accept_connections(now, l);
  std::erase_if(conns_, [&](Conn& c) { return !service(now, c, any); });
  return any;
}

Instant DnsServer::poll_at() const {
  Instant at = Instant::never();
  for (const Conn& c : conns_) at = std::min(at, c.last_activity + cfg_.tcp_idle_timeout);
  return at;
}

}  // namespace ustack
