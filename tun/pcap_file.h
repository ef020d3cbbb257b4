// Reading and writing capture files: pcap and pcapng in (libpcap), pcap (libpcap) or pcapng out.
//
// This is shell code (it touches files), so it lives in tun/ and not in the core: the core
// sees packets only as Bytes, and the pcap-writing device (stack/pcap_tap_device.h) reports
// them to a PacketTap, which PcapTapWriter below implements.
//
// Reader: every record with its timestamp in nanoseconds since the Unix epoch (libpcap scales
// microsecond files up), the link type, the original length and the captured octets;
// network_packet() strips the link header (Ethernet with VLAN tags, Linux cooked SLL / SLL2)
// so tools decode every capture the same way, from the IP header on.
// Writer: classic pcap with raw-IP (TUN) or Ethernet (TAP) link type and micro- or nanosecond
// timestamps; every packet is flushed to the file, so a crash leaves a readable capture.
// Or pcapng (chosen by a ".pcapng" file name): a Section Header Block, one Interface
// Description Block (if_name, if_description, if_tsresol = 9: nanoseconds, the snaplen) and an
// Enhanced Packet Block per packet with its direction (epb_flags) and an optional comment
// (opt_comment), which Wireshark shows as the frame's comment. libpcap reads pcapng but cannot
// write it, so those blocks are written here (draft-ietf-opsawg-pcapng §4.1, §4.2, §4.3).
//
// Errors (missing file, not a capture, unsupported link type, damaged record, cannot create)
// are thrown as PcapError with a one-line message naming the file and the problem.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/bytes.h"
#include "stack/base/time.h"
#include "stack/device.h"
#include "stack/wire/common.h"

namespace ustack::tun {

// Link-layer header types, as LINKTYPE_* numbers of the file formats
// (https://www.tcpdump.org/linktypes.html). The reader accepts exactly these.
enum class LinkType : std::uint16_t {
  kEthernet = 1,     // LINKTYPE_ETHERNET: 14-octet Ethernet II header (TAP, veth)
  kRaw = 101,        // LINKTYPE_RAW: IPv4 or IPv6, no header (TUN)
  kLinuxSll = 113,   // LINKTYPE_LINUX_SLL: 16-octet cooked header (tcpdump -i any -y LINUX_SLL)
  kIpv4 = 228,       // LINKTYPE_IPV4: raw IPv4 only
  kIpv6 = 229,       // LINKTYPE_IPV6: raw IPv6 only
  kLinuxSll2 = 276,  // LINKTYPE_LINUX_SLL2: 20-octet cooked header (tcpdump -i any)
};

// "ETHERNET", "RAW", "LINUX_SLL", "IPV4", "IPV6", "LINUX_SLL2", or "LINKTYPE 105".
std::string to_string(LinkType t);

// libpcap's DLT_ value for a link type: the same number except for raw IP (DLT_RAW differs
// between platforms while files say LINKTYPE_RAW, 101).
int dlt_of(LinkType t);

// The link type a device's packets are written with: raw IP for TUN, Ethernet for TAP.
LinkType link_type_for(Medium medium);

enum class TimestampPrecision { kMicro, kNano };

enum class CaptureFormat { kPcap, kPcapng };

// kPcapng when `path` ends in ".pcapng", else kPcap.
CaptureFormat capture_format_for(const std::string& path);

class PcapError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PcapRecord {
  Instant timestamp;  // since the Unix epoch, nanosecond resolution
  LinkType link_type = LinkType::kRaw;
  std::uint32_t original_len = 0;  // length on the wire; data may be shorter (snaplen)
  ByteVec data;                    // the captured octets, link header included
};

// The network-layer packet inside a record.
struct NetworkPacket {
  EtherType ethertype;  // kIpv4, kIpv6, kArp, ... (any value the link header named)
  Bytes packet;         // view into the record's data, from the network header on
};

// Strips the link header. Raw IP gets its EtherType from the IP version nibble; Ethernet
// skips 802.1Q/802.1ad VLAN tags. Returns nullopt when the record is shorter than its link
// header, when an Ethernet/SLL frame carries an 802.3 length or a non-EtherType protocol,
// or when a raw-IP packet is neither version 4 nor 6.
std::optional<NetworkPacket> network_packet(const PcapRecord& record);

// Reads a pcap or pcapng file record by record.
class PcapReader {
 public:
  // Opens `path` ("-" reads standard input). Throws PcapError: "cannot read FILE: No such file
  // or directory", "FILE is not a pcap or pcapng capture (...)", "FILE: unsupported link type
  // 105 (IEEE802_11); readable: ETHERNET, RAW, IPV4, IPV6, LINUX_SLL, LINUX_SLL2".
  explicit PcapReader(const std::string& path);
  ~PcapReader();
  PcapReader(PcapReader&&) noexcept;
  PcapReader& operator=(PcapReader&&) noexcept;

  const std::string& path() const { return path_; }
  LinkType link_type() const { return link_type_; }
  std::uint32_t snaplen() const;

