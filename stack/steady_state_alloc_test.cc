// No heap allocation per packet in steady state (issue 12, item 2): two whole Stacks with a
// TcpLayer each move a bulk transfer over a device pair whose packet slots are allocated once;
// after a warm-up (rings grown, timers and tables sized), megabytes more cross both ways and
// the process makes no further operator-new call at all. A per-packet allocation anywhere on
// the path (IP, TCP input and output, the sent queue, the reassembly of out-of-order data,
// timers, counters) fails the test with the number of calls it made.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stack/stack.h"
#include "stack/tcp/heap_counter.h"
#include "stack/tcp/tcp_layer.h"

namespace ustack {
namespace {

// One direction of the pair: a ring of fixed slots, filled by one end, drained by the other.
class SlotRing {
 public:
  static constexpr std::size_t kSlots = 1024;
  static constexpr std::size_t kSlotSize = 1600;

  bool push(std::size_t len, FunctionRef<void(MutBytes)> fill) {
    if (count_ == kSlots || len > kSlotSize) return false;
    Slot& s = slots_[(head_ + count_) % kSlots];
    fill(MutBytes(s.bytes.data(), len));
    s.len = len;
    ++count_;
    return true;
  }
  std::optional<Bytes> pop() {
    if (count_ == 0) return std::nullopt;
    Slot& s = slots_[head_];
    head_ = (head_ + 1) % kSlots;
    --count_;
    return Bytes(s.bytes.data(), s.len);  // valid until the slot is reused, kSlots pushes on
  }

 private:
  struct Slot {
    std::array<std::uint8_t, kSlotSize> bytes;
    std::size_t len = 0;
  };
  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
  std::size_t head_ = 0, count_ = 0;
};

class RingDevice final : public Device {
 public:
  RingDevice(SlotRing& in, SlotRing& out) : in_(in), out_(out) {}
  DeviceCaps caps() const override { return DeviceCaps{}; }
  std::optional<Bytes> receive(Instant) override { return in_.pop(); }
  bool transmit(Instant, std::size_t len, FunctionRef<void(MutBytes)> fill) override {
    return out_.push(len, fill);
  }

 private:
  SlotRing& in_;
  SlotRing& out_;
};

struct Host {
  Host(Device& dev, const char* addr, std::uint64_t seed)
      : stack(config(seed), dev), tcp(TcpLayerConfig{}) {
    stack.register_transport(tcp);
    stack.add_address(*IpCidr::parse(addr));
  }
  static StackConfig config(std::uint64_t seed) {
    StackConfig c;
    c.seed = seed;
    c.dad_transmits = 0;
    return c;
  }
  Stack stack;
  TcpLayer tcp;
};

TEST(SteadyState, BulkBothWaysMakesNoHeapAllocation) {
  SlotRing a_to_b, b_to_a;
  RingDevice dev_a(b_to_a, a_to_b), dev_b(a_to_b, b_to_a);
  Host a(dev_a, "198.18.0.2/24", 1), b(dev_b, "198.18.0.1/24", 2);

  Instant now = Instant::from_millis(1000);
  auto listener = b.tcp.listen(IpAddr(Ipv4Addr::any()), 80, 4);
  ASSERT_TRUE(listener);
  auto ca = a.tcp.connect(now, a.stack, *IpAddr::parse("198.18.0.1"), 80);
  ASSERT_TRUE(ca);
  std::optional<SocketHandle> cb;

  static std::array<std::uint8_t, 65536> out_buf, in_buf;
  std::uint64_t a_got = 0, b_got = 0;
  auto step = [&] {
    a.stack.poll(now);
    b.stack.poll(now);
    if (!cb) {
      if (auto h = b.tcp.accept(*listener)) cb = *h;
    }
    // Both ends write and read as fast as they can: data and ACKs cross both ways.
    (void)a.tcp.send(*ca, Bytes(out_buf));
    while (auto n = a.tcp.recv(*ca, MutBytes(in_buf))) {
      if (*n == 0) break;
      a_got += *n;
    }
    if (cb) {
      (void)b.tcp.send(*cb, Bytes(out_buf));
      while (auto n = b.tcp.recv(*cb, MutBytes(in_buf))) {
        if (*n == 0) break;
        b_got += *n;
      }
    }
    now += Duration::micros(100);
  };

  while (b_got < 8u << 20) step();  // warm-up: windows open, rings and tables at size
  ASSERT_GT(a_got, 1u << 20);
  const std::size_t before = heap_allocations();
  const std::uint64_t a0 = a_got, b0 = b_got;
  while (b_got - b0 < 16u << 20) step();
  const std::size_t calls = heap_allocations() - before;
  EXPECT_GT(a_got - a0, 4u << 20);
  EXPECT_EQ(calls, 0u) << "operator new calls while " << (b_got - b0 + a_got - a0)
                       << " bytes crossed";
}

}  // namespace
}  // namespace ustack
