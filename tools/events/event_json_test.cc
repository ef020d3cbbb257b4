// The events format, one golden line per event kind (docs/events.md lists the same fields),
// and the ladder drawn from events.
#include "tools/events/event_json.h"

#include <gtest/gtest.h>

#include <sstream>

#include "stack/wire/tcp.h"
#include "tools/events/ladder.h"

namespace ustack::events {
namespace {

TraceEvent flow_event(TraceKind k) {
  TraceEvent e;
  e.kind = k;
  e.at = Instant::from_micros(1500);
  e.local = Ipv4Addr({198, 18, 0, 2});
  e.remote = Ipv4Addr({198, 18, 0, 1});
  e.local_port = 80;
  e.remote_port = 40000;
  return e;
}

std::string line(const TraceEvent& e) { return event_json(e).dump(); }

constexpr const char* kConn = R"("time":1500000,"conn":"198.18.0.2:80>198.18.0.1:40000",)";

TEST(EventJson, Header) {
  EXPECT_EQ(header_json("replay").dump(),
            R"({"format":"ustack-events","version":1,"schema":"docs/events.md","tool":"replay"})");
}

TEST(EventJson, SegmentWithDecodedOptions) {
  TcpRepr r;
  r.seq = SeqNum(1000);
  r.ack = SeqNum(5001);
  r.flags = tcp_flags::kSyn | tcp_flags::kAck;
  r.window = 65535;
  r.options.mss = 1460;
  r.options.window_scale = 7;
  r.options.sack_permitted = true;
  r.options.timestamps = TcpTimestamps{11, 22};
  r.options.add_sack({SeqNum(5001), SeqNum(6001)});
  TraceEvent e = flow_event(TraceKind::kTcpSegmentOut);
  e.seq = 1000;
  e.ack = 5001;
  e.wnd = 65535;
  e.flags = r.flags;
  e.tcp = &r;
  EXPECT_EQ(line(e),
            std::string("{") + kConn +
                R"("category":"tcp","event":"segment_sent","data":{"flags":"S.",)"
                R"("seq":1000,"ack":5001,"len":0,"wnd":65535,"options":{"mss":1460,)"
                R"("wscale":7,"sack_permitted":true,"ts":[11,22],"sack":[[5001,6001]]}}})");
  e.kind = TraceKind::kTcpSegmentIn;
  e.tcp = nullptr;
  e.flags = tcp_flags::kAck | tcp_flags::kPsh;
  e.len = 100;
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"segment_received","data":{"flags":"P.",)"
                         R"("seq":1000,"ack":5001,"len":100,"wnd":65535}})");
}

TEST(EventJson, StateWithRfcSection) {
  TraceEvent e = flow_event(TraceKind::kTcpState);
  e.what = "SYN_RECEIVED->ESTABLISHED";
  e.detail = "3.10.7.4";
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"state","data":{"from":"SYN_RECEIVED",)"
                         R"("to":"ESTABLISHED","rfc9293":"3.10.7.4"}})");
}

TEST(EventJson, Timers) {
  TraceEvent e = flow_event(TraceKind::kTcpTimer);
  e.what = "rto";
  e.detail = "set";
  e.value = Instant::from_micros(1500 + 201000).total_nanos();
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"timer","data":{"timer":"rto",)"
                         R"("action":"set","deadline":202500000,"in_ns":201000000}})");
  e.detail = "fired";
  e.what = "delack";
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"timer","data":{"timer":"delack",)"
                         R"("action":"fired"}})");
  e.detail = "cancelled";
  e.what = "time_wait";
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"timer","data":{"timer":"time_wait",)"
                         R"("action":"cancelled"}})");
}

TEST(EventJson, RttSample) {
  TraceEvent e = flow_event(TraceKind::kTcpRttSample);
  e.what = "rtt";
  e.value = 2000000;
  e.value2 = 202000000;
  e.value3 = 2000000;
  e.value4 = 1000000;
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"rtt_sample","data":{"rtt_ns":2000000,)"
                         R"("srtt_ns":2000000,"rttvar_ns":1000000,"rto_ns":202000000}})");
}

TEST(EventJson, CongestionWithReason) {
  TraceEvent e = flow_event(TraceKind::kTcpCongestion);
  e.what = "ack";
  e.detail = "slow-start";
  e.len = 1448;
  e.value = 15928;
  e.value2 = 0x7fffffff;
  e.value3 = 2896;
  e.value4 = 2896;
  e.wnd = 64000;
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"cwnd","data":{"reason":"ack",)"
                         R"("phase":"slow-start","acked":1448,"cwnd":15928,"ssthresh":2147483647,)"
                         R"("inflight":2896,"pipe":2896,"rwnd":64000}})");
}

