// usocket::socket: MicroPython's usocket.socket in C++, over ustack's TCP and UDP layers.
//
//   usocket::Network net = usocket::Network::open({"--tun", "ust0", "--addr", "198.18.0.2/24"});
//   usocket::socket s(AF_INET, SOCK_STREAM);
//   s.connect(usocket::getaddrinfo("web.example", 80)[0].addr);
//   s.write("GET / HTTP/1.0\r\n\r\n");
//   std::optional<usocket::bytes> page = s.read();  // to EOF
//
// Blocking model (the spec's): timeout None (the default) blocks, 0 never blocks (EAGAIN when
// nothing is ready), > 0 seconds blocks at most that long (ETIMEDOUT, never EAGAIN). Blocking
// runs the socket's network loop on the calling thread; every call that queued output pumps
// the loop once so the packets leave now, not at the next unrelated wakeup.
//
// Errors are OSError with the errno Linux gives for the same call (see README "usocket").
// The constants (AF_INET, SOCK_STREAM, SOL_SOCKET, TCP_NODELAY, ...) are the system headers'
// macros, so they keep their Linux names and values unqualified.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "sockapi/network.h"
#include "sockapi/os_error.h"
#include "sockapi/sockaddr.h"
#include "stack/socket_table.h"
#include "stack/tcp/tcp_layer.h"

namespace usocket {

// MicroPython's bytes: binary-safe.
using bytes = std::string;

class socket {
 public:
  // socket(af, type, proto) on the default network (default_network()). af AF_INET or
  // AF_INET6 (else EAFNOSUPPORT), type SOCK_STREAM or SOCK_DGRAM (else EINVAL, Linux's
  // ESOCKTNOSUPPORT for other types), proto 0 or the type's protocol (else EPROTONOSUPPORT).
  explicit socket(int af = AF_INET, int type = SOCK_STREAM, int proto = 0);
  socket(const Network& net, int af = AF_INET, int type = SOCK_STREAM, int proto = 0);
  ~socket();
  socket(socket&& o) noexcept;
  socket& operator=(socket&& o) noexcept;
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;

  // Gives the socket back: a TCP connection closes gracefully (FIN; RST if unread data), as
  // close(2). Idempotent; every later call raises EBADF.
  void close();
  void bind(const sockaddr& addr);
  // TCP only (EOPNOTSUPP on UDP). Unbound: an ephemeral port (Linux autobind).
  void listen(int backlog = kDefaultBacklog);
  // The next connection and its peer; the new socket inherits this one's timeout (MicroPython).
  // Not listening: EINVAL. Non-blocking with none pending: EAGAIN.
  std::pair<socket, sockaddr> accept();
  // TCP: the handshake; non-blocking -> EINPROGRESS (completion: POLLOUT, result in SO_ERROR),
  // again while connecting -> EALREADY, connected -> EISCONN. UDP: the default destination.
  void connect(const sockaddr& addr);

  // May send less than given (TCP: what fits the send buffer, at least one byte when blocking).
  std::size_t send(std::string_view data);
  std::size_t send(std::span<const std::byte> data);
  // CPython's send(bytes, flags), an extension to the spec: flags 0 or MSG_OOB. MSG_OOB sends
  // `data` as urgent data (RFC 9293 §3.8.5): a Linux peer reads its LAST byte with
  // recv(1, MSG_OOB) and the rest in the stream. Other flags: EOPNOTSUPP; MSG_OOB on UDP:
  // EOPNOTSUPP (Linux udp_sendmsg).
  std::size_t send(std::string_view data, int flags);
  std::size_t send(std::span<const std::byte> data, int flags);
  // Everything, blocking until it is queued (EAGAIN on a non-blocking socket that fills up).
  void sendall(std::string_view data);
  void sendall(std::span<const std::byte> data);
  // At most bufsize bytes; "" at end of stream. UDP: one datagram, truncated to bufsize.
  bytes recv(std::size_t bufsize);
  // CPython's recv(bufsize, flags), an extension to the spec: flags 0 or MSG_OOB. MSG_OOB
  // reads the urgent byte, once, and never blocks (Linux tcp_recv_urg): EINVAL with no urgent
  // data, after it was read, or with SO_OOBINLINE; EAGAIN while the peer's urgent pointer
  // names a byte still to come; "" if the stream ended first. On UDP MSG_OOB is ignored, as
  // Linux's udp_recvmsg does. Other flags: EOPNOTSUPP.
  bytes recv(std::size_t bufsize, int flags);
  // sockatmark(3) (ioctl SIOCATMARK), an extension: the next byte of the stream is the urgent
  // mark. A stream read stops just before the mark, so a reader can tell the data sent before
  // the urgent byte from the data after it. UDP: ENOTTY (no such ioctl, as Linux).
  bool sockatmark();
  std::size_t sendto(std::string_view data, const sockaddr& to);
  std::size_t sendto(std::span<const std::byte> data, const sockaddr& to);
  std::pair<bytes, sockaddr> recvfrom(std::size_t bufsize);

