#!/bin/bash
# KernelUdpToClosedUstackPortGetsPortUnreachable: the kernel sends UDP to a port where ustack
# has no socket; ustack answers ICMP port unreachable (RFC 1122 §4.1.3.1, RFC 4443 §3.1 code 4)
# and the kernel's connected UDP socket reports ECONNREFUSED, for IPv4 and IPv6.
source "$(dirname "$0")/lib.sh"
require_root

DEV="ust${ID}u"
start_ustack --tun "$DEV" --netns "$NS" \
  --addr 198.18.0.2/24 --addr fd00:1::2/64 --peer 198.18.0.1/24 --peer fd00:1::1/64 --seed 2

refused() {  # refused ADDR: a connected UDP socket in the namespace gets ECONNREFUSED
  in_ns /usr/bin/python3 - "$1" <<'PY'
import socket, sys
addr = sys.argv[1]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
for attempt in range(5):  # the first datagram may wait for nothing, but be patient anyway
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.connect((addr, 9))
    s.send(b"anyone there?")
    try:
        s.recv(100)
        sys.exit("got a UDP answer from a closed port")
    except ConnectionRefusedError:
        print("ECONNREFUSED from", addr)
        sys.exit(0)
    except socket.timeout:
        continue
sys.exit("no ICMP port unreachable from %s" % addr)
PY
}
check "IPv4: ECONNREFUSED from ICMP port unreachable" refused 198.18.0.2
check "IPv6: ECONNREFUSED from ICMPv6 port unreachable" refused fd00:1::2

COUNTERS=$(dump_counters)
echo "$COUNTERS"
v4=$(echo "$COUNTERS" | counter Icmp out_dest_unreachs)
v6=$(echo "$COUNTERS" | counter Icmp6 out_dest_unreachs)
check "icmp out_dest_unreachs counted ($v4)" test "$v4" -ge 1
check "icmp6 out_dest_unreachs counted ($v6)" test "$v6" -ge 1
stop_ustack TERM
check "ustack exits 0 on SIGTERM" test "$USTACK_RC" -eq 0
finish
