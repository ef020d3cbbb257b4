// pcap / pcapng I/O on top of libpcap (see pcap_file.h).
#include "tun/pcap_file.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace ustack::tun {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// libpcap speaks DLT_* values; the file formats (and LinkType) use LINKTYPE_* values. They
// are the same numbers except for raw IP, whose DLT_RAW differs between platforms while the
// file always says LINKTYPE_RAW (101).
std::optional<LinkType> link_type_from_dlt(int dlt) {
  switch (dlt) {
    case DLT_EN10MB:
      return LinkType::kEthernet;
    case DLT_RAW:
    case 101:  // LINKTYPE_RAW, in case a libpcap hands it through unmapped
      return LinkType::kRaw;
    case DLT_LINUX_SLL:
      return LinkType::kLinuxSll;
    case DLT_IPV4:
      return LinkType::kIpv4;
    case DLT_IPV6:
      return LinkType::kIpv6;
    case DLT_LINUX_SLL2:
      return LinkType::kLinuxSll2;
    default:
      return std::nullopt;
  }
}

std::string dlt_description(int dlt) {
  std::string out = std::to_string(dlt);
  if (const char* name = pcap_datalink_val_to_name(dlt)) out += std::string(" (") + name + ")";
  return out;
}

constexpr const char* kReadableLinkTypes = "ETHERNET, RAW, IPV4, IPV6, LINUX_SLL, LINUX_SLL2";

// pcapng blocks (draft-ietf-opsawg-pcapng), built in host byte order: the Section Header's
// byte-order magic tells readers which that was.
constexpr std::uint32_t kShbType = 0x0A0D0D0A;  // §4.1
constexpr std::uint32_t kIdbType = 0x00000001;  // §4.2
constexpr std::uint32_t kEpbType = 0x00000006;  // §4.3
constexpr std::uint16_t kOptEndOfOpt = 0;
constexpr std::uint16_t kOptComment = 1;     // §3.5 opt_comment
constexpr std::uint16_t kShbUserAppl = 4;    // §4.1 shb_userappl
constexpr std::uint16_t kIfName = 2;         // §4.2 if_name
constexpr std::uint16_t kIfDescription = 3;  // §4.2 if_description
constexpr std::uint16_t kIfTsresol = 9;      // §4.2 if_tsresol
constexpr std::uint16_t kEpbFlags = 2;       // §4.3 epb_flags

class BlockBuilder {
 public:
  explicit BlockBuilder(std::uint32_t type) {
    put32(type);
    put32(0);  // total length, patched by finish()
  }
  void put16(std::uint16_t v) { put(&v, 2); }
  void put32(std::uint32_t v) { put(&v, 4); }
  void put64(std::uint64_t v) { put(&v, 8); }
  void put(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  void pad() { out_.resize((out_.size() + 3) & ~std::size_t{3}, 0); }
  // One option: code, length, value padded to 32 bits (§3.5).
  void option(std::uint16_t code, const void* value, std::size_t len) {
    put16(code);
    put16(static_cast<std::uint16_t>(len));
    put(value, len);
    pad();
  }
  void option(std::uint16_t code, std::string_view text) {
    if (!text.empty()) option(code, text.data(), std::min<std::size_t>(text.size(), 0xfff0));
  }
  // Ends the options (if any were written), appends the trailing total length.
  const std::vector<std::uint8_t>& finish(bool had_options) {
    if (had_options) {
      put16(kOptEndOfOpt);
      put16(0);
    }
    const auto total = static_cast<std::uint32_t>(out_.size() + 4);
    put32(total);
    std::memcpy(out_.data() + 4, &total, 4);
    return out_;
  }

 private:
  std::vector<std::uint8_t> out_;
};

}  // namespace

std::string to_string(LinkType t) {
  switch (t) {
    case LinkType::kEthernet:
      return "ETHERNET";
    case LinkType::kRaw:
      return "RAW";
    case LinkType::kLinuxSll:
      return "LINUX_SLL";
    case LinkType::kIpv4:
      return "IPV4";
    case LinkType::kIpv6:
      return "IPV6";
    case LinkType::kLinuxSll2:
      return "LINUX_SLL2";
  }
  return "LINKTYPE " + std::to_string(static_cast<unsigned>(t));
}

int dlt_of(LinkType t) {
  // Every other LINKTYPE_ value this code can be given equals its DLT_ value.
  return t == LinkType::kRaw ? DLT_RAW : static_cast<int>(t);
}

LinkType link_type_for(Medium medium) {
  return medium == Medium::kEthernet ? LinkType::kEthernet : LinkType::kRaw;
}

