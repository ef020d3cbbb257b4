#include "stack/tcp/tcp_layer.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace ustack {

namespace {

// RFC 1191: TCP probes the path MTU with DF set and sizes segments from path_mtu(); a segment
// larger than the path anyway (a retransmission after the MTU dropped) is fragmented by IP.
constexpr IpSendOptions kTcpSendOptions{.pmtu = PmtuDiscovery::kWant};

using namespace tcp_flags;

bool addr_overlaps(const IpAddr& a, const IpAddr& b) {
  if (a.version() != b.version()) return false;
  return a.is_unspecified() || b.is_unspecified() || a == b;
}

}  // namespace

TcpLayer::TcpLayer(const TcpLayerConfig& config, Tracer* tracer) : cfg_(config), tracer_(tracer) {
  if (cfg_.rmem) {
    cfg_.tcp.recv_buffer = cfg_.rmem->def;
    cfg_.tcp.recv_buffer_max = cfg_.rmem->max;
  }
  if (cfg_.wmem) {
    cfg_.tcp.send_buffer = cfg_.wmem->def;
    cfg_.tcp.send_buffer_max = cfg_.wmem->max;
  }
  Rng rng(config.seed ^ 0x7463702d6b657973ull);  // "tcp-keys"
  isn_key_ = {rng.next_u64(), rng.next_u64()};
  SipKey port_key{rng.next_u64(), rng.next_u64()};
  ports_ = PortAllocator(port_key, rng.next_u32(), config.ephemeral_low, config.ephemeral_high);
  conns_ = decltype(conns_)(16, TcpTupleHash{{rng.next_u64(), rng.next_u64()}});
  ts_key_ = {rng.next_u64(), rng.next_u64()};
  tw_ = TimeWaitTable(16, conns_.hash_function());
  SipKey cookie_k0{rng.next_u64(), rng.next_u64()};
  cookies_ = SynCookies(cookie_k0, {rng.next_u64(), rng.next_u64()});
}

TcpLayer::~TcpLayer() = default;

// --- Keys: ISNs (RFC 6528) and ephemeral ports (RFC 6056) -----------------------------------

SeqNum TcpLayer::make_isn(Instant now, const TcpTuple& t) const {
  if (cfg_.fixed_isn) return SeqNum(*cfg_.fixed_isn);
  // RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a timer
  // ticking every 4 microseconds.
  std::uint8_t buf[40] = {};
  std::size_t n = put_tuple(buf, t.local, t.remote, t.local_port, t.remote_port);
  auto f = static_cast<std::uint32_t>(siphash24(isn_key_, Bytes(buf, n)));
  auto m = static_cast<std::uint32_t>(now.total_micros() / 4);
  return SeqNum(m + f);
}

std::uint32_t TcpLayer::make_ts_offset(const TcpTuple& t) const {
  // RFC 7323 §5.4 (and §7.1): a random TSval offset per connection hides the host's clock, but
  // it must be the same for every incarnation of a 4-tuple, or TSval could go backwards from
  // one to the next and the peer's PAWS check and RFC 6191 TIME-WAIT reuse would refuse the
  // new connection. Like Linux's secure_tcp_ts_off, a keyed hash (Linux keys it by the address
  // pair only; we include the ports, which makes it no less stable per tuple).
  std::uint8_t buf[40] = {};
  std::size_t n = put_tuple(buf, t.local, t.remote, t.local_port, t.remote_port);
  return static_cast<std::uint32_t>(siphash24(ts_key_, Bytes(buf, n)));
}

std::unique_ptr<TcpConnection> TcpLayer::make_connection(Instant now, const TcpConfig& config,
                                                         const TcpTuple& t, const IpSender& ip,
                                                         std::optional<SeqNum> iss) {
  auto c =
      std::make_unique<TcpConnection>(config, t, iss.value_or(make_isn(now, t)), make_ts_offset(t),
                                      ip.path_mtu(t.remote), tracer_, buffers_.get());
  c->count_rack_into(&counters_.rack);
  c->count_ecn_into(&counters_.ecn);
  c->set_gso_max_len(ip.gso_max_len(t.remote));
  return c;
}

std::optional<std::uint16_t> TcpLayer::pick_ephemeral_port(const IpAddr& local,
                                                           const IpAddr& remote,
                                                           std::uint16_t remote_port) {
  return ports_.pick(local, remote, remote_port, [&](std::uint16_t port) {
    TcpTuple t{local, remote, port, remote_port};
    if (conns_.count(t) != 0 || listeners_.count(port) != 0) return true;
    // A TIME-WAIT 4-tuple is free when connect() may take it over (Linux tcp_twsk_unique).
    if (auto tw = tw_.find(t);
        tw != tw_.end() && !time_wait_reusable_by_connect(tw->second, clock_)) {
      return true;
    }
    // Linux __inet_hash_connect skips ports that bind() took (their bucket's fastreuse >= 0),
    // whoever holds them; only ports used by other connect()s are shared.
    auto it = port_users_.find(port);
    if (it == port_users_.end()) return false;
    for (SocketHandle h : it->second) {
      Socket* s = table_.get(h);
      if (s != nullptr && (s->bound || !s->conn)) return true;
    }
    return false;
  });
}

std::optional<std::uint16_t> TcpLayer::pick_free_port(const IpAddr& local) {
  // bind(0) and listen()'s autobind (Linux inet_csk_find_open_port): a port of the ephemeral
  // range nobody holds, so it cannot conflict whatever the other sockets' SO_REUSEADDR.
  return ports_.pick(local, any_addr(local.version()), 0, [&](std::uint16_t port) {
    return port_users_.count(port) != 0 || tw_ports_.count(port) != 0;
  });
}

// --- Socket lookup and bookkeeping --------------------------------------------------------

TcpLayer::Socket* TcpLayer::conn_socket(SocketHandle h) const {
  Socket* s = table_.get(h);
  return s && s->conn ? s : nullptr;
}

bool TcpLayer::bad_destination(const IpAddr& remote, std::uint16_t port) {
  // RFC 9293 §3.9.1.1 (MUST-46): no OPEN to a broadcast or multicast address.
  return port == 0 || remote.is_unspecified() || remote.is_multicast() ||
         (remote.is_v4() && remote.v4().is_broadcast());
}

void TcpLayer::hold_port(SocketHandle h, Socket& s, std::uint16_t port) {
  std::vector<SocketHandle>& users = port_users_[port];
  s.held_port = port;
  s.held_index = static_cast<std::uint32_t>(users.size());
  users.push_back(h);
}

void TcpLayer::release_port(SocketHandle h, Socket& s) {
  if (s.held_port == 0) return;
  if (auto pu = port_users_.find(s.held_port); pu != port_users_.end()) {
    // Swap-and-pop: every accepted connection of a server is listed under its port, so a
    // search here made each close cost the number of open connections (issue 17).
    std::vector<SocketHandle>& users = pu->second;
    const SocketHandle last = users.back();
    users[s.held_index] = last;
    if (last != h) table_.get(last)->held_index = s.held_index;
    users.pop_back();
    if (users.empty()) {
      port_users_.erase(pu);
    } else if (users.capacity() > 4 * users.size() + 16) {
      users.shrink_to_fit();  // a server's port after a burst of connections
    }
  }
  s.held_port = 0;
}

std::optional<TcpError> TcpLayer::bind_to(SocketHandle h, Socket& s, const IpAddr& local,
                                          std::uint16_t port) {
  if (bind_conflict(local, port, s.reuse_addr, h)) return TcpError::kAddressInUse;
  s.local = local;
  s.port = port;
  hold_port(h, s, port);
  return std::nullopt;
}

void TcpLayer::reopen(SocketHandle h, Socket& s) {
  // maybe_free() already unhashed the closed connection; do it again in case it has not run.
  unhash_conn(s.conn->tuple(), h);
  s.conn.reset();
  s.error_reported = false;
  disarm({h});
  if (!s.bound) {
    // Linux tcp_set_state(TCP_CLOSE): an automatically chosen port is given back
    // (inet_put_port) unless bind() locked it; the socket is unbound again.
    release_port(h, s);
    s.local = any_addr(s.family);
    s.port = 0;
  }
}

std::optional<TcpError> TcpLayer::report_error(Socket& s) {
  if (!s.conn || s.error_reported) return std::nullopt;
  std::optional<TcpError> e = s.conn->error();
  if (e) s.error_reported = true;
  return e;
}

SocketHandle TcpLayer::find_listener(const IpAddr& local, std::uint16_t port) const {
  auto it = listeners_.find(port);
  if (it == listeners_.end()) return {};
  // A listener on the exact address wins over a wildcard one (Linux compute_score).
  SocketHandle wildcard;
  for (SocketHandle h : it->second) {
    Socket* s = table_.get(h);
    if (s == nullptr || s->local.version() != local.version()) continue;
    if (s->local == local) return h;
    if (s->local.is_unspecified()) wildcard = h;
  }
  return wildcard;
}

