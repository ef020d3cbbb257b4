#include "sandbox/tcp_relay.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "sandbox/counter_text.h"
#include "sandbox/host_socket.h"

namespace ustack::sandbox {

TcpRelay::TcpRelay(TcpLayer& tcp, Stack& ip, tun::AsioRuntime& runtime, const SandboxLayout& layout,
                   FlowBudget& budget, std::size_t flow_buffer)
    : tcp_(tcp),
      ip_(ip),
      runtime_(runtime),
      budget_(budget),
      layout_(layout),
      flows_(64, TcpTupleHash{SipKey{0x73616e64626f78ull, 0x74637072656c6179ull}}),
      scratch_(flow_buffer) {
  for (IpVersion v : {IpVersion::kV4, IpVersion::kV6}) {
    if (v == IpVersion::kV6 && !layout_.v6) break;
    SocketHandle& l = listeners_[v == IpVersion::kV6 ? 1 : 0];
    l = tcp_.open(v);
    if (tcp_.listen(l, kBacklog) || tcp_.set_catch_all(l, /*hold_syns=*/true)) {
      throw std::runtime_error("cannot open the catch-all TCP listener");
    }
  }
}

TcpRelay::~TcpRelay() {
  for (auto& [t, f] : flows_) {
    if (f->sock.valid()) tcp_.abort(f->sock);
    budget_.give_back();
  }
  close_listeners();
}

void TcpRelay::close_listeners() {
  for (SocketHandle& l : listeners_) {
    if (l.valid()) tcp_.close(l);
    l = {};
  }
}

void TcpRelay::step() {
  take_syns();
  take_connections();
  Instant now = runtime_.now();
  for (auto it = flows_.begin(); it != flows_.end();) {
    Flow& f = *it->second;
    if (f.phase == Phase::kConnecting && f.host->writable()) finish_connect(now, f);
    if (f.phase == Phase::kAccepting && now - f.answered_at > kAcceptTimeout) {
      ++counters_.accept_timeouts;
      f.phase = Phase::kDone;
    }
    if (f.phase == Phase::kOpen) pump(f);
    if (f.phase == Phase::kDone) {
      budget_.give_back();
      it = flows_.erase(it);
    } else {
      ++it;
    }
  }
}

void TcpRelay::adopt(SocketHandle guest, std::unique_ptr<HostWatch> host) {
  auto f = std::make_unique<Flow>();
  f->tuple = *tcp_.tuple(guest);
  f->phase = Phase::kOpen;
  f->host = std::move(host);
  f->sock = guest;
  flows_[f->tuple] = std::move(f);
}

void TcpRelay::take_syns() {
  while (std::optional<TcpTuple> t = tcp_.take_held_syn()) {
    ++counters_.syns;
    Route r = route_flow(layout_, Proto::kTcp, Endpoint{t->local, t->local_port});
    if (r.verdict != Route::Verdict::kRelay) {
      counters_.refused.count(r.verdict == Route::Verdict::kHostBlocked);
      tcp_.answer_syn(*t, SynAnswer::kRefuse);
      continue;
    }
    if (!budget_.take()) {
      ++counters_.refused.max_flows;
      tcp_.answer_syn(*t, SynAnswer::kRefuse);
      continue;
    }
    tun::UniqueFd fd = open_host_socket(Proto::kTcp, r.to.addr.version());
    int err = start_connect(fd.get(), r.to);
    if (err != 0 && err != EINPROGRESS) {
      budget_.give_back();
      connect_failed(*t, err);
      continue;
    }
    auto f = std::make_unique<Flow>();
    f->tuple = *t;
    f->host = std::make_unique<HostWatch>(runtime_, std::move(fd));
    // Writable means connected (or failed): wait for it unless the connect is done already.
    if (err == EINPROGRESS) f->host->want_write();
    flows_[*t] = std::move(f);
  }
}

void TcpRelay::finish_connect(Instant now, Flow& f) {
  int err = socket_error(f.host->fd());
  if (err != 0) {
    connect_failed(f.tuple, err);
    f.phase = Phase::kDone;
    return;
  }
  ++counters_.connected;
  tcp_.answer_syn(f.tuple, SynAnswer::kAccept);
  f.phase = Phase::kAccepting;
  f.answered_at = now;
}

void TcpRelay::connect_failed(const TcpTuple& t, int err) {
  if (err == ECONNREFUSED) {
    // The guest's SYN gets the RST the host's connect got.
    ++counters_.refused_host;
    tcp_.answer_syn(t, SynAnswer::kRefuse);
    return;
  }
  // What a Linux router answers a SYN it cannot forward with (icmp_send from ip_error /
  // neigh failure): ENETUNREACH is "net unreachable", anything else (EHOSTUNREACH, ETIMEDOUT,
  // EACCES from a firewall) "host unreachable". The quote carries the SYN's ports and
  // sequence number, which the guest's kernel matches against its SYN-SENT socket (RFC 5927
  // §4.1) before failing connect() with the error (RFC 1122 §4.2.3.9 lets a host abort a
  // connection still opening on any unreachable).
  ++counters_.unreachable;
  std::optional<TcpRepr> syn = tcp_.held_syn(t);
  tcp_.answer_syn(t, SynAnswer::kDrop);
  if (!syn) return;
  std::uint8_t head[8];
  store_be16(MutBytes(head, 8), 0, t.remote_port);
  store_be16(MutBytes(head, 8), 2, t.local_port);
  store_be32(MutBytes(head, 8), 4, syn->seq.raw());
  ip_.send_unreachable(runtime_.now(),
                       err == ENETUNREACH ? Stack::Unreachable::kNet : Stack::Unreachable::kHost,
                       t.remote, t.local, IpProto::kTcp, Bytes(head, 8));
}

void TcpRelay::take_connections() {
  for (SocketHandle l : listeners_) {
    if (l.valid()) take_connections(l);
  }
}

void TcpRelay::take_connections(SocketHandle listener) {
  for (;;) {
    auto h = tcp_.accept(listener);
    if (!h.ok()) return;
    auto t = tcp_.tuple(*h);
    auto it = t.ok() ? flows_.find(*t) : flows_.end();
    if (it == flows_.end() || it->second->phase != Phase::kAccepting) {
      tcp_.abort(*h);  // not a SYN we held (a TIME-WAIT takeover): nowhere to relay it
      continue;
    }
    ++counters_.opened;
    it->second->sock = *h;
    it->second->phase = Phase::kOpen;
  }
}

void TcpRelay::pump(Flow& f) {
  if (!guest_to_host(f) || !host_to_guest(f)) return;
  bool drained = f.to_host_off == f.to_host.size() && f.to_guest_off == f.to_guest.size();
  if (f.host_shut && f.guest_shut && drained) {
    // Both directions ended: ustack finishes its side (FIN exchange, TIME-WAIT) on its own.
    ++counters_.closed;
    tcp_.close(f.sock);
    f.phase = Phase::kDone;
  }
}

bool TcpRelay::guest_to_host(Flow& f) {
  for (;;) {
    if (f.to_host_off < f.to_host.size()) {
      Bytes rest = Bytes(f.to_host).subspan(f.to_host_off);
      std::optional<std::size_t> n = send_host(f, rest);
      if (!n) return false;
      f.to_host_off += *n;
      if (*n < rest.size()) return true;  // the host socket is full: wait until it is writable
      continue;
    }
    if (f.guest_eof) break;
    auto n = tcp_.recv(f.sock, MutBytes(scratch_.data(), scratch_.size()));
    if (!n.ok()) {
      if (n.error() == TcpError::kWouldBlock) return true;
      reset(f, /*by_guest=*/true);
      return false;
    }
    if (*n == 0) {
      f.guest_eof = true;
      break;
    }
    // Straight from the scratch buffer to the host socket: only what it does not take now is
    // copied into the flow's buffer.
    Bytes got(scratch_.data(), *n);
    std::optional<std::size_t> sent = send_host(f, got);
    if (!sent) return false;
    f.to_host.assign(got.begin() + static_cast<std::ptrdiff_t>(*sent), got.end());
    f.to_host_off = 0;
  }
  // The guest's FIN, after everything before it: half-close toward the host.
  if (!f.host_shut) {
    ::shutdown(f.host->fd(), SHUT_WR);
    f.host_shut = true;
  }
  return true;
}

std::optional<std::size_t> TcpRelay::send_host(Flow& f, Bytes data) {
  std::size_t done = 0;
  while (done < data.size() && f.host->writable()) {
    ssize_t n = ::send(f.host->fd(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        f.host->want_write();
        break;
      }
      reset(f, /*by_guest=*/false);
      return std::nullopt;
    }
    done += static_cast<std::size_t>(n);
    counters_.bytes_to_host += static_cast<std::uint64_t>(n);
  }
  return done;
}

bool TcpRelay::host_to_guest(Flow& f) {
  for (;;) {
    if (f.to_guest_off < f.to_guest.size()) {
      Bytes rest = Bytes(f.to_guest).subspan(f.to_guest_off);
      std::optional<std::size_t> n = send_guest(f, rest);
      if (!n) return false;
      f.to_guest_off += *n;
      if (*n < rest.size()) return true;  // room comes with the guest's ACKs
      continue;
    }
    if (f.host_eof) break;
    if (!f.host->readable()) return true;
    ssize_t n = ::recv(f.host->fd(), scratch_.data(), scratch_.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        f.host->want_read();
        return true;
      }
      reset(f, /*by_guest=*/false);
      return false;
    }
    if (n == 0) {
      f.host_eof = true;
      break;
    }
    // As toward the host: ustack's send buffer takes what it can from the scratch buffer, the
    // rest waits in the flow's.
    Bytes got(scratch_.data(), static_cast<std::size_t>(n));
    std::optional<std::size_t> sent = send_guest(f, got);
    if (!sent) return false;
    f.to_guest.assign(got.begin() + static_cast<std::ptrdiff_t>(*sent), got.end());
    f.to_guest_off = 0;
  }
  // The host's EOF, after everything before it: a FIN to the guest.
  if (!f.guest_shut) {
    tcp_.shutdown(f.sock);
    f.guest_shut = true;
  }
  return true;
}

