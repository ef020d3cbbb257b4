// The TCP layer: every TCP socket of a Stack, the demultiplexer, listeners, and the user API.
//
// Implements Transport, so the Stack hands it every TCP segment addressed to us and polls it
// for timers. Sockets live in a generation-checked slot table (SocketHandle); established
// connections are found by 4-tuple and listeners by local port in hash maps, and timers sit in
// an indexed min-heap holding exactly the armed timers (deadline_heap.h), so per-packet and
// per-timer work is O(1)/O(log n) in the number of sockets.
//
// A connection whose handle was given back is replaced, once it reaches TIME-WAIT, by a compact
// record (time_wait.h, Linux's inet_timewait_sock) in a table of its own keyed by 4-tuple, at
// most TcpLayerConfig::max_time_wait of them (Linux tcp_max_tw_buckets). connect() may take
// over a TIME-WAIT 4-tuple when timestamps make it safe (Linux tcp_tw_reuse = 1).
//
// A listener whose SYN queue is full answers SYNs with SYN cookies and keeps nothing; the ACK
// that brings a valid cookie back opens the connection (syn_cookie.h, TcpLayerConfig::
// syn_cookies, Linux tcp_syncookies).
//
// The user API is meant to be called from the one thread that drives the stack. User calls
// carry no time and send nothing themselves: they change the socket and mark it for output,
// poll_at() then returns an instant <= now, and the next poll() sends. Errors are values
// (TcpError), mapped to errno by sockapi.
//
// Sockets exist before they listen or connect, like BSD sockets: open() (socket()), then
// set_options() (setsockopt), bind(), and listen() or connect(). The one-call listen() and
// connect() overloads do those steps at once. Readiness changes are pushed into a ReadyList
// (take_ready), so an event loop re-checks only the sockets something happened to.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/random.h"
#include "stack/base/result.h"
#include "stack/port_allocator.h"
#include "stack/ready_list.h"
#include "stack/socket_table.h"
#include "stack/tcp/connection.h"
#include "stack/tcp/deadline_heap.h"
#include "stack/tcp/syn_cookie.h"
#include "stack/tcp/syn_hold.h"
#include "stack/tcp/tcp_types.h"
#include "stack/tcp/time_wait.h"
#include "stack/tracer.h"
#include "stack/transport.h"

