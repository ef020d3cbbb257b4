// Two TcpLayers wired back to back in memory, in virtual time: a client at 198.18.0.1 and a
// server at 198.18.0.2, each segment delivered after a fixed one-way delay, in order. For tests
// and benchmarks with many real connections (both ends are the stack, nothing is scripted).
//
//   TcpLayerPair p;
//   auto l = p.server().listen(p.server_addr(), 80, 128);
//   auto c = p.client().connect(p.now(), p.client_ip(), p.server_addr(), 80);
//   p.settle();  // the handshake completes
#pragma once

#include <cstdint>
#include <deque>

#include "stack/base/time.h"
#include "stack/tcp/tcp_layer.h"

namespace ustack {

class TcpLayerPair {
 public:
  // The tracers (may be null) get each layer's events.
  explicit TcpLayerPair(const TcpLayerConfig& client = {}, const TcpLayerConfig& server = {},
                        Duration one_way = Duration::zero(), Tracer* client_tracer = nullptr,
                        Tracer* server_tracer = nullptr);
  TcpLayerPair(const TcpLayerPair&) = delete;
  TcpLayerPair& operator=(const TcpLayerPair&) = delete;

  TcpLayer& client() { return layer_[0]; }
  TcpLayer& server() { return layer_[1]; }
  IpSender& client_ip() { return ip_[0]; }
  IpSender& server_ip() { return ip_[1]; }
  IpAddr client_addr() const { return ip_[0].local; }
  IpAddr server_addr() const { return ip_[1].local; }
  Instant now() const { return now_; }

  // Delivers segments and runs both layers' timers, in time order, up to `t` (then now() = t).
  void run_until(Instant t);
  void run_for(Duration d) { run_until(now_ + d); }
  // Runs what is due now: delivers every segment in flight that arrives by now and every
  // segment those cause (with a zero delay, a whole exchange), and due timers.
  void settle() { run_until(now_); }
  std::uint64_t segments() const { return delivered_; }
  std::size_t in_flight() const { return wire_.size(); }

 private:
  struct Packet {
    Instant at;
    int to;
    IpAddr src, dst;
    ByteVec bytes;
  };
  class Ip : public IpSender {
   public:
    bool send(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
              std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
              const IpSendOptions& opts) override;
    std::optional<IpAddr> select_source(const IpAddr&) const override { return local; }
    std::size_t path_mtu(const IpAddr&) const override { return 1500; }
    bool is_local_address(const IpAddr& a) const override { return a == local; }
    ChecksumMode checksum_mode() const override { return ChecksumMode::kCompute; }
    bool is_broadcast_address(const IpAddr&) const override { return false; }
    bool join_group(Instant, const IpAddr&) override { return true; }
    void leave_group(Instant, const IpAddr&) override {}

    TcpLayerPair* pair = nullptr;
    int side = 0;
    IpAddr local;
  };

  Instant next_event() const;

  TcpLayer layer_[2];
  Ip ip_[2];
  Duration one_way_;
  std::deque<Packet> wire_;  // one delay for all: already in arrival order
  Instant now_;
  std::uint64_t delivered_ = 0;
};

}  // namespace ustack
