// pcap / pcapng file I/O: our writer read back by our reader and by tshark, real captures
// made by tcpdump and tshark (pcap_tests/captures/, see its README.md) checked against
// tshark's own listing, link-header stripping, and the error messages for bad files.
#include "tun/pcap_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace ustack::tun {
namespace {

std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/pcap_file_test_" +
         std::to_string(getpid()) + "_" + name;
}

ByteVec bytes_of(std::size_t n, std::uint8_t first) {
  ByteVec b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(first + i);
  return b;
}

// An IPv4 header's first octets followed by filler, so network_packet() sees version 4.
ByteVec ipv4_packet(std::size_t n) {
  ByteVec b = bytes_of(n, 0);
  b[0] = 0x45;
  return b;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const PcapError& e) {
    return e.what();
  }
  return "(no PcapError thrown)";
}

// Runs a command and returns its standard output.
std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// One line of `tshark -T fields -e frame.len -e frame.cap_len -e frame.time_epoch`.
struct TsharkFrame {
  std::uint32_t len = 0;
  std::uint32_t cap_len = 0;
  std::int64_t epoch_nanos = 0;
};

// "1795614614.879644683" -> nanoseconds, exactly (no floating point).
std::int64_t parse_epoch_nanos(const std::string& s) {
  const auto dot = s.find('.');
  std::int64_t seconds = std::stoll(s.substr(0, dot));
  std::string fraction = dot == std::string::npos ? "" : s.substr(dot + 1);
  fraction.resize(9, '0');
  return seconds * 1'000'000'000 + std::stoll(fraction);
}

std::vector<TsharkFrame> parse_tshark_fields(const std::string& text) {
  std::vector<TsharkFrame> frames;
  std::istringstream in(text);
  std::string len, cap_len, epoch;
  while (in >> len) {
    TsharkFrame f;
    f.len = static_cast<std::uint32_t>(std::stoul(len));
    if (in >> cap_len >> epoch) {
      f.cap_len = static_cast<std::uint32_t>(std::stoul(cap_len));
      f.epoch_nanos = parse_epoch_nanos(epoch);
    }
    frames.push_back(f);
  }
  return frames;
}

std::vector<TsharkFrame> tshark_frames(const std::string& path) {
  return parse_tshark_fields(run("tshark -r '" + path +
                                 "' -T fields -e frame.len -e frame.cap_len -e frame.time_epoch "
                                 "2>/dev/null"));
}

// ---------------------------------------------------------------------------------------------
// Writer -> reader.

TEST(PcapWriterTest, RawIpMicrosecondsReadBackWithMicrosecondTimestamps) {
  const std::string path = temp_path("raw_us.pcap");
  const ByteVec a = ipv4_packet(40), b = ipv4_packet(1500);
  {
    PcapWriter w(path, LinkType::kRaw);
    w.write(Instant::from_nanos(1'700'000'000'123'456'789), a);
    w.write(Instant::from_nanos(1'700'000'001'000'000'999), b);
    EXPECT_EQ(w.packets_written(), 2u);
  }
  PcapReader r(path);
  EXPECT_EQ(r.link_type(), LinkType::kRaw);
  auto records = r.read_all();
  ASSERT_EQ(records.size(), 2u);
  // Microsecond files keep microseconds: the nanoseconds are cut off.
  EXPECT_EQ(records[0].timestamp, Instant::from_nanos(1'700'000'000'123'456'000));
  EXPECT_EQ(records[1].timestamp, Instant::from_nanos(1'700'000'001'000'000'000));
  EXPECT_EQ(records[0].data, a);
  EXPECT_EQ(records[1].data, b);
  EXPECT_EQ(records[1].original_len, 1500u);
  EXPECT_EQ(records[1].link_type, LinkType::kRaw);
}

