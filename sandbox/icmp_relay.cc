#include "sandbox/icmp_relay.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "sandbox/counter_text.h"
#include "sandbox/host_socket.h"

namespace ustack::sandbox {

IcmpRelay::IcmpRelay(Stack& ip, tun::AsioRuntime& runtime, const SandboxLayout& layout,
                     FlowBudget& budget, Duration idle_timeout)
    : ip_(ip),
      runtime_(runtime),
      layout_(layout),
      budget_(budget),
      idle_timeout_(idle_timeout),
      buf_(65536) {}

IcmpRelay::~IcmpRelay() {
  for (std::size_t i = 0; i < flows_.size(); ++i) budget_.give_back();
}

void IcmpRelay::expire_idle() {
  expire_flows(flows_, runtime_.now(), idle_timeout_, budget_, counters_.flows_expired);
}

void IcmpRelay::step() {
  Instant now = runtime_.now();
  while (std::optional<RelayedEcho> e = ip_.pop_relayed_echo()) from_guest(now, *e);
  serve_flows(flows_, [&](Flow& f) { from_host(now, f); });
}

IcmpRelay::Flow* IcmpRelay::flow_for(Instant now, const RelayedEcho& e) {
  Key key{e.from, e.to, e.ident};
  if (auto it = flows_.find(key); it != flows_.end()) return it->second.get();
  Route r = route_flow(layout_, Proto::kUdp, Endpoint{e.to, 0});
  if (r.verdict != Route::Verdict::kRelay) {
    counters_.refused.count(r.verdict == Route::Verdict::kHostBlocked);
    return nullptr;
  }
  bool v6 = r.to.addr.is_v6();
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
  if (fd < 0) {
    ++counters_.no_icmp_sockets;  // EACCES: not in net.ipv4.ping_group_range
    return nullptr;
  }
  tun::UniqueFd owned(fd);
  if (!budget_.take()) {
    ++counters_.refused.max_flows;
    return nullptr;
  }
  if (start_connect(fd, Endpoint{r.to.addr, 0}) != 0) {
    budget_.give_back();
    ++counters_.host_errors;
    return nullptr;
  }
  auto f = std::make_unique<Flow>();
  f->guest = e.from;
  f->dst = e.to;
  f->ident = e.ident;
  f->host = std::make_unique<HostWatch>(runtime_, std::move(owned));
  f->last_used = now;
  ++counters_.flows_opened;
  return (flows_[key] = std::move(f)).get();
}

void IcmpRelay::from_guest(Instant now, const RelayedEcho& e) {
  ++counters_.requests;
  Flow* f = flow_for(now, e);
  if (f == nullptr) return;
  f->last_used = now;
  // An echo request (type 8 / 128); the kernel sets the identifier (the socket's) and the
  // checksum.
  buf_.assign(8, 0);
  buf_[0] = e.to.is_v6() ? 128 : 8;
  store_be16(buf_, 6, e.seq);
  buf_.insert(buf_.end(), e.payload.begin(), e.payload.end());
  if (::send(f->host->fd(), buf_.data(), buf_.size(), 0) < 0) ++counters_.host_errors;
  buf_.resize(65536);
}

void IcmpRelay::from_host(Instant now, Flow& f) {
  for (;;) {
    ssize_t n = ::recv(f.host->fd(), buf_.data(), buf_.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        f.host->want_read();
        return;
      }
      ++counters_.host_errors;  // an ICMP error about our request: the guest's ping times out
      continue;
    }
    if (n < 8) continue;
    Bytes reply = Bytes(buf_).first(static_cast<std::size_t>(n));
    f.last_used = now;
    if (ip_.send_echo_reply(now, f.dst, f.guest, f.ident, load_be16(reply, 6), reply.subspan(8))) {
      ++counters_.replies;
    }
  }
}

std::string IcmpRelay::counters_text() const {
  const IcmpRelayCounters& c = counters_;
  std::string s = "IcmpRelay:\n";
  append_counter(s, flows_.size(), "flows");
  append_counter(s, c.requests, "requests");
  append_counter(s, c.replies, "replies");
  append_counter(s, c.flows_opened, "flows_opened");
  append_counter(s, c.flows_expired, "flows_expired");
  append_counter(s, c.no_icmp_sockets, "no_icmp_sockets");
  c.refused.append_to(s);
  append_counter(s, c.host_errors, "host_errors");
  return s;
}

}  // namespace ustack::sandbox
