#include "tools/lessons/lab.h"

#include <algorithm>
#include <cstring>

#include "stack/pcap_tap_device.h"
#include "stack/wire/ipv4.h"
#include "tools/events/event_json.h"
#include "tun/pcap_comments.h"
#include "tun/pcap_file.h"

namespace ustack::lessons {

namespace {

const IpCidr kClient = *IpCidr::parse("198.18.0.1/24");
const IpCidr kServer = *IpCidr::parse("198.18.0.2/24");

// Steps at one instant before the lab decides the stacks are spinning (a bug, not a lesson).
constexpr int kMaxStepsPerInstant = 100000;

}  // namespace

// Every event of the client's stack, kept as the events format's lines and parsed.
class Lab::Recorder final : public Tracer {
 public:
  explicit Recorder(Lab& lab) : lab_(lab) {}
  void on_event(const TraceEvent& e) override {
    nlohmann::ordered_json j = events::event_json(e);
    lab_.lines_.push_back(j.dump());
    lab_.events_.push_back(std::move(j));
  }

 private:
  Lab& lab_;
};

// The scripted impairment: the client's TCP segments pass the lesson's DropRule on their way
// to the link; a dropped one becomes a drop event (with its flow and sequence number, so
// `ustack explain` ties it to the segment).
class Lab::ScriptedDevice final : public Device {
 public:
  ScriptedDevice(Device& inner, Lab& lab) : inner_(inner), lab_(lab) {}
  DeviceCaps caps() const override { return inner_.caps(); }
  std::optional<Bytes> receive(Instant now) override { return inner_.receive(now); }
  bool transmit(Instant now, std::size_t len, FunctionRef<void(MutBytes)> fill) override {
    scratch_.assign(len, 0);
    fill(MutBytes(scratch_));
    if (dropped(now)) return true;  // gone on the wire: the sender cannot tell
    return inner_.transmit(
        now, len, [&](MutBytes out) { std::memcpy(out.data(), scratch_.data(), scratch_.size()); });
  }

 private:
  bool dropped(Instant now) {
    if (!lab_.drop_) return false;
    auto ip = Ipv4Repr::parse(Bytes(scratch_), ChecksumCheck::kSkip);
    if (!ip.ok() || ip->protocol != IpProto::kTcp) return false;
    auto seg = TcpRepr::parse(ip->payload, ip->src, ip->dst, ChecksumCheck::kSkip);
    if (!seg.ok() || !lab_.drop_(now, *seg)) return false;
    TraceEvent e;
    e.kind = TraceKind::kDrop;
    e.at = now;
    e.what = "lesson.scripted_drop";
    e.local = ip->src;
    e.remote = ip->dst;
    e.local_port = seg->src_port;
    e.remote_port = seg->dst_port;
    e.seq = seg->seq.raw();
    e.has_seq = true;
    lab_.tracer()->on_event(e);
    return true;
  }

