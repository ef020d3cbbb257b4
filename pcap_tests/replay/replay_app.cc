#include "pcap_tests/replay/replay_app.h"

#include <algorithm>

#include "pcap_tests/replay/packet_view.h"
#include "stack/base/seqnum.h"

namespace ustack::replay {
namespace {

usocket::sockaddr to_sockaddr(const Endpoint& e) { return {e.ip.to_string(), e.port}; }

bool would_block(const usocket::OSError& e) {
  return e.errno_value() == EAGAIN || e.errno_value() == EINPROGRESS || e.errno_value() == ENOTCONN;
}

}  // namespace

ReplayApp::ReplayApp(const usocket::Network& net, const Conversation& c) : net_(net), conv_(c) {
  infer_actions(c);
}

void ReplayApp::infer_actions(const Conversation& c) {
  using Kind = Action::Kind;
  // First pass: the host's byte stream and where its writes end. Linux sets PSH on the last
  // segment of each write (tcp_push), so the bytes up to a PSH went in one write — made
  // before the first of them was sent. A stack that never sets PSH gets one write per segment.
  std::optional<std::uint32_t> isn;
  ByteVec stream;
  std::vector<std::uint32_t> write_ends;  // relative seq one past each write
  std::uint32_t stream_end = 0;           // one past the highest octet seen so far
  for (const TimedPacket& p : c.packets) {
    if (!p.outbound) continue;
    auto v = view_packet(p.ip);
    if (!v || !v->tcp) continue;
    const TcpRepr& t = *v->tcp;
    if (t.has(tcp_flags::kSyn) && !isn) isn = t.seq.raw() + 1;
    if (t.has(tcp_flags::kSyn)) host_sent_syn_ = true;
    if (!isn || t.payload.empty() || t.has(tcp_flags::kSyn)) continue;
    const std::uint32_t start = t.seq.raw() - *isn;
    if (start > (1u << 30)) continue;  // before the ISN: not data of this connection
    const std::uint32_t end = start + static_cast<std::uint32_t>(t.payload.size());
    if (stream.size() < end) stream.resize(end);
    std::copy(t.payload.begin(), t.payload.end(), stream.begin() + start);
    // A retransmission's PSH says nothing about writes (Linux marks re-sent pieces anew).
    if (t.has(tcp_flags::kPsh) && end > stream_end) write_ends.push_back(end);
    stream_end = std::max(stream_end, end);
  }
  std::sort(write_ends.begin(), write_ends.end());
  auto write_end_after = [&](std::uint32_t pos, std::uint32_t seg_end) -> std::uint32_t {
    if (write_ends.empty()) return seg_end;
    auto it = std::upper_bound(write_ends.begin(), write_ends.end(), pos);
    return it == write_ends.end() ? static_cast<std::uint32_t>(stream.size()) : *it;
  };

  // Second pass: the actions, at the moments the host's packets show them.
  std::uint32_t written = 0;  // relative seq up to which the application has written
  bool fin = false;
  std::optional<std::size_t> fin_action;
  bool syn_seen = false;
  for (std::size_t i = 0; i < c.packets.size(); ++i) {
    const TimedPacket& p = c.packets[i];
    if (!p.outbound) continue;
    auto v = view_packet(p.ip);
    if (!v) continue;
    if (v->udp) {
      actions_.push_back(
          {p.at, i, Kind::kWrite, ByteVec(v->udp->payload.begin(), v->udp->payload.end())});
      continue;
    }
    const TcpRepr& t = *v->tcp;
    if (t.has(tcp_flags::kSyn)) {
      if (!syn_seen && c.side == Side::kClient) actions_.push_back({p.at, i, Kind::kConnect, {}});
      syn_seen = true;
      continue;
    }
    if (!isn) continue;
    if (t.has(tcp_flags::kRst)) {
      // A reset after our FIN: the application closed (a FIN from close() answers later data
      // with a reset, RFC 9293 §3.10.7.4); without a FIN, it aborted.
      if (fin_action) {
        actions_[*fin_action].kind = Kind::kClose;
      } else if (!fin) {
        actions_.push_back({p.at, i, Kind::kAbort, {}});
      }
      break;
    }
    const std::uint32_t start = t.seq.raw() - *isn;
    const std::uint32_t end = start + static_cast<std::uint32_t>(t.payload.size());
    if (!t.payload.empty() && start <= written && end > written) {
      const std::uint32_t upto = write_end_after(written, end);
      actions_.push_back(
          {p.at, i, Kind::kWrite, ByteVec(stream.begin() + written, stream.begin() + upto)});
      written = upto;
    }
    if (t.has(tcp_flags::kFin) && !fin) {
      fin = true;
      fin_action = actions_.size();
      actions_.push_back({p.at, i, Kind::kShutdown, {}});
    }
  }
}

void ReplayApp::start() {
  // A TCP host that never sent a SYN had no listener (it answered with a reset) or never
  // connected: its application did nothing.
  if (conv_.flow.proto == IpProto::kTcp && !host_sent_syn_) return;
  const int af = conv_.host.ip.is_v4() ? AF_INET : AF_INET6;
  const int type = conv_.flow.proto == IpProto::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  usocket::socket s(net_, af, type);
  s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  s.bind(to_sockaddr(conv_.host));
  s.setblocking(false);
  if (type == SOCK_STREAM && conv_.side == Side::kServer) {
    s.listen(usocket::socket::kDefaultBacklog);
    listener_ = std::move(s);
  } else {
    conn_ = std::move(s);
  }
}

void ReplayApp::run(const Action& a) {
  using Kind = Action::Kind;
  // The recorded host sent a FIN, not a reset: its application had read everything first
  // (close() with unread data resets, RFC 2525 §2.17, as Linux does).
  if (a.kind == Kind::kShutdown || a.kind == Kind::kClose) read_all();
  switch (a.kind) {
    case Kind::kConnect:
      if (!conn_) return;
      try {
        conn_->connect(to_sockaddr(conv_.peer));
      } catch (const usocket::OSError& e) {
        if (!would_block(e)) throw;
      }
      return;
    case Kind::kWrite:
      unsent_.insert(unsent_.end(), a.data.begin(), a.data.end());
      if (conv_.flow.proto == IpProto::kUdp && conn_) {
        conn_->sendto(std::span<const std::byte>(reinterpret_cast<const std::byte*>(unsent_.data()),
                                                 unsent_.size()),
                      to_sockaddr(conv_.peer));
        unsent_.clear();
      }
      break;
    case Kind::kShutdown:
      shutdown_after_unsent_ = true;
      break;
    case Kind::kClose:
    case Kind::kAbort:
      if (conn_ && a.kind == Kind::kAbort) {
        net_.parts().tcp.abort(conn_->handle());
        conn_.reset();
      } else if (conn_) {
        flush();
        conn_->close();
        conn_.reset();
      }
      return;
  }
  flush();
}

void ReplayApp::flush() {
  if (!conn_ || conv_.flow.proto != IpProto::kTcp) return;
  while (!unsent_.empty()) {
    try {
      std::size_t n = conn_->send(std::span<const std::byte>(
          reinterpret_cast<const std::byte*>(unsent_.data()), unsent_.size()));
      unsent_.erase(unsent_.begin(), unsent_.begin() + static_cast<std::ptrdiff_t>(n));
    } catch (const usocket::OSError& e) {
      if (would_block(e)) return;
      unsent_.clear();  // the connection failed: the ladder shows what ustack sent instead
      return;
    }
  }
  if (shutdown_after_unsent_) {
    shutdown_after_unsent_ = false;
    try {
      conn_->shutdown(SHUT_WR);
    } catch (const usocket::OSError&) {
    }
  }
}

void ReplayApp::service() {
  if (listener_ && !conn_) {
    try {
      auto [s, addr] = listener_->accept();
      s.setblocking(false);
      conn_ = std::move(s);
    } catch (const usocket::OSError& e) {
      if (!would_block(e)) throw;
    }
  }
  if (!conn_) return;
  read_all();
  flush();
}

void ReplayApp::read_all() {
  if (!conn_) return;
  for (;;) {
    try {
      usocket::bytes b =
          conv_.flow.proto == IpProto::kTcp ? conn_->recv(65536) : conn_->recvfrom(65536).first;
      if (b.empty() && conv_.flow.proto == IpProto::kTcp) break;  // end of stream
    } catch (const usocket::OSError& e) {
      break;  // nothing waiting, or the connection's error (the ladder shows it)
    }
  }
}

}  // namespace ustack::replay
