// Flow priming for multi-queue TUN/TAP (--queues): how a connection ustack opens from shard k
// gets its answers on queue k.
//
// Linux's tun sends a packet to the queue its flow table names for the packet's flow (the
// symmetric flow hash), else to a queue picked by that hash (drivers/net/tun.c,
// tun_select_queue -> tun_automq_select_queue). The table is learnt from what the queues write:
// tun_get_user() records "this flow -> the writer's queue" (tun_flow_update) — but only after
// the packet went through the kernel's receive path, which already sent any answer it makes
// synchronously. So the kernel's SYN-ACK to our first SYN is steered by hash alone, to any
// queue (measured: about half of them land elsewhere with 2 queues), and the shard there would
// reset it; an echo reply to our ping likewise. The fix: before a SYN or an echo request, write
// the same packet with a broken TCP/ICMP checksum. The kernel records the flow, then drops the
// packet silently (RFC 9293 §3.1, RFC 1122 §3.2.2: a bad checksum is discarded; Linux counts it
// in TcpInCsumErrors / IcmpInCsumErrors and sends nothing), and its answer follows the entry.
//
// The table forgets a flow after 3 s without a packet from us (TUN_FLOW_EXPIRE): a connection
// ustack opened and left idle longer, whose peer then speaks first, is steered by hash again.
#pragma once

#include <cstddef>

#include "stack/base/bytes.h"

namespace ustack::tun {

// If `packet` (an IPv4 or IPv6 packet, no extension headers, not a fragment) carries a TCP SYN
// without ACK or an ICMP/ICMPv6 echo request, writes into `out` (at least packet.size() bytes)
// a copy whose TCP/ICMP checksum is wrong and returns true; otherwise false. The IP header is
// kept intact (its checksum stays valid).
bool make_flow_prime(Bytes packet, MutBytes out);

}  // namespace ustack::tun
