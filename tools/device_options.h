// The device options every `ustack` subcommand that runs a stack shares (up, serve, connect,
// resolve, udp, ...): which TUN/TAP device, in which namespace, our addresses, the kernel side's
// addresses, gateway, MTU, pcap and seed; and the bring-up/teardown that goes with them: the
// Stack with its transports (TCP, UDP) registered, driven by the runtime.
//
//   DeviceOptions opts;
//   add_device_options(app, opts);                          // in the Subcommand setup
//   add_resolver_options(app, opts);                        // if it looks names up
//   ...
//   return run_with_device("serve", opts, [&](DeviceSession& s) {   // in the runner
//     ... s.stack(), s.tcp(), s.udp(), s.runtime().run_until(...) ...
//     return 0;
//   });
//
// Namespace rule: --netns NAME enters NAME, creating it when missing (and deleting it at exit
// only if we created it). --no-create turns that off for both namespace and device: the
// namespace and the device must already exist (the benchmark rig's way; "network namespace
// foo does not exist" / "device bgv0 does not exist" otherwise). Without --no-create a missing
// device is created (and removed at exit), an existing one is attached and left as found.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "stack/base/addr.h"
#include "stack/dns/hosts.h"
#include "stack/dns/resolver.h"
#include "stack/dns/resolver_config.h"
#include "stack/impair/impair_spec.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/udp/udp_layer.h"
#include "tools/pcap_options.h"
#include "tun/tun_device.h"

namespace ustack {
class Pollable;
template <typename T>
class PollableRef;
class Resolver;
struct LookupResult;
class Stack;
class Device;
class ImpairedDevice;
class PacketTap;
class PcapTapDevice;
class Tracer;
}  // namespace ustack

namespace ustack::tun {
class AsioRuntime;
class FlowOwners;
class FlowRegistrar;
class NetnsOwner;
class ShardInbox;
class ShardRouterDevice;
class TcpSegmentComments;
}  // namespace ustack::tun

