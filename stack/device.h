// Device: where the stack's packets come from and go to.
//
// A device carries IP packets (TUN, Medium::kIp) or Ethernet frames (TAP, Medium::kEthernet).
// Implementations: tun/ (TUN/TAP fds), stack/link_device (in-memory link with seeded
// impairments), stack/pcap_tap_device (wraps any device and records both directions), and
// pcap replay. The core calls receive()/transmit() from Stack::poll(now) only; a device never
// calls back into the stack.
#pragma once

#include <cstddef>
#include <optional>

#include "stack/base/bytes.h"
#include "stack/base/function_ref.h"
#include "stack/base/time.h"

namespace ustack {

enum class Medium { kIp, kEthernet };

struct DeviceCaps {
  Medium medium = Medium::kIp;
  // Largest IP packet (kIp) or Ethernet payload (kEthernet) the device carries.
  std::size_t mtu = 1500;
  // The device verified checksums of received packets / computes them for sent packets, so
  // the core may skip them (IFF_VNET_HDR with TUNSETOFFLOAD, or a test link).
  bool rx_checksum_verified = false;
  bool tx_checksum_offload = false;
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
