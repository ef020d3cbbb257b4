#include "tun/tun_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "tun/link.h"
#include "tun/netns.h"
#include "tun/sys_error.h"

namespace ustack::tun {
namespace {

constexpr std::size_t kEthernetHeader = 14;
// Largest frame the kernel hands us: a 65535-byte MTU plus an Ethernet header (TAP), rounded.
constexpr std::size_t kBufferSize = kMaxMtu + kEthernetHeader + 64;

// How long a new attachment waits for the kernel to start queueing to the device (link.h).
constexpr std::chrono::milliseconds kRunningWait{1000};

const char* other_flag(TunMode m) { return m == TunMode::kTun ? "--tap" : "--tun"; }

}  // namespace

TunDevice::TunDevice(const TunConfig& config)
    : netns_(config.netns),
      mode_(config.mode),
      persist_(config.persist),
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
  if (config.must_exist && !existed) {
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
  ifr.ifr_flags = static_cast<short>((mode_ == TunMode::kTun ? IFF_TUN : IFF_TAP) | IFF_NO_PI);
  std::memcpy(ifr.ifr_name, config.name.data(), config.name.size());
  if (::ioctl(fd_.get(), TUNSETIFF, &ifr) != 0) {
    int err = errno;
    const std::string dev = "device " + config.name;
    switch (err) {
      case EBUSY:
        throw SysError(err, dev + " is busy (another program has it open)");
      case EINVAL:
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

  if (persist_ && ::ioctl(fd_.get(), TUNSETPERSIST, 1) != 0) {
    throw_errno("cannot make " + name_ + " persistent", errno);
  }
  if (config.mtu) set_link_mtu(name_, *config.mtu);
  mtu_ = link_mtu(name_);
  if (config.bring_up) set_link_up(name_);
  // Not running yet after a bounded wait (e.g. the link is administratively down): carry on;
  // the kernel queues nothing for a device that is down anyway.
  wait_link_running(name_, kRunningWait);
  if (mode_ == TunMode::kTap) kernel_mac_ = link_mac(name_);
}

TunDevice::~TunDevice() {
  // A device we created and made persistent stays (the caller asked for it); any other device
  // we created disappears when the fd closes.
}

DeviceCaps TunDevice::caps() const {
  DeviceCaps c;
  c.medium = mode_ == TunMode::kTun ? Medium::kIp : Medium::kEthernet;
  c.mtu = mtu_;
  return c;
}

std::optional<Bytes> TunDevice::receive(Instant) {
  for (;;) {
    ssize_t n = ::read(fd_.get(), rx_buf_.data(), rx_buf_.size());
    if (n > 0) {
      ++stats_.rx_packets;
      stats_.rx_bytes += static_cast<std::uint64_t>(n);
      return Bytes(rx_buf_.data(), static_cast<std::size_t>(n));
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) ++stats_.rx_errors;
    return std::nullopt;
  }
}

bool TunDevice::transmit(Instant, std::size_t len, FunctionRef<void(MutBytes)> fill) {
  const std::size_t limit = mtu_ + (mode_ == TunMode::kTap ? kEthernetHeader : 0);
  if (len > limit || len > tx_buf_.size()) {
    ++stats_.tx_too_big;
    return false;
  }
  MutBytes buf(tx_buf_.data(), len);
  fill(buf);
  for (;;) {
    ssize_t n = ::write(fd_.get(), buf.data(), len);
    if (n == static_cast<ssize_t>(len)) {
      ++stats_.tx_packets;
      stats_.tx_bytes += len;
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    ++stats_.tx_errors;
    return false;
  }
}

}  // namespace ustack::tun
