// Fuzzes what a TUN opened with IFF_VNET_HDR hands the stack: each packet comes with a
// virtio-net header (tun/vnet_hdr.h) that may claim a partial checksum, a verified one, or a
// GSO super-packet of any size, true or not: TCP (TSO) or UDP (USO, gso_type UDP_L4, which the
// stack cuts into datagrams). The stack (IP, ICMP, a UDP layer with sockets on port 53 and a
// TCP layer with a listener and an active connection) must survive every combination; and whatever
// it sends with offload metadata must encode to a header that decodes back to the same metadata and
// points inside the packet — what the kernel would otherwise refuse (tun_get_user -EINVAL)
// or, worse, checksum at the wrong place.
//
// Input: byte 0 = flags (bit 0: the application writes 200 KB on every connection, so TSO
// super-packets go out; bit 1: claim rx_checksum_verified for the whole device); then records
// of [step u8][len u16 BE][10-byte virtio_net_hdr + packet], each delivered after advancing
// virtual time by (step & 0x7f) × 10 ms. A header the decoder rejects is dropped, as
// TunDevice does. Step bit 7 asks for sequence assistance: a TCP segment (IPv4, or IPv6
// without extension headers) gets the SEQ and ACK that answer the last segment the stack
// sent on the flow its ports name (if it names none: the ports, SEQ and ACK that answer the
// last segment sent at all) and its checksum recomputed, so the fuzzer reaches established
// connections and data in super-packets without guessing 32-bit numbers.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "stack/base/checksum.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/udp/udp_layer.h"
#include "tun/vnet_hdr.h"

namespace {

using namespace ustack;

class VnetFuzzDevice final : public Device {
 public:
  explicit VnetFuzzDevice(bool verified) : verified_(verified) {}

  DeviceCaps caps() const override {
    DeviceCaps c;
    c.mtu = 1500;
    c.rx_checksum_verified = verified_;
    c.tx_checksum_offload = true;
    c.tx_tso4 = c.tx_tso6 = c.tx_uso = true;
    c.gso_max_len = 65535;
    c.rx_gso = true;
    return c;
  }

  void push(Bytes record, bool assist) {
    inbox_.emplace_back(record.begin(), record.end());
    if (assist) follow_last_sent(inbox_.back());
  }

  std::optional<Bytes> receive(Instant) override {
    while (!inbox_.empty()) {
      current_ = std::move(inbox_.front());
      inbox_.pop_front();
      if (current_.size() < tun::kVnetHdrLen) continue;
      tun::VnetHdrDecoded h =
          tun::decode_vnet_hdr(Bytes(current_), current_.size() - tun::kVnetHdrLen);
      if (h.error) continue;
      offload_ = h.offload;
      return Bytes(current_).subspan(tun::kVnetHdrLen);
    }
    return std::nullopt;
  }
  PacketOffload rx_offload() const override { return offload_; }

  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override {
    return transmit_offload(now, len, PacketOffload{}, fill);
  }

  bool transmit_offload(Instant, std::size_t len, const PacketOffload& o,
                        FunctionRef<void(MutBytes)> fill) override {
    if (len > 65535 || (o.gso == PacketOffload::Gso::kNone && len > 1500)) std::abort();
    out_.assign(len, 0);
    fill(MutBytes(out_));
    std::uint8_t hdr[tun::kVnetHdrLen];
    tun::encode_vnet_hdr(o, MutBytes(hdr, sizeof hdr));
    tun::VnetHdrDecoded back = tun::decode_vnet_hdr(Bytes(hdr, sizeof hdr), len);
    if (back.error || back.offload.gso != o.gso || back.offload.gso_size != o.gso_size ||
        back.offload.needs_csum != o.needs_csum)
      std::abort();
    if (o.needs_csum && std::size_t{o.csum_start} + o.csum_offset + 2 > len) std::abort();
    if (o.gso != PacketOffload::Gso::kNone && (o.gso_size == 0 || !o.needs_csum)) std::abort();
    if (auto at = tcp_offset(Bytes(out_))) {
      const std::uint8_t* t = out_.data() + *at;
      std::size_t data_len = out_.size() - *at - static_cast<std::size_t>(t[12] >> 4) * 4;
      Sent& f = sent_[load32(t)];
      f.seq = load32(t + 4);
      f.ack = load32(t + 8);
      f.next = f.seq + static_cast<std::uint32_t>(data_len) + (t[13] & 0x02 ? 1 : 0) +
               (t[13] & 0x01 ? 1 : 0);
      last_ports_ = load32(t);
    }
    return true;
  }

