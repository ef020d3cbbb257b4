#include "tools/events/explain.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <vector>

#include "stack/base/seqnum.h"
#include "tools/events/ladder.h"

namespace ustack::events {

namespace {

using nlohmann::json;

// "0.616 ms", "12 ms", "1.5 ms".
std::string ms(std::int64_t ns) {
  char b[48];
  std::snprintf(b, sizeof b, "%.3f", static_cast<double>(ns) / 1e6);
  std::string s = b;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + " ms";
}

std::string num(std::int64_t v) { return v >= 0x7fffffff ? "inf" : std::to_string(v); }

std::string octets(std::int64_t n) { return std::to_string(n) + (n == 1 ? " octet" : " octets"); }

// "events 812, 815 and 816", "event 3".
std::string event_list(const std::vector<std::uint64_t>& ns) {
  if (ns.empty()) return "no events";
  std::string s = ns.size() == 1 ? "event " : "events ";
  for (std::size_t i = 0; i < ns.size(); ++i) {
    if (i > 0) s += i + 1 == ns.size() ? " and " : ", ";
    s += std::to_string(ns[i]);
  }
  return s;
}

struct Ev {
  EventLine e;
  std::string row;  // the ladder's text for it, without number and time
  bool is(std::string_view name) const { return e.event == name; }
  bool segment() const { return is("segment_sent") || is("segment_received"); }
  std::string str(const char* k) const { return e.data.value(k, std::string()); }
  std::int64_t i64(const char* k) const { return e.data.value(k, std::int64_t{0}); }
  std::uint32_t u32(const char* k) const { return e.data.value(k, std::uint32_t{0}); }
  bool flag(char c) const { return str("flags").find(c) != std::string::npos; }
  bool syn() const { return flag('S'); }
  bool fin() const { return flag('F'); }
  bool rst() const { return flag('R'); }
  bool has_ack() const { return flag('.'); }
  std::uint32_t len() const { return u32("len"); }
  // Sequence space the segment occupies (RFC 9293 §3.4 SEG.LEN).
  std::uint32_t seg_len() const { return len() + (syn() ? 1 : 0) + (fin() ? 1 : 0); }
  SeqNum seq() const { return SeqNum(u32("seq")); }
  SeqNum ack() const { return SeqNum(u32("ack")); }
  json sack() const {
    const json& o = e.data.value("options", json::object());
    return o.value("sack", json::array());
  }
};

std::string cwnd_change(std::int64_t before, const Ev& c) {
  const std::int64_t after = c.i64("cwnd");
  std::string s = "cwnd " + (before >= 0 ? num(before) + " → " : "") + num(after);
  if (before > 0 && after < before) {
    const double r = static_cast<double>(after) / static_cast<double>(before);
    if (r > 0.45 && r < 0.55) {
      s = "cwnd halved " + num(before) + " → " + num(after);
    }
  }
  return s + ", ssthresh " + num(c.i64("ssthresh"));
}

class Explainer {
 public:
  explicit Explainer(std::istream& in) : ladder_(LadderOptions{}) {
    std::string line;
    bool any = false;
    while (std::getline(in, line)) {
      any = true;
      std::string rows = ladder_.feed(line);
      // Re-read the line for the event itself: the ladder has checked it.
      std::optional<EventLine> e = reader_.feed(line);
      if (!e) continue;
      if (!start_) start_ = e->time;
      Ev ev{std::move(*e), ""};
      if (!rows.empty()) {
        rows.pop_back();  // the newline
        std::size_t nl = rows.rfind('\n');
        std::string last = nl == std::string::npos ? rows : rows.substr(nl + 1);
        constexpr std::size_t kPrefix = 6 + 10 + 2;  // number, time, two spaces
        last = last.size() > kPrefix ? last.substr(kPrefix) : "";
        last.erase(last.find_last_not_of(' ') + 1);
        last.erase(0, last.find_first_not_of(' '));
        ev.row = last;
      }
      evs_.push_back(std::move(ev));
    }
    if (!any) throw EventsInputError("empty input: not a ustack events file");
  }

  std::string run(const ExplainQuery& q) {
    if (q.segment) {
      if (*q.segment == 0 || *q.segment > evs_.size()) {
        throw ExplainQueryError("no event " + std::to_string(*q.segment) + ": the file has " +
                                std::to_string(evs_.size()) + " events (1.." +
                                std::to_string(evs_.size()) + ")");
      }
      std::size_t i = *q.segment - 1;
      const Ev& ev = evs_[i];
      if (!ev.segment() && !ev.is("drop")) {
        throw ExplainQueryError("event " + std::to_string(*q.segment) + " is a '" + ev.e.event +
                                "' event; explain takes a segment_sent, segment_received or drop");
      }
      return explain_one(i);
    }
    std::string conn = q.conn;
    std::set<std::string> conns;
    for (const Ev& ev : evs_) {
      if (ev.segment()) conns.insert(ev.e.conn);
    }
    if (conn.empty()) {
      if (conns.size() != 1) {
        throw ExplainQueryError(conns.empty() ? "no TCP segments in the file"
                                              : "--seq needs --conn: the file has " +
                                                    std::to_string(conns.size()) + " connections");
      }
      conn = *conns.begin();
    }
    if (!conns.count(conn)) throw ExplainQueryError("no connection " + conn + " in the file");
    std::string out;
    for (std::size_t i = 0; i < evs_.size(); ++i) {
      const Ev& ev = evs_[i];
      if (ev.e.conn != conn || !ev.segment() || ev.seg_len() == 0) continue;
      const bool local = ev.is("segment_sent");
      if (ladder_.relative(conn, local, ev.seq().raw()) != *q.seq) continue;
      if (!out.empty()) out += "\n";
      out += explain_one(i);
    }
    if (out.empty()) {
      throw ExplainQueryError("no segment with data, SYN or FIN at relative sequence number " +
                              std::to_string(*q.seq) + " in " + conn);
    }
    return out;
  }