SocketHandle TcpLayer::find_listener_or_catch_all(const IpAddr& local, std::uint16_t port) const {
  SocketHandle h = find_listener(local, port);
  if (h.valid()) return h;
  // A catch-all listener takes what no listener of the port claims (set_catch_all).
  SocketHandle c = catch_all_[local.is_v6() ? 1 : 0];
  const Socket* s = table_.get(c);
  return s != nullptr && s->listener && s->catch_all ? c : SocketHandle{};
}

bool TcpLayer::bind_conflict(const IpAddr& local, std::uint16_t port, bool reuse_addr,
                             SocketHandle self) const {
  // Linux inet_csk_bind_conflict without SO_REUSEPORT: another socket on the same port and an
  // overlapping address conflicts, unless both set SO_REUSEADDR and the other one is not
  // listening (TIME_WAIT and accepted connections of an old server are the usual case).
  // TIME-WAIT records count as SO_REUSEADDR holders.
  if (!reuse_addr && time_wait_on(local, port)) return true;
  auto it = port_users_.find(port);
  if (it == port_users_.end()) return false;
  for (SocketHandle h : it->second) {
    Socket* s = table_.get(h);
    if (s == nullptr || h == self) continue;
    IpAddr other = s->conn ? s->conn->tuple().local : s->local;
    if (!addr_overlaps(local, other)) continue;
    if (s->listener) return true;
    bool other_reuse = s->reuse_addr || (s->conn && s->conn->state() == TcpState::kTimeWait);
    if (!(reuse_addr && other_reuse)) return true;
  }
  return false;
}

TcpConfig TcpLayer::config_for(const TcpSocketOptions& o) const {
  TcpConfig c = cfg_.tcp;
  apply_options(c, o);
  return c;
}

void TcpLayer::apply_options(TcpConfig& c, const TcpSocketOptions& o) {
  // SO_SNDBUF / SO_RCVBUF fix the size: no auto-tuning (Linux SOCK_SNDBUF_LOCK /
  // SOCK_RCVBUF_LOCK), and the window scale follows the fixed size.
  if (o.send_buffer) {
    c.send_buffer = std::max<std::size_t>(*o.send_buffer, 2048);
    c.send_buffer_max = 0;
  }
  if (o.recv_buffer) {
    c.recv_buffer = std::max<std::size_t>(*o.recv_buffer, 2048);
    c.recv_buffer_max = 0;
  }
  if (o.nodelay) c.nodelay = *o.nodelay;
  if (o.keepalive) c.keepalive = *o.keepalive;
  if (o.keepalive_idle) c.keepalive_idle = *o.keepalive_idle;
  if (o.keepalive_interval) c.keepalive_interval = *o.keepalive_interval;
  if (o.keepalive_count) c.keepalive_count = *o.keepalive_count;
  if (o.retries2) c.retries2 = *o.retries2;
  if (o.max_segment) c.max_segment = static_cast<std::uint16_t>(*o.max_segment);
  if (o.congestion) c.congestion = *o.congestion;
  if (o.oob_inline) c.oob_inline = *o.oob_inline;
}

void TcpLayer::notify(SocketHandle h) {
  Socket* s = table_.get(h);
  // Sockets nobody holds (not yet accepted, or closed by the user) have no reader to wake.
  if (s != nullptr && s->user_owned) ready_.mark(h);
}

void TcpLayer::notify_if_changed(SocketHandle h, const TcpReadiness& before) {
  // A freed handle is not listed: its reader closed it, and a list nobody drains must not
  // keep handles that no longer exist.
  if (table_.get(h) != nullptr && readiness(h) != before) ready_.mark(h);
}

void TcpLayer::schedule_output(SocketHandle h) {
  Socket* s = table_.get(h);
  if (s == nullptr || !s->conn) return;
  reschedule(h, *s);  // output waiting: poll_at() <= now, so the heap top is due
  // Nothing more will happen to a closed connection whose handle was given back, and a
  // TIME-WAIT one given back becomes a record.
  if (s->conn->poll_at().is_never() || s->conn->state() == TcpState::kTimeWait) {
    maybe_free(h, *s);
  }
}

void TcpLayer::reschedule(SocketHandle h, Socket& s) {
  s.conn->trace_timers();
  Instant at = s.conn->poll_at();
  if (at.is_never()) {
    disarm({h});
  } else {
    arm({h}, at);
  }
}

std::uint32_t& TcpLayer::timer_index(const TimerRef& r) const {
  return r.tw != nullptr ? r.tw->second.timer_index : table_.get(r.h)->timer_index;
}

void TcpLayer::arm(const TimerRef& r, Instant at) {
  timers_.set(r, at, [this](const TimerRef& x) -> std::uint32_t& { return timer_index(x); });
}

void TcpLayer::disarm(const TimerRef& r) {
  timers_.erase(r, [this](const TimerRef& x) -> std::uint32_t& { return timer_index(x); });
}

void TcpLayer::trace_drop(Instant now, const char* counter, const TcpTuple& t) const {
  if (tracer_ == nullptr) return;
  TraceEvent e = flow_trace_event(now, TraceKind::kDrop, t);
  e.what = counter;
  tracer_->on_event(e);
}

void TcpLayer::trace_time_wait(Instant now, const TcpTuple& t, const char* action,
                               Instant deadline) const {
  if (tracer_ == nullptr) return;
  TraceEvent e = flow_trace_event(now, TraceKind::kTcpTimer, t);
  e.what = "time_wait";
  e.detail = action;
  e.value = deadline.is_never() ? 0 : deadline.total_nanos();
  tracer_->on_event(e);
  if (std::string_view(action) == "fired") {
    e.kind = TraceKind::kTcpState;
    e.what = "TIME_WAIT->CLOSED";
    e.detail = "3.10.8";  // the 2 MSL timeout ends TIME-WAIT
    e.value = 0;
    tracer_->on_event(e);
  }
}

void TcpLayer::free_socket(SocketHandle h) {
  Socket* s = table_.get(h);
  if (s == nullptr) return;
  release_port(h, *s);
  disarm({h});
  if (s->listener) {
    auto& ls = listeners_[s->port];
    ls.erase(std::remove(ls.begin(), ls.end(), h), ls.end());
    if (ls.empty()) listeners_.erase(s->port);
  } else if (s->conn) {
    unhash_conn(s->conn->tuple(), h);
  }
  ready_.forget(h);
  table_.erase(h);
}

void TcpLayer::child_closed(Socket& child) {
  // An embryonic or unaccepted connection died: take it off its listener's queues.
  Socket* l = table_.get(child.parent);
  if (l == nullptr) return;
  if (child.in_accept_queue) {
    auto& q = l->accept_queue;
    for (auto it = q.begin(); it != q.end(); ++it) {
      if (table_.get(*it) == &child) {
        q.erase(it);
        notify(child.parent);  // accept_ready may have gone
        break;
      }
    }
  } else {
    leave_syn_queue(child, *l);
  }
  child.parent = {};
}

void TcpLayer::leave_syn_queue(Socket& child, Socket& listener) {
  if (!child.in_syn_queue) return;
  listener.syn_queue.erase(child.syn_pos);
  child.in_syn_queue = false;
}

bool TcpLayer::evict_oldest_embryonic(Instant now, Socket& l) {
  if (l.syn_queue.empty()) return false;
  SocketHandle oldest = l.syn_queue.front();
  Socket* s = table_.get(oldest);
  // RFC 4987 §3.4 (SYN cache: a new entry evicts an old one) with Linux's rule for which
  // requests are expendable (inet_csk_reqsk_queue_prune, reqsk_timer_handler: under pressure,
  // requests whose SYN-ACK was already retransmitted expire first): a client that answers
  // within an initial RTO is never pushed out, a flood's unanswered SYN-ACKs are.
  if (s == nullptr || now - s->syn_at < s->config.rto_initial) return false;
  ++counters_.syn_queue_evicted;
  child_closed(*s);
  free_socket(oldest);  // silently, like a request sock that expires: no RST
  return true;
}

