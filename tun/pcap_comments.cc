#include "tun/pcap_comments.h"

#include <string_view>

#include "stack/base/bytes.h"
#include "stack/wire/tcp.h"

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

// "drops.tcp_bad_checksum" -> "tcp bad checksum"; "tcp.drops_paws" -> "paws".
std::string drop_words(std::string_view counter) {
  std::string_view w = counter.substr(counter.rfind('.') + 1);
  if (w.rfind("drops_", 0) == 0) w.remove_prefix(6);
  std::string out(w);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

}  // namespace

TcpSegmentComments::Flow& TcpSegmentComments::remember(const FlowKey& k) {
  if (flows_.size() >= kMaxFlows && !flows_.count(k)) flows_.clear();
  return flows_[k];
}

void TcpSegmentComments::segment_out(Flow& f, const TraceEvent& e) {
  const std::uint32_t len = e.len + ((e.flags & kSyn) ? 1 : 0) + ((e.flags & kFin) ? 1 : 0);
  const SeqNum end = SeqNum(e.seq) + len;
  if (!f.snd_max || *f.snd_max < end) f.snd_max = end;
  if ((e.flags & kSyn) && !f.snd_una) {
    f.snd_una = SeqNum(e.seq);
    f.syn_unacked = true;
  }
  if ((e.flags & kSyn) && e.tcp != nullptr) f.sack_sent = e.tcp->options.sack_permitted;
}

// What a segment the stack accepted for processing did (the local side's view), RFC 5681 §2's
// duplicate ACK included; the events that follow it (cwnd, state, drop) add to it.
void TcpSegmentComments::segment_in(Flow& f, const TraceEvent& e) {
  std::vector<std::string>& did = arrival_.did;
  const SeqNum seq(e.seq), ack(e.ack);
  if (e.flags & kSyn) {
    f.rcv_nxt = seq + 1;
    if (e.tcp != nullptr) f.sack_received = e.tcp->options.sack_permitted;
  }
  if ((e.flags & kAck) && !(e.flags & kRst)) {
    if (!f.snd_una || *f.snd_una < ack) {
      if (f.snd_una && (*f.snd_una < ack)) {
        std::uint32_t n = ack - *f.snd_una;
        std::string a = "ACKs ";
        if (f.syn_unacked) {
          a += n > 1 ? "our SYN and " : "our SYN";
          --n;
        }
        if (n > 0) a += std::to_string(n) + (n == 1 ? " byte" : " bytes");
        did.push_back(a);
      }
      f.syn_unacked = false;
      f.snd_una = ack;
      f.dup_acks = 0;
    } else if (ack == *f.snd_una && f.snd_max && *f.snd_una < *f.snd_max && e.len == 0 &&
               !(e.flags & (kSyn | kFin)) && e.wnd == f.peer_wnd) {
      did.push_back("dup ACK #" + std::to_string(++f.dup_acks));
    }
    f.peer_wnd = e.wnd;
  }
  if (e.len > 0 && f.rcv_nxt && !(e.flags & kSyn)) {
    const SeqNum end = seq + e.len;
    std::string d = "data " + std::to_string(e.len) + (e.len == 1 ? " byte" : " bytes");
    if (seq <= *f.rcv_nxt && *f.rcv_nxt < end) {
      f.rcv_nxt = end;
      bool filled = false;
      for (bool joined = true; joined;) {
        joined = false;
        for (auto it = f.ooo.begin(); it != f.ooo.end(); ++it) {
          if (it->first <= *f.rcv_nxt) {
            if (*f.rcv_nxt < it->second) f.rcv_nxt = it->second;
            f.ooo.erase(it);
            joined = filled = true;
            break;
          }
        }
      }
      d += filled ? ", fills a gap" : ", in order";
    } else if (*f.rcv_nxt < seq) {
      if (f.ooo.size() < 64) f.ooo.emplace_back(seq, end);
      d += f.sack_sent && f.sack_received ? ", out of order, SACKed" : ", out of order";
    } else {
      d += ", a duplicate";
    }
    did.push_back(d);
  }
  if (e.flags & kRst) did.push_back("RST");
  if (e.flags & kFin) did.push_back("FIN");
}

void TcpSegmentComments::arrived(Instant /*now*/, Bytes packet) {
  arrival_ = Arrival{};
  arrival_.active = true;
  Bytes ip = packet;
  if (medium_ == Medium::kEthernet) {
    if (packet.size() < 14) return;
    ip = packet.subspan(14);
  }
  if (auto t = parse_tcp(ip)) {
    arrival_.tcp = true;
    arrival_.flow = FlowKey{t->dst, t->dport, t->src, t->sport};  // the stack's side first
  }
}

void TcpSegmentComments::on_event(const TraceEvent& e) {
  if (next_ != nullptr) next_->on_event(e);
  const bool flow_event = e.local_port != 0 || e.remote_port != 0;
  const FlowKey key{e.local, e.local_port, e.remote, e.remote_port};
  // While a received packet is being handled: a drop of it (of its flow, or of no flow).
  const bool about_arrival = arrival_.active && (!flow_event || key == arrival_.flow);
  if (about_arrival && e.kind == TraceKind::kDrop) {
    arrival_.did.push_back("dropped: " + drop_words(e.what) + " (" + e.what + ")");
  }
  if (!flow_event) return;
  auto remember = [&]() -> Flow& { return this->remember(key); };
  switch (e.kind) {
    case TraceKind::kTcpSegmentIn:
      if (about_arrival) {
        segment_in(remember(), e);
      } else {
        // Not the packet being handled (no arrival was announced): track, say nothing.
        std::vector<std::string> said;
        std::swap(said, arrival_.did);
        segment_in(remember(), e);
        std::swap(said, arrival_.did);
      }
      break;
    case TraceKind::kTcpSegmentOut:
      segment_out(remember(), e);
      break;
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
      if (about_arrival && e.value != f.cwnd) {
        arrival_.did.push_back("cwnd " + (f.cwnd >= 0 ? std::to_string(f.cwnd) + "→" : "") +
                               std::to_string(e.value));
      }
      f.cwnd = e.value;
      f.ssthresh = e.value2;
      break;
    }
    default:
      break;
  }
}

std::string TcpSegmentComments::comment(Instant now, PacketDirection dir, Bytes packet) {
  if (dir != PacketDirection::kSent) {
    if (!arrival_.active || !arrival_.tcp) return "";
    arrival_.active = false;
    std::string out;
    for (const std::string& d : arrival_.did) out += (out.empty() ? "" : "; ") + d;
    auto it = flows_.find(arrival_.flow);
    if (out.empty()) {
      // Nothing the sequence spaces show (a window update, a SYN, ...): what it is.
      Bytes ip = medium_ == Medium::kEthernet && packet.size() >= 14 ? packet.subspan(14) : packet;
      const auto tcp = parse_tcp(ip);
      out = tcp ? kind_of(*tcp) : "";
    }
    if (it != flows_.end() && !it->second.state.empty()) out += "; state " + it->second.state;
    return out;
  }
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