namespace ustack {

// net.ipv4.tcp_syncookies: when a listener answers a SYN with a cookie (syn_cookie.h) instead of
// keeping an embryonic connection.
enum class SynCookieMode : std::uint8_t {
  // 0: never; a full SYN queue gives up its oldest abandoned entry or drops the SYN.
  kNever,
  // 1 (Linux's default): only when the listener's SYN queue is full.
  kOnOverflow,
  // 2: for every SYN (tests).
  kAlways,
};

struct TcpLayerConfig {
  std::uint64_t seed = 1;  // keys for ISNs (RFC 6528) and ephemeral ports (RFC 6056)
  TcpConfig tcp;           // defaults for new sockets
  // net.ipv4.ip_local_port_range.
  std::uint16_t ephemeral_low = 32768;
  std::uint16_t ephemeral_high = 60999;
  // Every connection's ISN instead of RFC 6528's, for tests that must place the sequence
  // space (just below 2^32, to cross the wrap at once).
  std::optional<std::uint32_t> fixed_isn;
  // net.ipv4.tcp_max_tw_buckets: at most this many TIME-WAIT records; past it a connection
  // closes without TIME-WAIT (counted in time_wait_overflow).
  std::size_t max_time_wait = 262144;
  SynCookieMode syn_cookies = SynCookieMode::kOnOverflow;
  // ACK coalescing: a segment of an established connection that asks for no immediate reply
  // (TcpConnection::output_may_wait) leaves its output to the layer's next poll(), which the
  // Stack runs after the device's input burst: one cumulative ACK per burst instead of one per
  // second segment, like Linux's GRO receiver; on the sending side, one TSO segment of
  // everything the burst's ACKs opened (duplicate ACKs and planned retransmissions are acted on
  // at once, as Linux does for pure ACKs). Off: every segment is answered from on_packet(), as
  // Linux answers each segment it is handed. Off by default so that virtual-time runs (replay
  // against the kernel's captures, lessons, goldens) see Linux's per-segment behaviour; the
  // device commands turn it on (--no-ack-coalescing turns it off), where a read batch is a
  // burst the kernel would have coalesced by GRO.
  bool coalesce_acks = false;
  // Socket buffer auto-tuning (buffer_tuning.h): set, they replace tcp.recv_buffer /
  // recv_buffer_max (rmem) and tcp.send_buffer / send_buffer_max (wmem). Unset by default, so
  // virtual-time runs keep fixed 256 KiB buffers and their windows; the device commands set
  // Linux's starting sizes with lower ceilings (kUstackTcpRmem / kUstackTcpWmem; --tcp-rmem /
  // --tcp-wmem).
  std::optional<TcpBufferSysctl> rmem, wmem;
};

// Per-socket settings given to listen()/connect() or set_options() (setsockopt); unset fields
// take the layer's TcpConfig (or, in set_options(), keep the socket's current value).
// Accepted sockets inherit their listener's. options() returns every field filled in.
struct TcpSocketOptions {
  std::optional<std::size_t> send_buffer;  // SO_SNDBUF
  std::optional<std::size_t> recv_buffer;  // SO_RCVBUF
  std::optional<bool> nodelay;             // TCP_NODELAY
  std::optional<bool> keepalive;           // SO_KEEPALIVE
  std::optional<Duration> keepalive_idle;  // TCP_KEEPIDLE
  std::optional<Duration> keepalive_interval;
  std::optional<unsigned> keepalive_count;
  // R2 (RFC 9293 §3.8.3, MUST-21): retransmissions before giving up, like tcp_retries2.
  std::optional<unsigned> retries2;
  // TCP_MAXSEG (Linux rx_opt.user_mss): 0 = none, else 88..32767. Set before listen() or
  // connect() it caps the MSS we announce and send; a live connection keeps its MSS.
  std::optional<std::uint32_t> max_segment;
  // TCP_CONGESTION: the algorithm of this socket (the stack's TcpConfig::congestion if unset);
  // on a live connection it takes over the window (Linux tcp_set_congestion_control).
  std::optional<CongestionAlgorithm> congestion;
  // SO_OOBINLINE: the urgent octet stays in the stream (recv_urgent() says kInvalid), as
  // Linux; applies to a live connection too.
  std::optional<bool> oob_inline;
  bool reuse_addr = false;  // SO_REUSEADDR
};

struct TcpReadiness {
  bool readable = false;      // recv() would not block (data, EOF or error)
  bool writable = false;      // send() would not block (room, or an error to report)
  bool accept_ready = false;  // a listener has an established connection to accept()
  bool connected = false;     // handshake done (ESTABLISHED or later)
  bool closed = false;        // CLOSED: nothing more will happen
  bool error = false;         // an error not yet reported (Linux sk_err: POLLERR)
  // POLLPRI: urgent data arrived (RFC 9293 MUST-32; Linux tcp_poll, TCP_URG_VALID): the
  // octet waits for recv_urgent(), or with SO_OOBINLINE the reader is not past it yet.
  bool urgent = false;
  bool operator==(const TcpReadiness&) const = default;
};

// Like `netstat -s` for TCP: every dropped segment counted with its reason.
struct TcpLayerCounters {
  std::uint64_t segs_in = 0, segs_out = 0;
  std::uint64_t retrans_segs = 0;  // data or FIN segments sent again (Linux TcpRetransSegs)
  // TSO: super-segments handed to IP (TcpSegmentOut::gso_size) and the wire segments they make.
  std::uint64_t tso_super_segs_out = 0, tso_segs_out = 0;
  std::uint64_t active_opens = 0, passive_opens = 0;
  std::uint64_t drops_bad_checksum = 0, drops_malformed = 0, drops_broadcast = 0;
  // Segments processed without a malformed option (Linux tcp_parse_options stops or skips).
  std::uint64_t options_malformed = 0;
  std::uint64_t drops_listen_overflow = 0;  // SYN or final ACK dropped: queues full
  // Embryonic connections a full SYN queue gave up for a newer SYN (RFC 4987 §3.4).
  std::uint64_t syn_queue_evicted = 0;
  // SYN cookies (Linux SyncookiesSent, SyncookiesRecv, SyncookiesFailed): SYN-ACKs sent with a
  // cookie and no state, final ACKs whose cookie was valid, ACKs to a listener whose cookie
  // was not (answered with a RST).
  std::uint64_t syncookies_sent = 0, syncookies_recv = 0, syncookies_failed = 0;
  // SYNs a catch-all listener held for its user (set_catch_all), and those dropped because
  // `backlog` were held already; held SYNs answered with a RST (refused).
  std::uint64_t syns_held = 0, syns_held_overflow = 0, syns_refused = 0;
  std::uint64_t rsts_no_socket = 0;    // RFC 9293 §3.10.7.1 replies
  std::uint64_t rsts_listen_ack = 0;   // ACK to a listener (§3.10.7.2)
  std::uint64_t time_wait_reused = 0;  // RFC 6191: a SYN took over a TIME-WAIT 4-tuple
  // connect() took over a TIME-WAIT 4-tuple (Linux tcp_tw_reuse, LINUX_MIB_TIMEWAITRECYCLED).
  std::uint64_t time_wait_reused_connect = 0;
  // Connections that closed without TIME-WAIT: max_time_wait records already held (Linux
  // "TCP: time wait bucket table overflow", LINUX_MIB_TCPTIMEWAITOVERFLOW).
  std::uint64_t time_wait_overflow = 0;
  std::uint64_t time_wait_killed = 0;  // a RST ended TIME-WAIT (RFC 1337 hazard, Linux default)
  std::uint64_t time_wait_expired = 0;
  // connect() found no ephemeral port for its remote endpoint (EADDRNOTAVAIL).
  std::uint64_t ephemeral_ports_exhausted = 0;
  std::uint64_t icmp_ignored = 0, icmp_delivered = 0;
  std::uint64_t send_failed = 0;  // IpSender::send refused (no route)
  TcpRackCounters rack;           // RACK-TLP (RFC 8985) events of every connection
  TcpEcnCounters ecn;             // ECN (RFC 3168) events of every connection
  // Work done, to prove it does not grow with idle connections (a count, not a time):
  // connections serviced (output/timers run) and timers that fired (heap entries popped).
  std::uint64_t sockets_serviced = 0, timer_entries_visited = 0;
  // Segments whose output waited for the end of the input burst (coalesce_acks).
  std::uint64_t output_deferred = 0;
};

class TcpLayer final : public Transport {
 public:
  explicit TcpLayer(const TcpLayerConfig& config, Tracer* tracer = nullptr);
  ~TcpLayer() override;
  TcpLayer(TcpLayer&&) = default;
  TcpLayer& operator=(TcpLayer&&) = default;