void TcpLayer::maybe_free(SocketHandle h, Socket& s) {
  TcpConnection& c = *s.conn;
  // A child of a listener moves from the SYN queue to the accept queue once established.
  if (s.parent.valid() && !s.in_accept_queue && c.synchronized() &&
      c.state() != TcpState::kSynReceived && c.state() != TcpState::kClosed) {
    if (Socket* l = table_.get(s.parent)) {
      leave_syn_queue(s, *l);
      l->accept_queue.push_back(h);
      s.in_accept_queue = true;
      notify(s.parent);  // the accept queue grew
    }
  }
  if (c.state() == TcpState::kTimeWait && !s.user_owned && c.poll_at() > clock_) {
    replace_with_time_wait(h, s);
    return;
  }
  if (c.state() != TcpState::kClosed) return;
  // A closed connection no longer owns its 4-tuple or port (Linux unhashes it in tcp_done):
  // later segments for the tuple get a RST (§3.10.7.1) and a new connection may take it,
  // even while the user still holds the handle to read the error.
  // A port bind() named stays held until the handle is given back (Linux
  // SOCK_BINDPORT_LOCK), so the socket can connect again from it.
  unhash_conn(c.tuple(), h);
  if (!s.bound) release_port(h, s);
  if (c.poll_at() <= clock_) return;
  if (s.parent.valid()) {
    child_closed(s);
    free_socket(h);  // nobody holds a handle to an unaccepted connection
    return;
  }
  if (!s.user_owned) free_socket(h);
}

// --- TIME-WAIT records ----------------------------------------------------------------------

void TcpLayer::replace_with_time_wait(SocketHandle h, Socket& s) {
  s.conn->trace_timers();  // the TIME-WAIT timer the record takes over
  const TcpConnection& c = *s.conn;
  if (tw_.size() >= cfg_.max_time_wait) {
    // Linux tcp_time_wait: "TCP: time wait bucket table overflow", the socket just closes.
    ++counters_.time_wait_overflow;
  } else {
    TcpConnection::TimeWaitView v = c.time_wait_view();
    TimeWaitRecord r;
    r.snd_nxt = c.snd_max();
    r.rcv_nxt = c.rcv_nxt();
    r.ts_ok = v.ts_ok;
    r.ts_recent = v.ts_recent;
    r.ts_recent_at = v.ts_recent_at;
    r.ts_offset = v.ts_offset;
    r.window = v.window;
    auto [it, inserted] = tw_.try_emplace(c.tuple(), r);
    if (inserted) {
      ++tw_ports_[it->first.local_port];
      arm({.tw = &*it}, v.expires);
    }
  }
  if (s.parent.valid()) child_closed(s);
  free_socket(h);
}

void TcpLayer::on_time_wait_segment(Instant now, TimeWaitTable::iterator tw, const TcpRepr& seg,
                                    IpSender& out) {
  TimeWaitVerdict v = time_wait_segment(tw->second, now, seg, cfg_.tcp.invalid_ratelimit);
  if (v.restart_timer) {
    arm({.tw = &*tw}, now + cfg_.tcp.time_wait);
    trace_time_wait(now, tw->first, "set", now + cfg_.tcp.time_wait);
  }
  switch (v.action) {
    case TimeWaitAction::kDrop:
      return;
    case TimeWaitAction::kAck:
      send_time_wait_ack(now, *tw, out);
      return;
    case TimeWaitAction::kKill:
      ++counters_.time_wait_killed;
      drop_time_wait(tw);
      return;
    case TimeWaitAction::kReuse: {
      TcpTuple t = tw->first;
      SocketHandle lh = find_listener(t.local, t.local_port);
      Socket* l = table_.get(lh);
      if (l == nullptr) {
        // No listener to take it: Linux answers with the TIME-WAIT ACK (tcp_v4_rcv, TCP_TW_SYN
        // falls through to TCP_TW_ACK).
        send_time_wait_ack(now, *tw, out);
        return;
      }
      ++counters_.time_wait_reused;
      drop_time_wait(tw);
      on_listen_segment(now, lh, *l, t, seg, out, v.iss);
      return;
    }
  }
}

void TcpLayer::send_time_wait_ack(Instant now, const TimeWaitNode& tw, IpSender& out) {
  TcpSegmentOut ack;
  ack.repr = time_wait_ack(tw.second, now);
  ack.repr.src_port = tw.first.local_port;
  ack.repr.dst_port = tw.first.remote_port;
  emit(now, tw.first, ack, out);
}

void TcpLayer::drop_time_wait(TimeWaitTable::iterator tw) {
  disarm({.tw = &*tw});
  if (auto p = tw_ports_.find(tw->first.local_port); p != tw_ports_.end() && --p->second == 0) {
    tw_ports_.erase(p);
  }
  const TcpTuple t = tw->first;
  tw_.erase(tw);
  if (!conns_.contains(t)) flow_changed(t, /*opened=*/false);
}

void TcpLayer::hash_conn(const TcpTuple& t, SocketHandle h) {
  const bool held = holds_flow(t);
  conns_[t] = h;
  if (!held) flow_changed(t, /*opened=*/true);
}

void TcpLayer::unhash_conn(const TcpTuple& t, SocketHandle h) {
  auto it = conns_.find(t);
  if (it == conns_.end() || it->second != h) return;
  conns_.erase(it);
  // A connection that became a TIME-WAIT record still holds its tuple (the record is made
  // before the connection is freed).
  if (!tw_.contains(t)) flow_changed(t, /*opened=*/false);
}

void TcpLayer::flow_changed(const TcpTuple& t, bool opened) const {
  if (flow_observer_ == nullptr) return;
  const FlowKey k{IpProto::kTcp, t.local, t.remote, t.local_port, t.remote_port};
  if (opened) {
    flow_observer_->flow_opened(k);
  } else {
    flow_observer_->flow_closed(k);
  }
}

bool TcpLayer::time_wait_on(const IpAddr& local, std::uint16_t port) const {
  auto p = tw_ports_.find(port);
  if (p == tw_ports_.end()) return false;
  // Which addresses is not kept per port (it would cost a list per client port); a bind()
  // without SO_REUSEADDR to a port that has TIME-WAIT records is rare, so it scans them.
  for (const auto& [t, r] : tw_) {
    if (t.local_port == port && addr_overlaps(local, t.local)) return true;
  }
  return false;
}

void TcpLayer::service(Instant now, SocketHandle h, IpSender& out) {
  Socket* s = table_.get(h);
  if (s == nullptr || !s->conn) return;
  ++counters_.sockets_serviced;
  // Every event of a connection (segment, ICMP error, timer) may change its readiness:
  // coarse, but never missed, and only sockets that had an event are listed.
  notify(h);
  TcpTuple t = s->conn->tuple();
  s->conn->poll(now, [&](const TcpSegmentOut& seg) { emit(now, t, seg, out); });
  maybe_free(h, *s);
  if ((s = table_.get(h)) != nullptr) reschedule(h, *s);
}

// --- Output -------------------------------------------------------------------------------

void TcpLayer::emit(Instant now, const TcpTuple& t, const TcpSegmentOut& s, IpSender& out) {
  std::size_t hlen = s.repr.header_len();
  std::size_t len = hlen + s.payload_len();
  ChecksumMode mode = out.checksum_mode();
  IpSendOptions opts = kTcpSendOptions;
  opts.tos = s.ip_ecn;  // RFC 3168 §5: ECT(0) on new data of an ECN connection
  opts.gso_size = s.gso_size;
  if (s.gso_size != 0) {
    ++counters_.tso_super_segs_out;
    counters_.tso_segs_out += (s.payload_len() + s.gso_size - 1) / s.gso_size;
  }
  bool ok = out.send(
      now, t.local, t.remote, IpProto::kTcp, len,
      [&](MutBytes buf) {
        s.repr.emit_header(buf);
        auto it = std::copy(s.payload_a.begin(), s.payload_a.end(),
                            buf.begin() + static_cast<std::ptrdiff_t>(hlen));
        std::copy(s.payload_b.begin(), s.payload_b.end(), it);
        TcpRepr::fill_checksum(buf.first(len), t.local, t.remote, mode);
      },
      opts);
  ++counters_.segs_out;
  if (s.retransmission) ++counters_.retrans_segs;
  if (!ok) ++counters_.send_failed;
}

void TcpLayer::send_rst_for(Instant now, const TcpTuple& t, const TcpRepr& seg, IpSender& out,
                            const char* why) {
  // RFC 9293 §3.10.7.1 (and the LISTEN/SYN-SENT rules that reuse it): never answer a RST;
  // to an ACK send <SEQ=SEG.ACK><CTL=RST>, otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>.
  if (seg.has(kRst)) return;
  // No connection traces these: the segment and the reset, with why (docs/events.md).
  auto trace = [&](TraceKind kind, const TcpRepr& r, const char* w) {
    if (tracer_ == nullptr) return;
    TraceEvent e = flow_trace_event(now, kind, t);
    e.seq = r.seq.raw();
    e.ack = r.ack.raw();
    e.len = static_cast<std::uint32_t>(r.payload.size());
    e.wnd = r.window;
    e.flags = r.flags;
    e.detail = w;
    e.tcp = &r;
    tracer_->on_event(e);
  };
  trace(TraceKind::kTcpSegmentIn, seg, "");
  TcpSegmentOut rst;
  rst.repr.src_port = t.local_port;
  rst.repr.dst_port = t.remote_port;
  if (seg.has(kAck)) {
    rst.repr.seq = seg.ack;
    rst.repr.flags = kRst;
  } else {
    rst.repr.seq = SeqNum(0);
    rst.repr.ack = seg.seq + seg.seg_len();
    rst.repr.flags = kRst | kAck;
  }
  emit(now, t, rst, out);
  trace(TraceKind::kTcpSegmentOut, rst.repr, why);
}

