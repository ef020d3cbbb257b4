#include "pcap_tests/replay/compare.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "stack/wire/tcp.h"

namespace ustack::replay {
namespace {

// How far ahead the alignment looks for a segment one run sent and the other did not.
constexpr std::size_t kLookahead = 8;

// What identifies "the same segment" in two runs: flags (PSH aside: Linux sets it per
// write, which says nothing about the protocol), where it starts, how long it is.
bool same_key(const Segment& a, const Segment& b) {
  if (a.proto != b.proto) return false;
  if (!a.other.empty() || !b.other.empty()) return a.other == b.other;
  if (a.proto == IpProto::kUdp) return a.payload == b.payload;
  const auto f = [](const Segment& s) { return s.flags & ~tcp_flags::kPsh; };
  return f(a) == f(b) && a.seq == b.seq && a.len == b.len;
}

std::string ms(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(d.total_micros()) / 1000.0);
  return buf;
}

std::string opt_text(const std::optional<std::uint16_t>& v) {
  return v ? std::to_string(*v) : "none";
}

struct Field {
  const char* name;
  std::function<std::string(const Segment&)> value;
};

// The fields a pair is compared on, in the order divergences are reported.
const std::vector<Field>& tcp_fields() {
  static const std::vector<Field> fields = {
      // PSH apart: where a sender pushes is its own choice (RFC 9293 §3.9.1.2), every
      // receiver delivers data either way.
      {"flags",
       [](const Segment& s) {
         Segment t = s;
         t.flags &= static_cast<std::uint8_t>(~tcp_flags::kPsh);
         return t.flags_text();
       }},
      {"psh", [](const Segment& s) { return s.has(tcp_flags::kPsh) ? "yes" : "no"; }},
      {"seq", [](const Segment& s) { return std::to_string(s.seq); }},
      {"ack",
       [](const Segment& s) { return s.has(tcp_flags::kAck) ? std::to_string(s.ack) : "-"; }},
      {"len", [](const Segment& s) { return std::to_string(s.len); }},
      {"payload", [](const Segment& s) { return s.payload.empty() ? "" : std::string("bytes"); }},
      // The exact window, and separately whether it is closed: a receive-window policy may
      // differ by design, a zero window where Linux had an open one (or the reverse) not.
      {"win", [](const Segment& s) { return std::to_string(s.win); }},
      {"zero-win", [](const Segment& s) { return s.win == 0 ? "closed" : "open"; }},
      {"urg", [](const Segment& s) { return s.urg ? std::to_string(*s.urg) : "none"; }},
      {"mss", [](const Segment& s) { return opt_text(s.mss); }},
      {"wscale", [](const Segment& s) { return s.wscale ? "yes" : "no"; }},
      {"wscale-shift",
       [](const Segment& s) { return s.wscale ? std::to_string(*s.wscale) : "none"; }},
      {"sackOK", [](const Segment& s) { return s.sack_ok ? "yes" : "no"; }},
      {"ts", [](const Segment& s) { return s.timestamps ? "yes" : "no"; }},
      {"sack",
       [](const Segment& s) {
         std::string t;
         for (auto [l, r] : s.sack)
           t += (t.empty() ? "" : " ") + std::to_string(l) + ":" + std::to_string(r);
         return t.empty() ? "none" : t;
       }},
      {"timing", [](const Segment& s) { return s.timing; }},
  };
  return fields;
}

const std::vector<Field>& other_fields() {
  static const std::vector<Field> fields = {
      {"packet", [](const Segment& s) { return s.text(); }},
  };
  return fields;
}

const std::vector<Field>& udp_fields() {
  static const std::vector<Field> fields = {
      {"len", [](const Segment& s) { return std::to_string(s.len); }},
      {"timing", [](const Segment& s) { return s.timing; }},
  };
  return fields;
}

// Pairs of indexes into the two host-segment lists; -1 on one side = missing / extra.
std::vector<std::pair<long, long>> align(const std::vector<const Segment*>& k,
                                         const std::vector<const Segment*>& u) {
  std::vector<std::pair<long, long>> out;
  std::size_t i = 0, j = 0;
  while (i < k.size() && j < u.size()) {
    if (same_key(*k[i], *u[j])) {
      out.emplace_back(i++, j++);
      continue;
    }
    std::size_t skip_u = 0, skip_k = 0;  // 0: not found within the lookahead
    for (std::size_t d = 1; d <= kLookahead && j + d < u.size() && !skip_u; ++d) {
      if (same_key(*k[i], *u[j + d])) skip_u = d;
    }
    for (std::size_t d = 1; d <= kLookahead && i + d < k.size() && !skip_k; ++d) {
      if (same_key(*k[i + d], *u[j])) skip_k = d;
    }
    if (skip_u && (!skip_k || skip_u <= skip_k)) {
      for (std::size_t d = 0; d < skip_u; ++d) out.emplace_back(-1, j++);
    } else if (skip_k) {
      for (std::size_t d = 0; d < skip_k; ++d) out.emplace_back(i++, -1);
    } else {
      out.emplace_back(i++, j++);  // the same place in both runs, different contents
    }
  }
  while (i < k.size()) out.emplace_back(i++, -1);
  while (j < u.size()) out.emplace_back(-1, j++);
  return out;
}

}  // namespace