 private:
  // What a pass over the connection's events before event `i` knows (the local side's view).
  struct Before {
    std::optional<SeqNum> snd_una, snd_max;
    std::optional<std::uint32_t> peer_wnd;
    std::vector<std::uint64_t> dupacks;    // since SND.UNA last advanced
    std::vector<std::uint64_t> rto_fires;  // since SND.UNA last advanced
    std::optional<std::size_t> last_rx, last_data_rx, last_tx_data, recovery_at;
    std::int64_t cwnd = -1;
    bool sack_ok = false;  // both SYNs carried SACK-permitted (RFC 2018 §2)
    bool syn_sack_sent = false, syn_sack_received = false;
    std::optional<SeqNum> recover;       // SND.MAX when recovery began (RFC 6582 §3.2 step 2)
    std::optional<std::size_t> last_tx;  // the last segment sent
    std::optional<SeqNum> rcv_nxt;       // the peer's next in-order octet
    std::set<std::pair<std::uint32_t, std::uint32_t>> ooo;  // out-of-order ranges received
  };

  std::string rel(const Ev& ev, bool local, SeqNum s) const {
    return std::to_string(ladder_.relative(ev.e.conn, local, s.raw()));
  }
  std::string at(std::size_t i) const { return ms(evs_[i].e.time - *start_); }
  // The segment as the ladder prints it, without arrows and the cwnd column.
  std::string segment_text(std::size_t i) const {
    std::string r = evs_[i].row;
    if (r.rfind("<---  ", 0) == 0) return r.substr(6);
    return r.substr(0, r.find("  "));
  }
  std::string number(std::size_t i) const { return std::to_string(evs_[i].e.number); }

  // Index of the previous (next) event of the same connection, if any.
  std::optional<std::size_t> prev(std::size_t i) const {
    for (std::size_t j = i; j-- > 0;) {
      if (evs_[j].e.conn == evs_[i].e.conn) return j;
    }
    return std::nullopt;
  }

  // Updates `b` with event j (of the connection).
  void step(Before& b, std::size_t j) const {
    const Ev& ev = evs_[j];
    if (ev.is("segment_sent") || ev.is("segment_received")) {
      if (ev.syn() && ev.e.data.value("options", json::object()).contains("sack_permitted")) {
        (ev.is("segment_sent") ? b.syn_sack_sent : b.syn_sack_received) = true;
        b.sack_ok = b.syn_sack_sent && b.syn_sack_received;
      }
    }
    if (ev.is("segment_sent")) {
      b.last_tx = j;
      SeqNum end = ev.seq() + ev.seg_len();
      if (!b.snd_max || *b.snd_max < end) b.snd_max = end;
      if (ev.syn() && !b.snd_una) b.snd_una = ev.seq();
      if (ev.len() > 0) b.last_tx_data = j;
    } else if (ev.is("segment_received")) {
      b.last_rx = j;
      if (ev.syn()) {
        b.rcv_nxt = ev.seq() + 1;
      } else if (b.rcv_nxt && ev.len() > 0) {
        b.last_data_rx = j;
        SeqNum s = ev.seq(), e = ev.seq() + ev.len();
        if (s <= *b.rcv_nxt && *b.rcv_nxt < e) {
          b.rcv_nxt = e;
          // Ranges received out of order that now join.
          for (bool joined = true; joined;) {
            joined = false;
            for (auto it = b.ooo.begin(); it != b.ooo.end(); ++it) {
              if (SeqNum(it->first) <= *b.rcv_nxt) {
                if (*b.rcv_nxt < SeqNum(it->second)) b.rcv_nxt = SeqNum(it->second);
                b.ooo.erase(it);
                joined = true;
                break;
              }
            }
          }
        } else if (*b.rcv_nxt < s) {
          b.ooo.insert({s.raw(), e.raw()});
        }
      }
      if (ev.has_ack() && !ev.rst()) {
        if (!b.snd_una || *b.snd_una < ev.ack()) {
          b.snd_una = ev.ack();
          b.dupacks.clear();
          b.rto_fires.clear();
        } else if (is_dupack(b, ev)) {
          b.dupacks.push_back(ev.e.number);
        }
        b.peer_wnd = ev.u32("wnd");
      }
    } else if (ev.is("timer") && ev.str("timer") == "rto" && ev.str("action") == "fired") {
      b.rto_fires.push_back(ev.e.number);
    } else if (ev.is("cwnd")) {
      b.cwnd = ev.i64("cwnd");
      if (ev.str("reason") == "fast-retransmit") {
        b.recovery_at = j;
        b.recover = b.snd_max;
      }
    }
  }

  // RFC 5681 §2: outstanding data, no data, no SYN/FIN, SEG.ACK = SND.UNA, the same window.
  static bool is_dupack(const Before& b, const Ev& ev) {
    return b.snd_una && b.snd_max && *b.snd_una < *b.snd_max && ev.len() == 0 && !ev.syn() &&
           !ev.fin() && ev.ack() == *b.snd_una && b.peer_wnd == ev.u32("wnd");
  }

  Before before(std::size_t i) const {
    Before b;
    for (std::size_t j = 0; j < i; ++j) {
      if (evs_[j].e.conn == evs_[i].e.conn) step(b, j);
    }
    return b;
  }

  std::string heading(std::size_t i) const {
    const Ev& ev = evs_[i];
    std::string h = "event " + number(i) + " at " + at(i);
    if (!ev.e.conn.empty()) h += ", " + ev.e.conn;
    h += "\n";
    if (!ev.row.empty()) h += "  " + ev.row + "\n";
    return h;
  }

  std::string explain_one(std::size_t i) {
    const Ev& ev = evs_[i];
    std::vector<std::string> lines;
    if (ev.is("segment_sent")) {
      lines = sent(i);
    } else if (ev.is("segment_received")) {
      lines = received(i);
    } else {
      lines = dropped(i);
    }
    std::string out = heading(i);
    for (const std::string& l : lines) out += "  " + l + "\n";
    return out;
  }

  // --- A segment sent --------------------------------------------------------------------

