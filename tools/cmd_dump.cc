// `ustack dump [OPTIONS] FILE [EXPRESSION...]`: print the packets of a pcap/pcapng capture with
// ustack's own parsers, one line each (tcpdump -n style), or with every field of every layer
// (-v), then a summary that counts the packets our parsers could not decode, by layer and
// reason. The flags a tcpdump user reaches for mean what they mean there: a filter expression
// compiled by libpcap (pcap-filter(7)), -r FILE, -c COUNT, -w FILE, -x/-X, -t … -ttttt.
//
// It is how a capture written with `--pcap` is read back without Wireshark, and how a packet
// our parsers reject is found in real traffic (pcap_tests/dump_vs_tshark_test holds the same
// parsers against tshark; pcap_tests/dump_cli_test runs this command against tcpdump).
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/bytes.h"
#include "stack/wire/common.h"
#include "stack/wire/print.h"
#include "tools/dump_format.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"
#include "tun/pcap_file.h"
#include "tun/pcap_filter.h"

namespace ustack::tools {
namespace {

using tun::LinkType;

struct DumpOptions {
  std::vector<std::string> args;  // FILE [EXPRESSION...], or only EXPRESSION with -r FILE
  std::string read_file;          // -r
  std::string write_file;         // -w
  std::optional<std::int64_t> count;
  int hex = 0;        // -x given this many times (-xx: from the link header on)
  int hex_ascii = 0;  // -X, -XX
  int time_flags = 0;
  bool verbose = false;
  bool absolute_seqs = false;  // -S
  bool skip_checksums = false;
};

// A record cut by the capture's snaplen is decoded as far as it goes ("[|tcp]"), as tcpdump
// does: the describer is told its length on the wire.
PacketDescription describe_record(const tun::PcapRecord& record, DescribeOptions opts) {
  const Bytes data(record.data);
  opts.wire_len = record.original_len;
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
    const std::size_t link_header = record.data.size() - net->packet.size();
    opts.wire_len = record.original_len > link_header ? record.original_len - link_header : 0;
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

// The octets -x/-X show: tcpdump starts after the link header (-xx/-XX: at the frame's start)
// and shows everything captured after it, Ethernet padding included.
Bytes hex_dump_octets(const tun::PcapRecord& record, bool with_link_header) {
  const Bytes data(record.data);
  if (with_link_header) return data;
  if (auto net = tun::network_packet(record)) {
    return data.subspan(static_cast<std::size_t>(net->packet.data() - data.data()));
  }
  std::size_t link_header = 0;  // raw IP
  if (record.link_type == LinkType::kEthernet) link_header = 14;
  if (record.link_type == LinkType::kLinuxSll) link_header = 16;
  if (record.link_type == LinkType::kLinuxSll2) link_header = 20;
  return data.subspan(std::min(link_header, data.size()));
}

// What the command line selected: the capture, the filter, where the packets go.
struct DumpPlan {
  std::string file;
  std::string expression;  // empty: every packet
};

// tcpdump's spelling: `-r FILE EXPRESSION...`, or ours: `FILE EXPRESSION...`. The words of the
// expression are joined with spaces, so it may be one quoted argument or several.
std::optional<DumpPlan> plan_from(const DumpOptions& opts) {
  DumpPlan plan;
  auto words = opts.args.begin();
  if (!opts.read_file.empty()) {
    plan.file = opts.read_file;
  } else if (words != opts.args.end()) {
    plan.file = *words++;
  } else {
    return std::nullopt;
  }
  for (; words != opts.args.end(); ++words) {
    if (!plan.expression.empty()) plan.expression += ' ';
    plan.expression += *words;
  }
  return plan;
}

// Reads `reader` to the end (or -c packets that pass `filter`), calling `take` for each packet
// that passes. Returns the error that stopped the reading early (a damaged record), if any.
struct ReadResult {
  std::size_t read = 0;
  std::size_t selected = 0;
  std::string error;
};
template <typename Take>
ReadResult select_packets(tun::PcapReader& reader, const tun::PcapFilter* filter,
                          std::optional<std::int64_t> count, Take&& take) {
  ReadResult r;
  tun::PcapRecord record;
  try {
    while ((!count || static_cast<std::int64_t>(r.selected) < *count) && reader.next(record)) {
      ++r.read;
      if (filter != nullptr && !filter->matches(record)) continue;
      ++r.selected;
      take(record);
    }
  } catch (const tun::PcapError& e) {
    r.error = e.what();  // a damaged record: report what was read, then fail
  }
  return r;
}

// Exit status 0, or 1 after saying which damaged record stopped the reading.
int stopped_early(const ReadResult& r) {
  if (r.error.empty()) return 0;
  std::fprintf(stderr, "ustack dump: stopped after packet %zu: %s\n", r.read, r.error.c_str());
  return 1;
}

// -w FILE: the selected packets, unchanged, into a new pcap of the same link type. Nanosecond
// time stamps, so nothing of a pcapng or nanosecond capture's times is lost.
int write_packets(tun::PcapReader& reader, const tun::PcapFilter* filter, const DumpOptions& opts) {
  tun::PcapWriterOptions wopts;
  wopts.precision = tun::TimestampPrecision::kNano;
  // The input's snapshot length, as tcpdump -r IN -w OUT keeps it (0: whole packets).
  if (reader.snaplen() != 0) wopts.snaplen = reader.snaplen();
  wopts.flush_each_packet = false;
  std::optional<tun::PcapWriter> writer;
  ReadResult r;
  try {
    writer.emplace(opts.write_file, reader.link_type(), wopts);
    r = select_packets(reader, filter, opts.count, [&](const tun::PcapRecord& record) {
      writer->write(record.timestamp, Bytes(record.data), record.original_len);
    });
    writer->close();
  } catch (const tun::PcapError& e) {
    std::fprintf(stderr, "ustack dump: %s\n", e.what());
    return 1;
  }
  return stopped_early(r);
}

int print_packets(tun::PcapReader& reader, const tun::PcapFilter* filter, const DumpOptions& opts) {
  DescribeOptions dopts;
  dopts.verbose = opts.verbose;
  dopts.checksums = opts.skip_checksums ? ChecksumCheck::kSkip : ChecksumCheck::kVerify;
  TcpRelativeSeqs relative;
  if (!opts.absolute_seqs) dopts.relative_seqs = &relative;
  TimestampFormatter timestamps(static_cast<TimestampStyle>(opts.time_flags));
  const bool hex = opts.hex > 0 || opts.hex_ascii > 0;
  const bool with_link_header = opts.hex > 1 || opts.hex_ascii > 1;

  std::size_t undecodable = 0;
  std::map<std::string, std::size_t> reasons;  // "udp: bad_checksum" -> count, sorted for output
  std::size_t index = 0;
  ReadResult r = select_packets(reader, filter, opts.count, [&](const tun::PcapRecord& record) {
    PacketDescription d = describe_record(record, dopts);
    std::string line = std::to_string(++index) + "  ";
    if (std::string ts = timestamps.format(record.timestamp); !ts.empty()) line += ts + "  ";
    line += d.line;
    if (opts.verbose && record.data.size() < record.original_len) {
      d.details += "  [captured " + std::to_string(record.data.size()) + " of " +
                   std::to_string(record.original_len) + " bytes]\n";
    }
    std::printf("%s\n%s", line.c_str(), d.details.c_str());
    if (hex) {
      std::printf("%s",
                  hex_dump(hex_dump_octets(record, with_link_header), opts.hex_ascii > 0).c_str());
    }
    if (d.error) {
      ++undecodable;
      ++reasons[d.error->to_string()];
    }
  });

  // "-- 90 packets, 2 undecodable: 1 udp: bad_checksum, 1 ipv4: truncated"; with a filter
  // "-- 3 packets (of 90 read), 0 undecodable".
  std::printf("-- %zu packets", r.selected);
  if (filter != nullptr) std::printf(" (of %zu read)", r.read);
  std::printf(", %zu undecodable", undecodable);
  const char* sep = ": ";
  for (const auto& [reason, count] : reasons) {
    std::printf("%s%zu %s", sep, count, reason.c_str());
    sep = ", ";
  }
  std::printf("\n");
  std::fflush(stdout);
  return stopped_early(r);
}

int run_dump(const DumpOptions& opts) {
  std::optional<DumpPlan> plan = plan_from(opts);
  if (!plan) return usage_error("missing argument: FILE (or -r FILE)");
  if (opts.count && *opts.count < 1) {
    return usage_error("-c: want a packet count of 1 or more, got " + std::to_string(*opts.count));
  }
  if (opts.time_flags > 5) return usage_error("-t: at most -ttttt (5 times)");
  try {
    // Missing file, not a capture, unsupported link type: PcapError with a one-line message.
    tun::PcapReader reader(plan->file);
    std::optional<tun::PcapFilter> filter;
    if (!plan->expression.empty()) {
      try {
        // For the capture's own link type and snapshot length, as tcpdump -r compiles it.
        filter.emplace(plan->expression, reader.link_type(), reader.snaplen());
      } catch (const tun::PcapError& e) {
        return usage_error("bad filter expression '" + plan->expression + "': " + e.what());
      }
    }
    const tun::PcapFilter* f = filter ? &*filter : nullptr;
    if (!opts.write_file.empty()) return write_packets(reader, f, opts);
    return print_packets(reader, f, opts);
  } catch (const tun::PcapError& e) {
    std::fprintf(stderr, "ustack dump: %s\n", e.what());
    return 1;
  }
}

const Subcommand kDump(
    "dump", "print the packets of a pcap/pcapng capture, decoded by ustack's parsers",
    [](CLI::App& app) {
      auto opts = std::make_shared<DumpOptions>();
      app.add_option("file", opts->args,
                     "pcap or pcapng capture (Ethernet, raw IP, Linux SLL/SLL2; - for stdin), "
                     "then a filter in tcpdump's syntax (pcap-filter(7): 'tcp port 80')")
          ->type_name("FILE [EXPRESSION...]");
      app.add_option("-r", opts->read_file,
                     "read this capture (tcpdump's spelling; every argument is then the filter)")
          ->type_name("FILE");
      app.add_option("-c", opts->count, "stop after COUNT packets that pass the filter")
          ->type_name("COUNT");
      app.add_option("-w", opts->write_file,
                     "write the packets that pass the filter to this new pcap (- for stdout) "
                     "instead of printing them")
          ->type_name("FILE");
      app.add_flag("-x", opts->hex,
                   "hex dump of each packet from the network header on (-xx: with the link "
                   "header)");
      app.add_flag("-X", opts->hex_ascii, "hex and ASCII dump (-XX: with the link header)");
      app.add_flag("-t", opts->time_flags,
                   "time stamps: -t none, -tt epoch seconds, -ttt since the previous packet, "
                   "-tttt date and time, -ttttt since the first packet (UTC; default: time of "
                   "day)");
      app.add_flag("-S,--absolute-tcp-sequence-numbers", opts->absolute_seqs,
                   "TCP sequence numbers as they are on the wire (default: relative to the "
                   "conversation's first, as tcpdump prints them)");
      app.add_flag("-v,--verbose", opts->verbose, "every field of every layer");
      app.add_flag("--no-verify-checksums", opts->skip_checksums,
                   "describe packets whose checksums were left to the NIC (offload) instead of "
                   "reporting them as bad");
      return [opts] { return run_dump(*opts); };
    });

}  // namespace
}  // namespace ustack::tools
