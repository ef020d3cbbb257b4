#include "pcap_tests/replay/engine.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "pcap_tests/replay/packet_view.h"
#include "pcap_tests/replay/replay_app.h"
#include "sockapi/network.h"
#include "stack/base/bytes.h"
#include "stack/base/seqnum.h"
#include "stack/fake_runtime.h"
#include "stack/link_device.h"
#include "stack/pcap_tap_device.h"
#include "stack/pollable.h"
#include "stack/stack.h"
#include "tools/device_options.h"

namespace ustack::replay {
namespace {

// Collects both directions of ustack's device into the run.
class Collector final : public PacketTap {
 public:
  Collector(PacketList& out, const ReplayOptions& opts) : out_(out), opts_(opts) {}
  void record(Instant now, PacketDirection dir, Bytes packet) override {
    comment_held();
    const bool hold = dir == PacketDirection::kReceived && opts_.arrived && opts_.comment;
    if (hold) opts_.arrived(now, packet);
    out_.push_back({now, dir == PacketDirection::kSent, ByteVec(packet.begin(), packet.end()),
                    opts_.comment && !hold ? opts_.comment(now, dir, packet) : std::string()});
    if (hold) held_ = out_.size() - 1;
  }
  // The received packet whose comment waited for the stack to handle it (ReplayOptions::arrived).
  void comment_held() {
    if (!held_) return;
    TimedPacket& p = out_[*held_];
    held_.reset();
    p.comment = opts_.comment(p.at, PacketDirection::kReceived, p.ip);
  }

 private:
  PacketList& out_;
  const ReplayOptions& opts_;
  std::optional<std::size_t> held_;
};

// The first SYN the given direction sent in `packets`, its payload view cleared (only its
// sequence number and options are used, and `packets` may grow after the call).
std::optional<TcpRepr> first_syn(const PacketList& packets, bool outbound) {
  for (const TimedPacket& p : packets) {
    if (p.outbound != outbound) continue;
    auto v = view_packet(p.ip);
    if (v && v->tcp && v->tcp->has(tcp_flags::kSyn)) {
      TcpRepr syn = *v->tcp;
      syn.payload = {};
      return syn;
    }
  }
  return std::nullopt;
}

std::optional<std::uint32_t> first_tsval(const PacketList& packets, bool outbound) {
  for (const TimedPacket& p : packets) {
    if (p.outbound != outbound) continue;
    auto v = view_packet(p.ip);
    if (v && v->tcp && v->tcp->options.timestamps) return v->tcp->options.timestamps->val;
  }
  return std::nullopt;
}

// Shifts the ACK number, SACK blocks and TSecr of a peer segment in place (RFC 7323 §3.2 puts
// TSecr after TSval; RFC 2018 §3 SACK blocks are pairs of 32-bit edges).
void remap_peer_segment(ByteVec& ip, std::uint32_t ack_shift,
                        std::optional<std::uint32_t> ts_shift) {
  auto v = view_packet(ip);
  if (!v || !v->tcp) return;
  MutBytes tcp = MutBytes(ip).subspan(v->l4_offset);
  if (v->tcp->has(tcp_flags::kAck)) store_be32(tcp, 8, v->tcp->ack.raw() + ack_shift);
  // Walk the options again to patch in place (the Repr keeps values, not offsets).
  std::size_t i = TcpRepr::kMinHeaderLen;
  const std::size_t data_off = static_cast<std::size_t>(tcp[12] >> 4u) * 4;
  const std::size_t end = std::min(data_off, tcp.size());
  while (i < end) {
    const std::uint8_t kind = tcp[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= end) break;
    const std::size_t len = tcp[i + 1];
    if (len < 2 || i + len > end) break;
    if (kind == static_cast<std::uint8_t>(TcpOptionKind::kSack)) {
      for (std::size_t b = i + 2; b + 4 <= i + len; b += 4) {
        store_be32(tcp, b, load_be32(tcp, b) + ack_shift);
      }
    } else if (kind == static_cast<std::uint8_t>(TcpOptionKind::kTimestamps) && len == 10 &&
               ts_shift) {
      const std::uint32_t ecr = load_be32(tcp, i + 6);
      if (ecr != 0) store_be32(tcp, i + 6, ecr + *ts_shift);
    }
    i += len;
  }
  refresh_l4_checksum(ip, *v);
}

}  // namespace

ReplayRun replay(const Conversation& c, const ReplayOptions& opts) {
  ReplayRun run;
  const bool tcp = c.flow.proto == IpProto::kTcp;
  const bool v4 = c.host.ip.is_v4();
  const std::optional<TcpRepr> host_syn = tcp ? first_syn(c.packets, true) : std::nullopt;

  // The recorded host's settings, as far as its SYN shows them.
  TcpLayerConfig tcp_cfg;
  tcp_cfg.seed = opts.seed;
  std::size_t mtu = 1500;
  if (host_syn) {
    tcp_cfg.tcp.window_scaling = host_syn->options.window_scale.has_value();
    tcp_cfg.tcp.sack = host_syn->options.sack_permitted;
    tcp_cfg.tcp.timestamps = host_syn->options.timestamps.has_value();
    if (host_syn->options.mss) {
      mtu = std::clamp<std::size_t>(*host_syn->options.mss + (v4 ? 40 : 60), v4 ? 68 : 1280, 65535);
    }
  } else if (tcp && c.side == Side::kServer) {
    run.notes.push_back(
        "the recorded host never accepted the connection: ustack has no "
        "listener on " +
        c.host.to_string() + " either");
  } else if (tcp) {
    run.notes.push_back("the recorded host sent no SYN: ustack does not connect either");
  }
  if (c.flow.bad_checksums) {
    run.notes.push_back(std::to_string(c.flow.bad_checksums) +
                        " packets of the flow have bad TCP/UDP checksums (captured before "
                        "checksum offload filled them in?); replayed with correct ones");
  }

  const Instant start = c.packets.empty() ? Instant::zero() : c.packets.front().at;
  LinkConfig link_cfg;
  link_cfg.seed = opts.seed;
  link_cfg.mtu = mtu;
  Link link(link_cfg);
  // The application's sockets close when this function returns; what that sends is after
  // the comparison's end, so the run is copied out first.
  PacketList collected;
  Collector collector(collected, opts);
  PcapTapDevice device(link.a(), collector);

  tools::DeviceSetup setup;
  setup.seed = opts.seed;
  setup.addrs.push_back(IpCidr{c.host.ip, static_cast<std::uint8_t>(v4 ? 32 : 128)});
  setup.gateways.push_back(c.peer.ip);  // on a point-to-point link: no ARP/NDP to answer
  tools::TransportConfig transports;
  transports.tcp = tcp_cfg;
  tools::StackSession session(setup, device, transports, opts.tracer);
  session.stack().set_mtu(mtu);

  FakeRuntime runtime(start - Duration::millis(1));
  PollableRef<Stack> stack_pollable(session.stack());
  runtime.add(stack_pollable);
  usocket::Network net = usocket::Network::over(
      {session.stack(), session.tcp(), session.udp(), session.resolver(), runtime});

  ReplayApp app(net, c);
  app.start();
  runtime.pump();

  // The peer's packets and the application's actions in the recording's order: by time, and
  // at one instant in the order the capture holds them (a virtual-time recording has many
  // packets at one instant; an action sits where the host packet that shows it was).
  struct Step {
    Instant at;
    std::size_t order = 0;
    const ReplayApp::Action* action = nullptr;
    const TimedPacket* packet = nullptr;
  };
  std::vector<Step> steps;
  for (const auto& a : app.actions()) steps.push_back({a.at, a.order, &a, nullptr});
  for (std::size_t i = 0; i < c.packets.size(); ++i) {
    if (!c.packets[i].outbound) steps.push_back({c.packets[i].at, i, nullptr, &c.packets[i]});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
    if (a.at != b.at) return a.at < b.at;
    return a.order < b.order;
  });

