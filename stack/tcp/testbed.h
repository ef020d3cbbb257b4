// TcpTestbed: packet-level tests of the TCP layer in virtual time.
//
//   TcpTestbed t = TcpTestbed::listening(80);
//   t.at(0_ms).inject(seg().syn().seq(1000).win(64240).mss(1460).sack_perm().ts(7, 0).wscale(7));
//   t.expect(seg().syn().ack(1001).mss(1460).sack_perm().ts(_, 7).wscale(_));
//   t.expect_nothing_until(1_s);
//
// The testbed plays the remote peer (198.18.0.1:40000) against a TcpLayer at 198.18.0.2
// through a fake IpSender that records every segment (and checks its checksum).
// Sequence numbers in the stack's space are written relative to its ISS, like tcpdump's
// relative numbers: seq() in expect() and ack() in inject() are offsets from the ISS
// (learned from the stack's SYN or SYN-ACK). The peer's sequence numbers are absolute.
// `_` matches any value; in inject(), ts(_, _) echoes the stack's latest TSval.
// Options not mentioned in an expectation are not checked (use no_ts() etc. to require
// absence); PSH is ignored unless psh() is given.
// Injected segments default to win(64240) (the raw, unscaled field) and no options.
#pragma once

#include <deque>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/time.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/wire/tcp.h"

namespace ustack::testing {

struct AnyValue {};
inline constexpr AnyValue _{};

// A number, or `_` (any).
struct Val {
  Val(AnyValue) {}
  Val(std::uint32_t v) : v(v) {}
  Val(int v) : v(static_cast<std::uint32_t>(v)) {}
  std::optional<std::uint32_t> v;
  bool matches(std::uint32_t x) const { return !v || *v == x; }
  std::string str() const { return v ? std::to_string(*v) : "_"; }
};

struct SegSpec {
  std::uint8_t flags = 0;
  bool psh_given = false;
  std::optional<Val> seq_, ack_, win_, len_, mss_, wscale_, urg_;
  // The IP header's ECN field (RFC 3168 §5): what inject() puts in the TOS byte, what
  // expect() requires of the segment sent (unchecked if not given).
  std::optional<Val> ip_ecn_;
  std::optional<std::pair<Val, Val>> ts_;
  std::optional<std::string> data_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> sack_;
  bool sack_perm_ = false, no_ts_ = false, no_wscale_ = false, no_sack_perm_ = false,
       no_sack_ = false, no_mss_ = false;

  SegSpec& syn() { return flag(tcp_flags::kSyn); }
  SegSpec& fin() { return flag(tcp_flags::kFin); }
  SegSpec& rst() { return flag(tcp_flags::kRst); }
  SegSpec& psh() {
    psh_given = true;
    return flag(tcp_flags::kPsh);
  }
  SegSpec& ack_flag() { return flag(tcp_flags::kAck); }
  SegSpec& ece() { return flag(tcp_flags::kEce); }
  SegSpec& cwr() { return flag(tcp_flags::kCwr); }
  SegSpec& ip_ecn(Val v) {
    ip_ecn_ = v;
    return *this;
  }
  SegSpec& seq(Val v) {
    seq_ = v;
    return *this;
  }
  SegSpec& ack(Val v) {
    ack_ = v;
    return flag(tcp_flags::kAck);
  }
  SegSpec& win(Val v) {
    win_ = v;
    return *this;
  }
  SegSpec& len(Val v) {
    len_ = v;
    return *this;
  }
  SegSpec& data(std::string d) {
    data_ = std::move(d);
    return *this;
  }
  SegSpec& urg(Val v) {
    urg_ = v;
    return flag(tcp_flags::kUrg);
  }
  SegSpec& mss(Val v) {
    mss_ = v;
    return *this;
  }
  SegSpec& wscale(Val v) {
    wscale_ = v;
    return *this;
  }
  SegSpec& sack_perm() {
    sack_perm_ = true;
    return *this;
  }
  SegSpec& ts(Val val, Val ecr) {
    ts_ = {val, ecr};
    return *this;
  }
  SegSpec& sack(std::uint32_t left, std::uint32_t right) {
    sack_.push_back({left, right});
    return *this;
  }
  SegSpec& no_ts() {
    no_ts_ = true;
    return *this;
  }
  SegSpec& no_wscale() {
    no_wscale_ = true;
    return *this;
  }
  SegSpec& no_sack_perm() {
    no_sack_perm_ = true;
    return *this;
  }
  SegSpec& no_sack() {
    no_sack_ = true;
    return *this;
  }
  SegSpec& no_mss() {
    no_mss_ = true;
    return *this;
  }
  SegSpec& flag(std::uint8_t f) {
    flags |= f;
    return *this;
  }
  std::string str() const;
};

inline SegSpec seg() { return {}; }

// An IpSender that records what is sent.
class FakeIpSender : public IpSender {
 public:
  struct Sent {
    Instant at;
    IpAddr src, dst;
    ByteVec bytes;
    std::uint8_t tos = 0;  // IpSendOptions::tos
  };
  bool send(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
            std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
            const IpSendOptions& opts) override;
  std::optional<IpAddr> select_source(const IpAddr& dst) const override;
  std::size_t path_mtu(const IpAddr&) const override { return mtu; }
  bool is_local_address(const IpAddr& a) const override { return a == local; }
  ChecksumMode checksum_mode() const override { return ChecksumMode::kCompute; }
  bool is_broadcast_address(const IpAddr&) const override { return false; }
  bool join_group(Instant, const IpAddr&) override { return true; }
  void leave_group(Instant, const IpAddr&) override {}

