// Stack: one network interface's IP layer and the transports registered on it.
//
// Pure, single-threaded core (ARCHITECTURE.md): packets come in through the Device from
// poll(now), the transports are called from there, and poll_at() says when the next timer
// (ARP/NDP retransmission, DAD, reassembly timeout, a transport's) is due. Nothing here reads
// a clock or does I/O; the shell (tun/) or a test drives it with real or virtual time.
//
// What it does (RFC 1122 host requirements): IPv4 and IPv6 input and output with
// fragmentation and reassembly, ICMP/ICMPv6 echo and errors (rate limited), path MTU per
// destination, and on an Ethernet device ARP, NDP (neighbour cache, DAD, router
// advertisements, SLAAC). Every dropped packet is counted with its reason in counters().
//
// Multicast (stack_multicast.cc): group membership is reference counted per group
// (join_group/leave_group). IPv4 accepts multicast only for 224.0.0.1 and joined groups; IPv6
// only for ff02::1 (and ff01::1), the solicited-node groups of our addresses (tentative ones
// too, for DAD) and joined groups; everything else is dropped as
// drops.ipv4_multicast_not_member / drops.ipv6_multicast_not_member. On both a TAP and a TUN
// device the host side of IGMPv2 (RFC 2236) and MLDv2 (RFC 3810, MLDv1 when an MLDv1 querier
// is heard) announces the joined groups and answers queries (see ip/multicast_groups.h); on
// Ethernet the solicited-node groups are announced too, as Linux does (a TUN has no NDP here).
// A packet we send to a group we are a member of comes back to us (IP_MULTICAST_LOOP), as
// does every IPv4 broadcast (Linux ip_mc_output); multicast_ttl 0 keeps it off the wire.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/bytes.h"
#include "stack/base/function_ref.h"
#include "stack/base/random.h"
#include "stack/base/time.h"
#include "stack/counters.h"
#include "stack/device.h"
#include "stack/ip/multicast_groups.h"
#include "stack/ip/neighbor_cache.h"
#include "stack/ip/pmtu_cache.h"
#include "stack/ip/rate_limiter.h"
#include "stack/ip/reassembler.h"
#include "stack/ip/route_table.h"
#include "stack/pollable.h"
#include "stack/tracer.h"
#include "stack/transport.h"
#include "stack/udp_gso.h"
#include "stack/wire/common.h"

namespace ustack {

struct ArpRepr;
struct IgmpRepr;
struct MldRepr;
enum class MldRecordType : std::uint8_t;

struct StackConfig {
  // Seeds every random choice (IP IDs, IPv6 fragment IDs, NDP reachable-time jitter) so a run
  // replays bit for bit.
  std::uint64_t seed = 1;
  // Our hardware address on an Ethernet (TAP) device. Zero: a locally administered address
  // derived from the seed (02:xx:xx:xx:xx:xx).
  MacAddr mac;
  // Largest IP packet; 0 means the device's MTU.
  std::size_t mtu = 0;
  // TTL / hop limit of our packets (an RA's Cur Hop Limit overrides it for IPv6).
  std::uint8_t default_ttl = 64;

  // Reassembly limits, per family (Linux: ipfrag_high_thresh 4 MiB, ipfrag_time 30 s).
  std::size_t reassembly_memory_cap = 4u << 20;
  std::size_t reassembly_max_datagrams = 256;
  Duration reassembly_timeout = Duration::seconds(30);

  IcmpRateLimitConfig icmp_rate_limit;
  // Linux icmp_echo_ignore_broadcasts=1: no echo replies to broadcast/multicast IPv4 pings.
  bool ignore_broadcast_echo = true;

  NeighborConfig arp;
  NeighborConfig ndp;
  // Ethernet only: give the interface fe80::/64 from the MAC (RFC 4862 §5.3).
  bool ipv6_link_local = true;
  // RFC 4862 §5.1 DupAddrDetectTransmits; 0 disables DAD (addresses are usable at once).
  std::uint32_t dad_transmits = 1;
  // RFC 4861 §6.3.7 / §10: router solicitations once the link-local address is usable.
  std::uint32_t max_rtr_solicitations = 3;
  Duration rtr_solicitation_interval = Duration::seconds(4);
  // RFC 4862 §5.5.3: form addresses from RA prefixes with the A flag.
  bool slaac = true;
  // Gratuitous ARP requests sent when an IPv4 address is added on Ethernet.
  std::uint32_t gratuitous_arp_count = 1;

