#include "pcap_tests/replay/conversation.h"

#include <map>
#include <sstream>
#include <tuple>

#include "pcap_tests/replay/packet_view.h"
#include "tun/pcap_file.h"

namespace ustack::replay {
namespace {

// Flow key with its ends in a fixed order, so both directions map to one flow.
struct Key {
  IpProto proto;
  Endpoint lo, hi;
  bool operator<(const Key& o) const {
    auto t = [](const Key& k) {
      return std::make_tuple(static_cast<int>(k.proto), k.lo.to_string(), k.hi.to_string());
    };
    return t(*this) < t(o);
  }
};

Key key_of(const PacketView& v) {
  Endpoint a{v.src, v.src_port}, b{v.dst, v.dst_port};
  if (b.to_string() < a.to_string()) std::swap(a, b);
  return Key{v.proto, a, b};
}

bool is_first_syn(const PacketView& v) {
  return v.tcp && v.tcp->has(tcp_flags::kSyn) && !v.tcp->has(tcp_flags::kAck);
}

}  // namespace

const char* to_string(Side s) { return s == Side::kClient ? "client" : "server"; }

std::string Endpoint::to_string() const {
  if (ip.is_v4()) return ip.to_string() + ":" + std::to_string(port);
  return "[" + ip.to_string() + "]:" + std::to_string(port);
}

std::string Flow::to_string() const {
  std::ostringstream o;
  o << number << "  " << (proto == IpProto::kTcp ? "tcp" : "udp") << " " << client.to_string()
    << " > " << server.to_string() << "  " << packets << " packets (" << client_packets
    << " from the client), " << Duration(last - first).total_millis() << " ms";
  if (proto == IpProto::kTcp && !has_handshake) o << ", no handshake";
  if (bad_checksums) o << ", " << bad_checksums << " bad checksums";
  return o.str();
}

std::vector<Flow> list_flows(const PacketList& packets) {
  std::vector<Flow> flows;
  std::vector<std::pair<Endpoint, std::size_t>> first_sender;  // per flow: its packets
  std::map<Key, std::size_t> index;
  for (const TimedPacket& p : packets) {
    auto v = view_packet(p.ip);
    if (!v) continue;
    const Endpoint src{v->src, v->src_port};
    auto [it, fresh] = index.try_emplace(key_of(*v), flows.size());
    if (fresh) {
      Flow f;
      f.number = static_cast<int>(flows.size()) + 1;
      f.proto = v->proto;
      f.client = src;
      f.server = {v->dst, v->dst_port};
      f.first = p.at;
      flows.push_back(f);
      first_sender.push_back({src, 0});
    }
    Flow& f = flows[it->second];
    // The SYN names the client even when a stray segment of the flow came first.
    if (is_first_syn(*v) && !f.has_handshake) {
      f.has_handshake = true;
      if (!(f.client == src)) std::swap(f.client, f.server);
    }
    ++f.packets;
    if (first_sender[it->second].first == src) ++first_sender[it->second].second;
    if (!v->checksum_ok) ++f.bad_checksums;
    f.last = p.at;
  }
  for (std::size_t i = 0; i < flows.size(); ++i) {
    const auto& [sender, count] = first_sender[i];
    flows[i].client_packets = flows[i].client == sender ? count : flows[i].packets - count;
  }
  return flows;
}

PacketList read_capture(const std::string& path) {
  PacketList out;
  try {
    tun::PcapReader reader(path);
    tun::PcapRecord rec;
    while (reader.next(rec)) {
      auto net = tun::network_packet(rec);
      if (!net || (net->ethertype != EtherType::kIpv4 && net->ethertype != EtherType::kIpv6)) {
        continue;
      }
      out.push_back({rec.timestamp, false, ByteVec(net->packet.begin(), net->packet.end())});
    }
  } catch (const tun::PcapError& e) {
    throw ReplayInputError(e.what());
  }
  return out;
}

Conversation select_conversation(const PacketList& packets, std::optional<int> number,
                                 std::optional<Side> side) {
  std::vector<Flow> flows = list_flows(packets);
  if (flows.empty()) throw ReplayInputError("the capture holds no TCP or UDP packet to replay");
  if (!number && flows.size() > 1) {
    std::string list;
    for (const Flow& f : flows) list += "\n  " + f.to_string();
    throw ReplayInputError("the capture holds " + std::to_string(flows.size()) +
                           " flows; choose one with --flow N:" + list);
  }
  const int n = number.value_or(1);
  if (n < 1 || n > static_cast<int>(flows.size())) {
    throw ReplayInputError("no flow " + std::to_string(n) + " in the capture (it has " +
                           std::to_string(flows.size()) + ")");
  }
  Conversation c;
  c.flow = flows[n - 1];
  if (c.flow.proto == IpProto::kTcp && !c.flow.has_handshake) {
    throw ReplayInputError("flow " + std::to_string(n) +
                           " starts without its handshake (the capture began mid-connection); "
                           "replay needs the SYN");
  }
  c.side = side.value_or(Side::kServer);
  c.host = c.side == Side::kServer ? c.flow.server : c.flow.client;
  c.peer = c.side == Side::kServer ? c.flow.client : c.flow.server;
  for (const TimedPacket& p : packets) {
    auto v = view_packet(p.ip);
    if (!v) {
      // An ICMP error about one of the flow's packets (RFC 1122 §4.2.3.9, RFC 1191) belongs to
      // the conversation: to the host when it quotes what the host sent.
      auto e = view_icmp_error(p.ip);
      if (!e || e->quoted_proto != c.flow.proto) continue;
      Endpoint qs{e->quoted_src, e->quoted_src_port}, qd{e->quoted_dst, e->quoted_dst_port};
      if (qs == c.host && qd == c.peer && e->dst == c.host.ip) {
        c.packets.push_back({p.at, false, p.ip});
      } else if (qs == c.peer && qd == c.host && e->src == c.host.ip) {
        c.packets.push_back({p.at, true, p.ip});
      }
      continue;
    }
    if (v->proto != c.flow.proto) continue;
    Endpoint src{v->src, v->src_port}, dst{v->dst, v->dst_port};
    if (src == c.host && dst == c.peer) {
      c.packets.push_back({p.at, true, p.ip});
    } else if (src == c.peer && dst == c.host) {
      c.packets.push_back({p.at, false, p.ip});
    }
  }
  return c;
}

}  // namespace ustack::replay