// --- Transport ----------------------------------------------------------------------------

RxVerdict TcpLayer::on_packet(Instant now, const IpRxMeta& meta, Bytes payload, IpSender& out) {
  clock_ = now;
  ++counters_.segs_in;
  auto parsed =
      TcpRepr::parse(payload, meta.src, meta.dst,
                     meta.checksum_verified ? ChecksumCheck::kSkip : ChecksumCheck::kVerify);
  if (!parsed) {
    // The flow as far as the ports can be read.
    TcpTuple t{meta.dst, meta.src, 0, 0};
    if (payload.size() >= 4) t = {meta.dst, meta.src, load_be16(payload, 2), load_be16(payload, 0)};
    if (parsed.error() == ParseError::kBadChecksum) {
      ++counters_.drops_bad_checksum;
      trace_drop(now, "drops.tcp_bad_checksum", t);
    } else {
      ++counters_.drops_malformed;
      trace_drop(now, "drops.tcp_malformed", t);
    }
    return RxVerdict::kDelivered;
  }
  const TcpRepr& seg = *parsed;
  if (seg.options.malformed) ++counters_.options_malformed;
  // RFC 9293 §3.9.2.1 / RFC 1122 §4.2.3.10: segments to broadcast or multicast addresses are
  // silently discarded; so are those with a zero port.
  // RFC 9293 §3.9.2.1 (MUST-63): a segment from an invalid source (broadcast, multicast,
  // unspecified) is dropped too.
  if (meta.dst_is_broadcast_or_multicast || meta.src.is_multicast() || meta.src.is_unspecified() ||
      (meta.src.is_v4() && meta.src.v4().is_broadcast()) || seg.src_port == 0 ||
      seg.dst_port == 0) {
    ++counters_.drops_broadcast;
    trace_drop(now, "drops.tcp_broadcast", {meta.dst, meta.src, seg.dst_port, seg.src_port});
    return RxVerdict::kDelivered;
  }
  TcpTuple t{meta.dst, meta.src, seg.dst_port, seg.src_port};
  auto it = conns_.find(t);
  if (it != conns_.end()) {
    SocketHandle h = it->second;
    Socket* s = table_.get(h);
    TcpConnection& c = *s->conn;
    if (c.state() == TcpState::kTimeWait && seg.has(kSyn) && !seg.has(kAck) && !seg.has(kRst) &&
        c.time_wait_allows_reuse(seg)) {
      // RFC 6191: a new incarnation may take over the TIME_WAIT 4-tuple. Its ISS lies above
      // the old SND.NXT, so no old duplicate of ours can be taken for new data, whatever the
      // old connection sent (Linux tcp_timewait_state_process: tw_snd_nxt + 65535 + 2).
      SeqNum iss = c.snd_max() + 65537;
      if (iss.raw() == 0) iss += 1;
      ++counters_.time_wait_reused;
      notify(h);
      free_socket(h);
      SocketHandle lh = find_listener_or_catch_all(meta.dst, seg.dst_port);
      if (Socket* l = table_.get(lh)) {
        on_listen_segment(now, lh, *l, t, seg, out, iss);
        return RxVerdict::kDelivered;
      }
    } else {
      // Linux: the final ACK of a handshake is dropped while the accept queue is full, so
      // the SYN-ACK is retransmitted later (listen overflow).
      if (c.state() == TcpState::kSynReceived && s->parent.valid() && seg.has(kAck) &&
          !seg.has(kRst) && !seg.has(kSyn)) {
        Socket* l = table_.get(s->parent);
        if (l && l->accept_queue.size() >= l->backlog) {
          ++counters_.drops_listen_overflow;
          trace_drop(now, "drops.tcp_listen_overflow", t);
          return RxVerdict::kDelivered;
        }
      }
      c.on_segment(now, seg, meta.tos & kIpEcnMask);
      if (cfg_.coalesce_acks && c.output_may_wait() && c.poll_at() <= now) {
        // ACK coalescing: the connection has output due, which the Stack's poll of this layer
        // after the device's input burst sends: one cumulative ACK (and one larger TSO
        // segment of what the ACKs opened) for all the burst's segments. Without output due
        // (a handshake's last ACK) it is serviced at once, as before.
        ++counters_.output_deferred;
        notify(h);
        reschedule(h, *s);
      } else {
        service(now, h, out);
      }
      return RxVerdict::kDelivered;
    }
  }
  if (auto tw = tw_.find(t); tw != tw_.end()) {
    on_time_wait_segment(now, tw, seg, out);
    return RxVerdict::kDelivered;
  }
  SocketHandle lh = find_listener_or_catch_all(meta.dst, seg.dst_port);
  if (Socket* l = table_.get(lh)) {
    on_listen_segment(now, lh, *l, t, seg, out);
    return RxVerdict::kDelivered;
  }
  // RFC 9293 §3.10.7.1: CLOSED (no socket).
  ++counters_.rsts_no_socket;
  send_rst_for(now, t, seg, out, "closed-port");
  return RxVerdict::kDelivered;
}

void TcpLayer::on_listen_segment(Instant now, SocketHandle lh, Socket& l, const TcpTuple& t,
                                 const TcpRepr& seg, IpSender& out, std::optional<SeqNum> iss) {
  // RFC 9293 §3.10.7.2, LISTEN.
  if (seg.has(kRst)) return;  // first: ignore a RST
  if (seg.has(kAck)) {        // second: an ACK is bad here, unless it returns a SYN cookie
    if (!seg.has(kSyn) && open_from_cookie(now, lh, l, t, seg, out)) return;
    ++counters_.rsts_listen_ack;
    send_rst_for(now, t, seg, out, "ack-to-listen");
    return;
  }
  if (!seg.has(kSyn)) return;  // fourth: anything else is dropped
  // Linux tcp_rcv_state_process (LISTEN): a SYN with FIN is discarded (no legitimate opener
  // sends one; answering it helps scanners fingerprint the stack).
  if (seg.has(kFin)) return;
  // A catch-all listener's user answers the SYN once it knows whether the real destination
  // takes the connection (syn_hold.h); a retransmitted SYN of a held tuple is not held twice.
  // A SYN taking over a TIME-WAIT 4-tuple (`iss` chosen) is not held: it is answered at once.
  if (l.hold_syns && !iss) {
    switch (held_->add(now, t, seg)) {
      case SynHold::AddResult::kHeld:
        ++counters_.syns_held;
        break;
      case SynHold::AddResult::kFull:
        ++counters_.syns_held_overflow;
        break;
      case SynHold::AddResult::kDuplicate:
        break;
    }
    return;
  }
  open_from_syn(now, lh, l, t, seg, out, iss);
}

void TcpLayer::open_from_syn(Instant now, SocketHandle lh, Socket& l, const TcpTuple& t,
                             const TcpRepr& seg, IpSender& out, std::optional<SeqNum> iss) {
  // third: a SYN. Bounded queues, as in Linux (tcp_conn_request): a full accept queue drops
  // the SYN; a full SYN queue (`backlog` embryonic connections) answers it with a SYN cookie
  // and keeps nothing (tcp_syncookies = 1, RFC 4987 §3.6). A SYN that takes over a TIME-WAIT
  // 4-tuple has its ISS chosen already and gets no cookie (Linux: `!isn`). Without cookies a
  // full SYN queue first gives up its oldest entry if that one looks abandoned (RFC 4987
  // §3.4), so a listener recovers as soon as a flood stops, not when the flood's SYN-ACKs run
  // out of retries; with cookies the flood's entries stay until then, as in Linux, and new
  // SYNs are answered with cookies meanwhile.
  if (l.accept_queue.size() >= l.backlog) {
    ++counters_.drops_listen_overflow;
    trace_drop(now, "drops.tcp_listen_overflow", t);
    return;
  }
  bool syn_queue_full = l.syn_queue.size() >= l.backlog;
  bool want_cookie = cfg_.syn_cookies == SynCookieMode::kAlways ||
                     (syn_queue_full && cfg_.syn_cookies == SynCookieMode::kOnOverflow);
  if (want_cookie && !iss) {
    send_cookie_syn_ack(now, l, t, seg, out);
    return;
  }
  if (syn_queue_full && !evict_oldest_embryonic(now, l)) {
    ++counters_.drops_listen_overflow;
    trace_drop(now, "drops.tcp_listen_overflow", t);
    return;
  }
  auto conn = make_connection(now, l.config, t, out, iss);
  conn->open_passive(now, seg);
  SocketHandle h = add_child(lh, l, t, std::move(conn));
  Socket& child = *table_.get(h);
  child.syn_pos = l.syn_queue.insert(l.syn_queue.end(), h);
  child.in_syn_queue = true;
  child.syn_at = now;
  ++counters_.passive_opens;
  service(now, h, out);
}

