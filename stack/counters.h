// Per-layer counters, like `netstat -s`: every received, sent and dropped packet is counted,
// and every drop names its reason (`drops.ipv4_bad_checksum`, `drops.ipv4_reassembly_timeout`).
//
// The hot path increments a fixed array slot (Ctr enum); tools and tests read counters by
// name. Parse failures map to a counter per (layer, ParseError) so a malformed packet's reason
// is visible without a counter per call site.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "stack/base/result.h"

namespace ustack {

// One line of a counters block, the form every section of `ustack`'s counters takes (netstat -s
// style; what the integration tests' `counter SECTION NAME` reads): "    VALUE NAME\n".
void append_counter(std::string& out, std::uint64_t value, std::string_view name);

// X(enumerator, "group.name"). The group (text before the first '.') is the netstat section.
#define USTACK_COUNTERS(X)                                          \
  X(kLinkInFrames, "link.in_frames")                                \
  X(kLinkOutFrames, "link.out_frames")                              \
  X(kLinkLoopback, "link.loopback")                                 \
  X(kLinkInGsoPackets, "link.in_gso_packets")                       \
  X(kLinkInChecksumTrusted, "link.in_checksum_trusted")             \
  X(kLinkInUsoDatagrams, "link.in_uso_datagrams")                   \
  X(kLinkOutGsoPackets, "link.out_gso_packets")                     \
  X(kLinkOutGsoSegments, "link.out_gso_segments")                   \
  X(kDropLoopbackFull, "drops.loopback_full")                       \
  X(kDropLinkTxFailed, "drops.link_tx_failed")                      \
  X(kDropUsoMalformed, "drops.uso_malformed")                       \
  X(kDropEthNotForUs, "drops.eth_not_for_us")                       \
  X(kDropEthUnknownType, "drops.eth_unknown_ethertype")             \
  X(kArpInRequests, "arp.in_requests")                              \
  X(kArpInReplies, "arp.in_replies")                                \
  X(kArpOutRequests, "arp.out_requests")                            \
  X(kArpOutReplies, "arp.out_replies")                              \
  X(kArpOutGratuitous, "arp.out_gratuitous")                        \
  X(kDropArpNotForUs, "drops.arp_not_for_us")                       \
  X(kDropArpQueueFull, "drops.arp_queue_full")                      \
  X(kDropArpResolutionFailed, "drops.arp_resolution_failed")        \
  X(kNdpInNs, "ndp.in_neighbor_solicits")                           \
  X(kNdpInNa, "ndp.in_neighbor_adverts")                            \
  X(kNdpInRa, "ndp.in_router_adverts")                              \
  X(kNdpInRs, "ndp.in_router_solicits")                             \
  X(kNdpOutNs, "ndp.out_neighbor_solicits")                         \
  X(kNdpOutNa, "ndp.out_neighbor_adverts")                          \
  X(kNdpOutRs, "ndp.out_router_solicits")                           \
  X(kNdpDadConflicts, "ndp.dad_conflicts")                          \
  X(kDropNdpNotForUs, "drops.ndp_not_for_us")                       \
  X(kDropNdpQueueFull, "drops.ndp_queue_full")                      \
  X(kDropNdpResolutionFailed, "drops.ndp_resolution_failed")        \
  X(kIpInReceives, "ip.in_receives")                                \
  X(kIpInDelivers, "ip.in_delivers")                                \
  X(kIpOutRequests, "ip.out_requests")                              \
  X(kIpFragCreates, "ip.frag_creates")                              \
  X(kIpFragOks, "ip.frag_oks")                                      \
  X(kIpReasmReqds, "ip.reasm_reqds")                                \
  X(kIpReasmOks, "ip.reasm_oks")                                    \
  X(kIpReasmFails, "ip.reasm_fails")                                \
  X(kIpPmtuUpdates, "ip.pmtu_updates")                              \
  X(kDropIpv4NotForUs, "drops.ipv4_not_for_us")                     \
  X(kDropIpv4BadSource, "drops.ipv4_bad_source")                    \
  X(kDropIpv4NoRoute, "drops.ipv4_no_route")                        \
  X(kDropIpv4DfTooBig, "drops.ipv4_df_too_big")                     \
  X(kDropIpv4UnknownProtocol, "drops.ipv4_unknown_protocol")        \
  X(kDropIpv4BadFragment, "drops.ipv4_bad_fragment")                \
  X(kDropIpv4ReasmTimeout, "drops.ipv4_reassembly_timeout")         \
  X(kDropIpv4ReasmMemory, "drops.ipv4_reassembly_memory")           \
  X(kDropIpv4ReasmTooMany, "drops.ipv4_reassembly_too_many")        \
  X(kDropIpv4ReasmOverlap, "drops.ipv4_reassembly_overlap")         \
  X(kDropIpv4ReasmTooBig, "drops.ipv4_reassembly_too_big")          \
  X(kDropIpv4ReasmEvicted, "drops.ipv4_reassembly_evicted")         \
  X(kIp6InReceives, "ip6.in_receives")                              \
  X(kIp6InDelivers, "ip6.in_delivers")                              \
  X(kIp6OutRequests, "ip6.out_requests")                            \
  X(kIp6FragCreates, "ip6.frag_creates")                            \
  X(kIp6FragOks, "ip6.frag_oks")                                    \
  X(kIp6ReasmReqds, "ip6.reasm_reqds")                              \
  X(kIp6ReasmOks, "ip6.reasm_oks")                                  \
  X(kIp6ReasmFails, "ip6.reasm_fails")                              \
  X(kIp6AtomicFragments, "ip6.atomic_fragments")                    \
  X(kDropIpv6NotForUs, "drops.ipv6_not_for_us")                     \
  X(kDropIpv6BadSource, "drops.ipv6_bad_source")                    \
  X(kDropIpv6NoRoute, "drops.ipv6_no_route")                        \
  X(kDropIpv6TooBig, "drops.ipv6_too_big")                          \
  X(kDropIpv6UnknownNextHeader, "drops.ipv6_unknown_next_header")   \
  X(kDropIpv6UnknownOption, "drops.ipv6_unknown_option")            \
  X(kDropIpv6BadFragment, "drops.ipv6_bad_fragment")                \
  X(kDropIpv6ReasmTimeout, "drops.ipv6_reassembly_timeout")         \
  X(kDropIpv6ReasmMemory, "drops.ipv6_reassembly_memory")           \
  X(kDropIpv6ReasmTooMany, "drops.ipv6_reassembly_too_many")        \
  X(kDropIpv6ReasmOverlap, "drops.ipv6_reassembly_overlap")         \
  X(kDropIpv6ReasmTooBig, "drops.ipv6_reassembly_too_big")          \
  X(kDropIpv6ReasmEvicted, "drops.ipv6_reassembly_evicted")         \
  X(kIcmpInMsgs, "icmp.in_msgs")                                    \
  X(kIcmpInEchos, "icmp.in_echos")                                  \
  X(kIcmpInEchoReps, "icmp.in_echo_reps")                           \
  X(kIcmpInDestUnreachs, "icmp.in_dest_unreachs")                   \
  X(kIcmpInTimeExcds, "icmp.in_time_excds")                         \
  X(kIcmpInParmProbs, "icmp.in_parm_probs")                         \
  X(kIcmpOutMsgs, "icmp.out_msgs")                                  \
  X(kIcmpOutEchos, "icmp.out_echos")                                \
  X(kIcmpOutEchoReps, "icmp.out_echo_reps")                         \
  X(kIcmpOutDestUnreachs, "icmp.out_dest_unreachs")                 \
  X(kIcmpOutTimeExcds, "icmp.out_time_excds")                       \
  X(kIcmpOutParmProbs, "icmp.out_parm_probs")                       \
  X(kIcmpOutRateLimited, "icmp.out_rate_limited")                   \
  X(kIcmpErrorsToTransport, "icmp.errors_to_transport")             \
  X(kDropIcmpUnmatchedError, "drops.icmp_unmatched_error")          \
  X(kDropIcmpUnhandledType, "drops.icmp_unhandled_type")            \
  X(kIcmp6InMsgs, "icmp6.in_msgs")                                  \
  X(kIcmp6InEchos, "icmp6.in_echos")                                \
  X(kIcmp6InEchoReps, "icmp6.in_echo_reps")                         \
  X(kIcmp6InDestUnreachs, "icmp6.in_dest_unreachs")                 \
  X(kIcmp6InPktTooBigs, "icmp6.in_pkt_too_bigs")                    \
  X(kIcmp6InTimeExcds, "icmp6.in_time_excds")                       \
  X(kIcmp6InParmProbs, "icmp6.in_parm_probs")                       \
  X(kIcmp6OutMsgs, "icmp6.out_msgs")                                \
  X(kIcmp6OutEchos, "icmp6.out_echos")                              \
  X(kIcmp6OutEchoReps, "icmp6.out_echo_reps")                       \
  X(kIcmp6OutDestUnreachs, "icmp6.out_dest_unreachs")               \
  X(kIcmp6OutTimeExcds, "icmp6.out_time_excds")                     \
  X(kIcmp6OutParmProbs, "icmp6.out_parm_probs")                     \
  X(kIcmp6OutRateLimited, "icmp6.out_rate_limited")                 \
  X(kDropIcmp6UnhandledType, "drops.icmpv6_unhandled_type")         \
  X(kDropIcmpBroadcastEcho, "drops.icmp_broadcast_echo")            \
  X(kDropIcmp6UnmatchedError, "drops.icmpv6_unmatched_error")       \
  X(kDropEchoReplyQueueFull, "drops.echo_reply_queue_full")         \
  X(kDropRelayedEchoQueueFull, "drops.relayed_echo_queue_full")     \
  X(kDropRouterSolicitQueueFull, "drops.router_solicit_queue_full") \
  X(kDropUdpNoPort, "drops.udp_no_port")                            \
  X(kDropIpv6NoNextHeader, "drops.ipv6_no_next_header")             \
  X(kDropIpv6RoutingHeader, "drops.ipv6_routing_header")            \
  X(kDropIpv6ToTentative, "drops.ipv6_to_tentative_address")        \
  X(kArpAddressConflicts, "arp.address_conflicts")                  \
  X(kDropIpv6BadHopLimitNdp, "drops.ndp_bad_hop_limit")             \
  X(kDropIpv4MulticastNotMember, "drops.ipv4_multicast_not_member") \
  X(kDropIpv6MulticastNotMember, "drops.ipv6_multicast_not_member") \
  X(kIgmpInQueries, "igmp.in_queries")                              \
  X(kIgmpInReports, "igmp.in_reports")                              \
  X(kIgmpOutReports, "igmp.out_reports")                            \
  X(kIgmpOutLeaves, "igmp.out_leaves")                              \
  X(kIgmpReportsSuppressed, "igmp.reports_suppressed")              \
  X(kDropIgmpBadQuery, "drops.igmp_bad_query")                      \
  X(kDropIgmpUnhandledType, "drops.igmp_unhandled_type")            \
  X(kMldInQueries, "mld.in_queries")                                \
  X(kMldInReports, "mld.in_reports")                                \
  X(kMldOutReports, "mld.out_reports")                              \
  X(kMldOutDones, "mld.out_dones")                                  \
  X(kMldReportsSuppressed, "mld.reports_suppressed")                \
  X(kDropMldBadQuery, "drops.mld_bad_query")                        \
  X(kDropMldUnhandledType, "drops.mld_unhandled_type")

enum class Ctr : std::uint16_t {
#define USTACK_CTR_ENUM(id, name) id,
  USTACK_COUNTERS(USTACK_CTR_ENUM)
#undef USTACK_CTR_ENUM
      kCount
};

const char* counter_name(Ctr c);

// Which parser failed, for the per-reason parse counters ("drops.ipv4_truncated").
enum class ParseLayer : std::uint8_t {
  kEthernet,
  kArp,
  kIpv4,
  kIpv6,
  kIcmpv4,
  kIcmpv6,
  kNdp,
  kUdp,
  kIgmp,
  kMld,
  kCount
};

// "drops.<layer>_<reason>", a string with static storage (usable as TraceEvent::what).
const char* parse_drop_name(ParseLayer layer, ParseError e);

class Counters {
 public:
  void inc(Ctr c, std::uint64_t n = 1) { fixed_[static_cast<std::size_t>(c)] += n; }
  void inc_parse_drop(ParseLayer layer, ParseError e) {
    parse_[static_cast<std::size_t>(layer)][static_cast<std::size_t>(e)]++;
  }
  std::uint64_t get(Ctr c) const { return fixed_[static_cast<std::size_t>(c)]; }
  // By name ("ip.in_receives", "drops.ipv4_truncated"); 0 for an unknown name.
  std::uint64_t get(std::string_view name) const;
  // Sum of every "drops.*" counter.
  std::uint64_t total_drops() const;

  // Every counter, in declaration order; `include_zero` false skips the zero ones.
  void for_each(const std::function<void(std::string_view name, std::uint64_t value)>& f,
                bool include_zero = false) const;
  // netstat -s style: one section per group ("Ip:", "Icmp:", "Drops:"), one line per counter.
  std::string to_string(bool include_zero = false) const;

 private:
  static constexpr std::size_t kParseErrors =
      static_cast<std::size_t>(ParseError::kUnsupported) + 1;
  std::array<std::uint64_t, static_cast<std::size_t>(Ctr::kCount)> fixed_{};
  std::array<std::array<std::uint64_t, kParseErrors>, static_cast<std::size_t>(ParseLayer::kCount)>
      parse_{};
};

}  // namespace ustack