  // IGMPv2 / MLDv2 robustness and timer values (RFC 2236 §8, RFC 3810 §9).
  MulticastConfig multicast;
  // Ethernet only: announce the solicited-node groups of our IPv6 addresses with MLD, as Linux
  // does (they are accepted either way).
  bool mld_report_solicited_node = true;

  Duration pmtu_expiry = Duration::seconds(600);
  // A gateway that terminates its clients' connections (`ustack sandbox`; Linux IP_TRANSPARENT
  // with TPROXY): TCP and UDP packets to any unicast address are ours too, handed to the
  // transports (catch-all sockets take them). Other protocols to addresses not ours are still
  // dropped: ICMP echo to a far host is not answered in its name.
  bool transparent = false;
  // With `transparent`: an ICMP/ICMPv6 echo request to an address not ours is queued for
  // pop_relayed_echo() (a gateway relaying pings, `ustack sandbox`) instead of dropped; other
  // ICMP to such addresses is still dropped.
  bool relay_echo = false;
  // A router on the link (`ustack sandbox --router-advertisements`): valid router
  // solicitations (RFC 4861 §6.1.1) are queued for pop_router_solicit() instead of dropped, at
  // most router_solicit_queue_limit of them (further ones: drops.router_solicit_queue_full).
  bool queue_router_solicits = false;
  std::size_t router_solicit_queue_limit = 64;
  // Echo replies kept for pop_echo_reply() (and relayed requests for pop_relayed_echo());
  // further ones are dropped and counted.
  std::size_t echo_reply_queue_limit = 1024;
};

// An echo request to a far address, taken by StackConfig::relay_echo.
struct RelayedEcho {
  Instant at;
  IpAddr from, to;
  std::uint16_t ident = 0;
  std::uint16_t seq = 0;
  std::uint8_t ttl = 0;
  ByteVec payload;
};

// A router solicitation taken by StackConfig::queue_router_solicits. Its source link-layer
// address, if any, is already in the neighbour cache (RFC 4861 §6.2.6).
struct RouterSolicit {
  Instant at;
  Ipv6Addr from;  // the unspecified address from a host that has no address yet
};

// An ICMP/ICMPv6 echo reply received for a send_echo_request().
struct EchoReply {
  Instant at;
  IpAddr from;
  std::uint16_t ident = 0;
  std::uint16_t seq = 0;
  std::uint8_t ttl = 0;  // TTL / hop limit of the reply
  ByteVec payload;
};

enum class AddressState : std::uint8_t {
  kTentative,  // DAD in progress (RFC 4862 §5.4): not used as a source, not answered
  kPreferred,  // usable
  kDuplicate,  // DAD found another owner: never used
};
const char* to_string(AddressState s);

// What the stack's own ICMP messages use: no DF, like Linux's ICMP sockets (IP_PMTUDISC_DONT).
inline constexpr IpSendOptions kIcmpSendOptions{.pmtu = PmtuDiscovery::kDont};

class Stack final : public IpSender {
 public:
  Stack(const StackConfig& cfg, Device& device);
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // --- Configuration ---
  // Adds an address with its prefix; the prefix becomes an on-link route. On Ethernet an IPv4
  // address is announced with gratuitous ARP and an IPv6 address goes through DAD first
  // (state kTentative until then). Both happen from the next poll().
  void add_address(const IpCidr& cidr);
  bool remove_address(const IpAddr& addr);
  // Every address we have, with its prefix (tentative and duplicate ones included).
  std::vector<IpCidr> addresses() const;
  std::optional<AddressState> address_state(const IpAddr& addr) const;
  // A route to `dest` via `gateway`; an unspecified gateway (0.0.0.0 / ::) means on-link.
  void add_route(const IpCidr& dest, const IpAddr& gateway);
  bool remove_route(const IpCidr& dest);
  // 0.0.0.0/0 or ::/0 via `gateway`, by the gateway's family.
  void set_default_gateway(const IpAddr& gateway);
  const RouteTable& routes() const { return routes_; }
  // Transports receive their protocol's packets and ICMP errors quoting them; one per
  // protocol (a second registration replaces the first).
  void register_transport(Transport& t);
  // Runs `p` after the transports in every poll() and folds its poll_at() into ours: the
  // clients of the transports (the DNS resolver, services) that must see a received datagram
  // in the same poll that delivered it. Not owned; remove before destroying it.
  void add_poller(Pollable& p);
  void remove_poller(Pollable& p);
  void set_tracer(Tracer* tracer) { tracer_ = tracer; }
  void set_mtu(std::size_t mtu);
  std::size_t mtu() const { return mtu_; }
  MacAddr mac() const { return mac_; }
  Medium medium() const { return caps_.medium; }