std::optional<NetworkPacket> network_packet(const PcapRecord& record) {
  const Bytes data(record.data);
  auto ethertype_payload = [&](std::uint16_t type,
                               std::size_t offset) -> std::optional<NetworkPacket> {
    // Values below 0x0600 are 802.3 lengths or (in SLL) Linux's non-Ethernet protocol
    // numbers (LLC, CAN, ...): no network-layer packet we can name.
    if (type < 0x0600) return std::nullopt;
    return NetworkPacket{static_cast<EtherType>(type), data.subspan(offset)};
  };
  switch (record.link_type) {
    case LinkType::kRaw:
      if (data.empty()) return std::nullopt;
      if (data[0] >> 4 == 4) return NetworkPacket{EtherType::kIpv4, data};
      if (data[0] >> 4 == 6) return NetworkPacket{EtherType::kIpv6, data};
      return std::nullopt;
    case LinkType::kIpv4:
      return NetworkPacket{EtherType::kIpv4, data};
    case LinkType::kIpv6:
      return NetworkPacket{EtherType::kIpv6, data};
    case LinkType::kEthernet: {
      // dst(6) src(6) type(2), then any number of 802.1Q / 802.1ad tags (TPID, TCI, type).
      if (data.size() < 14) return std::nullopt;
      std::size_t offset = 14;
      std::uint16_t type = load_be16(data, 12);
      while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
        if (data.size() < offset + 4) return std::nullopt;
        type = load_be16(data, offset + 2);
        offset += 4;
      }
      return ethertype_payload(type, offset);
    }
    case LinkType::kLinuxSll:
      // packet type(2) ARPHRD(2) address length(2) address(8) protocol(2).
      if (data.size() < 16) return std::nullopt;
      return ethertype_payload(load_be16(data, 14), 16);
    case LinkType::kLinuxSll2:
      // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1)
      // address(8).
      if (data.size() < 20) return std::nullopt;
      return ethertype_payload(load_be16(data, 0), 20);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Reader

struct PcapReader::Handle {
  pcap_t* pcap = nullptr;
  ~Handle() {
    if (pcap != nullptr) pcap_close(pcap);
  }
};

PcapReader::PcapReader(const std::string& path) : handle_(std::make_unique<Handle>()), path_(path) {
  FILE* file = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw PcapError("cannot read " + path + ": " + std::strerror(errno));
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  // Nanosecond precision: libpcap scales microsecond files up, so every record comes out in
  // nanoseconds whatever the file holds.
  handle_->pcap =
      pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle_->pcap == nullptr) {
    if (file != stdin) std::fclose(file);  // libpcap closes it only on success
    throw PcapError(path + " is not a pcap or pcapng capture (" + errbuf + ")");
  }
  const int dlt = pcap_datalink(handle_->pcap);
  auto link_type = link_type_from_dlt(dlt);
  if (!link_type) {
    throw PcapError(path + ": unsupported link type " + dlt_description(dlt) +
                    "; readable: " + kReadableLinkTypes);
  }
  link_type_ = *link_type;
}

PcapReader::~PcapReader() = default;
PcapReader::PcapReader(PcapReader&&) noexcept = default;
PcapReader& PcapReader::operator=(PcapReader&&) noexcept = default;

std::uint32_t PcapReader::snaplen() const {
  return static_cast<std::uint32_t>(pcap_snapshot(handle_->pcap));
}

bool PcapReader::next(PcapRecord& record) {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_->pcap, &header, &data);
  if (rc == PCAP_ERROR_BREAK) return false;  // end of file
  if (rc != 1) throw PcapError(path_ + ": " + pcap_geterr(handle_->pcap));
  // With nanosecond precision tv_usec holds nanoseconds.
  record.timestamp =
      Instant::from_nanos(std::int64_t{header->ts.tv_sec} * kNanosPerSecond + header->ts.tv_usec);
  record.link_type = link_type_;
  record.original_len = header->len;
  record.data.assign(data, data + header->caplen);
  return true;
}

std::vector<PcapRecord> PcapReader::read_all() {
  std::vector<PcapRecord> records;
  PcapRecord record;
  while (next(record)) records.push_back(record);
  return records;
}

// ---------------------------------------------------------------------------------------------
// Writer

CaptureFormat capture_format_for(const std::string& path) {
  constexpr std::string_view kSuffix = ".pcapng";
  return path.size() >= kSuffix.size() && path.ends_with(kSuffix) ? CaptureFormat::kPcapng
                                                                  : CaptureFormat::kPcap;
}

