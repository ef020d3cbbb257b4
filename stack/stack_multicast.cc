// Stack: multicast group membership (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP), which groups the
// receive filter accepts, and the host side of IGMPv2 (RFC 2236) and MLDv2 (RFC 3810): the
// messages for what ip/multicast_groups.h decides, and the queries and reports it hears.
//
// IGMP and MLD run on a TUN as on a TAP (the kernel at the other end of a TUN sends and reads
// them too). What differs: on a TUN we do no NDP, so the solicited-node groups are accepted but
// not announced, and with no link-local address MLD messages come from :: (RFC 3810 §5).
#include <algorithm>
#include <cstring>

#include "stack/stack.h"
#include "stack/wire/igmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/mld.h"

namespace ustack {
namespace {

const Ipv4Addr kAllHosts = Ipv4Addr::from_u32(0xe0000001);    // 224.0.0.1
const Ipv4Addr kAllRouters = Ipv4Addr::from_u32(0xe0000002);  // 224.0.0.2
const Ipv6Addr kAllMldv2Routers = *Ipv6Addr::parse("ff02::16");

// RFC 2113: Router Alert, value 0 ("router shall examine packet").
constexpr std::uint8_t kRouterAlertOption[] = {148, 4, 0, 0};
// Linux igmp_send_report: IGMP goes out with precedence "internetwork control".
constexpr std::uint8_t kTosInternetControl = 0xc0;

}  // namespace

// --- Membership ---

bool Stack::join_group(Instant now, const IpAddr& group) {
  if (!group.is_multicast()) return false;
  last_poll_ = std::max(last_poll_, now);
  // The first join is announced at once (the report's repeats come from poll()).
  if (groups_.join(now, group)) run_group_timers(now);
  return true;
}

void Stack::leave_group(Instant now, const IpAddr& group) {
  last_poll_ = std::max(last_poll_, now);
  if (groups_.leave(now, group)) run_group_timers(now);
}

bool Stack::accepts_group(const IpAddr& group) const {
  if (group.is_v4()) return group.v4() == kAllHosts || groups_.is_member(group);
  bool tentative = false;
  return is_our_v6_destination(group.v6(), &tentative);
}

void Stack::join_solicited_node(Instant now, Address& a) {
  if (caps_.medium != Medium::kEthernet || !a.cidr.addr.is_v6() || a.joined_solicited_node) {
    return;
  }
  a.joined_solicited_node = true;
  // Linux announces the solicited-node groups (only ff02::1 and interface-local groups are
  // MAF_NOREPORT); RFC 3810 §5.2.13 allows :: as the source while the link-local is tentative.
  IpAddr group(Ipv6Addr::solicited_node(a.cidr.addr.v6()));
  if (groups_.join(now, group, cfg_.mld_report_solicited_node)) {
    run_group_timers(now);
  }
}

void Stack::leave_solicited_node(Instant now, Address& a) {
  if (!a.joined_solicited_node) return;
  a.joined_solicited_node = false;
  groups_.leave(now, IpAddr(Ipv6Addr::solicited_node(a.cidr.addr.v6())));
}

// --- Output ---

bool Stack::run_group_timers(Instant now) {
  if (groups_.next_deadline() > now) return false;
  groups_.poll(now, [&](const GroupReport& r) { send_group_report(now, r); });
  return true;
}

void Stack::send_group_report(Instant now, const GroupReport& r) {
  using Kind = GroupReport::Kind;
  if (r.group.is_v4()) {
    Ipv4Addr g = r.group.v4();
    if (r.kind == Kind::kLeave) {
      // RFC 2236 §3: Leave Group goes to all-routers.
      counters_.inc(Ctr::kIgmpOutLeaves);
      send_igmp(now, kAllRouters, IgmpRepr::leave(g));
      return;
    }
    // RFC 2236 §4: while an IGMPv1 router is present, reports are version 1.
    counters_.inc(Ctr::kIgmpOutReports);
    send_igmp(now, g, r.old_version ? IgmpRepr::v1_report(g) : IgmpRepr::v2_report(g));
    return;
  }
  Ipv6Addr g = r.group.v6();
  if (r.old_version) {
    // RFC 3810 §8.2.1: MLDv1 compatibility mode: RFC 2710 reports to the group, Done to
    // all-routers.
    if (r.kind == Kind::kLeave) {
      counters_.inc(Ctr::kMldOutDones);
      send_mld(now, Ipv6Addr::all_routers(), MldRepr::done(g));
    } else if (r.kind != Kind::kCurrentAll) {
      counters_.inc(Ctr::kMldOutReports);
      send_mld(now, g, MldRepr::v1_report(g));
    }
    return;
  }
  switch (r.kind) {
    case Kind::kJoin:  // RFC 3810 §6.1: IS_IN( {} ) → IS_EX( {} )
      send_mldv2_report(now, MldRecordType::kChangeToExclude, {r.group});
      return;
    case Kind::kLeave:  // ... and back
      send_mldv2_report(now, MldRecordType::kChangeToInclude, {r.group});
      return;
    case Kind::kCurrent:  // RFC 3810 §6.3: answer to a Multicast Address Specific Query
      send_mldv2_report(now, MldRecordType::kModeIsExclude, {r.group});
      return;
    case Kind::kCurrentAll: {  // ... and to a General Query, every group in one report
      std::vector<IpAddr> all;
      groups_.for_each_reported(true, [&](const IpAddr& a) { all.push_back(a); });
      send_mldv2_report(now, MldRecordType::kModeIsExclude, all);
      return;
    }
  }
}

void Stack::send_mldv2_report(Instant now, MldRecordType type, const std::vector<IpAddr>& groups) {
  // RFC 3810 §5.2.15: records that do not fit one packet go in more reports.
  std::size_t room = link_mtu(true) - Ipv6Repr::kHeaderLen - Ipv6RouterAlertHeader::kLen -
                     MldRepr::kV2ReportHeaderLen;
  std::size_t per_report = std::max<std::size_t>(room / MldAddressRecord::kFixedLen, 1);
  ByteVec records;
  for (std::size_t first = 0; first < groups.size(); first += per_report) {
    std::size_t n = std::min(per_report, groups.size() - first);
    records.assign(n * MldAddressRecord::kFixedLen, 0);
    for (std::size_t i = 0; i < n; ++i) {
      MldAddressRecord rec{type, groups[first + i].v6()};
      rec.emit(MutBytes(records).subspan(i * MldAddressRecord::kFixedLen));
    }
    counters_.inc(Ctr::kMldOutReports);
    send_mld(now, kAllMldv2Routers, MldRepr::v2_report(records, static_cast<std::uint16_t>(n)));
  }
}

void Stack::send_igmp(Instant now, const Ipv4Addr& dst, const IgmpRepr& msg) {
  std::optional<LinkDest> dest = route_for(IpAddr(dst));
  if (!dest) return;
  // RFC 2236 §2: TTL 1 and the IP Router Alert option (RFC 2113) on every IGMP message.
  std::optional<IpAddr> src = select_source(IpAddr(dst));
  Ipv4Repr ip;
  ip.tos = kTosInternetControl;
  ip.ident = next_ip_id_++;
  ip.dont_frag = true;
  ip.ttl = 1;
  ip.protocol = IpProto::kIgmp;
  ip.src = src ? src->v4() : Ipv4Addr::any();
  ip.dst = dst;
  (void)ip.set_options(kRouterAlertOption);
  ip.payload_len = msg.buffer_len();
  counters_.inc(Ctr::kIpOutRequests);
  trace(now, TraceKind::kIcmp, "igmp-out", msg.buffer_len(), static_cast<std::uint8_t>(msg.type),
        IpAddr(ip.src), IpAddr(dst));
  link_output(now, *dest, ip.total_len(), [&](MutBytes out) {
    ip.emit(out);
    msg.emit(out.subspan(ip.header_len()));
  });
}

void Stack::send_mld(Instant now, const Ipv6Addr& dst, const MldRepr& msg) {
  std::optional<LinkDest> dest = route_for(IpAddr(dst));
  if (!dest) return;
  // RFC 3810 §5: hop limit 1, a Hop-by-Hop Router Alert, a link-local source or :: before
  // one is usable (§5.2.13, during DAD).
  Ipv6Addr src = link_local_address().value_or(Ipv6Addr::any());
  Ipv6Repr ip;
  ip.hop_limit = 1;
  ip.src = src;
  ip.dst = dst;
  ip.next_header = IpProto::kHopByHop;
  ip.payload_len = static_cast<std::uint16_t>(Ipv6RouterAlertHeader::kLen + msg.buffer_len());
  counters_.inc(Ctr::kIp6OutRequests);
  counters_.inc(Ctr::kIcmp6OutMsgs);
  trace(now, TraceKind::kIcmp, to_string(msg.type), msg.buffer_len(),
        static_cast<std::uint8_t>(msg.type), IpAddr(src), IpAddr(dst));
  link_output(now, *dest, ip.total_len(), [&](MutBytes out) {
    ip.emit(out);
    Ipv6RouterAlertHeader{}.emit(out.subspan(Ipv6Repr::kHeaderLen));
    msg.emit(out.subspan(Ipv6Repr::kHeaderLen + Ipv6RouterAlertHeader::kLen), src, dst);
  });
}

// --- Input ---

void Stack::igmp_input(Instant now, const IpRxMeta& meta, Bytes message) {
  auto igmp = IgmpRepr::parse(message);
  if (!igmp) {
    drop_parse(now, ParseLayer::kIgmp, igmp.error());
    return;
  }
  trace(now, TraceKind::kIcmp, "igmp-in", message.size(), static_cast<std::uint8_t>(igmp->type),
        meta.dst, meta.src);
  switch (igmp->type) {
    case IgmpType::kMembershipQuery: {
      counters_.inc(Ctr::kIgmpInQueries);
      // RFC 2236 §2.4: a General Query has group 0, a Group-Specific Query names a group.
      // RFC 2236 §2.5 (and RFC 3376 §7.2.1 for what a v2 host does with one): an IGMPv3 query
      // is answered as a v2 query; its source list is ignored (we never filter sources).
      if (!igmp->group.is_unspecified() && !igmp->group.is_multicast()) {
        drop(now, Ctr::kDropIgmpBadQuery);
        return;
      }
      groups_.on_query(now, IpAddr(igmp->group), igmp->max_resp_time(), igmp->is_v1_query());
      return;
    }
    case IgmpType::kV1MembershipReport:
    case IgmpType::kV2MembershipReport:
      // RFC 2236 §3: another member answered first; ours would be a duplicate.
      counters_.inc(Ctr::kIgmpInReports);
      if (groups_.on_report_heard(IpAddr(igmp->group))) {
        counters_.inc(Ctr::kIgmpReportsSuppressed);
      }
      return;
    default:
      // Leaves and IGMPv3 reports are for routers; unknown types are ignored (RFC 2236 §2.1).
      drop(now, Ctr::kDropIgmpUnhandledType);
      return;
  }
}

void Stack::mld_input(Instant now, const IpRxMeta& meta, Bytes message, Bytes packet) {
  // The ICMPv6 checksum was verified by icmpv6_input.
  Ipv6Addr src = meta.src.v6(), dst = meta.dst.v6();
  auto mld = MldRepr::parse(message, src, dst, ChecksumCheck::kSkip);
  if (!mld) {
    drop_parse(now, ParseLayer::kMld, mld.error());
    return;
  }
  switch (mld->type) {
    case Icmpv6Type::kMldQuery: {
      counters_.inc(Ctr::kMldInQueries);
      // RFC 3810 §6.2 (RFC 2710 §5): a query comes from a link-local address with hop limit 1
      // and a Router Alert; anything else is dropped.
      auto ip = Ipv6Repr::parse(packet);
      bool router_alert =
          ip && std::any_of(ip->options().begin(), ip->options().end(), [](const Ipv6Option& o) {
            return o.header == IpProto::kHopByHop && o.type == ipv6_option::kRouterAlert;
          });
      bool group_ok = mld->group.is_unspecified() || mld->group.is_multicast();
      if (!src.is_link_local() || meta.hop_limit != 1 || !router_alert || !group_ok) {
        drop(now, Ctr::kDropMldBadQuery);
        return;
      }
      // RFC 3810 §8.2.1: a 24-byte (MLDv1) query starts MLDv1 compatibility mode.
      groups_.on_query(now, IpAddr(mld->group), mld->max_resp_delay(), mld->is_v1_query());
      return;
    }
    case Icmpv6Type::kMldReport:
      counters_.inc(Ctr::kMldInReports);
      // RFC 2710 §4: suppression, which only MLDv1 (compatibility mode) has; an MLDv2 host
      // ignores other listeners' reports (RFC 3810 §6).
      if (groups_.old_version(now, true) && groups_.on_report_heard(IpAddr(mld->group))) {
        counters_.inc(Ctr::kMldReportsSuppressed);
      }
      return;
    default:
      // Dones and MLDv2 reports are for routers.
      drop(now, Ctr::kDropMldUnhandledType);
      return;
  }
}

}  // namespace ustack
