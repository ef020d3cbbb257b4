#include "stack/tcp/testbed.h"

#include <gtest/gtest.h>

namespace ustack::testing {

using namespace tcp_flags;

std::string SegSpec::str() const {
  std::string s = "Flags [" + tcp_flags_string(flags) + "]";
  if (seq_) s += " seq " + seq_->str();
  if (ack_) s += " ack " + ack_->str();
  if (win_) s += " win " + win_->str();
  if (urg_) s += " urg " + urg_->str();
  if (ip_ecn_) s += " ip_ecn " + ip_ecn_->str();
  if (data_) s += " data \"" + *data_ + "\"";
  if (len_) s += " len " + len_->str();
  if (mss_) s += " mss " + mss_->str();
  if (wscale_) s += " wscale " + wscale_->str();
  if (sack_perm_) s += " sackOK";
  if (ts_) s += " TS " + ts_->first.str() + "/" + ts_->second.str();
  for (auto [l, r] : sack_) s += " sack{" + std::to_string(l) + ":" + std::to_string(r) + "}";
  return s;
}

bool FakeIpSender::send(Instant now, const IpAddr& src, const IpAddr& dst, IpProto,
                        std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                        const IpSendOptions& opts) {
  if (!reachable) return false;
  Sent s{now, src, dst, ByteVec(payload_len), opts.tos};
  fill(s.bytes);
  sent.push_back(std::move(s));
  return true;
}

std::optional<IpAddr> FakeIpSender::select_source(const IpAddr&) const {
  if (!reachable) return std::nullopt;
  return local;
}

TcpLayerConfig TcpTestbed::default_config() {
  TcpLayerConfig c;
  c.seed = 42;
  // The packet tests pin the classic timings (RFC 6298 RTO, RFC 5681 three duplicate ACKs)
  // segment by segment, mostly on a 0 ms path where a tail-loss probe would go out 2 ms after
  // every send; RACK-TLP's own packet tests (rack_connection_test.cc) and the wraparound tests
  // turn it on. The simulations and the stack's default run with it.
  c.tcp.rack = false;
  return c;
}

TcpTestbed::TcpTestbed(TcpLayerConfig cfg, Tracer* tracer) : layer_(cfg, tracer) {}

void TcpTestbed::listen(std::uint16_t port, unsigned backlog, TcpSocketOptions opts) {
  local_port_ = port;
  auto h = layer_.listen(ip_.local, port, backlog, opts);
  EXPECT_TRUE(h.ok());
  if (h.ok()) listener_ = *h;
}

TcpTestbed TcpTestbed::listening(std::uint16_t port, TcpLayerConfig cfg, unsigned backlog,
                                 TcpSocketOptions opts, Tracer* tracer) {
  TcpTestbed t(cfg, tracer);
  t.listen(port, backlog, opts);
  return t;
}

TcpTestbed TcpTestbed::listening_ipv6(std::uint16_t port, TcpLayerConfig cfg, unsigned backlog,
                                      TcpSocketOptions opts) {
  TcpTestbed t(cfg);
  t.ip_.local = *IpAddr::parse("fd00::2");
  t.peer_ = *IpAddr::parse("fd00::1");
  t.listen(port, backlog, opts);
  return t;
}

TcpTestbed TcpTestbed::connecting(std::uint16_t port, TcpLayerConfig cfg, TcpSocketOptions opts) {
  TcpTestbed t(cfg);
  auto h = t.layer_.connect(t.now_, t.ip_, t.peer_, port, std::nullopt, 0, opts);
  EXPECT_TRUE(h.ok());
  if (h.ok()) {
    t.conn_ = *h;
    t.local_port_ = t.layer_.tuple(*h)->local_port;
    t.peer_port_ = port;
  }
  t.run_until(t.now_);
  return t;
}

TcpTestbed TcpTestbed::established(TcpLayerConfig cfg, TcpSocketOptions opts, bool peer_ts,
                                   bool peer_sack, std::uint8_t peer_wscale, Duration rtt,
                                   Tracer* tracer) {
  TcpTestbed t = listening(80, cfg, 16, opts, tracer);
  SegSpec syn = seg().syn().seq(1000).win(64240).mss(1460);
  if (peer_sack) syn.sack_perm();
  if (peer_ts) syn.ts(100, 0);
  if (peer_wscale != 0xff) syn.wscale(peer_wscale);
  t.inject(syn);
  auto synack = t.pop();
  EXPECT_TRUE(synack.has_value());
  SegSpec ack = seg().seq(1001).ack(1).win(502);
  if (peer_ts) ack.ts(101, _);
  t.at(rtt).inject(ack);
  t.accept();
  return t;
}

void TcpTestbed::accept() {
  auto h = layer_.accept(listener_);
  EXPECT_TRUE(h.ok()) << "no connection to accept";
  if (h.ok()) conn_ = *h;
}

std::size_t TcpTestbed::send(const std::string& data) {
  auto n = layer_.send(conn_, as_bytes(data));
  run_until(now_);
  return n.ok() ? *n : 0;
}

std::string TcpTestbed::recv(std::size_t max) {
  std::string out(max, '\0');
  auto n = layer_.recv(conn_, MutBytes(reinterpret_cast<std::uint8_t*>(out.data()), max));
  run_until(now_);
  out.resize(n.ok() ? *n : 0);
  return out;
}

void TcpTestbed::run_until(Instant t) {
  for (int guard = 0; guard < 100000; ++guard) {
    Instant at = layer_.poll_at();
    if (at <= now_) {
      layer_.poll(now_, ip_);
      if (layer_.poll_at() <= now_) {
        // Still due right after a poll: something keeps asking for output forever.
        Instant again = layer_.poll_at();
        layer_.poll(now_, ip_);
        if (layer_.poll_at() <= now_ && again <= now_) {
          ADD_FAILURE() << "poll_at() stays due at " << now_.to_string();
          return;
        }
      }
      continue;
    }
    if (at > t) break;
    now_ = at;
  }
  if (now_ < t) now_ = t;
}

TcpTestbed& TcpTestbed::at(Duration t) {
  run_until(Instant() + t);
  return *this;
}

namespace {
std::uint8_t ecn_of(const SegSpec& s) {
  return static_cast<std::uint8_t>(s.ip_ecn_ ? s.ip_ecn_->v.value_or(0) : 0);
}
}  // namespace

TcpTestbed& TcpTestbed::inject(const SegSpec& s) { return inject_bytes(build(s), ecn_of(s)); }

TcpTestbed& TcpTestbed::inject_burst(std::initializer_list<SegSpec> burst) {
  for (const SegSpec& s : burst) deliver(build(s), ecn_of(s));
  run_until(now_);
  return *this;
}

ByteVec TcpTestbed::build(const SegSpec& s) const {
  TcpRepr r;
  r.src_port = peer_port_;
  r.dst_port = local_port_;
  r.flags = s.flags;
  if (s.seq_ && s.seq_->v) r.seq = SeqNum(*s.seq_->v);
  if (s.ack_ && s.ack_->v) r.ack = SeqNum(*s.ack_->v + (iss_ ? *iss_ : 0));
  r.window = static_cast<std::uint16_t>(s.win_ && s.win_->v ? *s.win_->v : 64240);
  if (s.urg_ && s.urg_->v) r.urgent = static_cast<std::uint16_t>(*s.urg_->v);
  if (s.mss_ && s.mss_->v) r.options.mss = static_cast<std::uint16_t>(*s.mss_->v);
  if (s.wscale_ && s.wscale_->v) r.options.window_scale = static_cast<std::uint8_t>(*s.wscale_->v);
  r.options.sack_permitted = s.sack_perm_;
  if (s.ts_) {
    r.options.timestamps =
        TcpTimestamps{s.ts_->first.v.value_or(last_tsval_), s.ts_->second.v.value_or(last_tsval_)};
  }
  for (auto [l, rr] : s.sack_) {
    r.options.add_sack({SeqNum(l + (iss_ ? *iss_ : 0)), SeqNum(rr + (iss_ ? *iss_ : 0))});
  }
  std::string payload = s.data_.value_or(std::string(s.len_ && s.len_->v ? *s.len_->v : 0, 'x'));
  r.payload = as_bytes(payload);
  ByteVec bytes(r.buffer_len());
  r.emit(bytes, peer_, ip_.local, ChecksumMode::kCompute);
  return bytes;
}

TcpTestbed& TcpTestbed::inject_bytes(Bytes tcp, std::uint8_t tos) {
  deliver(tcp, tos);
  run_until(now_);
  return *this;
}

void TcpTestbed::deliver(Bytes tcp, std::uint8_t tos) {
  IpRxMeta meta;
  meta.tos = tos;
  meta.src = peer_;
  meta.dst = ip_.local;
  meta.proto = IpProto::kTcp;
  layer_.on_packet(now_, meta, tcp, ip_);
}

std::optional<TcpTestbed::Seg> TcpTestbed::pop() {
  if (ip_.sent.empty()) return std::nullopt;
  FakeIpSender::Sent s = std::move(ip_.sent.front());
  ip_.sent.pop_front();
  Seg out{s.at - Instant(), {}, std::move(s.bytes), s.tos};
  auto r = TcpRepr::parse(out.bytes, s.src, s.dst, ChecksumCheck::kVerify);
  EXPECT_TRUE(r.ok()) << "the stack sent a segment that does not parse: "
                      << (r.ok() ? "" : to_string(r.error()));
  if (!r.ok()) return std::nullopt;
  out.repr = *r;
  if (out.repr.has(kSyn) && !iss_) iss_ = out.repr.seq.raw();
  if (out.repr.options.timestamps) last_tsval_ = out.repr.options.timestamps->val;
  return out;
}

std::string TcpTestbed::describe(const TcpRepr& r) const {
  TcpRepr rel = r;
  rel.seq = SeqNum(r.seq.raw() - iss_.value_or(0));
  std::string s = rel.to_string();
  std::size_t p = s.find(", seq ");
  if (p == std::string::npos) s.insert(s.find(']') + 1, ", seq " + rel.seq.to_string());
  return s + " (seq relative to ISS)";
}

bool TcpTestbed::matches(const SegSpec& s, const Seg& got, std::string& why) const {
  const TcpRepr& r = got.repr;
  std::uint8_t mask = s.psh_given ? 0xff : static_cast<std::uint8_t>(~kPsh);
  if ((r.flags & mask) != (s.flags & mask)) {
    why = "flags";
    return false;
  }
  std::uint32_t rel_seq = r.seq.raw() - iss_.value_or(0);
  if (s.seq_ && !s.seq_->matches(rel_seq)) why = "seq";
  if (s.ack_ && !s.ack_->matches(r.ack.raw())) why = "ack";
  if (s.win_ && !s.win_->matches(r.window)) why = "win";
  if (s.urg_ && !s.urg_->matches(r.urgent)) why = "urg";
  if (s.ip_ecn_ && !s.ip_ecn_->matches(got.tos & 0x3)) why = "ip_ecn";
  if (s.data_ && std::string(r.payload.begin(), r.payload.end()) != *s.data_) why = "data";
  if (s.len_ && !s.len_->matches(static_cast<std::uint32_t>(r.payload.size()))) why = "len";
  if (!s.data_ && !s.len_ && !r.payload.empty()) why = "len (unexpected payload)";
  const TcpOptions& o = r.options;
  if (s.mss_ && (!o.mss || !s.mss_->matches(*o.mss))) why = "mss";
  if (s.no_mss_ && o.mss) why = "mss present";
  if (s.wscale_ && (!o.window_scale || !s.wscale_->matches(*o.window_scale))) why = "wscale";
  if (s.no_wscale_ && o.window_scale) why = "wscale present";
  if (s.sack_perm_ && !o.sack_permitted) why = "sackOK";
  if (s.no_sack_perm_ && o.sack_permitted) why = "sackOK present";
  if (s.ts_ && (!o.timestamps || !s.ts_->first.matches(o.timestamps->val) ||
                !s.ts_->second.matches(o.timestamps->ecr))) {
    why = "timestamps";
  }
  if (s.no_ts_ && o.timestamps) why = "timestamps present";
  if (!s.sack_.empty()) {
    if (o.sack_count != s.sack_.size()) {
      why = "sack block count";
    } else {
      for (std::size_t i = 0; i < s.sack_.size(); ++i) {
        if (o.sack[i].left.raw() != s.sack_[i].first ||
            o.sack[i].right.raw() != s.sack_[i].second) {
          why = "sack blocks";
        }
      }
    }
  }
  if (s.no_sack_ && o.sack_count > 0) why = "sack present";
  return why.empty();
}

TcpTestbed& TcpTestbed::expect(const SegSpec& s) {
  run_until(now_);  // output left waiting by direct layer() calls
  auto got = pop();
  if (!got) {
    ADD_FAILURE() << "expected " << s.str() << " at " << now_.to_string() << ", nothing sent";
    return *this;
  }
  std::string why;
  if (!matches(s, *got, why)) {
    ADD_FAILURE() << "expected " << s.str() << "\n     got " << describe(got->repr) << " ip_ecn "
                  << (got->tos & 0x3) << " at " << got->at.to_string() << "\n  (mismatch: " << why
                  << ")";
  }
  return *this;
}

Duration TcpTestbed::expect_next(const SegSpec& s, Duration limit) {
  Instant end = now_ + limit;
  while (ip_.sent.empty() && now_ < end) {
    Instant at = layer_.poll_at();
    if (at > end) {
      now_ = end;
      break;
    }
    run_until(std::max(at, now_));
  }
  Duration when = ip_.sent.empty() ? now() : ip_.sent.front().at - Instant();
  expect(s);
  return when;
}

TcpTestbed& TcpTestbed::expect_nothing_until(Duration t) {
  expect_nothing();
  run_until(Instant() + t);
  if (!ip_.sent.empty()) {
    auto got = pop();
    ADD_FAILURE() << "expected nothing until " << t.to_string() << ", got " << describe(got->repr)
                  << " at " << got->at.to_string();
  }
  return *this;
}

TcpTestbed& TcpTestbed::expect_nothing() {
  run_until(now_);
  if (!ip_.sent.empty()) {
    auto got = pop();
    ADD_FAILURE() << "expected nothing, got " << describe(got->repr) << " at "
                  << got->at.to_string();
  }
  return *this;
}

}  // namespace ustack::testing
