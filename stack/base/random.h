// A seeded PRNG (xoshiro256**) and a keyed hash (SipHash-2-4).
//
// All randomness in the core comes from here, seeded from the stack config, so a run with the
// same seed and inputs replays bit for bit. SipHash is the keyed function behind RFC 6528 ISNs
// and RFC 6056 ephemeral ports: unpredictable to an off-path attacker who lacks the key.
#pragma once

#include <array>
#include <cstdint>

#include "stack/base/bytes.h"

namespace ustack {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next_u64();
  std::uint32_t next_u32() { return static_cast<std::uint32_t>(next_u64() >> 32); }
  // Uniform in [0, bound); bound > 0.
  std::uint64_t uniform(std::uint64_t bound);
  // True with probability p (0 <= p <= 1).
  bool chance(double p);
  // Uniform in [0, 1).
  double unit();
  void fill(MutBytes out);

 private:
  std::array<std::uint64_t, 4> s_;
};

struct SipKey {
  std::uint64_t k0 = 0, k1 = 0;
};

std::uint64_t siphash24(const SipKey& key, Bytes data);

}  // namespace ustack