  std::vector<std::string> sent(std::size_t i) const {
    const Ev& ev = evs_[i];
    Before b = before(i);
    std::vector<std::string> why;
    std::optional<std::size_t> p = prev(i);
    const Ev* rtx = p && evs_[*p].is("retransmit") ? &evs_[*p] : nullptr;
    if (rtx != nullptr) {
      why = retransmission(i, *p, b);
    } else if (ev.rst()) {
      why.push_back("why: " + reset_reason(i, b));
    } else if (ev.syn()) {
      if (ev.has_ack()) {
        why.push_back("why: the SYN-ACK answers the peer's SYN" +
                      (b.last_rx ? " (event " + number(*b.last_rx) + ")" : std::string()) +
                      " (RFC 9293 §3.10.7.2)");
      } else {
        why.push_back("why: the application opened the connection: SYN (RFC 9293 §3.10.1 OPEN)");
      }
    } else if (ev.len() == 0 && !ev.fin()) {
      why.push_back("why: " + pure_ack_reason(i, b));
    } else {
      why = new_data(i, b);
    }
    if (ev.seg_len() > 0) {
      std::vector<std::string> f = fate(i);
      why.insert(why.end(), f.begin(), f.end());
    }
    return why;
  }

  std::vector<std::string> retransmission(std::size_t i, std::size_t r, const Before& b) const {
    const Ev& ev = evs_[i];
    const Ev& rx = evs_[r];
    const std::string reason = rx.str("reason");
    std::vector<std::string> out;
    // The first transmission of these octets, and the latest before this one.
    std::optional<std::size_t> first, last;
    for (std::size_t j = 0; j < i; ++j) {
      const Ev& s = evs_[j];
      if (s.e.conn == ev.e.conn && s.is("segment_sent") && s.seq() == ev.seq() && s.seg_len() > 0) {
        if (!first) first = j;
        last = j;
      }
    }
    std::string what = "what: a retransmission";
    if (first) what += " of octets first sent at " + at(*first) + " (event " + number(*first) + ")";
    out.push_back(what);
    // The cwnd event the same loss response produced, just before this segment.
    std::optional<std::size_t> cut;
    for (std::optional<std::size_t> j = prev(r); j && evs_[*j].e.time == ev.e.time; j = prev(*j)) {
      if (evs_[*j].is("cwnd") && evs_[*j].str("reason") != "ack" &&
          evs_[*j].str("reason") != "prr") {
        cut = *j;
        break;
      }
    }
    std::int64_t cwnd_before = -1;
    if (cut) {
      Before bc = before(*cut);
      cwnd_before = bc.cwnd;
    }
    auto cut_text = [&]() -> std::string {
      if (!cut) return "";
      return "; " + cwnd_change(cwnd_before, evs_[*cut]) + " (event " + number(*cut) + ")";
    };
    if (reason == "fast") {
      if (cut && evs_[*cut].str("reason") == "fast-retransmit") {
        out.push_back("why: retransmitted because " + std::to_string(b.dupacks.size()) +
                      " duplicate ACKs (" + event_list(b.dupacks) +
                      ") entered fast retransmit and fast recovery (RFC 5681 §3.2 steps 2-3; " +
                      (b.sack_ok ? "RFC 6675 §5 with SACK" : "RFC 6582 §3.2 step 2 without SACK") +
                      ")" + cut_text());
        out.push_back(recovery_window(*cut, cwnd_before, ev.len()));
      } else {
        out.push_back(partial_ack(b));
        // The deflation the same ACK made (reason ack, phase recovery), if any.
        for (std::optional<std::size_t> j = prev(r); j && b.last_rx && *j > *b.last_rx;
             j = prev(*j)) {
          const Ev& c = evs_[*j];
          if (!c.is("cwnd") || c.str("reason") != "ack") continue;
          const std::int64_t was = before(*j).cwnd, acked = c.i64("acked");
          std::string s = "the window: " + cwnd_change(was, c) + " (event " + number(*j) + ")";
          if (c.i64("cwnd") == was - acked + ev.len()) {
            s +=
                ": deflated by the " + octets(acked) +
                " acknowledged, plus one SMSS back (RFC 6582 §3.2 step 3, partial acknowledgments)";
          }
          out.push_back(s);
          break;
        }
      }
    } else if (reason == "rto") {
      std::optional<std::size_t> fired, set;
      for (std::size_t j = r; j-- > 0;) {
        const Ev& t = evs_[j];
        if (t.e.conn != ev.e.conn || !t.is("timer") || t.str("timer") != "rto") continue;
        if (!fired && t.str("action") == "fired") {
          fired = j;
        } else if (fired && t.str("action") == "set") {
          set = j;
          break;
        }
      }
      if (fired && evs_[*fired].e.time == ev.e.time) {
        std::string s = "why: the retransmission timer fired (event " + number(*fired) + ")";
        if (set)
          s +=
              ", " + ms(evs_[*set].i64("in_ns")) + " after it was set (event " + number(*set) + ")";
        out.push_back(s + ": the earliest unacknowledged segment is resent (RFC 6298 §5.4)" +
                      cut_text() +
                      (cut && evs_[*cut].str("reason") == "rto"
                           ? ": cwnd falls to the loss window, one segment (RFC 5681 §3.1)"
                           : ""));
        const std::size_t n = b.rto_fires.size();
        std::string bo = "backoff " + std::to_string(n) + ": the timer is doubled";
        for (std::size_t j = i + 1; j < evs_.size(); ++j) {
          const Ev& t = evs_[j];
          if (t.e.conn == ev.e.conn && t.is("timer") && t.str("timer") == "rto" &&
              t.str("action") == "set") {
            bo += ", next timeout in " + ms(t.i64("in_ns")) + " (event " + number(j) + ")";
            break;
          }
        }
        out.push_back(bo + " (RFC 6298 §5.5)");
      } else {
        out.push_back("why: go-back-N after the retransmission timeout" +
                      (b.rto_fires.empty()
                           ? std::string()
                           : " (event " + std::to_string(b.rto_fires.back()) + ")") +
                      ": what followed the first lost segment is sent again as the window "
                      "allows (RFC 5681 §3.1, RFC 6298 §5.4)");
      }
    } else if (reason == "tlp") {
      std::string s = "why: a tail loss probe: no ACK came for a probe timeout";
      for (std::size_t j = r; j-- > 0;) {
        const Ev& t = evs_[j];
        if (t.e.conn == ev.e.conn && t.is("timer") && t.str("timer") == "tlp" &&
            t.str("action") == "set") {
          s += " (PTO " + ms(t.i64("in_ns")) + ", set at event " + number(j) + ")";
          break;
        }
      }
      out.push_back(s +
                    " after the last segment sent: the last segment is resent to draw an ACK "
                    "(RFC 8985 §7.2-7.3)");
    } else if (reason == "rack") {
      out.push_back(rack_reason(i, r, last));
      if (cut) out.push_back("the loss starts recovery: " + cut_text().substr(2));
    } else if (reason == "sack") {
      out.push_back(
          "why: the SACK scoreboard deems it lost: DupThresh segments above it were SACKed "
          "(RFC 6675 §4 NextSeg rule 1, §5 step C)" +
          (b.recovery_at ? ", in the recovery entered at event " + number(*b.recovery_at)
                         : std::string()) +
          cut_text());
    } else if (reason == "rescue") {
      out.push_back(
          "why: a rescue retransmission: the last unSACKed segment, once per recovery, so a "
          "loss at the tail still brings an ACK (RFC 6675 §4 NextSeg rule 4)");
    } else {
      out.push_back("why: retransmitted (" + reason + ")" + cut_text());
    }
    return out;
  }

