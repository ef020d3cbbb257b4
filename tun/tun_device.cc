#include "tun/tun_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "tun/flow_prime.h"
#include "tun/link.h"
#include "tun/netns.h"
#include "tun/sys_error.h"
#include "tun/vnet_hdr.h"

namespace ustack::tun {
namespace {

constexpr std::size_t kEthernetHeader = 14;
// Largest SYN or echo request we prime (flow_prime.h): a bigger ping goes unprimed.
constexpr std::size_t kMaxPrimedSyn = 256;
// Largest super-packet (IP bytes) we write with TSO: an IPv4 packet's limit, the kernel's
// default gso_max_size for a TUN (64 KiB) less some room.
constexpr std::size_t kGsoMaxLen = 65535;
// Largest frame the kernel hands us: a 65535-byte MTU or an IPv6 super-packet (65535 bytes of
// payload after a 40-byte header), plus an Ethernet header (TAP) and the virtio_net_hdr,
// rounded up.
constexpr std::size_t kBufferSize = kVnetHdrLen + kMaxMtu + 40 + kEthernetHeader + 64;

// How long a new attachment waits for the kernel to start queueing to the device (link.h).
constexpr std::chrono::milliseconds kRunningWait{1000};

const char* other_flag(TunMode m) { return m == TunMode::kTun ? "--tap" : "--tun"; }

// Linux 6.2 include/uapi/linux/if_tun.h, newer than Debian 12's headers.
constexpr unsigned kTunFUso4 = 0x20;
constexpr unsigned kTunFUso6 = 0x40;

// TUNSETOFFLOAD with the richest set the kernel takes: csum+tso4+tso6 (+uso4+uso6 when `uso`:
// Linux 6.2's TUN_F_USO4/6), else csum+tso4+tso6, else csum alone, else none (a kernel without
// them refuses with EINVAL). With the USO bits the kernel sends us UDP super-packets
// (VIRTIO_NET_HDR_GSO_UDP_L4, e.g. from a UDP_SEGMENT sender), which the stack cuts into
// datagrams before its UDP layer (Stack::uso_input), and it knows ours (tun_get_user's
// virtio_net_hdr_to_skb takes UDP_L4 from 6.2 on).
TunOffload negotiate_offload(int fd, bool uso) {
  TunOffload o;
  o.vnet_hdr = true;
  int hdr_len = static_cast<int>(kVnetHdrLen);
  // The kernel's default is already sizeof(struct virtio_net_hdr); say so anyway. A
  // little-endian header on any host (a no-op on x86).
  ::ioctl(fd, TUNSETVNETHDRSZ, &hdr_len);
  int le = 1;
  ::ioctl(fd, TUNSETVNETLE, &le);
  constexpr unsigned kTso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  if (uso && ::ioctl(fd, TUNSETOFFLOAD, kTso | kTunFUso4 | kTunFUso6) == 0) {
    o.csum = o.tso = o.uso = true;
  } else if (::ioctl(fd, TUNSETOFFLOAD, kTso) == 0) {
    o.csum = o.tso = true;
  } else if (::ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM) == 0) {
    o.csum = true;
  }
  return o;
}

}  // namespace

std::string TunOffload::describe() const {
  if (!vnet_hdr) return "off";
  if (!csum) return "none";
  std::string s = tso ? "csum,tso4,tso6" : "csum";
  return uso ? s + ",uso4,uso6" : s;
}

