#!/bin/bash
# Usage (root): stack/wire/testdata/link_capture/capture.sh; OUT=file.pcap to choose the output.
# Made the frames embedded in stack/wire/{ethernet,arp,icmpv4,icmpv6,ndp}_test.cc (Linux 6.18.44-fc-v669,
# iputils ping, netcat-openbsd; RA, frag-needed, packet-too-big and time-exceeded crafted with
# scapy 2.5 because no router daemon is installed).
# Captures real kernel ARP/ICMP/ICMPv6/NDP traffic between two namespaces joined by a veth.
set -u
P=$$
A=wl${P}a; B=wl${P}b
cleanup() {
  [ -n "${TD:-}" ] && kill $TD 2>/dev/null; sleep 0.3
  ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
}
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add va$P netns $A type veth peer name vb$P netns $B
ip -n $A link set va$P address 02:00:00:00:05:01
ip -n $B link set vb$P address 02:00:00:00:05:02
ip -n $A link set va$P up   # no carrier until the peer is up, so nothing is sent yet
ip netns exec $A tcpdump -i va$P -w ${OUT:-/tmp/link_capture.pcap} -U 2>/dev/null &
TD=$!
sleep 1.5
ip -n $A addr add 198.18.5.1/24 dev va$P
ip -n $B addr add 198.18.5.2/24 dev vb$P
ip -n $A addr add fd00:5::1/64 dev va$P
ip -n $B addr add fd00:5::2/64 dev vb$P
ip -n $A link set va$P up; ip -n $B link set vb$P up
ip -n $A link set lo up; ip -n $B link set lo up
sleep 3   # DAD, RS
ip netns exec $A ping -c1 -s 56 -p 55 198.18.5.2
ip netns exec $A ping -6 -c1 -s 56 fd00:5::2
ip netns exec $A sh -c 'echo hi | nc -u -w1 198.18.5.2 9'
ip netns exec $A sh -c 'echo hi | nc -u -w1 fd00:5::2 9'
# Crafted: an RA (no radvd here), ICMP frag-needed and ICMPv6 packet-too-big from B.
ip netns exec $B /usr/bin/python3 "$(dirname "$0")/craft.py" vb$P
sleep 1
