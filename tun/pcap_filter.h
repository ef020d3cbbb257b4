// A capture filter in tcpdump's syntax ("tcp port 80", "icmp or arp", "tcp[tcpflags] &
// tcp-syn != 0"), compiled by libpcap's own compiler, so `ustack dump FILE EXPRESSION` selects
// exactly the packets `tcpdump -r FILE EXPRESSION` does (pcap-filter(7)).
//
// Shell code like pcap_file.h: it wraps libpcap. The program is compiled for one link type and
// snapshot length (pcap_open_dead), those of the capture it will be applied to, because BPF
// offsets depend on the link header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tun/pcap_file.h"

namespace ustack::tun {

class PcapFilter {
 public:
  // Compiles `expression` for packets of `link_type` cut to `snaplen` octets. Throws PcapError
  // with libpcap's own message ("can't parse filter expression: syntax error", "unknown ip
  // proto 'foo'") when the expression does not compile.
  PcapFilter(const std::string& expression, LinkType link_type, std::uint32_t snaplen);
  ~PcapFilter();
  PcapFilter(PcapFilter&&) noexcept;
  PcapFilter& operator=(PcapFilter&&) noexcept;

  // pcap_offline_filter(): whether the record's captured octets (and original length) pass.
  bool matches(const PcapRecord& record) const;

 private:
  struct Program;
  std::unique_ptr<Program> program_;
};

}  // namespace ustack::tun