  // --- Transport ---------------------------------------------------------------------------
  IpProto protocol() const override { return IpProto::kTcp; }
  RxVerdict on_packet(Instant now, const IpRxMeta& meta, Bytes payload, IpSender& out) override;
  bool on_icmp_error(Instant now, const IcmpError& err, IpSender& out) override;
  void poll(Instant now, IpSender& out) override;
  Instant poll_at() const override;

  // --- User API ------------------------------------------------------------------------------
  // send, send_urgent, recv, shutdown, close and abort take the time of the call first (the
  // shell's clock, as connect() does), which the events they cause carry (a close entering
  // FIN_WAIT_1, a window update after a read). Without it they happen at the latest time the
  // layer was given (its last poll or packet): right in a loop that polls before each call, a
  // stale time in one that calls between wakeups.
  // socket(AF_INET or AF_INET6, SOCK_STREAM): neither bound, listening nor connected
  // (TcpState::kClosed). IPv6 sockets are IPV6_V6ONLY (no v4-mapped addresses).
  SocketHandle open(IpVersion family, const TcpSocketOptions& opts = {});
  // setsockopt(): the set fields of `opts` replace the socket's values, unset ones stay;
  // reuse_addr is always taken (read-modify-write with options() to keep it). Allowed in any
  // state, as in Linux; buffer sizes and max_segment of an existing connection do not change
  // (its rings are allocated, its MSS negotiated), they apply to sockets a listener accepts
  // later. kInvalid for keepalive_count 0, a non-positive keepalive time or a max_segment
  // outside 88..32767 other than 0 (Linux do_tcp_setsockopt's EINVAL for TCP_KEEPCNT,
  // TCP_KEEPIDLE/INTVL and TCP_MAXSEG).
  std::optional<TcpError> set_options(SocketHandle h, const TcpSocketOptions& opts);
  // getsockopt(): every field set to the socket's current value (max_segment: the user's, 0 if
  // none; see maxseg() for what getsockopt(TCP_MAXSEG) reports).
  Result<TcpSocketOptions, TcpError> options(SocketHandle h) const;
  // getsockopt(TCP_MAXSEG), Linux do_tcp_getsockopt: on a socket that is not connected or a
  // listener, the user's TCP_MAXSEG (536, TCP_MSS_DEFAULT, if none); on a connection, the MSS
  // it sends with (mss_cache: the options of every segment taken off).
  Result<std::uint32_t, TcpError> maxseg(SocketHandle h) const;
  // bind(), Linux rules (inet_bind, inet_csk_get_port): `local` unspecified = any address of
  // the socket's family; another family -> kInvalid. Port 0 picks a port from the ephemeral
  // range now, one nobody holds. kAddressInUse if another socket holds the port on an
  // overlapping address, unless both set SO_REUSEADDR and the holder is not listening.
  // Bound twice, listening or connected -> kInvalid. The address is not checked against the
  // interface addresses (no EADDRNOTAVAIL: the layer does not know them without an IpSender).
  std::optional<TcpError> bind(SocketHandle h, const IpAddr& local, std::uint16_t port);
  // listen(): an unbound socket first gets an ephemeral port (Linux autobind); the bind rules
  // are checked again (two SO_REUSEADDR sockets may bind one port, only one may listen).
  // At most `backlog` connections in the SYN queue and `backlog` in the accept queue; 0
  // means 1 (Linux clamps it). On a listener it only updates the backlog (Linux). On a
  // connecting or connected socket -> kInvalid.
  std::optional<TcpError> listen(SocketHandle h, unsigned backlog);
  // connect(): from the bound address and port when bound (an unspecified bound address takes
  // the route's source), else from the route's source and an ephemeral port (RFC 6056 alg. 3).
  // Completes asynchronously: readiness().connected or error(). kInvalid on a listener or for
  // a bad destination (RFC 9293 §3.9.1.1 MUST-46) or the other family; kInProgress (EALREADY)
  // while connecting; kIsConnected (EISCONN) once connected; kNoRoute, kNoPorts, kAddressInUse
  // (4-tuple taken). A socket whose connection failed (refused, timed out, reset) is back in
  // CLOSED and may connect (or listen) again, as in Linux: the old error is dropped, an
  // explicitly bound port is kept, an automatically chosen one was given back when it failed.
  std::optional<TcpError> connect(Instant now, const IpSender& ip, SocketHandle h,
                                  const IpAddr& remote, std::uint16_t port);

