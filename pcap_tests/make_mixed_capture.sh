#!/bin/bash
# Re-makes pcap_tests/captures/mixed.pcap: real mixed traffic between two Linux kernels.
#
# Two network namespaces, each with a TAP device; tap_bridge_recorder.py joins the TAPs back
# to back and records every Ethernet frame (see that file for why not tcpdump on a veth).
#
#   ns ust<pid>a: 198.18.0.1/24, fd00:1::1/64  (client: ping, curl, dig, nc, scapy)
#   ns ust<pid>b: 198.18.0.2/24, fd00:1::2/64  (server: python http.server, dnsmasq, nc -u -l)
#
# Traffic: ARP, NDP (NS/NA), MLDv2 (hop-by-hop header), ICMP echo (also with the IPv4 record
# route option), TCP over IPv4 and IPv6 with options (curl to http.server), a TCP RST (closed
# port), UDP (to a listener and to a closed port -> ICMP port unreachable), DNS over UDP/IPv4
# and IPv6 (dnsmasq + dig: A, AAAA, MX, TXT, NXDOMAIN), IPv4 fragments (ping -s 3000), IPv6
# fragment headers (ping -6 -s 3000), an IPv6 hop-by-hop + destination options echo (scapy).
#
# usage (root): pcap_tests/make_mixed_capture.sh [OUT.pcap]
# Needs: iproute2, iputils-ping, curl, dnsutils, dnsmasq, netcat-openbsd, python3-scapy.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/captures/mixed.pcap}"
PY=/usr/bin/python3  # Debian's python, which has scapy
NA="ust$$a"
NB="ust$$b"
TAPA="ust$$ta"
TAPB="ust$$tb"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  ip netns del "$NA" 2>/dev/null
  ip netns del "$NB" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

in_a() { ip netns exec "$NA" "$@"; }
in_b() { ip netns exec "$NB" "$@"; }
step() { echo "== $*" >&2; sleep 0.3; }  # the pause keeps the steps apart in the capture

wait_for() {  # wait_for DESCRIPTION COMMAND...: polls up to 5 s
  local what="$1"; shift
  for _ in $(seq 50); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out waiting for $what" >&2
  cat "$WORK"/*.log >&2 2>/dev/null || true
  exit 1
}

ip netns add "$NA"
ip netns add "$NB"
in_a ip link set lo up
in_b ip link set lo up
# No router solicitations, so the capture holds only the traffic below.
for ns in "$NA" "$NB"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
done

"$PY" "$HERE/tap_bridge_recorder.py" "$TAPA" "$TAPB" "$OUT" "$WORK/ready" &
PIDS+=($!)
wait_for "the recorder" test -e "$WORK/ready"

ip link set "$TAPA" netns "$NA"
ip link set "$TAPB" netns "$NB"
in_a ip link set "$TAPA" address 02:00:c6:12:00:01
in_b ip link set "$TAPB" address 02:00:c6:12:00:02
in_a ip addr add 198.18.0.1/24 dev "$TAPA"
in_b ip addr add 198.18.0.2/24 dev "$TAPB"
in_a ip -6 addr add fd00:1::1/64 dev "$TAPA" nodad
in_b ip -6 addr add fd00:1::2/64 dev "$TAPB" nodad
in_a ip link set "$TAPA" up
in_b ip link set "$TAPB" up
sleep 1  # let the link-up MLD reports (hop-by-hop router alert) go out

# Servers in B, each killed by PID on exit. They are started with a plain `ip netns exec`
# (not through in_b) so that $! is the server itself and not a subshell around it.
cat >"$WORK/dnsmasq.conf" <<CONF
no-resolv
no-hosts
bind-interfaces
listen-address=198.18.0.2
listen-address=fd00:1::2
port=53
host-record=www.ustack.test,198.18.0.80,fd00:1::80
mx-host=ustack.test,mail.ustack.test,10
txt-record=ustack.test,"v=ustack capture"
cname=web.ustack.test,www.ustack.test
local=/ustack.test/
CONF
ip netns exec "$NB" dnsmasq --no-daemon --conf-file="$WORK/dnsmasq.conf" \
  --log-facility=- 2>"$WORK/dnsmasq.log" &
PIDS+=($!)
mkdir -p "$WORK/www"
head -c 3000 /dev/zero | tr '\0' 'u' >"$WORK/www/index.html"
(cd "$WORK/www" && exec ip netns exec "$NB" "$PY" -m http.server 8080 --bind :: ) \
  >"$WORK/http.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NB" nc -u -l -k 198.18.0.2 5555 >"$WORK/udp.out" 2>&1 &
PIDS+=($!)
wait_for "http.server" in_b bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080'
wait_for "dnsmasq" in_b bash -c "ss -lun | grep -q 198.18.0.2:53"

step "ARP + ICMP echo"
in_a ping -c 2 -i 0.2 198.18.0.2 >/dev/null
step "NDP + ICMPv6 echo"
in_a ping -6 -c 2 -i 0.2 fd00:1::2 >/dev/null
step "ICMP echo with the record route option"
in_a ping -R -c 1 198.18.0.2 >/dev/null
step "TCP over IPv4 (curl)"
in_a curl -s -o /dev/null http://198.18.0.2:8080/index.html
step "TCP over IPv6 (curl)"
in_a curl -s -o /dev/null "http://[fd00:1::2]:8080/"
step "TCP to a closed port (RST)"
in_a curl -s -o /dev/null http://198.18.0.2:81/ || true
step "UDP to a listener and to a closed port"
echo "hello over udp" | in_a nc -u -w 1 198.18.0.2 5555 || true
echo "nobody listens" | in_a nc -u -w 1 198.18.0.2 5556 || true
echo "nobody listens" | in_a nc -u -w 1 fd00:1::2 5556 || true
step "DNS"
in_a dig +short +tries=1 +time=2 @198.18.0.2 www.ustack.test A >/dev/null
in_a dig +short +tries=1 +time=2 @198.18.0.2 www.ustack.test AAAA >/dev/null
in_a dig +short +tries=1 +time=2 @198.18.0.2 web.ustack.test A >/dev/null
in_a dig +short +tries=1 +time=2 @198.18.0.2 ustack.test MX >/dev/null
in_a dig +short +tries=1 +time=2 @fd00:1::2 ustack.test TXT >/dev/null
in_a dig +short +tries=1 +time=2 @fd00:1::2 nothing.ustack.test A >/dev/null
step "IPv4 fragments"
in_a ping -c 1 -s 3000 198.18.0.2 >/dev/null
step "IPv6 fragment headers"
in_a ping -6 -c 1 -s 3000 fd00:1::2 >/dev/null
step "IPv6 hop-by-hop and destination options (scapy)"
in_a "$PY" - <<'PYEOF'
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, PadN, ICMPv6EchoRequest, sr1
pkt = (IPv6(src="fd00:1::1", dst="fd00:1::2") /
       IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00\x00\x00\x00")]) /
       IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")]) /
       ICMPv6EchoRequest(id=0x7573, seq=1, data=b"ustack extension headers"))
sr1(pkt, timeout=2, verbose=0)
PYEOF
sleep 0.5

kill "${PIDS[0]}"
wait "${PIDS[0]}" || true
PIDS=("${PIDS[@]:1}")
echo "wrote $OUT: $(tcpdump -r "$OUT" 2>/dev/null | wc -l) packets" >&2
