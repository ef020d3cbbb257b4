#!/bin/bash
# `ustack udp` and multicast against the real kernel over TAP (Ethernet: group MACs, IGMP and
# MLD on the wire):
#   UstackListenJoinsIpv4AndIpv6Groups      `udp listen --join 239.1.2.3 --join ff15::1:2`
#                                           prints what a kernel socket sends to the groups
#                                           (IP_MULTICAST_IF / IPV6_MULTICAST_IF on the tap)
#   UstackReportsItsMembership              tcpdump on the tap sees the IGMPv2 report for
#                                           239.1.2.3 and an MLDv2 report naming ff15::1:2
#   KernelGroupMemberReceivesUstackSend     a kernel socket that joined 239.1.2.4 / ff15::1:3
#                                           on the tap receives `udp send` to the group
source "$(dirname "$0")/lib.sh"
setup_ns
TAP="ustp${ID}"
PY=/usr/bin/python3
in_ns ip tuntap add dev "$TAP" mode tap || die "cannot create $TAP"
in_ns ip addr add 198.18.5.1/24 dev "$TAP"
in_ns ip addr add fd00:5::1/64 dev "$TAP" nodad
in_ns ip link set "$TAP" up
MC=(--tap "$TAP" --netns "$NS" --no-create --addr 198.18.5.2/24 --addr fd00:5::2/64)

ip netns exec "$NS" tcpdump -i "$TAP" -n -U -w "$WORK/mc.pcap" 2>"$WORK/tcpdump.err" &
DUMP_PID=$!
PIDS+=("$DUMP_PID")
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.1; done

# ---------------------------------------------------------------- kernel -> ustack's groups
launch_ustack udp listen "${MC[@]}" --join 239.1.2.3 --join ff15::1:2 9400
cat >"$WORK/group_send.py" <<'PY'
import socket, struct, sys
tap = sys.argv[1]
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s4.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("198.18.5.1"))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(tap))
for _ in range(3):  # the membership may still be settling: the listener counts any copy
    s4.sendto(b"to group v4", ("239.1.2.3", 9400))
    s6.sendto(b"to group v6", ("ff15::1:2", 9400, 0, socket.if_nametoindex(tap)))
PY
printed() {
  for _ in $(seq 30); do
    grep -q "$1" "$USTACK_LOG" && return 0
    sleep 0.1
  done
  return 1
}
sleep 0.5  # the reports go out on the first polls
in_ns $PY "$WORK/group_send.py" "$TAP"
check "udp listen --join 239.1.2.3 prints a kernel datagram to the group" \
  printed "^from 198\.18\.5\.1:[0-9]*, 11 bytes: to group v4$"
check "udp listen --join ff15::1:2 prints a kernel datagram to the group" \
  printed "^from \[fe80::[0-9a-f:]*\]:[0-9]*, 11 bytes: to group v6$\|^from \[fd00:5::1\]:[0-9]*, 11 bytes: to group v6$"
stop_ustack TERM
check "udp listen exits 0" test "$USTACK_RC" = 0

tsh() { tshark -r "$WORK/mc.pcap" -Y "$1" 2>/dev/null | wc -l; }
# tcpdump writes each packet as it sees it (-U), but may be behind on a busy machine: wait
# (bounded) for both reports before stopping it.
for _ in $(seq 50); do
  igmp=$(tsh 'igmp.type == 0x16 && igmp.maddr == 239.1.2.3')
  mld=$(tsh 'icmpv6.type == 143 && icmpv6.mldr.mar.multicast_address == ff15::1:2')
  [ "$igmp" -ge 1 ] && [ "$mld" -ge 1 ] && break
  sleep 0.1
done
kill -TERM "$DUMP_PID"  # background jobs ignore SIGINT
wait "$DUMP_PID"
check "tcpdump on the tap: an IGMPv2 membership report for 239.1.2.3 ($igmp)" test "$igmp" -ge 1
check "tcpdump on the tap: an MLDv2 report naming ff15::1:2 ($mld)" test "$mld" -ge 1

# ---------------------------------------------------------------- ustack -> kernel members
cat >"$WORK/group_recv.py" <<'PY'
import select, socket, struct, sys
tap, out = sys.argv[1], sys.argv[2]
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s4.bind(("239.1.2.4", 9500))
s4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
              socket.inet_aton("239.1.2.4") + socket.inet_aton("198.18.5.1"))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s6.bind(("ff15::1:3", 9500, 0, socket.if_nametoindex(tap)))
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
              socket.inet_pton(socket.AF_INET6, "ff15::1:3") + struct.pack("@I", socket.if_nametoindex(tap)))
print("ready", flush=True)
with open(out, "w") as f:
    got = set()
    while len(got) < 2:
        for s in select.select([s4, s6], [], [])[0]:
            data, peer = s.recvfrom(2000)
            f.write("%s %s" % (peer[0], data.decode()))
            f.flush()
            got.add(s.family)
PY
bg_ns $PY -u "$WORK/group_recv.py" "$TAP" "$WORK/members.got" >"$WORK/recv.log" 2>&1
for _ in $(seq 50); do grep -q ready "$WORK/recv.log" && break; sleep 0.1; done
echo "ustack to the v4 group" | "$USTACK" udp send "${MC[@]}" -w 0.2 239.1.2.4 9500
check "udp send to 239.1.2.4: exit 0" test $? = 0
echo "ustack to the v6 group" | "$USTACK" udp send "${MC[@]}" -w 0.2 ff15::1:3 9500
check "udp send to ff15::1:3: exit 0" test $? = 0
sleep 0.3
echo "  kernel members got: $(cat "$WORK/members.got" 2>/dev/null | tr '\n' '|')"
check "a kernel socket that joined 239.1.2.4 on the tap received udp send" \
  grep -q "^198.18.5.2 ustack to the v4 group" "$WORK/members.got"
check "a kernel socket that joined ff15::1:3 on the tap received udp send" \
  grep -q "ustack to the v6 group" "$WORK/members.got"
finish
