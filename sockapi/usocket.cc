#include "sockapi/usocket.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "sockapi/readiness_hub.h"
#include "stack/stack.h"
#include "stack/udp/udp_layer.h"

namespace usocket {

using ustack::Instant;
using ustack::IpAddr;
using ustack::IpVersion;
using ustack::TcpError;
using ustack::TcpState;
using ustack::UdpError;
using RunResult = ustack::Runtime::RunResult;

namespace {

int tcp_errno(TcpError e) {
  switch (e) {
    case TcpError::kReset:
      return ECONNRESET;
    case TcpError::kRefused:
    case TcpError::kPortUnreachable:
      return ECONNREFUSED;
    case TcpError::kTimedOut:
      return ETIMEDOUT;
    case TcpError::kAborted:
      return ECONNABORTED;
    case TcpError::kNetUnreachable:
    case TcpError::kNoRoute:
      return ENETUNREACH;
    case TcpError::kHostUnreachable:
    case TcpError::kAdminProhibited:
      return EHOSTUNREACH;
    case TcpError::kProtocolUnreachable:
      return ENOPROTOOPT;
    case TcpError::kWouldBlock:
      return EAGAIN;
    case TcpError::kNotConnected:
      return ENOTCONN;
    case TcpError::kPipe:
      return EPIPE;
    case TcpError::kBadHandle:
      return EBADF;
    case TcpError::kAddressInUse:
      return EADDRINUSE;
    case TcpError::kNoPorts:
      return EADDRNOTAVAIL;
    case TcpError::kInvalid:
      return EINVAL;
    case TcpError::kInProgress:
      return EALREADY;
    case TcpError::kIsConnected:
      return EISCONN;
  }
  return EIO;
}

int udp_errno(UdpError e) {
  switch (e) {
    case UdpError::kWouldBlock:
      return EAGAIN;
    case UdpError::kBadHandle:
      return EBADF;
    case UdpError::kInvalid:
      return EINVAL;
    case UdpError::kAddressInUse:
      return EADDRINUSE;
    case UdpError::kAddressNotAvailable:
      return EADDRNOTAVAIL;
    case UdpError::kFamilyMismatch:
      return EAFNOSUPPORT;
    case UdpError::kDestinationRequired:
      return EDESTADDRREQ;
    case UdpError::kNotConnected:
      return ENOTCONN;
    case UdpError::kMessageTooBig:
      return EMSGSIZE;
    case UdpError::kAccessDenied:
      return EACCES;
    case UdpError::kNetUnreachable:
      return ENETUNREACH;
    case UdpError::kConnectionRefused:
      return ECONNREFUSED;
    case UdpError::kHostUnreachable:
      return EHOSTUNREACH;
    case UdpError::kNoBuffers:
      return ENOBUFS;
  }
  return EIO;
}

[[noreturn]] void raise_udp(UdpError e) { throw OSError(udp_errno(e)); }

std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

ustack::Bytes to_core(std::span<const std::byte> s) {
  return ustack::Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

ustack::MutBytes to_core(std::span<std::byte> s) {
  return ustack::MutBytes(reinterpret_cast<std::uint8_t*>(s.data()), s.size());
}

IpVersion version_of(int af) { return af == AF_INET ? IpVersion::kV4 : IpVersion::kV6; }

// Linux's checks in socket(2), in its order.
void check_socket_args(int af, int type, int proto) {
  if (af != AF_INET && af != AF_INET6) throw OSError(EAFNOSUPPORT);
  if (type != SOCK_STREAM && type != SOCK_DGRAM) throw OSError(EINVAL, "unsupported socket type");
  const int own = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
  if (proto != 0 && proto != own) throw OSError(EPROTONOSUPPORT);
}

// The socket's options as a base for setsockopt to change one of them. The buffer sizes are
// left out: passed back they would count as SO_SNDBUF / SO_RCVBUF set, which stops
// auto-tuning.
ustack::TcpSocketOptions tcp_options_to_change(const ustack::TcpLayer& tcp,
                                               ustack::SocketHandle h) {
  auto o = tcp.options(h);
  if (!o.ok()) throw OSError(tcp_errno(o.error()));
  ustack::TcpSocketOptions opts = *o;
  opts.send_buffer.reset();
  opts.recv_buffer.reset();
  return opts;
}

}  // namespace

// --- lifecycle -------------------------------------------------------------------------------

socket::socket(int af, int type, int proto) : socket(default_network(), af, type, proto) {}

socket::socket(const Network& net, int af, int type, int proto)
    : net_(net), family_(af), type_(type) {
  check_socket_args(af, type, proto);
  if (is_tcp()) {
    handle_ = net_.parts().tcp.open(version_of(af));
  } else {
    handle_ = net_.parts().udp.open(version_of(af));
  }
  open_ = true;
}

socket::socket(const Network& net, int af, int type, ustack::SocketHandle accepted,
               std::optional<double> timeout)
    : net_(net), family_(af), type_(type), handle_(accepted), open_(true), timeout_(timeout) {}

socket::~socket() {
  try {
    close();
  } catch (...) {
    // A destructor cannot report; close() on an open handle does not fail in practice.
  }
  net_.readiness().destroyed(*this);  // no poller keeps a pointer to a dead socket
}

socket::socket(socket&& o) noexcept
    : net_(o.net_),
      family_(o.family_),
      type_(o.type_),
      handle_(o.handle_),
      open_(std::exchange(o.open_, false)),
      timeout_(o.timeout_),
      tcp_opts_(o.tcp_opts_),
      read_shut_(o.read_shut_),
      connect_started_(o.connect_started_),
      pending_(std::move(o.pending_)) {
  net_.readiness().moved(o, *this);  // a registration follows the object
}

socket& socket::operator=(socket&& o) noexcept {
  if (this != &o) {
    try {
      close();
    } catch (...) {
    }
    net_.readiness().destroyed(*this);  // this object's old socket is gone
    net_ = o.net_;
    family_ = o.family_;
    type_ = o.type_;
    handle_ = o.handle_;
    open_ = std::exchange(o.open_, false);
    timeout_ = o.timeout_;
    tcp_opts_ = o.tcp_opts_;
    read_shut_ = o.read_shut_;
    connect_started_ = o.connect_started_;
    pending_ = std::move(o.pending_);
    net_.readiness().moved(o, *this);
  }
  return *this;
}

void socket::close() {
  if (!open_) return;
  open_ = false;
  const NetworkParts& p = net_.parts();
  if (is_tcp()) {
    (void)p.tcp.close(net_.now(), handle_);
  } else {
    (void)p.udp.close(net_.now(), handle_, p.stack);
  }
  pump();
  net_.readiness().touched(*this);  // POLLNVAL now, with no transport event to say so
}

void socket::check_open() const {
  if (!open_) throw OSError(EBADF);
}

void socket::pump() { net_.runtime().pump(); }

Instant socket::deadline() const {
  if (!timeout_) return Instant::never();
  return net_.now() + ustack::Duration::nanos(static_cast<std::int64_t>(*timeout_ * 1e9));
}

void socket::wait(ustack::FunctionRef<bool()> ready) {
  if (ready()) return;
  if (timeout_ && *timeout_ == 0) throw OSError(EAGAIN);
  switch (net_.wait(ready, deadline())) {
    case RunResult::kReady:
      return;
    case RunResult::kTimedOut:
      throw OSError(ETIMEDOUT);
    case RunResult::kStopped:
      throw OSError(EINTR, "the network's loop was stopped");
  }
}

void socket::raise_tcp(TcpError e) const { throw OSError(tcp_errno(e)); }

std::optional<TcpError> socket::take_tcp_error() { return net_.parts().tcp.take_error(handle_); }

// --- addresses and connections ---------------------------------------------------------------

void socket::bind(const sockaddr& addr) {
  check_open();
  if (addr.family() != family_) throw OSError(EAFNOSUPPORT);
  const NetworkParts& p = net_.parts();
  if (is_tcp()) {
    if (auto e = p.tcp.bind(handle_, addr.addr(), addr.port())) raise_tcp(*e);
  } else {
    if (auto e = p.udp.bind(handle_, addr.addr(), addr.port(), p.stack)) raise_udp(*e);
  }
}

void socket::listen(int backlog) {
  check_open();
  if (!is_tcp()) throw OSError(EOPNOTSUPP);
  // Linux clamps a negative or zero backlog to a small queue rather than failing.
  const unsigned b = static_cast<unsigned>(std::clamp(backlog, 1, 4096));
  if (auto e = net_.parts().tcp.listen(handle_, b)) raise_tcp(*e);
}

std::pair<socket, sockaddr> socket::accept() {
  check_open();
  if (!is_tcp()) throw OSError(EOPNOTSUPP);
  ustack::TcpLayer& tcp = net_.parts().tcp;
  auto st = tcp.state(handle_);
  if (!st.ok() || *st != TcpState::kListen) throw OSError(EINVAL);
  wait([&] { return tcp.readiness(handle_).accept_ready; });
  auto h = tcp.accept(handle_);
  if (!h.ok()) raise_tcp(h.error());
  auto t = tcp.tuple(*h);
  sockaddr peer = t.ok() ? sockaddr(t->remote, t->remote_port) : sockaddr();
  return {socket(net_, family_, type_, *h, timeout_), peer};
}

void socket::connect(const sockaddr& addr) {
  check_open();
  if (addr.family() != family_) throw OSError(EAFNOSUPPORT);
  const NetworkParts& p = net_.parts();
  if (!is_tcp()) {
    if (auto e = p.udp.connect(handle_, addr.addr(), addr.port(), p.stack)) raise_udp(*e);
    return;
  }
  if (addr.port() == 0) throw OSError(ECONNREFUSED);  // Linux: nothing listens on port 0
  ustack::TcpLayer& tcp = p.tcp;
  if (auto e = tcp.connect(net_.now(), p.stack, handle_, addr.addr(), addr.port())) {
    raise_tcp(*e);
  }
  pump();
  if (timeout_ && *timeout_ == 0) throw OSError(EINPROGRESS);
  wait([&] {
    const ustack::TcpReadiness r = tcp.readiness(handle_);
    return r.connected || r.error;
  });
  if (auto e = take_tcp_error()) raise_tcp(*e);
}

sockaddr socket::getsockname() const {
  check_open();
  if (is_tcp()) {
    auto t = net_.parts().tcp.tuple(handle_);
    if (!t.ok()) raise_tcp(t.error());
    return sockaddr(t->local, t->local_port);
  }
  auto e = net_.parts().udp.local_endpoint(handle_);
  if (!e.ok()) raise_udp(e.error());
  return sockaddr(e->addr, e->port);
}

sockaddr socket::getpeername() const {
  check_open();
  if (is_tcp()) {
    auto st = net_.parts().tcp.state(handle_);
    auto t = net_.parts().tcp.tuple(handle_);
    if (!st.ok() || !t.ok() || *st == TcpState::kClosed || *st == TcpState::kListen ||
        *st == TcpState::kSynSent) {
      throw OSError(ENOTCONN);
    }
    return sockaddr(t->remote, t->remote_port);
  }
  auto e = net_.parts().udp.remote_endpoint(handle_);
  if (!e.ok()) raise_udp(e.error());
  return sockaddr(e->addr, e->port);
}

void socket::shutdown(int how) {
  check_open();
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) throw OSError(EINVAL);
  if (!is_tcp()) {
    if (!net_.parts().udp.remote_endpoint(handle_).ok()) throw OSError(ENOTCONN);
    if (how != SHUT_WR) read_shut_ = true;
    return;
  }
  auto st = net_.parts().tcp.state(handle_);
  if (!st.ok() || *st == TcpState::kClosed || *st == TcpState::kListen ||
      *st == TcpState::kSynSent) {
    throw OSError(ENOTCONN);
  }
  if (how != SHUT_WR) read_shut_ = true;
  if (how != SHUT_RD) {
    if (auto e = net_.parts().tcp.shutdown(net_.now(), handle_); e && *e != TcpError::kPipe)
      raise_tcp(*e);
    pump();
  }
}

// --- data ------------------------------------------------------------------------------------

std::size_t socket::send_bytes(std::span<const std::byte> data, bool urgent) {
  check_open();
  const NetworkParts& p = net_.parts();
  if (!is_tcp()) {
    if (urgent) throw OSError(EOPNOTSUPP);  // Linux udp_sendmsg: no MSG_OOB
    auto r = p.udp.send_to(net_.now(), handle_, to_core(data), std::nullopt, p.stack);
    if (!r.ok()) raise_udp(r.error());
    pump();
    return *r;
  }
  ustack::TcpLayer& tcp = p.tcp;
  for (;;) {
    const ustack::Instant now = net_.now();
    auto r = urgent ? tcp.send_urgent(now, handle_, to_core(data))
                    : tcp.send(now, handle_, to_core(data));
    if (r.ok()) {
      pump();
      return *r;
    }
    switch (r.error()) {
      case TcpError::kWouldBlock:
        wait([&] {
          const ustack::TcpReadiness rd = tcp.readiness(handle_);
          return rd.writable || rd.error || rd.closed;
        });
        continue;
      case TcpError::kNotConnected: {
        // Linux: send on a socket that never connected (or a listener) is EPIPE.
        auto st = tcp.state(handle_);
        throw OSError(st.ok() && *st == TcpState::kListen ? ENOTCONN : EPIPE);
      }
      default:
        // The connection's error once, then kPipe: the layer reports it like Linux's
        // sk_stream_error.
        raise_tcp(r.error());
    }
  }
}

std::size_t socket::send(std::string_view data) { return send_bytes(as_bytes(data)); }
std::size_t socket::send(std::span<const std::byte> data) { return send_bytes(data); }

std::size_t socket::send(std::string_view data, int flags) { return send(as_bytes(data), flags); }

std::size_t socket::send(std::span<const std::byte> data, int flags) {
  if ((flags & ~MSG_OOB) != 0) throw OSError(EOPNOTSUPP);
  return send_bytes(data, (flags & MSG_OOB) != 0);
}

void socket::sendall(std::string_view data) { sendall(as_bytes(data)); }

void socket::sendall(std::span<const std::byte> data) {
  while (!data.empty()) data = data.subspan(send_bytes(data));
}

std::size_t socket::sendto(std::string_view data, const sockaddr& to) {
  return sendto(as_bytes(data), to);
}

std::size_t socket::sendto(std::span<const std::byte> data, const sockaddr& to) {
  check_open();
  if (is_tcp()) return send_bytes(data);  // Linux ignores the address on a stream socket
  if (to.family() != family_) throw OSError(EAFNOSUPPORT);
  const NetworkParts& p = net_.parts();
  auto r = p.udp.send_to(net_.now(), handle_, to_core(data),
                         ustack::UdpEndpoint{to.addr(), to.port()}, p.stack);
  if (!r.ok()) raise_udp(r.error());
  pump();
  return *r;
}

std::size_t socket::try_recv(std::span<std::byte> out, bool& would_block) {
  would_block = false;
  if (!pending_.empty()) {
    const std::size_t n = std::min(out.size(), pending_.size());
    std::memcpy(out.data(), pending_.data(), n);
    pending_.erase(0, n);
    return n;
  }
  if (read_shut_) return 0;
  ustack::TcpLayer& tcp = net_.parts().tcp;
  auto r = tcp.recv(net_.now(), handle_, to_core(out));
  if (r.ok()) {
    if (*r > 0) pump();  // a window update may be due
    return *r;
  }
  switch (r.error()) {
    case TcpError::kWouldBlock:
      would_block = true;
      return 0;
    case TcpError::kNotConnected:
      throw OSError(ENOTCONN);
    default:
      raise_tcp(r.error());  // the layer reports the error once; then the stream ends (Linux)
  }
}

std::size_t socket::recv_into(std::span<std::byte> out) {
  check_open();
  // A listener or a socket that never connected: TcpLayer::recv says kNotConnected (ENOTCONN).
  ustack::TcpLayer& tcp = net_.parts().tcp;
  for (;;) {
    bool would_block = false;
    std::size_t n = try_recv(out, would_block);
    if (!would_block) return n;
    wait([&] {
      const ustack::TcpReadiness r = tcp.readiness(handle_);
      return r.readable || r.error || r.closed;
    });
  }
}

bytes socket::recv(std::size_t bufsize) {
  if (!is_tcp()) return recvfrom(bufsize).first;
  bytes out(bufsize, '\0');
  out.resize(recv_into(std::as_writable_bytes(std::span<char>(out.data(), out.size()))));
  return out;
}

bytes socket::recv(std::size_t bufsize, int flags) {
  if ((flags & ~MSG_OOB) != 0) throw OSError(EOPNOTSUPP);
  if (flags & MSG_OOB) return recv_urgent(bufsize);
  return recv(bufsize);
}

bytes socket::recv_urgent(std::size_t bufsize) {
  check_open();
  if (!is_tcp()) return recv(bufsize);  // Linux udp_recvmsg ignores MSG_OOB
  // Never waits, whatever the timeout (Linux tcp_recv_urg: "this call should never block").
  bytes out(std::min<std::size_t>(bufsize, 1), '\0');
  auto r = net_.parts().tcp.recv_urgent(handle_, to_core(std::as_writable_bytes(std::span(out))));
  if (!r.ok()) raise_tcp(r.error());
  out.resize(*r);
  return out;
}

bool socket::sockatmark() {
  check_open();
  if (!is_tcp()) throw OSError(ENOTTY);
  auto r = net_.parts().tcp.at_mark(handle_);
  if (!r.ok()) raise_tcp(r.error());
  return *r;
}

std::pair<bytes, sockaddr> socket::recvfrom(std::size_t bufsize) {
  check_open();
  if (is_tcp()) {
    bytes data = recv(bufsize);
    return {std::move(data), sockaddr()};
  }
  ustack::UdpLayer& udp = net_.parts().udp;
  if (read_shut_) return {bytes(), sockaddr()};
  wait([&] { return udp.readiness(handle_).readable; });
  bytes out(bufsize, '\0');
  auto r = udp.recv_from(handle_, to_core(std::as_writable_bytes(std::span<char>(out))));
  if (!r.ok()) raise_udp(r.error());
  out.resize(r->size);
  return {std::move(out), sockaddr(r->from.addr, r->from.port)};
}

// --- stream interface ------------------------------------------------------------------------

socket& socket::makefile(std::string_view mode, int) {
  check_open();
  if (mode.find_first_not_of("rwb") != std::string_view::npos) throw OSError(EINVAL);
  return *this;
}

std::optional<std::size_t> socket::read_into(std::span<std::byte> out, bool to_eof) {
  check_open();
  if (!is_tcp()) {
    auto [data, from] = recvfrom(out.size());
    std::memcpy(out.data(), data.data(), data.size());
    return data.size();
  }
  const bool nonblocking = timeout_ && *timeout_ == 0;
  std::size_t got = 0;
  while (got < out.size() || to_eof) {
    if (to_eof && got == out.size()) return got;  // the caller grows the buffer
    if (nonblocking) {
      bool would_block = false;
      std::size_t n = try_recv(out.subspan(got), would_block);
      if (would_block) return got == 0 ? std::nullopt : std::optional<std::size_t>(got);
      if (n == 0) break;
      got += n;
      continue;
    }
    std::size_t n = recv_into(out.subspan(got));
    if (n == 0) break;  // end of stream
    got += n;
  }
  return got;
}

std::optional<bytes> socket::read() {
  bytes out;
  for (;;) {
    const std::size_t at = out.size();
    out.resize(at + 16384);
    auto n = read_into(std::as_writable_bytes(std::span<char>(out).subspan(at)), true);
    if (!n) {
      out.resize(at);
      return at == 0 ? std::nullopt : std::optional<bytes>(std::move(out));
    }
    out.resize(at + *n);
    if (*n < 16384 || !is_tcp()) return out;
  }
}

std::optional<bytes> socket::read(std::size_t size) {
  bytes out(size, '\0');
  auto n = read_into(std::as_writable_bytes(std::span<char>(out)), false);
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

std::optional<std::size_t> socket::readinto(std::span<std::byte> buf,
                                            std::optional<std::size_t> nbytes) {
  const std::size_t n = nbytes ? std::min(*nbytes, buf.size()) : buf.size();
  return read_into(buf.first(n), false);
}

std::optional<std::size_t> socket::readinto(std::span<char> buf,
                                            std::optional<std::size_t> nbytes) {
  return readinto(std::as_writable_bytes(buf), nbytes);
}

std::optional<bytes> socket::readline() {
  check_open();
  bytes line;
  for (;;) {
    // What readline read past the line earlier comes first.
    if (std::size_t nl = pending_.find('\n'); nl != bytes::npos) {
      line += pending_.substr(0, nl + 1);
      pending_.erase(0, nl + 1);
      return line;
    }
    line += std::exchange(pending_, {});
    char buf[4096];
    std::optional<std::size_t> n;
    if (timeout_ && *timeout_ == 0) {
      bool would_block = false;
      std::size_t k = try_recv(std::as_writable_bytes(std::span<char>(buf)), would_block);
      if (would_block) {
        // Nothing more now: keep the partial line for the next call.
        if (line.empty()) return std::nullopt;
        return line;
      }
      n = k;
    } else {
      n = recv_into(std::as_writable_bytes(std::span<char>(buf)));
    }
    if (*n == 0) return line;  // end of stream
    pending_.append(buf, *n);
  }
}

std::optional<std::size_t> socket::write(std::string_view data) { return write(as_bytes(data)); }

std::optional<std::size_t> socket::write(std::span<const std::byte> data) {
  check_open();
  if (!(timeout_ && *timeout_ == 0)) {
    sendall(data);
    return data.size();
  }
  try {
    std::size_t n = send_bytes(data);
    return n == 0 && !data.empty() ? std::nullopt : std::optional<std::size_t>(n);
  } catch (const OSError& e) {
    if (e.code().value() == EAGAIN) return std::nullopt;
    throw;
  }
}

// --- options ---------------------------------------------------------------------------------

void socket::settimeout(std::optional<double> seconds) {
  if (seconds && (*seconds < 0 || !std::isfinite(*seconds))) {
    throw OSError(EINVAL, "Timeout value out of range");
  }
  timeout_ = seconds;
}

void socket::setsockopt(int level, int optname, int value) {
  check_open();
  const NetworkParts& p = net_.parts();
  if (!is_tcp()) {
    auto o = p.udp.options(handle_);
    if (!o.ok()) raise_udp(o.error());
    ustack::UdpSocketOptions opts = *o;
    if (level == SOL_SOCKET && optname == SO_REUSEADDR) {
      opts.reuse_addr = value != 0;
    } else if (level == SOL_SOCKET && optname == SO_REUSEPORT) {
      opts.reuse_port = value != 0;
    } else if (level == SOL_SOCKET && optname == SO_BROADCAST) {
      opts.broadcast = value != 0;
    } else if (level == SOL_SOCKET && optname == SO_RCVBUF) {
      if (value < 0) throw OSError(EINVAL);
      opts.recv_buffer = std::max<std::size_t>(static_cast<std::size_t>(value) * 2, 2304);
    } else {
      throw OSError(ENOPROTOOPT);
    }
    if (auto e = p.udp.set_options(handle_, opts)) raise_udp(*e);
    return;
  }
  ustack::TcpSocketOptions opts = tcp_options_to_change(p.tcp, handle_);
  auto positive = [&] {
    if (value < 1) throw OSError(EINVAL);
    return value;
  };
  if (level == SOL_SOCKET && optname == SO_REUSEADDR) {
    opts.reuse_addr = value != 0;
  } else if (level == SOL_SOCKET && optname == SO_KEEPALIVE) {
    opts.keepalive = value != 0;
  } else if (level == SOL_SOCKET && optname == SO_RCVBUF) {
    // Linux doubles the value (bookkeeping overhead); getsockopt shows the doubled size.
    opts.recv_buffer = static_cast<std::size_t>(std::max(value, 0)) * 2;
  } else if (level == SOL_SOCKET && optname == SO_SNDBUF) {
    opts.send_buffer = static_cast<std::size_t>(std::max(value, 0)) * 2;
  } else if (level == SOL_SOCKET && optname == SO_OOBINLINE) {
    opts.oob_inline = value != 0;
  } else if (level == IPPROTO_TCP && optname == TCP_NODELAY) {
    opts.nodelay = value != 0;
  } else if (level == IPPROTO_TCP && optname == TCP_KEEPIDLE) {
    opts.keepalive_idle = ustack::Duration::seconds(positive());
  } else if (level == IPPROTO_TCP && optname == TCP_KEEPINTVL) {
    opts.keepalive_interval = ustack::Duration::seconds(positive());
  } else if (level == IPPROTO_TCP && optname == TCP_KEEPCNT) {
    opts.keepalive_count = static_cast<unsigned>(positive());
  } else if (level == IPPROTO_TCP && optname == TCP_MAXSEG) {
    // Linux do_tcp_setsockopt: a negative value is below TCP_MIN_MSS (EINVAL); the layer
    // checks the range.
    if (value < 0) throw OSError(EINVAL);
    opts.max_segment = static_cast<std::uint32_t>(value);
  } else {
    throw OSError(ENOPROTOOPT);
  }
  if (auto e = p.tcp.set_options(handle_, opts)) raise_tcp(*e);
  pump();  // e.g. nodelay may release a held segment
}

void socket::setsockopt(int level, int optname, std::string_view value) {
  check_open();
  const NetworkParts& p = net_.parts();
  const bool v4 =
      level == IPPROTO_IP && (optname == IP_ADD_MEMBERSHIP || optname == IP_DROP_MEMBERSHIP);
  const bool v6 =
      level == IPPROTO_IPV6 && (optname == IPV6_JOIN_GROUP || optname == IPV6_LEAVE_GROUP);
  if (level == IPPROTO_TCP && optname == TCP_CONGESTION) return set_congestion(value);
  if (!v4 && !v6) {
    // An integer option given as packed bytes (struct.pack("i", 1)).
    if (value.size() >= sizeof(int)) {
      int v;
      std::memcpy(&v, value.data(), sizeof v);
      return setsockopt(level, optname, v);
    }
    throw OSError(EINVAL);
  }
  if (is_tcp()) throw OSError(ENOPROTOOPT);
  if (v4 != (family_ == AF_INET)) throw OSError(ENOPROTOOPT);  // Linux: the option's family
  // struct ip_mreq is group + interface (8 bytes), struct ipv6_mreq group + ifindex (20).
  if (value.size() < (v4 ? sizeof(ip_mreq) : sizeof(ipv6_mreq))) throw OSError(EINVAL);
  IpAddr group = v4 ? IpAddr(ustack::Ipv4Addr::from_bytes(to_core(as_bytes(value.substr(0, 4)))))
                    : IpAddr(ustack::Ipv6Addr::from_bytes(to_core(as_bytes(value.substr(0, 16)))));
  const bool join = optname == IP_ADD_MEMBERSHIP || optname == IPV6_JOIN_GROUP;
  auto e = join ? p.udp.join_group(net_.now(), handle_, group, p.stack)
                : p.udp.leave_group(net_.now(), handle_, group, p.stack);
  if (e) raise_udp(*e);
  pump();
}

void socket::set_congestion(std::string_view value) {
  if (!is_tcp()) throw OSError(ENOPROTOOPT);
  // Linux do_tcp_setsockopt TCP_CONGESTION: the name is read up to a NUL, at most
  // TCP_CA_NAME_MAX - 1 bytes; tcp_set_congestion_control gives ENOENT for a name no
  // algorithm has.
  std::string_view name = value.substr(0, std::min(value.find('\0'), kCongestionNameMax - 1));
  std::optional<ustack::CongestionAlgorithm> a = ustack::congestion_algorithm_from_name(name);
  if (!a) throw OSError(ENOENT);
  const NetworkParts& p = net_.parts();
  ustack::TcpSocketOptions opts = tcp_options_to_change(p.tcp, handle_);
  opts.congestion = *a;
  if (auto e = p.tcp.set_options(handle_, opts)) raise_tcp(*e);
  pump();
}

bytes socket::getsockopt(int level, int optname, std::size_t buflen) {
  check_open();
  if (level == IPPROTO_TCP && optname == TCP_CONGESTION) {
    if (!is_tcp()) throw OSError(ENOPROTOOPT);
    auto o = net_.parts().tcp.options(handle_);
    if (!o.ok()) raise_tcp(o.error());
    // Linux do_tcp_getsockopt: min(buflen, TCP_CA_NAME_MAX) bytes of the NUL-padded name.
    bytes name(kCongestionNameMax, '\0');
    std::string_view n = ustack::to_string(o->congestion.value_or(ustack::TcpConfig{}.congestion));
    name.replace(0, n.size(), n);
    name.resize(std::min(buflen, kCongestionNameMax));
    return name;
  }
  // An integer option as bytes (Python's getsockopt(level, optname, buflen)): Linux copies
  // min(buflen, sizeof(int)) bytes of it.
  int v = getsockopt(level, optname);
  bytes out(sizeof v, '\0');
  std::memcpy(out.data(), &v, sizeof v);
  out.resize(std::min(buflen, sizeof v));
  return out;
}

int socket::getsockopt(int level, int optname) {
  check_open();
  const NetworkParts& p = net_.parts();
  if (level == SOL_SOCKET && optname == SO_TYPE) return type_;
  if (level == SOL_SOCKET && optname == SO_ERROR) {
    if (!is_tcp()) {
      auto e = p.udp.take_error(handle_);
      return e ? udp_errno(*e) : 0;
    }
    auto e = take_tcp_error();
    return e ? tcp_errno(*e) : 0;
  }
  if (!is_tcp()) {
    auto o = p.udp.options(handle_);
    if (!o.ok()) raise_udp(o.error());
    if (level == SOL_SOCKET && optname == SO_REUSEADDR) return o->reuse_addr;
    if (level == SOL_SOCKET && optname == SO_REUSEPORT) return o->reuse_port;
    if (level == SOL_SOCKET && optname == SO_BROADCAST) return o->broadcast;
    if (level == SOL_SOCKET && optname == SO_RCVBUF) return static_cast<int>(o->recv_buffer);
    throw OSError(ENOPROTOOPT);
  }
  auto o = p.tcp.options(handle_);
  if (!o.ok()) raise_tcp(o.error());
  ustack::TcpConfig defaults;
  if (level == SOL_SOCKET && optname == SO_REUSEADDR) return o->reuse_addr;
  if (level == SOL_SOCKET && optname == SO_KEEPALIVE) return o->keepalive.value_or(false);
  if (level == SOL_SOCKET && optname == SO_OOBINLINE) return o->oob_inline.value_or(false);
  if (level == SOL_SOCKET && optname == SO_RCVBUF) {
    return static_cast<int>(o->recv_buffer.value_or(defaults.recv_buffer));
  }
  if (level == SOL_SOCKET && optname == SO_SNDBUF) {
    return static_cast<int>(o->send_buffer.value_or(defaults.send_buffer));
  }
  if (level == IPPROTO_TCP && optname == TCP_NODELAY) return o->nodelay.value_or(false);
  if (level == IPPROTO_TCP && optname == TCP_MAXSEG) {
    auto mss = p.tcp.maxseg(handle_);
    if (!mss.ok()) raise_tcp(mss.error());
    return static_cast<int>(*mss);
  }
  throw OSError(ENOPROTOOPT);
}

// --- readiness -------------------------------------------------------------------------------

int socket::poll_events() const {
  if (!open_) return POLLNVAL;
  int ev = 0;
  if (!pending_.empty()) ev |= POLLIN;
  if (!is_tcp()) {
    const ustack::UdpReadiness r = net_.parts().udp.readiness(handle_);
    if (r.readable) ev |= POLLIN;
    if (r.writable) ev |= POLLOUT;
    if (r.error) ev |= POLLERR;
    return ev;
  }
  const ustack::TcpReadiness r = net_.parts().tcp.readiness(handle_);
  auto st = net_.parts().tcp.state(handle_);
  if (st.ok() && *st == TcpState::kListen) return ev | (r.accept_ready ? POLLIN : 0);
  if (r.readable) ev |= POLLIN;
  if (r.writable) ev |= POLLOUT;
  if (r.urgent) ev |= POLLPRI;
  if (r.error) ev |= POLLERR;  // an error not yet reported (Linux tcp_poll: sk_err)
  // Linux: POLLHUP when both directions are done, or the socket never connected.
  if (r.closed) ev |= POLLHUP;
  return ev;
}

}  // namespace usocket
