#include "stack/tracer.h"

#include <cstdio>
#include <string_view>

namespace ustack {

const char* to_string(TraceKind k) {
  switch (k) {
    case TraceKind::kPacketIn:
      return "packet-in";
    case TraceKind::kPacketOut:
      return "packet-out";
    case TraceKind::kDrop:
      return "drop";
    case TraceKind::kNeighbor:
      return "neighbor";
    case TraceKind::kIcmp:
      return "icmp";
    case TraceKind::kTcpState:
      return "tcp-state";
    case TraceKind::kTcpSegmentIn:
      return "tcp-in";
    case TraceKind::kTcpSegmentOut:
      return "tcp-out";
    case TraceKind::kTcpRetransmit:
      return "tcp-retransmit";
    case TraceKind::kTcpRttSample:
      return "tcp-rtt";
    case TraceKind::kTcpWindow:
      return "tcp-window";
    case TraceKind::kTcpCongestion:
      return "tcp-cwnd";
    case TraceKind::kTcpTimer:
      return "tcp-timer";
    case TraceKind::kTcpCaState:
      return "tcp-ca-state";
  }
  return "?";
}

namespace {
std::string flags_string(std::uint8_t f) {
  std::string s;
  if (f & 0x02) s += 'S';
  if (f & 0x01) s += 'F';
  if (f & 0x04) s += 'R';
  if (f & 0x08) s += 'P';
  if (f & 0x10) s += '.';
  if (f & 0x20) s += 'U';
  if (f & 0x40) s += 'E';  // ECE and CWR (RFC 3168 §6.1), tcpdump's letters
  if (f & 0x80) s += 'W';
  return s.empty() ? "none" : s;
}
}  // namespace

std::string TraceEvent::to_string() const {
  std::string out = at.to_string() + " " + ustack::to_string(kind);
  if (local_port != 0 || remote_port != 0) {
    out += " " + local.to_string() + ":" + std::to_string(local_port) + ">" + remote.to_string() +
           ":" + std::to_string(remote_port);
  }
  char buf[160];
  switch (kind) {
    case TraceKind::kTcpSegmentIn:
    case TraceKind::kTcpSegmentOut:
      std::snprintf(buf, sizeof buf, " [%s] seq %u ack %u win %u len %u",
                    flags_string(flags).c_str(), seq, ack, wnd, len);
      out += buf;
      break;
    case TraceKind::kTcpRetransmit:
      std::snprintf(buf, sizeof buf, " %s seq %u len %u", what, seq, len);
      out += buf;
      break;
    case TraceKind::kTcpRttSample:
      out += " rtt " + Duration::nanos(value).to_string() + " rto " +
             Duration::nanos(value2).to_string();
      break;
    case TraceKind::kTcpCongestion:
      std::snprintf(buf, sizeof buf, " %s cwnd %lld ssthresh %lld inflight %lld", what,
                    static_cast<long long>(value), static_cast<long long>(value2),
                    static_cast<long long>(value3));
      out += buf;
      break;
    case TraceKind::kTcpTimer:
      out += std::string(" ") + what + " " + detail;
      if (std::string_view(detail) == "set")
        out += " in " + Duration::nanos(value - at.total_nanos()).to_string();
      break;
    case TraceKind::kTcpWindow:
      std::snprintf(buf, sizeof buf, " %s %u", what, wnd);
      out += buf;
      break;
    case TraceKind::kTcpCaState:
      out += std::string(" ") + what + " (" + detail + ")";
      break;
    case TraceKind::kPacketIn:
    case TraceKind::kPacketOut:
      out += " len " + std::to_string(len);
      if (*what) out += std::string(" ") + what;
      break;
    default:
      if (*what) out += std::string(" ") + what;
      if (value != 0) out += " " + std::to_string(value);
      break;
  }
  return out;
}

}  // namespace ustack
