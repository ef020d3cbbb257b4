// The report generator: the series it extracts from events (points per chart, relative
// sequence numbers, the window edge, recovery periods), strings from the events embedded so
// that none can leave its <script> element, and bad input refused with the line it is on.
#include "tools/report/report.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ustack::report {
namespace {

constexpr char kHeader[] = R"({"format":"ustack-events","version":1,"tool":"test"})";
constexpr char kConn[] = "198.18.0.2:40000>198.18.0.1:80";

// An event line of kConn at `ms` milliseconds.
std::string ev(int ms, const std::string& event, const std::string& data,
               const std::string& conn = kConn) {
  return R"({"time":)" + std::to_string(1'000'000'000LL + ms * 1'000'000LL) + R"(,"conn":")" +
         conn + R"(","category":"tcp","event":")" + event + R"(","data":)" + data + "}\n";
}

std::string seg(const char* flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t len,
                std::uint32_t wnd, const std::string& options = "") {
  return R"({"flags":")" + std::string(flags) + R"(","seq":)" + std::to_string(seq) + R"(,"ack":)" +
         std::to_string(ack) + R"(,"len":)" + std::to_string(len) + R"(,"wnd":)" +
         std::to_string(wnd) + (options.empty() ? "" : R"(,"options":)" + options) + "}";
}

std::string cwnd(const char* reason, int cwnd, long ssthresh, const char* phase = nullptr) {
  return R"({"reason":")" + std::string(reason) + "\"" +
         (phase ? R"(,"phase":")" + std::string(phase) + "\"" : "") + R"(,"cwnd":)" +
         std::to_string(cwnd) + R"(,"ssthresh":)" + std::to_string(ssthresh) +
         R"(,"inflight":0,"pipe":0,"rwnd":65535})";
}

nlohmann::ordered_json data_of(const std::string& events, const ReportOptions& o = {}) {
  std::istringstream in(kHeader + std::string("\n") + events);
  return report_data(in, o);
}

// A sender (ISN 1000) that loses its second segment: a SACK, fast retransmit, a TLP probe, the
// end of recovery on an ACK growing the window.
std::string lossy_sender() {
  return ev(0, "state", R"({"from":"CLOSED","to":"SYN_SENT","rfc9293":"3.10.1"})") +
         ev(0, "segment_sent", seg("S", 1000, 0, 0, 65535, R"({"mss":1460,"wscale":7})")) +
         ev(10, "segment_received", seg("S.", 5000, 1001, 0, 65535, R"({"mss":1460,"wscale":2})")) +
         ev(10, "state", R"({"from":"SYN_SENT","to":"ESTABLISHED","rfc9293":"3.10.7.3"})") +
         ev(10, "cwnd", cwnd("init", 14600, 2147483647)) +
         ev(10, "segment_sent", seg(".", 1001, 5001, 0, 512)) +
         ev(11, "segment_sent", seg("P.", 1001, 5001, 100, 512)) +
         ev(11, "segment_sent", seg("P.", 1101, 5001, 100, 512)) +
         ev(11, "segment_sent", seg("P.", 1201, 5001, 100, 512)) +
         ev(21, "segment_received", seg(".", 5001, 1101, 0, 1000, R"({"sack":[[1201,1301]]})")) +
         ev(21, "rtt_sample",
            R"({"rtt_ns":10000000,"srtt_ns":10000000,"rttvar_ns":5000000,"rto_ns":200000000})") +
         ev(21, "cwnd", cwnd("fast-retransmit", 7300, 7300)) +
         ev(21, "retransmit", R"({"reason":"fast","seq":1101,"len":100})") +
         ev(21, "segment_sent", seg("P.", 1101, 5001, 100, 512)) +
         ev(25, "timer", R"({"timer":"tlp","action":"fired"})") +
         ev(25, "segment_sent", seg("P.", 1301, 5001, 50, 512)) +
         ev(31, "segment_received", seg(".", 5001, 1351, 0, 1000)) +
         ev(31, "cwnd", cwnd("ack", 7400, 7300, "congestion-avoidance")) +
         ev(32, "drop", R"({"counter":"drops.tcp_bad_checksum"})");
}