  // open + set_options + bind + listen in one call: passive open on `local` (unspecified =
  // any address of that family) and `port`, with at most `backlog` connections in the SYN
  // queue and `backlog` in the accept queue (Linux). kAddressInUse per Linux's bind rules
  // (SO_REUSEADDR); port 0 or backlog 0 -> kInvalid here.
  Result<SocketHandle, TcpError> listen(const IpAddr& local, std::uint16_t port, unsigned backlog,
                                        const TcpSocketOptions& opts = {});
  // Catch-all (transparent) listening, for a gateway that terminates the connections its
  // clients open to anywhere (Linux IP_TRANSPARENT with TPROXY; slirp): listener `h` also takes
  // every SYN of its family, to any address and port, that no other listener or connection
  // claims (the Stack must deliver such packets: StackConfig::transparent). The connection's
  // local endpoint is the one the client asked for. With `hold_syns` such a SYN is not answered:
  // it is held (at most `backlog` of them; further ones are dropped and counted) until the user,
  // told by take_held_syn(), answers it with answer_syn(). kInvalid if `h` is not a listener;
  // one catch-all listener per family (a second one replaces the first). Closing it refuses
  // (RST) the SYNs it still holds unanswered, as Linux resets a closed listener's queue.
  std::optional<TcpError> set_catch_all(SocketHandle h, bool hold_syns);
  // The next held SYN's 4-tuple (local: where the client wants to go), once each.
  std::optional<TcpTuple> take_held_syn();
  // Answers a held SYN from the next poll(): kAccept as the listener answers any SYN (a
  // SYN-ACK; accept() then returns the connection), kRefuse with a RST (RFC 9293 §3.10.7.1:
  // the client sees "connection refused"), kDrop with nothing. False if `t` is not held.
  bool answer_syn(const TcpTuple& t, SynAnswer answer);
  std::size_t held_syn_count() const { return held_ ? held_->size() : 0; }
  // The header of a held SYN not yet answered (its sequence number is what an ICMP error about
  // it must quote, RFC 5927 §4.1); nullopt if `t` is not held.
  std::optional<TcpRepr> held_syn(const TcpTuple& t) const;
  // The next established connection of a listener; kWouldBlock if none.
  Result<SocketHandle, TcpError> accept(SocketHandle listener);
  // open + set_options (+ bind) + connect in one call: active open toward remote:port. `local`
  // picks the source address (else the route's); `local_port` 0 picks an ephemeral port
  // (RFC 6056 alg. 3, keyed on the remote too, like IP_BIND_ADDRESS_NO_PORT). Completes
  // asynchronously: readiness().connected or error(). `ip` answers route questions (source, path
  // MTU).
  Result<SocketHandle, TcpError> connect(Instant now, const IpSender& ip, const IpAddr& remote,
                                         std::uint16_t port,
                                         std::optional<IpAddr> local = std::nullopt,
                                         std::uint16_t local_port = 0,
                                         const TcpSocketOptions& opts = {});
  // Bytes accepted into the send buffer (> 0), or kWouldBlock (buffer full / still
  // connecting), kPipe (after shutdown), kNotConnected, or the connection's error. As in
  // Linux (tcp_sendmsg_locked -> sk_stream_error -> sock_error) the error is reported once,
  // by whichever of send(), recv() or take_error() sees it first; later sends get kPipe.
  Result<std::size_t, TcpError> send(SocketHandle h, Bytes data);
  Result<std::size_t, TcpError> send(Instant now, SocketHandle h, Bytes data);
  // send(MSG_OOB): as send(), and the end of what was taken becomes the urgent pointer (RFC
  // 9293 §3.8.5; the peer's Linux reads its last octet out of band). Urgent data of any length
  // (MUST-31); a later urgent send moves the pointer on.
  Result<std::size_t, TcpError> send_urgent(SocketHandle h, Bytes data);
  Result<std::size_t, TcpError> send_urgent(Instant now, SocketHandle h, Bytes data);
  // Bytes read (> 0), 0 at end of stream, or kWouldBlock / the connection's error (reported
  // once, as for send(); then 0: the stream has ended).
  Result<std::size_t, TcpError> recv(SocketHandle h, MutBytes out);
  Result<std::size_t, TcpError> recv(Instant now, SocketHandle h, MutBytes out);
  // recv(MSG_OOB), Linux tcp_recv_urg (TcpConnection::recv_urgent): the urgent octet, once;
  // never blocks. kInvalid with SO_OOBINLINE, with no urgent data or after it was read;
  // kWouldBlock while the mark is known but its octet has not arrived; 0 when the stream ended
  // first. A listener: kNotConnected; a socket never connected: kInvalid (Linux).
  Result<std::size_t, TcpError> recv_urgent(SocketHandle h, MutBytes out);
  // SIOCATMARK / sockatmark(): the next octet a stream read returns (or, without SO_OOBINLINE,
  // skips) is the urgent mark (MUST-33). false on a socket without a connection or a listener
  // (Linux tcp_ioctl, checked on 6.18).
  Result<bool, TcpError> at_mark(SocketHandle h) const;
  // shutdown(SHUT_WR): FIN after the queued data. nullopt on success.
  std::optional<TcpError> shutdown(SocketHandle h);
  std::optional<TcpError> shutdown(Instant now, SocketHandle h);
  // Gives the handle back. A connection closes gracefully (FIN, or RST if unread data) and
  // lives on without a handle through FIN_WAIT/TIME_WAIT; a listener stops and resets the
  // connections not yet accepted; an open or bound-only socket is freed with its port at once.
  std::optional<TcpError> close(SocketHandle h);
  std::optional<TcpError> close(Instant now, SocketHandle h);
  // Gives the handle back and resets the connection (RST).
  std::optional<TcpError> abort(SocketHandle h);
  std::optional<TcpError> abort(Instant now, SocketHandle h);