  // The window on entering fast recovery (the cwnd event `c`): where ssthresh and cwnd come from.
  std::string recovery_window(std::size_t c, std::int64_t cwnd_before, std::uint32_t smss) const {
    const Ev& e = evs_[c];
    const std::int64_t flight = e.i64("inflight"), ssthresh = e.i64("ssthresh");
    const std::int64_t cwnd = e.i64("cwnd");
    std::string s = "the window: ssthresh " + num(ssthresh);
    if (ssthresh == std::max<std::int64_t>(flight / 2, 2 * smss)) {
      s += " = max(FlightSize " + std::to_string(flight) + " / 2, 2·SMSS) (RFC 5681 §3.2 eq. 4)";
    } else if (cwnd_before > 0 && ssthresh == cwnd_before * 7 / 10) {
      s += " = 0.7 × cwnd " + num(cwnd_before) + " (CUBIC's β, RFC 9438 §4.6)";
    } else {
      s += " (FlightSize " + std::to_string(flight) + ")";
    }
    if (cwnd == ssthresh + 3 * static_cast<std::int64_t>(smss)) {
      s += "; cwnd = ssthresh + 3·SMSS " + num(cwnd) +
           ", for the three segments the duplicate ACKs say have left the network (RFC 5681 §3.2 "
           "step 3)";
    } else {
      s += "; cwnd " + num(cwnd) +
           (e.i64("pipe") > 0 ? " (pipe " + std::to_string(e.i64("pipe")) + ")" : std::string());
    }
    return s;
  }

  // A retransmission "fast" without a fast-retransmit cut: RFC 6582 §3.2 step 3's partial ACK.
  std::string partial_ack(const Before& b) const {
    std::string s = "why: a partial ACK";
    if (b.last_rx) {
      const Ev& a = evs_[*b.last_rx];
      s += " (event " + number(*b.last_rx) + ", ack " + rel(a, true, a.ack());
      if (b.recover) s += " < recover " + rel(a, true, *b.recover);
      s += ")";
    }
    s += " during fast recovery";
    if (b.recovery_at) s += " (entered at event " + number(*b.recovery_at) + ")";
    return s +
           ": it acknowledges new data but not all that was outstanding when the loss was "
           "detected, so the next unacknowledged segment was lost too and is resent at once, "
           "without waiting for three more duplicate ACKs (RFC 6582 §3.2 step 3, partial "
           "acknowledgments)";
  }

  std::string rack_reason(std::size_t i, std::size_t r, std::optional<std::size_t> last) const {
    const Ev& ev = evs_[i];
    const Ev& rx = evs_[r];
    if (!rx.e.data.contains("rack_xmit_ns")) {
      return "why: deemed lost by RACK: a segment sent after it was delivered more than RACK.rtt "
             "+ reo_wnd after its transmission (RFC 8985 §6.2)";
    }
    const std::int64_t xmit = rx.i64("rack_xmit_ns");
    const SeqNum end(rx.u32("rack_end_seq"));
    // The segment that was delivered: the one sent at RACK.xmit_ts ending at RACK.end_seq.
    std::optional<std::size_t> later;
    for (std::size_t j = 0; j < i; ++j) {
      const Ev& s = evs_[j];
      if (s.e.conn == ev.e.conn && s.is("segment_sent") && s.e.time == xmit &&
          s.seq() + s.seg_len() == end) {
        later = j;
      }
    }
    // What delivered it: the last ACK before (SACK or cumulative), or the reordering timer.
    std::optional<std::size_t> trigger;
    for (std::optional<std::size_t> j = prev(r); j; j = prev(*j)) {
      const Ev& t = evs_[*j];
      if (t.is("segment_received") ||
          (t.is("timer") && t.str("timer") == "rack" && t.str("action") == "fired")) {
        trigger = *j;
        break;
      }
    }
    const std::int64_t sent_at = last ? evs_[*last].e.time : 0;
    std::string s = "why: deemed lost by RACK: sent at " + (last ? at(*last) : "?") +
                    (last ? " (event " + number(*last) + ")" : "") + "; a segment sent " +
                    (xmit == sent_at ? std::string("in the same instant, after it,")
                                     : ms(xmit - sent_at) + " later");
    if (later) {
      s += " (" + rel(ev, true, evs_[*later].seq()) + ":" + rel(ev, true, end) + ", event " +
           number(*later) + ")";
    }
    s += " was delivered";
    if (trigger) {
      const Ev& t = evs_[*trigger];
      s += t.is("timer") ? ", and the RACK reorder timer fired (event " + number(*trigger) + ")"
                         : std::string(t.sack().empty() ? " (ACKed" : " (SACKed") + " by event " +
                               number(*trigger) + ")";
    }
    s += ", and at " + at(i) + " ≥ " + (last ? at(*last) : "?") + " + RACK.rtt " +
         ms(rx.i64("rack_rtt_ns")) + " + reo_wnd " + ms(rx.i64("reo_wnd_ns")) + " (RFC 8985 §6.2)";
    return s;
  }