TunDevice::TunDevice(const TunConfig& config)
    : netns_(config.netns),
      mode_(config.mode),
      persist_(config.persist),
      extra_queue_(config.extra_queue),
      multi_queue_(config.multi_queue),
      rx_buf_(kBufferSize),
      tx_buf_(kBufferSize) {
  if (config.name.size() >= IFNAMSIZ) {
    throw SysError(EINVAL, "device name '" + config.name + "' is too long (at most " +
                               std::to_string(IFNAMSIZ - 1) + " characters)");
  }
  if (config.mtu && (*config.mtu < kMinMtu || *config.mtu > kMaxMtu)) {
    throw SysError(EINVAL, "MTU " + std::to_string(*config.mtu) + " out of range (" +
                               std::to_string(kMinMtu) + ".." + std::to_string(kMaxMtu) + ")");
  }
  NetnsScope in_namespace(config.netns);
  const bool existed = !config.name.empty() && link_index(config.name) != 0;
  if ((config.must_exist || config.extra_queue) && !existed) {
    throw SysError(ENODEV, "device " + config.name + " does not exist" +
                               (config.netns.empty() ? "" : " in namespace " + config.netns));
  }

  int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      throw SysError(err,
                     "cannot open /dev/net/tun: no such file (load the tun module: "
                     "modprobe tun)");
    }
    throw_errno("cannot open /dev/net/tun", err);
  }
  fd_.reset(fd);

  ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = static_cast<short>((mode_ == TunMode::kTun ? IFF_TUN : IFF_TAP) | IFF_NO_PI |
                                     (config.offload ? IFF_VNET_HDR : 0) |
                                     (config.multi_queue ? IFF_MULTI_QUEUE : 0));
  std::memcpy(ifr.ifr_name, config.name.data(), config.name.size());
  if (::ioctl(fd_.get(), TUNSETIFF, &ifr) != 0) {
    int err = errno;
    const std::string dev = "device " + config.name;
    switch (err) {
      case EBUSY:
        throw SysError(err, dev + " is busy (another program has it open)");
      case EINVAL:
        if (existed && config.multi_queue) {
          throw SysError(err, dev +
                                  " cannot take another queue (it was created without "
                                  "multi_queue, or is not a " +
                                  (mode_ == TunMode::kTun ? "TUN" : "TAP") +
                                  " device): ip tuntap add ... multi_queue, or --queues 1");
        }
        if (existed) {
          const bool tun = mode_ == TunMode::kTun;
          throw SysError(err, dev + " exists but is not a " + (tun ? "TUN" : "TAP") +
                                  " device (if it is a " + (tun ? "TAP" : "TUN") + " device use " +
                                  other_flag(mode_) + ", else pick another name)");
        }
        throw_errno("cannot create " + dev, err);
      default:
        throw_errno(std::string("cannot attach to ") + (config.name.empty() ? "a new device" : dev),
                    err);
    }
  }
  name_ = ifr.ifr_name;
  created_ = !existed;
  if (config.offload) {
    offload_ = negotiate_offload(fd_.get(), config.uso);
    vnet_len_ = kVnetHdrLen;
  } else if (existed && !extra_queue_) {
    // TUNSETIFF without IFF_VNET_HDR cleared the header, but offload bits a previous opener set
    // on a persistent device stay: the kernel would send us partial checksums.
    ::ioctl(fd_.get(), TUNSETOFFLOAD, 0);
  }

  if (extra_queue_) {
    // The first queue set the link up: only read what it set.
    mtu_ = link_mtu(name_);
    if (mode_ == TunMode::kTap) kernel_mac_ = link_mac(name_);
    return;
  }
  if (persist_ && ::ioctl(fd_.get(), TUNSETPERSIST, 1) != 0) {
    throw_errno("cannot make " + name_ + " persistent", errno);
  }
  if (config.mtu) set_link_mtu(name_, *config.mtu);
  if (config.txqueuelen) {
    set_link_txqueuelen(name_, *config.txqueuelen);
  } else if (created_ && config.created_txqueuelen) {
    set_link_txqueuelen(name_, *config.created_txqueuelen);
  }
  mtu_ = link_mtu(name_);
  if (config.bring_up) set_link_up(name_);
  // Not running yet after a bounded wait (e.g. the link is administratively down): carry on;
  // the kernel queues nothing for a device that is down anyway.
  wait_link_running(name_, kRunningWait);
  if (mode_ == TunMode::kTap) kernel_mac_ = link_mac(name_);
}

TunDevice::~TunDevice() {
  // A device we created and made persistent stays (the caller asked for it); any other device
  // we created disappears when the fd closes. Offload bits outlive the fd on a device that
  // stays: clear them, so a later opener without IFF_VNET_HDR gets whole checksums.
  if (offload_.csum && !extra_queue_ && (persist_ || !created_))
    ::ioctl(fd_.get(), TUNSETOFFLOAD, 0);
}

