#include "tun/pcap_comments.h"

#include <string_view>

#include "stack/base/bytes.h"

namespace ustack::tun {
namespace {

// Connections remembered at most; beyond it the table starts afresh (a comment then lacks the
// state until the next state change, nothing worse).
constexpr std::size_t kMaxFlows = 65536;

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

struct TcpView {
  IpAddr src, dst;
  std::uint16_t sport = 0, dport = 0;
  std::uint8_t flags = 0;
  std::size_t payload = 0;
};

// The TCP header of an unfragmented IPv4 or IPv6 packet (no extension headers), else nullopt.
std::optional<TcpView> parse_tcp(Bytes ip) {
  TcpView v;
  std::size_t off = 0;
  std::size_t end = ip.size();
  if (ip.empty()) return std::nullopt;
  if (ip[0] >> 4 == 4) {
    if (ip.size() < 20 || ip[9] != 6) return std::nullopt;
    if ((load_be16(ip, 6) & 0x1fff) != 0) return std::nullopt;  // a later fragment
    off = (ip[0] & 0x0f) * 4u;
    end = std::min<std::size_t>(end, load_be16(ip, 2));
    v.src = Ipv4Addr::from_bytes(ip.subspan(12));
    v.dst = Ipv4Addr::from_bytes(ip.subspan(16));
  } else if (ip[0] >> 4 == 6) {
    if (ip.size() < 40 || ip[6] != 6) return std::nullopt;
    off = 40;
    end = std::min<std::size_t>(end, 40u + load_be16(ip, 4));
    v.src = Ipv6Addr::from_bytes(ip.subspan(8));
    v.dst = Ipv6Addr::from_bytes(ip.subspan(24));
  } else {
    return std::nullopt;
  }
  if (end < off + 20) return std::nullopt;
  const Bytes tcp = ip.subspan(off, end - off);
  v.sport = load_be16(tcp, 0);
  v.dport = load_be16(tcp, 2);
  v.flags = tcp[13];
  const std::size_t hlen = (tcp[12] >> 4) * 4u;
  v.payload = tcp.size() > hlen ? tcp.size() - hlen : 0;
  return v;
}

const char* kind_of(const TcpView& t) {
  if (t.flags & kRst) return "RST";
  if ((t.flags & kSyn) && (t.flags & kAck)) return "SYN-ACK";
  if (t.flags & kSyn) return "SYN";
  if (t.flags & kFin) return t.payload > 0 ? "data, FIN" : "FIN";
  if (t.payload > 0) return "data";
  return "ACK";
}

}  // namespace

void TcpSegmentComments::on_event(const TraceEvent& e) {
  if (next_ != nullptr) next_->on_event(e);
  if (e.local_port == 0 && e.remote_port == 0) return;
  auto remember = [&]() -> Flow& {
    if (flows_.size() >= kMaxFlows) flows_.clear();
    return flows_[FlowKey{e.local, e.local_port, e.remote, e.remote_port}];
  };
  switch (e.kind) {
    case TraceKind::kTcpState: {
      const std::string_view what = e.what;
      const std::size_t arrow = what.find("->");
      remember().state = arrow == std::string_view::npos ? what : what.substr(arrow + 2);
      break;
    }
    case TraceKind::kTcpRetransmit: {
      Flow& f = remember();
      f.reason = std::string("retransmit (") + e.what + ")";
      f.reason_at = e.at;
      break;
    }
    case TraceKind::kTcpTimer: {
      // Only a timer that fired sends something; "set"/"cancelled" explain nothing.
      if (*e.detail != '\0' && std::string_view(e.detail) != "fired") break;
      Flow& f = remember();
      f.reason = std::string(e.what) + " timer";
      f.reason_at = e.at;
      break;
    }
    case TraceKind::kTcpCongestion: {
      Flow& f = remember();
      f.cwnd = e.value;
      f.ssthresh = e.value2;
      break;
    }
    default:
      break;
  }
}

std::string TcpSegmentComments::comment(Instant now, PacketDirection dir, Bytes packet) {
  if (dir != PacketDirection::kSent) return "";
  Bytes ip = packet;
  if (medium_ == Medium::kEthernet) {
    if (packet.size() < 14) return "";
    const std::uint16_t type = load_be16(packet, 12);
    if (type != 0x0800 && type != 0x86dd) return "";
    ip = packet.subspan(14);
  }
  const auto tcp = parse_tcp(ip);
  if (!tcp) return "";
  auto it = flows_.find(FlowKey{tcp->src, tcp->sport, tcp->dst, tcp->dport});
  std::string out;
  if (it != flows_.end() && !it->second.reason.empty() && it->second.reason_at == now) {
    out = it->second.reason + ": " + kind_of(*tcp);
  } else {
    out = kind_of(*tcp);
  }
  if (it == flows_.end()) return out;
  Flow& f = it->second;
  f.reason.clear();  // explains one segment
  if (!f.state.empty()) out += "; state " + f.state;
  if (f.cwnd >= 0) {
    out += "; cwnd " + std::to_string(f.cwnd) + " ssthresh " + std::to_string(f.ssthresh);
  }
  return out;
}

}  // namespace ustack::tun
