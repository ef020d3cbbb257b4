// TunDevice: a Linux TUN (IP packets, IFF_TUN|IFF_NO_PI) or TAP (Ethernet frames, IFF_TAP)
// device as a ustack::Device.
//
// Opens /dev/net/tun, attaches to the named device or creates it (TUNSETIFF), optionally
// inside a named network namespace (the fd stays bound to that namespace's device after we
// switch back), sets the MTU and brings the link up. The fd is non-blocking: receive() returns
// nullopt on EAGAIN, so the runtime reads until the device is empty on each wakeup.
//
// A device we created without `persist` disappears when the fd is closed; one that existed
// before (e.g. made by `ip tuntap add`) is left as it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/device.h"
#include "tun/unique_fd.h"

namespace ustack::tun {

enum class TunMode { kTun, kTap };

inline constexpr std::size_t kMinMtu = 68;  // RFC 791: every IPv4 host must take 68
inline constexpr std::size_t kMaxMtu = 65535;

struct TunConfig {
  std::string name;  // "" lets the kernel pick (tun0, tap0, ...)
  TunMode mode = TunMode::kTun;
  std::string netns;               // open the device inside this namespace ("" = current)
  std::optional<std::size_t> mtu;  // set this MTU; nullopt keeps the device's
  // The kernel-side transmit queue (`ip link set NAME txqueuelen N`), which for a TUN/TAP is the
  // backlog of packets waiting for us to read them: the kernel drops what does not fit, with no
  // backpressure. Set when given; otherwise a device we create gets `created_txqueuelen` (if
  // set) and one that existed keeps its own.
  std::optional<std::size_t> txqueuelen;
  std::optional<std::size_t> created_txqueuelen;
  bool must_exist = false;  // attach only: fail if there is no such device
  bool persist = false;     // a device we create survives our exit (TUNSETPERSIST)
  bool bring_up = true;     // set IFF_UP on the kernel side
  // IFF_VNET_HDR with TUNSETOFFLOAD csum,tso4,tso6: the kernel hands us partial checksums and
  // TCP super-packets, and takes ours (TSO). Falls back step by step to csum only, then to no
  // offload bits, then to a plain device, when the kernel refuses (offload_state() says which).
  bool offload = false;
  // With offload: TUN_F_USO4|TUN_F_USO6 too (Linux 6.2+) when the kernel takes them: UDP
  // super-packets (VIRTIO_NET_HDR_GSO_UDP_L4) both ways. Off: as if the kernel refused them.
  bool uso = true;
  // IFF_MULTI_QUEUE: this fd is one queue of a multi-queue device (`--queues N` opens the same
  // name N times, one fd per stack shard). The kernel picks the queue of each packet it sends
  // us by flow (drivers/net/tun.c tun_automq_select_queue); a device created without the flag
  // cannot take a second queue (EINVAL), and a multi-queue device cannot be opened without it.
  bool multi_queue = false;
  // A further queue of a multi-queue device this process already opened and set up: attach
  // only (the device must exist), leave MTU, link state and offload bits to the first queue.
  bool extra_queue = false;
};

// What the device negotiated with the kernel (TunDevice::offload_state()).
struct TunOffload {
  bool vnet_hdr = false;  // IFF_VNET_HDR: every packet has a virtio_net_hdr
  bool csum = false;      // TUN_F_CSUM: the kernel may leave checksums partial (and so may we)
  bool tso = false;       // TUN_F_TSO4|TUN_F_TSO6: the kernel may send TCP super-packets
  // The kernel took TUN_F_USO4|TUN_F_USO6: it may send us UDP super-packets (the stack cuts
  // them into datagrams), and we send it ours (TUN only).
  bool uso = false;
  // "csum,tso4,tso6" (",uso4,uso6" with USO), "csum", "none" (vnet_hdr, no offload
  // bits) or "off".
  std::string describe() const;
};

struct TunStats {
  std::uint64_t rx_packets = 0, rx_bytes = 0, rx_errors = 0;
  std::uint64_t tx_packets = 0, tx_bytes = 0, tx_errors = 0, tx_too_big = 0;
  std::uint64_t rx_bad_vnet_hdr = 0;  // dropped: a virtio_net_hdr we cannot honour
  std::uint64_t tx_flow_primes = 0;   // multi-queue: SYNs/echo requests primed (flow_prime.h)
};

class TunDevice : public Device {
 public:
  // Throws SysError with a one-line message: "cannot open /dev/net/tun: Operation not permitted
  // (run as root ...)", "device ust0 is busy (another program has it open)", ...
  explicit TunDevice(const TunConfig& config);
  ~TunDevice() override;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  const std::string& name() const { return name_; }
  const std::string& netns() const { return netns_; }
  TunMode mode() const { return mode_; }
  int fd() const { return fd_.get(); }
  // True if this object created the device (it did not exist before).
  bool created() const { return created_; }
  // The kernel side's MAC address (TAP only; zero for TUN).
  MacAddr kernel_mac() const { return kernel_mac_; }
  const TunStats& stats() const { return stats_; }
  const TunOffload& offload_state() const { return offload_; }

  DeviceCaps caps() const override;
  std::optional<Bytes> receive(Instant now) override;
  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override;
  PacketOffload rx_offload() const override { return rx_offload_; }
  bool transmit_offload(Instant now, std::size_t len, const PacketOffload& offload,
                        FunctionRef<void(MutBytes)> fill) override;

 private:
  UniqueFd fd_;
  std::string name_;
  std::string netns_;
  TunMode mode_;
  bool created_ = false;
  bool persist_ = false;
  bool extra_queue_ = false;
  bool multi_queue_ = false;
  std::size_t mtu_ = 1500;
  MacAddr kernel_mac_;
  TunOffload offload_;
  std::size_t vnet_len_ = 0;  // bytes of virtio_net_hdr before each packet (0 or 10)
  PacketOffload rx_offload_;
  ByteVec rx_buf_;
  ByteVec tx_buf_;
  ByteVec prime_buf_;  // multi-queue: the flow prime written before a SYN
  TunStats stats_;

  bool write_frame(const std::uint8_t* data, std::size_t total);
  void prime_flow(Bytes frame);
};

}  // namespace ustack::tun
