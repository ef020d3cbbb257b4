// `ustack dump [-v] FILE`: print every packet of a pcap/pcapng capture with ustack's own
// parsers, one line each (tcpdump -n style), or with every field of every layer (-v), then a
// summary that counts the packets our parsers could not decode, by layer and reason.
//
// It is how we check our parsers against real traffic (pcap_tests/dump_vs_tshark_test runs it
// next to tshark), and how a capture written by `--pcap` is read back without Wireshark.
#include <pcap/pcap.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "stack/base/bytes.h"
#include "stack/wire/common.h"
#include "stack/wire/print.h"
#include "tools/subcommand.h"

namespace ustack::tools {
namespace {

// Link-layer header types (tcpdump.org "LINK-LAYER HEADER TYPES"), as libpcap reports them.
constexpr int kLinktypeEthernet = 1;  // DLT_EN10MB
constexpr int kLinktypeRaw = 101;     // LINKTYPE_RAW (libpcap maps DLT_RAW 12/14 to it)
constexpr int kDltRawBsd = 12;        // DLT_RAW on most platforms
constexpr int kDltRawOpenBsd = 14;    // DLT_RAW on OpenBSD
constexpr int kLinktypeSll = 113;     // Linux cooked v1: 16-byte header, protocol at 14
constexpr int kLinktypeIpv4 = 228;    // raw IPv4 only
constexpr int kLinktypeIpv6 = 229;    // raw IPv6 only
constexpr int kLinktypeSll2 = 276;    // Linux cooked v2: 20-byte header, protocol at 0
constexpr std::size_t kSllHeaderLen = 16;
constexpr std::size_t kSll2HeaderLen = 20;

struct DumpOptions {
  std::string file;
  bool verbose = false;
  bool skip_checksums = false;
};

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};

// How to find the network-layer packet in a record of this link type.
enum class Framing { kEthernet, kRawIp, kSll, kSll2 };

std::optional<Framing> framing_for(int linktype) {
  switch (linktype) {
    case kLinktypeEthernet:
      return Framing::kEthernet;
    case kLinktypeRaw:
    case kDltRawBsd:
    case kDltRawOpenBsd:
    case kLinktypeIpv4:
    case kLinktypeIpv6:
      return Framing::kRawIp;
    case kLinktypeSll:
      return Framing::kSll;
    case kLinktypeSll2:
      return Framing::kSll2;
    default:
      return std::nullopt;
  }
}

PacketDescription describe_record(Bytes record, Framing framing, const DescribeOptions& opts) {
  switch (framing) {
    case Framing::kEthernet:
      return describe_packet(record, LinkLayer::kEthernet, opts);
    case Framing::kRawIp:
      return describe_packet(record, LinkLayer::kRawIp, opts);
    case Framing::kSll:
    case Framing::kSll2: {
      const std::size_t header = framing == Framing::kSll ? kSllHeaderLen : kSll2HeaderLen;
      const std::size_t proto_at = framing == Framing::kSll ? 14 : 0;
      if (record.size() < header) {
        PacketDescription d;
        d.error = LayerError{framing == Framing::kSll ? "sll" : "sll2", ParseError::kTruncated};
        d.line = "[" + d.error->to_string() + "]";
        return d;
      }
      const auto protocol = static_cast<EtherType>(load_be16(record, proto_at));
      return describe_link_payload(record.subspan(header), protocol, opts);
    }
  }
  return {};
}

// "13:46:19.603421" in UTC, so the output does not depend on the reader's time zone.
std::string time_of_day(const timeval& ts) {
  std::tm tm{};
  const std::time_t secs = ts.tv_sec;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(ts.tv_usec));
  return buf;
}

int run_dump(const DumpOptions& opts) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  // pcap_open_offline reads classic pcap (either byte order, µs or ns) and pcapng.
  std::unique_ptr<pcap_t, PcapCloser> pcap(pcap_open_offline(opts.file.c_str(), errbuf));
  if (!pcap) {
    std::fprintf(stderr, "ustack dump: cannot read %s: %s (expected a pcap or pcapng file)\n",
                 opts.file.c_str(), errbuf);
    return 1;
  }
  const int linktype = pcap_datalink(pcap.get());
  const std::optional<Framing> framing = framing_for(linktype);
  if (!framing) {
    const char* name = pcap_datalink_val_to_name(linktype);
    std::fprintf(stderr,
                 "ustack dump: %s: link type %d (%s) is not supported; ustack reads Ethernet, "
                 "raw IP and Linux cooked (SLL, SLL2) captures\n",
                 opts.file.c_str(), linktype, name ? name : "unknown");
    return 1;
  }

  DescribeOptions dopts;
  dopts.verbose = opts.verbose;
  dopts.checksums = opts.skip_checksums ? ChecksumCheck::kSkip : ChecksumCheck::kVerify;

  std::size_t packets = 0;
  std::size_t undecodable = 0;
  std::map<std::string, std::size_t> reasons;  // "udp: bad_checksum" -> count, sorted for output
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(pcap.get(), &hdr, &data)) == 1) {
    ++packets;
    const Bytes record(data, hdr->caplen);
    PacketDescription d = describe_record(record, *framing, dopts);
    std::string line = std::to_string(packets) + "  " + time_of_day(hdr->ts) + "  " + d.line;
    if (hdr->caplen < hdr->len) {
      line += " [captured " + std::to_string(hdr->caplen) + " of " + std::to_string(hdr->len) +
              " bytes]";
    }
    std::printf("%s\n%s", line.c_str(), d.details.c_str());
    if (d.error) {
      ++undecodable;
      ++reasons[d.error->to_string()];
    }
  }
  const bool read_error = rc == PCAP_ERROR;

  // "-- 90 packets, 2 undecodable: 1 udp: bad_checksum, 1 ipv4: truncated"
  std::printf("-- %zu packets, %zu undecodable", packets, undecodable);
  const char* sep = ": ";
  for (const auto& [reason, count] : reasons) {
    std::printf("%s%zu %s", sep, count, reason.c_str());
    sep = ", ";
  }
  std::printf("\n");
  std::fflush(stdout);
  if (read_error) {
    std::fprintf(stderr, "ustack dump: %s: stopped after packet %zu: %s\n", opts.file.c_str(),
                 packets, pcap_geterr(pcap.get()));
    return 1;
  }
  return 0;
}

const Subcommand kDump(
    "dump", "print every packet of a pcap/pcapng capture, decoded by ustack's parsers",
    [](CLI::App& app) {
      auto opts = std::make_shared<DumpOptions>();
      app.add_option("file", opts->file, "pcap or pcapng capture (Ethernet, raw IP, SLL, SLL2)")
          ->required();
      app.add_flag("-v,--verbose", opts->verbose, "every field of every layer");
      app.add_flag("--no-verify-checksums", opts->skip_checksums,
                   "describe packets whose checksums were left to the NIC (offload) instead of "
                   "reporting them as bad");
      return [opts] { return run_dump(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