  // --- Running ---
  // Receives up to the device's max_burst packets, runs due timers and the transports.
  // Returns true if anything happened (a packet was received or sent, a timer fired).
  bool poll(Instant now);
  // When poll() next has timer work; Instant::never() when idle (received packets are the
  // shell's business: it polls when the device is readable).
  Instant poll_at() const;

  // --- Observability ---
  const Counters& counters() const { return counters_; }
  std::optional<NeighborState> neighbor_state(const IpAddr& addr) const;
  std::optional<MacAddr> neighbor_mac(const IpAddr& addr) const;
  // How many join_group() calls (plus the implicit solicited-node joins on Ethernet) hold
  // `group`; 0 if we are not a member.
  std::uint32_t group_refs(const IpAddr& group) const { return groups_.refs(group); }
  std::size_t reassembly_datagrams() const { return reasm_v4_.datagrams() + reasm_v6_.datagrams(); }
  std::size_t reassembly_memory() const {
    return reasm_v4_.memory_used() + reasm_v6_.memory_used();
  }

  // --- Ping ---
  // Sends an ICMP or ICMPv6 echo request (by dst's family) with `payload`, fragmented if it
  // does not fit the path MTU (unless opts.pmtu is kDo). False if there is no route.
  bool send_echo_request(Instant now, const IpAddr& dst, std::uint16_t ident, std::uint16_t seq,
                         Bytes payload, const IpSendOptions& opts = kIcmpSendOptions);
  // Replies received so far, oldest first.
  std::optional<EchoReply> pop_echo_reply();
  std::size_t echo_replies_waiting() const { return echo_replies_.size(); }

  // --- A gateway's side (`ustack sandbox`) ---
  // Echo requests to far addresses (StackConfig::relay_echo), oldest first.
  std::optional<RelayedEcho> pop_relayed_echo();
  // Router solicitations (StackConfig::queue_router_solicits), oldest first.
  std::optional<RouterSolicit> pop_router_solicit();
  // Sends an echo reply from `from` (any address: the far host a relayed request went to) to
  // `to`.
  bool send_echo_reply(Instant now, const IpAddr& from, const IpAddr& to, std::uint16_t ident,
                       std::uint16_t seq, Bytes payload);
  // Why a datagram a gateway took could not be carried on.
  enum class Unreachable : std::uint8_t { kNet, kHost, kPort };
  // Sends the destination unreachable a router sends about a datagram from `src` to `dst` of
  // `proto` whose transport header begins with `head` (8 bytes or more: the ports, and for TCP
  // the sequence number, which the sender matches against its connection, RFC 5927 §4.1): ICMP
  // type 3 code 0/1/3 (RFC 792), ICMPv6 type 1 code 0/3/4 (RFC 4443 §3.1), from our address
  // toward `src`, rate limited as every ICMP error. The quoted IP header is rebuilt (TTL 64).
  void send_unreachable(Instant now, Unreachable why, const IpAddr& src, const IpAddr& dst,
                        IpProto proto, Bytes head);

  // Sends an IP packet with `payload_len` bytes of protocol `proto` (IpSender::send with
  // options). The payload is written by `fill`.
  bool send_ip(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
               std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
               const IpSendOptions& opts = kIcmpSendOptions);

  // --- IpSender ---
  bool send(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
            std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
            const IpSendOptions& opts) override;
  std::optional<IpAddr> select_source(const IpAddr& dst) const override;
  std::size_t path_mtu(const IpAddr& dst) const override;
  bool is_local_address(const IpAddr& addr) const override;
  ChecksumMode checksum_mode() const override;
  std::size_t gso_max_len(const IpAddr& dst) const override;
  bool is_broadcast_address(const IpAddr& addr) const override;
  bool join_group(Instant now, const IpAddr& group) override;
  void leave_group(Instant now, const IpAddr& group) override;

