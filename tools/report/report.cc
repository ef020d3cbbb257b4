#include "tools/report/report.h"

#include <map>
#include <optional>
#include <vector>

namespace ustack::report {

namespace {

// The libraries and the page's own script and style, as string literals (genrules in BUILD).
constexpr char kDygraphJs[] =
#include "tools/report/dygraph_js.inc"
    ;
constexpr char kDygraphCss[] =
#include "tools/report/dygraph_css.inc"
    ;
constexpr char kReportJs[] =
#include "tools/report/report_js.inc"
    ;
constexpr char kReportCss[] =
#include "tools/report/report_css.inc"
    ;

// ssthresh before the first loss: Linux's TCP_INFINITE_SSTHRESH, ustack's INT32_MAX or more.
constexpr std::int64_t kInfiniteSsthresh = 0x7fffffff;

bool has_flag(const std::string& flags, char f) { return flags.find(f) != std::string::npos; }

// One side's sequence space: the ISN its numbers are made relative to, and its window scale.
struct Side {
  std::optional<std::uint32_t> isn;
  std::optional<std::uint8_t> wscale;
};

// A counter table in first-seen order.
class Counters {
 public:
  void add(const std::string& name, std::int64_t n = 1) {
    auto [it, fresh] = index_.emplace(name, rows_.size());
    if (fresh) rows_.emplace_back(name, 0);
    rows_[it->second].second += n;
  }
  nlohmann::ordered_json json() const {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& [name, value] : rows_) a.push_back({name, value});
    return a;
  }

 private:
  std::map<std::string, std::size_t> index_;
  std::vector<std::pair<std::string, std::int64_t>> rows_;
};

// Builds one connection's series from its events, in order. The time-sequence graph shows the
// direction that carried more data: the stack's own sending (segments sent, the peer's ACKs)
// or, for a receiving stack, the peer's (segments received, our ACKs).
class ConnBuilder {
 public:
  ConnBuilder(std::string name, bool local_sends, std::int64_t start_ns)
      : name_(std::move(name)), local_sends_(local_sends), start_ns_(start_ns) {}

  void add(const events::EventLine& e) {
    const double t = ms(e.time);
    if (!start_ms_) start_ms_ = t;
    end_ms_ = std::max(end_ms_, t);
    const nlohmann::json& d = e.data;
    try {
      if (e.event == "segment_sent" || e.event == "segment_received") {
        segment(t, e.event == "segment_sent", d);
      } else if (e.event == "retransmit") {
        pending_kind_ = d.at("reason").get<std::string>() == "tlp" ? kProbe : kRetransmit;
        counters_.add("retransmissions (" + d.at("reason").get<std::string>() + ")");
      } else if (e.event == "timer") {
        if (d.at("action").get<std::string>() != "fired") return;
        const std::string timer = d.at("timer").get<std::string>();
        counters_.add("timer fired: " + timer);
        // What these timers send is a probe (RFC 8985 §7.3 TLP, RFC 9293 §3.8.6.1 persist,
        // RFC 9293 §3.8.4 keepalive), unless a retransmit event says otherwise.
        if (timer == "tlp" || timer == "persist" || timer == "keepalive") pending_kind_ = kProbe;
      } else if (e.event == "cwnd") {
        cwnd(t, d);
      } else if (e.event == "rtt_sample") {
        rtt_.push_back({t, d.at("rtt_ns").get<std::int64_t>() / 1e6,
                        d.at("srtt_ns").get<std::int64_t>() / 1e6,
                        d.at("rto_ns").get<std::int64_t>() / 1e6});
        counters_.add("RTT samples");
      } else if (e.event == "state") {
        if (states_.empty()) states_.push_back({t, d.at("from").get<std::string>()});
        states_.push_back({t, d.at("to").get<std::string>()});
      } else if (e.event == "drop") {
        counters_.add("drops: " + d.at("counter").get<std::string>(), d.value("count", 1));
      }
    } catch (const nlohmann::json::exception&) {
      throw events::input_error(e.line, "bad " + e.event + " event");
    }
  }

  nlohmann::ordered_json json() {
    if (open_recovery_)
      recovery_.push_back({open_recovery_->first, end_ms_, open_recovery_->second});
    open_recovery_.reset();
    nlohmann::ordered_json j;
    j["name"] = name_;
    j["sender"] = local_sends_ ? "local" : "remote";
    j["start_ms"] = start_ms_.value_or(0);
    j["end_ms"] = end_ms_;
    j["segments"] = segments_;
    j["acks"] = acks_;
    j["sacks"] = sacks_;
    j["cwnd"] = cwnd_;
    j["recovery"] = recovery_;
    j["rtt"] = rtt_;
    j["states"] = states_;
    j["counters"] = counters_.json();
    return j;
  }

