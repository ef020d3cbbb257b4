// `ustack dump [-v] FILE`: print every packet of a pcap/pcapng capture with ustack's own
// parsers, one line each (tcpdump -n style), or with every field of every layer (-v), then a
// summary that counts the packets our parsers could not decode, by layer and reason.
//
// It is how a capture written with `--pcap` is read back without Wireshark, and how a packet
// our parsers reject is found in real traffic (pcap_tests/dump_vs_tshark_test holds the same
// parsers against tshark; pcap_tests/dump_cli_test runs this command).
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <string>

#include "stack/base/bytes.h"
#include "stack/wire/common.h"
#include "stack/wire/print.h"
#include "tools/subcommand.h"
#include "tun/pcap_file.h"

namespace ustack::tools {
namespace {

using tun::LinkType;

struct DumpOptions {
  std::string file;
  bool verbose = false;
  bool skip_checksums = false;
};

PacketDescription describe_record(const tun::PcapRecord& record, const DescribeOptions& opts) {
  const Bytes data(record.data);
  switch (record.link_type) {
    case LinkType::kEthernet:
      // From the Ethernet header on, so -v shows the MAC addresses too.
      return describe_packet(data, LinkLayer::kEthernet, opts);
    case LinkType::kRaw:
    case LinkType::kIpv4:
    case LinkType::kIpv6:
      return describe_packet(data, LinkLayer::kRawIp, opts);
    default:
      break;
  }
  // Linux cooked captures: the reader strips the SLL/SLL2 header and names the protocol.
  if (auto net = tun::network_packet(record)) {
    return describe_link_payload(net->packet, net->ethertype, opts);
  }
  const bool sll = record.link_type == LinkType::kLinuxSll;
  const std::size_t header_len = sll ? 16 : 20;  // LINKTYPE_LINUX_SLL / LINKTYPE_LINUX_SLL2
  PacketDescription d;
  // Too short for its cooked header, or a protocol field that is not an EtherType.
  d.error =
      LayerError{sll ? "sll" : "sll2", record.data.size() < header_len ? ParseError::kTruncated
                                                                       : ParseError::kUnsupported};
  d.line = "[" + d.error->to_string() + "]";
  return d;
}

// "13:46:19.603421" in UTC, so the output does not depend on the reader's time zone.
std::string time_of_day(Instant t) {
  const std::int64_t ns = t.total_nanos();
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>((ns % 1'000'000'000) / 1000));
  return buf;
}

int run_dump(const DumpOptions& opts) {
  DescribeOptions dopts;
  dopts.verbose = opts.verbose;
  dopts.checksums = opts.skip_checksums ? ChecksumCheck::kSkip : ChecksumCheck::kVerify;

  std::size_t packets = 0;
  std::size_t undecodable = 0;
  std::map<std::string, std::size_t> reasons;  // "udp: bad_checksum" -> count, sorted for output
  std::string read_error;
  try {
    // Missing file, not a capture, unsupported link type: PcapError with a one-line message.
    tun::PcapReader reader(opts.file);
    tun::PcapRecord record;
    try {
      while (reader.next(record)) {
        ++packets;
        PacketDescription d = describe_record(record, dopts);
        std::string line =
            std::to_string(packets) + "  " + time_of_day(record.timestamp) + "  " + d.line;
        if (record.data.size() < record.original_len) {
          line += " [captured " + std::to_string(record.data.size()) + " of " +
                  std::to_string(record.original_len) + " bytes]";
        }
        std::printf("%s\n%s", line.c_str(), d.details.c_str());
        if (d.error) {
          ++undecodable;
          ++reasons[d.error->to_string()];
        }
      }
    } catch (const tun::PcapError& e) {
      read_error = e.what();  // a damaged record: report what was read, then fail
    }
  } catch (const tun::PcapError& e) {
    std::fprintf(stderr, "ustack dump: %s\n", e.what());
    return 1;
  }

  // "-- 90 packets, 2 undecodable: 1 udp: bad_checksum, 1 ipv4: truncated"
  std::printf("-- %zu packets, %zu undecodable", packets, undecodable);
  const char* sep = ": ";
  for (const auto& [reason, count] : reasons) {
    std::printf("%s%zu %s", sep, count, reason.c_str());
    sep = ", ";
  }
  std::printf("\n");
  std::fflush(stdout);
  if (!read_error.empty()) {
    std::fprintf(stderr, "ustack dump: stopped after packet %zu: %s\n", packets,
                 read_error.c_str());
    return 1;
  }
  return 0;
}

const Subcommand kDump(
    "dump", "print every packet of a pcap/pcapng capture, decoded by ustack's parsers",
    [](CLI::App& app) {
      auto opts = std::make_shared<DumpOptions>();
      app.add_option("file", opts->file,
                     "pcap or pcapng capture (Ethernet, raw IP, Linux SLL/SLL2); - for stdin")
          ->required();
      app.add_flag("-v,--verbose", opts->verbose, "every field of every layer");
      app.add_flag("--no-verify-checksums", opts->skip_checksums,
                   "describe packets whose checksums were left to the NIC (offload) instead of "
                   "reporting them as bad");
      return [opts] { return run_dump(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