  // Sends what poll() would send first (datagrams batched for USO) without running anything
  // else: for a session that ends between two polls (a `udp send` that exits at once).
  bool flush_batched(Instant now) { return flush_uso(now); }

 private:
  struct Address {
    IpCidr cidr;
    AddressState state = AddressState::kPreferred;
    bool started = false;                    // DAD / announcement begun (needs a `now`)
    std::uint32_t probes_left = 0;           // DAD NS or gratuitous ARPs still to send
    Instant deadline = Instant::never();     // next DAD/announcement step
    Instant valid_until = Instant::never();  // SLAAC addresses expire with their prefix
    bool joined_solicited_node = false;      // IPv6 on Ethernet: counted in groups_
  };
  // Where a packet in link_output() goes.
  struct LinkDest {
    IpAddr next_hop;
    std::optional<MacAddr> mac;  // known link address (multicast, broadcast, a NDP reply)
  };

  // stack.cc: device I/O, timers, output.
  void receive_frame(Instant now, Bytes frame);
  bool run_timers(Instant now);
  // `offload` (offsets from the IP header) goes to the device with the packet.
  bool link_output(Instant now, const LinkDest& dest, std::size_t ip_len,
                   FunctionRef<void(MutBytes)> fill_ip, const PacketOffload& offload = {});
  bool transmit_ethernet(Instant now, const MacAddr& dst, EtherType type, std::size_t len,
                         FunctionRef<void(MutBytes)> fill, const PacketOffload& offload = {});
  // What goes with a TCP/UDP packet whose transport header starts `l4_start` bytes into it:
  // NEEDS_CSUM when the stack leaves checksums partial (checksum_mode() kOffload), and a GSO
  // type when it is a TCP super-segment (opts.gso_size) larger than `mtu`.
  PacketOffload tx_offload(IpProto proto, std::size_t l4_start, std::size_t packet_len,
                           std::size_t mtu, bool v6, const IpSendOptions& opts) const;
  // Completes a partial transport checksum in software (a packet the device cannot take with
  // its metadata: one about to be fragmented, or queued for ARP/NDP).
  void finish_partial_checksum(MutBytes transport, IpProto proto) const;
  // One unfragmented packet of an `hlen`-byte IP header (emit_header) and the payload (fill),
  // with its offload metadata.
  bool output_whole(Instant now, const LinkDest& dest, std::size_t hlen, std::size_t payload_len,
                    FunctionRef<void(MutBytes)> emit_header, FunctionRef<void(MutBytes)> fill,
                    const PacketOffload& offload);
  // link.out_gso_packets / link.out_gso_segments for a sent TCP super-packet.
  void count_gso_out(const PacketOffload& offload, std::size_t tcp_payload);
  // USO (caps().tx_uso): a UDP packet with a partial checksum joins uso_ instead of going out
  // (true: taken); any other packet sends the batch first, and so does every poll().
  bool uso_output(Instant now, std::size_t ip_len, FunctionRef<void(MutBytes)> fill_ip,
                  const PacketOffload& offload);
  bool flush_uso(Instant now);
  // A datagram reassembled here offered to the device first (Device::take_reassembled); true:
  // taken, go no further.
  bool offer_reassembled(Instant now, Bytes datagram, bool link_group);
  // USO on receive: a UDP super-packet (rx_offload_ kUdpL4) goes through ipv4_input /
  // ipv6_input datagram by datagram, cut by split_udp_gso; one it cannot cut is dropped.
  void uso_input(Instant now, Bytes packet, bool link_group);
  bool transmit_ip(Instant now, std::size_t ip_len, FunctionRef<void(MutBytes)> fill_ip,
                   const PacketOffload& offload);
  // transmit_ip of a packet already built in a buffer of ours (a USO batch, a datagram it
  // refused).
  bool transmit_copy(Instant now, Bytes ip_packet, const PacketOffload& offload);
  std::optional<LinkDest> route_for(const IpAddr& dst) const;
  bool send_loopback(Instant now, const IpAddr& src, const IpAddr& dst, IpProto proto,
                     std::size_t payload_len, FunctionRef<void(MutBytes)> fill,
                     const IpSendOptions& opts);
  bool send_v4(Instant now, const Ipv4Addr& src, const Ipv4Addr& dst, IpProto proto,
               std::size_t payload_len, FunctionRef<void(MutBytes)> fill, const IpSendOptions& opts,
               const LinkDest& dest);
  bool send_v6(Instant now, const Ipv6Addr& src, const Ipv6Addr& dst, IpProto proto,
               std::size_t payload_len, FunctionRef<void(MutBytes)> fill, const IpSendOptions& opts,
               const LinkDest& dest);
  void drop(Instant now, Ctr c);
  // Incomplete datagrams the reassembler evicted to make room (Linux counts each in
  // IPSTATS_MIB_REASMFAILS).
  void count_evictions(Instant now, std::size_t n, Ctr fails, Ctr drop_reason);
  void drop_parse(Instant now, ParseLayer layer, ParseError e);
  void trace(Instant now, TraceKind kind, const char* what, std::size_t len = 0,
             std::int64_t value = 0, const IpAddr& local = {}, const IpAddr& remote = {});
  Address* find_address(const IpAddr& addr);
  const Address* find_address(const IpAddr& addr) const;
  bool is_our_v4_broadcast(const Ipv4Addr& a) const;
  void deliver(Instant now, const IpRxMeta& meta, Bytes payload, Bytes packet);
  void deliver_icmp_error(Instant now, IcmpError err);
  // An echo reply for pop_echo_reply(); beyond echo_reply_queue_limit it is dropped.
  void queue_echo_reply(Instant now, const IpRxMeta& meta, std::uint16_t ident,
                        std::uint16_t seq_no, Bytes data);
  // StackConfig::transparent: ICMP to an address not ours. An echo request is queued for
  // pop_relayed_echo(); anything else is dropped. True if the message was such a one.
  bool icmp_in_transit(Instant now, const IpRxMeta& meta, bool echo_request, std::uint16_t ident,
                       std::uint16_t seq_no, Bytes data);
  // RFC 5927 §4.1: an ICMP error is acted on only if the datagram it quotes is one of ours.
  // Then `err` gets the quote's addresses, protocol and transport bytes and this returns
  // true; otherwise the error is dropped as `unmatched`.
  template <class Quote>  // Icmpv4Quote or Icmpv6Quote
  bool take_quote(Instant now, const Quote& quote, Ctr unmatched, IcmpError& err) {
    if (!find_address(quote.src)) {
      drop(now, unmatched);
      return false;
    }
    err.quoted_src = quote.src;
    err.quoted_dst = quote.dst;
    err.quoted_proto = quote.proto;
    err.quoted_transport = quote.transport;
    return true;
  }
  void report_unreachable(Instant now, Bytes packet);