std::size_t Comparison::unexplained() const {
  return static_cast<std::size_t>(std::count_if(divergences.begin(), divergences.end(),
                                                [](const Divergence& d) { return !d.allowed; }));
}

std::string Comparison::verdict() const {
  if (divergences.empty()) return "identical";
  return unexplained() ? "diverged" : "allowed-differences";
}

Comparison compare(const PacketList& kernel_full, const PacketList& ustack_full,
                   const AllowList& allow, const std::optional<ReplayStop>& stop) {
  // After a stop only the stopping peer packet is kept, as the ladder's last context row.
  auto cut = [&](const PacketList& run) {
    if (!stop) return run;
    PacketList kept;
    for (const TimedPacket& p : run) {
      if (p.at < stop->at || (p.at == stop->at && !p.outbound)) kept.push_back(p);
    }
    return kept;
  };
  const PacketList kernel_run = cut(kernel_full);
  const PacketList ustack_run = cut(ustack_full);
  const std::vector<Segment> ks = normalise(kernel_run);
  const std::vector<Segment> us = normalise(ustack_run);
  std::vector<const Segment*> k_host, u_host;
  Comparison c;
  c.stop = stop;
  // Rows with the time they sort by; the peer's rows come from the kernel run.
  std::vector<std::pair<Duration, LadderRow>> timed;
  for (const Segment& s : ks) {
    if (s.outbound) {
      k_host.push_back(&s);
    } else {
      ++c.peer_segments;
      timed.push_back({s.t, LadderRow{LadderRow::Kind::kPeer, s, std::nullopt, {}}});
    }
  }
  for (const Segment& s : us) {
    if (s.outbound) u_host.push_back(&s);
  }
  c.kernel_segments = k_host.size();
  c.ustack_segments = u_host.size();

  std::vector<std::vector<Divergence>> pending;  // per timed row, before row numbers exist
  pending.resize(timed.size());
  auto add = [&](LadderRow row, Duration t, std::vector<Divergence> ds) {
    timed.push_back({t, std::move(row)});
    pending.push_back(std::move(ds));
  };
  for (auto [ki, ui] : align(k_host, u_host)) {
    if (ki >= 0 && ui >= 0) {
      const Segment& k = *k_host[ki];
      const Segment& u = *u_host[ui];
      ++c.pairs;
      std::vector<Divergence> ds;
      const auto& fields = !k.other.empty() || !u.other.empty() ? other_fields()
                           : k.proto == IpProto::kUdp           ? udp_fields()
                                                                : tcp_fields();
      for (const Field& f : fields) {
        std::string kv = f.value(k), uv = f.value(u);
        if (std::string(f.name) == "payload") {
          if (k.payload == u.payload || k.len != u.len) continue;  // len reports a length change
          kv = "bytes differ";
          uv = "bytes differ";
        }
        if (kv == uv) continue;
        // A reset's window means nothing (RFC 9293 §3.10.7): Linux fills in its receive
        // window on an active reset and 0 on a reply to a segment for no connection.
        const std::string name = f.name;
        if ((name == "win" || name == "zero-win") && k.has(tcp_flags::kRst) &&
            u.has(tcp_flags::kRst)) {
          continue;
        }
        ds.push_back({0, k.t, f.name, kv, uv, k.flags_text(), nullptr});
      }
      if (k.proto == IpProto::kUdp && k.other.empty() && k.payload != u.payload) {
        ds.push_back({0, k.t, "payload", "bytes differ", "bytes differ", "udp", nullptr});
      }
      if (ds.empty()) ++c.identical_pairs;
      add(LadderRow{LadderRow::Kind::kPair, k, u, {}}, k.t, std::move(ds));
    } else if (ki >= 0) {
      const Segment& k = *k_host[ki];
      add(LadderRow{LadderRow::Kind::kMissing, k, std::nullopt, {}}, k.t,
          {{0, k.t, "missing", k.text(), "", k.flags_text(), nullptr}});
    } else {
      const Segment& u = *u_host[ui];
      add(LadderRow{LadderRow::Kind::kExtra, std::nullopt, u, {}}, u.t,
          {{0, u.t, "extra", "", u.text(), u.flags_text(), nullptr}});
    }
  }
  // Time down the page; at one instant the peer's packet first (it caused the answer), then
  // the order the rows were made in.
  std::vector<std::size_t> order(timed.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (timed[a].first != timed[b].first) return timed[a].first < timed[b].first;
    const bool pa = timed[a].second.kind == LadderRow::Kind::kPeer;
    const bool pb = timed[b].second.kind == LadderRow::Kind::kPeer;
    return pa && !pb;
  });
  for (std::size_t i : order) {
    LadderRow row = std::move(timed[i].second);
    for (Divergence& d : pending[i]) {
      d.row = c.rows.size();
      d.allowed = allow.match(d.field, d.segments);
      row.divergences.push_back(c.divergences.size());
      c.divergences.push_back(std::move(d));
    }
    c.rows.push_back(std::move(row));
  }
  if (stop) {
    const Duration t = kernel_run.empty() ? Duration::zero() : stop->at - kernel_run.front().at;
    Divergence d{
        c.rows.size() ? c.rows.size() - 1 : 0, t, "stopped", "", stop->reason, "*", nullptr};
    d.allowed = allow.match(d.field, d.segments);
    if (!c.rows.empty()) c.rows.back().divergences.push_back(c.divergences.size());
    c.divergences.push_back(std::move(d));
  }
  return c;
}