SocketHandle TcpLayer::add_child(SocketHandle lh, const Socket& l, const TcpTuple& t,
                                 std::unique_ptr<TcpConnection> conn) {
  auto sock = std::make_unique<Socket>();
  sock->config = l.config;
  sock->reuse_addr = l.reuse_addr;
  sock->family = t.local.version();
  sock->user_owned = false;
  sock->parent = lh;
  sock->conn = std::move(conn);
  SocketHandle h = table_.insert(std::move(sock));
  hash_conn(t, h);
  hold_port(h, *table_.get(h), t.local_port);
  return h;
}

// --- SYN cookies (syn_cookie.h) -------------------------------------------------------------

void TcpLayer::send_cookie_syn_ack(Instant now, Socket& l, const TcpTuple& t, const TcpRepr& syn,
                                   IpSender& out) {
  SynCookies::Issued cookie = cookies_.make(t, syn.seq, syn.options.mss.value_or(0), now);
  // Linux tcp_conn_request (want_cookie && !tstamp_ok: tcp_clear_options): without timestamps
  // the cookie has nowhere to carry window scale and SACK, so the SYN-ACK does not offer them.
  TcpRepr request = syn;
  bool timestamps = l.config.timestamps && syn.options.timestamps.has_value();
  if (!timestamps) {
    request.options.window_scale.reset();
    request.options.sack_permitted = false;
    // Nor ECN (Linux calls tcp_ecn_create_request only if !want_cookie || tstamp_ok).
    request.flags &= static_cast<std::uint8_t>(~(kEce | kCwr));
  }
  SynCookieTsOptions carried;
  if (l.config.window_scaling) carried.window_scale = request.options.window_scale;
  carried.sack = l.config.sack && request.options.sack_permitted;
  // RFC 3168 §6.1.1: an ECN-setup SYN we accept (Linux cookie_init_timestamp's TS_OPT_ECN).
  carried.ecn =
      l.config.ecn != TcpEcnMode::kOff && (request.flags & kEce) && (request.flags & kCwr);
  // The SYN-ACK is the one a connection would send, built by a connection that is dropped at
  // once (untraced: it never exists for anyone); only the TSval changes, to carry the options.
  TcpConnection request_only(l.config, t, cookie.isn, make_ts_offset(t), out.path_mtu(t.remote),
                             nullptr, buffers_.get());
  request_only.open_passive(now, request);
  request_only.poll(now, [&](const TcpSegmentOut& s) {
    TcpSegmentOut synack = s;
    if (auto& ts = synack.repr.options.timestamps)
      ts->val = cookie_init_timestamp(ts->val, carried);
    emit(now, t, synack, out);
  });
  l.last_cookie_at = now;
  ++counters_.syncookies_sent;
}

bool TcpLayer::open_from_cookie(Instant now, SocketHandle lh, Socket& l, const TcpTuple& t,
                                const TcpRepr& ack, IpSender& out) {
  // Linux tcp_v4_cookie_check: only while a cookie sent by this listener may still be valid
  // (tcp_synq_no_recent_overflow); any other ACK is just an ACK to a listener.
  if (cfg_.syn_cookies == SynCookieMode::kNever || !l.last_cookie_at ||
      now - *l.last_cookie_at >= SynCookies::kPeriod * SynCookies::kMaxAge) {
    return false;
  }
  std::optional<std::uint16_t> mss = cookies_.check(t, ack.seq, ack.ack, now);
  // The options the cookie's TSval carried, echoed in TSecr (Linux cookie_timestamp_decode);
  // an ACK without timestamps gets a connection without them, window scaling or SACK.
  std::optional<SynCookieTsOptions> carried = SynCookieTsOptions{};
  if (mss && ack.options.timestamps) {
    carried = cookie_timestamp_decode(
        ack.options.timestamps->ecr, {l.config.timestamps, l.config.sack, l.config.window_scaling});
  }
  if (!mss || !carried) {
    ++counters_.syncookies_failed;
    return false;
  }
  ++counters_.syncookies_recv;
  // Linux tcp_get_cookie_sock -> syn_recv_sock: a full accept queue drops the ACK (the peer
  // retransmits it, or its data, and may find room later).
  if (l.accept_queue.size() >= l.backlog) {
    ++counters_.drops_listen_overflow;
    trace_drop(now, "drops.tcp_listen_overflow", t);
    return true;
  }
  // The SYN the cookie stands for.
  TcpRepr syn;
  syn.src_port = ack.src_port;
  syn.dst_port = ack.dst_port;
  syn.seq = ack.seq - 1;
  syn.flags = kSyn;
  // Linux cookie_ecn_ok: the TSecr's ECN bit, if ECN is not off here.
  if (carried->ecn && l.config.ecn != TcpEcnMode::kOff) syn.flags |= kEce | kCwr;
  syn.window = ack.window;
  syn.options.mss = *mss;
  if (ack.options.timestamps) {
    syn.options.timestamps = TcpTimestamps{ack.options.timestamps->val, 0};
    syn.options.window_scale = carried->window_scale;
    syn.options.sack_permitted = carried->sack;
  }
  auto conn = make_connection(now, l.config, t, out, ack.ack - 1);
  conn->open_from_cookie(now, syn);
  SocketHandle h = add_child(lh, l, t, std::move(conn));
  ++counters_.passive_opens;
  table_.get(h)->conn->on_segment(now, ack);
  service(now, h, out);
  return true;
}

bool TcpLayer::on_icmp_error(Instant now, const IcmpError& err, IpSender& out) {
  clock_ = now;
  if (err.quoted_proto != IpProto::kTcp || err.quoted_transport.size() < 8) {
    ++counters_.icmp_ignored;
    return false;
  }
  TcpTuple t{err.quoted_src, err.quoted_dst, load_be16(err.quoted_transport, 0),
             load_be16(err.quoted_transport, 2)};
  auto it = conns_.find(t);
  if (it == conns_.end()) {
    ++counters_.icmp_ignored;
    return false;
  }
  Socket* s = table_.get(it->second);
  TcpConnection& c = *s->conn;
  // RFC 5927 §4.1: act only if the quoted sequence number is in flight (SND.UNA <= seq <
  // SND.NXT); anything else is forged or stale.
  SeqNum seq(load_be32(err.quoted_transport, 4));
  if (!(c.snd_una() <= seq && seq < c.snd_max())) {
    ++counters_.icmp_ignored;
    return false;
  }
  ++counters_.icmp_delivered;
  c.on_icmp_error(now, err);
  // What the error makes us send (a resend at the smaller MSS) waits for poll(): the IP layer
  // records the path MTU (and its DF lock) only once we have accepted the error, and Linux's
  // tcp_v4_mtu_reduced also updates the route before tcp_simple_retransmit.
  (void)out;
  schedule_output(it->second);
  return true;
}

void TcpLayer::answer_held_syns(Instant now, IpSender& out) {
  while (std::optional<SynHold::Answered> a = held_->take_answered()) {
    SocketHandle lh = catch_all_[a->tuple.local.is_v6() ? 1 : 0];
    Socket* l = table_.get(lh);
    if (a->answer == SynAnswer::kDrop) continue;
    if (a->answer == SynAnswer::kAccept && l != nullptr && l->listener) {
      open_from_syn(now, lh, *l, a->tuple, a->syn, out, std::nullopt);
      continue;
    }
    // Refused, or accepted after the listener closed: RFC 9293 §3.10.7.1, <SEQ=0><ACK=SEG.SEQ+1>
    // <CTL=RST,ACK>, which the client's connect() reports as ECONNREFUSED.
    ++counters_.syns_refused;
    send_rst_for(now, a->tuple, a->syn, out, "refused");
  }
}