  std::string reset_reason(std::size_t i, const Before& b) const {
    const Ev& ev = evs_[i];
    const std::string w = ev.str("why");
    const std::string rx = b.last_rx ? " (event " + number(*b.last_rx) + ")" : std::string();
    if (w == "closed-port") {
      return "a segment" + rx + " for a port where nothing listens: reset (RFC 9293 §3.10.7.1)";
    }
    if (w == "ack-to-listen") {
      return "an ACK" + rx + " reached a listening socket: reset (RFC 9293 §3.10.7.2)";
    }
    if (w == "refused") return "the connection was refused: reset (RFC 9293 §3.10.7.1)";
    if (w == "abort") {
      return "the application aborted the connection (RFC 9293 §3.10.5 ABORT: send a reset)";
    }
    if (w == "bad-ack") {
      return "the ACK" + rx +
             " acknowledges nothing we sent: <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.3, "
             "§3.10.7.4)";
    }
    if (w == "syn-in-syn-received") {
      return "a SYN" + rx +
             " on a half-open connection from a passive OPEN: back to LISTEN with a reset "
             "(RFC 9293 §3.10.7.4 fourth, as Linux does)";
    }
    if (w == "data-after-close") {
      return "data" + rx +
             " arrived after the application closed: it cannot be delivered, so the connection "
             "is reset (RFC 2525 §2.17, Linux)";
    }
    if (w == "keepalive-timeout") {
      return "the keepalive probes went unanswered: the connection is dropped with a reset "
             "(RFC 1122 §4.2.3.6)";
    }
    return "a reset (reason not recorded)";
  }

  // A pure ACK the delayed-ACK timer sent: what it acknowledges, why that waited, the timer.
  std::string delack_reason(std::size_t i, const Before& b) const {
    std::optional<std::size_t> fired, set;
    for (std::optional<std::size_t> j = prev(i); j; j = prev(*j)) {
      const Ev& t = evs_[*j];
      if (!t.is("timer") || t.str("timer") != "delack") continue;
      if (!fired && t.str("action") == "fired") {
        fired = *j;
      } else if (fired && t.str("action") == "set") {
        set = *j;
        break;
      }
    }
    // The data received since the last segment we sent (which carried the last ACK).
    std::vector<std::uint64_t> data;
    std::int64_t unacked = 0;
    for (std::optional<std::size_t> j = prev(i); j && (!b.last_tx || *j > *b.last_tx);
         j = prev(*j)) {
      if (evs_[*j].is("segment_received") && evs_[*j].len() > 0) {
        data.insert(data.begin(), evs_[*j].e.number);
        unacked += evs_[*j].len();
      }
    }
    std::string s = "the delayed-ACK timer fired";
    if (fired) s += " (event " + number(*fired) + ")";
    if (set) {
      s += ", " + ms(evs_[*set].i64("in_ns")) + " after it was set (event " + number(*set) + ")";
    }
    if (!data.empty()) {
      s += ": " + octets(unacked) + " (" + event_list(data) +
           ") arrived since our last ACK, not more than one full-sized segment, in order, and with "
           "no quick ACK left (the first segments of a connection are ACKed at once) nor data of "
           "ours to carry the ACK, so the ACK waited";
    }
    return s +
           " (RFC 9293 §3.8.6.3, RFC 5681 §4.2: an ACK may be delayed, by at most 500 ms, and at "
           "least every second full-sized segment is ACKed; Linux waits 40 ms, TCP_DELACK_MIN)";
  }