std::string Comparison::ladder(bool color) const {
  const char* red = color ? "\033[31m" : "";
  const char* yellow = color ? "\033[33m" : "";
  const char* dim = color ? "\033[2m" : "";
  const char* off = color ? "\033[0m" : "";
  auto host_text = [](const Segment& s) { return s.text() + " [" + s.timing + "]"; };
  std::size_t width = 24;
  for (const LadderRow& r : rows) {
    if (r.kernel) width = std::max(width, host_text(*r.kernel).size());
  }
  width = std::min<std::size_t>(width, 72);
  auto pad = [&](std::string s) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
  };
  std::string out = "       ms    " + pad(left_label) + " | " + right_label + "\n";
  for (const LadderRow& r : rows) {
    const Segment& first = r.kernel ? *r.kernel : *r.ustack;
    char t[16];
    std::snprintf(t, sizeof t, "%10s", ms(first.t).c_str());
    out += t;
    switch (r.kind) {
      case LadderRow::Kind::kPeer:
        out += std::string(" <  ") + dim + first.text() + off + "\n";
        continue;
      case LadderRow::Kind::kPair:
        out += " >  " + pad(host_text(*r.kernel)) + " | ";
        out += r.divergences.empty() ? std::string("=") : host_text(*r.ustack);
        if (r.ustack->t != r.kernel->t && !r.divergences.empty()) {
          out += " @" + ms(r.ustack->t);
        }
        break;
      case LadderRow::Kind::kMissing:
        out += " >  " + pad(host_text(*r.kernel)) + " | (not sent)";
        break;
      case LadderRow::Kind::kExtra:
        out += " >  " + pad("(not sent)") + " | " + host_text(*r.ustack);
        break;
    }
    for (std::size_t di : r.divergences) {
      const Divergence& d = divergences[di];
      const bool value = d.field != "missing" && d.field != "extra" && d.field != "stopped";
      if (d.allowed) {
        out += std::string("  ") + yellow + "~" + d.field + off;
      } else {
        out += std::string("  ") + red + "!! " + d.field;
        if (value) out += " " + d.kernel + "->" + d.ustack;
        out += off;
      }
    }
    out += "\n";
  }
  if (stop) out += "replay stopped: " + stop->reason + "\n";
  char tail[160];
  std::snprintf(tail, sizeof tail,
                " segments, %zu peer segments played; %zu differences (%zu allowed, %zu "
                "unexplained): %s\n",
                peer_segments, divergences.size(), allowed(), unexplained(), verdict().c_str());
  out += std::to_string(kernel_segments) + " " + left_label + " segments, " +
         std::to_string(ustack_segments) + " " + right_label;
  out += tail;
  return out;
}

nlohmann::json Comparison::summary() const {
  nlohmann::json ds = nlohmann::json::array();
  for (const Divergence& d : divergences) {
    nlohmann::json j = {{"row", d.row},
                        {"time_ms", d.t.total_micros() / 1000.0},
                        {"field", d.field},
                        {"kernel", d.kernel},
                        {"ustack", d.ustack},
                        {"segment", d.segments},
                        {"allowed", d.allowed != nullptr}};
    if (d.allowed) {
      j["reason"] = d.allowed->reason;
      j["rule"] = d.allowed->origin;
    }
    ds.push_back(std::move(j));
  }
  return {{"kernel_segments", kernel_segments},
          {"ustack_segments", ustack_segments},
          {"peer_segments", peer_segments},
          {"pairs", pairs},
          {"identical_pairs", identical_pairs},
          {"allowed", allowed()},
          {"unexplained", unexplained()},
          {"verdict", verdict()},
          {"stopped", stop ? nlohmann::json(stop->reason) : nlohmann::json(nullptr)},
          {"divergences", std::move(ds)}};
}

}  // namespace ustack::replay
