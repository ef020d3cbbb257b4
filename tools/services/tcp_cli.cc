#include "tools/services/tcp_cli.h"

#include <charconv>
#include <vector>

#include "stack/counters.h"

namespace ustack::services {

void add_tcp_options(CLI::App& app, TcpCliOptions& o) {
  app.add_option("--keepalive", o.keepalive,
                 "send keepalive probes after IDLE s without traffic, every INTERVAL s (default "
                 "IDLE), give up after COUNT (default 9) unanswered")
      ->type_name("IDLE[,INTERVAL[,COUNT]]");
  app.add_flag("--nodelay", o.nodelay, "TCP_NODELAY: no Nagle");
  app.add_option("--sndbuf", o.sndbuf, "SO_SNDBUF in bytes (default 256 KiB)")->type_name("BYTES");
  app.add_option("--rcvbuf", o.rcvbuf, "SO_RCVBUF in bytes (default 256 KiB)")->type_name("BYTES");
  app.add_option("--syn-retries", o.syn_retries,
                 "SYN retransmissions before connect gives up (default 6, about 127 s)")
      ->type_name("N");
  auto* ecn = app.add_flag("--ecn", o.ecn,
                           "ask for ECN (RFC 3168) in our SYNs, like net.ipv4.tcp_ecn=1 (default: "
                           "accept it when the peer asks, tcp_ecn=2)");
  app.add_flag("--no-ecn", o.no_ecn, "never use ECN, like net.ipv4.tcp_ecn=0")->excludes(ecn);
}

TcpSetupResult parse_tcp_options(const TcpCliOptions& o) {
  TcpSetupResult r;
  TcpSetup s;
  s.socket.nodelay = o.nodelay;
  if (o.ecn) s.ecn = TcpEcnMode::kRequest;
  if (o.no_ecn) s.ecn = TcpEcnMode::kOff;
  constexpr std::int64_t kMaxBuf = std::int64_t{1} << 30;
  if (o.sndbuf) {
    if (*o.sndbuf < 2048 || *o.sndbuf > kMaxBuf) {
      r.error = "--sndbuf " + std::to_string(*o.sndbuf) + " out of range (2048..1073741824)";
      return r;
    }
    s.socket.send_buffer = static_cast<std::size_t>(*o.sndbuf);
  }
  if (o.rcvbuf) {
    if (*o.rcvbuf < 2048 || *o.rcvbuf > kMaxBuf) {
      r.error = "--rcvbuf " + std::to_string(*o.rcvbuf) + " out of range (2048..1073741824)";
      return r;
    }
    s.socket.recv_buffer = static_cast<std::size_t>(*o.rcvbuf);
  }
  if (o.syn_retries) {
    // Linux: TCP_SYNCNT and net.ipv4.tcp_syn_retries take 1..127 (MAX_TCP_SYNCNT); 0 would give
    // up on the first SYN before any retransmission could help.
    if (*o.syn_retries < 1 || *o.syn_retries > 127) {
      r.error = "--syn-retries " + std::to_string(*o.syn_retries) + " out of range (1..127)";
      return r;
    }
    s.syn_retries = static_cast<unsigned>(*o.syn_retries);
  }
  if (!o.keepalive.empty()) {
    std::vector<std::int64_t> v;
    std::string_view rest = o.keepalive;
    for (;;) {
      std::size_t comma = rest.find(',');
      std::string_view part = rest.substr(0, comma);
      std::int64_t n = 0;
      auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
      if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || n < 1 ||
          n > 32767) {
        r.error = "--keepalive " + o.keepalive +
                  ": want IDLE[,INTERVAL[,COUNT]], whole seconds 1..32767 (count 1..127)";
        return r;
      }
      v.push_back(n);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (v.size() > 3 || (v.size() == 3 && v[2] > 127)) {
      r.error = "--keepalive " + o.keepalive +
                ": want IDLE[,INTERVAL[,COUNT]], whole seconds 1..32767 (count 1..127)";
      return r;
    }
    s.socket.keepalive = true;
    s.socket.keepalive_idle = Duration::seconds(v[0]);
    s.socket.keepalive_interval = Duration::seconds(v.size() > 1 ? v[1] : v[0]);
    if (v.size() > 2) s.socket.keepalive_count = static_cast<unsigned>(v[2]);
  }
  r.setup = s;
  return r;
}

const char* tcp_error_text(TcpError e) {
  switch (e) {
    case TcpError::kReset:
      return "connection reset by peer";
    case TcpError::kRefused:
      return "connection refused";
    case TcpError::kTimedOut:
      return "connection timed out";
    case TcpError::kAborted:
      return "software caused connection abort";
    case TcpError::kNetUnreachable:
      return "network is unreachable";
    case TcpError::kHostUnreachable:
      return "no route to host";
    case TcpError::kProtocolUnreachable:
      return "protocol not available";
    case TcpError::kPortUnreachable:
      return "connection refused";
    case TcpError::kAdminProhibited:
      return "no route to host (administratively prohibited)";
    case TcpError::kNoRoute:
      return "network is unreachable";
    case TcpError::kWouldBlock:
      return "resource temporarily unavailable";
    case TcpError::kNotConnected:
      return "transport endpoint is not connected";
    case TcpError::kPipe:
      return "broken pipe";
    case TcpError::kBadHandle:
      return "bad file descriptor";
    case TcpError::kAddressInUse:
      return "address already in use";
    case TcpError::kNoPorts:
      return "cannot assign requested address";
    case TcpError::kInvalid:
      return "invalid argument";
    case TcpError::kInProgress:
      return "operation already in progress";
    case TcpError::kIsConnected:
      return "transport endpoint is already connected";
  }
  return "unknown error";
}

TcpLayerConfig tcp_layer_config(const TcpSetup& s) {
  TcpLayerConfig cfg;
  if (s.syn_retries) cfg.tcp.syn_retries = *s.syn_retries;
  if (s.ecn) cfg.tcp.ecn = *s.ecn;
  return cfg;
}

std::string endpoint_text(const IpAddr& a, std::uint16_t port) {
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port)
                   : a.to_string() + ":" + std::to_string(port);
}