  // stack_multicast.cc
  // True if a packet to `group` (a multicast address) is for us: the implicit groups (all-hosts,
  // all-nodes, solicited-node) and the joined ones.
  bool accepts_group(const IpAddr& group) const;
  // RFC 4861 §7.2.1 / RFC 4862 §5.4.2: on Ethernet an IPv6 address's solicited-node group is
  // joined (and announced) when its DAD starts, and left with the address.
  void join_solicited_node(Instant now, Address& a);
  void leave_solicited_node(Instant now, Address& a);
  bool run_group_timers(Instant now);
  void send_group_report(Instant now, const GroupReport& r);
  // One MLDv2 report (more if they do not fit the MTU) with a `type` record per group.
  void send_mldv2_report(Instant now, MldRecordType type, const std::vector<IpAddr>& groups);
  void send_igmp(Instant now, const Ipv4Addr& dst, const IgmpRepr& msg);
  void send_mld(Instant now, const Ipv6Addr& dst, const MldRepr& msg);
  void igmp_input(Instant now, const IpRxMeta& meta, Bytes message);
  void mld_input(Instant now, const IpRxMeta& meta, Bytes message, Bytes packet);

  // stack_ipv4.cc
  void ipv4_input(Instant now, Bytes packet, bool link_broadcast, bool reassembled);
  void icmpv4_input(Instant now, const IpRxMeta& meta, Bytes message, Bytes packet);
  void send_icmpv4_error(Instant now, Bytes offending, std::uint8_t type, std::uint8_t code,
                         std::uint32_t rest_of_header);
  void arp_input(Instant now, const MacAddr& eth_dst, Bytes payload);
  void send_arp(Instant now, const MacAddr& eth_dst, const ArpRepr& arp);
  void flush_neighbor_queue(Instant now, NeighborCache& cache, const IpAddr& addr);