std::optional<std::size_t> TcpRelay::send_guest(Flow& f, Bytes data) {
  if (data.empty()) return 0;
  auto n = tcp_.send(f.sock, data);
  if (!n.ok()) {
    if (n.error() == TcpError::kWouldBlock) return 0;
    reset(f, /*by_guest=*/true);
    return std::nullopt;
  }
  counters_.bytes_to_guest += *n;
  return *n;
}

void TcpRelay::reset(Flow& f, bool by_guest) {
  if (by_guest) {
    ++counters_.reset_by_guest;
    reset_on_close(f.host->fd());  // the close below sends a RST to the host's peer
    tcp_.close(f.sock);            // already reset: only gives the handle back
  } else {
    ++counters_.reset_by_host;
    tcp_.abort(f.sock);  // a RST to the guest
  }
  f.host.reset();
  f.phase = Phase::kDone;
}

std::string TcpRelay::counters_text() const {
  const TcpRelayCounters& c = counters_;
  std::string s = "TcpRelay:\n";
  append_counter(s, flows_.size(), "flows");
  append_counter(s, c.syns, "syns");
  c.refused.append_to(s);
  append_counter(s, c.refused_host, "refused_host");
  append_counter(s, c.unreachable, "unreachable");
  append_counter(s, c.connected, "connected");
  append_counter(s, c.opened, "opened");
  append_counter(s, c.accept_timeouts, "accept_timeouts");
  append_counter(s, c.closed, "closed");
  append_counter(s, c.reset_by_guest, "reset_by_guest");
  append_counter(s, c.reset_by_host, "reset_by_host");
  append_counter(s, c.bytes_to_host, "bytes_to_host");
  append_counter(s, c.bytes_to_guest, "bytes_to_guest");
  return s;
}

}  // namespace ustack::sandbox
