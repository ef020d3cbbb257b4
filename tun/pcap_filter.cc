// Filter expressions through libpcap's compiler (see pcap_filter.h).
#include "tun/pcap_filter.h"

#include <pcap/pcap.h>

namespace ustack::tun {

struct PcapFilter::Program {
  bpf_program bpf{};
  ~Program() { pcap_freecode(&bpf); }
};

PcapFilter::PcapFilter(const std::string& expression, LinkType link_type, std::uint32_t snaplen)
    : program_(std::make_unique<Program>()) {
  // A dead handle is all pcap_compile needs: the link type decides the header offsets, the
  // snapshot length the bounds (what tcpdump does on the capture's own handle).
  // A capture that states no snapshot length (0) keeps whole packets: libpcap's maximum.
  constexpr std::uint32_t kMaxSnaplen = 262144;
  pcap_t* dead =
      pcap_open_dead(dlt_of(link_type), static_cast<int>(snaplen == 0 ? kMaxSnaplen : snaplen));
  if (dead == nullptr) throw PcapError("cannot compile a filter: out of memory");
  // Optimised, and netmask 0, as tcpdump -r compiles it (a file has no interface netmask).
  const int rc = pcap_compile(dead, &program_->bpf, expression.c_str(), /*optimize=*/1,
                              /*netmask=*/0);
  std::string error = rc == 0 ? "" : pcap_geterr(dead);
  pcap_close(dead);
  if (rc != 0) throw PcapError(error);
}

PcapFilter::~PcapFilter() = default;
PcapFilter::PcapFilter(PcapFilter&&) noexcept = default;
PcapFilter& PcapFilter::operator=(PcapFilter&&) noexcept = default;

bool PcapFilter::matches(const PcapRecord& record) const {
  pcap_pkthdr header{};  // the program reads only caplen and len, never the time
  header.caplen = static_cast<bpf_u_int32>(record.data.size());
  header.len = record.original_len;
  return pcap_offline_filter(&program_->bpf, &header,
                             reinterpret_cast<const u_char*>(record.data.data())) != 0;
}

}  // namespace ustack::tun
