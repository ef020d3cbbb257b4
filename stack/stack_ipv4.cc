// Stack: IPv4 input (RFC 791, RFC 1122 §3.2.1), ICMP (RFC 792, RFC 1122 §3.2.2) and ARP
// (RFC 826, RFC 1122 §2.3.2).
#include <algorithm>
#include <cstring>

#include "stack/base/checksum.h"
#include "stack/stack.h"
#include "stack/wire/arp.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/ipv4.h"

namespace ustack {
namespace {

// RFC 1812 §4.3.2.3: an ICMP error quotes as much of the datagram as fits in 576 bytes.
constexpr std::size_t kMaxIcmpv4Quote = 576 - 20 - 8;

bool is_icmpv4_error_type(std::uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// Linux icmp_err_convert: which unreachable codes are "hard" (RFC 1122 §4.2.3.9).
IcmpError::Kind unreach_kind(std::uint8_t code, bool* hard) {
  switch (code) {
    case 0:
    case 11:
      *hard = false;
      return IcmpError::Kind::kNetUnreachable;
    case 1:
    case 12:
      *hard = false;
      return IcmpError::Kind::kHostUnreachable;
    case 2:
      *hard = true;
      return IcmpError::Kind::kProtocolUnreachable;
    case 3:
      *hard = true;
      return IcmpError::Kind::kPortUnreachable;
    case 4:
      *hard = false;
      return IcmpError::Kind::kFragmentationNeeded;
    case 5:
      *hard = false;
      return IcmpError::Kind::kSourceRouteFailed;
    case 9:
    case 10:
    case 13:
      *hard = true;
      return IcmpError::Kind::kAdminProhibited;
    case 6:
      *hard = true;
      return IcmpError::Kind::kNetUnreachable;
    default:
      *hard = true;
      return IcmpError::Kind::kHostUnreachable;
  }
}

}  // namespace

void Stack::ipv4_input(Instant now, Bytes packet, bool link_broadcast, bool reassembled) {
  if (rx_offload_.gso == PacketOffload::Gso::kUdpL4) {
    uso_input(now, packet, link_broadcast);
    return;
  }
  if (!reassembled) counters_.inc(Ctr::kIpInReceives);
  ChecksumCheck check =
      reassembled || caps_.rx_checksum_verified ? ChecksumCheck::kSkip : ChecksumCheck::kVerify;
  auto ip = Ipv4Repr::parse(packet, check);
  if (!ip) {
    drop_parse(now, ParseLayer::kIpv4, ip.error());
    // RFC 1122 §3.2.2.5: a malformed option in a datagram for us earns a Parameter Problem
    // pointing at the octet at fault.
    if (ip.error() == ParseError::kBadOption) {
      auto pointer = Ipv4Repr::bad_option_pointer(packet);
      const Address* a = find_address(Ipv4Addr::from_bytes(packet.subspan(16, 4)));
      if (pointer && a && a->state == AddressState::kPreferred) {
        send_icmpv4_error(now, packet, 12, 0, *pointer);
      }
    }
    return;
  }
  packet = packet.first(ip->total_len());  // without link-layer padding
  // RFC 1122 §3.2.1.3: a source address must name one host.
  if (ip->src.is_broadcast() || ip->src.is_multicast() || is_our_v4_broadcast(ip->src)) {
    drop(now, Ctr::kDropIpv4BadSource);
    return;
  }
  bool broadcast = is_our_v4_broadcast(ip->dst);
  // RFC 1112 §6.2 / RFC 2236 §6: a group is received only while we are a member (all-hosts
  // 224.0.0.1 always).
  bool multicast = ip->dst.is_multicast();
  if (multicast && !accepts_group(ip->dst)) {
    drop(now, Ctr::kDropIpv4MulticastNotMember);
    return;
  }
  const Address* a = find_address(ip->dst);
  bool transit = cfg_.transparent && !ip->dst.is_unspecified() &&
                 (ip->protocol == IpProto::kTcp || ip->protocol == IpProto::kUdp ||
                  (cfg_.relay_echo && ip->protocol == IpProto::kIcmp));
  if (!broadcast && !multicast && !(a && a->state == AddressState::kPreferred) && !transit) {
    drop(now, Ctr::kDropIpv4NotForUs);
    return;
  }
  // RFC 1122 §3.2.1.7: a host does not discard a datagram for its TTL; options are
  // tolerated (§3.2.1.8: unknown ones ignored).

  if (ip->is_fragment()) {
    counters_.inc(Ctr::kIpReasmReqds);
    ReassemblyKey key{ip->src, ip->dst, ip->ident, static_cast<std::uint8_t>(ip->protocol)};
    auto r = reasm_v4_.add(now, key, ip->frag_offset_bytes(), ip->payload, ip->more_frags,
                           packet.first(ip->header_len()));
    count_evictions(now, r.evicted, Ctr::kIpReasmFails, Ctr::kDropIpv4ReasmEvicted);
    switch (r.outcome) {
      case Reassembler::Outcome::kIncomplete:
      case Reassembler::Outcome::kDuplicate:
        return;
      case Reassembler::Outcome::kComplete:
        break;
      case Reassembler::Outcome::kOverlap:
        counters_.inc(Ctr::kIpReasmFails);
        drop(now, Ctr::kDropIpv4ReasmOverlap);
        return;
      case Reassembler::Outcome::kTooBig:
        counters_.inc(Ctr::kIpReasmFails);
        drop(now, Ctr::kDropIpv4ReasmTooBig);
        return;
      case Reassembler::Outcome::kInconsistent:
        counters_.inc(Ctr::kIpReasmFails);
        drop(now, Ctr::kDropIpv4BadFragment);
        return;
      case Reassembler::Outcome::kMemoryFull:
        counters_.inc(Ctr::kIpReasmFails);
        drop(now, Ctr::kDropIpv4ReasmMemory);
        return;
      case Reassembler::Outcome::kTooManyDatagrams:
        counters_.inc(Ctr::kIpReasmFails);
        drop(now, Ctr::kDropIpv4ReasmTooMany);
        return;
    }
    // Rebuild one unfragmented datagram from the first fragment's header and run it through
    // input again, so everything after this point sees a whole packet.
    std::size_t total = r.first_header.size() + r.payload.size();
    if (total > Ipv4Repr::kMaxTotalLen) {
      counters_.inc(Ctr::kIpReasmFails);
      drop(now, Ctr::kDropIpv4ReasmTooBig);
      return;
    }
    counters_.inc(Ctr::kIpReasmOks);
    rebuilt_.assign(r.first_header.begin(), r.first_header.end());
    rebuilt_.insert(rebuilt_.end(), r.payload.begin(), r.payload.end());
    store_be16(rebuilt_, 2, static_cast<std::uint16_t>(total));
    store_be16(rebuilt_, 6, 0);  // flags and fragment offset
    store_be16(rebuilt_, 10, 0);
    store_be16(rebuilt_, 10, internet_checksum(Bytes(rebuilt_).first(r.first_header.size())));
    if (offer_reassembled(now, rebuilt_, link_broadcast)) return;
    ipv4_input(now, rebuilt_, link_broadcast, true);
    return;
  }

  IpRxMeta meta;
  meta.src = ip->src;
  meta.dst = ip->dst;
  meta.proto = ip->protocol;
  meta.hop_limit = ip->ttl;
  meta.tos = ip->tos;
  meta.dst_is_broadcast_or_multicast = broadcast || multicast || link_broadcast;
  // The device vouched for this packet's transport checksum (DATA_VALID), or it is partial
  // (NEEDS_CSUM: the local kernel leaves it to the device): either way not ours to verify. A
  // reassembled datagram's fragments were never covered one by one.
  meta.checksum_verified =
      (caps_.rx_checksum_verified || rx_offload_.checksum_trusted()) && !reassembled;
  deliver(now, meta, ip->payload, packet);
}

void Stack::icmpv4_input(Instant now, const IpRxMeta& meta, Bytes message, Bytes packet) {
  counters_.inc(Ctr::kIcmpInMsgs);
  auto icmp = Icmpv4Repr::parse(message);
  if (!icmp) {
    drop_parse(now, ParseLayer::kIcmpv4, icmp.error());
    return;
  }
  trace(now, TraceKind::kIcmp, to_string(icmp->type), message.size(),
        static_cast<std::uint8_t>(icmp->type), meta.dst, meta.src);
  if (icmp_in_transit(now, meta, icmp->type == Icmpv4Type::kEchoRequest, icmp->ident, icmp->seq_no,
                      icmp->data)) {
    return;
  }
  switch (icmp->type) {
    case Icmpv4Type::kEchoRequest: {
      counters_.inc(Ctr::kIcmpInEchos);
      if (meta.dst_is_broadcast_or_multicast && cfg_.ignore_broadcast_echo) {
        drop(now, Ctr::kDropIcmpBroadcastEcho);
        return;
      }
      // RFC 1122 §3.2.2.6: the reply comes from the address the request was sent to.
      std::optional<IpAddr> src = meta.dst;
      if (meta.dst_is_broadcast_or_multicast) src = select_source(meta.src);
      if (!src) return;
      Icmpv4Repr reply = Icmpv4Repr::echo_reply_to(*icmp);
      counters_.inc(Ctr::kIcmpOutMsgs);
      counters_.inc(Ctr::kIcmpOutEchoReps);
      send_ip(now, *src, meta.src, IpProto::kIcmp, reply.buffer_len(),
              [&](MutBytes out) { reply.emit(out); });
      return;
    }
    case Icmpv4Type::kEchoReply: {
      counters_.inc(Ctr::kIcmpInEchoReps);
      queue_echo_reply(now, meta, icmp->ident, icmp->seq_no, icmp->data);
      return;
    }
    case Icmpv4Type::kDestUnreachable:
    case Icmpv4Type::kTimeExceeded:
    case Icmpv4Type::kParamProblem:
      break;
    default:
      // Redirects, timestamps, router discovery, source quench (RFC 6633): not acted on.
      drop(now, Ctr::kDropIcmpUnhandledType);
      return;
  }

  IcmpError err;
  err.type = static_cast<std::uint8_t>(icmp->type);
  err.code = icmp->code;
  err.reporter = meta.src;
  if (icmp->type == Icmpv4Type::kDestUnreachable) {
    counters_.inc(Ctr::kIcmpInDestUnreachs);
    err.kind = unreach_kind(icmp->code, &err.hard);
  } else if (icmp->type == Icmpv4Type::kTimeExceeded) {
    counters_.inc(Ctr::kIcmpInTimeExcds);
    err.kind = IcmpError::Kind::kTimeExceeded;
  } else {
    counters_.inc(Ctr::kIcmpInParmProbs);
    err.kind = IcmpError::Kind::kParameterProblem;
    err.hard = true;
  }
  auto quote = icmp->quote();
  if (!quote) {
    drop_parse(now, ParseLayer::kIcmpv4, quote.error());
    return;
  }
  if (!take_quote(now, *quote, Ctr::kDropIcmpUnmatchedError, err)) return;
  if (err.kind == IcmpError::Kind::kFragmentationNeeded) {
    // RFC 1191 §5: an old router sends 0; guess the next plateau below what we sent.
    err.next_hop_mtu =
        icmp->next_hop_mtu ? icmp->next_hop_mtu : PmtuCache::plateau_below(quote->total_len);
  }
  deliver_icmp_error(now, err);
}

void Stack::send_icmpv4_error(Instant now, Bytes offending, std::uint8_t type, std::uint8_t code,
                              std::uint32_t rest_of_header) {
  // The offending datagram may be cut short (the first fragment of a datagram that timed
  // out), so it is read the lenient way an ICMP quote is.
  Ipv4Addr src, dst;
  IpProto proto;
  std::size_t total_len = 0;
  Bytes header, transport;
  if (auto ip = Ipv4Repr::parse(offending, ChecksumCheck::kSkip)) {
    src = ip->src;
    dst = ip->dst;
    proto = ip->protocol;
    total_len = ip->total_len();
    header = offending.first(ip->header_len());
    transport = ip->payload;
  } else if (auto q = Icmpv4Quote::parse(offending)) {
    src = q->src;
    dst = q->dst;
    proto = q->proto;
    total_len = offending.size();
    header = q->header;
    transport = q->transport;
  } else {
    return;
  }
  // RFC 1122 §3.2.2: never about an ICMP error, a fragment other than the first, a datagram
  // to a broadcast or multicast address, or from an address that is not one host.
  if ((load_be16(header, 6) & 0x1fff) != 0) return;
  if (src.is_unspecified() || src.is_broadcast() || src.is_multicast() ||
      is_our_v4_broadcast(src) || src.is_loopback()) {
    return;
  }
  if (dst.is_multicast() || is_our_v4_broadcast(dst)) return;
  if (proto == IpProto::kIcmp && !transport.empty() && is_icmpv4_error_type(transport[0])) {
    return;
  }
  // RFC 1812 §4.3.2.8: rate limited (token buckets, as Linux).
  if (!icmp_limiter_.allow(now, src)) {
    counters_.inc(Ctr::kIcmpOutRateLimited);
    trace(now, TraceKind::kDrop, counter_name(Ctr::kIcmpOutRateLimited));
    return;
  }
  const Address* ours = find_address(dst);
  std::optional<IpAddr> from = ours ? std::optional<IpAddr>(dst) : select_source(src);
  if (!from || !from->is_v4()) return;
  Bytes quoted = offending.first(std::min({offending.size(), total_len, kMaxIcmpv4Quote}));
  Icmpv4Repr msg;
  switch (type) {
    case 3:
      msg = Icmpv4Repr::dest_unreachable(static_cast<Icmpv4Unreach>(code), quoted,
                                         static_cast<std::uint16_t>(rest_of_header));
      counters_.inc(Ctr::kIcmpOutDestUnreachs);
      break;
    case 11:
      msg = Icmpv4Repr::time_exceeded(static_cast<Icmpv4TimeExceeded>(code), quoted);
      counters_.inc(Ctr::kIcmpOutTimeExcds);
      break;
    default:
      msg = Icmpv4Repr::param_problem(static_cast<std::uint8_t>(rest_of_header), quoted);
      counters_.inc(Ctr::kIcmpOutParmProbs);
      break;
  }
  counters_.inc(Ctr::kIcmpOutMsgs);
  trace(now, TraceKind::kIcmp, to_string(msg.type), msg.buffer_len(), type, *from, src);
  send_ip(now, *from, src, IpProto::kIcmp, msg.buffer_len(), [&](MutBytes out) { msg.emit(out); });
}

void Stack::arp_input(Instant now, const MacAddr& eth_dst, Bytes payload) {
  auto arp = ArpRepr::parse(payload);
  if (!arp) {
    drop_parse(now, ParseLayer::kArp, arp.error());
    return;
  }
  bool request = arp->op == ArpOp::kRequest;
  counters_.inc(request ? Ctr::kArpInRequests : Ctr::kArpInReplies);
  const Address* target = find_address(arp->tpa);
  bool tpa_ours = target && target->state == AddressState::kPreferred;
  // RFC 5227 §2.4: another host claims one of our addresses. We keep it (and count); the
  // sender's binding must not overwrite ours.
  if (find_address(arp->spa)) {
    if (arp->sha != mac_) {
      counters_.inc(Ctr::kArpAddressConflicts);
      trace(now, TraceKind::kDrop, counter_name(Ctr::kArpAddressConflicts));
    }
    return;
  }
  if (arp->spa.is_unspecified()) {
    // An ARP probe (RFC 5227 §2.1.1) for one of our addresses: defend it.
    if (request && tpa_ours) {
      send_arp(now, arp->sha, ArpRepr::reply_to(*arp, mac_));
      counters_.inc(Ctr::kArpOutReplies);
    }
    return;
  }
  bool known = false;
  if (tpa_ours) {
    if (request) {
      // RFC 826: the requester will talk to us; remember it (STALE, RFC 4861-style NUD).
      known = arp_.on_lladdr(now, arp->spa, arp->sha, true);
      send_arp(now, arp->sha, ArpRepr::reply_to(*arp, mac_));
      counters_.inc(Ctr::kArpOutReplies);
    } else {
      known = arp_.on_advert(now, arp->spa, arp->sha, eth_dst == mac_, true);
    }
  } else {
    // Not for us (or gratuitous): refresh an entry we already have, create none (RFC 826
    // "merge" step; RFC 5227 §3 announcements).
    known = arp_.on_lladdr(now, arp->spa, arp->sha, false);
    if (!known && !arp->is_gratuitous()) drop(now, Ctr::kDropArpNotForUs);
  }
  if (known) flush_neighbor_queue(now, arp_, arp->spa);
}

void Stack::send_arp(Instant now, const MacAddr& eth_dst, const ArpRepr& arp) {
  transmit_ethernet(now, eth_dst, EtherType::kArp, arp.buffer_len(),
                    [&](MutBytes out) { arp.emit(out); });
}

}  // namespace ustack
