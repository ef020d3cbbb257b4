#include "stack/port_allocator.h"

namespace ustack {

std::size_t put_tuple(std::uint8_t (&buf)[40], const IpAddr& a, const IpAddr& b, std::uint16_t pa,
                      std::uint16_t pb) {
  std::size_t n = 0;
  for (std::uint8_t v : a.bytes()) buf[n++] = v;
  for (std::uint8_t v : b.bytes()) buf[n++] = v;
  buf[n++] = static_cast<std::uint8_t>(pa >> 8);
  buf[n++] = static_cast<std::uint8_t>(pa);
  buf[n++] = static_cast<std::uint8_t>(pb >> 8);
  buf[n++] = static_cast<std::uint8_t>(pb);
  return n;
}

PortAllocator::PortAllocator(const SipKey& key, std::uint32_t start, std::uint16_t low,
                             std::uint16_t high)
    : key_(key), next_(start), low_(low), high_(high < low ? low : high) {}

std::optional<std::uint16_t> PortAllocator::pick(const IpAddr& local, const IpAddr& remote,
                                                 std::uint16_t remote_port,
                                                 FunctionRef<bool(std::uint16_t)> in_use) {
  std::uint8_t buf[40] = {};
  std::size_t n = put_tuple(buf, local, remote, 0, remote_port);
  auto offset = static_cast<std::uint32_t>(siphash24(key_, Bytes(buf, n)));
  std::uint32_t num = std::uint32_t{high_} - low_ + 1;
  for (std::uint32_t count = num; count > 0; --count) {
    auto port = static_cast<std::uint16_t>(low_ + (next_ + offset) % num);
    ++next_;
    if (!in_use(port)) return port;
  }
  return std::nullopt;
}

std::optional<std::uint16_t> PortAllocator::pick_random(Rng& rng,
                                                        FunctionRef<bool(std::uint16_t)> in_use) {
  std::uint32_t num = std::uint32_t{high_} - low_ + 1;
  auto start = static_cast<std::uint32_t>(rng.uniform(num));
  for (std::uint32_t i = 0; i < num; ++i) {
    auto port = static_cast<std::uint16_t>(low_ + (start + i) % num);
    if (!in_use(port)) return port;
  }
  return std::nullopt;
}

}  // namespace ustack