 private:
  static std::uint32_t load32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
  }
  static void store32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  }

  // Where the TCP header of an IP packet starts, if it has a whole one.
  static std::optional<std::size_t> tcp_offset(Bytes ip) {
    if (ip.size() >= 20 && ip[0] >> 4 == 4 && ip[9] == 6) {
      std::size_t ihl = std::size_t{ip[0] & 15u} * 4;
      if (ihl >= 20 && ip.size() >= ihl + 20) return ihl;
    } else if (ip.size() >= 60 && ip[0] >> 4 == 6 && ip[6] == 6) {
      return 40;
    }
    return std::nullopt;
  }

  void follow_last_sent(ByteVec& record) {
    if (record.size() < tun::kVnetHdrLen) return;
    MutBytes ip = MutBytes(record).subspan(tun::kVnetHdrLen);
    auto at = tcp_offset(ip);
    if (!at) return;
    std::uint8_t* t = ip.data() + *at;
    // The flow the record's own ports name (as the stack would send them back), else the last.
    std::uint32_t theirs = load32(t);
    auto it = sent_.find(theirs << 16 | theirs >> 16);
    if (it == sent_.end()) it = sent_.find(last_ports_);
    if (it == sent_.end()) return;
    store32(t, it->first << 16 | it->first >> 16);
    store32(t + 4, it->second.ack);
    store32(t + 8, it->second.next);
    const std::size_t tcp_len = ip.size() - *at;
    std::uint32_t sum = ip[0] >> 4 == 4
                            ? pseudo_header_sum_v4(Ipv4Addr({ip[12], ip[13], ip[14], ip[15]}),
                                                   Ipv4Addr({ip[16], ip[17], ip[18], ip[19]}), 6,
                                                   static_cast<std::uint32_t>(tcp_len))
                            : pseudo_header_sum(ipv6_at(ip, 8), ipv6_at(ip, 24), 6,
                                                static_cast<std::uint32_t>(tcp_len));
    t[16] = t[17] = 0;
    std::uint16_t c = checksum_finish(checksum_add(sum, Bytes(t, tcp_len)));
    t[16] = static_cast<std::uint8_t>(c >> 8);
    t[17] = static_cast<std::uint8_t>(c);
  }
  static IpAddr ipv6_at(Bytes ip, std::size_t off) {
    std::array<std::uint8_t, 16> a;
    std::copy_n(ip.begin() + static_cast<std::ptrdiff_t>(off), 16, a.begin());
    return IpAddr(Ipv6Addr(a));
  }

  struct Sent {
    std::uint32_t seq = 0, ack = 0, next = 0;
  };
  std::map<std::uint32_t, Sent> sent_;  // by the ports of the segment (src << 16 | dst)
  std::uint32_t last_ports_ = 0;
  bool verified_;
  std::deque<ByteVec> inbox_;
  ByteVec current_;
  ByteVec out_;
  PacketOffload offload_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  VnetFuzzDevice dev(flags & 2);
  StackConfig cfg;
  cfg.seed = 1;
  cfg.dad_transmits = 0;
  Stack stack(cfg, dev);
  TcpLayerConfig tc;
  TcpLayer tcp(tc);
  stack.register_transport(tcp);
  UdpLayer udp(UdpLayerConfig{});
  stack.register_transport(udp);
  stack.add_address(*IpCidr::parse("198.18.0.2/24"));
  stack.add_address(*IpCidr::parse("fd00:1::2/64"));
  stack.set_default_gateway(*IpAddr::parse("198.18.0.1"));
  stack.set_default_gateway(*IpAddr::parse("fd00:1::1"));

  Instant now = Instant::from_millis(1000);
  auto listen4 = tcp.listen(IpAddr(Ipv4Addr::any()), 80, 8);
  auto listen6 = tcp.listen(IpAddr(Ipv6Addr::any()), 80, 8);
  if (!listen4 || !listen6) std::abort();
  std::vector<SocketHandle> conns;
  // UDP sockets on port 53 of each family: what a USO super-packet (gso_type UDP_L4) is cut
  // into (Stack::uso_input) is delivered and read back.
  std::vector<SocketHandle> udp_sockets;
  for (IpVersion v : {IpVersion::kV4, IpVersion::kV6}) {
    SocketHandle u = udp.open(v);
    const IpAddr any = v == IpVersion::kV4 ? IpAddr(Ipv4Addr::any()) : IpAddr(Ipv6Addr::any());
    if (udp.bind(u, any, 53, stack)) std::abort();
    udp_sockets.push_back(u);
  }
  if (auto c = tcp.connect(now, stack, *IpAddr::parse("198.18.0.1"), 8080)) conns.push_back(*c);
  if (auto c = tcp.connect(now, stack, *IpAddr::parse("fd00:1::1"), 8080)) conns.push_back(*c);

  static const ByteVec kBulk(200 * 1024, 0x42);
  std::uint8_t sink[4096];
  auto run_apps = [&] {
    while (auto a = tcp.accept(*listen4)) conns.push_back(*a);
    while (auto a = tcp.accept(*listen6)) conns.push_back(*a);
    for (SocketHandle h : conns) {
      for (;;) {
        auto n = tcp.recv(h, MutBytes(sink, sizeof sink));
        if (!n || *n == 0) break;
      }
      if (flags & 1) (void)tcp.send(h, Bytes(kBulk));
    }
    for (SocketHandle u : udp_sockets) {
      while (auto r = udp.recv_from(u, MutBytes(sink, sizeof sink))) {
        // A datagram cut from a super-packet is never larger than the device's MTU allows.
        if (r->full_size > 65535) std::abort();
      }
    }
  };

  std::size_t pos = 1;
  while (pos + 3 <= size) {
    std::size_t step = data[pos];
    std::size_t len = std::size_t{data[pos + 1]} << 8 | data[pos + 2];
    pos += 3;
    len = std::min(len, size - pos);
    now += Duration::millis(static_cast<std::int64_t>(step & 0x7f) * 10);
    stack.poll(now);  // what is due first, so that an assisted record answers it
    run_apps();
    dev.push(Bytes(data + pos, len), step & 0x80);
    pos += len;
    stack.poll(now);
    run_apps();
    stack.poll(now);
  }
  // Let every timer run out.
  for (int i = 0; i < 200 && stack.poll_at() <= now + Duration::seconds(300); ++i) {
    now = std::max(now, stack.poll_at());
    stack.poll(now);
    run_apps();
  }
  return 0;
}
