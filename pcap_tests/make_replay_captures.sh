#!/bin/bash
# Re-makes pcap_tests/captures/replay/: captures of real programs for `ustack replay`
# (issue 10), one conversation kind per file, plus bad inputs for the replay CLI tests.
# captures/README.md has a section per file.
#
# Every capture gets its own pair of network namespaces, client "usr<pid><tag>c" and server
# "usr<pid><tag>s" (client .1, server .2 of its own 198.18.N.0/24 or fd00:N::/64), joined by two
# TAP devices and a user-space relay that records the frames (tap_bridge_recorder.py, or
# lossy_tap_relay.py for nc_lossy). A TAP without IFF_VNET_HDR makes the kernel finish every
# checksum and segment before the frame reaches the relay, so the checksums in these files are
# the real ones. Exceptions, on purpose:
#   curl_http_v6.pcap        tshark -F pcapng on the client's TAP (pcapng, despite the name)
#   dig_tcp.pcap             tcpdump -i any in the server namespace (LINKTYPE_LINUX_SLL2)
#   midstream.pcap           tcpdump on the client's TAP, started once the connection is up
#   bad_offloaded_checksums  tcpdump on a veth with TX checksum offload on (partial checksums)
#   bad_truncated.pcap       curl_http.pcap cut in the middle of a record
#   not_a_capture.pcap       a text file
#
# usage (root): pcap_tests/make_replay_captures.sh [OUTDIR]   (default pcap_tests/captures/replay)
# Needs: iproute2, iputils-ping, curl, dnsutils, dnsmasq, netcat-openbsd, socat, tcpdump,
# tshark, Debian's /usr/bin/python3.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/captures/replay}"
mkdir -p "$OUT"
OUT="$(realpath "$OUT")"
PY=/usr/bin/python3
P="usr$$"
WORK="$(mktemp -d)"
PIDS=()       # every process we started, stopped by PID
NAMESPACES=() # every namespace we made

cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "== $*" >&2; }