  Result<TcpState, TcpError> state(SocketHandle h) const;
  // The connection's error, if it failed, whether reported yet or not.
  std::optional<TcpError> error(SocketHandle h) const;
  // The last ICMP soft error the connection saw (RFC 1122 §4.2.3.9: net or host unreachable
  // does not abort it), reported by Linux only when the connection times out; a client such
  // as `ustack connect` may give up on it at once, as nc on Linux does.
  std::optional<TcpError> soft_error(SocketHandle h) const;
  // getsockopt(SO_ERROR) (Linux sock_error): the error not yet reported, which is then
  // reported; nullopt if none or already reported.
  std::optional<TcpError> take_error(SocketHandle h);
  TcpReadiness readiness(SocketHandle h) const;
  // Local and remote endpoints; getsockname() of an open or bound socket is its bound
  // address/port (unspecified, 0 when unbound) with the remote unspecified and 0.
  Result<TcpTuple, TcpError> tuple(SocketHandle h) const;
  Result<TcpStats, TcpError> stats(SocketHandle h) const;  // `ss -ti`
  std::optional<TcpError> set_nodelay(SocketHandle h, bool on);
  std::optional<TcpError> set_keepalive(SocketHandle h, bool on, Duration idle, Duration interval,
                                        unsigned count);

  // Readiness pushed (stack/ready_list.h, as UdpLayer): the user-held sockets
  // whose readiness() may have changed since the last drain: a segment or ICMP error was
  // processed for them, their timer ran (retransmission, keepalive, TIME_WAIT end, failure),
  // a listener's accept queue changed, or a user call changed readiness(). Sockets nothing
  // happened to are never listed, so draining costs what changed, not the socket count.
  void take_ready(std::vector<SocketHandle>& out) { ready_.own().drain(out); }
  bool any_ready() const { return !ready_.own().empty(); }
  // Another reader of the same marks (stack/ready_list.h): `l` gets every mark until
  // unsubscribed. Each reader drains its own list; take_ready() is the layer's own.
  void subscribe_ready(ReadyList& l) { ready_.subscribe(l); }
  void unsubscribe_ready(ReadyList& l) { ready_.unsubscribe(l); }

