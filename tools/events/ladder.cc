#include "tools/events/ladder.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "pcap_tests/replay/segment.h"
#include "stack/wire/tcp.h"
#include "tools/events/event_json.h"

namespace ustack::events {

namespace {

constexpr std::size_t kColumn = 56;  // width of the local column

std::string pad(std::string s, std::size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}

std::uint8_t flag_bits(std::string_view letters) {
  std::uint8_t f = 0;
  for (char c : letters) {
    switch (c) {
      case 'F':
        f |= tcp_flags::kFin;
        break;
      case 'S':
        f |= tcp_flags::kSyn;
        break;
      case 'R':
        f |= tcp_flags::kRst;
        break;
      case 'P':
        f |= tcp_flags::kPsh;
        break;
      case '.':
        f |= tcp_flags::kAck;
        break;
      case 'U':
        f |= tcp_flags::kUrg;
        break;
      case 'E':
        f |= tcp_flags::kEce;
        break;
      case 'W':
        f |= tcp_flags::kCwr;
        break;
      default:
        break;
    }
  }
  return f;
}

std::string number(std::int64_t v) {
  // ssthresh starts "infinite" (Linux TCP_INFINITE_SSTHRESH, ustack's UINT32_MAX).
  return v >= 0x7fffffff ? "inf" : std::to_string(v);
}

std::string ms(std::int64_t ns) {
  char b[32];
  std::snprintf(b, sizeof b, "%10.3f", static_cast<double>(ns) / 1e6);
  return b;
}

}  // namespace

std::string Ladder::heading() const {
  return std::string(o_.numbers ? "     #" : "") + "        ms  " + pad("local", kColumn) +
         "       remote\n";
}

std::uint32_t Ladder::relative(const std::string& conn, bool local, std::uint32_t seq) const {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return seq;
  const Side& s = local ? it->second.local : it->second.remote;
  return s.isn ? seq - *s.isn : seq;
}

std::string Ladder::row(std::int64_t time, const std::string& conn, const std::string& text) {
  std::string out;
  if (o_.conn.empty() && conn != last_conn_ && !conn.empty()) {
    out += std::string(o_.numbers ? "      " : "") + (o_.color ? "\033[1m" : "") + "--- " + conn +
           (o_.color ? "\033[0m" : "") + "\n";
    last_conn_ = conn;
  }
  if (o_.numbers) {
    char n[32];
    std::snprintf(n, sizeof n, "%6llu", static_cast<unsigned long long>(number_));
    out += n;
  }
  return out + ms(time - *start_) + "  " + text + "\n";
}

std::string Ladder::feed(std::string_view text) {
  std::optional<EventLine> ev = reader_.feed(text);
  if (!ev) return "";
  number_ = ev->number;
  const std::string& event = ev->event;
  const std::string& conn = ev->conn;
  const std::int64_t time = ev->time;
  const nlohmann::json& d = ev->data;
  if (!o_.conn.empty() && conn != o_.conn) return "";
  if (!start_) start_ = time;
  Conn& c = conns_[conn];
  const char* off = o_.color ? "\033[0m" : "";
  auto paint = [&](const char* code, const std::string& s) {
    return o_.color ? std::string(code) + s + off : s;
  };
  try {
    if (event == "segment_sent" || event == "segment_received") {
      const bool out = event == "segment_sent";
      Side& me = out ? c.local : c.remote;
      Side& peer = out ? c.remote : c.local;
      replay::Segment s;
      s.flags = flag_bits(d.at("flags").get<std::string>());
      const std::uint32_t seq = d.at("seq").get<std::uint32_t>();
      const std::uint32_t ack = d.at("ack").get<std::uint32_t>();
      const nlohmann::json opts = d.value("options", nlohmann::json::object());
      if (s.has(tcp_flags::kSyn)) {
        me.isn = seq;
        me.syn_seen = true;
        if (opts.contains("wscale")) me.wscale = opts["wscale"].get<std::uint8_t>();
      }
      // Relative numbers as Wireshark shows them: the SYN is 0, the first data octet 1.
      if (!me.isn) me.isn = seq - 1;
      if (!peer.isn && s.has(tcp_flags::kAck)) peer.isn = ack - 1;
      s.seq = seq - *me.isn;
      s.ack = s.has(tcp_flags::kAck) ? ack - *peer.isn : 0;
      s.len = d.at("len").get<std::uint32_t>();
      s.win = d.at("wnd").get<std::uint32_t>();
      // RFC 7323 §2.2-2.3: scaled once both SYNs carried the option, never on a SYN.
      if (!s.has(tcp_flags::kSyn) && me.wscale && peer.wscale) s.win <<= *me.wscale;
      if (d.contains("urg")) s.urg = d["urg"].get<std::uint16_t>();
      if (opts.contains("mss")) s.mss = opts["mss"].get<std::uint16_t>();
      if (opts.contains("wscale")) s.wscale = opts["wscale"].get<std::uint8_t>();
      s.sack_ok = opts.value("sack_permitted", false);
      s.timestamps = opts.contains("ts");
      if (opts.contains("sack")) {
        for (const auto& b : opts["sack"]) {
          s.sack.emplace_back(b.at(0).get<std::uint32_t>() - *peer.isn,
                              b.at(1).get<std::uint32_t>() - *peer.isn);
        }
      }
      if (!out) return row(time, conn, pad("", kColumn) + " <---  " + paint("\033[36m", s.text()));
      // The visible text, and the same painted; the column is padded on the visible width.
      std::string plain = s.text();
      std::string shown = paint("\033[32m", plain);
      if (!c.pending_rtx.empty()) {
        const std::string mark = "RTX(" + c.pending_rtx + ") ";
        plain = mark + plain;
        shown = paint("\033[31m", mark) + shown;
        c.pending_rtx.clear();
      }
      std::string rest;
      if (c.cwnd >= 0) {
        rest = paint("\033[2m", "cwnd " + number(c.cwnd) + " ssthresh " + number(c.ssthresh));
      }
      std::string cell = shown;
      if (plain.size() < kColumn) cell.append(kColumn - plain.size(), ' ');
      return row(time, conn, cell + " --->" + (rest.empty() ? "" : "  " + rest));
    }
    if (event == "state") {
      std::string t =
          "== " + d.at("from").get<std::string>() + " -> " + d.at("to").get<std::string>();
      if (d.contains("rfc9293")) t += " (RFC 9293 §" + d["rfc9293"].get<std::string>() + ")";
      return row(time, conn, paint("\033[33m", t));
    }
    if (event == "ca_state") {
      // The sender's congestion-avoidance state (Linux tcp_ca_state), inline like the
      // connection's state: "~~" tells it from an RFC 9293 state change.
      std::string t = "~~ " + d.at("from").get<std::string>() + " -> " +
                      d.at("to").get<std::string>() + " (" + d.at("reason").get<std::string>() +
                      ")";
      return row(time, conn, paint("\033[33m", t));
    }
    if (event == "timer") {
      const std::string action = d.at("action").get<std::string>();
      const std::string timer = d.at("timer").get<std::string>();
      if (action == "fired")
        return row(time, conn, paint("\033[35m", "** " + timer + " timer fired"));
      if (!o_.timers) return "";
      std::string t = ".. " + timer + " timer " + action;
      if (d.contains("in_ns")) {
        std::string in = ms(d["in_ns"].get<std::int64_t>());
        t += " (in " + in.substr(in.find_first_not_of(' ')) + " ms)";
      }
      return row(time, conn, paint("\033[2m", t));
    }
    if (event == "retransmit") {
      c.pending_rtx = d.at("reason").get<std::string>();
      return "";
    }
    if (event == "cwnd") {
      const std::int64_t before = c.cwnd;
      c.cwnd = d.at("cwnd").get<std::int64_t>();
      c.ssthresh = d.at("ssthresh").get<std::int64_t>();
      const std::string reason = d.at("reason").get<std::string>();
      // Growth is drawn in the cwnd column beside the next segment sent, not as a row.
      if (reason == "ack" || reason == "dup-ack") return "";
      // "!!" marks a response to loss or congestion (rto, fast-retransmit, tlp-recovery,
      // ecn-echo), even when the window was already at its floor; ".." the initial window, an
      // undo, the decay of a window the application left unused (app-limited) and the restart
      // after an idle period (idle-restart).
      const bool cut = reason != "init" && reason != "undo" && reason != "app-limited" &&
                       reason != "idle-restart";
      return row(time, conn,
                 paint(cut ? "\033[31m" : "\033[2m",
                       std::string(cut ? "!! cwnd " : ".. cwnd ") +
                           (before >= 0 ? number(before) + " -> " : "") + number(c.cwnd) +
                           " ssthresh " + number(c.ssthresh) + " (" + reason + ")"));
    }
    if (event == "drop") {
      std::string t = "xx drop " + d.at("counter").get<std::string>();
      if (d.contains("rule")) t += " (" + d["rule"].get<std::string>() + ")";
      return row(time, conn, paint("\033[31m", t));
    }
  } catch (const nlohmann::json::exception&) {
    throw reader_.error("bad " + event + " event");
  }
  return "";
}

int print_ladder(std::istream& in, const LadderOptions& o) {
  Ladder l(o);
  std::fputs(l.heading().c_str(), stdout);
  std::string line;
  while (std::getline(in, line)) {
    std::string rows = l.feed(line);
    if (!rows.empty()) {
      std::fputs(rows.c_str(), stdout);
      std::fflush(stdout);
    }
  }
  l.finish();
  return 0;
}

}  // namespace ustack::events
