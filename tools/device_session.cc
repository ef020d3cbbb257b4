// DeviceSession: bring-up and teardown of namespace, device, pcap, Stack, transports and
// runtime.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "stack/dns/resolver.h"
#include "stack/impair/impaired_device.h"
#include "stack/pcap_tap_device.h"
#include "stack/stack.h"
#include "tools/device_options.h"
#include "tools/events/event_json.h"
#include "tools/services/tcp_cli.h"
#include "tools/usage_error.h"
#include "tun/link.h"
#include "tun/netns.h"
#include "tun/pcap_comments.h"
#include "tun/pcap_file.h"
#include "tun/runtime.h"
#include "tun/sys_error.h"

namespace ustack::tools {

DeviceSession::DeviceSession(const DeviceSetup& setup, const TransportConfig& transports)
    : setup_(setup) {
  if (!setup_.device.netns.empty()) {
    netns_ = std::make_unique<tun::NetnsOwner>(setup_.device.netns, setup_.create_netns);
  }
  device_ = std::make_unique<tun::TunDevice>(setup_.device);
  if (!setup_.peers.empty()) {
    tun::NetnsScope in(setup_.device.netns);
    for (const auto& peer : setup_.peers) {
      if (tun::add_link_address(device_->name(), peer) && !device_->created()) {
        added_peers_.push_back(peer);
      }
    }
  }
  Device* dev = device_.get();
  if (setup_.impaired()) {
    impaired_ = std::make_unique<ImpairedDevice>(*device_, setup_.impair_in, setup_.impair_out,
                                                 setup_.seed);
    dev = impaired_.get();
  }
  // The pcap sits on the stack's side of the impairment: it shows what the stack sent and what
  // reached it (a tcpdump in the namespace shows the kernel's side).
  if (!setup_.events.empty()) {
    events_ = std::make_unique<events::JsonLinesTracer>(setup_.events, setup_.events_tool);
  }
  Tracer* tracer = events_.get();
  if (!setup_.pcap.empty()) {
    // Wall-clock timestamps, so the file lines up with a tcpdump taken at the same time.
    const Medium medium = device_->caps().medium;
    tun::PcapWriterOptions pcap_options;
    pcap_options.snaplen = setup_.pcap_snaplen;
    // pcapng (a .pcapng name): the interface described, each sent TCP segment explained.
    pcap_options.if_name = device_->name();
    pcap_options.if_description =
        std::string("ustack ") + (medium == Medium::kEthernet ? "tap " : "tun ") + device_->name();
    for (const IpCidr& a : setup_.addrs) pcap_options.if_description += " " + a.to_string();
    auto pcap = std::make_unique<tun::PcapTapWriter>(setup_.pcap, medium, pcap_options,
                                                     tun::steady_clock_epoch_offset(),
                                                     setup_.pcap_rotate_bytes);
    if (pcap->writer().format() == tun::CaptureFormat::kPcapng) {
      comments_ = std::make_unique<tun::TcpSegmentComments>(medium, events_.get());
      pcap->set_commenter(comments_.get());
      tracer = comments_.get();
    }
    pcap_ = std::move(pcap);
    tapped_ = std::make_unique<PcapTapDevice>(*dev, *pcap_);
    dev = tapped_.get();
  }
  parts_ = std::make_unique<StackSession>(setup_, *dev, transports, tracer);
  // Held packets have no fd to wake the runtime: as a poller of the Stack, the wrapper's next
  // release is part of Stack::poll_at(), where the runtime arms its timer.
  if (impaired_) parts_->stack().add_poller(*impaired_);
  pollable_ = std::make_unique<PollableRef<Stack>>(parts_->stack());
  runtime_ = std::make_unique<tun::AsioRuntime>(*pollable_, device_->fd());
}

DeviceSession::~DeviceSession() {
  // Reverse order of construction: stop driving, drop the stack and its transports, close the
  // pcap, close the device (a device we created disappears with its fd), then the namespace
  // (if ours).
  runtime_.reset();
  pollable_.reset();
  if (impaired_) parts_->stack().remove_poller(*impaired_);
  parts_.reset();
  tapped_.reset();
  pcap_.reset();
  comments_.reset();
  events_.reset();
  impaired_.reset();
  if (!added_peers_.empty()) {
    try {
      tun::NetnsScope in(setup_.device.netns);
      for (const auto& peer : added_peers_) tun::delete_link_address(device_->name(), peer);
    } catch (const std::exception&) {
      // The namespace went away under us: nothing of ours is left in it.
    }
  }
  device_.reset();
  netns_.reset();
}

void DeviceSession::wait_for_usable_addresses(Duration limit) {
  auto settled = [this] {
    for (const auto& a : setup_.addrs) {
      if (parts_->stack().address_state(a.addr) == AddressState::kTentative) return false;
    }
    return true;
  };
  if (!settled()) runtime_->run_until(settled, runtime_->now() + limit);
}

std::string DeviceSession::removal_summary() const {
  std::string s;
  auto add = [&s](const std::string& what) { s += (s.empty() ? "" : ", ") + what; };
  if (device_->created()) {
    add((device_->mode() == tun::TunMode::kTun ? "tun " : "tap ") + device_->name());
  }
  for (const auto& peer : added_peers_) add("kernel-side address " + peer.to_string());
  if (netns_created()) add("netns " + setup_.device.netns);
  return s;
}

StackSession::StackSession(const DeviceSetup& setup, Device& dev, const TransportConfig& transports,
                           Tracer* tracer) {
  StackConfig cfg;
  cfg.seed = setup.seed;
  cfg.transparent = setup.transparent;
  cfg.relay_echo = setup.transparent;  // the sandbox relays pings too (IcmpRelay)
  stack_ = std::make_unique<Stack>(cfg, dev);
  stack_->set_tracer(tracer);
  for (const auto& a : setup.addrs) stack_->add_address(a);
  for (const auto& gw : setup.gateways) stack_->set_default_gateway(gw);
  TcpLayerConfig tcp_cfg = transports.tcp;
  tcp_cfg.seed = setup.seed;
  tcp_ = std::make_unique<TcpLayer>(tcp_cfg, tracer);
  stack_->register_transport(*tcp_);
  UdpLayerConfig udp_cfg = transports.udp;
  udp_cfg.seed = setup.seed;  // UdpLayer derives its own keys from it
  udp_ = std::make_unique<UdpLayer>(udp_cfg, tracer);
  stack_->register_transport(*udp_);
  ResolverConfig dns_cfg = setup.resolver;
  dns_cfg.force_tcp = dns_cfg.force_tcp || transports.dns_force_tcp;
  // Its own stream of randomness (query IDs), not the transports'.
  resolver_ = std::make_unique<Resolver>(dns_cfg, setup.hosts, *udp_, *tcp_, *stack_,
                                         setup.seed ^ 0x646e732d73656564ull);  // "dns-seed"
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
  std::string s = device_->mode() == tun::TunMode::kTun ? "tun " : "tap ";
  s += device_->name();
  s += device_->created() ? " (created)" : " (attached)";
  if (!setup_.device.netns.empty()) {
    s += " in netns " + setup_.device.netns + (netns_created() ? " (created)" : "");
  }
  s += ", mtu " + std::to_string(parts_->stack().mtu());
  s += ", offload " + device_->offload_state().describe();
  if (device_->mode() == tun::TunMode::kTap) s += ", mac " + parts_->stack().mac().to_string();
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

std::string DeviceSession::counters_text() const {
  std::string s = parts_->stack().counters().to_string();
  s += services::tcp_counters_text(parts_->tcp().counters(), parts_->tcp().socket_count());
  s += parts_->udp().counters().to_string();
  s += parts_->resolver().counters().to_string();
  const tun::TunStats& d = device_->stats();
  s += "Device:\n";
  auto line = [&s](std::uint64_t v, const char* name) {
    s += "    " + std::to_string(v) + " " + name + "\n";
  };
  line(d.rx_packets, "rx_packets");
  line(d.rx_bytes, "rx_bytes");
  line(d.rx_errors, "rx_errors");
  line(d.tx_packets, "tx_packets");
  line(d.tx_bytes, "tx_bytes");
  line(d.tx_errors, "tx_errors");
  line(d.tx_too_big, "tx_too_big");
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
  auto extra_text = [&extra] { return extra ? extra() : std::string(); };
  runtime_->on_signal(
      SIGUSR1, [this, command, extra_text] { print_counters(command, "(SIGUSR1)", extra_text()); });
  std::printf("ustack %s: SIGUSR1 prints counters, SIGINT/SIGTERM stops (pid %d)\n",
              command.c_str(), static_cast<int>(::getpid()));
  std::fflush(stdout);
  int signo = runtime_->run();
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
  std::optional<LookupResult> r = parts_->resolver().lookup(*runtime_, host, family);
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
    session->wait_for_usable_addresses(Duration::seconds(5));
    rc = body(*session);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ustack %s: %s\n", command.c_str(), e.what());
    rc = 1;
  }
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
