#include "stack/udp/testbed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace ustack::testing {

// --- FakeUdpIp ------------------------------------------------------------------------------

UdpRepr FakeUdpIp::Sent::parse() const {
  auto r = UdpRepr::parse(bytes, src, dst, ChecksumCheck::kVerify);
  EXPECT_TRUE(r.ok()) << "the layer sent a datagram that does not parse: "
                      << (r.ok() ? "" : to_string(r.error()));
  return r.ok() ? *r : UdpRepr{};
}

std::string FakeUdpIp::Sent::payload() const {
  Bytes p = Bytes(bytes).subspan(std::min(bytes.size(), UdpRepr::kHeaderLen));
  return std::string(p.begin(), p.end());
}

bool FakeUdpIp::send(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
                     std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                     const IpSendOptions& opts) {
  EXPECT_EQ(proto, IpProto::kUdp);
  if (device_full) return false;
  Sent s{now, src, dst, opts, ByteVec(payload_len)};
  fill(s.bytes);
  sent.push_back(std::move(s));
  return true;
}

std::optional<IpAddr> FakeUdpIp::select_source(const IpAddr& dst) const {
  if (!reachable) return std::nullopt;
  return dst.is_v4() ? kUs4 : kUs6;
}

bool FakeUdpIp::is_local_address(const IpAddr& a) const {
  return a == kUs4 || a == kUs4Second || a == kUs6;
}

bool FakeUdpIp::is_broadcast_address(const IpAddr& a) const {
  return a == kBroadcast4 || a == kSubnetBroadcast4;
}

bool FakeUdpIp::join_group(Instant, const IpAddr& group) {
  if (!group.is_multicast()) return false;
  joins.push_back(group);
  return true;
}

void FakeUdpIp::leave_group(Instant, const IpAddr& group) { leaves.push_back(group); }

// --- Datagram builder -----------------------------------------------------------------------

Dgram dgram(const IpAddr& src, std::uint16_t src_port, const IpAddr& dst, std::uint16_t dst_port,
            ByteVec payload) {
  Dgram d;
  d.src = src;
  d.dst = dst;
  d.src_port = src_port;
  d.dst_port = dst_port;
  d.payload = std::move(payload);
  d.group = dst.is_multicast() || dst == kBroadcast4 || dst == kSubnetBroadcast4;
  return d;
}

Dgram dgram(const IpAddr& src, std::uint16_t src_port, const IpAddr& dst, std::uint16_t dst_port,
            const std::string& payload) {
  Bytes p = as_bytes(payload);
  return dgram(src, src_port, dst, dst_port, ByteVec(p.begin(), p.end()));
}

ByteVec Dgram::bytes() const {
  UdpRepr r;
  r.src_port = src_port;
  r.dst_port = dst_port;
  ByteVec b(UdpRepr::kHeaderLen + payload.size());
  r.emit(b, payload, src, dst);
  if (corrupt) {
    // Off by one from the right sum (0xffff + 1 would be "no checksum" over IPv4).
    std::uint16_t c = load_be16(b, 6);
    store_be16(b, 6, c == 0xffff ? 0xfffe : static_cast<std::uint16_t>(c + 1));
  }
  if (checksum_field) store_be16(b, 6, *checksum_field);
  if (length_field) store_be16(b, 4, *length_field);
  b.resize(b.size() + trailing, 0xee);
  if (cut_to) b.resize(std::min(b.size(), *cut_to));
  return b;
}

IpRxMeta Dgram::meta() const {
  IpRxMeta m;
  m.src = src;
  m.dst = dst;
  m.proto = IpProto::kUdp;
  m.hop_limit = 64;
  m.dst_is_broadcast_or_multicast = group;
  m.checksum_verified = checksum_verified;
  return m;
}

// --- UdpTestbed -----------------------------------------------------------------------------

UdpLayerConfig UdpTestbed::default_config() {
  UdpLayerConfig c;
  c.seed = 42;
  return c;
}

UdpTestbed::UdpTestbed(UdpLayerConfig cfg, Tracer* tracer) : layer_(cfg, tracer) {}

