#include "stack/tcp/tcp_types.h"

#include <cstdio>

#include "stack/base/random.h"
#include "stack/port_allocator.h"

namespace ustack {

const char* to_string(TcpState s) {
  switch (s) {
    case TcpState::kClosed:
      return "CLOSED";
    case TcpState::kListen:
      return "LISTEN";
    case TcpState::kSynSent:
      return "SYN_SENT";
    case TcpState::kSynReceived:
      return "SYN_RECEIVED";
    case TcpState::kEstablished:
      return "ESTABLISHED";
    case TcpState::kFinWait1:
      return "FIN_WAIT_1";
    case TcpState::kFinWait2:
      return "FIN_WAIT_2";
    case TcpState::kCloseWait:
      return "CLOSE_WAIT";
    case TcpState::kClosing:
      return "CLOSING";
    case TcpState::kLastAck:
      return "LAST_ACK";
    case TcpState::kTimeWait:
      return "TIME_WAIT";
  }
  return "?";
}

const char* to_string(TcpError e) {
  switch (e) {
    case TcpError::kReset:
      return "reset";
    case TcpError::kRefused:
      return "refused";
    case TcpError::kTimedOut:
      return "timed_out";
    case TcpError::kAborted:
      return "aborted";
    case TcpError::kNetUnreachable:
      return "net_unreachable";
    case TcpError::kHostUnreachable:
      return "host_unreachable";
    case TcpError::kProtocolUnreachable:
      return "protocol_unreachable";
    case TcpError::kPortUnreachable:
      return "port_unreachable";
    case TcpError::kAdminProhibited:
      return "admin_prohibited";
    case TcpError::kNoRoute:
      return "no_route";
    case TcpError::kWouldBlock:
      return "would_block";
    case TcpError::kNotConnected:
      return "not_connected";
    case TcpError::kPipe:
      return "pipe";
    case TcpError::kBadHandle:
      return "bad_handle";
    case TcpError::kAddressInUse:
      return "address_in_use";
    case TcpError::kNoPorts:
      return "no_ports";
    case TcpError::kInvalid:
      return "invalid";
    case TcpError::kInProgress:
      return "in_progress";
    case TcpError::kIsConnected:
      return "is_connected";
  }
  return "?";
}

std::string TcpTuple::to_string() const {
  auto ep = [](const IpAddr& a, std::uint16_t p) {
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(p);
  };
  return ep(local, local_port) + ">" + ep(remote, remote_port);
}

std::size_t TcpTupleHash::operator()(const TcpTuple& t) const {
  std::uint8_t buf[40] = {};
  std::size_t n = put_tuple(buf, t.local, t.remote, t.local_port, t.remote_port);
  return static_cast<std::size_t>(siphash24(key, Bytes(buf, n)));
}

std::string TcpStats::to_string() const {
  char buf[1024];
  std::snprintf(
      buf, sizeof buf,
      "%s%s%s%s wscale:%u,%u rto:%lld rtt:%.3f/%.3f mss:%u advmss:%u rcvmss:%u cwnd:%u "
      "ssthresh:%u snd_wnd:%u rcv_wnd:%u bytes_sent:%llu bytes_retrans:%llu bytes_acked:%llu "
      "bytes_received:%llu segs_out:%llu segs_in:%llu data_segs_out:%llu data_segs_in:%llu "
      "unacked:%u unsent:%u unread:%u retrans:%llu/%llu dupacks:%llu ooo:%llu backoff:%u "
      "rack_lost:%llu tlp:%llu/%llu undo:%llu/%llu/%llu rcvbuf:%u sndbuf:%u grow:%llu/%llu "
      "rcv_rtt:%.3f",
      ustack::to_string(state), sack ? " sack" : "", timestamps ? " ts" : "", ecn ? " ecn" : "",
      snd_wscale, rcv_wscale, static_cast<long long>(rto.total_millis()),
      srtt.total_micros() / 1000.0, rttvar.total_micros() / 1000.0, snd_mss, adv_mss, rcv_mss,
      snd_mss ? cwnd / snd_mss : 0, ssthresh >= 0x7fffffff || !snd_mss ? 0 : ssthresh / snd_mss,
      snd_wnd, rcv_wnd, static_cast<unsigned long long>(bytes_sent),
      static_cast<unsigned long long>(bytes_retrans), static_cast<unsigned long long>(bytes_acked),
      static_cast<unsigned long long>(bytes_received), static_cast<unsigned long long>(segs_out),
      static_cast<unsigned long long>(segs_in), static_cast<unsigned long long>(data_segs_out),
      static_cast<unsigned long long>(data_segs_in), unacked, unsent, unread,
      static_cast<unsigned long long>(retrans_fast),
      static_cast<unsigned long long>(retrans_rto + retrans_fast),
      static_cast<unsigned long long>(dup_acks_in), static_cast<unsigned long long>(ooo_segs_in),
      backoff, static_cast<unsigned long long>(rack.lost),
      static_cast<unsigned long long>(rack.tlp_recoveries),
      static_cast<unsigned long long>(rack.tlp_probes),
      static_cast<unsigned long long>(rack.undo_rto),
      static_cast<unsigned long long>(rack.undo_recovery),
      static_cast<unsigned long long>(rack.undo_dsack), rcvbuf, sndbuf,
      static_cast<unsigned long long>(rcvbuf_grows), static_cast<unsigned long long>(sndbuf_grows),
      rcv_rtt.total_micros() / 1000.0);
  return buf;
}

}  // namespace ustack