  std::string pure_ack_reason(std::size_t i, const Before& b) const {
    const Ev& ev = evs_[i];
    const std::string w = ev.str("why");
    auto rx = [&](const std::optional<std::size_t>& j) {
      return j ? " (event " + number(*j) + ")" : std::string();
    };
    std::string sack;
    if (!ev.sack().empty()) {
      // RFC 2883 §4: a first block below the cumulative ACK reports a duplicate (D-SACK).
      const json all = ev.sack();
      const json first = all.at(0);
      const bool dsack = SeqNum(first.at(1).get<std::uint32_t>()) <= ev.ack();
      sack = dsack ? "; the first SACK block" : "; its SACK blocks";
      json blocks = json::array();
      blocks.push_back(first);
      for (const json& blk : dsack ? blocks : all) {
        sack += " " + rel(ev, false, SeqNum(blk.at(0).get<std::uint32_t>())) + ":" +
                rel(ev, false, SeqNum(blk.at(1).get<std::uint32_t>()));
      }
      sack += dsack ? ", below the ACK, reports the duplicate (D-SACK, RFC 2883 §4)"
                    : " report what arrived out of order (RFC 2018 §4)";
    }
    if (w == "delack") return delack_reason(i, b) + sack;
    if (w == "quickack") {
      return "quick-ACK mode: data" + rx(b.last_data_rx) +
             " acknowledged at once, as Linux does for the first segments of a connection and "
             "after an idle period (RFC 5681 §4.2 allows it)" +
             sack;
    }
    if (w == "second-segment") {
      const std::string last =
          b.last_data_rx ? " (the last at event " + number(*b.last_data_rx) + ")" : "";
      return "more than one full-sized segment arrived unacknowledged" + last +
             ": an ACK for at least every second one (RFC 5681 §4.2, " + "RFC 9293 §3.8.6.3)" +
             sack;
    }
    if (w == "out-of-order") {
      std::string s = "out-of-order data" + rx(b.last_data_rx);
      if (b.rcv_nxt) s += " (expected " + rel(ev, false, *b.rcv_nxt) + ")";
      return s + ": an immediate duplicate ACK (RFC 5681 §4.2, RFC 9293 §3.10.7.4 seventh)" + sack;
    }
    if (w == "gap-filled") {
      return "data" + rx(b.last_data_rx) +
             " filled a gap in the sequence space: ACK at once (RFC 5681 §4.2)" + sack;
    }
    if (w == "duplicate-data") {
      return "data" + rx(b.last_data_rx) +
             " we already had: ACK at once, with a D-SACK block (RFC 2883 §4)" + sack;
    }
    if (w == "out-of-window") {
      return "the segment" + rx(b.last_rx) +
             " is outside the receive window: the ACK tells the peer where we are "
             "(RFC 9293 §3.10.7.4 first)" +
             sack;
    }
    if (w == "paws") {
      return "the segment" + rx(b.last_rx) +
             " carries a timestamp older than TS.Recent: dropped by PAWS and answered with an "
             "ACK (RFC 7323 §5.3 R1)";
    }
    if (w == "challenge") {
      return "a challenge ACK: the segment" + rx(b.last_rx) +
             " (a SYN, or a RST not exactly at RCV.NXT) may be forged (RFC 5961 §3.2, §4.2)";
    }
    if (w == "window-update") {
      return "the application read data and the receive window at least doubled: a window "
             "update (RFC 9293 §3.8.6.2.2, RFC 1122 §4.2.3.3)";
    }
    if (w == "fin") {
      return "the peer's FIN" + rx(b.last_rx) + " is acknowledged (RFC 9293 §3.10.7.4 eighth)";
    }
    if (w == "handshake") {
      return "the ACK of the peer's SYN-ACK" + rx(b.last_rx) +
             " completes the three-way handshake (RFC 9293 §3.10.7.3)";
    }
    if (w == "simultaneous-open") {
      return "the peer's SYN-ACK" + rx(b.last_rx) +
             " in a simultaneous open is acknowledged (RFC 9293 §3.5 figure 7)";
    }
    if (w == "zero-window-probe" || w == "keepalive") {
      std::optional<std::size_t> fired;
      std::size_t n = 0;
      const char* timer = w == "keepalive" ? "keepalive" : "persist";
      // Probes since the peer last answered (a keepalive), or last offered a window.
      std::optional<std::size_t> set;
      for (std::optional<std::size_t> j = prev(i); j; j = prev(*j)) {
        const Ev& t = evs_[*j];
        if (t.is("segment_received") && (w == "keepalive" || t.u32("wnd") > 0)) break;
        if (t.is("timer") && t.str("timer") == timer && t.str("action") == "fired") {
          if (!fired) fired = *j;
          ++n;
        }
        if (fired && !set && t.is("timer") && t.str("timer") == timer && t.str("action") == "set") {
          set = *j;
        }
      }
      const std::string after = set ? ", " + ms(evs_[*set].i64("in_ns")) +
                                          " after it was set (event " + number(*set) + ")"
                                    : std::string();
      if (w == "keepalive") {
        return "the keepalive timer fired" + rx(fired) + after + ": probe " + std::to_string(n) +
               " of an idle connection, <SEQ=SND.UNA-1> without data (RFC 1122 §4.2.3.6)";
      }
      return "the persist timer fired" + rx(fired) + after + ": zero-window probe " +
             std::to_string(n) +
             " (the peer's window is 0), <SEQ=SND.UNA-1> to draw an ACK with the window (RFC 9293 "
             "§3.8.6.1, RFC 1122 "
             "§4.2.2.17)";
    }
    return "a pure ACK (its reason is not in the file)" + sack;
  }

  std::vector<std::string> new_data(std::size_t i, const Before& b) const {
    const Ev& ev = evs_[i];
    std::vector<std::string> out;
    std::string what = "what: ";
    if (ev.len() > 0) {
      what += octets(ev.len()) + " of new data, " + rel(ev, true, ev.seq()) + ":" +
              rel(ev, true, ev.seq() + ev.len());
    }
    if (ev.fin()) {
      what += ev.len() > 0 ? ", and the FIN" : "the FIN";
    }
    out.push_back(what);
    if (ev.fin()) {
      for (std::optional<std::size_t> j = prev(i); j; j = prev(*j)) {
        const Ev& s = evs_[*j];
        if (s.is("state") && (s.str("to") == "FIN_WAIT_1" || s.str("to") == "LAST_ACK")) {
          out.push_back("why: the application closed its side (event " + number(*j) + ": " +
                        s.str("from") + " -> " + s.str("to") + ", RFC 9293 §3.10.4 CLOSE)");
          break;
        }
      }
      if (ev.len() == 0) return out;
    }
    // What let it go at this instant: the ACK just before, a timer, or the application.
    std::optional<std::size_t> trigger;
    for (std::optional<std::size_t> j = prev(i); j && evs_[*j].e.time == ev.e.time; j = prev(*j)) {
      const Ev& t = evs_[*j];
      if (t.is("segment_received") || (t.is("timer") && t.str("action") == "fired")) {
        trigger = *j;
        break;
      }
    }
    if (trigger && evs_[*trigger].is("timer")) {
      const std::string timer = evs_[*trigger].str("timer");
      out.push_back("why: the " + timer + " timer fired (event " + number(*trigger) + ")" +
                    (timer == "persist"
                         ? ": some window is open, so data goes despite sender SWS avoidance "
                           "(RFC 9293 §3.8.6.1)"
                         : std::string()));
      return out;
    }
    // Before the ACK nothing was in flight (or only the SYN): the ACK clocked nothing out, so
    // the data is the application's, written at this instant.
    if (trigger) {
      Before bt = before(*trigger);
      const bool flight = bt.snd_una && bt.snd_max && *bt.snd_una < *bt.snd_max &&
                          rel(ev, true, *bt.snd_una) != "0";
      if (!flight && !(bt.peer_wnd && *bt.peer_wnd == 0)) trigger.reset();
    }
    if (trigger) {
      const Ev& a = evs_[*trigger];
      Before bt = before(*trigger);
      std::string s = "why: the ACK at event " + number(*trigger);
      const bool advanced = bt.snd_una && *bt.snd_una < a.ack();
      if (advanced) {
        s += " acknowledged " + octets(a.ack() - *bt.snd_una);
      }
      const bool wnd_opened = bt.peer_wnd && *bt.peer_wnd == 0 && a.u32("wnd") > 0;
      if (wnd_opened) {
        s += (advanced ? " and" : "") + std::string(" opened the peer's window (0 -> ") +
             std::to_string(a.u32("wnd")) + ")";
        out.push_back(s + ": the sender may send again (RFC 9293 §3.8.6.1)");
        return out;
      }
      // Nagle: the previous data segment was small and is now acknowledged.
      if (bt.last_tx_data) {
        const Ev& p = evs_[*bt.last_tx_data];
        const SeqNum p_end = p.seq() + p.len();
        if (advanced && a.ack() >= p_end && p.len() < 536 && ev.len() < 1400 && b.snd_una &&
            *b.snd_una == a.ack()) {
          out.push_back(s + ", the previous small segment (event " + number(*bt.last_tx_data) +
                        "): Nagle's algorithm released the data it held (RFC 9293 §3.7.4, "
                        "RFC 1122 §4.2.3.4)");
          return out;
        }
      }
      out.push_back(s + (b.cwnd >= 0 ? " (cwnd " + num(b.cwnd) + ")" : std::string()) +
                    ": room in the congestion and receive windows, the ACK clock (RFC 5681 "
                    "§3.1)");
      return out;
    }
    out.push_back("why: the application wrote data, and the windows had room" +
                  (b.cwnd >= 0 ? " (cwnd " + num(b.cwnd) + ")" : std::string()) +
                  " (no ACK of data in flight and no timer let it go: the write itself, at this "
                  "instant)");
    return out;
  }