namespace ustack::tools {

// As typed on the command line.
struct DeviceOptions {
  std::string tun;
  std::string tap;
  std::string netns;
  bool no_create = false;
  std::vector<std::string> addrs;
  std::vector<std::string> peers;
  std::vector<std::string> gateways;
  std::optional<std::int64_t> mtu;
  std::optional<std::int64_t> txqueuelen;
  // --offload / --no-offload: IFF_VNET_HDR with checksum and TCP segmentation offload (on by
  // default, off under --impair).
  bool offload = false;
  bool no_offload = false;
  bool no_uso = false;             // --no-uso: no UDP super-packets even where the kernel has USO
  bool no_ack_coalescing = false;  // --no-ack-coalescing: TcpLayerConfig::coalesce_acks off
  // --tcp-rmem / --tcp-wmem MIN,DEF,MAX: as typed (net.ipv4.tcp_rmem / tcp_wmem).
  std::string tcp_rmem;
  std::string tcp_wmem;
  // --busy-poll USEC: the runtime polls without sleeping for USEC after work (0: off).
  std::optional<std::int64_t> busy_poll_us;
  // --queues N: IFF_MULTI_QUEUE, N queues of the device, one stack shard per queue and thread.
  std::optional<std::int64_t> queues;
  std::string pcap;
  std::optional<std::int64_t> snaplen;    // --snaplen N: octets kept of each packet in --pcap
  std::optional<std::int64_t> pcap_size;  // --pcap-size MB: rotate --pcap like tcpdump -C
  std::string events;                     // --events FILE: the tracer's events (docs/events.md)
  std::optional<std::uint64_t> seed;
  std::string seed_text;  // as typed: "-1" is accepted (it wraps) but warned about
  // Impairment specs (stack/impair/impair_spec.h): --impair for both directions, --impair-in
  // and --impair-out replace it for one.
  std::string impair;
  std::string impair_in;
  std::string impair_out;
  // The resolver's (ustack's own: never the host's /etc/resolv.conf or /etc/hosts).
  std::vector<std::string> nameservers;
  std::string resolv_conf;
  std::string hosts;
};

// Adds --tun --tap --netns --no-create --addr --peer --gw --mtu --txqueuelen --offload
// --no-offload --no-uso --no-ack-coalescing --tcp-rmem --tcp-wmem --busy-poll --queues --pcap
// --snaplen --pcap-size --events --seed --impair --impair-in --impair-out to `app`.
void add_device_options(CLI::App& app, DeviceOptions& opts);
// Adds the resolver's --nameserver --resolv-conf --hosts: only commands that look names up
// take them, so each command's help lists only what it uses.
void add_resolver_options(CLI::App& app, DeviceOptions& opts);

// --queues' upper bound (the kernel allows 256 queues; a shard per core is the point).
inline constexpr std::size_t kMaxQueues = 64;
// --txqueuelen: the default for a device ustack creates, and the largest accepted.
inline constexpr std::size_t kCreatedTxQueueLen = 4096;
inline constexpr std::int64_t kMaxTxQueueLen = 1000000;
// --busy-poll's upper bound in microseconds (Linux's net.core.busy_poll is usually 50).
inline constexpr std::int64_t kMaxBusyPollUs = 100'000;
// "" or the usage error for --busy-poll `us`.
std::string check_busy_poll(std::int64_t us);

// Checked and parsed.
struct DeviceSetup {
  tun::TunConfig device;
  // Queues of the device (IFF_MULTI_QUEUE when more than 1), one stack shard each.
  std::size_t queues = 1;
  bool create_netns = true;
  std::vector<IpCidr> addrs;
  std::vector<IpCidr> peers;
  std::vector<IpAddr> gateways;  // at most one per family
  std::string pcap;
  std::uint32_t pcap_snaplen = kPcapMaxSnaplen;
  std::uint64_t pcap_rotate_bytes = 0;  // 0: one file, however large
  std::string events;  // write every tracer event here (docs/events.md); "" = no tracer
  std::string events_tool = "ustack";  // the header's "tool": the command (run_with_device)
  std::uint64_t seed = 0;
  bool seed_given = false;
  // What the device does to packets the stack receives (in) and sends (out); none by default.
  ImpairSpec impair_in;
  ImpairSpec impair_out;
  // StackConfig::transparent: TCP/UDP to any address are ours (`ustack sandbox`'s gateway).
  bool transparent = false;
  // StackConfig::queue_router_solicits: a router's side of NDP (`ustack sandbox
  // --router-advertisements` answers the solicitations).
  bool router_solicits = false;
  // TcpLayerConfig::coalesce_acks: the device commands set it from --no-ack-coalescing (on by
  // default); sessions built in memory (tests, replay's own recordings) keep the core's
  // per-segment answers.
  bool coalesce_acks = false;
  // TcpLayerConfig::rmem / wmem: the device commands auto-tune socket buffers from Linux's
  // starting sizes to lower ceilings (kUstackTcpRmem / kUstackTcpWmem) unless --tcp-rmem /
  // --tcp-wmem say otherwise; in-memory sessions keep the core's fixed buffers.
  std::optional<TcpBufferSysctl> tcp_rmem;
  std::optional<TcpBufferSysctl> tcp_wmem;
  // AsioRuntime::set_busy_poll for every shard's runtime (--busy-poll; zero: off).
  Duration busy_poll = Duration::zero();
  bool impaired() const { return !impair_in.is_none() || !impair_out.is_none(); }
  // The resolver: --resolv-conf's settings, its nameservers replaced by --nameserver's; with
  // neither, the --gw addresses, else the --peer addresses, else the first address of each
  // --addr subnet (198.18.0.1 for 198.18.0.2/24): the kernel side of the usual setup.
  ResolverConfig resolver;
  HostsTable hosts;
  // What --resolv-conf and --hosts did not understand ("--hosts F: line 3: bad address ..."),
  // printed once to stderr by run_with_device.
  std::vector<std::string> warnings;
};

// The parsed setup, or the error message (without the "ustack CMD: " prefix), e.g.
// "--mtu 70000 out of range (68..65535)". Reads the --resolv-conf and --hosts files (an
// unreadable one is an error); nothing else touches the system.
struct ValidationResult {
  std::optional<DeviceSetup> setup;
  std::string error;
};
ValidationResult validate_device_options(const DeviceOptions& opts);

// What a command chooses for the transports of its session (socket defaults, SYN retries, port
// ranges). The seeds are the session's (--seed), whatever is set here.
struct TransportConfig {
  TcpLayerConfig tcp;
  UdpLayerConfig udp;
  bool dns_force_tcp = false;  // every resolver query over TCP (`resolve --tcp`)
};

// The part of a session that does not depend on the device: the Stack on `dev` with the
// setup's addresses and gateways, its TCP and UDP layers registered (seeded from the setup),
// and the DNS resolver over them (a poller of the Stack). DeviceSession runs one on a TUN/TAP
// device, usocket's in-memory networks on one end of a Link.
class StackSession {
 public:
  // `tracer` (may be null) gets the Stack's and the transports' events. `shard` > 0: a further
  // shard of a --queues session (DeviceShard), seeded apart, with `mac`, no DAD nor RS.
  StackSession(const DeviceSetup& setup, Device& dev, const TransportConfig& transports = {},
               Tracer* tracer = nullptr, std::size_t shard = 0, MacAddr mac = {});
  ~StackSession();
  StackSession(const StackSession&) = delete;
  StackSession& operator=(const StackSession&) = delete;