TEST(EventJson, CaStateWithReason) {
  TraceEvent e = flow_event(TraceKind::kTcpCaState);
  e.what = "Disorder->Recovery";
  e.detail = "dup-acks";
  e.value = 10220;
  e.value2 = 10220;
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"ca_state","data":{"from":"Disorder",)"
                         R"("to":"Recovery","reason":"dup-acks","cwnd":10220,"ssthresh":10220}})");
}

TEST(EventJson, RetransmitAndWindow) {
  TraceEvent e = flow_event(TraceKind::kTcpRetransmit);
  e.what = "fast";
  e.seq = 7;
  e.len = 1448;
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"retransmit","data":{"reason":"fast",)"
                         R"("seq":7,"len":1448}})");
  e = flow_event(TraceKind::kTcpWindow);
  e.what = "rcv_wnd";
  e.wnd = 4096;
  EXPECT_EQ(line(e), std::string("{") + kConn +
                         R"("category":"tcp","event":"window","data":{"window":"rcv_wnd",)"
                         R"("value":4096}})");
}

TEST(EventJson, StackEventsWithoutFlow) {
  TraceEvent e;
  e.at = Instant::from_nanos(5);
  e.kind = TraceKind::kPacketIn;
  e.what = "rx";
  e.len = 60;
  EXPECT_EQ(line(e),
            R"({"time":5,"category":"device","event":"packet_received","data":{"len":60}})");
  e.kind = TraceKind::kPacketOut;
  EXPECT_EQ(line(e), R"({"time":5,"category":"device","event":"packet_sent","data":{"len":60}})");
  e.kind = TraceKind::kDrop;
  e.what = "drops.ipv4_bad_checksum";
  e.len = 0;
  EXPECT_EQ(
      line(e),
      R"({"time":5,"category":"drop","event":"drop","data":{"counter":"drops.ipv4_bad_checksum"}})");
  e.kind = TraceKind::kNeighbor;
  e.what = "DAD-ok";
  e.local = Ipv6Addr::from_bytes(
      Bytes(reinterpret_cast<const std::uint8_t*>("\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x02"), 16));
  EXPECT_EQ(
      line(e),
      R"({"time":5,"category":"ip","event":"neighbor","data":{"change":"DAD-ok","addr":"fd00::2"}})");
  e = TraceEvent{};
  e.at = Instant::from_nanos(5);
  e.kind = TraceKind::kIcmp;
  e.what = "echo-request";
  e.len = 64;
  e.value = 8;
  e.local = Ipv4Addr({198, 18, 0, 1});
  e.remote = Ipv4Addr({198, 18, 0, 2});
  EXPECT_EQ(line(e), R"({"time":5,"category":"ip","event":"icmp","data":{"message":"echo-request",)"
                     R"("len":64,"type":8,"from":"198.18.0.1","to":"198.18.0.2"}})");
}

TEST(EventJson, Ipv6ConnectionName) {
  TraceEvent e = flow_event(TraceKind::kTcpState);
  e.local = Ipv6Addr::from_bytes(
      Bytes(reinterpret_cast<const std::uint8_t*>("\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x02"), 16));
  e.remote = Ipv6Addr::from_bytes(
      Bytes(reinterpret_cast<const std::uint8_t*>("\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"), 16));
  EXPECT_EQ(connection_name(e), "[fd00::2]:80>[fd00::1]:40000");
}

std::string draw(const std::string& input, LadderOptions o = {}) {
  Ladder l(o);
  std::string out = l.heading();
  std::istringstream in(input);
  std::string ln;
  while (std::getline(in, ln)) out += l.feed(ln);
  return out;
}

constexpr const char* kHeader =
    R"({"format":"ustack-events","version":1,"schema":"docs/events.md","tool":"test"})"
    "\n";