TEST(ReportData, SegmentsAcksSacksAndKindsOfTheSendingStack) {
  const auto d = data_of(lossy_sender());
  ASSERT_EQ(d["conns"].size(), 1u);
  const auto& c = d["conns"][0];
  EXPECT_EQ(c["name"], kConn);
  EXPECT_EQ(c["sender"], "local");
  // SYN (0..1), three new segments, the fast retransmission (kind 1), the TLP probe (kind 2);
  // the pure ACK is no bar.
  const auto want = nlohmann::ordered_json::parse(
      "[[0,0,1,0],[11,1,101,0],[11,101,201,0],[11,201,301,0],[21,101,201,1],[25,301,351,2]]");
  EXPECT_EQ(c["segments"], want);
  // The peer's SYN-ACK window is unscaled (RFC 7323 §2.2); later ones scaled by its wscale 2.
  EXPECT_EQ(c["acks"], nlohmann::ordered_json::parse("[[10,1,65536],[21,101,4101],[31,351,4351]]"));
  EXPECT_EQ(c["sacks"], nlohmann::ordered_json::parse("[[21,201,301]]"));
  EXPECT_EQ(c["rtt"], nlohmann::ordered_json::parse("[[21,10.0,10.0,200.0]]"));
  EXPECT_EQ(c["states"],
            nlohmann::ordered_json::parse(R"([[0,"CLOSED"],[0,"SYN_SENT"],[10,"ESTABLISHED"]])"));
  EXPECT_EQ(d["end_ms"], 32.0);
}

TEST(ReportData, CwndSeriesAndRecoveryFromFastRetransmitToTheFirstGrowingAck) {
  const auto c = data_of(lossy_sender())["conns"][0];
  ASSERT_EQ(c["cwnd"].size(), 3u);
  EXPECT_TRUE(c["cwnd"][0][2].is_null());  // ssthresh not yet set: no point
  EXPECT_EQ(c["cwnd"][1], nlohmann::ordered_json::parse("[21,7300,7300,0,0,65535]"));
  EXPECT_EQ(c["recovery"], nlohmann::ordered_json::parse(R"([[21,31,"fast-retransmit"]])"));
}

TEST(ReportData, RepeatedRtosAreOneRecoveryPeriodClosedAtTheEndWhenNoAckCame) {
  const std::string events =
      ev(0, "cwnd", cwnd("init", 10000, 2147483647)) + ev(100, "cwnd", cwnd("rto", 1000, 5000)) +
      ev(300, "cwnd", cwnd("rto", 1000, 5000)) + ev(400, "cwnd", cwnd("prr", 1000, 5000));
  const auto c = data_of(events)["conns"][0];
  EXPECT_EQ(c["recovery"], nlohmann::ordered_json::parse(R"([[100,400,"rto"]])"));
}

TEST(ReportData, CountersPerConnectionAndForTheRun) {
  const auto d =
      data_of(lossy_sender() +
              R"({"time":1050000000,"category":"device","event":"packet_sent","data":{"len":60}})"
              "\n");
  const auto& counters = d["conns"][0]["counters"];
  auto value = [&](const std::string& name) -> nlohmann::ordered_json {
    for (const auto& row : counters)
      if (row[0] == name) return row[1];
    return nullptr;
  };
  EXPECT_EQ(value("segments sent"), 7);
  EXPECT_EQ(value("segments received"), 3);
  EXPECT_EQ(value("data octets sent"), 450);
  EXPECT_EQ(value("retransmissions (fast)"), 1);
  EXPECT_EQ(value("timer fired: tlp"), 1);
  EXPECT_EQ(value("cwnd reductions (fast-retransmit)"), 1);
  EXPECT_EQ(value("drops: drops.tcp_bad_checksum"), 1);
  EXPECT_EQ(d["counters"],
            nlohmann::ordered_json::parse(
                R"([["drops: drops.tcp_bad_checksum",1],["device packet_sent",1]])"));
}

// A receiving stack: the graph is of the peer's data (segments received, our ACKs); a segment
// below the highest sequence number seen is a retransmission.
TEST(ReportData, ReceivingStackGraphsThePeersDataAndSpotsItsRetransmissions) {
  const std::string events = ev(0, "segment_received", seg("P.", 7001, 1, 100, 100)) +
                             ev(1, "segment_received", seg("P.", 7101, 1, 100, 100)) +
                             ev(1, "segment_sent", seg(".", 1, 7201, 0, 300)) +
                             ev(5, "segment_received", seg("P.", 7001, 1, 100, 100));
  const auto c = data_of(events)["conns"][0];
  EXPECT_EQ(c["sender"], "remote");
  EXPECT_EQ(c["segments"],
            nlohmann::ordered_json::parse("[[0,1,101,0],[1,101,201,0],[5,1,101,1]]"));
  EXPECT_EQ(c["acks"], nlohmann::ordered_json::parse("[[1,201,501]]"));
}