  Stack& stack() { return *stack_; }
  TcpLayer& tcp() { return *tcp_; }
  UdpLayer& udp() { return *udp_; }
  Resolver& resolver() { return *resolver_; }

 private:
  std::unique_ptr<TcpLayer> tcp_;
  std::unique_ptr<UdpLayer> udp_;
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<Resolver> resolver_;
};

// What the shards of a --queues session share to steer each packet to the shard holding its
// flow (tun/shard_router.h): the flow owners and every shard's inbox.
struct ShardRouting {
  tun::FlowOwners* owners = nullptr;
  std::vector<tun::ShardInbox*> inboxes;
};

// One queue of the device and the stack that serves it: the queue's TunDevice, impairments
// (--impair: an ImpairedDevice around it, polled by the Stack so its held packets wake the
// runtime), pcap recording (on the stack's side of the impairment), the --events tracer, the
// Stack with our addresses and routes, its transports, the resolver, and the runtime driving it.
// Shard 0 runs on the thread that made the session; with --queues N, DeviceSession runs shards
// 1..N-1 on threads of their own. Nothing in a shard is shared with another (stack/ knows no
// threads): each has the same addresses and listeners and answers whatever its queue delivers.
class DeviceShard {
 public:
  // `index` > 0: seeded apart from shard 0 (setup.seed mixed with the index), `mac` for its
  // Stack (shard 0's: one interface), no duplicate address detection or router solicitations of
  // its own (shard 0 does them for the interface), and --pcap/--events files FILE.index.
  // `routing` (--queues N > 1): the queue is read through a ShardRouterDevice, the transports
  // report their flows to the shared owners and the runtime wakes for the shard's inbox.
  DeviceShard(const DeviceSetup& setup, std::size_t index, std::unique_ptr<tun::TunDevice> dev,
              const TransportConfig& transports, MacAddr mac = {},
              const ShardRouting* routing = nullptr);
  ~DeviceShard();
  DeviceShard(const DeviceShard&) = delete;
  DeviceShard& operator=(const DeviceShard&) = delete;

  std::size_t index() const { return index_; }
  Stack& stack() { return parts_->stack(); }
  TcpLayer& tcp() { return parts_->tcp(); }
  UdpLayer& udp() { return parts_->udp(); }
  Resolver& resolver() { return parts_->resolver(); }
  tun::AsioRuntime& runtime() { return *runtime_; }
  tun::TunDevice& device() { return *device_; }
  // Stack, TCP, UDP and resolver counters (netstat -s style) plus device and runtime counters.
  std::string counters_text() const;

 private:
  class TransportFlows;  // tun::LocalFlows over parts_'s transports