  // stack_ipv6.cc
  void ipv6_input(Instant now, Bytes packet, bool link_multicast, bool reassembled);
  void icmpv6_input(Instant now, const IpRxMeta& meta, Bytes message, Bytes packet);
  void send_icmpv6_error(Instant now, Bytes offending, std::uint8_t type, std::uint8_t code,
                         std::uint32_t param, bool allow_multicast_dst);
  void ndp_input(Instant now, const IpRxMeta& meta, Bytes message);
  void send_ndp(Instant now, const Ipv6Addr& src, const Ipv6Addr& dst,
                std::optional<MacAddr> dst_mac,
                FunctionRef<void(MutBytes, const Ipv6Addr&, const Ipv6Addr&)> emit,
                std::size_t len);
  void send_neighbor_solicit(Instant now, const Ipv6Addr& target, std::optional<MacAddr> unicast,
                             bool dad);
  void dad_conflict(Instant now, Address& a);
  bool run_address_timers(Instant now);
  void add_slaac_address(Instant now, const Ipv6Addr& prefix, std::uint32_t valid_s);
  bool is_our_v6_destination(const Ipv6Addr& dst, bool* tentative) const;
  // The TTL / hop limit for a packet to `dst`: the multicast one for a group, else the
  // socket's, else the stack's default.
  std::uint8_t hop_limit_for(const IpAddr& dst, const IpSendOptions& opts) const;
  std::size_t link_mtu(bool v6) const { return v6 && ra_mtu_ ? std::min(mtu_, ra_mtu_) : mtu_; }
  std::optional<Ipv6Addr> link_local_address() const;

  StackConfig cfg_;
  Device& dev_;
  DeviceCaps caps_;
  std::size_t mtu_;
  MacAddr mac_;
  Counters counters_;
  Tracer* tracer_ = nullptr;
  Instant last_poll_;  // the latest poll(): for events raised inside components, PMTU expiry
  Rng rng_;

  std::vector<Address> addrs_;
  RouteTable routes_;
  NeighborCache arp_;
  NeighborCache ndp_;
  Reassembler reasm_v4_;
  Reassembler reasm_v6_;
  PmtuCache pmtu_;
  Instant pmtu_sweep_at_ = Instant::never();
  IcmpRateLimiter icmp_limiter_;
  MulticastGroups groups_;
  std::array<Transport*, 256> transports_{};
  std::vector<Pollable*> pollers_;

  std::uint16_t next_ip_id_;
  std::uint8_t hop_limit_v6_;
  std::uint32_t rs_left_ = 0;
  Instant rs_deadline_ = Instant::never();
  bool rs_started_ = false;
  bool ra_received_ = false;
  std::size_t ra_mtu_ = 0;  // RFC 4861 §4.6.4 MTU option from the last RA (0: none)

  std::deque<EchoReply> echo_replies_;
  std::deque<RelayedEcho> relayed_echoes_;
  std::deque<RouterSolicit> router_solicits_;
  std::deque<ByteVec> loopback_;  // packets to our own addresses, received at the next poll
  // Offload metadata of the frame being processed (set by poll() around receive_frame()): the
  // device's word that the transport checksum of a received packet need not be verified.
  PacketOffload rx_offload_;
  ByteVec tx_payload_;         // scratch: a fragmented datagram's payload before it is cut
  UdpGsoBatch uso_;            // UDP datagrams of one flow waiting to go as one USO super-packet
  ByteVec uso_packet_;         // scratch: the UDP packet offered to uso_
  ByteVec uso_rx_;             // scratch: one datagram cut from a received UDP super-packet
  ByteVec reassembled_frame_;  // scratch: a reassembled datagram as an Ethernet frame
  ByteVec rebuilt_;            // scratch: a reassembled datagram rebuilt as one packet
  ByteVec unfrag_;             // scratch: an IPv6 fragment's unfragmentable part, Next Header fixed
};

}  // namespace ustack