  const TcpLayerCounters& counters() const { return counters_; }
  // Whether a connection or a TIME-WAIT record holds 4-tuple `t` (what a segment of that flow
  // is demultiplexed to, ahead of any listener).
  bool holds_flow(const TcpTuple& t) const { return conns_.contains(t) || tw_.contains(t); }
  // `o` (may be null) is told of every 4-tuple that starts or stops being held (holds_flow):
  // at connect(), at a SYN a listener answers (or a cookie it takes), and when the connection
  // and its TIME-WAIT record are gone.
  void set_flow_observer(FlowObserver* o) { flow_observer_ = o; }
  // Sockets and TIME-WAIT records (what `ss -a` would list).
  std::size_t socket_count() const { return table_.size() + tw_.size(); }
  std::size_t time_wait_count() const { return tw_.size(); }
  // What the layer's tables hold, in entries of capacity (allocated, not just used): to check
  // that memory follows need (ARCHITECTURE.md) after a burst of connections is gone.
  struct Memory {
    std::size_t slots = 0;          // socket table slots, live and free
    std::size_t free_slots = 0;     // the table's free list
    std::size_t tuple_buckets = 0;  // buckets of the 4-tuple map
    std::size_t timer_capacity = 0;
    std::size_t timers = 0;        // armed timers (heap entries): one per socket or record at most
    std::size_t port_entries = 0;  // per-port socket lists (their capacities) and their map
    std::size_t time_wait_entries = 0;
    std::size_t time_wait_buckets = 0;
    // Bytes one TIME-WAIT entry takes in its table (record, 4-tuple key, node links) and its
    // timer entry, without the bucket array (time_wait_buckets pointers).
    std::size_t time_wait_entry_bytes = 0;
  };
  Memory memory() const;
  // Every socket (for `ss`-like listings): f(handle, is_listener, tuple, state). Open and
  // bound-only sockets are reported as kClosed with their bound tuple; TIME-WAIT records, which
  // have no handle, with an invalid one and kTimeWait.
  template <typename F>
  void for_each_socket(F&& f) const;

 private:
  // A socket is one of: open (no conn, not a listener; bound when port != 0), a listener, or
  // a connection (conn set).
  struct Socket {
    bool listener = false;
    bool user_owned = true;  // the user holds the handle (false once closed, or not accepted)
    bool reuse_addr = false;
    // bind() (or the one-call listen()) named the port (Linux SOCK_BINDPORT_LOCK): it stays
    // held after the connection fails, and ephemeral port choice for connect() skips it.
    bool bound = false;
    IpVersion family = IpVersion::kV4;
    TcpConfig config;
    // The connection's error was reported (Linux clears sk_err in sock_error()).
    bool error_reported = false;
    // Open sockets and listeners: the bound address (unspecified = any) and port (0 unbound).
    IpAddr local;
    std::uint16_t port = 0;
    // The port this socket is listed under in port_users_ (0: none), and where in that list:
    // a close removes it in O(1), not by searching a list every accepted connection is in.
    std::uint16_t held_port = 0;
    std::uint32_t held_index = 0;
    // Listener.
    unsigned backlog = 0;
    // Embryonic (SYN-RECEIVED) children, oldest first: a full queue evicts from the front.
    std::list<SocketHandle> syn_queue;
    std::deque<SocketHandle> accept_queue;
    // When this listener last sent a SYN cookie (Linux tcp_synq_overflow): ACKs are checked as
    // cookies only while one may still be valid.
    std::optional<Instant> last_cookie_at;
    // Connection.
    std::unique_ptr<TcpConnection> conn;
    SocketHandle parent;  // the listener while not yet accepted
    bool in_accept_queue = false;
    // In the parent's syn_queue (at syn_pos) since syn_at.
    bool in_syn_queue = false;
    std::list<SocketHandle>::iterator syn_pos;
    Instant syn_at;
    // Catch-all listener (set_catch_all); with hold_syns its SYNs wait in held_.
    bool catch_all = false;
    bool hold_syns = false;
    // Where this socket's timer is in timers_ (kNotArmed: no timer).
    std::uint32_t timer_index = DeadlineHeap<int>::kNotArmed;
  };
  using TimeWaitTable = std::unordered_map<TcpTuple, TimeWaitRecord, TcpTupleHash>;
  using TimeWaitNode = TimeWaitTable::value_type;
  // A timer's owner: a socket, or a TIME-WAIT record (nodes of an unordered_map do not move).
  struct TimerRef {
    SocketHandle h;
    TimeWaitNode* tw = nullptr;
  };