  // What became of a segment that occupies sequence space: retransmitted, SACKed, ACKed, lost.
  std::vector<std::string> fate(std::size_t i) const {
    const Ev& ev = evs_[i];
    const bool local = ev.is("segment_sent");
    if (!local) return {};
    const SeqNum end = ev.seq() + ev.seg_len();
    std::vector<std::string> out;
    // A link's drop of the packet is traced while the segment is handed down, before the
    // segment_sent event.
    for (std::optional<std::size_t> j = prev(i);
         j && evs_[*j].e.time == ev.e.time && !evs_[*j].segment(); j = prev(*j)) {
      const Ev& t = evs_[*j];
      if (t.is("drop") && t.e.data.contains("seq") && SeqNum(t.u32("seq")) == ev.seq()) {
        out.push_back("then: lost on the way: " + drop_text(*j) + " (event " + number(*j) + ")");
      }
    }
    bool sacked = false;
    for (std::size_t j = i + 1; j < evs_.size(); ++j) {
      const Ev& t = evs_[j];
      if (t.e.conn != ev.e.conn) continue;
      if (t.is("segment_sent") && t.seq() == ev.seq() && t.seg_len() > 0 && out.size() < 4) {
        std::optional<std::size_t> p = prev(j);
        if (p && evs_[*p].is("retransmit")) {
          out.push_back("then: retransmitted at " + at(j) + " (event " + number(j) + ", " +
                        evs_[*p].str("reason") + ")");
        }
      }
      if (!t.is("segment_received") || !t.has_ack()) continue;
      if (ev.seq() < t.ack() && end <= t.ack()) {
        out.push_back("then: acknowledged at " + at(j) + " (event " + number(j) + ", ack " +
                      rel(ev, true, t.ack()) + "), " + ms(t.e.time - ev.e.time) + " after");
        return out;
      }
      if (!sacked) {
        for (const json& blk : t.sack()) {
          SeqNum l(blk.at(0).get<std::uint32_t>()), r(blk.at(1).get<std::uint32_t>());
          if (l <= ev.seq() && end <= r) {
            out.push_back("then: SACKed at " + at(j) + " (event " + number(j) + ")");
            sacked = true;
            break;
          }
        }
      }
    }
    out.push_back("then: not acknowledged in this file");
    return out;
  }

  // --- A segment received ----------------------------------------------------------------