void TcpLayer::poll(Instant now, IpSender& out) {
  clock_ = now;
  if (held_ && held_->has_answered()) answer_held_syns(now, out);
  while (timers_.top_at() <= now) {
    TimerRef r = timers_.top();
    disarm(r);
    ++counters_.timer_entries_visited;
    if (r.tw != nullptr) {
      // RFC 9293 §3.10.7.4: the 2 MSL timeout ends TIME-WAIT.
      ++counters_.time_wait_expired;
      trace_time_wait(now, r.tw->first, "fired");
      drop_time_wait(tw_.find(r.tw->first));
      continue;
    }
    service(now, r.h, out);
  }
  trim_memory();
}

void TcpLayer::trim_memory() {
  // std::unordered_map never gives buckets back on erase; rehash(0) sizes them for what is
  // left. Only once they are 8x the entries (plus slack), so the cost is amortized.
  if (conns_.bucket_count() > 8 * conns_.size() + 64) conns_.rehash(0);
  if (port_users_.bucket_count() > 8 * port_users_.size() + 64) port_users_.rehash(0);
  if (tw_.bucket_count() > 8 * tw_.size() + 64) tw_.rehash(0);
  if (tw_ports_.bucket_count() > 8 * tw_ports_.size() + 64) tw_ports_.rehash(0);
  if (timers_.capacity() > 4 * timers_.size() + 64) timers_.shrink_to_fit();
}

TcpLayer::Memory TcpLayer::memory() const {
  Memory m;
  m.slots = table_.slot_capacity();
  m.free_slots = table_.free_capacity();
  m.tuple_buckets = conns_.bucket_count();
  m.timer_capacity = timers_.capacity();
  m.timers = timers_.size();
  m.time_wait_entries = tw_.size();
  m.time_wait_buckets = tw_.bucket_count();
  // libstdc++'s node: the next pointer, the key and value, and the cached hash; the record's
  // timer entry; at worst (a client: one port per record) a port count node.
  m.time_wait_entry_bytes = sizeof(void*) + sizeof(TimeWaitNode) + sizeof(std::size_t) +
                            sizeof(Instant) + sizeof(TimerRef) + 2 * sizeof(void*);
  m.port_entries = port_users_.bucket_count();
  for (const auto& [port, users] : port_users_) m.port_entries += users.capacity();
  return m;
}

Instant TcpLayer::poll_at() const {
  // Answered SYNs are sent from the next poll, at once.
  if (held_ && held_->has_answered()) return clock_;
  return timers_.top_at();
}

// --- User API: socket lifecycle -------------------------------------------------------------

SocketHandle TcpLayer::open(IpVersion family, const TcpSocketOptions& opts) {
  auto sock = std::make_unique<Socket>();
  sock->family = family;
  sock->local = any_addr(family);
  sock->reuse_addr = opts.reuse_addr;
  sock->config = config_for(opts);
  return table_.insert(std::move(sock));
}

std::optional<TcpError> TcpLayer::set_options(SocketHandle h, const TcpSocketOptions& opts) {
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  // Linux do_tcp_setsockopt: TCP_KEEPCNT, TCP_KEEPIDLE and TCP_KEEPINTVL must be >= 1.
  if ((opts.keepalive_count && *opts.keepalive_count == 0) ||
      (opts.keepalive_idle && *opts.keepalive_idle <= Duration::zero()) ||
      (opts.keepalive_interval && *opts.keepalive_interval <= Duration::zero())) {
    return TcpError::kInvalid;
  }
  // Linux do_tcp_setsockopt TCP_MAXSEG: 0 clears it, else TCP_MIN_MSS (88) to MAX_TCP_WINDOW
  // (32767).
  if (opts.max_segment && *opts.max_segment != 0 &&
      (*opts.max_segment < 88 || *opts.max_segment > 32767)) {
    return TcpError::kInvalid;
  }
  apply_options(s->config, opts);
  // SO_REUSEADDR may change after bind(), as in Linux: later bind checks see the new value.
  s->reuse_addr = opts.reuse_addr;
  if (s->conn) {
    // A live connection takes the options it can change; its buffers keep their size and stop
    // growing.
    if (opts.send_buffer) s->conn->lock_send_buffer();
    if (opts.recv_buffer) s->conn->lock_recv_buffer();
    if (opts.nodelay) s->conn->set_nodelay(s->config.nodelay);
    if (opts.congestion) s->conn->set_congestion(*opts.congestion);
    if (opts.oob_inline) s->conn->set_oob_inline(s->config.oob_inline);
    if (opts.keepalive || opts.keepalive_idle || opts.keepalive_interval || opts.keepalive_count) {
      s->conn->set_keepalive(s->config.keepalive, s->config.keepalive_idle,
                             s->config.keepalive_interval, s->config.keepalive_count);
    }
    schedule_output(h);
  }
  return std::nullopt;
}

Result<TcpSocketOptions, TcpError> TcpLayer::options(SocketHandle h) const {
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(TcpError::kBadHandle);
  const TcpConfig& c = s->config;
  TcpSocketOptions o;
  // The sizes now: a connection's rings may have grown (Linux getsockopt reads sk_sndbuf).
  o.send_buffer = s->conn ? s->conn->send_buffer_size() : c.send_buffer;
  o.recv_buffer = s->conn ? s->conn->recv_buffer_size() : c.recv_buffer;
  o.nodelay = c.nodelay;
  o.keepalive = c.keepalive;
  o.keepalive_idle = c.keepalive_idle;
  o.keepalive_interval = c.keepalive_interval;
  o.keepalive_count = c.keepalive_count;
  o.retries2 = c.retries2;
  o.max_segment = c.max_segment;
  o.congestion = c.congestion;
  o.oob_inline = c.oob_inline;
  o.reuse_addr = s->reuse_addr;
  return o;
}

Result<std::uint32_t, TcpError> TcpLayer::maxseg(SocketHandle h) const {
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(TcpError::kBadHandle);
  // Linux do_tcp_getsockopt: user_mss in CLOSE or LISTEN when set, else mss_cache, which is
  // TCP_MSS_DEFAULT until a connection syncs it to the path and the peer's MSS.
  bool unconnected = s->listener || !s->conn || s->conn->state() == TcpState::kClosed;
  if (unconnected && s->config.max_segment != 0) return std::uint32_t{s->config.max_segment};
  if (!s->conn) return std::uint32_t{536};
  return s->conn->stats().snd_mss;
}

std::optional<TcpError> TcpLayer::bind(SocketHandle h, const IpAddr& local, std::uint16_t port) {
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  // A failed connect() gave its automatic port back (Linux inet_put_port), so the socket may
  // bind again; one bind() locked stays bound.
  if (s->conn && s->conn->state() == TcpState::kClosed && !s->bound) reopen(h, *s);
  // Linux inet_bind: EINVAL once the socket has a port (bound, listening or connected).
  if (s->listener || s->conn || s->port != 0) return TcpError::kInvalid;
  if (local.version() != s->family) return TcpError::kInvalid;
  if (port == 0) {
    auto p = pick_free_port(local);
    if (!p) return TcpError::kNoPorts;
    port = *p;
  }
  if (auto e = bind_to(h, *s, local, port)) return e;
  s->bound = true;
  return std::nullopt;
}

std::optional<TcpError> TcpLayer::listen_impl(SocketHandle h, Socket& s, unsigned backlog) {
  // Linux clamps the backlog to at least 1 (a listen(fd, 0) socket still accepts one).
  backlog = std::max(backlog, 1u);
  if (s.listener) {
    // Linux inet_listen on a listener only changes sk_max_ack_backlog.
    s.backlog = backlog;
    return std::nullopt;
  }
  if (s.conn) {
    // Linux: listen() is allowed from TCP_CLOSE only, which a failed connection is in.
    if (s.conn->state() != TcpState::kClosed) return TcpError::kInvalid;
    reopen(h, s);
  }
  if (s.port == 0) {
    // Linux inet_autobind: an unbound socket gets an ephemeral port.
    auto p = pick_free_port(s.local);
    if (!p) return TcpError::kNoPorts;
    if (auto e = bind_to(h, s, s.local, *p)) return e;
  } else if (bind_conflict(s.local, s.port, s.reuse_addr, h)) {
    // inet_csk_listen_start checks the port again: two SO_REUSEADDR sockets may share a
    // port while neither listens, but only one of them may then listen.
    return TcpError::kAddressInUse;
  }
  s.listener = true;
  s.backlog = backlog;
  listeners_[s.port].push_back(h);
  return std::nullopt;
}

std::optional<TcpError> TcpLayer::listen(SocketHandle h, unsigned backlog) {
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  TcpReadiness before = readiness(h);
  auto e = listen_impl(h, *s, backlog);
  notify_if_changed(h, before);
  return e;
}