struct PcapWriter::Handle {
  pcap_t* pcap = nullptr;
  pcap_dumper_t* dumper = nullptr;
  FILE* ng = nullptr;  // pcapng: written here, not through libpcap
  bool ng_owned = false;
  std::string path;
  bool open() const { return dumper != nullptr || ng != nullptr; }
  void close() {
    if (dumper != nullptr) pcap_dump_close(dumper);
    dumper = nullptr;
    if (ng != nullptr && ng_owned) std::fclose(ng);
    ng = nullptr;
  }
  ~Handle() {
    close();
    if (pcap != nullptr) pcap_close(pcap);
  }
  void put_block(const std::vector<std::uint8_t>& block) {
    if (std::fwrite(block.data(), 1, block.size(), ng) != block.size()) {
      throw PcapError("writing " + path + " failed: " + std::strerror(errno));
    }
  }
};

PcapWriter::PcapWriter(const std::string& path, LinkType link_type, PcapWriterOptions options)
    : handle_(std::make_unique<Handle>()), link_type_(link_type), options_(options) {
  handle_->path = path;
  if (options.format == CaptureFormat::kPcapng) {
    open_pcapng();
    return;
  }
  handle_->pcap = pcap_open_dead_with_tstamp_precision(
      dlt_of(link_type), static_cast<int>(options.snaplen),
      options.precision == TimestampPrecision::kNano ? PCAP_TSTAMP_PRECISION_NANO
                                                     : PCAP_TSTAMP_PRECISION_MICRO);
  if (handle_->pcap == nullptr) throw PcapError("cannot create " + path + ": out of memory");
  handle_->dumper = pcap_dump_open(handle_->pcap, path.c_str());
  if (handle_->dumper == nullptr) {
    // libpcap's message already names the file: "FILE: Permission denied".
    throw PcapError(std::string("cannot create capture file ") + pcap_geterr(handle_->pcap));
  }
  bytes_written_ = 24;  // struct pcap_file_header
  // The file header alone is already a valid (empty) capture.
  flush();
}

void PcapWriter::open_pcapng() {
  Handle& h = *handle_;
  h.ng = h.path == "-" ? stdout : std::fopen(h.path.c_str(), "wb");
  if (h.ng == nullptr) {
    throw PcapError("cannot create capture file " + h.path + ": " + std::strerror(errno));
  }
  h.ng_owned = h.path != "-";
  // §4.1 Section Header Block: byte-order magic, version 1.0, section length unknown (-1).
  BlockBuilder shb(kShbType);
  shb.put32(0x1A2B3C4D);
  shb.put16(1);
  shb.put16(0);
  shb.put64(~std::uint64_t{0});
  shb.option(kShbUserAppl, "ustack");
  const auto& shb_bytes = shb.finish(true);
  h.put_block(shb_bytes);
  bytes_written_ = shb_bytes.size();
  // §4.2 Interface Description Block: interface 0, the only one.
  BlockBuilder idb(kIdbType);
  idb.put16(static_cast<std::uint16_t>(link_type_));  // a LINKTYPE_ value, as in the file format
  idb.put16(0);
  idb.put32(options_.snaplen);
  idb.option(kIfName, options_.if_name);
  idb.option(kIfDescription, options_.if_description);
  const std::uint8_t nanoseconds = 9;  // if_tsresol: 10^-9 s
  idb.option(kIfTsresol, &nanoseconds, 1);
  const auto& idb_bytes = idb.finish(true);
  h.put_block(idb_bytes);
  bytes_written_ += idb_bytes.size();
  flush();
}

PcapWriter::~PcapWriter() = default;
PcapWriter::PcapWriter(PcapWriter&&) noexcept = default;
PcapWriter& PcapWriter::operator=(PcapWriter&&) noexcept = default;

void PcapWriter::write(Instant timestamp, Bytes packet, std::optional<std::uint32_t> original_len,
                       const PacketNotes& notes) {
  if (!handle_ || !handle_->open()) {
    throw PcapError("write to a closed capture file");
  }
  if (handle_->ng != nullptr) {
    write_pcapng(timestamp, packet, original_len, notes);
    return;
  }
  // Split into whole seconds and the fraction, rounding towards minus infinity so that
  // times before the epoch still get a fraction in [0, 1 s).
  std::int64_t ns = timestamp.total_nanos();
  std::int64_t seconds = ns / kNanosPerSecond;
  std::int64_t fraction = ns % kNanosPerSecond;
  if (fraction < 0) {
    fraction += kNanosPerSecond;
    seconds -= 1;
  }
  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(seconds);
  header.ts.tv_usec = static_cast<suseconds_t>(
      options_.precision == TimestampPrecision::kNano ? fraction : fraction / 1000);
  header.caplen = static_cast<bpf_u_int32>(std::min<std::size_t>(packet.size(), options_.snaplen));
  header.len = original_len.value_or(static_cast<std::uint32_t>(packet.size()));
  pcap_dump(reinterpret_cast<u_char*>(handle_->dumper), &header, packet.data());
  ++packets_written_;
  bytes_written_ += 16 + header.caplen;  // struct pcap_sf_pkthdr, then the octets
  if (options_.flush_each_packet) flush();
}