TEST(Ladder, HandshakeRelativeNumbersStateAndCwnd) {
  const std::string c = R"("conn":"198.18.0.2:80>198.18.0.1:4000",)";
  std::string in = kHeader;
  in += R"({"time":1000000,)" + c +
        R"("category":"tcp","event":"segment_received","data":{"flags":"S","seq":500,"ack":0,)"
        R"("len":0,"wnd":64240,"options":{"mss":1460,"wscale":7}}})"
        "\n";
  in += R"({"time":1000000,)" + c +
        R"("category":"tcp","event":"state","data":{"from":"LISTEN","to":"SYN_RECEIVED",)"
        R"("rfc9293":"3.10.7.2"}})"
        "\n";
  in += R"({"time":1000000,)" + c +
        R"("category":"tcp","event":"segment_sent","data":{"flags":"S.","seq":9000,"ack":501,)"
        R"("len":0,"wnd":65535,"options":{"mss":1460,"wscale":2}}})"
        "\n";
  in += R"({"time":1000000,)" + c +
        R"("category":"tcp","event":"timer","data":{"timer":"rto","action":"set",)"
        R"("deadline":1001000000,"in_ns":1000000000}})"
        "\n";
  in += R"({"time":3000000,)" + c +
        R"("category":"tcp","event":"segment_received","data":{"flags":".","seq":501,)"
        R"("ack":9001,"len":0,"wnd":502}})"
        "\n";
  in += R"({"time":3000000,)" + c +
        R"("category":"tcp","event":"cwnd","data":{"reason":"ack","cwnd":14600,)"
        R"("ssthresh":4294967295,"inflight":0,"pipe":0,"rwnd":64256}})"
        "\n";
  in += R"({"time":3500000,)" + c +
        R"("category":"tcp","event":"retransmit","data":{"reason":"rto","seq":9001,"len":100}})"
        "\n";
  in += R"({"time":3500000,)" + c +
        R"("category":"tcp","event":"segment_sent","data":{"flags":"P.","seq":9001,"ack":501,)"
        R"("len":100,"wnd":16000}})"
        "\n";
  in += R"({"time":3500000,)" + c +
        R"("category":"tcp","event":"cwnd","data":{"reason":"rto","cwnd":1460,)"
        R"("ssthresh":2920,"inflight":100,"pipe":100,"rwnd":64256}})"
        "\n";
  // Each row starts with its event's number (the header line is not an event).
  EXPECT_EQ(draw(in),
            "     #        ms  local                                                          "
            "remote\n"
            "      --- 198.18.0.2:80>198.18.0.1:4000\n"
            "     1     0.000                                                           <---  "
            "S 0:0(0) win 64240 <mss 1460,wscale 7>\n"
            "     2     0.000  == LISTEN -> SYN_RECEIVED (RFC 9293 §3.10.7.2)\n"
            "     3     0.000  S. 0:0(0) ack 1 win 65535 <mss 1460,wscale 2>            --->\n"
            "     5     2.000                                                           <---  "
            ". 1:1(0) ack 1 win 64256\n"
            "     8     2.500  RTX(rto) P. 1:101(100) ack 1 win 64000                   --->  "
            "cwnd 14600 ssthresh inf\n"
            "     9     2.500  !! cwnd 14600 -> 1460 ssthresh 2920 (rto)\n");
  // Without numbers, as before.
  LadderOptions plain;
  plain.numbers = false;
  EXPECT_EQ(draw(in, plain).substr(0, 133),
            "        ms  local                                                          remote\n"
            "--- 198.18.0.2:80>198.18.0.1:4000\n"
            "     0.000       ");
  LadderOptions timers;
  timers.timers = true;
  EXPECT_NE(draw(in, timers).find("     4     0.000  .. rto timer set (in 1000.000 ms)\n"),
            std::string::npos)
      << draw(in, timers);
  LadderOptions other;
  other.conn = "198.18.0.2:80>198.18.0.1:4001";
  EXPECT_EQ(draw(in, other), Ladder({}).heading());
}

TEST(Ladder, BadInputSaysWhichLine) {
  Ladder l({});
  EXPECT_THROW(l.feed(R"({"format":"pcap"})"), EventsInputError);
  Ladder v({});
  try {
    v.feed(R"({"format":"ustack-events","version":2})");
    FAIL();
  } catch (const EventsInputError& e) {
    EXPECT_STREQ(e.what(), "line 1: events format version 2, this ustack reads version 1");
  }
  Ladder s({});
  try {
    s.feed(R"({"format":"ustack-events","version":"1"})");
    FAIL();
  } catch (const EventsInputError& e) {
    EXPECT_STREQ(e.what(), "line 1: events format version \"1\", this ustack reads version 1");
  }
  Ladder u({});
  u.feed(kHeader);
  EXPECT_THROW(u.feed(R"({"time":"x","event":"state","data":{}})"), EventsInputError);
  EXPECT_THROW(u.feed(R"({"time":1,"event":"state","data":{"from":1}})"), EventsInputError);
  Ladder t({});
  t.feed(kHeader);
  try {
    t.feed(R"({"time":1,"event":"state","da)");
    FAIL();
  } catch (const EventsInputError& e) {
    EXPECT_STREQ(e.what(), "line 2: not JSON (a truncated or foreign file?)");
  }
}

}  // namespace
}  // namespace ustack::events