 private:
  enum Kind { kData = 0, kRetransmit = 1, kProbe = 2 };

  double ms(std::int64_t ns) const {
    return static_cast<double>((ns - start_ns_) / 1000) / 1000.0;  // µs resolution
  }

  void segment(double t, bool out, const nlohmann::json& d) {
    const std::string flags = d.at("flags").get<std::string>();
    const std::uint32_t seq = d.at("seq").get<std::uint32_t>();
    const std::uint32_t len = d.at("len").get<std::uint32_t>();
    const nlohmann::json opts = d.value("options", nlohmann::json::object());
    counters_.add(out ? "segments sent" : "segments received");
    if (len > 0) counters_.add(out ? "data octets sent" : "data octets received", len);
    Side& me = out ? local_ : remote_;
    if (has_flag(flags, 'S')) {
      me.isn = seq;
      if (opts.contains("wscale")) me.wscale = opts["wscale"].get<std::uint8_t>();
    }
    const bool from_sender = out == local_sends_;
    Side& sender = local_sends_ ? local_ : remote_;
    // Relative numbers as Wireshark shows them: the SYN is 0, the first data octet 1.
    if (from_sender) {
      if (!sender.isn) sender.isn = seq - 1;
      data_segment(t, seq - *sender.isn, len + has_flag(flags, 'S') + has_flag(flags, 'F'));
      return;
    }
    if (!has_flag(flags, '.')) return;
    const std::uint32_t ack = d.at("ack").get<std::uint32_t>();
    if (!sender.isn) sender.isn = ack - 1;
    std::uint64_t wnd = d.at("wnd").get<std::uint32_t>();
    // RFC 7323 §2.2-2.3: scaled once both SYNs carried the option, never on a SYN.
    if (!has_flag(flags, 'S') && local_.wscale && remote_.wscale) wnd <<= *me.wscale;
    const std::uint32_t rel_ack = ack - *sender.isn;
    acks_.push_back({t, rel_ack, rel_ack + wnd});
    if (opts.contains("sack")) {
      for (const auto& b : opts["sack"]) {
        sacks_.push_back({t, static_cast<std::uint32_t>(b.at(0).get<std::uint32_t>() - *sender.isn),
                          static_cast<std::uint32_t>(b.at(1).get<std::uint32_t>() - *sender.isn)});
      }
    }
  }

  // A segment of the graphed direction; `span` counts SYN and FIN as one octet each.
  void data_segment(double t, std::uint32_t rel_seq, std::uint32_t span) {
    Kind kind = pending_kind_.value_or(kData);
    pending_kind_.reset();
    const std::uint64_t end = std::uint64_t{rel_seq} + span;
    // The peer's retransmissions are not announced: a segment below the highest sequence
    // number seen is one (tcptrace's rule).
    if (!local_sends_ && span > 0 && end <= highest_end_) kind = kRetransmit;
    highest_end_ = std::max(highest_end_, end);
    if (span == 0 && kind == kData) return;  // a pure ACK: nothing of the data sequence
    segments_.push_back({t, rel_seq, end, kind});
  }

  void cwnd(double t, const nlohmann::json& d) {
    const std::string reason = d.at("reason").get<std::string>();
    const std::int64_t ssthresh = d.at("ssthresh").get<std::int64_t>();
    cwnd_.push_back({t, d.at("cwnd").get<std::int64_t>(),
                     ssthresh >= kInfiniteSsthresh ? nlohmann::json() : nlohmann::json(ssthresh),
                     d.at("inflight").get<std::int64_t>(), d.value("pipe", std::int64_t{0}),
                     d.at("rwnd").get<std::int64_t>()});
    // A recovery period: from the response to a loss or congestion signal (RFC 5681 §3.2 fast
    // retransmit, §3.1 the RTO, RFC 8985 §7.4 TLP, RFC 3168 §6.1.2 ECE) to the first ACK that
    // grows the window again, or an undo. A further signal inside one extends it.
    const bool signal = reason == "fast-retransmit" || reason == "rto" ||
                        reason == "tlp-recovery" || reason == "ecn-echo";
    if (signal) {
      counters_.add("cwnd reductions (" + reason + ")");
      if (!open_recovery_) open_recovery_.emplace(t, reason);
    } else if (open_recovery_ &&
               (reason == "undo" || (reason == "ack" && d.value("phase", "") != "recovery"))) {
      recovery_.push_back({open_recovery_->first, t, open_recovery_->second});
      open_recovery_.reset();
    }
  }