  // Reads the next record into `record` (reusing its buffer). Returns false at the end of the
  // file; throws PcapError if the file is damaged (a record cut short, ...).
  bool next(PcapRecord& record);
  // Every remaining record.
  std::vector<PcapRecord> read_all();

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::string path_;
  LinkType link_type_ = LinkType::kRaw;
};

struct PcapWriterOptions {
  TimestampPrecision precision = TimestampPrecision::kMicro;
  // Longer packets are cut to this many octets (the record keeps the original length).
  std::uint32_t snaplen = 262144;
  // pcap_dump_flush() after every packet, so a crash loses nothing written so far.
  bool flush_each_packet = true;
  // kPcapng writes pcapng; its timestamps are always nanoseconds (if_tsresol = 9), whatever
  // `precision` says.
  CaptureFormat format = CaptureFormat::kPcap;
  // pcapng only: the interface's if_name ("ust0") and if_description ("ustack tun ust0
  // 198.18.0.2/24"); empty ones are left out.
  std::string if_name;
  std::string if_description;
};

// What pcapng records beside a packet (classic pcap has no room for either).
struct PacketNotes {
  std::optional<PacketDirection> direction;  // epb_flags inbound/outbound
  std::string_view comment;                  // opt_comment; empty: none
};

// Writes a classic pcap or a pcapng file.
class PcapWriter {
 public:
  // Creates or truncates `path` ("-" writes standard output). Throws PcapError ("cannot create
  // FILE: Permission denied").
  PcapWriter(const std::string& path, LinkType link_type, PcapWriterOptions options = {});
  ~PcapWriter();
  PcapWriter(PcapWriter&&) noexcept;
  PcapWriter& operator=(PcapWriter&&) noexcept;

  LinkType link_type() const { return link_type_; }
  std::uint64_t packets_written() const { return packets_written_; }
  CaptureFormat format() const { return options_.format; }
  // The file's size so far: its 24-octet header and each record's 16-octet header and octets
  // (pcapng: every block).
  std::uint64_t bytes_written() const { return bytes_written_; }

  // Appends one record; `timestamp` is time since the Unix epoch. `original_len` defaults to
  // packet.size() (pass the wire length when `packet` is already cut).
  // `notes` go into a pcapng file and are ignored in a pcap.
  void write(Instant timestamp, Bytes packet, std::optional<std::uint32_t> original_len = {},
             const PacketNotes& notes = {});
  void flush();
  // Flushes and closes; later writes throw. The destructor closes too.
  void close();

 private:
  void open_pcapng();
  void write_pcapng(Instant timestamp, Bytes packet, std::optional<std::uint32_t> original_len,
                    const PacketNotes& notes);

  struct Handle;
  std::unique_ptr<Handle> handle_;
  LinkType link_type_ = LinkType::kRaw;
  PcapWriterOptions options_;
  std::uint64_t packets_written_ = 0;
  std::uint64_t bytes_written_ = 0;
};

// What a PcapTapWriter asks before writing a packet: the comment pcapng gives it ("" for none).
// tun/pcap_comments.h has the one that explains TCP segments from the tracer's events.
class PacketCommenter {
 public:
  virtual ~PacketCommenter() = default;
  virtual std::string comment(Instant now, PacketDirection dir, Bytes packet) = 0;
  // True: a received packet is only written, and its comment asked for, once the stack has
  // handled it (when the next packet crosses the device, or at flush()), so the comment can
  // say what the packet did; arrived() is told of it at once.
  virtual bool comments_after_handling() const { return false; }
  virtual void arrived(Instant /*now*/, Bytes /*packet*/) {}
};

// Records every packet crossing a device into a pcap: the PacketTap behind
// `ustack up --pcap FILE` (wrap the device in a PcapTapDevice with this as its tap).
// A path ending in ".pcapng" writes pcapng (options.format is set from the path), with each
// packet's direction and, given a commenter, its comment.
//
// The core's Instants start wherever the shell's clock starts; `epoch_offset` is added to
// each so the file holds wall-clock times (steady_clock_epoch_offset() gives it for Instants
// taken from std::chrono::steady_clock). Classic pcap has no direction field, so both
// directions go into the one file; the IP addresses tell them apart.
//
// With `rotate_bytes` (--pcap-size), tcpdump -C's rotation: before a packet is written, a file
// already larger than rotate_bytes is closed and the next one opened: FILE, FILE1, FILE2, …
// (so a file exceeds the size by at most one packet, and each is a complete capture).
class PcapTapWriter : public PacketTap {
 public:
  PcapTapWriter(const std::string& path, Medium medium, PcapWriterOptions options = {},
                Duration epoch_offset = Duration::zero(), std::uint64_t rotate_bytes = 0);

  ~PcapTapWriter() override;
  PcapTapWriter(const PcapTapWriter&) = delete;
  PcapTapWriter& operator=(const PcapTapWriter&) = delete;

  void record(Instant now, PacketDirection dir, Bytes packet) override;
  // With this comment instead of the commenter's (pcapng; a pcap ignores it).
  void record(Instant now, PacketDirection dir, Bytes packet, std::string_view comment);
  // pcapng comments come from `commenter` (may be null; not owned).
  void set_commenter(PacketCommenter* commenter) { commenter_ = commenter; }

  // The file being written.
  const PcapWriter& writer() const { return writer_; }
  // Files opened so far (1 without rotation).
  std::uint64_t files() const { return file_index_ + 1; }
  // Packets that could not be written (disk full, the next file cannot be created, ...):
  // counted, never thrown into the stack.
  std::uint64_t write_errors() const { return write_errors_; }
  // Writes a received packet held for its comment (PacketCommenter::comments_after_handling)
  // and flushes the file.
  void flush() {
    write_held();
    writer_.flush();
  }

 private:
  void write_held();

  std::string path_;
  PcapWriterOptions options_;
  PcapWriter writer_;
  Duration epoch_offset_;
  std::uint64_t rotate_bytes_;
  std::uint64_t file_index_ = 0;
  std::uint64_t write_errors_ = 0;
  PacketCommenter* commenter_ = nullptr;
  // A received packet waiting for the stack to handle it before it is written with its comment.
  bool held_ = false;
  Instant held_at_;
  ByteVec held_packet_;
};

// system_clock::now() - steady_clock::now(): add it to a steady-clock Instant to get time since
// the Unix epoch.
Duration steady_clock_epoch_offset();

}  // namespace ustack::tun