std::optional<TcpError> TcpLayer::connect_impl(Instant now, const IpSender& ip, SocketHandle h,
                                               Socket& s, const IpAddr& remote,
                                               std::uint16_t port) {
  clock_ = std::max(clock_, now);
  if (s.listener) return TcpError::kInvalid;
  if (s.conn) {
    switch (s.conn->state()) {
      case TcpState::kSynSent:
      case TcpState::kSynReceived:
        return TcpError::kInProgress;  // EALREADY
      case TcpState::kClosed:
        // Linux: a socket whose connection failed is in TCP_CLOSE and may connect again.
        reopen(h, s);
        break;
      default:
        return TcpError::kIsConnected;
    }
  }
  if (bad_destination(remote, port) || remote.version() != s.family) return TcpError::kInvalid;
  IpAddr local = s.local;
  if (local.is_unspecified()) {
    auto src = ip.select_source(remote);
    if (!src) return TcpError::kNoRoute;
    local = *src;
  }
  if (local.version() != remote.version()) return TcpError::kInvalid;
  std::uint16_t local_port = s.port;
  if (local_port == 0) {
    auto p = pick_ephemeral_port(local, remote, port);
    if (!p) {
      ++counters_.ephemeral_ports_exhausted;
      return TcpError::kNoPorts;  // EADDRNOTAVAIL, as Linux's connect()
    }
    local_port = *p;
  }
  TcpTuple t{local, remote, local_port, port};
  if (conns_.count(t) != 0) {
    // The 4-tuple is taken; a user-held TIME_WAIT connection gives way to an explicit bind
    // with SO_REUSEADDR only through the RFC 6191 path (its SYN); refuse here like Linux.
    return TcpError::kAddressInUse;
  }
  std::optional<SeqNum> iss;
  if (auto tw = tw_.find(t); tw != tw_.end()) {
    // Linux tcp_twsk_unique (tcp_tw_reuse = 1): a TIME-WAIT 4-tuple may be taken over when
    // timestamps make old duplicates recognizable; the new ISS starts above the old SND.NXT.
    if (!time_wait_reusable_by_connect(tw->second, now)) return TcpError::kAddressInUse;
    iss = time_wait_successor_iss(tw->second);
    ++counters_.time_wait_reused_connect;
    drop_time_wait(tw);
  }
  s.conn = make_connection(now, s.config, t, ip, iss);
  s.conn->open_active(now);
  hash_conn(t, h);
  if (s.held_port == 0) hold_port(h, s, local_port);
  ++counters_.active_opens;
  schedule_output(h);
  return std::nullopt;
}

std::optional<TcpError> TcpLayer::connect(Instant now, const IpSender& ip, SocketHandle h,
                                          const IpAddr& remote, std::uint16_t port) {
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  TcpReadiness before = readiness(h);
  auto e = connect_impl(now, ip, h, *s, remote, port);
  notify_if_changed(h, before);
  return e;
}

Result<SocketHandle, TcpError> TcpLayer::listen(const IpAddr& local, std::uint16_t port,
                                                unsigned backlog, const TcpSocketOptions& opts) {
  if (port == 0 || backlog == 0) return Err(TcpError::kInvalid);
  SocketHandle h = open(local.version(), opts);
  Socket* s = table_.get(h);
  auto e = bind_to(h, *s, local, port);
  if (!e) {
    s->bound = true;
    e = listen_impl(h, *s, backlog);
  }
  if (e) {
    free_socket(h);
    return Err(*e);
  }
  return h;
}

Result<SocketHandle, TcpError> TcpLayer::connect(Instant now, const IpSender& ip,
                                                 const IpAddr& remote, std::uint16_t port,
                                                 std::optional<IpAddr> local,
                                                 std::uint16_t local_port,
                                                 const TcpSocketOptions& opts) {
  clock_ = std::max(clock_, now);
  // The checks in today's order (destination, route, family) before a socket exists.
  if (bad_destination(remote, port)) return Err(TcpError::kInvalid);
  if (!local || local->is_unspecified()) {
    local = ip.select_source(remote);
    if (!local) return Err(TcpError::kNoRoute);
  }
  if (local->version() != remote.version()) return Err(TcpError::kInvalid);
  SocketHandle h = open(remote.version(), opts);
  Socket* s = table_.get(h);
  // The source address is fixed now and the port, unless given, chosen at connect keyed on
  // the remote too (like IP_BIND_ADDRESS_NO_PORT). Not `bound`: the port is given back
  // when the connection closes, as before.
  s->local = *local;
  std::optional<TcpError> e;
  if (local_port != 0) e = bind_to(h, *s, *local, local_port);
  if (!e) e = connect_impl(now, ip, h, *s, remote, port);
  if (e) {
    free_socket(h);
    return Err(*e);
  }
  return h;
}

// --- User API: connections ------------------------------------------------------------------

std::optional<TcpError> TcpLayer::set_catch_all(SocketHandle h, bool hold_syns) {
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  if (!s->listener) return TcpError::kInvalid;
  s->catch_all = true;
  s->hold_syns = hold_syns;
  catch_all_[s->family == IpVersion::kV6 ? 1 : 0] = h;
  if (hold_syns && !held_) held_ = std::make_unique<SynHold>(s->backlog, conns_.hash_function());
  if (held_) held_->set_limit(std::max(held_->limit(), std::size_t{s->backlog}));
  return std::nullopt;
}

std::optional<TcpRepr> TcpLayer::held_syn(const TcpTuple& t) const {
  const TcpRepr* r = held_ ? held_->syn(t) : nullptr;
  return r ? std::optional<TcpRepr>(*r) : std::nullopt;
}

std::optional<TcpTuple> TcpLayer::take_held_syn() {
  return held_ ? held_->take_new() : std::nullopt;
}

bool TcpLayer::answer_syn(const TcpTuple& t, SynAnswer answer) {
  return held_ && held_->answer(t, answer);
}

Result<SocketHandle, TcpError> TcpLayer::accept(SocketHandle lh) {
  Socket* l = table_.get(lh);
  if (l == nullptr) return Err(TcpError::kBadHandle);
  if (!l->listener) return Err(TcpError::kInvalid);
  if (l->accept_queue.empty()) return Err(TcpError::kWouldBlock);
  TcpReadiness before = readiness(lh);
  SocketHandle h = l->accept_queue.front();
  l->accept_queue.pop_front();
  Socket* s = table_.get(h);
  s->parent = {};
  s->in_accept_queue = false;
  s->user_owned = true;
  notify_if_changed(lh, before);
  // Listed once, like epoll_ctl(ADD) reporting a socket that is already ready: events before
  // accept() (data, FIN, RST) were not listed, as nobody held the socket.
  ready_.mark(h);
  return h;
}

Result<std::size_t, TcpError> TcpLayer::send(SocketHandle h, Bytes data) {
  return send_data(h, data, /*urgent=*/false);
}

Result<std::size_t, TcpError> TcpLayer::send_urgent(SocketHandle h, Bytes data) {
  return send_data(h, data, /*urgent=*/true);
}

Result<std::size_t, TcpError> TcpLayer::send_data(SocketHandle h, Bytes data, bool urgent) {
  user_call_at(h, clock_);
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(TcpError::kBadHandle);
  if (!s->conn) return Err(TcpError::kNotConnected);
  TcpConnection& c = *s->conn;
  if (c.error()) {
    // Linux tcp_sendmsg_locked: sk_err or SEND_SHUTDOWN -> sk_stream_error(-EPIPE), which
    // reports a pending sk_err once (sock_error) and EPIPE after it.
    TcpReadiness before = readiness(h);
    TcpError e = report_error(*s).value_or(TcpError::kPipe);
    notify_if_changed(h, before);
    return Err(e);
  }
  switch (c.state()) {
    case TcpState::kSynSent:
    case TcpState::kSynReceived:
      return Err(TcpError::kWouldBlock);
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
      break;
    case TcpState::kClosed:
      return Err(TcpError::kNotConnected);
    default:
      return Err(TcpError::kPipe);  // FIN already queued
  }
  if (data.empty()) return std::size_t{0};
  TcpReadiness before = readiness(h);
  std::size_t n = urgent ? c.send_urgent(data) : c.send(data);
  if (n == 0) return Err(TcpError::kWouldBlock);
  schedule_output(h);
  notify_if_changed(h, before);  // writable may have gone
  return n;
}

