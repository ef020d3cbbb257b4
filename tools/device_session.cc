// DeviceSession: bring-up and teardown of namespace, device, pcap, Stack, transports and
// runtime.
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>

#include "stack/counters.h"
#include "stack/dns/resolver.h"
#include "stack/impair/impaired_device.h"
#include "stack/pcap_tap_device.h"
#include "stack/stack.h"
#include "tools/counters_sum.h"
#include "tools/device_options.h"
#include "tools/events/event_json.h"
#include "tools/services/tcp_cli.h"
#include "tools/usage_error.h"
#include "tun/link.h"
#include "tun/netns.h"
#include "tun/pcap_comments.h"
#include "tun/pcap_file.h"
#include "tun/runtime.h"
#include "tun/shard_router.h"
#include "tun/sys_error.h"

namespace ustack::tools {

namespace {

// Shard k's seed: shard 0 keeps the session's (one queue replays as before), the others are
// spread from it (ISN secrets, ephemeral ports, IP IDs of their own).
std::uint64_t shard_seed(std::uint64_t seed, std::size_t shard) {
  return seed ^ (0x9e3779b97f4a7c15ull * shard);
}

// Pins the calling thread to the `k`th core of its affinity mask (wrapping); nothing if the
// mask cannot be read or set.
void pin_to_core(std::size_t k) {
  cpu_set_t allowed;
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  }
  if (cpus.size() < 2) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpus[k % cpus.size()], &one);
  ::pthread_setaffinity_np(::pthread_self(), sizeof one, &one);
}

}  // namespace

std::string shard_path(const std::string& path, std::size_t index, std::size_t queues) {
  if (queues <= 1 || path.empty()) return path;
  // A .pcapng name keeps its suffix (it picks the format): f.pcapng -> f.0.pcapng.
  constexpr std::string_view kNg = ".pcapng";
  if (path.size() > kNg.size() && path.ends_with(kNg)) {
    return path.substr(0, path.size() - kNg.size()) + "." + std::to_string(index) +
           std::string(kNg);
  }
  return path + "." + std::to_string(index);
}

// What this shard's own transports hold: a TCP connection or TIME-WAIT record of the 4-tuple,
// a UDP socket on the port.
class DeviceShard::TransportFlows final : public tun::LocalFlows {
 public:
  StackSession* parts = nullptr;
  bool holds(const FlowKey& k) const override {
    if (k.proto == IpProto::kUdp) return parts->udp().holds_port(k.local_port);
    return parts->tcp().holds_flow(TcpTuple{k.local, k.remote, k.local_port, k.remote_port});
  }
};

DeviceShard::DeviceShard(const DeviceSetup& setup, std::size_t index,
                         std::unique_ptr<tun::TunDevice> dev, const TransportConfig& transports,
                         MacAddr mac, const ShardRouting* routing)
    : index_(index), device_(std::move(dev)) {
  Device* d = device_.get();
  if (routing != nullptr) {
    // Below the impairment and the pcap: a packet handed over is impaired and recorded by the
    // shard that handles it.
    local_flows_ = std::make_unique<TransportFlows>();
    router_ = std::make_unique<tun::ShardRouterDevice>(*device_, index, *routing->owners,
                                                       routing->inboxes, *local_flows_);
    d = router_.get();
  }
  if (setup.impaired()) {
    impaired_ = std::make_unique<ImpairedDevice>(*d, setup.impair_in, setup.impair_out,
                                                 shard_seed(setup.seed, index));
    d = impaired_.get();
  }
  // The pcap sits on the stack's side of the impairment: it shows what the stack sent and what
  // reached it (a tcpdump in the namespace shows the kernel's side).
  if (!setup.events.empty()) {
    events_ = std::make_unique<events::JsonLinesTracer>(
        shard_path(setup.events, index, setup.queues), setup.events_tool);
    if (impaired_) impaired_->set_tracer(events_.get());
  }
  Tracer* tracer = events_.get();
  if (!setup.pcap.empty()) {
    // Wall-clock timestamps, so the file lines up with a tcpdump taken at the same time.
    const Medium medium = device_->caps().medium;
    tun::PcapWriterOptions pcap_options;
    pcap_options.snaplen = setup.pcap_snaplen;
    // pcapng (a .pcapng name): the interface described, each sent TCP segment explained.
    pcap_options.if_name = device_->name();
    pcap_options.if_description =
        std::string("ustack ") + (medium == Medium::kEthernet ? "tap " : "tun ") + device_->name();
    for (const IpCidr& a : setup.addrs) pcap_options.if_description += " " + a.to_string();
    auto pcap = std::make_unique<tun::PcapTapWriter>(
        shard_path(setup.pcap, index, setup.queues), medium, pcap_options,
        tun::steady_clock_epoch_offset(), setup.pcap_rotate_bytes);
    if (pcap->writer().format() == tun::CaptureFormat::kPcapng) {
      comments_ = std::make_unique<tun::TcpSegmentComments>(medium, events_.get());
      pcap->set_commenter(comments_.get());
      tracer = comments_.get();
    }
    pcap_ = std::move(pcap);
    tapped_ = std::make_unique<PcapTapDevice>(*d, *pcap_);
    d = tapped_.get();
  }
  parts_ = std::make_unique<StackSession>(setup, *d, transports, tracer, index, mac);
  if (routing != nullptr) {
    local_flows_->parts = parts_.get();
    registrar_ = std::make_unique<tun::FlowRegistrar>(*routing->owners, index);
    parts_->tcp().set_flow_observer(registrar_.get());
    parts_->udp().set_flow_observer(registrar_.get());
  }
  // Held packets have no fd to wake the runtime: as a poller of the Stack, the wrapper's next
  // release is part of Stack::poll_at(), where the runtime arms its timer.
  if (impaired_) parts_->stack().add_poller(*impaired_);
  pollable_ = std::make_unique<PollableRef<Stack>>(parts_->stack());
  runtime_ = std::make_unique<tun::AsioRuntime>(*pollable_, device_->fd());
  runtime_->set_busy_poll(setup.busy_poll);
  if (routing != nullptr) {
    tun::ShardInbox* inbox = routing->inboxes[index];
    runtime_->watch(inbox->fd(), [inbox] { inbox->clear_wakeup(); });
  }
}

