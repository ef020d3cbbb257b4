// A short connection between two TCP layers in memory (stack/tcp/layer_pair.h), in virtual
// time, seen through the client's events: the handshake, one write, the close from the client
// and TIME-WAIT, with every timer set, fired and cancelled on the way. Pins the sequence of
// events the core emits (the JSON of each kind is pinned in event_json_test).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/tcp/layer_pair.h"
#include "stack/wire/tcp.h"
#include "tools/events/event_json.h"

namespace ustack::events {
namespace {

using namespace ustack::literals;

// One short line per event: what the ladder and a reader care about.
class Summary : public Tracer {
 public:
  void on_event(const TraceEvent& e) override {
    nlohmann::ordered_json j = event_json(e);
    const auto& d = j["data"];
    std::string s = std::to_string(e.at.total_micros()) + "us " + j["event"].get<std::string>();
    if (e.kind == TraceKind::kTcpSegmentIn || e.kind == TraceKind::kTcpSegmentOut) {
      s += " " + d["flags"].get<std::string>() + " len " + std::to_string(e.len);
      if (d.contains("options")) s += " " + d["options"].dump();
    } else if (e.kind == TraceKind::kTcpState) {
      s += " " + d["from"].get<std::string>() + "->" + d["to"].get<std::string>() + " §" +
           d.value("rfc9293", "?");
    } else if (e.kind == TraceKind::kTcpTimer) {
      s += " " + d["timer"].get<std::string>() + " " + d["action"].get<std::string>();
      if (d.contains("in_ns"))
        s += " +" + std::to_string(d["in_ns"].get<std::int64_t>() / 1000) + "us";
    } else if (e.kind == TraceKind::kTcpCongestion) {
      s += " " + d["reason"].get<std::string>() + " " + d.value("phase", "") + " cwnd " +
           std::to_string(e.value);
    } else if (e.kind == TraceKind::kTcpRttSample) {
      s += " rtt " + std::to_string(e.value / 1000) + "us srtt " + std::to_string(e.value3 / 1000) +
           "us rto " + std::to_string(e.value2 / 1000) + "us";
    } else if (e.kind == TraceKind::kTcpWindow) {
      s += " " + d["window"].get<std::string>() + " " + std::to_string(e.wnd);
    }
    lines.push_back(s);
  }
  std::vector<std::string> lines;
};

TEST(LayerPairEvents, HandshakeWriteCloseTimeWait) {
  Summary client;
  TcpLayerConfig cfg;
  cfg.tcp.timestamps = false;  // shorter option lists
  TcpLayerPair p(cfg, cfg, 1_ms, &client, nullptr);
  SocketHandle l = *p.server().listen(p.server_addr(), 80, 8);
  SocketHandle c = *p.client().connect(p.now(), p.client_ip(), p.server_addr(), 80);
  p.run_for(10_ms);
  SocketHandle a = *p.server().accept(l);
  const std::uint8_t data[100] = {};
  ASSERT_EQ(*p.client().send(c, Bytes(data, 100)), 100u);
  p.run_for(10_ms);
  std::uint8_t buf[200];
  ASSERT_EQ(*p.server().recv(a, MutBytes(buf, 200)), 100u);
  EXPECT_FALSE(p.client().close(p.now(), c));
  p.run_for(10_ms);
  EXPECT_FALSE(p.server().close(a));
  p.run_for(61_s);

  // The close is a user call made at 20 ms, which it carries: its state change has that time
  // (not 12 ms, when the connection last saw a segment, the ACK of the data); its FIN goes out
  // at the next poll, the same instant.
  std::string all;
  for (const std::string& s : client.lines) all += s + "\n";
  EXPECT_EQ(all,
            "0us state CLOSED->SYN_SENT §3.10.1\n"
            "0us segment_sent S len 0 {\"mss\":1460,\"wscale\":3,\"sack_permitted\":true}\n"
            "0us timer rto set +1000000us\n"
            "2000us segment_received S. len 0 {\"mss\":1460,\"wscale\":3,\"sack_permitted\":true}\n"
            "2000us rtt_sample rtt 2000us srtt 2000us rto 202000us\n"
            "2000us state SYN_SENT->ESTABLISHED §3.10.7.3\n"
            "2000us cwnd init  cwnd 14600\n"
            "2000us window rcv_wnd 262144\n"
            "2000us segment_sent . len 0\n"
            "2000us timer rto cancelled\n"
            "10000us segment_sent P. len 100\n"
            "10000us timer rto set +202000us\n"
            "10000us timer tlp set +202000us\n"
            "12000us segment_received . len 0\n"
            "12000us rtt_sample rtt 2000us srtt 2000us rto 202000us\n"
            "12000us window snd_wnd 262040\n"
            "12000us timer rto cancelled\n"
            "12000us timer tlp cancelled\n"
            "20000us state ESTABLISHED->FIN_WAIT_1 §3.10.4\n"
            "20000us segment_sent F. len 0\n"
            "20000us timer rto set +202000us\n"
            "20000us timer tlp set +202000us\n"
            "31000us segment_received F. len 0\n"
            "31000us state FIN_WAIT_1->FIN_WAIT_2 §3.10.7.4\n"
            "31000us state FIN_WAIT_2->TIME_WAIT §3.10.7.4\n"
            "31000us window rcv_wnd 262144\n"
            "31000us segment_sent . len 0\n"
            "31000us timer rto cancelled\n"
            "31000us timer time_wait set +60000000us\n"
            "31000us timer tlp cancelled\n"
            "60031000us timer time_wait fired\n"
            "60031000us state TIME_WAIT->CLOSED §3.10.8\n")
      << all;
}

}  // namespace
}  // namespace ustack::events