  // SOL_SOCKET: SO_REUSEADDR, SO_REUSEPORT (UDP), SO_BROADCAST (UDP), SO_KEEPALIVE (TCP),
  // SO_RCVBUF, SO_SNDBUF (TCP), SO_OOBINLINE (TCP: the urgent byte stays in the stream and
  // recv(MSG_OOB) is EINVAL); IPPROTO_TCP: TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL,
  // TCP_KEEPCNT, TCP_MAXSEG (0, or 88..32767, else EINVAL). Unknown: ENOPROTOOPT.
  void setsockopt(int level, int optname, int value);
  // IPPROTO_IP IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP (struct ip_mreq: group, interface) and
  // IPPROTO_IPV6 IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP (struct ipv6_mreq) as packed bytes;
  // IPPROTO_TCP TCP_CONGESTION with an algorithm's name, "cubic" or "reno" (ENOENT for any
  // other, as Linux; it applies to a live connection too).
  void setsockopt(int level, int optname, std::string_view value);
  // SO_ERROR (takes the pending error, 0 if none), SO_TYPE, SO_REUSEADDR, SO_BROADCAST,
  // SO_KEEPALIVE, SO_RCVBUF, SO_SNDBUF, SO_OOBINLINE, TCP_NODELAY, TCP_MAXSEG (the user's value, or
  // 536, until connected; then the MSS the connection sends with, as Linux).
  int getsockopt(int level, int optname);
  // Python's getsockopt(level, optname, buflen): TCP_CONGESTION gives the algorithm's name
  // NUL-padded to min(buflen, 16) bytes (Linux TCP_CA_NAME_MAX); an integer option gives
  // min(buflen, sizeof(int)) bytes of its value.
  bytes getsockopt(int level, int optname, std::size_t buflen);

  // nullopt: blocking; 0: non-blocking; > 0: seconds. Negative: EINVAL.
  void settimeout(std::optional<double> seconds);
  std::optional<double> gettimeout() const { return timeout_; }
  void setblocking(bool flag) { settimeout(flag ? std::nullopt : std::optional<double>(0.0)); }

  // The stream interface. As in MicroPython, makefile() returns the socket itself: closing the
  // "file" closes the socket (the spec's documented difference from CPython).
  socket& makefile(std::string_view mode = "rb", int buffering = 0);
  // To end of stream (blocking), or what is there (non-blocking; nullopt if nothing).
  std::optional<bytes> read();
  // Exactly `size` bytes unless the stream ends first (blocking: never short otherwise);
  // non-blocking: what is there, nullopt if nothing.
  std::optional<bytes> read(std::size_t size);
  // Into `buf` (at most nbytes); same rules as read(size). Returns the count.
  std::optional<std::size_t> readinto(std::span<std::byte> buf,
                                      std::optional<std::size_t> nbytes = std::nullopt);
  std::optional<std::size_t> readinto(std::span<char> buf,
                                      std::optional<std::size_t> nbytes = std::nullopt);
  // A line including its "\n", or what came before the end of the stream ("" at EOF).
  std::optional<bytes> readline();
  // Blocking: everything (never short). Non-blocking: the count written, nullopt if none.
  std::optional<std::size_t> write(std::string_view data);
  std::optional<std::size_t> write(std::span<const std::byte> data);

  // SHUT_RD, SHUT_WR, SHUT_RDWR. Not connected: ENOTCONN.
  void shutdown(int how);
  sockaddr getsockname() const;
  sockaddr getpeername() const;  // ENOTCONN unless connected

  // What uselect reports: POLLIN/POLLOUT/POLLERR/POLLHUP now, POLLNVAL once closed; and, an
  // extension, POLLPRI while urgent data waits (Linux tcp_poll: the urgent byte arrived and
  // was not read with MSG_OOB, or with SO_OOBINLINE the reader is not past it yet).
  int poll_events() const;
  bool closed() const { return !open_; }
  int family() const { return family_; }
  int type() const { return type_; }
  const Network& network() const { return net_; }
  // The transport socket (TcpLayer's or UdpLayer's, per type()): how uselect matches the
  // readiness the transports push to this object.
  ustack::SocketHandle handle() const { return handle_; }

  static constexpr int kDefaultBacklog = 128;  // CPython's default: min(SOMAXCONN, 128)

 private:
  socket(const Network& net, int af, int type, ustack::SocketHandle accepted,
         std::optional<double> timeout);
  bool is_tcp() const { return type_ == SOCK_STREAM; }
  void check_open() const;
  static constexpr std::size_t kCongestionNameMax = 16;  // Linux TCP_CA_NAME_MAX
  void set_congestion(std::string_view value);           // setsockopt(IPPROTO_TCP, TCP_CONGESTION)
  // Blocks (per the timeout) until ready() holds: EAGAIN (non-blocking), ETIMEDOUT (timeout),
  // EINTR (the network was stopped).
  void wait(ustack::FunctionRef<bool()> ready);
  ustack::Instant deadline() const;
  // Sends the output the last call queued.
  void pump();
  [[noreturn]] void raise_tcp(ustack::TcpError e) const;
  // The connection's error not yet reported (SO_ERROR, connect), now reported: the layer
  // keeps Linux's sk_err, so recv/send/SO_ERROR together report it once.
  std::optional<ustack::TcpError> take_tcp_error();
  std::size_t send_bytes(std::span<const std::byte> data, bool urgent = false);
  bytes recv_urgent(std::size_t bufsize);           // recv(MSG_OOB)
  std::size_t recv_into(std::span<std::byte> out);  // blocking per the timeout; 0 at EOF
  std::size_t try_recv(std::span<std::byte> out, bool& would_block);
  std::optional<std::size_t> read_into(std::span<std::byte> out, bool to_eof);

  Network net_;
  int family_ = AF_INET;
  int type_ = SOCK_STREAM;
  ustack::SocketHandle handle_;
  bool open_ = false;
  std::optional<double> timeout_;
  ustack::TcpSocketOptions tcp_opts_;
  bool read_shut_ = false;  // shutdown(SHUT_RD): reads return ""
  bool connect_started_ = false;
  bytes pending_;  // read ahead by readline() past the line
};

}  // namespace usocket
