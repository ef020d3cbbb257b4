// UdpTestbed: tests of the UDP layer in virtual time, with no IP layer.
//
//   UdpTestbed t;
//   SocketHandle s = t.bound(kUs4, 53);
//   EXPECT_EQ(t.inject(dgram(kPeer4, 5000, kUs4, 53, "query")), RxVerdict::kDelivered);
//   EXPECT_EQ(t.recv(s), "query");
//
// The layer talks to a FakeUdpIp: our addresses are 198.18.0.2/24 and fd00:1::2, every
// destination is routable (unless `reachable` is false), and everything sent, the options it
// was sent with, and every group join and leave are recorded. dgram() builds the datagrams a
// peer sends, including the malformed ones a hostile peer sends.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/time.h"
#include "stack/udp/udp_layer.h"
#include "stack/wire/udp.h"

namespace ustack::testing {

inline const IpAddr kUs4 = Ipv4Addr({198, 18, 0, 2});
inline const IpAddr kUs4Second = Ipv4Addr({198, 18, 0, 3});  // also ours
inline const IpAddr kPeer4 = Ipv4Addr({198, 18, 0, 1});
inline const IpAddr kOther4 = Ipv4Addr({198, 18, 0, 9});
inline const IpAddr kSubnetBroadcast4 = Ipv4Addr({198, 18, 0, 255});
inline const IpAddr kBroadcast4 = Ipv4Addr::broadcast();
inline const IpAddr kAny4 = Ipv4Addr::any();
inline const IpAddr kGroup4 = Ipv4Addr({239, 1, 2, 3});
inline const IpAddr kOtherGroup4 = Ipv4Addr({239, 1, 2, 4});
inline const IpAddr kUs6 = *Ipv6Addr::parse("fd00:1::2");
inline const IpAddr kPeer6 = *Ipv6Addr::parse("fd00:1::1");
inline const IpAddr kAny6 = Ipv6Addr::any();
inline const IpAddr kGroup6 = *Ipv6Addr::parse("ff12::1:3");

// An IpSender that records what the layer asks of the IP layer.
class FakeUdpIp : public IpSender {
 public:
  struct Sent {
    Instant at;
    IpAddr src, dst;
    IpSendOptions opts;
    ByteVec bytes;  // the UDP datagram (header and payload)
    // The datagram parsed with its checksum verified (fails the test if it does not parse).
    UdpRepr parse() const;
    std::string payload() const;
  };

  bool send(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
            std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
            const IpSendOptions& opts) override;
  std::optional<IpAddr> select_source(const IpAddr& dst) const override;
  std::size_t path_mtu(const IpAddr&) const override { return mtu; }
  bool is_local_address(const IpAddr& a) const override;
  ChecksumMode checksum_mode() const override { return ChecksumMode::kCompute; }
  bool is_broadcast_address(const IpAddr& a) const override;
  bool join_group(Instant now, const IpAddr& group) override;
  void leave_group(Instant now, const IpAddr& group) override;

  std::size_t mtu = 1500;
  bool reachable = true;     // false: select_source() finds no route
  bool device_full = false;  // true: send() refuses the packet
  std::deque<Sent> sent;
  std::vector<IpAddr> joins, leaves;
};

// A datagram from a peer, as the IP layer hands it to the transport.
struct Dgram {
  IpAddr src, dst;
  std::uint16_t src_port = 0, dst_port = 0;
  ByteVec payload;
  std::optional<std::uint16_t> length_field;    // overrides the UDP length
  std::optional<std::uint16_t> checksum_field;  // overrides the checksum
  bool corrupt = false;                         // a checksum that does not verify
  std::size_t trailing = 0;                     // bytes after the UDP length (IP padding)
  std::optional<std::size_t> cut_to;            // the IP payload is only this long
  bool group = false;                           // IpRxMeta::dst_is_broadcast_or_multicast
  bool checksum_verified = false;               // IpRxMeta::checksum_verified

  Dgram& bad_checksum() {
    corrupt = true;
    return *this;
  }
  Dgram& zero_checksum() {
    checksum_field = 0;
    return *this;
  }
  Dgram& length(std::uint16_t l) {
    length_field = l;
    return *this;
  }
  Dgram& padded(std::size_t n) {
    trailing = n;
    return *this;
  }
  Dgram& cut(std::size_t n) {
    cut_to = n;
    return *this;
  }
  Dgram& verified_by_device() {
    checksum_verified = true;
    return *this;
  }
  // Sent to a broadcast or multicast address (set automatically for group addresses).
  Dgram& to_group() {
    group = true;
    return *this;
  }

  ByteVec bytes() const;
  IpRxMeta meta() const;
};

Dgram dgram(const IpAddr& src, std::uint16_t src_port, const IpAddr& dst, std::uint16_t dst_port,
            const std::string& payload);
Dgram dgram(const IpAddr& src, std::uint16_t src_port, const IpAddr& dst, std::uint16_t dst_port,
            ByteVec payload);

class UdpTestbed {
 public:
  explicit UdpTestbed(UdpLayerConfig cfg = default_config(), Tracer* tracer = nullptr);
  static UdpLayerConfig default_config();

  // A socket of `local`'s family with `opts`, bound to local:port (asserts success).
  SocketHandle bound(const IpAddr& local, std::uint16_t port, const UdpSocketOptions& opts = {});
  // A socket bound to the any address and `port`, connected to remote:remote_port.
  SocketHandle connected(std::uint16_t port, const IpAddr& remote, std::uint16_t remote_port,
                         const UdpSocketOptions& opts = {});
  // Options with the given changes from the defaults.
  static UdpSocketOptions reuse_addr();
  static UdpSocketOptions reuse_port();
  static UdpSocketOptions recv_buffer(std::size_t bytes);

  RxVerdict inject(const Dgram& d);
  // Hands the layer an ICMP error quoting a datagram we sent from local:local_port to
  // remote:remote_port.
  void icmp(IcmpError::Kind kind, const IpAddr& local, std::uint16_t local_port,
            const IpAddr& remote, std::uint16_t remote_port);

  Result<std::size_t, UdpError> send(SocketHandle h, const std::string& data,
                                     std::optional<UdpEndpoint> to = std::nullopt);
  Result<std::size_t, UdpError> send(SocketHandle h, std::size_t size, const UdpEndpoint& to);
  // The next datagram's payload (fails the test if there is none).
  std::string recv(SocketHandle h);
  // The next datagram's sender, or nullopt if nothing is waiting.
  std::optional<UdpEndpoint> recv_from(SocketHandle h);
  // The next datagram sent by the layer (fails the test if none).
  FakeUdpIp::Sent pop_sent();
  std::vector<SocketHandle> take_ready();

  UdpLayer& layer() { return layer_; }
  FakeUdpIp& ip() { return ip_; }
  Instant now() const { return now_; }
  void advance(Duration d) { now_ = now_ + d; }

 private:
  FakeUdpIp ip_;
  UdpLayer layer_;
  Instant now_ = Instant::from_millis(1000);
};

// Records trace events.
struct RecordingTracer : Tracer {
  std::vector<TraceEvent> events;
  void on_event(const TraceEvent& e) override { events.push_back(e); }
  bool saw(const char* what) const;
};

}  // namespace ustack::testing