DeviceShard::~DeviceShard() {
  // Reverse order of construction: stop driving, drop the stack and its transports, close the
  // pcap, then the device (a device we created disappears with its last queue's fd).
  // Datagrams still batched for USO leave first (a command may exit right after its send).
  if (parts_ && runtime_) parts_->stack().flush_batched(runtime_->now());
  runtime_.reset();
  pollable_.reset();
  if (impaired_) parts_->stack().remove_poller(*impaired_);
  if (registrar_) {
    // The other shards have stopped (stop_shards): what this one held no longer matters.
    parts_->tcp().set_flow_observer(nullptr);
    parts_->udp().set_flow_observer(nullptr);
  }
  parts_.reset();
  tapped_.reset();
  pcap_.reset();
  comments_.reset();
  events_.reset();
  impaired_.reset();
  router_.reset();
  device_.reset();
}

DeviceSession::DeviceSession(const DeviceSetup& setup, const TransportConfig& transports)
    : setup_(setup) {
  if (!setup_.device.netns.empty()) {
    netns_ = std::make_unique<tun::NetnsOwner>(setup_.device.netns, setup_.create_netns);
  }
  auto first = std::make_unique<tun::TunDevice>(setup_.device);
  tun::TunDevice& dev = *first;
  if (!setup_.peers.empty()) {
    tun::NetnsScope in(setup_.device.netns);
    for (const auto& peer : setup_.peers) {
      if (tun::add_link_address(dev.name(), peer) && !dev.created()) added_peers_.push_back(peer);
    }
  }
  static_assert(kMaxQueues <= tun::FlowOwners::kMaxShards, "a bit per shard in FlowOwners");
  ShardRouting routing;
  if (setup_.queues > 1) {
    owners_ = std::make_unique<tun::FlowOwners>(setup_.seed);
    routing.owners = owners_.get();
    for (std::size_t k = 0; k < setup_.queues; ++k) {
      inboxes_.push_back(std::make_unique<tun::ShardInbox>());
      routing.inboxes.push_back(inboxes_.back().get());
    }
  }
  const ShardRouting* routed = setup_.queues > 1 ? &routing : nullptr;
  shards_.push_back(
      std::make_unique<DeviceShard>(setup_, 0, std::move(first), transports, MacAddr{}, routed));
  // Further queues attach to the device the first one made or found (by its name: the kernel
  // may have picked it).
  tun::TunConfig more = setup_.device;
  more.name = dev.name();
  more.extra_queue = true;
  for (std::size_t k = 1; k < setup_.queues; ++k) {
    shards_.push_back(std::make_unique<DeviceShard>(
        setup_, k, std::make_unique<tun::TunDevice>(more), transports, stack().mac(), routed));
  }
}