DeviceCaps TunDevice::caps() const {
  DeviceCaps c;
  c.medium = mode_ == TunMode::kTun ? Medium::kIp : Medium::kEthernet;
  c.mtu = mtu_;
  // With the header we may write partial checksums and super-packets whatever TUNSETOFFLOAD
  // said (those bits are about what the kernel sends us): only with csum, to keep one mode.
  c.tx_checksum_offload = offload_.csum;
  c.tx_tso4 = c.tx_tso6 = offload_.csum;
  c.gso_max_len = offload_.csum ? kGsoMaxLen : 0;
  c.rx_gso = offload_.tso;
  c.tx_uso = offload_.uso && mode_ == TunMode::kTun;
  return c;
}

std::optional<Bytes> TunDevice::receive(Instant) {
  for (;;) {
    ssize_t n = ::read(fd_.get(), rx_buf_.data(), rx_buf_.size());
    if (n > 0) {
      ++stats_.rx_packets;
      stats_.rx_bytes += static_cast<std::uint64_t>(n);
      auto len = static_cast<std::size_t>(n);
      if (vnet_len_ == 0) return Bytes(rx_buf_.data(), len);
      VnetHdrDecoded h =
          decode_vnet_hdr(Bytes(rx_buf_.data(), len), len >= vnet_len_ ? len - vnet_len_ : 0);
      if (h.error) {
        ++stats_.rx_bad_vnet_hdr;
        continue;
      }
      rx_offload_ = h.offload;
      return Bytes(rx_buf_.data() + vnet_len_, len - vnet_len_);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) ++stats_.rx_errors;
    return std::nullopt;
  }
}

bool TunDevice::transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) {
  return transmit_offload(now, len, PacketOffload{}, fill);
}

bool TunDevice::transmit_offload(Instant, std::size_t len, const PacketOffload& offload,
                                 FunctionRef<void(MutBytes)> fill) {
  const bool gso = offload.gso != PacketOffload::Gso::kNone;
  const std::size_t link = mode_ == TunMode::kTap ? kEthernetHeader : 0;
  const std::size_t limit = (gso ? kGsoMaxLen : mtu_) + link;
  if (len > limit || vnet_len_ + len > tx_buf_.size() || (!offload.is_plain() && !offload_.csum)) {
    ++stats_.tx_too_big;
    return false;
  }
  MutBytes buf(tx_buf_.data() + vnet_len_, len);
  fill(buf);
  if (vnet_len_ != 0) {
    PacketOffload o = offload;
    if (gso) {
      // hdr_len: everything up to the TCP (UDP) payload (the kernel's linear part), from the
      // TCP header's Data Offset.
      std::size_t l4 =
          o.gso == PacketOffload::Gso::kUdpL4 ? 8 : (std::size_t{buf[o.csum_start + 12]} >> 4) * 4;
      o.hdr_len = static_cast<std::uint16_t>(o.csum_start + l4);
    }
    encode_vnet_hdr(o, MutBytes(tx_buf_.data(), vnet_len_));
  }
  if (multi_queue_) prime_flow(buf);
  if (!write_frame(tx_buf_.data(), vnet_len_ + len)) return false;
  ++stats_.tx_packets;
  stats_.tx_bytes += len;
  return true;
}

bool TunDevice::write_frame(const std::uint8_t* data, std::size_t total) {
  for (;;) {
    ssize_t n = ::write(fd_.get(), data, total);
    if (n == static_cast<ssize_t>(total)) return true;
    if (n < 0 && errno == EINTR) continue;
    ++stats_.tx_errors;
    return false;
  }
}

void TunDevice::prime_flow(Bytes frame) {
  const std::size_t link = mode_ == TunMode::kTap ? kEthernetHeader : 0;
  if (frame.size() <= link || frame.size() > kMaxPrimedSyn) return;
  if (link != 0) {
    const std::uint16_t type = load_be16(frame, 12);
    if (type != 0x0800 && type != 0x86dd) return;
  }
  prime_buf_.resize(vnet_len_ + kMaxPrimedSyn);
  MutBytes out(prime_buf_.data() + vnet_len_, frame.size());
  if (!make_flow_prime(frame.subspan(link), out.subspan(link))) return;
  std::copy_n(frame.begin(), link, out.begin());
  // A plain header: no NEEDS_CSUM, so the kernel checks the (broken) checksum and drops it.
  if (vnet_len_ != 0) encode_vnet_hdr(PacketOffload{}, MutBytes(prime_buf_.data(), vnet_len_));
  if (write_frame(prime_buf_.data(), vnet_len_ + frame.size())) ++stats_.tx_flow_primes;
}

}  // namespace ustack::tun