  Socket* conn_socket(SocketHandle h) const;
  // The 4-tuple map's insert and erase (erase only if it maps to `h`), telling the flow
  // observer when the tuple starts or stops being held.
  void hash_conn(const TcpTuple& t, SocketHandle h);
  void unhash_conn(const TcpTuple& t, SocketHandle h);
  void flow_changed(const TcpTuple& t, bool opened) const;
  std::optional<TcpError> bind_to(SocketHandle h, Socket& s, const IpAddr& local,
                                  std::uint16_t port);
  void hold_port(SocketHandle h, Socket& s, std::uint16_t port);
  void release_port(SocketHandle h, Socket& s);
  // A connection that failed or ended while the user holds the handle: back to an open socket
  // (bound if bind() named the port), so it can connect or listen again.
  void reopen(SocketHandle h, Socket& s);
  // The connection's error if not yet reported, now reported (Linux sock_error).
  static std::optional<TcpError> report_error(Socket& s);
  static bool bad_destination(const IpAddr& remote, std::uint16_t port);
  static IpAddr any_addr(IpVersion v) {
    return v == IpVersion::kV6 ? IpAddr(Ipv6Addr::any()) : IpAddr(Ipv4Addr());
  }
  // `iss` overrides the ISS (a SYN that took over a TIME-WAIT 4-tuple).
  void on_listen_segment(Instant now, SocketHandle lh, Socket& l, const TcpTuple& t,
                         const TcpRepr& seg, IpSender& out, std::optional<SeqNum> iss = {});
  // RFC 9293 §3.10.7.2 LISTEN, "third: check for a SYN": queues bounded, a cookie or an
  // embryonic connection and its SYN-ACK.
  void open_from_syn(Instant now, SocketHandle lh, Socket& l, const TcpTuple& t, const TcpRepr& seg,
                     IpSender& out, std::optional<SeqNum> iss);
  // Carries out the answers given to held SYNs (answer_syn).
  void answer_held_syns(Instant now, IpSender& out);
  // `why`: the reset's reason in the trace ("closed-port", "ack-to-listen", "refused").
  void send_rst_for(Instant now, const TcpTuple& t, const TcpRepr& seg, IpSender& out,
                    const char* why);
  // Answers a SYN with a cookie SYN-ACK and keeps nothing (Linux tcp_conn_request, want_cookie).
  void send_cookie_syn_ack(Instant now, Socket& l, const TcpTuple& t, const TcpRepr& syn,
                           IpSender& out);
  // An ACK to a listener: if it carries a valid cookie, the connection it stands for is made
  // and the ACK handed to it (Linux cookie_v4_check). False if it is no cookie of ours: the
  // caller answers with a RST.
  bool open_from_cookie(Instant now, SocketHandle lh, Socket& l, const TcpTuple& t,
                        const TcpRepr& ack, IpSender& out);
  // A connection born from listener `lh`, not yet accepted: in the table and the 4-tuple map.
  SocketHandle add_child(SocketHandle lh, const Socket& l, const TcpTuple& t,
                         std::unique_ptr<TcpConnection> conn);
  void emit(Instant now, const TcpTuple& t, const TcpSegmentOut& s, IpSender& out);
  // Polls a connection now (output), then frees or reschedules it.
  void service(Instant now, SocketHandle h, IpSender& out);
  void reschedule(SocketHandle h, Socket& s);
  // A kDrop event naming the counter just counted (`t`: the segment's flow, as far as known).
  void trace_drop(Instant now, const char* counter, const TcpTuple& t) const;
  // Timer events of a compact TIME-WAIT record ("set", "fired"; a fired one also ends the
  // state: TIME_WAIT->CLOSED).
  void trace_time_wait(Instant now, const TcpTuple& t, const char* action,
                       Instant deadline = Instant::never()) const;
  std::uint32_t& timer_index(const TimerRef& r) const;
  void arm(const TimerRef& r, Instant at);
  void disarm(const TimerRef& r);
  // A connection the user gave up reached TIME-WAIT: a compact record replaces it (or, past
  // max_time_wait, nothing does).
  void replace_with_time_wait(SocketHandle h, Socket& s);
  void on_time_wait_segment(Instant now, TimeWaitTable::iterator tw, const TcpRepr& seg,
                            IpSender& out);
  void send_time_wait_ack(Instant now, const TimeWaitNode& tw, IpSender& out);
  void drop_time_wait(TimeWaitTable::iterator tw);
  // Does a TIME-WAIT record hold `port` on an address overlapping `local`?
  bool time_wait_on(const IpAddr& local, std::uint16_t port) const;
  void maybe_free(SocketHandle h, Socket& s);
  void free_socket(SocketHandle h);
  void child_closed(Socket& child);
  void leave_syn_queue(Socket& child, Socket& listener);
  // A full SYN queue makes room for a new SYN by dropping its oldest entry, if that one's
  // SYN-ACK has gone unanswered for an initial RTO. False if nothing could go.
  bool evict_oldest_embryonic(Instant now, Socket& listener);
  SocketHandle find_listener(const IpAddr& local, std::uint16_t port) const;
  SocketHandle find_listener_or_catch_all(const IpAddr& local, std::uint16_t port) const;
  bool bind_conflict(const IpAddr& local, std::uint16_t port, bool reuse_addr,
                     SocketHandle self = {}) const;
  std::optional<std::uint16_t> pick_ephemeral_port(const IpAddr& local, const IpAddr& remote,
                                                   std::uint16_t remote_port);
  std::optional<std::uint16_t> pick_free_port(const IpAddr& local);
  // listen() and connect() without the readiness notification (the one-call overloads
  // create the socket, so no reader has seen an earlier readiness).
  std::optional<TcpError> listen_impl(SocketHandle h, Socket& s, unsigned backlog);
  std::optional<TcpError> connect_impl(Instant now, const IpSender& ip, SocketHandle h, Socket& s,
                                       const IpAddr& remote, std::uint16_t port);
  SeqNum make_isn(Instant now, const TcpTuple& t) const;
  std::uint32_t make_ts_offset(const TcpTuple& t) const;
  std::unique_ptr<TcpConnection> make_connection(Instant now, const TcpConfig& config,
                                                 const TcpTuple& t, const IpSender& ip,
                                                 std::optional<SeqNum> iss = {});
  TcpConfig config_for(const TcpSocketOptions& o) const;
  static void apply_options(TcpConfig& c, const TcpSocketOptions& o);
  // Output is waiting: puts the connection on the timer heap at poll_at() (<= now).
  void schedule_output(SocketHandle h);
  // Lists a user-held socket in ready_ (its readiness may have changed).
  void notify(SocketHandle h);
  // send() and send_urgent(): one set of state checks and errors.
  Result<std::size_t, TcpError> send_data(SocketHandle h, Bytes data, bool urgent);
  // Notifies if readiness(h) differs from `before` (after a user call).
  void notify_if_changed(SocketHandle h, const TcpReadiness& before);
  void user_call_at(SocketHandle h, Instant now);