DeviceSession::~DeviceSession() {
  // Reverse order of construction: the shard threads, the further queues, the kernel-side
  // addresses we added, the first queue (a device we created disappears with it), then the
  // namespace (if ours).
  stop_shards();
  while (shards_.size() > 1) shards_.pop_back();
  if (!added_peers_.empty()) {
    try {
      tun::NetnsScope in(setup_.device.netns);
      for (const auto& peer : added_peers_) tun::delete_link_address(device().name(), peer);
    } catch (const std::exception&) {
      // The namespace went away under us: nothing of ours is left in it.
    }
  }
  shards_.clear();
  netns_.reset();
}

void DeviceSession::start_shards() {
  if (shards_.size() < 2 || !threads_.empty()) return;
  quit_shards_ = false;
  pin_to_core(0);
  for (std::size_t k = 1; k < shards_.size(); ++k) {
    DeviceShard* shard = shards_[k].get();
    threads_.emplace_back([this, shard] {
      pin_to_core(shard->index());
      tun::AsioRuntime& rt = shard->runtime();
      // SIGINT/SIGTERM stop every runtime (each has its signal_set); the session decides when
      // a shard ends (stop_shards), so the shard goes on answering until then.
      for (;;) {
        rt.run();
        if (quit_shards_) break;
        rt.resume();
      }
    });
  }
}