wait_for() { # wait_for DESCRIPTION COMMAND...: polls up to 10 s
  local what="$1"
  shift
  for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out waiting for $what" >&2
  tail -n 20 "$WORK"/*.log >&2 2>/dev/null || true
  exit 1
}

# Stops the processes started since index $1 (tcpdump, tshark and the relays close their files
# on SIGTERM) and forgets them.
stop_from() {
  local i
  for ((i = $1; i < ${#PIDS[@]}; i++)); do kill "${PIDS[$i]}" 2>/dev/null || true; done
  for ((i = $1; i < ${#PIDS[@]}; i++)); do wait "${PIDS[$i]}" 2>/dev/null || true; done
  PIDS=("${PIDS[@]:0:$1}")
}

# make_pair TAG N FAMILIES RELAY...: namespaces C=usr<pid><TAG>c and S=usr<pid><TAG>s, whose
# TAPs TC and TS are created and joined by the relay command RELAY... (run once C, S, TC, TS are
# set, so it can use them), addresses 198.18.N.1/.2 (FAMILIES has 4) and fd00:N::1/::2 (FAMILIES
# has 6). Without 6, IPv6 is off in both namespaces, so the capture holds no MLD/NDP.
# Interface names must fit in 15 characters: usr + pid + TAG (one letter) + tc.
make_pair() {
  local tag="$1" n="$2" families="$3"
  shift 3
  C="$P${tag}c"
  S="$P${tag}s"
  TC="$P${tag}tc"
  TS="$P${tag}ts"
  FIRST=${#PIDS[@]}
  ip netns add "$C"
  NAMESPACES+=("$C")
  ip netns add "$S"
  NAMESPACES+=("$S")
  local ns
  for ns in "$C" "$S"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
    if [[ "$families" != *6* ]]; then
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    fi
  done
  rm -f "$WORK/ready"
  "$@" &
  PIDS+=($!)
  wait_for "the relay" test -e "$WORK/ready"
  ip link set "$TC" netns "$C"
  ip link set "$TS" netns "$S"
  local hex
  hex=$(printf '%02x' "$n")
  ip -n "$C" link set "$TC" address "02:00:c6:12:$hex:01"
  ip -n "$S" link set "$TS" address "02:00:c6:12:$hex:02"
  if [[ "$families" == *4* ]]; then
    ip -n "$C" addr add "198.18.$n.1/24" dev "$TC"
    ip -n "$S" addr add "198.18.$n.2/24" dev "$TS"
  fi
  if [[ "$families" == *6* ]]; then
    ip -n "$C" -6 addr add "fd00:$n::1/64" dev "$TC" nodad
    ip -n "$S" -6 addr add "fd00:$n::2/64" dev "$TS" nodad
  fi
  ip -n "$C" link set "$TC" up
  ip -n "$S" link set "$TS" up
  sleep 1 # the link-up MLD reports (IPv6 only) go out before the traffic
}

# end_pair: stops the relay and every process started with the pair, deletes the namespaces.
end_pair() {
  sleep 0.5 # the last ACKs
  stop_from "$FIRST"
  ip netns del "$C"
  ip netns del "$S"
  NAMESPACES=("${NAMESPACES[@]:0:${#NAMESPACES[@]}-2}")
}

# A tcpdump/tshark in namespace NS (started with $! = the capture program itself), waited for
# until it says it is listening.
start_capture() { # start_capture NS LOGNAME PROGRAM ARGS...
  local ns="$1" log="$WORK/$2.log"
  shift 2
  ip netns exec "$ns" "$@" 2>"$log" &
  PIDS+=($!)
  wait_for "$1 to listen" grep -Eq "listening on|Capturing on" "$log"
  sleep 1
}

start_http_server() { # start_http_server NS: python http.server on port 8080 serving $WORK/www
  (cd "$WORK/www" && exec ip netns exec "$1" "$PY" -m http.server 8080 --bind ::) \
    >"$WORK/http_$1.log" 2>&1 &
  PIDS+=($!)
  wait_for "http.server" ip netns exec "$1" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080'
}

# The 20 KB file curl fetches: numbered text lines, so every segment's payload is different.
mkdir -p "$WORK/www"
"$PY" -c '
import sys
lines = "".join("ustack replay capture line %05d: the quick brown fox jumps over the lazy dog\n" % i
                for i in range(400))
sys.stdout.write(lines[:20480])' >"$WORK/www/file20k.txt"

with_recorder() { # with_recorder OUT.pcap: the plain TAP bridge as make_pair's relay
  exec "$PY" "$HERE/tap_bridge_recorder.py" "$TC" "$TS" "$1" "$WORK/ready"
}

# ---------------------------------------------------------------------------------------------
step "curl_http.pcap: curl -> python3 -m http.server, IPv4, 20 KB"
make_pair h 10 4 with_recorder "$OUT/curl_http.pcap"
start_http_server "$S"
ip netns exec "$C" curl -sS -o "$WORK/got" http://198.18.10.2:8080/file20k.txt
cmp "$WORK/got" "$WORK/www/file20k.txt"
end_pair

# ---------------------------------------------------------------------------------------------
step "curl_http_v6.pcap: the same over IPv6, taken by tshark on the client's TAP as pcapng"
make_pair H 11 6 with_recorder "$WORK/curl_http_v6_relay.pcap"
start_http_server "$S"
rm -f "$OUT/curl_http_v6.pcap"
start_capture "$C" tshark_v6 tshark -q -i "$TC" -F pcapng -w "$OUT/curl_http_v6.pcap"
ip netns exec "$C" curl -sS -o "$WORK/got" "http://[fd00:11::2]:8080/file20k.txt"
cmp "$WORK/got" "$WORK/www/file20k.txt"
end_pair

# ---------------------------------------------------------------------------------------------
write_dnsmasq_conf() { # write_dnsmasq_conf N
  cat >"$WORK/dnsmasq_$1.conf" <<CONF
no-resolv
no-hosts
bind-interfaces
listen-address=198.18.$1.2
port=53
host-record=www.ustack.test,198.18.$1.80,fd00:$1::80
txt-record=ustack.test,"v=ustack replay capture","second string"
local=/ustack.test/
CONF
}
start_dnsmasq() { # start_dnsmasq N
  write_dnsmasq_conf "$1"
  ip netns exec "$S" dnsmasq --no-daemon --conf-file="$WORK/dnsmasq_$1.conf" \
    --log-facility=- 2>"$WORK/dnsmasq_$1.log" &
  PIDS+=($!)
  wait_for "dnsmasq" ip netns exec "$S" bash -c "ss -lun | grep -q 198.18.$1.2:53"
}
dig_three() { # dig_three N [+tcp]: A, AAAA and TXT, each answer checked
  local n="$1"
  shift
  local a aaaa txt
  a=$(ip netns exec "$C" dig +short +tries=1 +time=2 "$@" "@198.18.$n.2" www.ustack.test A)
  aaaa=$(ip netns exec "$C" dig +short +tries=1 +time=2 "$@" "@198.18.$n.2" www.ustack.test AAAA)
  txt=$(ip netns exec "$C" dig +short +tries=1 +time=2 "$@" "@198.18.$n.2" ustack.test TXT)
  [[ "$a" == "198.18.$n.80" && "$aaaa" == "fd00:$n::80" && "$txt" == *"second string"* ]] || {
    echo "unexpected DNS answers: '$a' '$aaaa' '$txt'" >&2
    exit 1
  }
}

step "dig_udp.pcap: dig A/AAAA/TXT to dnsmasq over UDP"
make_pair d 12 4 with_recorder "$OUT/dig_udp.pcap"
start_dnsmasq 12
dig_three 12
end_pair

step "dig_tcp.pcap: the same with dig +tcp, taken by tcpdump -i any in the server namespace"
make_pair D 13 4 with_recorder "$WORK/dig_tcp_relay.pcap"
start_dnsmasq 13
start_capture "$S" tcpdump_any tcpdump --immediate-mode -U -i any -w "$OUT/dig_tcp.pcap"
dig_three 13 +tcp
end_pair

# ---------------------------------------------------------------------------------------------
step "nc_lossy_{sender,receiver}_side.pcap: nc sends 200 KB through a relay dropping 2% of data"
with_lossy_relay() {
  exec "$PY" "$HERE/lossy_tap_relay.py" "$TC" "$TS" \
    "$OUT/nc_lossy_sender_side.pcap" "$OUT/nc_lossy_receiver_side.pcap" "$WORK/ready" 0.02 10
}
"$PY" -c '
import random, sys
sys.stdout.buffer.write(random.Random(10).randbytes(204800))' >"$WORK/payload"
make_pair l 14 4 with_lossy_relay
ip netns exec "$S" nc -l 198.18.14.2 5001 >"$WORK/received" </dev/null 2>"$WORK/nc_server.log" &
NC_SERVER=$!
PIDS+=("$NC_SERVER")
wait_for "nc -l" ip netns exec "$S" bash -c "ss -ltn | grep -q 198.18.14.2:5001"
timeout 60 ip netns exec "$C" nc -N 198.18.14.2 5001 <"$WORK/payload"
wait "$NC_SERVER" || true
cmp "$WORK/received" "$WORK/payload"
end_pair
retransmissions=$(tshark -r "$OUT/nc_lossy_sender_side.pcap" -Y tcp.analysis.retransmission 2>/dev/null | wc -l)
if ((retransmissions == 0)); then
  echo "nc_lossy_sender_side.pcap holds no retransmission: the relay dropped nothing?" >&2
  exit 1
fi

# ---------------------------------------------------------------------------------------------
step "nc_udp_echo.pcap: datagrams to a socat UDP echo server (PIPE)"
make_pair u 15 4 with_recorder "$OUT/nc_udp_echo.pcap"
ip netns exec "$S" socat UDP4-LISTEN:7007,bind=198.18.15.2 PIPE 2>"$WORK/socat_udp.log" &
PIDS+=($!)
wait_for "socat" ip netns exec "$S" bash -c "ss -lun | grep -q 198.18.15.2:7007"
ip netns exec "$C" "$PY" - <<'PYEOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.15.1", 40007))
s.settimeout(3)
# One at a time, each echo awaited, so the PIPE cannot merge two datagrams.
for payload in [b"hello ustack\n", b"x" * 100, bytes(range(256)) * 4, b"U" * 1472, b"bye\n"]:
    s.sendto(payload, ("198.18.15.2", 7007))
    echo, peer = s.recvfrom(65535)
    assert echo == payload and peer == ("198.18.15.2", 7007), (len(echo), peer)
PYEOF
end_pair

# ---------------------------------------------------------------------------------------------
step "midstream.pcap: tcpdump on the client's TAP, started after the TCP handshake"
make_pair m 18 4 with_recorder "$WORK/midstream_relay.pcap"
ip netns exec "$S" socat TCP4-LISTEN:5002,bind=198.18.18.2,reuseaddr PIPE 2>"$WORK/socat_tcp.log" &
PIDS+=($!)
wait_for "socat" ip netns exec "$S" bash -c "ss -ltn | grep -q 198.18.18.2:5002"
ip netns exec "$C" "$PY" - "$WORK/connected" "$WORK/capturing" <<'PYEOF' &
import os, socket, sys, time
connected, capturing = sys.argv[1:3]
s = socket.create_connection(("198.18.18.2", 5002), timeout=5)
open(connected, "w").close()

def exchange(i):  # one line out, its echo back
    line = b"midstream line %02d: ustack replay\n" % i
    s.sendall(line)
    got = b""
    while len(got) < len(line):
        got += s.recv(4096)
    assert got == line

# A line every 0.1 s: at least 10 before the capture runs (so it starts well after the
# handshake), then 20 with the capture running.
i = 0
deadline = time.time() + 15
while not (os.path.exists(capturing) and i >= 10):
    if time.time() > deadline:
        sys.exit("the capture never started")
    exchange(i)
    i += 1
    time.sleep(0.1)
for _ in range(20):
    exchange(i)
    i += 1
    time.sleep(0.1)
s.shutdown(socket.SHUT_WR)
assert s.recv(4096) == b""
s.close()
PYEOF
MID_CLIENT=$!
PIDS+=("$MID_CLIENT")
wait_for "the connection" test -e "$WORK/connected"
start_capture "$C" tcpdump_mid tcpdump --immediate-mode -U -i "$TC" -w "$OUT/midstream.pcap"
touch "$WORK/capturing"
wait "$MID_CLIENT"
end_pair

# ---------------------------------------------------------------------------------------------
step "bad_no_tcp_udp.pcap: only ARP and ICMP echo"
make_pair p 16 4 with_recorder "$OUT/bad_no_tcp_udp.pcap"
ip netns exec "$C" ping -q -c 3 -i 0.2 198.18.16.2 >/dev/null
end_pair

# ---------------------------------------------------------------------------------------------
step "bad_offloaded_checksums.pcap: tcpdump on a veth with TX checksum offload on"
C="${P}oc"
S="${P}os"
FIRST=${#PIDS[@]}
ip netns add "$C"
NAMESPACES+=("$C")
ip netns add "$S"
NAMESPACES+=("$S")
ip link add "${P}vc" type veth peer name "${P}vs"
ip link set "${P}vc" netns "$C"
ip link set "${P}vs" netns "$S"
for ns in "$C" "$S"; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$C" addr add 198.18.17.1/24 dev "${P}vc"
ip -n "$S" addr add 198.18.17.2/24 dev "${P}vs"
ip -n "$C" link set "${P}vc" up
ip -n "$S" link set "${P}vs" up
start_http_server "$S"
start_capture "$C" tcpdump_veth tcpdump --immediate-mode -U -i "${P}vc" -w "$OUT/bad_offloaded_checksums.pcap"
ip netns exec "$C" curl -sS -o "$WORK/got" http://198.18.17.2:8080/file20k.txt
cmp "$WORK/got" "$WORK/www/file20k.txt"
end_pair

# ---------------------------------------------------------------------------------------------
step "bad_truncated.pcap: curl_http.pcap cut in the middle of its 8th record"
"$PY" - "$OUT/curl_http.pcap" "$OUT/bad_truncated.pcap" <<'PYEOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off = 24
for _ in range(7):  # skip 7 whole records
    off += 16 + struct.unpack_from("<I", data, off + 8)[0]
caplen = struct.unpack_from("<I", data, off + 8)[0]
assert caplen > 40, caplen
open(sys.argv[2], "wb").write(data[: off + 16 + caplen // 2])  # header whole, half the frame
PYEOF

step "not_a_capture.pcap: a text file"
cat >"$OUT/not_a_capture.pcap" <<'TEXT'
This is not a capture file, only text with a .pcap name.
Made by pcap_tests/make_replay_captures.sh for the `ustack replay` error tests.
TEXT

chmod a+r "$OUT"/* # dumpcap writes 0600
for f in "$OUT"/*; do
  echo "$(basename "$f"): $(stat -c %s "$f") bytes, $(tshark -r "$f" 2>/dev/null | wc -l) packets" >&2
done
