#include "tools/pcap_options.h"

namespace ustack::tools {

void add_pcap_limit_options(CLI::App& app, std::optional<std::int64_t>& snaplen,
                            std::optional<std::int64_t>& pcap_size, const std::string& pcap_flag) {
  app.add_option("--snaplen", snaplen,
                 "keep only the first N octets of each packet in " + pcap_flag +
                     " (tcpdump -s; 0: 262144, the default)")
      ->type_name("N");
  app.add_option("--pcap-size", pcap_size,
                 "start a new file when one written by " + pcap_flag +
                     " is over MB million octets: FILE, FILE1, FILE2, ... (tcpdump -C)")
      ->type_name("MB");
}

tun::PcapWriterOptions PcapLimits::writer_options(tun::TimestampPrecision precision) const {
  tun::PcapWriterOptions o;
  o.precision = precision;
  o.snaplen = snaplen;
  return o;
}

std::string parse_pcap_limits(const std::string& pcap_flag, bool have_pcap,
                              const std::optional<std::int64_t>& snaplen,
                              const std::optional<std::int64_t>& pcap_size, PcapLimits& out) {
  const std::string what = pcap_flag == "--pcap" ? "--pcap FILE" : pcap_flag + " DIR";
  if (!have_pcap) {
    if (snaplen) return "--snaplen needs " + what + " (it cuts the packets recorded there)";
    if (pcap_size) {
      return "--pcap-size needs " + what +
             (pcap_flag == "--pcap" ? " (it rotates that file)" : " (it rotates the files there)");
    }
    return "";
  }
  if (snaplen) {
    if (*snaplen < 0 || *snaplen > kPcapMaxSnaplen) {
      return "--snaplen " + std::to_string(*snaplen) + " out of range (0.." +
             std::to_string(kPcapMaxSnaplen) + "; 0 keeps whole packets)";
    }
    // tcpdump -s 0: the largest snapshot length.
    out.snaplen = *snaplen == 0 ? kPcapMaxSnaplen : static_cast<std::uint32_t>(*snaplen);
  }
  if (pcap_size) {
    // tcpdump -C counts in millions of octets, not MiB.
    constexpr std::int64_t kMaxMb = 1'000'000;  // a terabyte per file
    if (*pcap_size < 1 || *pcap_size > kMaxMb) {
      return "--pcap-size " + std::to_string(*pcap_size) + " out of range (1.." +
             std::to_string(kMaxMb) + " million octets per file)";
    }
    out.rotate_bytes = static_cast<std::uint64_t>(*pcap_size) * 1'000'000;
  }
  return "";
}

}  // namespace ustack::tools