  IpAddr local = Ipv4Addr({198, 18, 0, 2});
  std::size_t mtu = 1500;
  bool reachable = true;
  std::deque<Sent> sent;
};

class TcpTestbed {
 public:
  static constexpr std::uint16_t kPeerPort = 40000;

  // `tracer` (may be null) receives the layer's trace events.
  explicit TcpTestbed(TcpLayerConfig cfg = default_config(), Tracer* tracer = nullptr);
  static TcpLayerConfig default_config();
  // A listener on 198.18.0.2:port.
  static TcpTestbed listening(std::uint16_t port, TcpLayerConfig cfg = default_config(),
                              unsigned backlog = 16, TcpSocketOptions opts = {},
                              Tracer* tracer = nullptr);
  // The same on [fd00::2]:port, the peer being fd00::1 (IPv6 paths: 1220-byte default MSS,
  // IPv6 cookies).
  static TcpTestbed listening_ipv6(std::uint16_t port, TcpLayerConfig cfg = default_config(),
                                   unsigned backlog = 16, TcpSocketOptions opts = {});
  // A connect() from the stack to 198.18.0.1:port at t=0 (the SYN is waiting in the queue).
  static TcpTestbed connecting(std::uint16_t port, TcpLayerConfig cfg = default_config(),
                               TcpSocketOptions opts = {});
  // Listening on port 80 and through a handshake with the given peer options; the
  // connection is accepted into conn(). Peer ISN 1000; the stack's seq is then 1 (relative)
  // and the peer's next seq 1001. The final ACK comes `rtt` after the SYN (the first RTT
  // sample, with timestamps: SRTT = rtt, RTTVAR = rtt/2). `tracer` as in the constructor.
  static TcpTestbed established(TcpLayerConfig cfg = default_config(), TcpSocketOptions opts = {},
                                bool peer_ts = true, bool peer_sack = true,
                                std::uint8_t peer_wscale = 7, Duration rtt = Duration::zero(),
                                Tracer* tracer = nullptr);

  // Advances virtual time to `t` since the start, running the stack's timers.
  TcpTestbed& at(Duration t);
  TcpTestbed& inject(const SegSpec& s);
  // Hands every segment to the layer at the current time before polling it once, as the
  // Stack does with a device's read batch (what TcpLayerConfig::coalesce_acks works on).
  TcpTestbed& inject_burst(std::initializer_list<SegSpec> burst);
  // Injects raw TCP bytes (e.g. a corrupted segment), with `tos` in the IP header.
  TcpTestbed& inject_bytes(Bytes tcp, std::uint8_t tos = 0);
  // The next segment sent up to now must match.
  TcpTestbed& expect(const SegSpec& s);
  // Runs time forward to the next segment the stack sends (at most `limit` ahead) and checks
  // it; returns the time it was sent.
  Duration expect_next(const SegSpec& s, Duration limit = Duration::seconds(600));
  // Nothing is sent up to `t` (time advances to `t`).
  TcpTestbed& expect_nothing_until(Duration t);
  // Nothing is waiting to be sent now.
  TcpTestbed& expect_nothing();

  // Later segments go to `addr`:`port` (the stack's side of the 4-tuple): a destination only a
  // catch-all listener takes.
  void retarget(const IpAddr& addr, std::uint16_t port) {
    ip_.local = addr;
    local_port_ = port;
  }
  TcpLayer& layer() { return layer_; }
  FakeIpSender& ip() { return ip_; }
  SocketHandle listener() const { return listener_; }
  SocketHandle conn() const { return conn_; }
  void set_conn(SocketHandle h) { conn_ = h; }
  Duration now() const { return now_ - Instant(); }
  Instant instant() const { return now_; }
  std::uint32_t iss() const { return iss_.value_or(0); }
  std::uint32_t last_tsval() const { return last_tsval_; }
  std::uint16_t local_port() const { return local_port_; }
  // Accepts the pending connection into conn().
  void accept();
  // Sends `data` through the user API and returns what was accepted.
  std::size_t send(const std::string& data);
  std::string recv(std::size_t max = 1 << 20);
  // Pops the next sent segment (parsed, payload copied), or nullopt.
  struct Seg {
    Duration at;
    TcpRepr repr;
    ByteVec bytes;
    std::uint8_t tos = 0;
  };
  std::optional<Seg> pop();

 private:
  void run_until(Instant t);
  ByteVec build(const SegSpec& s) const;
  void deliver(Bytes tcp, std::uint8_t tos);
  std::string describe(const TcpRepr& r) const;
  bool matches(const SegSpec& s, const Seg& got, std::string& why) const;

  FakeIpSender ip_;
  TcpLayer layer_;
  Instant now_;
  SocketHandle listener_;
  void listen(std::uint16_t port, unsigned backlog, TcpSocketOptions opts);

  SocketHandle conn_;
  std::optional<std::uint32_t> iss_;
  std::uint32_t last_tsval_ = 0;
  std::uint16_t local_port_ = 80;
  std::uint16_t peer_port_ = kPeerPort;
  IpAddr peer_ = Ipv4Addr({198, 18, 0, 1});
};

}  // namespace ustack::testing
