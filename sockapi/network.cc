#include "sockapi/network.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <optional>

#include "sockapi/os_error.h"
#include "sockapi/readiness_hub.h"
#include "stack/dns/resolver.h"
#include "stack/fake_runtime.h"
#include "stack/link_device.h"
#include "stack/stack.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/udp/udp_layer.h"
#include "tools/device_options.h"
#include "tun/runtime.h"
#include "tun/sys_error.h"

namespace usocket {

using ustack::Instant;

struct Network::Impl {
  std::optional<NetworkParts> parts;
  std::shared_ptr<void> keep_alive;
  // Declared after keep_alive so it goes first: it refers to the layers keep_alive may own.
  std::unique_ptr<ReadinessHub> hub;
};

namespace {

// The default network: a weak reference, so a program that drops every handle to a network
// really closes it (its device goes away); the next module-level call then says so.
std::weak_ptr<Network::Impl>& default_slot() {
  static std::weak_ptr<Network::Impl> slot;
  return slot;
}

// Parses the CLI's device options from `args` (the words as typed, program name excluded).
ustack::tools::DeviceOptions parse_device_args(const std::vector<std::string>& args) {
  ustack::tools::DeviceOptions opts;
  CLI::App app("usocket network");
  ustack::tools::add_device_options(app, opts);
  ustack::tools::add_resolver_options(app, opts);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw OSError(EINVAL, std::string("bad network options: ") + e.what());
  }
  return opts;
}

ustack::tools::DeviceSetup validate(const ustack::tools::DeviceOptions& opts) {
  ustack::tools::ValidationResult v = ustack::tools::validate_device_options(opts);
  if (!v.setup) throw OSError(EINVAL, "bad network options: " + v.error);
  return *v.setup;
}

// A network on a real device: the CLI's DeviceSession, which owns the AsioRuntime.
struct DeviceNetwork {
  explicit DeviceNetwork(const ustack::tools::DeviceSetup& setup) : session(setup) {}
  ustack::tools::DeviceSession session;
};

// A network on one end of a VirtualLab's link: the CLI's StackSession (Stack, transports,
// resolver) polled by the lab's FakeRuntime, taken out of the runtime before it goes away.
struct MemoryNetwork {
  MemoryNetwork(ustack::FakeRuntime& rt, ustack::Device& dev,
                const ustack::tools::DeviceSetup& setup)
      : runtime(rt), parts(setup, dev), pollable(parts.stack()) {
    runtime.add(pollable);
  }
  ~MemoryNetwork() { runtime.remove(pollable); }
  ustack::FakeRuntime& runtime;
  ustack::tools::StackSession parts;
  ustack::PollableRef<ustack::Stack> pollable;
};

}  // namespace

Network::Network(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {
  if (default_slot().expired()) default_slot() = impl_;
}

const NetworkParts& Network::parts() const { return *impl_->parts; }

ReadinessHub& Network::readiness() const { return *impl_->hub; }

Network Network::over(NetworkParts parts, std::shared_ptr<void> keep_alive) {
  auto impl = std::make_shared<Impl>();
  impl->parts.emplace(parts);
  impl->keep_alive = std::move(keep_alive);
  impl->hub = std::make_unique<ReadinessHub>(parts.tcp, parts.udp);
  return Network(std::move(impl));
}

Network Network::open(const std::vector<std::string>& device_args) {
  ustack::tools::DeviceSetup setup = validate(parse_device_args(device_args));
  std::shared_ptr<DeviceNetwork> dn;
  try {
    dn = std::make_shared<DeviceNetwork>(setup);
  } catch (const ustack::tun::SysError& e) {
    throw OSError(e.error_number() != 0 ? e.error_number() : ENODEV, e.what());
  } catch (const std::exception& e) {
    throw OSError(ENODEV, e.what());
  }
  ustack::tools::DeviceSession& s = dn->session;
  return over(NetworkParts{s.stack(), s.tcp(), s.udp(), s.resolver(), s.runtime()}, dn);
}

Network Network::in_memory(VirtualLab& lab, const std::vector<std::string>& args) {
  ustack::tools::DeviceOptions opts = parse_device_args(args);
  if (!opts.tun.empty() || !opts.tap.empty() || !opts.netns.empty() || opts.no_create ||
      !opts.pcap.empty()) {
    throw OSError(EINVAL,
                  "bad network options: an in-memory network takes --addr, --peer, --gw, --mtu, "
                  "--seed, --nameserver and --hosts only (no --tun/--tap/--netns/--no-create/"
                  "--pcap)");
  }
  if (lab.networks_ >= 2) {
    throw OSError(EINVAL, "bad network options: a VirtualLab links two networks, not three");
  }
  opts.tun = "mem0";  // validated like a TUN device; never opened
  ustack::tools::DeviceSetup setup = validate(opts);
  if (!opts.seed) setup.seed = 1 + static_cast<std::uint64_t>(lab.networks_);
  ustack::Device& end = lab.networks_ == 0 ? static_cast<ustack::Device&>(lab.link().a())
                                           : static_cast<ustack::Device&>(lab.link().b());
  ++lab.networks_;
  auto mn = std::make_shared<MemoryNetwork>(lab.runtime(), end, setup);
  ustack::tools::StackSession& p = mn->parts;
  return over(NetworkParts{p.stack(), p.tcp(), p.udp(), p.resolver(), lab.runtime()}, mn);
}

Network default_network() {
  std::shared_ptr<Network::Impl> impl = default_slot().lock();
  if (!impl) throw OSError(ENETDOWN, "no network: call usocket::Network::open() first");
  return Network(std::move(impl));
}

void set_default(const Network& n) { default_slot() = n.impl_; }

// Virtual time starts at 1 s, not 0: nothing in the core mistakes the first instant for "unset".
constexpr Instant kLabStart = Instant::from_nanos(1'000'000'000);

VirtualLab::VirtualLab() : VirtualLab(ustack::LinkConfig{}) {}

VirtualLab::VirtualLab(const ustack::LinkConfig& link)
    : runtime_(std::make_unique<ustack::FakeRuntime>(kLabStart)),
      link_(std::make_unique<ustack::Link>(link)),
      link_pollable_(std::make_unique<ustack::Link::Schedule>(*link_)) {
  runtime_->add(*link_pollable_);
}

VirtualLab::~VirtualLab() { runtime_->remove(*link_pollable_); }

void VirtualLab::advance(ustack::Duration d) { runtime_->advance(d); }

}  // namespace usocket