  std::size_t index_;
  std::unique_ptr<tun::TunDevice> device_;
  std::unique_ptr<TransportFlows> local_flows_;
  std::unique_ptr<tun::ShardRouterDevice> router_;
  std::unique_ptr<tun::FlowRegistrar> registrar_;
  std::unique_ptr<ImpairedDevice> impaired_;
  std::unique_ptr<PacketTap> pcap_;
  std::unique_ptr<PcapTapDevice> tapped_;
  std::unique_ptr<Tracer> events_;  // --events
  // --pcap FILE.pcapng: the stack's tracer, explaining sent segments (forwards to events_).
  std::unique_ptr<tun::TcpSegmentComments> comments_;
  std::unique_ptr<StackSession> parts_;
  std::unique_ptr<PollableRef<Stack>> pollable_;
  std::unique_ptr<tun::AsioRuntime> runtime_;
};

// --pcap and --events of shard `index` out of `queues`: `path` itself with one queue, else
// "path.index" (one file per shard).
std::string shard_path(const std::string& path, std::size_t index, std::size_t queues);

// A running stack on a device: namespace (created if needed), TUN/TAP device, kernel-side
// addresses and one DeviceShard per queue (one without --queues). stack(), runtime() ... are
// shard 0's, which runs on the calling thread. The destructor undoes what the constructor did, in
// reverse order: the device goes away if we created it, the namespace if we created it.
class DeviceSession {
 public:
  // Throws tun::SysError (or std::runtime_error) with a one-line message.
  explicit DeviceSession(const DeviceSetup& setup, const TransportConfig& transports = {});
  ~DeviceSession();
  DeviceSession(const DeviceSession&) = delete;
  DeviceSession& operator=(const DeviceSession&) = delete;

  Stack& stack() { return shards_[0]->stack(); }
  TcpLayer& tcp() { return shards_[0]->tcp(); }
  UdpLayer& udp() { return shards_[0]->udp(); }
  Resolver& resolver() { return shards_[0]->resolver(); }
  tun::AsioRuntime& runtime() { return shards_[0]->runtime(); }
  tun::TunDevice& device() { return shards_[0]->device(); }
  const DeviceSetup& setup() const { return setup_; }
  bool netns_created() const;
  // The families we have an --addr of, IPv4 first (a listener needs a socket per family:
  // IPv6 sockets are V6ONLY).
  std::vector<IpVersion> families() const;
  MacAddr mac() const { return mac_; }

  // --queues: the shards, shard(0) being the one stack() and runtime() name.
  std::size_t shard_count() const { return shards_.size(); }
  DeviceShard& shard(std::size_t k) { return *shards_[k]; }
  // Starts shards 1..N-1, each on a thread of its own pinned to a core where the affinity mask
  // allows (shard 0, on the calling thread, to the first). Done by run_with_setup before the
  // command's body; nothing without --queues.
  void start_shards();
  // Stops and joins the shard threads (idempotent); a stop by signal does not end a shard's
  // thread, only this does.
  void stop_shards();
  // Runs `f` on every shard, each on its own thread (shard 0 here), and returns the results in
  // shard order: the way to touch a running shard (set up services, read counters).
  std::vector<std::string> on_each_shard(const std::function<std::string(DeviceShard&)>& f);
  // --queues: packets the shards received for a flow another shard held and handed over
  // (the Device counter shard_handoffs, summed).
  std::uint64_t shard_handoffs();