  std::vector<std::string> received(std::size_t i) const {
    const Ev& ev = evs_[i];
    Before b = before(i);
    std::vector<std::string> out;
    if (ev.rst()) {
      out.push_back(
          "did: a reset from the peer: it closes the connection when its sequence number is "
          "RCV.NXT (RFC 9293 §3.10.7.4 second, RFC 5961 §3.2), in SYN-SENT when it acknowledges "
          "the SYN (§3.10.7.3)");
    } else if (ev.syn() && !ev.has_ack()) {
      out.push_back("did: the peer opens a connection: SYN (RFC 9293 §3.10.7.2)");
    } else if (ev.syn()) {
      out.push_back("did: the peer accepts our SYN: SYN-ACK (RFC 9293 §3.10.7.3)");
    }
    if (ev.has_ack() && !ev.rst() && b.snd_una) {
      if (*b.snd_una < ev.ack()) {
        const bool syn = rel(ev, true, *b.snd_una) == "0";
        std::string s =
            "did: acknowledges " +
            (syn ? std::string("our SYN") : octets(ev.ack() - *b.snd_una) + " of new data") +
            ": SND.UNA " + rel(ev, true, *b.snd_una) + " -> " + rel(ev, true, ev.ack());
        std::vector<std::uint64_t> acked;
        for (std::size_t j = 0; j < i; ++j) {
          const Ev& s2 = evs_[j];
          if (s2.e.conn == ev.e.conn && s2.is("segment_sent") && s2.seg_len() > 0 &&
              *b.snd_una <= s2.seq() && s2.seq() + s2.seg_len() <= ev.ack()) {
            acked.push_back(s2.e.number);
          }
        }
        if (!acked.empty() && acked.size() <= 8) s += " (sent in " + event_list(acked) + ")";
        out.push_back(s + " (RFC 9293 §3.10.7.4 fifth)");
        if (b.recover && *b.snd_una < *b.recover && ev.ack() < *b.recover) {
          out.push_back("did: a partial ACK: below recover " + rel(ev, true, *b.recover) +
                        ", the highest octet sent when fast recovery began (event " +
                        number(*b.recovery_at) + "), so recovery goes on (RFC 6582 §3.2 step 3)");
        }
      } else if (is_dupack(b, ev)) {
        out.push_back("did: duplicate ACK #" + std::to_string(b.dupacks.size() + 1) + " (ack " +
                      rel(ev, true, ev.ack()) +
                      "; RFC 5681 §2: no data, the same window, SND.UNA not advanced, data "
                      "outstanding)");
      } else if (ev.ack() < *b.snd_una) {
        out.push_back("did: an old ACK (" + rel(ev, true, ev.ack()) + " < SND.UNA " +
                      rel(ev, true, *b.snd_una) + ")");
      }
    }
    if (!ev.sack().empty()) {
      std::string s = "did: SACKs";
      for (const json& blk : ev.sack()) {
        s += " " + rel(ev, true, SeqNum(blk.at(0).get<std::uint32_t>())) + ":" +
             rel(ev, true, SeqNum(blk.at(1).get<std::uint32_t>()));
      }
      out.push_back(s + " (RFC 2018)");
    }
    if (ev.len() > 0 && b.rcv_nxt) {
      const SeqNum s = ev.seq(), e = ev.seq() + ev.len();
      std::string d =
          "did: carries " + octets(ev.len()) + ", " + rel(ev, false, s) + ":" + rel(ev, false, e);
      if (s == *b.rcv_nxt) {
        d += ", in order";
        Before after = b;
        step(after, i);
        if (after.rcv_nxt && e < *after.rcv_nxt) {
          d += ", and fills the gap: with what came out of order before, RCV.NXT " +
               rel(ev, false, s) + " -> " + rel(ev, false, *after.rcv_nxt);
        }
      } else if (*b.rcv_nxt < s) {
        d += ", out of order: " + octets(s - *b.rcv_nxt) + " missing before it";
      } else if (e <= *b.rcv_nxt) {
        d += ", all of which we already had (a duplicate)";
      } else {
        d += ", partly new";
      }
      out.push_back(d);
    }
    if (ev.fin()) out.push_back("did: the peer closes its side: FIN (RFC 9293 §3.10.7.4 eighth)");
    // What processing it caused: the events that follow it, up to the next segment in.
    std::int64_t cwnd = b.cwnd;
    for (std::size_t j = i + 1; j < evs_.size(); ++j) {
      const Ev& t = evs_[j];
      if (t.e.conn != ev.e.conn) continue;
      if (t.is("segment_received") || t.e.time != ev.e.time) break;
      const std::string n = " (event " + number(j) + ")";
      if (t.is("drop")) {
        out.push_back("then: " + drop_text(j) + n);
      } else if (t.is("state")) {
        out.push_back("then: " + t.str("from") + " -> " + t.str("to") +
                      (t.e.data.contains("rfc9293") ? " (RFC 9293 §" + t.str("rfc9293") + ")"
                                                    : std::string()) +
                      n);
      } else if (t.is("rtt_sample")) {
        out.push_back("then: RTT sample " + ms(t.i64("rtt_ns")) + ": SRTT " + ms(t.i64("srtt_ns")) +
                      ", RTTVAR " + ms(t.i64("rttvar_ns")) + ", RTO " + ms(t.i64("rto_ns")) +
                      " (RFC 6298 §2)" + n);
      } else if (t.is("cwnd")) {
        std::string r = t.str("reason");
        if (t.e.data.contains("phase")) r += ", " + t.str("phase");
        out.push_back("then: " + cwnd_change(cwnd, t) + " (" + r + ")" + n);
        cwnd = t.i64("cwnd");
      } else if (t.is("retransmit")) {
        out.push_back("then: a retransmission (" + t.str("reason") + ") follows" + n);
      } else if (t.is("segment_sent")) {
        std::string w = t.str("why");
        out.push_back("then: sent " + segment_text(j) +
                      (w.empty() ? std::string() : " (" + w + ")") + n);
      }
    }
    if (out.empty()) out.push_back("did: nothing that changed the connection's state");
    return out;
  }

  // --- A drop ----------------------------------------------------------------------------

  std::string drop_text(std::size_t j) const {
    const Ev& d = evs_[j];
    const std::string c = d.str("counter");
    if (d.e.data.contains("rule")) {
      char draw[32];
      std::snprintf(draw, sizeof draw, "%.4f", d.e.data.value("draw", 0.0));
      return "dropped by the impairment rule " + d.str("rule") + " (seed " +
             std::to_string(d.e.data.value("seed", std::uint64_t{0})) + ", draw " + draw + "; " +
             c + ")";
    }
    if (c == "tcp.drops_paws") {
      return "dropped by PAWS: its timestamp is older than TS.Recent (RFC 7323 §5.3; " + c + ")";
    }
    if (c == "tcp.drops_unacceptable") {
      return "dropped: outside the receive window (RFC 9293 §3.10.7.4 first; " + c + ")";
    }
    return "dropped, counted in " + c;
  }

  std::vector<std::string> dropped(std::size_t i) const {
    const Ev& d = evs_[i];
    std::vector<std::string> out{"what: " + drop_text(i)};
    if (d.e.data.contains("seq")) {
      // The segment the link lost: the next one sent at this instant with this sequence number.
      for (std::size_t j = i + 1; j < evs_.size() && evs_[j].e.time == d.e.time; ++j) {
        const Ev& s = evs_[j];
        if (s.e.conn == d.e.conn && s.is("segment_sent") && s.seq() == SeqNum(d.u32("seq"))) {
          out.push_back("the segment: event " + number(j) + ", " + segment_text(j));
          break;
        }
      }
    }
    if (d.str("counter").rfind("tcp.", 0) == 0) {
      std::optional<std::size_t> p = prev(i);
      for (; p && !evs_[*p].is("segment_received"); p = prev(*p)) {
      }
      if (p) out.push_back("the segment: event " + number(*p) + ", " + segment_text(*p));
    }
    return out;
  }

  Ladder ladder_;
  EventReader reader_;
  std::optional<std::int64_t> start_;
  std::vector<Ev> evs_;
};

}  // namespace

std::string explain(std::istream& in, const ExplainQuery& q) {
  try {
    return Explainer(in).run(q);
  } catch (const json::exception& e) {
    // A field of the wrong type in an event the explanation reads.
    throw EventsInputError(std::string("a malformed event: ") + e.what());
  }
}

}  // namespace ustack::events