void DeviceSession::stop_shards() {
  if (threads_.empty()) return;
  quit_shards_ = true;
  for (std::size_t k = 1; k < shards_.size(); ++k) {
    tun::AsioRuntime* rt = &shards_[k]->runtime();
    boost::asio::post(rt->io_context(), [rt] { rt->stop(); });
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::vector<std::string> DeviceSession::on_each_shard(
    const std::function<std::string(DeviceShard&)>& f) {
  std::vector<std::string> out(shards_.size());
  if (threads_.empty()) {
    for (std::size_t k = 0; k < shards_.size(); ++k) out[k] = f(*shards_[k]);
    return out;
  }
  // A running shard is touched only on its own thread: post there, wait for the answer (the
  // shards never wait on this thread, so this cannot deadlock).
  std::vector<std::future<std::string>> answers;
  for (std::size_t k = 1; k < shards_.size(); ++k) {
    auto p = std::make_shared<std::promise<std::string>>();
    answers.push_back(p->get_future());
    DeviceShard* shard = shards_[k].get();
    boost::asio::post(shard->runtime().io_context(), [p, shard, &f] {
      try {
        p->set_value(f(*shard));
      } catch (...) {
        p->set_exception(std::current_exception());
      }
    });
  }
  out[0] = f(*shards_[0]);
  for (std::size_t k = 1; k < shards_.size(); ++k) out[k] = answers[k - 1].get();
  return out;
}

std::uint64_t DeviceSession::shard_handoffs() {
  std::uint64_t sum = 0;
  for (const std::string& n : on_each_shard([](DeviceShard& shard) {
         return std::to_string(counter_value(shard.counters_text(), "Device", "shard_handoffs"));
       })) {
    sum += std::stoull(n);
  }
  return sum;
}

void DeviceSession::wait_for_usable_addresses(Duration limit) {
  auto settled = [this] {
    for (const auto& a : setup_.addrs) {
      if (stack().address_state(a.addr) == AddressState::kTentative) return false;
    }
    return true;
  };
  if (!settled()) runtime().run_until(settled, runtime().now() + limit);
}

std::string DeviceSession::removal_summary() const {
  std::string s;
  auto add = [&s](const std::string& what) { s += (s.empty() ? "" : ", ") + what; };
  const tun::TunDevice& dev = shards_[0]->device();
  if (dev.created()) {
    add((dev.mode() == tun::TunMode::kTun ? "tun " : "tap ") + dev.name());
  }
  for (const auto& peer : added_peers_) add("kernel-side address " + peer.to_string());
  if (netns_created()) add("netns " + setup_.device.netns);
  return s;
}

StackSession::StackSession(const DeviceSetup& setup, Device& dev, const TransportConfig& transports,
                           Tracer* tracer, std::size_t shard, MacAddr mac) {
  const std::uint64_t seed = shard_seed(setup.seed, shard);
  StackConfig cfg;
  cfg.seed = seed;
  cfg.transparent = setup.transparent;
  cfg.relay_echo = setup.transparent;  // the sandbox relays pings too (IcmpRelay)
  cfg.queue_router_solicits = setup.router_solicits;
  if (setup.transparent) {
    // The sandbox is the namespace's router (Linux with forwarding=1): it solicits no router
    // (RFC 4861 §6.3.7 is a host's) and takes no address from a guest's advertisements.
    cfg.max_rtr_solicitations = 0;
    cfg.slaac = false;
  }
  if (shard > 0) {
    // One interface in N shards: shard 0's MAC, and shard 0 alone does the interface's duplicate
    // address detection (waited for by run_with_setup) and router solicitations.
    cfg.mac = mac;
    cfg.dad_transmits = 0;
    cfg.max_rtr_solicitations = 0;
  }
  stack_ = std::make_unique<Stack>(cfg, dev);
  stack_->set_tracer(tracer);
  for (const auto& a : setup.addrs) stack_->add_address(a);
  for (const auto& gw : setup.gateways) stack_->set_default_gateway(gw);
  TcpLayerConfig tcp_cfg = transports.tcp;
  tcp_cfg.seed = seed;
  tcp_cfg.coalesce_acks = setup.coalesce_acks;
  if (setup.tcp_rmem) tcp_cfg.rmem = setup.tcp_rmem;
  if (setup.tcp_wmem) tcp_cfg.wmem = setup.tcp_wmem;
  tcp_ = std::make_unique<TcpLayer>(tcp_cfg, tracer);
  stack_->register_transport(*tcp_);
  UdpLayerConfig udp_cfg = transports.udp;
  udp_cfg.seed = seed;  // UdpLayer derives its own keys from it
  udp_ = std::make_unique<UdpLayer>(udp_cfg, tracer);
  stack_->register_transport(*udp_);
  ResolverConfig dns_cfg = setup.resolver;
  dns_cfg.force_tcp = dns_cfg.force_tcp || transports.dns_force_tcp;
  // Its own stream of randomness (query IDs), not the transports'.
  resolver_ = std::make_unique<Resolver>(dns_cfg, setup.hosts, *udp_, *tcp_, *stack_,
                                         seed ^ 0x646e732d73656564ull);  // "dns-seed"
  stack_->add_poller(*resolver_);
}

StackSession::~StackSession() {
  // The resolver closes its sockets on the transports; the stack refers to the transports.
  stack_->remove_poller(*resolver_);
  resolver_.reset();
  stack_.reset();
  udp_.reset();
  tcp_.reset();
}

bool DeviceSession::netns_created() const { return netns_ && netns_->created(); }

std::vector<IpVersion> DeviceSession::families() const {
  bool v4 = false, v6 = false;
  for (const auto& a : setup_.addrs) (a.addr.is_v4() ? v4 : v6) = true;
  std::vector<IpVersion> out;
  if (v4) out.push_back(IpVersion::kV4);
  if (v6) out.push_back(IpVersion::kV6);
  return out;
}

std::string DeviceSession::describe() const {
  DeviceShard& first = *shards_[0];
  const tun::TunDevice& dev = first.device();
  std::string s = dev.mode() == tun::TunMode::kTun ? "tun " : "tap ";
  s += dev.name();
  s += dev.created() ? " (created)" : " (attached)";
  if (!setup_.device.netns.empty()) {
    s += " in netns " + setup_.device.netns + (netns_created() ? " (created)" : "");
  }
  s += ", mtu " + std::to_string(first.stack().mtu());
  s += ", offload " + dev.offload_state().describe();
  if (shards_.size() > 1) s += ", queues " + std::to_string(shards_.size());
  if (dev.mode() == tun::TunMode::kTap) s += ", mac " + first.stack().mac().to_string();
  s += ", addresses";
  for (const auto& a : setup_.addrs) s += " " + a.to_string();
  for (const auto& gw : setup_.gateways) s += ", gateway " + gw.to_string();
  if (!setup_.peers.empty()) {
    s += ", kernel side";
    for (const auto& p : setup_.peers) s += " " + p.to_string();
  }
  if (!setup_.events.empty()) s += ", events " + setup_.events;
  if (!setup_.pcap.empty()) {
    s += ", pcap " + setup_.pcap;
    if (setup_.pcap_snaplen != kPcapMaxSnaplen) {
      s += " (snaplen " + std::to_string(setup_.pcap_snaplen) + ")";
    }
    if (setup_.pcap_rotate_bytes != 0) {
      s += " (new file every " + std::to_string(setup_.pcap_rotate_bytes / 1'000'000) + " MB)";
    }
  }
  if (setup_.impaired()) {
    s += ", impair in " + setup_.impair_in.to_string() + " out " + setup_.impair_out.to_string();
  }
  s += ", seed " + std::to_string(setup_.seed);
  return s;
}

std::string DeviceShard::counters_text() const {
  std::string s = parts_->stack().counters().to_string();
  s += services::tcp_counters_text(parts_->tcp().counters(), parts_->tcp().socket_count());
  s += parts_->udp().counters().to_string();
  s += parts_->resolver().counters().to_string();
  const tun::TunStats& d = device_->stats();
  s += "Device:\n";
  auto line = [&s](std::uint64_t v, const char* name) { append_counter(s, v, name); };
  line(d.rx_packets, "rx_packets");
  line(d.rx_bytes, "rx_bytes");
  line(d.rx_errors, "rx_errors");
  line(d.tx_packets, "tx_packets");
  line(d.tx_bytes, "tx_bytes");
  line(d.tx_errors, "tx_errors");
  line(d.tx_too_big, "tx_too_big");
  if (d.tx_flow_primes != 0) line(d.tx_flow_primes, "tx_flow_primes");
  if (router_) {
    const tun::ShardRouterCounters& h = router_->counters();
    line(h.handoffs, "shard_handoffs");
    line(h.handoffs_in, "shard_handoffs_in");
    line(h.handoff_drops, "shard_handoff_drops");
    line(h.fragment_handoffs, "shard_fragment_handoffs");
    line(h.reassembled_handoffs, "shard_reassembled_handoffs");
  }
  if (impaired_) s += "Impairment:\n" + impaired_->counters_text();
  s += "Reassembly:\n";
  line(parts_->stack().reassembly_datagrams(), "datagrams_pending");
  line(parts_->stack().reassembly_memory(), "memory_bytes");
  const tun::RuntimeStats& r = runtime_->stats();
  s += "Runtime:\n";
  line(r.batches, "batches");
  line(r.polls, "polls");
  line(r.device_wakeups, "device_wakeups");
  line(r.timer_wakeups, "timer_wakeups");
  line(r.stale_deadlines, "stale_deadlines");
  if (runtime_->busy_poll() != Duration::zero()) {
    line(r.sleeps, "sleeps");
    line(r.busy_poll_hits, "busy_poll_hits");
  }
  return s;
}

std::string DeviceSession::counters_text() {
  if (shards_.size() == 1) return shards_[0]->counters_text();
  std::vector<std::string> texts =
      on_each_shard([](DeviceShard& shard) { return shard.counters_text(); });
  std::string s = sum_counters_text(texts);
  // What each shard carried: the kernel picks a queue per flow, so these show how it spread.
  for (std::size_t k = 0; k < texts.size(); ++k) {
    s += "Shard " + std::to_string(k) + ":\n";
    auto line = [&](const char* section, const char* name) {
      append_counter(s, counter_value(texts[k], section, name), name);
    };
    line("Device", "rx_packets");
    line("Device", "tx_packets");
    line("Tcp", "passive_opens");
    line("Tcp", "active_opens");
    line("Tcp", "rsts_no_socket");
    line("Device", "shard_handoffs");
    line("Device", "shard_handoffs_in");
  }
  return s;
}

void DeviceSession::print_counters(const std::string& command, const std::string& when,
                                   const std::string& extra, FILE* out, bool at_exit) {
  std::fprintf(out, "ustack %s: counters %s:\n%s%send of counters\n", command.c_str(), when.c_str(),
               counters_text().c_str(), extra.c_str());
  std::fflush(out);
  printed_exit_counters_ = printed_exit_counters_ || at_exit;
}

namespace {

const char* exit_reason(int signo) {
  return signo == SIGTERM ? "at exit (SIGTERM)" : signo == SIGINT ? "at exit (SIGINT)" : "at exit";
}

}  // namespace

int DeviceSession::run_until_stopped(const std::string& command,
                                     std::function<std::string()> extra) {
  return run_until_stopped(command, [&extra](DeviceShard& shard) {
    return extra && shard.index() == 0 ? extra() : std::string();
  });
}

int DeviceSession::run_until_stopped(const std::string& command,
                                     std::function<std::string(DeviceShard&)> shard_extra) {
  auto extra_text = [this, &shard_extra] {
    if (!shard_extra) return std::string();
    std::vector<std::string> texts = on_each_shard(shard_extra);
    return texts.size() == 1 ? texts[0] : sum_counters_text(texts);
  };
  runtime().on_signal(
      SIGUSR1, [this, command, extra_text] { print_counters(command, "(SIGUSR1)", extra_text()); });
  std::printf("ustack %s: SIGUSR1 prints counters, SIGINT/SIGTERM stops (pid %d)\n",
              command.c_str(), static_cast<int>(::getpid()));
  std::fflush(stdout);
  int signo = runtime().run();
  // The other shards end here, so the exit counters are their last word.
  stop_shards();
  print_counters(command, exit_reason(signo), extra_text(), stdout, /*at_exit=*/true);
  return 0;
}

DeviceSession::HostAddress DeviceSession::lookup_host(std::string_view host, AddressFamily family) {
  if (std::optional<IpAddr> numeric = IpAddr::parse(host)) {
    bool wrong = (family == AddressFamily::kV4 && !numeric->is_v4()) ||
                 (family == AddressFamily::kV6 && !numeric->is_v6());
    if (wrong)
      return {std::nullopt, "not an IPv" + std::string(numeric->is_v4() ? "6" : "4") + " address"};
    return {numeric, ""};
  }
  std::optional<LookupResult> r = resolver().lookup(runtime(), host, family);
  if (!r) return {std::nullopt, "interrupted"};
  if (r->error) return {std::nullopt, lookup_error_text(*r)};
  if (r->addresses.empty()) return {std::nullopt, "no address"};
  return {r->addresses.front().addr, ""};
}

std::string lookup_error_text(const LookupResult& r) {
  if (!r.error) return "";
  std::string s = std::string(eai_name(*r.error)) + " (" +
                  std::to_string(static_cast<int>(*r.error)) + "): " + eai_message(*r.error);
  if (!r.detail.empty()) s += " (" + r.detail + ")";
  return s;
}

ScopedPoller::ScopedPoller(Stack& stack, Pollable& p) : stack_(stack), p_(p) {
  stack_.add_poller(p_);
}

ScopedPoller::~ScopedPoller() { stack_.remove_poller(p_); }

int run_with_device(const std::string& command, const DeviceOptions& opts,
                    const TransportConfig& transports,
                    const std::function<int(DeviceSession&)>& body, FILE* status) {
  ValidationResult v = validate_device_options(opts);
  if (!v.setup) return usage_error(v.error);
  for (const std::string& w : v.setup->warnings) {
    std::fprintf(stderr, "ustack %s: warning: %s\n", command.c_str(), w.c_str());
  }
  return run_with_setup(command, *v.setup, transports, body, status);
}

int run_with_setup(const std::string& command, const DeviceSetup& setup,
                   const TransportConfig& transports,
                   const std::function<int(DeviceSession&)>& body, FILE* status) {
  // SIGINT/SIGTERM during bring-up would skip teardown (a namespace we created would stay):
  // block them until the runtime's signal_set takes over, which unblocks below.
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);
  sigprocmask(SIG_BLOCK, &stop_signals, &previous);
  DeviceSetup named = setup;
  named.events_tool = command;  // the events file's header names the command that wrote it
  std::unique_ptr<DeviceSession> session;
  try {
    session = std::make_unique<DeviceSession>(named, transports);
  } catch (const std::exception& e) {
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    std::fprintf(stderr, "ustack %s: %s\n", command.c_str(), e.what());
    return 1;
  }
  // SIGUSR1 prints the counters in every command (run_until_stopped adds its services' own).
  session->runtime().on_signal(SIGUSR1, [&session, &command, status] {
    session->print_counters(command, "(SIGUSR1)", "", status);
  });
  sigprocmask(SIG_SETMASK, &previous, nullptr);
  int rc = 0;
  try {
    session->start_shards();
    session->wait_for_usable_addresses(Duration::seconds(5));
    rc = body(*session);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ustack %s: %s\n", command.c_str(), e.what());
    rc = 1;
  }
  session->stop_shards();
  int signo = session->runtime().stop_signal();
  if ((signo == SIGINT || signo == SIGTERM) && !session->printed_exit_counters()) {
    session->print_counters(command, exit_reason(signo), "", status, /*at_exit=*/true);
  }
  std::string removed = session->removal_summary();
  session.reset();
  if (!removed.empty()) {
    std::fprintf(status, "ustack %s: removed %s\n", command.c_str(), removed.c_str());
    std::fflush(status);
  }
  return rc;
}

}  // namespace ustack::tools