Result<std::size_t, TcpError> TcpLayer::recv(SocketHandle h, MutBytes out) {
  user_call_at(h, clock_);
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(TcpError::kBadHandle);
  if (!s->conn) return Err(TcpError::kNotConnected);
  TcpConnection& c = *s->conn;
  TcpReadiness before = readiness(h);
  std::size_t unread = c.unread_bytes();
  std::size_t n = c.recv(out);
  if (c.unread_bytes() != unread) {
    // Data was read, or only a skipped urgent octet: a window update may be due.
    schedule_output(h);
    notify_if_changed(h, before);  // readable may have gone
  }
  if (n > 0) return n;
  if (c.at_eof() || out.empty()) return std::size_t{0};
  if (c.error()) {
    // Linux tcp_recvmsg_locked: a pending sk_err is reported once (sock_error); after it the
    // socket is shut down both ways and reads see the end of the stream.
    auto e = report_error(*s);
    if (!e) return std::size_t{0};
    notify_if_changed(h, before);
    return Err(*e);
  }
  switch (c.state()) {
    case TcpState::kClosed:
      return std::size_t{0};
    case TcpState::kSynSent:
    case TcpState::kSynReceived:
    default:
      return Err(TcpError::kWouldBlock);
  }
}

Result<std::size_t, TcpError> TcpLayer::recv_urgent(SocketHandle h, MutBytes out) {
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(TcpError::kBadHandle);
  // Linux tcp_recvmsg_locked: a listener is ENOTCONN before MSG_OOB is looked at; a socket
  // that never connected has no urgent data (EINVAL).
  if (s->listener) return Err(TcpError::kNotConnected);
  if (!s->conn) return Err(TcpError::kInvalid);
  TcpReadiness before = readiness(h);
  auto r = s->conn->recv_urgent(out);
  notify_if_changed(h, before);  // POLLPRI has gone
  return r;
}

Result<bool, TcpError> TcpLayer::at_mark(SocketHandle h) const {
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(TcpError::kBadHandle);
  return s->conn != nullptr && s->conn->at_mark();
}

std::optional<TcpError> TcpLayer::shutdown(SocketHandle h) {
  user_call_at(h, clock_);
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  if (!s->conn) return TcpError::kNotConnected;
  if (s->conn->state() == TcpState::kClosed) return TcpError::kNotConnected;
  TcpReadiness before = readiness(h);
  s->conn->shutdown();
  schedule_output(h);
  notify_if_changed(h, before);
  return std::nullopt;
}

std::optional<TcpError> TcpLayer::close(SocketHandle h) {
  user_call_at(h, clock_);
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  TcpReadiness before = readiness(h);
  if (s->listener) {
    // Linux inet_csk_listen_stop: connections not yet accepted are reset.
    std::vector<SocketHandle> children;
    table_.for_each([&](SocketHandle ch, const Socket& cs) {
      if (cs.conn && cs.parent == h) children.push_back(ch);
    });
    for (SocketHandle ch : children) {
      Socket* cs = table_.get(ch);
      cs->parent = {};
      cs->in_accept_queue = false;
      cs->in_syn_queue = false;  // the list goes with the listener
      cs->user_owned = false;
      cs->conn->user_call_at(clock_);
      cs->conn->abort();
      schedule_output(ch);
    }
    // A catch-all's held SYNs go with it: refused at the next poll (answer_held_syns), like
    // the connections above, never left to the client's retransmissions.
    int fam = s->family == IpVersion::kV6 ? 1 : 0;
    if (s->catch_all && catch_all_[fam] == h) {
      if (held_) held_->answer_all(s->family, SynAnswer::kRefuse);
      catch_all_[fam] = {};
    }
    free_socket(h);
  } else if (!s->conn) {
    free_socket(h);  // open or bound only: nothing to send, the port is free at once
  } else {
    s->user_owned = false;
    s->conn->close();
    schedule_output(h);
  }
  notify_if_changed(h, before);
  return std::nullopt;
}

std::optional<TcpError> TcpLayer::abort(SocketHandle h) {
  user_call_at(h, clock_);
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  if (s->listener || !s->conn) return close(h);
  TcpReadiness before = readiness(h);
  s->user_owned = false;
  s->conn->abort();
  schedule_output(h);
  notify_if_changed(h, before);
  return std::nullopt;
}

// The user calls with their time (tcp_layer.h): the layer's clock and the connection's move
// to it, then the call proceeds as before.
void TcpLayer::user_call_at(SocketHandle h, Instant now) {
  clock_ = std::max(clock_, now);
  if (Socket* s = table_.get(h); s != nullptr && s->conn) s->conn->user_call_at(clock_);
}

Result<std::size_t, TcpError> TcpLayer::send(Instant now, SocketHandle h, Bytes data) {
  user_call_at(h, now);
  return send(h, data);
}

Result<std::size_t, TcpError> TcpLayer::send_urgent(Instant now, SocketHandle h, Bytes data) {
  user_call_at(h, now);
  return send_urgent(h, data);
}

Result<std::size_t, TcpError> TcpLayer::recv(Instant now, SocketHandle h, MutBytes out) {
  user_call_at(h, now);
  return recv(h, out);
}

std::optional<TcpError> TcpLayer::shutdown(Instant now, SocketHandle h) {
  user_call_at(h, now);
  return shutdown(h);
}

std::optional<TcpError> TcpLayer::close(Instant now, SocketHandle h) {
  user_call_at(h, now);
  return close(h);
}

std::optional<TcpError> TcpLayer::abort(Instant now, SocketHandle h) {
  user_call_at(h, now);
  return abort(h);
}

Result<TcpState, TcpError> TcpLayer::state(SocketHandle h) const {
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(TcpError::kBadHandle);
  if (s->listener) return TcpState::kListen;
  return s->conn ? s->conn->state() : TcpState::kClosed;
}

std::optional<TcpError> TcpLayer::error(SocketHandle h) const {
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  if (!s->conn) return std::nullopt;
  return s->conn->error();
}

std::optional<TcpError> TcpLayer::soft_error(SocketHandle h) const {
  Socket* s = table_.get(h);
  if (s == nullptr || !s->conn) return std::nullopt;
  return s->conn->soft_error();
}

std::optional<TcpError> TcpLayer::take_error(SocketHandle h) {
  Socket* s = table_.get(h);
  if (s == nullptr) return TcpError::kBadHandle;
  TcpReadiness before = readiness(h);
  auto e = report_error(*s);
  notify_if_changed(h, before);
  return e;
}

TcpReadiness TcpLayer::readiness(SocketHandle h) const {
  TcpReadiness r;
  Socket* s = table_.get(h);
  if (s == nullptr) {
    r.closed = r.error = true;
    return r;
  }
  if (s->listener) {
    r.accept_ready = r.readable = !s->accept_queue.empty();
    return r;
  }
  if (!s->conn) {
    // Open or bound only: CLOSED, reported as a closed connection is (Linux tcp_poll gives
    // EPOLLOUT | EPOLLHUP for a socket in TCP_CLOSE).
    r.closed = r.writable = true;
    return r;
  }
  const TcpConnection& c = *s->conn;
  r.error = c.error().has_value() && !s->error_reported;
  r.closed = c.state() == TcpState::kClosed;
  r.readable = c.readable();
  r.urgent = c.urgent_ready();
  r.writable = c.writable() || c.error().has_value() || r.closed;
  r.connected = c.synchronized() && c.state() != TcpState::kSynReceived;
  return r;
}

Result<TcpTuple, TcpError> TcpLayer::tuple(SocketHandle h) const {
  Socket* s = table_.get(h);
  if (s == nullptr) return Err(TcpError::kBadHandle);
  if (s->listener) return TcpTuple{s->local, IpAddr{}, s->port, 0};
  if (!s->conn) return TcpTuple{s->local, any_addr(s->family), s->port, 0};
  return s->conn->tuple();
}

Result<TcpStats, TcpError> TcpLayer::stats(SocketHandle h) const {
  Socket* s = conn_socket(h);
  if (s == nullptr) return Err(table_.get(h) ? TcpError::kInvalid : TcpError::kBadHandle);
  return s->conn->stats();
}

std::optional<TcpError> TcpLayer::set_nodelay(SocketHandle h, bool on) {
  Socket* s = table_.get(h);
  if (s == nullptr || s->listener) return TcpError::kBadHandle;
  s->config.nodelay = on;  // kept for options() and a later connect()
  if (!s->conn) return std::nullopt;
  s->conn->set_nodelay(on);
  schedule_output(h);
  return std::nullopt;
}

std::optional<TcpError> TcpLayer::set_keepalive(SocketHandle h, bool on, Duration idle,
                                                Duration interval, unsigned count) {
  Socket* s = table_.get(h);
  if (s == nullptr || s->listener) return TcpError::kBadHandle;
  s->config.keepalive = on;
  s->config.keepalive_idle = idle;
  s->config.keepalive_interval = interval;
  s->config.keepalive_count = count;
  if (!s->conn) return std::nullopt;
  s->conn->set_keepalive(on, idle, interval, count);
  schedule_output(h);
  return std::nullopt;
}

}  // namespace ustack