std::string tcp_counters_text(const TcpLayerCounters& c, std::size_t sockets) {
  std::string s = "Tcp:\n";
  auto line = [&s](std::uint64_t v, const char* name) {
    if (v != 0) append_counter(s, v, name);
  };
  line(sockets, "sockets");
  line(c.segs_in, "segs_in");
  line(c.segs_out, "segs_out");
  line(c.retrans_segs, "retrans_segs");
  line(c.tso_super_segs_out, "tso_super_segs_out");
  line(c.tso_segs_out, "tso_segs_out");
  line(c.rack.lost, "rack_lost");
  line(c.rack.tlp_probes, "tlp_probes");
  line(c.rack.tlp_recoveries, "tlp_recoveries");
  line(c.rack.undo_rto, "undo_rto");
  line(c.rack.undo_recovery, "undo_recovery");
  line(c.rack.undo_dsack, "undo_dsack");
  line(c.ecn.negotiated, "ecn_negotiated");
  line(c.ecn.ce_received, "ecn_ce_received");
  line(c.ecn.ece_received, "ecn_ece_received");
  line(c.ecn.cwnd_reductions, "ecn_cwnd_reductions");
  line(c.ecn.cwr_sent, "ecn_cwr_sent");
  line(c.ecn.cwr_received, "ecn_cwr_received");
  line(c.active_opens, "active_opens");
  line(c.passive_opens, "passive_opens");
  line(c.drops_bad_checksum, "drops_bad_checksum");
  line(c.drops_malformed, "drops_malformed");
  line(c.drops_broadcast, "drops_broadcast");
  line(c.drops_listen_overflow, "drops_listen_overflow");
  line(c.syn_queue_evicted, "syn_queue_evicted");
  line(c.syncookies_sent, "syncookies_sent");
  line(c.syncookies_recv, "syncookies_recv");
  line(c.syncookies_failed, "syncookies_failed");
  line(c.syns_held, "syns_held");  // catch-all listeners (ustack sandbox)
  line(c.syns_held_overflow, "syns_held_overflow");
  line(c.syns_refused, "syns_refused");
  line(c.rsts_no_socket, "rsts_no_socket");
  line(c.rsts_listen_ack, "rsts_listen_ack");
  line(c.time_wait_reused, "time_wait_reused");
  line(c.time_wait_reused_connect, "time_wait_reused_connect");
  line(c.time_wait_overflow, "time_wait_overflow");
  line(c.time_wait_killed, "time_wait_killed");
  line(c.time_wait_expired, "time_wait_expired");
  line(c.ephemeral_ports_exhausted, "ephemeral_ports_exhausted");
  line(c.icmp_ignored, "icmp_ignored");
  line(c.icmp_delivered, "icmp_delivered");
  line(c.send_failed, "send_failed");
  line(c.sockets_serviced, "sockets_serviced");
  line(c.timer_entries_visited, "timer_entries_visited");
  line(c.output_deferred, "output_deferred");
  return s;
}

}  // namespace ustack::services