TEST(PcapWriterTest, EthernetNanosecondsReadBackExactly) {
  const std::string path = temp_path("eth_ns.pcap");
  const ByteVec frame = bytes_of(60, 1);
  {
    PcapWriter w(path, LinkType::kEthernet, {.precision = TimestampPrecision::kNano});
    w.write(Instant::from_nanos(1'700'000'000'123'456'789), frame);
  }
  PcapReader r(path);
  EXPECT_EQ(r.link_type(), LinkType::kEthernet);
  PcapRecord rec;
  ASSERT_TRUE(r.next(rec));
  EXPECT_EQ(rec.timestamp, Instant::from_nanos(1'700'000'000'123'456'789));
  EXPECT_EQ(rec.data, frame);
  EXPECT_FALSE(r.next(rec));
}

TEST(PcapWriterTest, SnaplenCutsLongPacketsAndKeepsOriginalLength) {
  const std::string path = temp_path("snap.pcap");
  {
    PcapWriter w(path, LinkType::kRaw, {.snaplen = 64});
    w.write(Instant::from_micros(1), ipv4_packet(100));
    w.write(Instant::from_micros(2), ipv4_packet(30), 1400);  // already cut by the caller
  }
  auto records = PcapReader(path).read_all();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].data.size(), 64u);
  EXPECT_EQ(records[0].original_len, 100u);
  EXPECT_EQ(records[1].data.size(), 30u);
  EXPECT_EQ(records[1].original_len, 1400u);
}

// A crash must leave a readable file: every packet is on disk as soon as write() returns.
TEST(PcapWriterTest, PacketsAreReadableBeforeTheWriterCloses) {
  const std::string path = temp_path("flush.pcap");
  PcapWriter w(path, LinkType::kRaw);
  EXPECT_TRUE(PcapReader(path).read_all().empty());  // header alone is a valid capture
  w.write(Instant::from_micros(10), ipv4_packet(20));
  w.write(Instant::from_micros(20), ipv4_packet(21));
  EXPECT_EQ(PcapReader(path).read_all().size(), 2u);
}

TEST(PcapWriterTest, WriteAfterCloseThrows) {
  PcapWriter w(temp_path("closed.pcap"), LinkType::kRaw);
  w.close();
  EXPECT_EQ(error_of([&] { w.write(Instant::zero(), ipv4_packet(20)); }),
            "write to a closed capture file");
}

TEST(PcapWriterTest, UncreatableFileIsAClearError) {
  EXPECT_EQ(error_of([] { PcapWriter("/nonexistent-dir/x.pcap", LinkType::kRaw); }),
            "cannot create capture file /nonexistent-dir/x.pcap: No such file or directory");
}