TEST(ReportData, ConnKeepsOneConnection) {
  const std::string other = "198.18.0.2:40001>198.18.0.1:80";
  const std::string events =
      lossy_sender() + ev(40, "segment_sent", seg("P.", 1, 1, 10, 100), other);
  EXPECT_EQ(data_of(events)["conns"].size(), 2u);
  ReportOptions o;
  o.conn = other;
  const auto d = data_of(events, o);
  ASSERT_EQ(d["conns"].size(), 1u);
  EXPECT_EQ(d["conns"][0]["name"], other);
}

// The embedded JSON between the data element's tags.
std::string embedded(const std::string& html) {
  const std::string open = R"(<script type="application/json" id="ustack-data">)";
  const auto from = html.find(open);
  if (from == std::string::npos) return "";
  const auto to = html.find("</script>", from);
  return html.substr(from + open.size(), to - from - open.size());
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(ReportHtml, NoStringFromTheEventsLeavesItsScriptElement) {
  const std::string evil = "</script><script>alert(1)</script><!-- \xe2\x80\xa8 &amp;";
  ReportOptions o;
  o.title = "</title><script>alert(2)</script>";
  std::istringstream in(kHeader + std::string("\n") +
                        ev(0, "segment_sent", seg("P.", 1, 1, 10, 100), evil));
  const auto d = report_data(in, o);
  const std::string html = render_html(d);
  // Our three script elements (data, dygraphs, the page's script) and no other.
  EXPECT_EQ(count(html, "<script"), 3u);
  EXPECT_EQ(count(html, "</script>"), 3u);
  EXPECT_EQ(html.find("alert(1)</script>"), std::string::npos);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  EXPECT_EQ(html.find("alert(2)</script>"), std::string::npos);
  // The data round-trips: the page reads back exactly the connection's name.
  const auto back = nlohmann::ordered_json::parse(embedded(html));
  EXPECT_EQ(back["conns"][0]["name"], evil);
  EXPECT_EQ(back["title"], o.title);
  EXPECT_EQ(back, d);
}

TEST(ReportHtml, ScriptSafeJsonEscapesTheCharactersThatEndElementsOrLines) {
  nlohmann::ordered_json j = {{"s", "<>&\xe2\x80\xa8\xe2\x80\xa9"}};
  EXPECT_EQ(script_safe_json(j), R"({"s":"\u003c\u003e\u0026\u2028\u2029"})");
}

TEST(ReportHtml, InlinesTheChartingLibraryAndNeedsNoNetwork) {
  const std::string html = render_html(data_of(lossy_sender()));
  EXPECT_NE(html.find("Dygraph"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("sourceMappingURL"), std::string::npos);
}

// Bad input: the error names the line and what is wrong with it.
std::string error_of(const std::string& input) {
  std::istringstream in(input);
  try {
    report_data(in, {});
  } catch (const events::EventsInputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ReportData, BadInputIsRefusedWithItsLine) {
  const std::string full = kHeader + std::string("\n") + lossy_sender();
  const auto end_of_line_2 = full.find('\n', full.find('\n') + 1);
  EXPECT_EQ(error_of(full.substr(0, end_of_line_2 + 30)),
            "line 3: not JSON (a truncated or foreign file?)");
  EXPECT_EQ(error_of("\xd4\xc3\xb2\xa1\x02\x00\x04\x00"),
            "line 1: not JSON (a truncated or foreign file?)");
  EXPECT_EQ(error_of("{\"qlog_version\":\"0.3\"}\n"),
            "line 1: not a ustack events file (no {\"format\":\"ustack-events\"} first line)");
  EXPECT_EQ(error_of(R"({"format":"ustack-events","version":2})"),
            "line 1: events format version 2, this ustack reads version 1");
  EXPECT_EQ(error_of(""), "empty input: not a ustack events file");
  EXPECT_EQ(error_of(kHeader + std::string("\n") + ev(0, "segment_sent", R"({"flags":"S"})")),
            "line 2: bad segment_sent event");
  EXPECT_EQ(error_of(kHeader + std::string("\n{\"time\":1}\n")),
            "line 2: not an event (time, event and data are required)");
}

}  // namespace
}  // namespace ustack::report