  std::string name_;
  bool local_sends_;
  std::int64_t start_ns_;
  std::optional<double> start_ms_;
  double end_ms_ = 0;
  Side local_, remote_;
  std::optional<Kind> pending_kind_;
  std::uint64_t highest_end_ = 0;
  std::optional<std::pair<double, std::string>> open_recovery_;
  nlohmann::ordered_json segments_ = nlohmann::ordered_json::array(),
                         acks_ = nlohmann::ordered_json::array(),
                         sacks_ = nlohmann::ordered_json::array(),
                         cwnd_ = nlohmann::ordered_json::array(),
                         recovery_ = nlohmann::ordered_json::array(),
                         rtt_ = nlohmann::ordered_json::array(),
                         states_ = nlohmann::ordered_json::array();
  Counters counters_;
};

// Which way the data went: octets in segments sent and received.
struct ConnEvents {
  std::vector<events::EventLine> events;
  std::uint64_t sent = 0, received = 0;
};

}  // namespace

nlohmann::ordered_json report_data(std::istream& in, const ReportOptions& o) {
  events::EventReader reader;
  std::vector<std::string> order;  // connections in order of first appearance
  std::map<std::string, ConnEvents> conns;
  std::optional<std::int64_t> start, end;
  Counters run;
  std::string line;
  while (std::getline(in, line)) {
    std::optional<events::EventLine> e = reader.feed(line);
    if (!e) continue;
    if (!o.conn.empty() && e->conn != o.conn) continue;
    if (!start) start = e->time;
    end = std::max(end.value_or(e->time), e->time);
    try {
      if (e->event == "drop") {
        run.add("drops: " + e->data.at("counter").get<std::string>(), e->data.value("count", 1));
      } else if (e->conn.empty()) {
        run.add(e->category + " " + e->event);
      }
      if (e->conn.empty()) continue;
      auto [it, fresh] = conns.try_emplace(e->conn);
      if (fresh) order.push_back(e->conn);
      if (e->event == "segment_sent") it->second.sent += e->data.at("len").get<std::uint32_t>();
      if (e->event == "segment_received")
        it->second.received += e->data.at("len").get<std::uint32_t>();
    } catch (const nlohmann::json::exception&) {
      throw reader.error("bad " + e->event + " event");
    }
    conns[e->conn].events.push_back(std::move(*e));
  }
  reader.finish();
  nlohmann::ordered_json j;
  j["title"] = o.title;
  j["start_ns"] = start.value_or(0);
  j["end_ms"] = static_cast<double>((end.value_or(0) - start.value_or(0)) / 1000) / 1000.0;
  j["counters"] = run.json();
  j["conns"] = nlohmann::ordered_json::array();
  for (const std::string& name : order) {
    // A connection's events, replayed once its direction is known. Not streamed: the report
    // is of a finished run.
    const ConnEvents& c = conns[name];
    ConnBuilder b(name, c.sent >= c.received, *start);
    for (const events::EventLine& e : c.events) b.add(e);
    j["conns"].push_back(b.json());
  }
  return j;
}

std::string script_safe_json(const nlohmann::ordered_json& j) {
  // ensure_ascii: U+2028/U+2029 (line terminators to older JavaScript) come out as \u escapes.
  const std::string s = j.dump(-1, ' ', true);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_html(const nlohmann::ordered_json& data) {
  // The title is set by the page's script from the data, like every string from the events.
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Offline by construction: the page may run its inline scripts and styles and nothing else.
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n";
  h += "<title>ustack report</title>\n";
  h += "<style>\n" + std::string(kDygraphCss) + "\n</style>\n";
  h += "<style>\n" + std::string(kReportCss) + "\n</style>\n";
  h += "</head>\n<body>\n<h1 id=\"title\">ustack report</h1>\n<div id=\"report\"></div>\n";
  h += "<pre id=\"ustack-report-status\" hidden></pre>\n";
  h += "<script type=\"application/json\" id=\"ustack-data\">" + script_safe_json(data) +
       "</script>\n";
  h += "<script>\n" + std::string(kDygraphJs) + "\n</script>\n";
  h += "<script>\n" + std::string(kReportJs) + "\n</script>\n";
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace ustack::report
