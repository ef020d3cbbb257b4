// Ephemeral port selection shared by TCP and UDP (RFC 6056 §3.3.3, algorithm 3).
//
// offset = F(local, remote, remote port, secret key); the search walks the range from
// next + offset, so the ports a host uses toward one peer are hard to guess from the ports it
// uses toward another, yet a peer sees consecutive ports (good for TIME_WAIT reuse). The key
// and the starting counter come from the layer's seed, so a run replays bit for bit. Each
// transport has its own allocator: TCP and UDP port spaces are separate, as in Linux.
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/addr.h"
#include "stack/base/function_ref.h"
#include "stack/base/random.h"

namespace ustack {

// Serializes two addresses and two ports into `buf` for a keyed hash; returns the length.
std::size_t put_tuple(std::uint8_t (&buf)[40], const IpAddr& a, const IpAddr& b, std::uint16_t pa,
                      std::uint16_t pb);

class PortAllocator {
 public:
  // [low, high] is net.ipv4.ip_local_port_range (Linux's default 32768..60999); `key` and
  // `start` come from the transport's seeded generator.
  PortAllocator(const SipKey& key, std::uint32_t start, std::uint16_t low, std::uint16_t high);

  // A port in [low, high] for which `in_use(port)` is false, or nullopt if every port is
  // taken. `remote` may be unspecified (a socket binding to port 0 before any peer is known).
  std::optional<std::uint16_t> pick(const IpAddr& local, const IpAddr& remote,
                                    std::uint16_t remote_port,
                                    FunctionRef<bool(std::uint16_t)> in_use);

  // RFC 6056 §3.3.1 (algorithm 1, "simple port randomization"), as Linux picks UDP ports: a
  // random start, then the next free port. For sockets whose port must not be guessable from
  // the previous one: RFC 5452 §9.2 wants every DNS query from a fresh random port.
  std::optional<std::uint16_t> pick_random(Rng& rng, FunctionRef<bool(std::uint16_t)> in_use);

  std::uint16_t low() const { return low_; }
  std::uint16_t high() const { return high_; }

 private:
  SipKey key_;
  std::uint32_t next_ = 0;
  std::uint16_t low_;
  std::uint16_t high_;
};

}  // namespace ustack
