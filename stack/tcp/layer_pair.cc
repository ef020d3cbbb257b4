#include "stack/tcp/layer_pair.h"

#include <algorithm>

namespace ustack {

namespace {

TcpLayerConfig with_seed(TcpLayerConfig c, std::uint64_t salt) {
  c.seed ^= salt;  // two layers with one config still draw different keys
  return c;
}

}  // namespace

TcpLayerPair::TcpLayerPair(const TcpLayerConfig& client, const TcpLayerConfig& server,
                           Duration one_way, Tracer* client_tracer, Tracer* server_tracer)
    : layer_{TcpLayer(with_seed(client, 0x636c69656e74ull), client_tracer),
             TcpLayer(with_seed(server, 0x736572766572ull), server_tracer)},
      one_way_(one_way) {
  ip_[0].local = Ipv4Addr({198, 18, 0, 1});
  ip_[1].local = Ipv4Addr({198, 18, 0, 2});
  for (int i = 0; i < 2; ++i) {
    ip_[i].pair = this;
    ip_[i].side = i;
  }
}

bool TcpLayerPair::Ip::send(Instant now, const IpAddr& src, const IpAddr& dst, IpProto,
                            std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                            const IpSendOptions&) {
  ByteVec b(payload_len);
  fill(b);
  pair->wire_.push_back({now + pair->one_way_, 1 - side, src, dst, std::move(b)});
  return true;
}

Instant TcpLayerPair::next_event() const {
  Instant t = std::min(layer_[0].poll_at(), layer_[1].poll_at());
  if (!wire_.empty()) t = std::min(t, wire_.front().at);
  return t;
}

void TcpLayerPair::run_until(Instant t) {
  for (;;) {
    Instant next = next_event();
    if (next > t) break;
    now_ = std::max(now_, next);
    while (!wire_.empty() && wire_.front().at <= now_) {
      Packet p = std::move(wire_.front());
      wire_.pop_front();
      IpRxMeta meta;
      meta.src = p.src;
      meta.dst = p.dst;
      layer_[p.to].on_packet(now_, meta, p.bytes, ip_[p.to]);
      ++delivered_;
    }
    for (int i = 0; i < 2; ++i) {
      if (layer_[i].poll_at() <= now_) layer_[i].poll(now_, ip_[i]);
    }
  }
  now_ = std::max(now_, t);
}

}  // namespace ustack