  TcpLayerConfig cfg_;
  Tracer* tracer_;
  SipKey isn_key_;
  SipKey ts_key_;                           // TSval offsets (make_ts_offset)
  SynCookies cookies_{SipKey{}, SipKey{}};  // keyed in the constructor
  PortAllocator ports_{SipKey{}, 0, 0, 0};  // set in the constructor
  // Ring storage lent to connections while they hold data (ring_buffer.h). A unique_ptr so
  // the layer stays movable; declared before the table so it outlives every connection.
  std::unique_ptr<BufferPool> buffers_ = std::make_unique<BufferPool>();
  SlotTable<Socket> table_;
  std::unordered_map<TcpTuple, SocketHandle, TcpTupleHash> conns_;
  std::unordered_map<std::uint16_t, std::vector<SocketHandle>> listeners_;
  // Every socket holding a local port (bound sockets, listeners and connections), for bind
  // rules; Socket::held_port says under which port.
  std::unordered_map<std::uint16_t, std::vector<SocketHandle>> port_users_;
  // TIME-WAIT records, and how many of them each local port has (for bind() rules: a
  // client's records are on as many ports, so this is a count, not a list).
  TimeWaitTable tw_;
  std::unordered_map<std::uint16_t, std::uint32_t> tw_ports_;
  // After sockets are freed: give back table, map and heap storage a burst left behind, once
  // it is several times what is in use (amortized O(1): each shrink halves at least 4x).
  void trim_memory();
  DeadlineHeap<TimerRef> timers_;
  // The catch-all listener of each family (IPv4, IPv6) and the SYNs held for them.
  SocketHandle catch_all_[2];
  std::unique_ptr<SynHold> held_;
  ReadyFeed ready_;
  TcpLayerCounters counters_;
  Instant clock_;
  FlowObserver* flow_observer_ = nullptr;
};

template <typename F>
void TcpLayer::for_each_socket(F&& f) const {
  table_.for_each([&](SocketHandle h, const Socket& s) {
    if (s.listener) {
      f(h, true, TcpTuple{s.local, IpAddr{}, s.port, 0}, TcpState::kListen);
    } else if (s.conn) {
      f(h, false, s.conn->tuple(), s.conn->state());
    } else {
      f(h, false, TcpTuple{s.local, any_addr(s.family), s.port, 0}, TcpState::kClosed);
    }
  });
  for (const auto& [t, r] : tw_) f(SocketHandle{}, false, t, TcpState::kTimeWait);
}

}  // namespace ustack
