// Device: where the stack's packets come from and go to.
//
// A device carries IP packets (TUN, Medium::kIp) or Ethernet frames (TAP, Medium::kEthernet).
// Implementations: tun/ (TUN/TAP fds), stack/link_device (in-memory link with seeded
// impairments), stack/pcap_tap_device (wraps any device and records both directions), and
// pcap replay. The core calls receive()/transmit() from Stack::poll(now) only; a device never
// calls back into the stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/base/bytes.h"
#include "stack/base/function_ref.h"
#include "stack/base/time.h"

namespace ustack {

enum class Medium { kIp, kEthernet };

// Per-packet offload metadata: what a virtio_net_hdr says about one packet (IFF_VNET_HDR on a
// TUN/TAP, virtio 1.x §5.1.6), in device-neutral terms. Offsets count from the start of the
// packet (kIp) or frame (kEthernet) the device hands over or is given.
struct PacketOffload {
  enum class Gso : std::uint8_t { kNone, kTcpV4, kTcpV6, kUdpL4 };
  // VIRTIO_NET_HDR_F_NEEDS_CSUM: the transport checksum is partial: the field at csum_start +
  // csum_offset holds the pseudo-header sum, and whoever segments or delivers the packet
  // completes it over the bytes from csum_start on (Linux CHECKSUM_PARTIAL). A received packet
  // with it came from a sender that vouches for its data (the local kernel): skip verification.
  bool needs_csum = false;
  // VIRTIO_NET_HDR_F_DATA_VALID (receive only): the checksum was verified already.
  bool data_valid = false;
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;
  // A super-packet: one IP header, one TCP (UDP) header, a payload the device (or the kernel)
  // cuts into gso_size-byte segments (datagrams), each with its own headers.
  Gso gso = Gso::kNone;
  std::uint16_t gso_size = 0;
  std::uint16_t hdr_len = 0;  // link + IP + transport header bytes (a hint)

  bool is_plain() const { return !needs_csum && !data_valid && gso == Gso::kNone; }
  // The transport checksum need not be verified on receipt.
  bool checksum_trusted() const { return needs_csum || data_valid; }
};

struct DeviceCaps {
  Medium medium = Medium::kIp;
  // Largest IP packet (kIp) or Ethernet payload (kEthernet) the device carries.
  std::size_t mtu = 1500;
  // The device verified checksums of received packets / computes them for sent packets, so
  // the core may skip them (a test link). A TUN with IFF_VNET_HDR says so per packet instead
  // (PacketOffload from rx_offload()) and sets tx_checksum_offload: sent TCP/UDP packets
  // carry a partial checksum and NEEDS_CSUM.
  bool rx_checksum_verified = false;
  bool tx_checksum_offload = false;
  // Segmentation offload on send (TSO/USO): transmit_offload() takes TCP (UDP) super-packets of
  // up to gso_max_len bytes (IP packet) that the device cuts at gso_size. Needs
  // tx_checksum_offload.
  bool tx_tso4 = false;
  bool tx_tso6 = false;
  std::size_t gso_max_len = 0;
  // UDP segmentation offload on send (USO, VIRTIO_NET_HDR_GSO_UDP_L4, Linux 6.2+ TUN): the
  // device takes UDP super-packets (Gso::kUdpL4) and cuts them into gso_size-byte datagrams.
  // Medium kIp only; needs tx_checksum_offload.
  bool tx_uso = false;
  // Receive: the device may hand over super-packets larger than the MTU (GSO from the kernel,
  // TUNSETOFFLOAD TSO4/TSO6), each with its PacketOffload.
  bool rx_gso = false;
  // How many packets the stack should move per poll before yielding (fairness with timers).
  std::size_t max_burst = 64;
};

class Device {
 public:
  virtual ~Device() = default;

  virtual DeviceCaps caps() const = 0;

  // The next received packet or frame, or nullopt when none is waiting. The span stays valid
  // until the next call to receive() on this device.
  virtual std::optional<Bytes> receive(Instant now) = 0;

  // Sends one packet of exactly `len` bytes: the device hands `fill` a buffer of that size to
  // write into, then sends it. Returns false (packet dropped, counted by the caller) when the
  // device has no room or `len` exceeds what it can carry.
  virtual bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) = 0;

  // The offload metadata of the packet the last receive() returned (plain for devices that
  // have none).
  virtual PacketOffload rx_offload() const { return {}; }

  // transmit() with offload metadata for the packet (a partial checksum, a super-packet). Only
  // what caps() offers may be asked for. By default: a device that offers tx_checksum_offload
  // without per-packet metadata (a test link) takes the packet as it is; a super-packet is
  // refused.
  virtual bool transmit_offload(Instant now, std::size_t len, const PacketOffload& offload,
                                FunctionRef<void(MutBytes)> fill) {
    return offload.gso == PacketOffload::Gso::kNone && transmit(now, len, fill);
  }

  // The stack reassembled a datagram from fragments this device handed over; `frame` is the
  // whole datagram as receive() would have returned it (an Ethernet frame for kEthernet). True:
  // the device took it, the stack goes no further with it. A multi-queue shard
  // (tun/shard_router.h) takes the datagrams whose flow another shard holds: fragments meet on
  // one shard to be reassembled, the whole goes to the flow's owner. By default: false.
  virtual bool take_reassembled(Instant now, Bytes frame) { return false; }
};

enum class PacketDirection { kReceived, kSent };

// Observer of every packet crossing a device (a pcap writer, a tracer). Implemented outside
// the core when it does I/O (tun/pcap_file.h), so the core stays free of files.
class PacketTap {
 public:
  virtual ~PacketTap() = default;
  virtual void record(Instant now, PacketDirection dir, Bytes packet) = 0;
};

}  // namespace ustack