UdpSocketOptions UdpTestbed::reuse_addr() {
  UdpSocketOptions o = default_config().defaults;
  o.reuse_addr = true;
  return o;
}

UdpSocketOptions UdpTestbed::reuse_port() {
  UdpSocketOptions o = default_config().defaults;
  o.reuse_port = true;
  return o;
}

UdpSocketOptions UdpTestbed::recv_buffer(std::size_t bytes) {
  UdpSocketOptions o = default_config().defaults;
  o.recv_buffer = bytes;
  return o;
}

SocketHandle UdpTestbed::bound(const IpAddr& local, std::uint16_t port,
                               const UdpSocketOptions& opts) {
  SocketHandle h = layer_.open(local.version());
  EXPECT_EQ(layer_.set_options(h, opts), std::nullopt);
  auto e = layer_.bind(h, local, port, ip_);
  EXPECT_EQ(e, std::nullopt) << "bind " << local.to_string() << ":" << port << ": "
                             << (e ? to_string(*e) : "");
  return h;
}

SocketHandle UdpTestbed::connected(std::uint16_t port, const IpAddr& remote,
                                   std::uint16_t remote_port, const UdpSocketOptions& opts) {
  SocketHandle h = bound(remote.is_v4() ? kAny4 : kAny6, port, opts);
  EXPECT_EQ(layer_.connect(h, remote, remote_port, ip_), std::nullopt);
  return h;
}

RxVerdict UdpTestbed::inject(const Dgram& d) {
  ByteVec b = d.bytes();
  return layer_.on_packet(now_, d.meta(), b, ip_);
}

void UdpTestbed::icmp(IcmpError::Kind kind, const IpAddr& local, std::uint16_t local_port,
                      const IpAddr& remote, std::uint16_t remote_port) {
  ByteVec quoted(8);
  store_be16(quoted, 0, local_port);
  store_be16(quoted, 2, remote_port);
  store_be16(quoted, 4, 8);
  IcmpError e;
  e.kind = kind;
  e.hard = kind == IcmpError::Kind::kPortUnreachable;
  e.reporter = remote;
  e.quoted_src = local;
  e.quoted_dst = remote;
  e.quoted_proto = IpProto::kUdp;
  e.quoted_transport = quoted;
  layer_.on_icmp_error(now_, e, ip_);
}

Result<std::size_t, UdpError> UdpTestbed::send(SocketHandle h, const std::string& data,
                                               std::optional<UdpEndpoint> to) {
  return layer_.send_to(now_, h, as_bytes(data), to, ip_);
}

Result<std::size_t, UdpError> UdpTestbed::send(SocketHandle h, std::size_t size,
                                               const UdpEndpoint& to) {
  ByteVec data(size, 0x5a);
  return layer_.send_to(now_, h, data, to, ip_);
}

std::string UdpTestbed::recv(SocketHandle h) {
  ByteVec buf(70000);
  auto r = layer_.recv_from(h, buf);
  EXPECT_TRUE(r.ok()) << "recv_from: " << (r.ok() ? "" : to_string(r.error()));
  if (!r.ok()) return {};
  EXPECT_EQ(r->size, r->full_size);
  return std::string(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r->size));
}

std::optional<UdpEndpoint> UdpTestbed::recv_from(SocketHandle h) {
  ByteVec buf(70000);
  auto r = layer_.recv_from(h, buf);
  if (!r.ok()) return std::nullopt;
  return r->from;
}

FakeUdpIp::Sent UdpTestbed::pop_sent() {
  EXPECT_FALSE(ip_.sent.empty()) << "nothing was sent";
  if (ip_.sent.empty()) return {};
  FakeUdpIp::Sent s = std::move(ip_.sent.front());
  ip_.sent.pop_front();
  return s;
}

std::vector<SocketHandle> UdpTestbed::take_ready() {
  std::vector<SocketHandle> out;
  layer_.take_ready(out);
  return out;
}

bool RecordingTracer::saw(const char* what) const {
  return std::any_of(events.begin(), events.end(),
                     [&](const TraceEvent& e) { return std::strcmp(e.what, what) == 0; });
}

}  // namespace ustack::testing