// What we write must be what Wireshark's reader sees: same count, lengths and times.
TEST(PcapWriterTest, TsharkReadsOurFilesWithTheSameLengthsAndTimes) {
  for (auto precision : {TimestampPrecision::kMicro, TimestampPrecision::kNano}) {
    for (auto link : {LinkType::kRaw, LinkType::kEthernet}) {
      SCOPED_TRACE(to_string(link) + (precision == TimestampPrecision::kNano ? " ns" : " us"));
      const std::string path = temp_path("tshark_" + to_string(link) + ".pcap");
      const std::int64_t t0 = 1'764'000'000'000'000'000;
      {
        PcapWriter w(path, link, {.precision = precision});
        w.write(Instant::from_nanos(t0 + 1'000), ipv4_packet(60));
        w.write(Instant::from_nanos(t0 + 2'500'123), ipv4_packet(1514));
      }
      auto frames = tshark_frames(path);
      ASSERT_EQ(frames.size(), 2u) << "tshark on PATH? (apt-get install tshark)";
      EXPECT_EQ(frames[0].len, 60u);
      EXPECT_EQ(frames[1].len, 1514u);
      const std::int64_t expect_1 =
          precision == TimestampPrecision::kNano ? t0 + 2'500'123 : t0 + 2'500'000;
      EXPECT_EQ(frames[0].epoch_nanos, t0 + 1'000);
      EXPECT_EQ(frames[1].epoch_nanos, expect_1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// pcapng

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::uint32_t u32_at(const std::vector<std::uint8_t>& b, std::size_t off) {
  std::uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

std::uint16_t u16_at(const std::vector<std::uint8_t>& b, std::size_t off) {
  std::uint16_t v;
  std::memcpy(&v, b.data() + off, 2);
  return v;
}

std::string text_at(const std::vector<std::uint8_t>& b, std::size_t off, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(b.data() + off), n);
}

TEST(PcapngTest, FormatFollowsTheSuffix) {
  EXPECT_EQ(capture_format_for("a.pcapng"), CaptureFormat::kPcapng);
  EXPECT_EQ(capture_format_for("/x/y.pcap"), CaptureFormat::kPcap);
  EXPECT_EQ(capture_format_for("pcapng"), CaptureFormat::kPcap);
  EXPECT_EQ(capture_format_for("-"), CaptureFormat::kPcap);
}

// The blocks octet by octet (draft-ietf-opsawg-pcapng §4.1-§4.3, host byte order).
TEST(PcapngTest, BlockLayout) {
  const std::string path = temp_path("layout.pcapng");
  const ByteVec packet = ipv4_packet(21);  // padded to 24 in the block
  {
    PcapWriter w(path, LinkType::kRaw,
                 {.snaplen = 1500,
                  .format = CaptureFormat::kPcapng,
                  .if_name = "ust0",
                  .if_description = "ustack tun ust0 198.18.0.2/24"});
    w.write(Instant::from_nanos(0x1'0000'0002), packet, std::nullopt,
            {PacketDirection::kSent, "why"});
    w.write(Instant::from_nanos(7), packet);  // no options at all
    EXPECT_EQ(w.bytes_written(), file_bytes(path).size());
  }
  const auto b = file_bytes(path);
  // SHB: type, length 44, BOM, 1.0, section length -1, shb_userappl "ustack" (6 -> 8), end.
  ASSERT_GE(b.size(), 44u);
  EXPECT_EQ(u32_at(b, 0), 0x0A0D0D0Au);
  EXPECT_EQ(u32_at(b, 4), 44u);
  EXPECT_EQ(u32_at(b, 8), 0x1A2B3C4Du);
  EXPECT_EQ(u16_at(b, 12), 1u);
  EXPECT_EQ(u16_at(b, 14), 0u);
  EXPECT_EQ(u32_at(b, 16), 0xffffffffu);
  EXPECT_EQ(u16_at(b, 24), 4u);  // shb_userappl
  EXPECT_EQ(u16_at(b, 26), 6u);
  EXPECT_EQ(text_at(b, 28, 6), "ustack");
  EXPECT_EQ(u32_at(b, 36), 0u);   // opt_endofopt
  EXPECT_EQ(u32_at(b, 40), 44u);  // trailing length
  // IDB at 44: type 1, linktype 101, snaplen, if_name, if_description, if_tsresol 9, end.
  std::size_t i = 44;
  EXPECT_EQ(u32_at(b, i), 1u);
  const std::uint32_t idb_len = u32_at(b, i + 4);
  EXPECT_EQ(idb_len, 16u + (4 + 4) + (4 + 32) + (4 + 4) + 4 + 4);
  EXPECT_EQ(u16_at(b, i + 8), 101u);
  EXPECT_EQ(u32_at(b, i + 12), 1500u);
  EXPECT_EQ(u16_at(b, i + 16), 2u);
  EXPECT_EQ(u16_at(b, i + 18), 4u);
  EXPECT_EQ(text_at(b, i + 20, 4), "ust0");
  EXPECT_EQ(u16_at(b, i + 24), 3u);
  EXPECT_EQ(u16_at(b, i + 26), 29u);
  EXPECT_EQ(text_at(b, i + 28, 29), "ustack tun ust0 198.18.0.2/24");
  EXPECT_EQ(u16_at(b, i + 60), 9u);  // if_tsresol
  EXPECT_EQ(u16_at(b, i + 62), 1u);
  EXPECT_EQ(b[i + 64], 9u);
  EXPECT_EQ(u32_at(b, i + 68), 0u);  // opt_endofopt
  EXPECT_EQ(u32_at(b, i + idb_len - 4), idb_len);
  // EPB: interface 0, timestamp high/low, caplen 21, len 21, data padded to 24, opt_comment
  // "why" (3 -> 4), epb_flags outbound (2), end.
  i += idb_len;
  EXPECT_EQ(u32_at(b, i), 6u);
  EXPECT_EQ(u32_at(b, i + 4), 28u + 24 + 8 + 8 + 4 + 4);
  EXPECT_EQ(u32_at(b, i + 8), 0u);
  EXPECT_EQ(u32_at(b, i + 12), 1u);
  EXPECT_EQ(u32_at(b, i + 16), 2u);
  EXPECT_EQ(u32_at(b, i + 20), 21u);
  EXPECT_EQ(u32_at(b, i + 24), 21u);
  EXPECT_EQ(b[i + 28], 0x45);
  EXPECT_EQ(b[i + 28 + 21], 0u);  // padding
  EXPECT_EQ(u16_at(b, i + 52), 1u);
  EXPECT_EQ(u16_at(b, i + 54), 3u);
  EXPECT_EQ(text_at(b, i + 56, 3), "why");
  EXPECT_EQ(u16_at(b, i + 60), 2u);
  EXPECT_EQ(u16_at(b, i + 62), 4u);
  EXPECT_EQ(u32_at(b, i + 64), 2u);
  EXPECT_EQ(u32_at(b, i + 68), 0u);
  i += u32_at(b, i + 4);
  // The second EPB has no options: 28 + 24 + 4.
  EXPECT_EQ(u32_at(b, i + 4), 56u);
  EXPECT_EQ(i + 56, b.size());
}

TEST(PcapngTest, LibpcapReadsItBack) {
  const std::string path = temp_path("roundtrip.pcapng");
  const ByteVec a = ipv4_packet(40), c = ipv4_packet(1500);
  {
    PcapWriter w(path, LinkType::kRaw, {.snaplen = 100, .format = CaptureFormat::kPcapng});
    w.write(Instant::from_nanos(1'700'000'000'123'456'789), a, std::nullopt,
            {PacketDirection::kReceived, "first"});
    w.write(Instant::from_nanos(1'700'000'001'000'000'001), c);
  }
  PcapReader r(path);
  EXPECT_EQ(r.link_type(), LinkType::kRaw);
  EXPECT_EQ(r.snaplen(), 100u);
  auto records = r.read_all();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].timestamp, Instant::from_nanos(1'700'000'000'123'456'789));
  EXPECT_EQ(records[0].data, a);
  EXPECT_EQ(records[1].timestamp, Instant::from_nanos(1'700'000'001'000'000'001));
  EXPECT_EQ(records[1].original_len, 1500u);
  EXPECT_EQ(records[1].data.size(), 100u);
}

class FixedCommenter : public PacketCommenter {
 public:
  std::string comment(Instant, PacketDirection dir, Bytes) override {
    return dir == PacketDirection::kSent ? "sent by ustack" : "";
  }
};

// tshark shows the comments, the directions and the interface description.
TEST(PcapngTest, TsharkShowsCommentsAndInterface) {
  const std::string path = temp_path("tshark.pcapng");
  {
    PcapWriterOptions o;
    o.if_name = "ust0";
    o.if_description = "ustack tun ust0 198.18.0.2/24";
    PcapTapWriter tap(path, Medium::kIp, o);
    FixedCommenter commenter;
    tap.set_commenter(&commenter);
    EXPECT_EQ(tap.writer().format(), CaptureFormat::kPcapng);
    tap.record(Instant::from_millis(1), PacketDirection::kSent, ipv4_packet(40));
    tap.record(Instant::from_millis(2), PacketDirection::kReceived, ipv4_packet(40));
  }
  // frame.p2p_dir from epb_flags: 0 sent, 1 received (Wireshark's P2P_DIR_SENT/RECV).
  EXPECT_EQ(run("tshark -r '" + path + "' -T fields -e frame.comment -e frame.p2p_dir"),
            "sent by ustack\t0\n\t1\n")
      << "tshark on PATH? (apt-get install tshark)";
  const std::string info = run("capinfos -T -r '" + path + "' 2>&1; capinfos '" + path + "'");
  EXPECT_NE(info.find("ustack tun ust0 198.18.0.2/24"), std::string::npos) << info;
  EXPECT_NE(info.find("pcapng"), std::string::npos) << info;
}

// A .pcap stays classic pcap, byte for byte what PcapWriter writes, whatever comments are at hand.
TEST(PcapngTest, PlainPcapIgnoresCommentsAndDirections) {
  const std::string tapped = temp_path("tapped.pcap"), plain = temp_path("plain.pcap");
  {
    PcapTapWriter tap(tapped, Medium::kIp);
    FixedCommenter commenter;
    tap.set_commenter(&commenter);
    tap.record(Instant::from_millis(1), PacketDirection::kSent, ipv4_packet(40));
    tap.record(Instant::from_millis(2), PacketDirection::kReceived, ipv4_packet(40), "ignored");
    PcapWriter w(plain, LinkType::kRaw);
    w.write(Instant::from_millis(1), ipv4_packet(40));
    w.write(Instant::from_millis(2), ipv4_packet(40));
  }
  EXPECT_EQ(file_bytes(tapped), file_bytes(plain));
  EXPECT_EQ(file_bytes(plain).size(), 24u + 2 * (16 + 40));
}

TEST(PcapTapWriterTest, RecordsBothDirectionsWithEpochOffset) {
  const std::string path = temp_path("tap.pcap");
  {
    PcapTapWriter tap(path, Medium::kIp, {}, Duration::seconds(1'700'000'000));
    tap.record(Instant::from_millis(5), PacketDirection::kReceived, ipv4_packet(28));
    tap.record(Instant::from_millis(6), PacketDirection::kSent, ipv4_packet(40));
    EXPECT_EQ(tap.writer().packets_written(), 2u);
    EXPECT_EQ(tap.write_errors(), 0u);
  }
  PcapReader r(path);
  EXPECT_EQ(r.link_type(), LinkType::kRaw);
  auto records = r.read_all();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].timestamp, Instant::from_nanos(1'700'000'000'005'000'000));
  EXPECT_EQ(records[1].data.size(), 40u);
}

TEST(PcapTapWriterTest, EthernetDeviceGetsEthernetLinkType) {
  const std::string path = temp_path("tap_eth.pcap");
  { PcapTapWriter tap(path, Medium::kEthernet); }
  EXPECT_EQ(PcapReader(path).link_type(), LinkType::kEthernet);
}

// tcpdump -C: a file larger than the limit is closed before the next packet, which opens
// FILE1, then FILE2, ...; every file is a complete capture and no packet is lost.
TEST(PcapTapWriterTest, RotatesLikeTcpdumpDashC) {
  const std::string path = temp_path("rotate.pcap");
  {
    // 24 + 2 x (16 + 100) = 256 octets is not over 300, 372 after the third is: the fourth
    // packet opens the next file.
    PcapTapWriter tap(path, Medium::kIp, {}, Duration::zero(), /*rotate_bytes=*/300);
    for (int i = 0; i < 7; ++i) {
      tap.record(Instant::from_millis(i), PacketDirection::kSent, ipv4_packet(100));
    }
    EXPECT_EQ(tap.files(), 3u);
    EXPECT_EQ(tap.write_errors(), 0u);
  }
  std::vector<std::size_t> per_file;
  std::int64_t next_ms = 0;
  for (const std::string& file : {path, path + "1", path + "2"}) {
    auto records = PcapReader(file).read_all();
    per_file.push_back(records.size());
    for (const auto& r : records) EXPECT_EQ(r.timestamp, Instant::from_millis(next_ms++));
  }
  EXPECT_EQ(per_file, (std::vector<std::size_t>{3, 3, 1}));
  EXPECT_FALSE(std::ifstream(path + "3").good());
}

TEST(PcapTapWriterTest, WithoutALimitOneFileGrows) {
  const std::string path = temp_path("norotate.pcap");
  PcapTapWriter tap(path, Medium::kIp);
  for (int i = 0; i < 50; ++i) tap.record(Instant(), PacketDirection::kSent, ipv4_packet(1000));
  EXPECT_EQ(tap.files(), 1u);
  EXPECT_EQ(tap.writer().bytes_written(), 24u + 50u * (16 + 1000));
}

TEST(PcapTapWriterTest, SteadyClockOffsetTurnsSteadyTimeIntoWallTime) {
  using namespace std::chrono;
  const std::int64_t offset = steady_clock_epoch_offset().total_nanos();
  const std::int64_t steady =
      duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
  const std::int64_t wall =
      duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  EXPECT_LT(std::llabs(steady + offset - wall), 1'000'000'000LL);
}

// ---------------------------------------------------------------------------------------------
// Reader errors.

TEST(PcapReaderTest, MissingFileIsAClearError) {
  EXPECT_EQ(error_of([] { PcapReader("/nonexistent-dir/none.pcap"); }),
            "cannot read /nonexistent-dir/none.pcap: No such file or directory");
}

TEST(PcapReaderTest, TextFileIsNotACapture) {
  const std::string path = temp_path("text.pcap");
  std::ofstream(path) << "this is not a capture file, just some text\n";
  const std::string err = error_of([&] { PcapReader r(path); });
  EXPECT_EQ(err.rfind(path + " is not a pcap or pcapng capture (", 0), 0u) << err;
}

TEST(PcapReaderTest, EmptyFileIsNotACapture) {
  const std::string path = temp_path("empty.pcap");
  std::ofstream(path).flush();
  const std::string err = error_of([&] { PcapReader r(path); });
  EXPECT_NE(err.find("is not a pcap or pcapng capture"), std::string::npos) << err;
}

TEST(PcapReaderTest, UnsupportedLinkTypeIsNamed) {
  const std::string path = temp_path("wifi.pcap");
  { PcapWriter(path, static_cast<LinkType>(105)); }  // LINKTYPE_IEEE802_11
  EXPECT_EQ(error_of([&] { PcapReader r(path); }),
            path +
                ": unsupported link type 105 (IEEE802_11); readable: ETHERNET, RAW, IPV4, IPV6, "
                "LINUX_SLL, LINUX_SLL2");
}

TEST(PcapReaderTest, RecordCutShortIsAnErrorNotAnEnd) {
  const std::string path = temp_path("cut.pcap");
  {
    PcapWriter w(path, LinkType::kRaw);
    w.write(Instant::from_micros(1), ipv4_packet(100));
    w.write(Instant::from_micros(2), ipv4_packet(100));
  }
  // 24-octet file header, then two records of 16 + 100: drop the last 10 octets.
  std::ifstream in(path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(content.size(), 24u + 2 * 116);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content.substr(0, content.size() - 10);
  PcapReader r(path);
  PcapRecord rec;
  ASSERT_TRUE(r.next(rec));
  const std::string err = error_of([&] { r.next(rec); });
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
}

// ---------------------------------------------------------------------------------------------
// Real captures (pcap_tests/captures/, made by pcap_tests/make_pcap_file_captures.sh). Each
// FILE.tshark.txt is tshark's listing of FILE taken when the capture was made.

struct Capture {
  const char* file;
  LinkType link_type;
};

constexpr Capture kCaptures[] = {
    {"pcapio_any_sll2.pcap", LinkType::kLinuxSll2},  // tcpdump -i any
    {"pcapio_any_sll.pcap", LinkType::kLinuxSll},    // tcpdump -i any -y LINUX_SLL
    {"pcapio_veth_nano.pcap", LinkType::kEthernet},  // --time-stamp-precision=nano -s 100
    {"pcapio_veth.pcapng", LinkType::kEthernet},     // tshark -F pcapng
    {"pcapio_tun_raw.pcap", LinkType::kRaw},         // tcpdump -i TUN
};

std::string capture_path(const char* file) { return std::string("pcap_tests/captures/") + file; }

std::vector<TsharkFrame> recorded_tshark_frames(const char* file) {
  std::ifstream in(capture_path(file) + ".tshark.txt");
  std::stringstream text;
  text << in.rdbuf();
  return parse_tshark_fields(text.str());
}

TEST(PcapRealCaptures, CountsLengthsAndTimesMatchTshark) {
  for (const Capture& c : kCaptures) {
    SCOPED_TRACE(c.file);
    PcapReader r(capture_path(c.file));
    EXPECT_EQ(r.link_type(), c.link_type);
    auto records = r.read_all();
    auto frames = recorded_tshark_frames(c.file);
    ASSERT_FALSE(frames.empty());
    ASSERT_EQ(records.size(), frames.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      SCOPED_TRACE("frame " + std::to_string(i + 1));
      EXPECT_EQ(records[i].original_len, frames[i].len);
      EXPECT_EQ(records[i].data.size(), frames[i].cap_len);
      EXPECT_EQ(records[i].timestamp.total_nanos(), frames[i].epoch_nanos);
    }
  }
}

TEST(PcapRealCaptures, TsharkTodayStillAgreesWithTheRecordedListing) {
  for (const Capture& c : kCaptures) {
    SCOPED_TRACE(c.file);
    auto live = tshark_frames(capture_path(c.file));
    auto recorded = recorded_tshark_frames(c.file);
    ASSERT_EQ(live.size(), recorded.size()) << "tshark on PATH? (apt-get install tshark)";
    for (std::size_t i = 0; i < live.size(); ++i) {
      EXPECT_EQ(live[i].epoch_nanos, recorded[i].epoch_nanos);
    }
  }
}

TEST(PcapRealCaptures, SnaplenCaptureHasCutFrames) {
  auto records = PcapReader(capture_path("pcapio_veth_nano.pcap")).read_all();
  int cut = 0;
  for (const auto& r : records) {
    EXPECT_LE(r.data.size(), 100u);
    if (r.data.size() < r.original_len) ++cut;
  }
  EXPECT_GT(cut, 0);  // the 118-octet ICMPv6 echoes
}

TEST(PcapRealCaptures, NanosecondCaptureKeepsSubMicrosecondDigits) {
  auto records = PcapReader(capture_path("pcapio_veth_nano.pcap")).read_all();
  bool sub_micro = false;
  for (const auto& r : records) sub_micro |= r.timestamp.total_nanos() % 1000 != 0;
  EXPECT_TRUE(sub_micro);
}

// Whatever the link header, every packet of these captures is ARP, IPv4 or IPv6 and the IP
// version nibble agrees with the EtherType the link header named.
TEST(PcapRealCaptures, NetworkPacketStripsEveryLinkHeader) {
  for (const Capture& c : kCaptures) {
    SCOPED_TRACE(c.file);
    int ip = 0;
    for (const PcapRecord& r : PcapReader(capture_path(c.file)).read_all()) {
      auto net = network_packet(r);
      ASSERT_TRUE(net.has_value());
      ASSERT_FALSE(net->packet.empty());
      if (net->ethertype == EtherType::kIpv4) {
        EXPECT_EQ(net->packet[0] >> 4, 4);
        ++ip;
      } else if (net->ethertype == EtherType::kIpv6) {
        EXPECT_EQ(net->packet[0] >> 4, 6);
        ++ip;
      } else {
        EXPECT_EQ(net->ethertype, EtherType::kArp);
      }
      EXPECT_EQ(r.data.size() - net->packet.size(), c.link_type == LinkType::kEthernet    ? 14u
                                                    : c.link_type == LinkType::kLinuxSll  ? 16u
                                                    : c.link_type == LinkType::kLinuxSll2 ? 20u
                                                                                          : 0u);
    }
    EXPECT_GE(ip, 8);  // 2 pings each way, v4 and v6
  }
}

// ---------------------------------------------------------------------------------------------
// network_packet() on built frames.

PcapRecord record_of(LinkType link, ByteVec data) {
  PcapRecord r;
  r.link_type = link;
  r.original_len = static_cast<std::uint32_t>(data.size());
  r.data = std::move(data);
  return r;
}

ByteVec concat(std::initializer_list<ByteVec> parts) {
  ByteVec out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(NetworkPacketTest, EthernetWithVlanTagsIsSkippedToTheIpHeader) {
  ByteVec frame =
      concat({bytes_of(12, 0xa0), from_hex("8100 0064 88a8 00c8 0800"), ipv4_packet(20)});
  // Outer TPID 0x8100 tag, then an 802.1ad tag, then IPv4: 12 + 4 + 4 + 2 octets of header.
  auto net = network_packet(record_of(LinkType::kEthernet, frame));
  ASSERT_TRUE(net.has_value());
  EXPECT_EQ(net->ethertype, EtherType::kIpv4);
  EXPECT_EQ(net->packet.size(), 20u);
}

TEST(NetworkPacketTest, Ethernet8023LengthFrameHasNoNetworkPacket) {
  ByteVec frame = concat({bytes_of(12, 0), from_hex("0026"), bytes_of(38, 0)});
  EXPECT_FALSE(network_packet(record_of(LinkType::kEthernet, frame)).has_value());
}

TEST(NetworkPacketTest, ShortRecordsHaveNoNetworkPacket) {
  EXPECT_FALSE(network_packet(record_of(LinkType::kEthernet, bytes_of(13, 0))).has_value());
  EXPECT_FALSE(network_packet(record_of(LinkType::kLinuxSll, bytes_of(15, 0))).has_value());
  EXPECT_FALSE(network_packet(record_of(LinkType::kLinuxSll2, bytes_of(19, 0))).has_value());
  EXPECT_FALSE(network_packet(record_of(LinkType::kRaw, {})).has_value());
  ByteVec cut_tag = concat({bytes_of(12, 0), from_hex("8100 0064")});
  EXPECT_FALSE(network_packet(record_of(LinkType::kEthernet, cut_tag)).has_value());
}

TEST(NetworkPacketTest, SllAndSll2TakeTheProtocolField) {
  // SLL: packet type 4 (outgoing), ARPHRD_ETHER, address length 6, address, protocol.
  ByteVec sll = concat({from_hex("0004 0001 0006 020000000001 0000 86dd"), bytes_of(40, 0x60)});
  auto a = network_packet(record_of(LinkType::kLinuxSll, sll));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ethertype, EtherType::kIpv6);
  EXPECT_EQ(a->packet.size(), 40u);
  // SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, address.
  ByteVec sll2 =
      concat({from_hex("0806 0000 00000002 0001 00 06 020000000001 0000"), bytes_of(28, 0)});
  auto b = network_packet(record_of(LinkType::kLinuxSll2, sll2));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ethertype, EtherType::kArp);
  EXPECT_EQ(b->packet.size(), 28u);
}

TEST(NetworkPacketTest, RawIpTakesTheVersionNibble) {
  ByteVec v6 = bytes_of(40, 0);
  v6[0] = 0x60;
  EXPECT_EQ(network_packet(record_of(LinkType::kRaw, v6))->ethertype, EtherType::kIpv6);
  EXPECT_EQ(network_packet(record_of(LinkType::kRaw, ipv4_packet(20)))->ethertype,
            EtherType::kIpv4);
  ByteVec v5 = bytes_of(20, 0);
  v5[0] = 0x50;
  EXPECT_FALSE(network_packet(record_of(LinkType::kRaw, v5)).has_value());
  EXPECT_EQ(network_packet(record_of(LinkType::kIpv6, v6))->ethertype, EtherType::kIpv6);
  EXPECT_EQ(network_packet(record_of(LinkType::kIpv4, ipv4_packet(20)))->ethertype,
            EtherType::kIpv4);
}

TEST(LinkTypeTest, NamesAndDeviceMedia) {
  EXPECT_EQ(to_string(LinkType::kLinuxSll2), "LINUX_SLL2");
  EXPECT_EQ(to_string(static_cast<LinkType>(105)), "LINKTYPE 105");
  EXPECT_EQ(link_type_for(Medium::kIp), LinkType::kRaw);
  EXPECT_EQ(link_type_for(Medium::kEthernet), LinkType::kEthernet);
}

}  // namespace
}  // namespace ustack::tun
