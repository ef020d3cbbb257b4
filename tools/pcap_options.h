// --snaplen and --pcap-size, tcpdump's -s and -C, for every ustack option that writes a pcap:
// the device options' --pcap (up, serve, connect, ...), `replay --pcap`, `scenario run
// --pcap-dir`. The checks, the defaults and the writer (tun::PcapTapWriter) are the same for
// all of them.
//
//   std::optional<std::int64_t> snaplen, pcap_size;
//   add_pcap_limit_options(app, snaplen, pcap_size, "--pcap");
//   PcapLimits limits;
//   if (std::string e = parse_pcap_limits("--pcap", !pcap.empty(), snaplen, pcap_size, limits);
//       !e.empty()) ...                                        // a usage error
//   write_ip_packets(pcap, packets, limits);              // or a tun::PcapTapWriter
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "tun/pcap_file.h"

namespace ustack::tools {

// tcpdump's largest snapshot length (MAXIMUM_SNAPLEN), what `-s 0` means there and --snaplen 0
// here; longer packets than any MTU ustack runs with.
inline constexpr std::uint32_t kPcapMaxSnaplen = 262144;

// Adds --snaplen N and --pcap-size MB to `app`, described as limits of `pcap_flag` ("--pcap",
// "--pcap-dir").
void add_pcap_limit_options(CLI::App& app, std::optional<std::int64_t>& snaplen,
                            std::optional<std::int64_t>& pcap_size, const std::string& pcap_flag);

struct PcapLimits {
  std::uint32_t snaplen = kPcapMaxSnaplen;
  std::uint64_t rotate_bytes = 0;  // 0: one file, however large
  // The writer's options with this snaplen (and `precision`).
  tun::PcapWriterOptions writer_options(
      tun::TimestampPrecision precision = tun::TimestampPrecision::kMicro) const;
};

// Checks --snaplen and --pcap-size (given without `pcap_flag` they are an error, as they mean
// nothing without a file) into `out`. The empty string, or the error ("--snaplen 9999999 out of
// range (0..262144; 0 keeps whole packets)").
std::string parse_pcap_limits(const std::string& pcap_flag, bool have_pcap,
                              const std::optional<std::int64_t>& snaplen,
                              const std::optional<std::int64_t>& pcap_size, PcapLimits& out);

// Writes `packets` (each with `at`, time since the Unix epoch less `offset`, `ip`, an IPv4 or
// IPv6 packet, and `outbound`) as raw IP with nanosecond time stamps, cut and rotated by
// `limits`. A path ending in ".pcapng" writes pcapng, with each packet's direction and
// `if_description` describing the interface. Throws tun::PcapError when a file cannot be
// created or written.
template <typename Packets>
void write_ip_packets(const std::string& path, const Packets& packets, const PcapLimits& limits,
                      Duration offset = Duration::zero(), const std::string& if_description = "") {
  tun::PcapWriterOptions options = limits.writer_options(tun::TimestampPrecision::kNano);
  options.if_description = if_description;
  tun::PcapTapWriter w(path, Medium::kIp, options, offset, limits.rotate_bytes);
  for (const auto& p : packets) {
    const PacketDirection dir = p.outbound ? PacketDirection::kSent : PacketDirection::kReceived;
    if constexpr (requires { p.comment; }) {
      w.record(p.at, dir, p.ip, p.comment);  // pcapng's opt_comment
    } else {
      w.record(p.at, dir, p.ip);
    }
  }
  w.flush();
  if (w.write_errors() != 0) {
    throw tun::PcapError("cannot write " + path + ": " + std::to_string(w.write_errors()) +
                         " packets lost");
  }
}

}  // namespace ustack::tools
