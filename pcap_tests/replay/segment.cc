#include "pcap_tests/replay/segment.h"

#include <map>
#include <regex>
#include <sstream>

#include "pcap_tests/replay/packet_view.h"
#include "stack/wire/print.h"
#include "stack/wire/tcp.h"

namespace ustack::replay {
namespace {

// A reply within this long of the peer's packet is an answer to it. Linux answers in
// microseconds; 5 ms leaves room for a loaded machine (and a timer tick), stays far below the
// 40 ms delayed-ACK timer and below the 10 ms steps scenario scripts take between calls.
constexpr Duration kImmediate = Duration::millis(5);
// RFC 6298 (2.4) / Linux TCP_RTO_MIN: an RTO is never shorter; a sooner timer retransmission
// is a tail-loss probe.
constexpr Duration kMinRto = Duration::millis(200);

// A fragment's description without its Identification: "UDP (frag 14232:1480@0+)" becomes
// "UDP (frag 1480@0+)", "frag (0x0ffe934b:1448@0+) UDP" becomes "frag (1448@0+) UDP". Each
// stack picks its own IDs (RFC 791 §3.2 / RFC 8200 §4.5 only ask that they are unique for a
// while; Linux hashes them), so the ID is no difference between runs; the length, offset and
// MF flag say how the datagram was cut and stay.
std::string without_fragment_id(const std::string& line) {
  static const std::regex kV4(R"(\(frag [0-9]+:)");
  static const std::regex kV6(R"(frag \(0x[0-9a-f]+:)");
  return std::regex_replace(std::regex_replace(line, kV4, "(frag "), kV6, "frag (");
}

// What one direction has sent so far.
struct Direction {
  std::optional<std::uint32_t> isn;
  bool offered_wscale = false;
  std::uint8_t shift = 0;
  std::uint32_t snd_max = 0;  // highest relative seq sent + 1 (SYN and FIN count)
  bool any_sent = false;
  bool sent_synack = false;
  std::uint32_t last_win = 1;                                    // last window advertised (scaled)
  std::map<std::uint32_t, std::pair<unsigned, Duration>> sends;  // seq -> (times sent, last)
};

}  // namespace

std::string Segment::flags_text() const {
  if (!other.empty()) return "other";
  if (proto == IpProto::kUdp) return "udp";
  std::string s;
  if (has(tcp_flags::kSyn)) s += 'S';
  if (has(tcp_flags::kFin)) s += 'F';
  if (has(tcp_flags::kRst)) s += 'R';
  if (has(tcp_flags::kPsh)) s += 'P';
  if (has(tcp_flags::kUrg)) s += 'U';
  if (has(tcp_flags::kEce)) s += 'E';
  if (has(tcp_flags::kCwr)) s += 'W';
  if (has(tcp_flags::kAck)) s += '.';
  return s.empty() ? "none" : s;
}

std::string Segment::options_text() const {
  std::vector<std::string> o;
  if (mss) o.push_back("mss " + std::to_string(*mss));
  if (sack_ok) o.push_back("sackOK");
  if (timestamps) o.push_back("TS");
  if (wscale) o.push_back("wscale " + std::to_string(*wscale));
  if (!sack.empty()) {
    std::string s = "sack";
    for (auto [l, r] : sack) s += " " + std::to_string(l) + ":" + std::to_string(r);
    o.push_back(s);
  }
  if (o.empty()) return "";
  std::string s = "<";
  for (std::size_t i = 0; i < o.size(); ++i) s += (i ? "," : "") + o[i];
  return s + ">";
}

std::string Segment::text() const {
  if (!other.empty()) return other;
  std::ostringstream s;
  if (proto == IpProto::kUdp) {
    s << "udp (" << len << ")";
    return s.str();
  }
  s << flags_text() << " " << seq << ":" << seq + len << "(" << len << ")";
  if (has(tcp_flags::kAck)) s << " ack " << ack;
  s << " win " << win;
  if (urg) s << " urg " << *urg;
  std::string opts = options_text();
  if (!opts.empty()) s << " " << opts;
  return s.str();
}

std::vector<Segment> normalise(const PacketList& packets) {
  std::vector<Segment> out;
  Direction dir[2];  // [0] the host (outbound), [1] the peer
  std::optional<Instant> start;
  std::optional<Duration> last_peer;  // time of the peer's latest packet
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const TimedPacket& p = packets[i];
    auto v = view_packet(p.ip);
    if (!start) start = p.at;
    if (!v) {
      // ICMP errors about the flow, fragments of its packets: shown and compared as text,
      // without the "IP a > b: " part (the addresses are the flow's) and without a fragment's
      // Identification (each stack picks its own).
      Segment s;
      s.index = i;
      s.t = p.at - *start;
      s.outbound = p.outbound;
      s.proto = IpProto::kIcmp;
      std::string line = describe_packet(p.ip, LinkLayer::kRawIp).line;
      if (auto colon = line.find(": "); colon != std::string::npos) line = line.substr(colon + 2);
      s.other = line.empty() ? "(empty packet)" : without_fragment_id(line);
      if (s.outbound) s.timing = "immediate";
      if (!s.outbound) last_peer = s.t;
      out.push_back(std::move(s));
      continue;
    }
    Segment s;
    s.index = i;
    s.t = p.at - *start;
    s.outbound = p.outbound;
    s.proto = v->proto;
    Direction& me = dir[p.outbound ? 0 : 1];
    Direction& other = dir[p.outbound ? 1 : 0];
    const Duration since_peer = last_peer ? s.t - *last_peer : Duration::infinite();
    if (v->udp) {
      s.len = static_cast<std::uint32_t>(v->udp->payload.size());
      s.payload.assign(v->udp->payload.begin(), v->udp->payload.end());
      if (s.outbound) s.timing = since_peer < kImmediate ? "immediate" : "app";
    } else {
      const TcpRepr& t = *v->tcp;
      s.flags = t.flags;
      if (t.has(tcp_flags::kSyn)) {
        me.isn = t.seq.raw();
        me.offered_wscale = t.options.window_scale.has_value();
        me.shift = t.options.window_scale.value_or(0);
      }
      // A flow seen without its SYN (only in tests: replay refuses it) counts from its first.
      if (!me.isn) me.isn = t.seq.raw();
      s.seq = t.seq.raw() - *me.isn;
      if (t.has(tcp_flags::kAck)) s.ack = t.ack.raw() - other.isn.value_or(t.ack.raw());
      s.len = static_cast<std::uint32_t>(t.payload.size());
      const bool scaled = me.offered_wscale && other.offered_wscale && !t.has(tcp_flags::kSyn);
      s.win = std::uint32_t{t.window} << (scaled ? std::min<std::uint8_t>(me.shift, 14) : 0);
      if (t.has(tcp_flags::kUrg)) s.urg = t.urgent;
      s.mss = t.options.mss;
      s.wscale = t.options.window_scale;
      s.sack_ok = t.options.sack_permitted;
      s.timestamps = t.options.timestamps.has_value();
      for (std::size_t b = 0; b < t.options.sack_count; ++b) {
        const std::uint32_t base = other.isn.value_or(0);
        s.sack.emplace_back(t.options.sack[b].left.raw() - base,
                            t.options.sack[b].right.raw() - base);
      }
      s.payload.assign(t.payload.begin(), t.payload.end());

      const std::uint32_t space = t.seg_len();
      const std::uint32_t end = s.seq + space;
      // A SYN-ACK answering the peer's SYN after our own SYN (simultaneous open) is a new
      // segment, not a retransmission of that SYN.
      const bool synack = t.has(tcp_flags::kSyn) && t.has(tcp_flags::kAck);
      const bool first_synack = synack && !me.sent_synack;
      if (synack) me.sent_synack = true;
      s.retransmission = me.any_sent && space > 0 && SeqNum(end) <= SeqNum(me.snd_max) &&
                         !t.has(tcp_flags::kRst) && !first_synack;
      if (s.outbound) {
        const bool answer = since_peer < kImmediate;
        const bool pure_ack = t.flags == tcp_flags::kAck && s.len == 0;
        auto& [times, last] = me.sends[s.seq];
        if (s.retransmission) {
          if (answer) {
            s.timing = "fast-rtx";
          } else if (other.last_win == 0 && s.len <= 1 && !t.has(tcp_flags::kSyn)) {
            s.timing = "persist";
          } else if (times == 1 && s.t - last < kMinRto) {
            s.timing = "tlp";
          } else {
            s.timing = "rto#" + std::to_string(times);
          }
        } else if (other.last_win == 0 && s.len == 1 && !answer) {
          s.timing = "persist";  // a first probe carries one new octet (RFC 9293 §3.8.6.1)
        } else if (pure_ack && me.any_sent && s.seq + 1 == me.snd_max && !answer) {
          s.timing = other.last_win == 0 ? "persist" : "keepalive";
        } else if (answer) {
          s.timing = "immediate";
        } else {
          s.timing = pure_ack ? "delayed-ack" : "app";
        }
        if (space > 0) {
          ++times;
          last = s.t;
        }
      }
      if (space > 0 && (!me.any_sent || SeqNum(end) > SeqNum(me.snd_max))) me.snd_max = end;
      if (space > 0) me.any_sent = true;
      if (!t.has(tcp_flags::kRst)) me.last_win = s.win;  // a reset's window means nothing
    }
    if (!s.outbound) last_peer = s.t;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ustack::replay