namespace ustack::events {
namespace {

// A segment the TCP layer drops is an event naming the counter, with the flow as far as known.
TEST(LayerPairEvents, TcpLayerDropsNameTheirCounter) {
  std::vector<std::string> lines;
  class Lines : public Tracer {
   public:
    explicit Lines(std::vector<std::string>& out) : out_(out) {}
    void on_event(const TraceEvent& e) override { out_.push_back(event_json(e).dump()); }

   private:
    std::vector<std::string>& out_;
  } tracer(lines);
  TcpLayerPair p({}, {}, 1_ms, nullptr, &tracer);
  IpRxMeta meta;
  meta.src = p.client_addr();
  meta.dst = p.server_addr();
  // A 20-octet header from port 40000 to 80 whose checksum (zero) is wrong.
  std::uint8_t seg[20] = {0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff};
  p.server().on_packet(Instant::from_millis(3), meta, Bytes(seg, sizeof seg), p.server_ip());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(
      lines[0],
      R"({"time":3000000,"conn":"198.18.0.2:80>198.18.0.1:40000","category":"drop","event":"drop",)"
      R"("data":{"counter":"drops.tcp_bad_checksum"}})");
}

}  // namespace
}  // namespace ustack::events

namespace ustack::events {
namespace {

// segment_sent's `why` for the segments without data: the ACK policy behind each pure ACK
// (quick ACKs at the start, then the delayed-ACK timer), a reset to a closed port, an abort.
TEST(LayerPairEvents, PureAcksAndResetsSayWhy) {
  std::vector<std::string> whys;
  class Whys : public Tracer {
   public:
    explicit Whys(std::vector<std::string>& out) : out_(out) {}
    void on_event(const TraceEvent& e) override {
      if (e.kind == TraceKind::kTcpSegmentOut && e.len == 0 && !(e.flags & 0x03)) {
        out_.push_back(std::string(tcp_flags_string(e.flags)) + " " + e.detail);
      }
    }

   private:
    std::vector<std::string>& out_;
  } server(whys);
  TcpLayerConfig small;
  small.tcp.timestamps = false;
  small.tcp.recv_buffer = 2048;  // two quick ACKs (Linux: rcvbuf / (2 * rcv_mss), at least 2)
  TcpLayerPair p({}, small, 1_ms, nullptr, &server);
  SocketHandle l = *p.server().listen(p.server_addr(), 80, 8);
  SocketHandle c = *p.client().connect(p.now(), p.client_ip(), p.server_addr(), 80);
  p.run_for(10_ms);
  SocketHandle a = *p.server().accept(l);
  const std::uint8_t data[100] = {};
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(*p.client().send(c, Bytes(data, 100)), 100u);
    p.run_for(100_ms);
  }
  // A SYN to a port where nothing listens, then the application aborts.
  ASSERT_TRUE(p.client().connect(p.now(), p.client_ip(), p.server_addr(), 81).ok());
  p.run_for(10_ms);
  p.server().abort(a);
  p.run_for(10_ms);
  EXPECT_EQ(whys, (std::vector<std::string>{". quickack", ". quickack", ". delack", ". delack",
                                            "R. closed-port", "R. abort"}));
}

}  // namespace
}  // namespace ustack::events