void PcapWriter::write_pcapng(Instant timestamp, Bytes packet,
                              std::optional<std::uint32_t> original_len, const PacketNotes& notes) {
  // §4.3 Enhanced Packet Block on interface 0; the timestamp in units of if_tsresol (ns), high
  // 32 bits first. Times before the epoch have no representation: they are written as 0.
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(timestamp.total_nanos(), 0));
  const auto caplen =
      static_cast<std::uint32_t>(std::min<std::size_t>(packet.size(), options_.snaplen));
  BlockBuilder epb(kEpbType);
  epb.put32(0);
  epb.put32(static_cast<std::uint32_t>(ns >> 32));
  epb.put32(static_cast<std::uint32_t>(ns));
  epb.put32(caplen);
  epb.put32(original_len.value_or(static_cast<std::uint32_t>(packet.size())));
  epb.put(packet.data(), caplen);
  epb.pad();
  bool options = false;
  if (!notes.comment.empty()) {
    epb.option(kOptComment, notes.comment);
    options = true;
  }
  if (notes.direction) {
    // Bits 0-1: 01 inbound, 10 outbound.
    const std::uint32_t flags = *notes.direction == PacketDirection::kReceived ? 1 : 2;
    epb.option(kEpbFlags, &flags, 4);
    options = true;
  }
  const auto& block = epb.finish(options);
  handle_->put_block(block);
  ++packets_written_;
  bytes_written_ += block.size();
  if (options_.flush_each_packet) flush();
}

void PcapWriter::flush() {
  if (!handle_ || !handle_->open()) return;
  const int rc =
      handle_->ng != nullptr ? std::fflush(handle_->ng) : pcap_dump_flush(handle_->dumper);
  if (rc != 0) {
    throw PcapError("writing " + handle_->path + " failed: " + std::strerror(errno));
  }
}

void PcapWriter::close() {
  if (!handle_ || !handle_->open()) return;
  flush();
  handle_->close();
}

// ---------------------------------------------------------------------------------------------
// Tap

namespace {
PcapWriterOptions with_format_of(const std::string& path, PcapWriterOptions options) {
  options.format = capture_format_for(path);
  return options;
}
}  // namespace

PcapTapWriter::PcapTapWriter(const std::string& path, Medium medium, PcapWriterOptions options,
                             Duration epoch_offset, std::uint64_t rotate_bytes)
    : path_(path),
      options_(with_format_of(path, options)),
      writer_(path, link_type_for(medium), options_),
      epoch_offset_(epoch_offset),
      rotate_bytes_(rotate_bytes) {}

PcapTapWriter::~PcapTapWriter() { write_held(); }

void PcapTapWriter::record(Instant now, PacketDirection dir, Bytes packet) {
  std::string comment;
  if (commenter_ != nullptr && writer_.format() == CaptureFormat::kPcapng) {
    // The packet before this one has been handled by now: its comment can say what it did.
    write_held();
    if (dir == PacketDirection::kReceived && commenter_->comments_after_handling()) {
      commenter_->arrived(now, packet);
      held_ = true;
      held_at_ = now;
      held_packet_.assign(packet.begin(), packet.end());
      return;
    }
    comment = commenter_->comment(now, dir, packet);
  }
  record(now, dir, packet, comment);
}

void PcapTapWriter::write_held() {
  if (!held_) return;
  held_ = false;
  const std::string comment =
      commenter_->comment(held_at_, PacketDirection::kReceived, Bytes(held_packet_));
  record(held_at_, PacketDirection::kReceived, Bytes(held_packet_), comment);
}

void PcapTapWriter::record(Instant now, PacketDirection dir, Bytes packet,
                           std::string_view comment) {
  write_held();  // keeps the file in the order the packets crossed the device
  // Called from the packet path: a failing disk is counted, never thrown into the stack.
  try {
    if (rotate_bytes_ != 0 && writer_.bytes_written() > rotate_bytes_) {
      // tcpdump -C names the files FILE, FILE1, FILE2, ...; the full file is closed first.
      PcapWriter next(path_ + std::to_string(file_index_ + 1), writer_.link_type(), options_);
      writer_ = std::move(next);
      ++file_index_;
    }
    if (writer_.format() == CaptureFormat::kPcapng) {
      writer_.write(now + epoch_offset_, packet, std::nullopt, PacketNotes{dir, comment});
    } else {
      writer_.write(now + epoch_offset_, packet);
    }
  } catch (const PcapError&) {
    ++write_errors_;
  }
}

Duration steady_clock_epoch_offset() {
  using namespace std::chrono;
  const auto wall = duration_cast<nanoseconds>(system_clock::now().time_since_epoch());
  const auto steady = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch());
  return Duration::nanos((wall - steady).count());
}

}  // namespace ustack::tun