  const std::optional<std::uint32_t> host_isn =
      host_syn ? std::optional(host_syn->seq.raw()) : std::nullopt;
  const std::optional<std::uint32_t> host_ts = first_tsval(c.packets, true);
  std::optional<std::uint32_t> our_isn, our_ts;
  std::size_t seen = 0;           // ustack packets looked at for its highest sequence
  std::uint32_t our_snd_max = 0;  // relative to our ISN: one past the last octet sent
  for (const Step& s : steps) {
    if (s.at > runtime.now()) {
      // The application runs when the loop has handled everything at one instant, as a
      // program blocked in recv() does (and then only a real capture's next packet is later).
      app.service();
      runtime.pump();
      runtime.advance(s.at - runtime.now());
    }
    if (s.action) {
      app.run(*s.action);
    } else {
      ByteVec ip = s.packet->ip;
      if (tcp) {
        // ustack's ISN and timestamp clock, from what it has sent so far.
        if (!our_isn) {
          if (auto syn = first_syn(collected, true)) our_isn = syn->seq.raw();
        }
        if (!our_ts) our_ts = first_tsval(collected, true);
        std::uint32_t ack_shift = our_isn && host_isn ? *our_isn - *host_isn : 0;
        for (; our_isn && seen < collected.size(); ++seen) {
          if (!collected[seen].outbound) continue;
          auto v = view_packet(collected[seen].ip);
          if (!v || !v->tcp) continue;
          const std::uint32_t end = v->tcp->seq.raw() - *our_isn + v->tcp->seg_len();
          if (SeqNum(end) > SeqNum(our_snd_max)) our_snd_max = end;
        }
        if (auto e = view_icmp_error(ip); e && e->quoted_proto == IpProto::kTcp) {
          // The quoted segment is one the host sent: its sequence number into ustack's space
          // (TCP checks it is in flight, RFC 5927 §4.1).
          if (e->quoted_transport_offset + 8 <= ip.size()) {
            MutBytes b(ip);
            store_be32(b, e->quoted_transport_offset + 4,
                       load_be32(b, e->quoted_transport_offset + 4) + ack_shift);
            refresh_icmp_checksum(b, *e);
          }
        }
        auto pv = view_packet(ip);
        if (pv && pv->tcp && pv->tcp->has(tcp_flags::kAck) && host_isn && our_isn) {
          const std::uint32_t acked = pv->tcp->ack.raw() - *host_isn;
          if (SeqNum(acked) > SeqNum(our_snd_max)) {
            run.stop = ReplayStop{
                s.at, "the peer acknowledges " + std::to_string(acked) +
                          " but ustack had sent only up to " + std::to_string(our_snd_max) +
                          ": ustack fell behind the recorded host (see the differences above), "
                          "so the recorded peer no longer answers what ustack sent"};
            break;
          }
        }
        std::optional<std::uint32_t> ts_shift;
        if (our_ts && host_ts) ts_shift = *our_ts - *host_ts;
        remap_peer_segment(ip, ack_shift, ts_shift);
      }
      link.a().inject(runtime.now(), ip);
    }
    runtime.pump();
  }
  const Instant end =
      run.stop ? run.stop->at : (c.packets.empty() ? start : c.packets.back().at) + opts.tail;
  if (end > runtime.now()) runtime.advance(end - runtime.now());
  app.service();
  collector.comment_held();
  run.ustack = collected;
  return run;
}

}  // namespace ustack::replay