  // "tun ust0 in netns foo (created), mtu 1500, addresses 198.18.0.2/24 fd00:1::2/64, seed 7"
  std::string describe() const;
  // Shard 0's counters; with --queues N every shard's summed, then a "Shard K:" section per
  // shard with its own device packets and TCP opens.
  std::string counters_text();
  // Prints "ustack COMMAND: counters WHEN:", counters_text() and `extra`, "end of counters" to
  // `out` (the block tools/integration's dump_counters reads). `at_exit` notes that the final
  // counters are out (run_with_device prints them otherwise when a signal stopped the loop).
  void print_counters(const std::string& command, const std::string& when,
                      const std::string& extra = "", FILE* out = stdout, bool at_exit = false);
  bool printed_exit_counters() const { return printed_exit_counters_; }
  // RFC 4862 §5.4: an IPv6 address is tentative until duplicate address detection ends (about
  // a second on a TAP device) and cannot be a source meanwhile, so a command that connects at
  // once would find none. Runs the loop until no --addr is tentative (at most `limit`).
  void wait_for_usable_addresses(Duration limit);
  // What the destructor will remove that this session created or added: "tun ust0, netns demo,
  // kernel-side address 198.18.0.1/24" (empty if it only attached).
  std::string removal_summary() const;
  // For a command that runs until stopped (after printing its "ready" line): says how to stop
  // it, runs the loop until SIGINT/SIGTERM or runtime().stop(), printing the counters (and
  // `extra()`) on SIGUSR1 and at the end, then stops the other shards. Returns 0.
  int run_until_stopped(const std::string& command, std::function<std::string()> extra = {});
  // The same with `extra(shard)` per shard (called on the shard's thread), summed as counters.
  int run_until_stopped(const std::string& command,
                        std::function<std::string(DeviceShard&)> shard_extra);

  // `host` as an address: a numeric address, or a name looked up through resolver() (running
  // the loop until it is answered), its first address in RFC 6724 order. On failure the error
  // as lookup_error_text() words it.
  struct HostAddress {
    std::optional<IpAddr> addr;
    std::string error;
  };
  HostAddress lookup_host(std::string_view host, AddressFamily family = AddressFamily::kUnspec);

 private:
  DeviceSetup setup_;
  MacAddr mac_;
  std::unique_ptr<tun::NetnsOwner> netns_;
  // --queues N > 1: who holds which flow, and each shard's inbox (they outlive the shards).
  std::unique_ptr<tun::FlowOwners> owners_;
  std::vector<std::unique_ptr<tun::ShardInbox>> inboxes_;
  std::vector<std::unique_ptr<DeviceShard>> shards_;
  std::vector<std::thread> threads_;  // shards 1..N-1 while started
  std::atomic<bool> quit_shards_{false};
  // --peer addresses this session put on a device it attached to (--no-create): removed at the
  // end, as a created device takes its addresses with it.
  std::vector<IpCidr> added_peers_;
  bool printed_exit_counters_ = false;
};

// Validates `opts`, brings the session up, runs `body`, tears down. Errors become one line on
// stderr, "ustack <command>: <message>", and exit code 1 (2 for bad options). Every command
// handles the signals alike: SIGUSR1 prints the counters, SIGINT/SIGTERM stop the loop and the
// counters are printed at exit; the teardown says what it removed. These go to `status`:
// stdout, or stderr for a command whose stdout carries data (connect, resolve, udp send).
int run_with_device(const std::string& command, const DeviceOptions& opts,
                    const TransportConfig& transports,
                    const std::function<int(DeviceSession&)>& body, FILE* status = stdout);
inline int run_with_device(const std::string& command, const DeviceOptions& opts,
                           const std::function<int(DeviceSession&)>& body, FILE* status = stdout) {
  return run_with_device(command, opts, TransportConfig{}, body, status);
}
// The same for a setup a command built itself (`ustack sandbox`), without validation.
int run_with_setup(const std::string& command, const DeviceSetup& setup,
                   const TransportConfig& transports,
                   const std::function<int(DeviceSession&)>& body, FILE* status = stdout);

// "EAI_NONAME (-2): Name or service not known (NXDOMAIN from 198.18.0.1)" for a failed lookup.
std::string lookup_error_text(const LookupResult& r);

// Runs `p` in every Stack::poll() (Stack::add_poller) for as long as it lives: services that
// must answer a datagram in the poll that delivered it.
class ScopedPoller {
 public:
  ScopedPoller(Stack& stack, Pollable& p);
  ~ScopedPoller();
  ScopedPoller(const ScopedPoller&) = delete;
  ScopedPoller& operator=(const ScopedPoller&) = delete;

 private:
  Stack& stack_;
  Pollable& p_;
};

}  // namespace ustack::tools
