#include "tools/events/event_json.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "stack/wire/tcp.h"

namespace ustack::events {

namespace {

using nlohmann::ordered_json;

struct Names {
  const char* category;
  const char* event;
};

// docs/events.md lists these; keep the two in step.
Names names(TraceKind k) {
  switch (k) {
    case TraceKind::kPacketIn:
      return {"device", "packet_received"};
    case TraceKind::kPacketOut:
      return {"device", "packet_sent"};
    case TraceKind::kDrop:
      return {"drop", "drop"};
    case TraceKind::kNeighbor:
      return {"ip", "neighbor"};
    case TraceKind::kIcmp:
      return {"ip", "icmp"};
    case TraceKind::kTcpState:
      return {"tcp", "state"};
    case TraceKind::kTcpSegmentIn:
      return {"tcp", "segment_received"};
    case TraceKind::kTcpSegmentOut:
      return {"tcp", "segment_sent"};
    case TraceKind::kTcpRetransmit:
      return {"tcp", "retransmit"};
    case TraceKind::kTcpRttSample:
      return {"tcp", "rtt_sample"};
    case TraceKind::kTcpWindow:
      return {"tcp", "window"};
    case TraceKind::kTcpCongestion:
      return {"tcp", "cwnd"};
    case TraceKind::kTcpTimer:
      return {"tcp", "timer"};
    case TraceKind::kTcpCaState:
      return {"tcp", "ca_state"};
  }
  return {"?", "?"};
}

std::string endpoint(const IpAddr& a, std::uint16_t port) {
  return a.is_v4() ? a.to_string() + ":" + std::to_string(port)
                   : "[" + a.to_string() + "]:" + std::to_string(port);
}

ordered_json options_json(const TcpOptions& o) {
  ordered_json j = ordered_json::object();
  if (o.mss) j["mss"] = *o.mss;
  if (o.window_scale) j["wscale"] = *o.window_scale;
  if (o.sack_permitted) j["sack_permitted"] = true;
  if (o.timestamps) j["ts"] = {o.timestamps->val, o.timestamps->ecr};
  if (o.sack_count > 0) {
    ordered_json blocks = ordered_json::array();
    for (std::uint8_t i = 0; i < o.sack_count; ++i) {
      blocks.push_back({o.sack[i].left.raw(), o.sack[i].right.raw()});
    }
    j["sack"] = blocks;
  }
  return j;
}

// "FROM->TO" as the fields from and to.
void add_transition(ordered_json& d, std::string_view what) {
  std::size_t arrow = what.find("->");
  d["from"] = std::string(what.substr(0, arrow));
  d["to"] = arrow == std::string_view::npos ? "" : std::string(what.substr(arrow + 2));
}

ordered_json data_json(const TraceEvent& e) {
  ordered_json d = ordered_json::object();
  switch (e.kind) {
    case TraceKind::kPacketIn:
    case TraceKind::kPacketOut:
      d["len"] = e.len;
      break;
    case TraceKind::kDrop:
      d["counter"] = e.what;
      if (e.len != 0) d["count"] = e.len;
      if (*e.detail) {  // an impairment's drop (stack/impair)
        d["rule"] = e.detail;
        d["seed"] = static_cast<std::uint64_t>(e.value2);
        if (e.draw >= 0) d["draw"] = e.draw;
      }
      if (e.has_seq) d["seq"] = e.seq;
      break;
    case TraceKind::kNeighbor:
      d["change"] = e.what;
      d["addr"] = e.local.to_string();
      break;
    case TraceKind::kIcmp:
      d["message"] = e.what;
      d["len"] = e.len;
      d["type"] = e.value;
      d["from"] = e.local.to_string();
      d["to"] = e.remote.to_string();
      break;
    case TraceKind::kTcpState:
      add_transition(d, e.what);
      if (*e.detail) d["rfc9293"] = e.detail;
      break;
    case TraceKind::kTcpSegmentIn:
    case TraceKind::kTcpSegmentOut:
      d["flags"] = tcp_flags_string(e.flags);
      d["seq"] = e.seq;
      d["ack"] = e.ack;
      d["len"] = e.len;
      d["wnd"] = e.wnd;
      if (e.tcp != nullptr) {
        if (e.tcp->has(tcp_flags::kUrg)) d["urg"] = e.tcp->urgent;
        ordered_json o = options_json(e.tcp->options);
        if (!o.empty()) d["options"] = o;
      }
      if (*e.detail) d["why"] = e.detail;
      break;
    case TraceKind::kTcpRetransmit:
      d["reason"] = e.what;
      d["seq"] = e.seq;
      d["len"] = e.len;
      if (e.value != 0) {  // RACK (RFC 8985 §6.2)
        d["rack_xmit_ns"] = e.value;
        d["rack_end_seq"] = e.ack;
        d["rack_rtt_ns"] = e.value2;
        d["reo_wnd_ns"] = e.value3;
      }
      break;
    case TraceKind::kTcpRttSample:
      d["rtt_ns"] = e.value;
      d["srtt_ns"] = e.value3;
      d["rttvar_ns"] = e.value4;
      d["rto_ns"] = e.value2;
      break;
    case TraceKind::kTcpWindow:
      d["window"] = e.what;
      d["value"] = e.wnd;
      break;
    case TraceKind::kTcpCongestion:
      d["reason"] = e.what;
      if (*e.detail) d["phase"] = e.detail;
      if (e.len != 0) d["acked"] = e.len;
      d["cwnd"] = e.value;
      d["ssthresh"] = e.value2;
      d["inflight"] = e.value3;
      d["pipe"] = e.value4;
      d["rwnd"] = e.wnd;
      break;
    case TraceKind::kTcpTimer:
      d["timer"] = e.what;
      d["action"] = *e.detail ? e.detail : "fired";
      if (std::string_view(e.detail) == "set") {
        d["deadline"] = e.value;
        d["in_ns"] = e.value - e.at.total_nanos();
      }
      break;
    case TraceKind::kTcpCaState:
      add_transition(d, e.what);
      d["reason"] = e.detail;
      d["cwnd"] = e.value;
      d["ssthresh"] = e.value2;
      break;
  }
  return d;
}

}  // namespace

std::string connection_name(const TraceEvent& e) {
  if (e.local_port == 0 && e.remote_port == 0) return "";
  return endpoint(e.local, e.local_port) + ">" + endpoint(e.remote, e.remote_port);
}

nlohmann::ordered_json header_json(std::string_view tool) {
  ordered_json h;
  h["format"] = kFormatName;
  h["version"] = kFormatVersion;
  h["schema"] = "docs/events.md";
  h["tool"] = std::string(tool);
  return h;
}

nlohmann::ordered_json event_json(const TraceEvent& e) {
  Names n = names(e.kind);
  ordered_json j;
  j["time"] = e.at.total_nanos();
  if (std::string c = connection_name(e); !c.empty()) j["conn"] = c;
  j["category"] = n.category;
  j["event"] = n.event;
  j["data"] = data_json(e);
  return j;
}

JsonLinesTracer::JsonLinesTracer(const std::string& path, std::string_view tool) {
  if (path == "-") {
    f_ = stdout;
  } else {
    f_ = std::fopen(path.c_str(), "w");
    if (f_ == nullptr) {
      throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    }
    owned_ = true;
  }
  std::fprintf(f_, "%s\n", header_json(tool).dump().c_str());
  std::fflush(f_);
}

JsonLinesTracer::~JsonLinesTracer() {
  if (owned_) std::fclose(f_);
}

void JsonLinesTracer::on_event(const TraceEvent& e) {
  ++events_;
  std::string line = event_json(e).dump();
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), f_);
  std::fflush(f_);
}

}  // namespace ustack::events