  Device& inner_;
  Lab& lab_;
  ByteVec scratch_;
};

Lab::Lab(const LabOptions& o) : options_(o), recorder_(std::make_unique<Recorder>(*this)) {
  LinkConfig lc;
  lc.seed = o.seed;
  lc.a_to_b.delay = o.one_way;
  lc.b_to_a.delay = o.one_way;
  link_ = std::make_unique<Link>(lc);
  client_dev_ = std::make_unique<ScriptedDevice>(link_->a(), *this);
  Device* client_dev = client_dev_.get();
  if (!o.pcap.empty()) {
    tun::PcapWriterOptions po;
    po.precision = tun::TimestampPrecision::kNano;
    po.if_name = "lesson0";
    po.if_description = "ustack lesson: the client 198.18.0.1, " +
                        std::to_string(o.one_way.total_millis()) +
                        " ms from the server 198.18.0.2 (virtual time from 0)";
    pcap_ = std::make_unique<tun::PcapTapWriter>(o.pcap, Medium::kIp, po);
    if (tun::capture_format_for(o.pcap) == tun::CaptureFormat::kPcapng) {
      comments_ = std::make_unique<tun::TcpSegmentComments>(Medium::kIp, recorder_.get());
      pcap_->set_commenter(comments_.get());
    }
    tap_ = std::make_unique<PcapTapDevice>(*client_dev_, *pcap_);
    client_dev = tap_.get();
  }
  StackConfig sa, sb;
  sa.seed = o.seed * 4 + 1;
  sb.seed = o.seed * 4 + 2;
  client_stack_ = std::make_unique<Stack>(sa, *client_dev);
  server_stack_ = std::make_unique<Stack>(sb, link_->b());
  client_stack_->set_tracer(tracer());
  client_stack_->add_address(kClient);
  server_stack_->add_address(kServer);
  TcpLayerConfig ca, cb;
  ca.seed = o.seed * 4 + 3;
  cb.seed = o.seed * 4 + 4;
  ca.tcp = o.client_tcp;
  cb.tcp = o.server_tcp;
  client_tcp_ = std::make_unique<TcpLayer>(ca, tracer());
  server_tcp_ = std::make_unique<TcpLayer>(cb);
  client_stack_->register_transport(*client_tcp_);
  server_stack_->register_transport(*server_tcp_);
}

Lab::~Lab() = default;

Tracer* Lab::tracer() {
  return comments_ ? static_cast<Tracer*>(comments_.get()) : recorder_.get();
}

IpAddr Lab::client_addr() const { return kClient.addr; }
IpAddr Lab::server_addr() const { return kServer.addr; }

Instant Lab::next_deadline() const {
  return std::min({client_stack_->poll_at(), server_stack_->poll_at(), link_->next_delivery()});
}

void Lab::step(Instant t) {
  now_ = std::max(now_, t);
  for (int i = 0; i < kMaxStepsPerInstant; ++i) {
    client_stack_->poll(now_);
    server_stack_->poll(now_);
    bool called = false;
    for (auto& app : apps_) called = app() || called;
    if (!called) return;
  }
  throw LessonFailure("the applications keep calling at " + std::to_string(now_.total_millis()) +
                      " ms");
}

void Lab::run_until(Instant t) {
  int same = 0;
  for (;;) {
    const Instant next = next_deadline();
    if (next.is_never() || next > t) break;
    if (next <= now_ && ++same > kMaxStepsPerInstant) {
      throw LessonFailure("the stacks keep working at " + std::to_string(now_.total_millis()) +
                          " ms without time passing");
    }
    if (next > now_) same = 0;
    step(next);
  }
  now_ = std::max(now_, t);
}

bool Lab::run_until(const std::function<bool()>& done, Duration limit) {
  const Instant end = now_ + limit;
  settle();
  while (!done()) {
    const Instant next = next_deadline();
    if (next.is_never() || next > end) {
      run_until(end);
      return done();
    }
    run_until(std::max(next, now_));
  }
  return true;
}

void Lab::settle() {
  step(now_);
  run_until(now_);
}

SocketHandle Lab::listen(std::uint16_t port, const TcpSocketOptions& opts) {
  auto l = server_tcp_->listen(kServer.addr, port, 8, opts);
  check(l.ok(), "the server cannot listen on port " + std::to_string(port));
  return *l;
}

SocketHandle Lab::connect(std::uint16_t port, const TcpSocketOptions& opts) {
  auto c = client_tcp_->connect(now_, *client_stack_, kServer.addr, port, std::nullopt, 0, opts);
  check(c.ok(), "the client cannot connect");
  settle();
  return *c;
}

SocketHandle Lab::connect_from(TcpLayer& layer, std::uint16_t local_port,
                               std::uint16_t remote_port) {
  const bool is_client = &layer == client_tcp_.get();
  Stack& stack = is_client ? *client_stack_ : *server_stack_;
  auto c = layer.connect(now_, stack, is_client ? kServer.addr : kClient.addr, remote_port,
                         is_client ? kClient.addr : kServer.addr, local_port);
  check(c.ok(), "cannot connect from port " + std::to_string(local_port));
  return *c;
}

SocketHandle Lab::accept(SocketHandle listener, Duration limit) {
  SocketHandle h;
  run_until(
      [&] {
        auto a = server_tcp_->accept(listener);
        if (a.ok()) h = *a;
        return h.valid();
      },
      limit);
  check(h.valid(), "the server accepts no connection");
  return h;
}

std::size_t Lab::send(TcpLayer& layer, SocketHandle h, std::size_t n) {
  std::string data(n, '\0');
  for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<char>('a' + i % 26);
  auto r = layer.send(h, Bytes(reinterpret_cast<const std::uint8_t*>(data.data()), n));
  settle();
  return r.ok() ? *r : 0;
}

std::size_t Lab::recv(TcpLayer& layer, SocketHandle h, std::size_t max) {
  std::vector<std::uint8_t> buf(max);
  std::size_t got = 0;
  while (got < max) {
    auto r = layer.recv(h, MutBytes(buf).subspan(got));
    if (!r.ok() || *r == 0) break;
    got += *r;
  }
  settle();
  return got;
}

Lab::ReadConnection& Lab::connect_to_reader(std::uint16_t port) {
  ReadConnection& rc = read_connections_.emplace_back();
  const SocketHandle l = listen(port);
  rc.client = connect(port);
  keep_reading(*server_tcp_, &rc.server, &rc.received);
  rc.server = accept(l);
  return rc;
}

void Lab::keep_reading(TcpLayer& layer, const SocketHandle* h, std::size_t* total) {
  add_app([&layer, h, total] {
    if (!h->valid()) return false;
    std::uint8_t buf[4096];
    bool read = false;
    for (;;) {
      auto r = layer.recv(*h, buf);
      if (!r.ok() || *r == 0) break;
      read = true;
      if (total) *total += *r;
    }
    return read;
  });
}

void Lab::shutdown(TcpLayer& layer, SocketHandle h) {
  check(!layer.shutdown(h).has_value(), "shutdown() failed");
  settle();
}

void Lab::close(TcpLayer& layer, SocketHandle h) {
  check(!layer.close(h).has_value(), "close() failed");
  settle();
}

void Lab::say(std::string text) { notes_.push_back({events_.size() + 1, std::move(text)}); }

void Lab::check(bool ok, const std::string& what) const {
  if (!ok) throw LessonFailure("the lesson's point does not hold: " + what);
}

std::string Lab::state(TcpLayer& layer, SocketHandle h) const {
  auto s = layer.state(h);
  return s.ok() ? to_string(*s) : "CLOSED";
}

void Lab::finish() {
  if (pcap_) pcap_->flush();
}

}  // namespace ustack::lessons
